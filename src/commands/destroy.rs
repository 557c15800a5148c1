//! `ecship destroy FILE | --stack NAME`: confirm, tear down, report what is left.

use std::time::Duration;

use serde_json::json;

use crate::cli::DestroyArgs;
use crate::exit;
use crate::human::plural;
use crate::ops::destroy::{self, DestroyOptions, Destroyed};
use crate::report::{progress, Report};

use super::session::Session;

pub fn run(args: &DestroyArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let (stack, region) = match super::target(&args.target, global, report)? {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    if !args.yes && !confirmed(&stack, args.delete_data, report)? {
        return Ok(exit::ERROR);
    }
    let opts = DestroyOptions {
        stack: stack.clone(),
        keep_images: args.keep_images,
        keep_logs: args.keep_logs,
        timeout: Duration::from_secs(1800),
        asset_bucket: global.asset_bucket.map(str::to_string),
        delete_data: args.delete_data,
        shared_cluster: false,
        expired_by: None,
    };
    let session = Session::open(global, region.as_deref())?;
    if let Some(code) = previews_first(&session, &stack, args.with_previews, report)? {
        return Ok(code);
    }
    let interrupted = format!("interrupted: part of stack {stack} may be deleted already; run `ecship destroy` again to finish");
    let result = session.run(report, &interrupted, super::any_error, async |aws, r| destroy::run(aws, &opts, r).await);
    let done = match result {
        Ok(done) => done,
        Err(code) => return Ok(code),
    };
    let code = if done.leftovers.is_empty() { exit::OK } else { exit::ERROR };
    if report.json() {
        let (calls, retries) = (session.aws.calls().snapshot(), session.aws.calls().retries());
        report.json_line(
            &json!({ "result": if code == exit::OK { "destroyed" } else { "leftovers" }, "destroy": done, "api_calls": calls, "retries": retries }),
        )?;
    } else {
        summary(&done, &stack, report)?;
    }
    Ok(code)
}

/// A stack with previews is destroyed only with `--with-previews`, which destroys them first:
/// the exit code when the run ends here.
fn previews_first(session: &Session, stack: &str, with_previews: bool, report: &mut Report) -> anyhow::Result<Option<u8>> {
    let previews = match session.call(async |aws| crate::ops::preview::list(aws, stack).await) {
        Ok(p) => p,
        Err(e) => return super::failed(e, report).map(Some),
    };
    if previews.is_empty() {
        return Ok(None);
    }
    let names: Vec<&str> = previews.iter().map(|p| p.name.as_str()).collect();
    if !with_previews {
        anyhow::bail!(
            "stack {stack} has previews: {} — nothing was deleted; destroy them first (`ecship preview destroy`), or pass --with-previews to destroy them with it",
            names.join(", ")
        );
    }
    for name in names {
        let code = super::preview::destroy_one(session, stack, name, report)?;
        if code != exit::OK {
            return Ok(Some(code));
        }
    }
    Ok(None)
}

/// On a terminal, whether the stack's name was typed back; with no terminal, an error.
fn confirmed(stack: &str, delete_data: bool, report: &mut Report) -> anyhow::Result<bool> {
    if !progress::interactive() {
        anyhow::bail!("destroy deletes stack {stack} and everything in it: pass --yes to confirm when there is no terminal to ask on");
    }
    let data = if delete_data {
        " and the data it holds (volumes' file systems, buckets, tables, databases)"
    } else {
        " (its data — volumes' file systems, buckets, tables, databases — is kept; --delete-data deletes it)"
    };
    let question = format!("This deletes stack {stack}, its services, task definitions and images{data}. Type the stack name to confirm:");
    if progress::ask(&question, &[stack]) {
        return Ok(true);
    }
    report.line("nothing was deleted: the name did not match")?;
    Ok(false)
}

/// What was deleted, or what is still there.
pub(super) fn summary(done: &Destroyed, stack: &str, report: &mut Report) -> anyhow::Result<()> {
    let nothing = done.services.is_empty() && done.task_definitions == 0 && done.deleted_data.is_empty();
    if !done.existed && nothing && done.leftovers.is_empty() {
        let what = if done.kept_data.is_empty() { "nothing to destroy" } else { "nothing to destroy but the data it kept" };
        report.line(&format!("stack {stack} does not exist: {what}"))?;
        return kept_data(done, report);
    }
    if done.leftovers.is_empty() {
        let mut kinds: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for d in &done.deleted_data {
            *kinds.entry(d.kind()).or_default() += 1;
        }
        let counted: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}{}", plural(*n))).collect();
        let data = match done.deleted_data.len() {
            0 => String::new(),
            n => format!(", {} with {} data", counted.join(", "), if n == 1 { "its" } else { "their" }),
        };
        report.line(&format!(
            "destroyed {stack}: {} service{}, {} task definition{}, {} image{}{}{data}; nothing ecship created is left{}",
            done.services.len(),
            plural(done.services.len()),
            done.task_definitions,
            plural(done.task_definitions),
            done.images,
            plural(done.images),
            match done.templates {
                0 => String::new(),
                n => format!(", {n} template{}", plural(n)),
            },
            if done.kept.is_empty() && done.kept_data.is_empty() { "" } else { " but what was kept" },
        ))?;
        if !done.kept.is_empty() {
            report.line(&format!("kept: {}", done.kept.join(", ")))?;
        }
        return kept_data(done, report);
    }
    report.error(&anyhow::anyhow!("stack {stack} was not fully destroyed; still there:"));
    for l in &done.leftovers {
        report.line(&format!("  {}: {}", l.kind, l.name))?;
    }
    report.line("run `ecship destroy` again; if something stays, delete it in the console and check its owner")?;
    kept_data(done, report)
}

/// What was kept with its data, and how to delete it.
fn kept_data(done: &Destroyed, report: &mut Report) -> anyhow::Result<()> {
    if done.kept_data.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = done.kept_data.iter().map(ToString::to_string).collect();
    report.line(&format!("kept with its data: {}", list.join(", ")))?;
    report.line(&format!(
        "  to delete {} and {} data: ecship destroy --stack {} --delete-data --yes",
        if list.len() == 1 { "it" } else { "them" },
        if list.len() == 1 { "its" } else { "their" },
        done.stack
    ))?;
    Ok(())
}
