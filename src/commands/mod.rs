//! One thin adapter per command: arguments in, one library call, result to `report`.
//! What they share is here: compiling the spec, naming its services, the exit code of a
//! failure; and `session`, the runtime, connection and progress of commands that call AWS.

mod approve;
mod completions;
mod cost;
mod deploy;
mod destroy;
mod exec;
mod iam_policy;
mod init;
mod logs;
mod plan;
mod preview;
mod push;
mod render;
mod rollback;
mod run;
mod scale;
mod schema;
mod session;
mod status;
mod validate;
mod wait;

use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::{Cli, Command, TargetArgs};
use crate::exit;
use crate::model::{Model, ServiceName};
use crate::ops::Error;
use crate::report::Report;
use crate::spec::{LoadError, LoadOptions};
use crate::stack::{compile, process_env, Compiled};

/// Options every AWS command shares.
pub struct Global<'a> {
    pub env: Option<&'a str>,
    pub region: Option<&'a str>,
    pub profile: Option<&'a str>,
    pub registry_endpoint: Option<&'a str>,
    pub registry_mirrors: &'a [String],
    pub check_endpoint: Option<&'a str>,
    pub asset_bucket: Option<&'a str>,
}

/// Run the parsed command line; returns the process exit code.
pub fn run(cli: Cli, report: &mut Report) -> anyhow::Result<u8> {
    let global = Global {
        // An empty `--env` or `ECSHIP_ENV` means no environment: CI systems pass an input left
        // empty as an empty variable (the GitHub Action's `env:`).
        env: cli.env.as_deref().filter(|e| !e.is_empty()),
        region: cli.region.as_deref(),
        profile: cli.profile.as_deref(),
        registry_endpoint: cli.registry_endpoint.as_deref(),
        registry_mirrors: &cli.registry_mirrors,
        check_endpoint: cli.check_endpoint.as_deref(),
        asset_bucket: cli.asset_bucket.as_deref(),
    };
    let env = global.env;
    match &cli.command {
        Command::Validate(args) => validate::run(args, env, report),
        Command::Render(args) => render::run(args, &global, report),
        Command::Plan(args) => plan::run(args, &global, report),
        Command::Cost(args) => cost::run(args, &global, report),
        Command::Deploy(args) => deploy::run(args, &global, report),
        Command::Push(args) => push::run(args, &global, report),
        Command::Rollback(args) => rollback::run(args, &global, report),
        Command::Approve(args) => approve::run(args, &global, report),
        Command::Scale(args) => scale::run(args, &global, report),
        Command::Wait(args) => wait::run(args, &global, report),
        Command::Run(args) => run::run(args, &global, report),
        Command::Init(args) => init::run(args, &global, report),
        Command::Logs(args) => logs::run(args, &global, report),
        Command::Exec(args) => exec::run(args, &global, report),
        Command::Status(args) => status::run(args, &global, report),
        Command::Destroy(args) => destroy::run(args, &global, report),
        Command::IamPolicy(args) => iam_policy::run(args, &global, report),
        Command::Preview(args) => preview::run(args, &global, report),
        Command::Schema(args) => schema::run(args, report),
        Command::Completions(args) => completions::run(args, report),
    }
}

/// Compile a spec for a command that deploys it: invalid specs and templates over
/// CloudFormation's limits are reported here (`Ok(Err(exit code))`).
fn compile_deployable(file: &Path, env: Option<&str>, report: &mut Report) -> anyhow::Result<Result<Compiled, u8>> {
    let compiled = match compile_or_report(file, env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(Err(code)),
    };
    if !compiled.limits.is_empty() {
        return Ok(Err(report.invalid(&compiled.limit_diagnostics())?));
    }
    // The base spec is what runs without --env; a broken environment is said, not fatal.
    if env.is_none() {
        for e in crate::stack::check_environments(file, &process_env, &[])?.iter().filter(|e| !e.problems.is_empty()) {
            let n = e.problems.len();
            report.warn(&format!(
                "environment {} is invalid ({n} problem{}): `ecship validate {}` lists them; this run uses the base spec",
                e.env,
                crate::human::plural(n),
                file.display()
            ))?;
        }
    }
    Ok(Ok(compiled))
}

/// The price table: `--prices FILE`, checked whole, or the built-in one.
fn price_table(file: Option<&Path>) -> anyhow::Result<crate::cost::Table> {
    let Some(file) = file else { return Ok(crate::cost::Table::built_in()?) };
    let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read the price table {}: {e}", file.display()))?;
    Ok(crate::cost::Table::parse(&text, &format!("--prices {}", file.display()))?)
}

