//! A cost estimate in words: the plan's closing block (text and markdown, the items whose
//! cost changes) and `ecship cost`'s whole breakdown.

use std::fmt::Write;

use crate::cost::{Cost, Item};

/// `estimated monthly cost: 36.04 → 72.08 USD (+36.04)`.
pub fn summary(c: &Cost) -> String {
    format!("estimated monthly cost: {:.2} → {:.2} {} ({})", c.monthly_before, c.monthly_after, c.currency, signed(c.difference()))
}

/// `+36.04`, `-7.20`, `±0.00`.
fn signed(x: f64) -> String {
    if x.abs() < 0.005 {
        "±0.00".to_string()
    } else {
        format!("{x:+.2}")
    }
}

fn source(c: &Cost) -> String {
    format!("{}, prices as of {}", c.region, c.prices_as_of)
}

/// The plan's closing block in text.
pub fn text(c: &Cost) -> String {
    let mut out = format!("\nCost ({}):\n  {}\n", source(c), summary(c));
    for i in &c.items {
        let [before, after, difference] = figures(i);
        let _ = writeln!(out, "  ~ {}: {before} → {after} ({difference}): {}", i.name, i.detail);
    }
    let _ = writeln!(out, "  (an estimate: `ecship cost SPEC` lists every item and what it assumes)");
    out
}

/// The plan's closing block in markdown.
pub fn markdown(c: &Cost) -> String {
    let mut out = format!("#### Cost\n\n**{}** ({})\n\n", capitalised(&summary(c)), source(c));
    if !c.items.is_empty() {
        let _ = writeln!(out, "| item | before | after | difference | detail |\n|---|---:|---:|---:|---|");
        for i in &c.items {
            let [before, after, difference] = figures(i);
            let _ = writeln!(out, "| `{}` | {before} | {after} | {difference} | {} |", i.name, i.detail.replace('|', "\\|"));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "<details><summary>What the estimate assumes</summary>\n");
    for a in &c.assumptions {
        let _ = writeln!(out, "- {a}");
    }
    let _ = writeln!(out, "\n</details>");
    out
}

/// `ecship cost`: every item of the stack, and what the figures assume.
pub fn breakdown(stack: &str, c: &Cost) -> String {
    let mut out = format!("Estimated monthly cost of stack {stack} ({}): {:.2} {}\n", source(c), c.monthly_after, c.currency);
    let width = c.items.iter().map(|i| i.name.chars().count()).max().unwrap_or(0);
    for i in &c.items {
        let _ = writeln!(out, "  {:width$}  {:>9.2}  {}", i.name, i.monthly_after, i.detail);
    }
    let _ = writeln!(out, "Assumptions (set them under `cost:` in the spec):");
    for a in &c.assumptions {
        let _ = writeln!(out, "  - {a}");
    }
    out
}

/// An item's before, after and difference, to the cent.
fn figures(i: &Item) -> [String; 3] {
    let difference = crate::cost::money(i.monthly_after - i.monthly_before);
    [format!("{:.2}", i.monthly_before), format!("{:.2}", i.monthly_after), signed(difference)]
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
