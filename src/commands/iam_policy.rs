//! `ecship iam-policy FILE`: the least-privilege IAM policy a CI role needs to run ecship's
//! verbs on a stack — the policy on standard output, why each statement on `*` is so on
//! standard error. No AWS call: an account or region not given is `*` in the ARNs.

use crate::cli::{IamPolicyArgs, PolicyFor};
use crate::exit;
use crate::iam::{policy, previews_model, Scope, Verbs};
use crate::report::Report;
use crate::stack::Compiled;

use super::Global;

pub fn run(args: &IamPolicyArgs, global: &Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_or_report(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if let Some(a) = args.account.as_deref().filter(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit())) {
        anyhow::bail!("--account {a}: expected a 12-digit AWS account id, e.g. --account 123456789012");
    }
    let region = global
        .region
        .map(str::to_string)
        .or_else(|| compiled.model.region.clone())
        .or_else(|| ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|v| std::env::var(v).ok().filter(|r| !r.is_empty())));
    let scope = Scope {
        account: args.account.clone().unwrap_or_else(|| "*".into()),
        region: region.unwrap_or_else(|| "*".into()),
        asset_bucket: global.asset_bucket.map(str::to_string),
    };
    let verbs = match args.verbs {
        PolicyFor::Deploy => Verbs::Deploy,
        PolicyFor::Plan => Verbs::Plan,
        PolicyFor::Destroy => Verbs::Destroy,
        PolicyFor::All | PolicyFor::Preview => Verbs::All,
    };
    let compiled = if args.verbs == PolicyFor::Preview { previews(compiled)? } else { compiled };
    let policy = policy(&compiled.model, &compiled.fresh, &scope, verbs);
    for (sid, why) in &policy.reasons {
        report.note(&format!("{sid} is on \"*\": {why}"))?;
    }
    report.document(&policy.to_json(), args.out.as_deref())?;
    Ok(exit::OK)
}

/// `--for preview`: the stack's previews, every verb of `preview` on them.
fn previews(parent: Compiled) -> anyhow::Result<Compiled> {
    let Some(model) = previews_model(&parent.model) else {
        anyhow::bail!(
            "--for preview: the spec of stack {} has no `previews:` (add it to make previews of it, or pick --for deploy|plan|destroy|all)",
            parent.model.stack
        );
    };
    Ok(crate::stack::compile_model(parent.loaded, model)?)
}