/// The spec with the hosted zones its domains give by name looked up in Route 53, and the
/// databases it adopts described in RDS (no call when there are none).
fn with_zones(compiled: Compiled, session: &session::Session) -> anyhow::Result<Compiled> {
    let found = if compiled.model.databases_to_look_up().next().is_some() {
        session.call(async |aws| crate::ops::databases::look_up(aws, &compiled.model).await)?
    } else {
        BTreeMap::new()
    };
    let compiled = crate::stack::with_databases(compiled, found)?;
    if !compiled.model.has_zones_to_look_up() {
        return Ok(compiled);
    }
    let ids = session.call(async |aws| crate::ops::zones::look_up(aws, &compiled.model).await)?;
    Ok(crate::stack::with_zones(compiled, &ids)?)
}

/// Report a failed run and give its exit code.
pub(super) fn failed(e: Error, report: &mut Report) -> anyhow::Result<u8> {
    let code = exit_code(&e);
    report.error(&anyhow::Error::new(e));
    Ok(code)
}

/// The exit code of a failed deploy or rollback: rolled back, timed out, or another error.
pub(super) fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Rollout { .. } if e.timed_out() => exit::TIMED_OUT,
        Error::Rollout { .. } | Error::Aborted { .. } if e.rolled_back() => exit::ROLLED_BACK,
        Error::Before(_) => exit::BEFORE_FAILED,
        _ => exit::ERROR,
    }
}

/// The exit code of a verb whose errors no exit code tells apart.
fn any_error<E>(_: &E) -> u8 {
    exit::ERROR
}

/// The stack a `FILE | --stack NAME` command is about, and the spec's region if any. An
/// invalid spec is reported here: `Ok(Err(exit code))`.
fn target(args: &TargetArgs, global: &Global<'_>, report: &mut Report) -> anyhow::Result<Result<(String, Option<String>), u8>> {
    if let Some(stack) = &args.stack {
        return Ok(Ok((stack.clone(), None)));
    }
    let Some(file) = &args.file else { anyhow::bail!("name a stack spec FILE or --stack NAME") };
    Ok(compile_or_report(file, global.env, report)?.map(|c| (c.model.stack.to_string(), c.model.region.clone())))
}

/// Compile a spec for a command. An invalid spec is reported here: `Ok(Err(exit code))`.
fn compile_or_report(file: &Path, env: Option<&str>, report: &mut Report) -> anyhow::Result<Result<Compiled, u8>> {
    let opts = LoadOptions { env, vars: &process_env, defer_unset_vars: false };
    match compile(file, &opts) {
        Ok(c) => Ok(Ok(c)),
        Err(LoadError::Invalid(d)) => Ok(Err(report.invalid(&d)?)),
        Err(e) => Err(e.into()),
    }
}

/// `--image SERVICE=IMAGE` pairs, each naming a service of the spec.
fn images(pairs: &[String], model: &Model) -> anyhow::Result<BTreeMap<ServiceName, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let Some((name, image)) = pair.split_once('=').filter(|(n, i)| !n.is_empty() && !i.is_empty()) else {
            anyhow::bail!(
                "--image {pair}: expected SERVICE=IMAGE, e.g. --image web=123456789012.dkr.ecr.us-east-1.amazonaws.com/app/web:v1"
            );
        };
        if let Some(m) = crate::spec::validate::checks::ecr_look_alike(image) {
            anyhow::bail!("--image {pair}: {m}");
        }
        let Some(svc) = model.services.keys().find(|k| k.as_str() == name) else {
            let names: Vec<&str> = model.services.keys().map(ServiceName::as_str).collect();
            anyhow::bail!("--image {pair}: the spec has no service `{name}` (services: {})", names.join(", "));
        };
        out.insert(svc.clone(), image.to_string());
    }
    Ok(out)
}

/// The one service a command names.
fn one_service<'m>(name: &str, model: &'m Model) -> anyhow::Result<&'m crate::model::Service> {
    let names = services(&[name.to_string()], model)?;
    names.first().and_then(|n| model.services.get(n)).ok_or_else(|| anyhow::anyhow!("name one service of the spec"))
}

/// `--service NAME` arguments, each naming a service of the spec.
fn services(names: &[String], model: &Model) -> anyhow::Result<Vec<ServiceName>> {
    names
        .iter()
        .map(|name| {
            model.services.keys().find(|k| k.as_str() == name).cloned().ok_or_else(|| {
                let known: Vec<&str> = model.services.keys().map(ServiceName::as_str).collect();
                anyhow::anyhow!("--service {name}: the spec has no such service (services: {})", known.join(", "))
            })
        })
        .collect()
}
