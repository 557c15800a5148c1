//! `ecship validate FILE`: every problem of a spec, or a one-line summary of what it builds.

use serde_json::json;

use crate::cli::SpecArgs;
use crate::exit;
use crate::report::Report;
use crate::synth::MAX_TEMPLATE_BODY_BYTES;

pub fn run(args: &SpecArgs, env: Option<&str>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_or_report(&args.file, env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if !compiled.limits.is_empty() {
        return report.invalid(&compiled.limit_diagnostics());
    }
    let m = &compiled.model;
    let bytes = compiled.template.to_json_compact().len();
    let resources = compiled.template.resources.len();
    if report.json() {
        report.json_line(&json!({
            "valid": true,
            "file": args.file,
            "stack": m.stack,
            "env": m.env,
            "services": m.services.keys().collect::<Vec<_>>(),
            "resources": resources,
            "template_bytes": bytes,
        }))?;
    } else {
        report.line(&format!(
            "ok: {} is valid — stack {}, {} service{}, {resources} resources, {bytes} of {MAX_TEMPLATE_BODY_BYTES} template bytes",
            args.file.display(),
            m.stack,
            m.services.len(),
            if m.services.len() == 1 { "" } else { "s" },
        ))?;
    }
    Ok(exit::OK)
}
