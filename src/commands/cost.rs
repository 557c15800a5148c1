//! `ecship cost FILE`: what the stack would cost a month deployed, from the spec alone.

use crate::cli::CostArgs;
use crate::cost::Pricing;
use crate::exit;
use crate::plan::render::cost::breakdown;
use crate::report::Report;

pub fn run(args: &CostArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    let compiled = match super::compile_or_report(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let region = m
        .region
        .clone()
        .or_else(|| global.region.map(str::to_string))
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()));
    let Some(region) = region else {
        anyhow::bail!("no region to price in: set `region:` in the spec, --region or AWS_REGION");
    };
    let table = super::price_table(args.prices.as_deref())?;
    let template = serde_json::to_value(&compiled.template)?;
    let cost = crate::plan::cost::fresh(&Pricing { table: &table, region: &region, assumptions: &m.cost }, m, &template)?;
    if report.json() {
        report.json_line(&Estimate { stack: m.stack.as_str(), cost: &cost })?;
    } else {
        report.document(&breakdown(m.stack.as_str(), &cost), None)?;
    }
    Ok(exit::OK)
}

/// `--output json`: the stack and its estimate.
#[derive(serde::Serialize)]
struct Estimate<'a> {
    stack: &'a str,
    cost: &'a crate::cost::Cost,
}
