//! `ecship validate FILE [--env NAME]`: every problem of a spec — the base and each of its
//! environments, or the one named — or a one-line summary of what it builds.

use serde_json::json;

use crate::cli::SpecArgs;
use crate::exit;
use crate::human::plural;
use crate::report::Report;
use crate::spec::{Diagnostics, LoadError, LoadOptions};
use crate::stack::{check_environments, compile, process_env, Compiled, EnvironmentCheck};
use crate::synth::MAX_TEMPLATE_BODY_BYTES;

pub fn run(args: &SpecArgs, env: Option<&str>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = compile(&args.file, &LoadOptions { env, vars: &process_env, defer_unset_vars: false });
    let (compiled, mut problems) = match compiled {
        Ok(c) if c.limits.is_empty() => (Some(c), Vec::new()),
        Ok(c) => (None, c.limit_diagnostics().problems),
        Err(LoadError::Invalid(d)) => (None, d.problems),
        Err(e) => return Err(e.into()),
    };
    // Without --env, every environment too: CI validates a pull request once.
    let environments = match env {
        Some(_) => Vec::new(),
        None => check_environments(&args.file, &process_env, &problems)?,
    };
    problems.extend(environments.iter().flat_map(|e| e.problems.iter().cloned()));
    let Some(compiled) = compiled.filter(|_| problems.is_empty()) else {
        return report.invalid(&Diagnostics::new(&args.file, problems));
    };
    valid(args, &compiled, &environments, report)
}

/// The spec is valid: what it builds, as a JSON line or a sentence.
fn valid(args: &SpecArgs, compiled: &Compiled, environments: &[EnvironmentCheck], report: &mut Report) -> anyhow::Result<u8> {
    if report.json() {
        return valid_json(args, compiled, environments, report);
    }
    let m = &compiled.model;
    let names: Vec<&str> = environments.iter().map(|e| e.env.as_str()).collect();
    let also = match names.len() {
        0 => String::new(),
        n => format!("; environment{} {} valid too", plural(n), names.join(", ")),
    };
    let jobs = match m.jobs.len() {
        0 => String::new(),
        n => format!(", {n} job{}", plural(n)),
    };
    report.line(&format!(
        "ok: {} is valid — stack {}, {} service{}{jobs}, {} resources, {}{also}",
        args.file.display(),
        m.stack,
        m.services.len(),
        plural(m.services.len()),
        compiled.template.resources.len(),
        size(compiled),
    ))?;
    for e in environments.iter().filter(|e| !e.unset_vars.is_empty()) {
        report.warn(&format!(
            "environment {} uses {}, not set here: the values that use {} are checked when it is deployed (`--env {}`)",
            e.env,
            e.unset_vars.join(", "),
            if e.unset_vars.len() == 1 { "it" } else { "them" },
            e.env
        ))?;
    }
    Ok(exit::OK)
}

/// The same, as one JSON line.
fn valid_json(args: &SpecArgs, compiled: &Compiled, environments: &[EnvironmentCheck], report: &mut Report) -> anyhow::Result<u8> {
    let m = &compiled.model;
    let names: Vec<&str> = environments.iter().map(|e| e.env.as_str()).collect();
    let unchecked: serde_json::Map<String, serde_json::Value> =
        environments.iter().filter(|e| !e.unset_vars.is_empty()).map(|e| (e.env.clone(), json!(e.unset_vars))).collect();
    report.json_line(&json!({
        "valid": true,
        "file": args.file,
        "stack": m.stack,
        "env": m.env,
        "environments": names,
        "unset_vars": unchecked,
        "services": m.services.keys().collect::<Vec<_>>(),
        "jobs": m.jobs.keys().collect::<Vec<_>>(),
        "resources": compiled.template.resources.len(),
        "template_bytes": compiled.template.to_json_compact().len(),
        "nested_stacks": compiled.fresh.nested.len(),
    }))?;
    Ok(exit::OK)
}

/// How big the template is, and how it reaches CloudFormation.
fn size(compiled: &Compiled) -> String {
    let bytes = compiled.template.to_json_compact().len();
    match compiled.fresh.nested.len() {
        0 if bytes > MAX_TEMPLATE_BODY_BYTES => {
            format!("{bytes} template bytes (uploaded to the asset bucket: over the 51,200 sent inline)")
        }
        0 => format!("{bytes} template bytes (sent inline)"),
        n => format!("a root stack and {n} nested stack{} (templates uploaded to the asset bucket: over 400 resources)", plural(n)),
    }
}
