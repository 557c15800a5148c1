//! `ecship render FILE`: the CloudFormation template of a stack, as JSON or YAML — the root
//! and each nested stack's when it is too large for one.

use crate::cli::{RenderArgs, TemplateFormat};
use crate::exit;
use crate::report::Report;
use crate::synth::Template;

use super::session::Session;

pub fn run(args: &RenderArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_or_report(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    // A hosted zone given by name is looked up in Route 53, an adopted database in RDS: the
    // template names their ids.
    let compiled = if compiled.model.has_zones_to_look_up() || compiled.model.databases_to_look_up().next().is_some() {
        let session = Session::open(global, compiled.model.region.as_deref())?;
        super::with_zones(compiled, &session)?
    } else {
        compiled
    };
    for limit in &compiled.limits {
        report.warn(&format!("{}; `ecship deploy` will refuse this template", limit.message()))?;
    }
    let text = |t: &Template| match args.format {
        TemplateFormat::Json => t.to_json(),
        TemplateFormat::Yaml => t.to_yaml(),
    };
    let stacks = &compiled.fresh;
    if let Some(dir) = &args.stacks_dir {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        let ext = if args.format == TemplateFormat::Json { "json" } else { "yaml" };
        report.document(&text(&stacks.root), Some(&dir.join(format!("root.{ext}"))))?;
        for (name, t) in &stacks.nested {
            report.document(&text(t), Some(&dir.join(format!("{name}.{ext}"))))?;
        }
        return Ok(exit::OK);
    }
    if !stacks.nested.is_empty() {
        report.warn(&format!(
            "this is the root stack; the services' resources are in {} nested stacks (CloudFormation takes 500 resources a stack): --stacks-dir DIR writes them all",
            stacks.nested.len()
        ))?;
    }
    report.document(&text(&stacks.root), args.out.as_deref())?;
    Ok(exit::OK)
}
