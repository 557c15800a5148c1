//! `ecship render FILE`: the CloudFormation template of a stack, as JSON or YAML.

use crate::cli::{RenderArgs, TemplateFormat};
use crate::exit;
use crate::report::Report;

pub fn run(args: &RenderArgs, env: Option<&str>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_or_report(&args.file, env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    for limit in &compiled.limits {
        report.warn(&format!("{}; `ecship deploy` will refuse this template", limit.message()))?;
    }
    let text = match args.format {
        TemplateFormat::Json => compiled.template.to_json(),
        TemplateFormat::Yaml => compiled.template.to_yaml(),
    };
    report.document(&text, args.out.as_deref())?;
    Ok(exit::OK)
}
