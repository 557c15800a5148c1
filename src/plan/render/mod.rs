//! A plan as text (terminal, CI logs) and markdown (a pull-request comment or a GitHub
//! Actions job summary). The JSON form is the `Plan` value itself. Changes that destroy
//! data come first, under a warning of their own; then replacements and deletions, marked
//! loudest; each empty section says "no changes".

pub mod cost;
mod rollout;

pub use rollout::lines as rollout_lines;

use std::fmt::Write;

use serde_json::Value;

use super::infra::{Action, ResourceChange};
use super::jobs::{JobAction, JobChange};
use super::services::{FieldChange, ServiceAction, ServiceChange};
use super::{ImageAction, ImageStep, PinnedImage, Plan, StackAction, TemplateUpload};
use crate::human::{kib, mib, plural};
use crate::image::reference::Reference;

/// One line: what the plan does, or that it does nothing.
pub fn headline(p: &Plan) -> String {
    let s = &p.summary;
    if !s.changes {
        return format!("stack {}: no changes", p.stack);
    }
    let mut parts = Vec::new();
    let mut count = |n: usize, what: &str| {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    };
    count(p.destroys_data().count(), "destroying data");
    count(s.resources_to_replace, "to replace");
    count(s.resources_to_remove, "to remove");
    count(s.resources_to_change, "to change");
    count(s.resources_to_add, "to add");
    let infra = if parts.is_empty() {
        match p.infrastructure.action {
            StackAction::None => "no infrastructure changes".to_string(),
            StackAction::Create | StackAction::Update => "infrastructure: outputs change".to_string(),
        }
    } else {
        format!("resources: {}", parts.join(", "))
    };
    let mut svc = Vec::new();
    for (n, what) in [(s.services_to_delete, "to delete"), (s.services_to_update, "to update"), (s.services_to_create, "to create")] {
        if n > 0 {
            svc.push(format!("{n} {what}"));
        }
    }
    let services = if svc.is_empty() { "no service changes".to_string() } else { format!("services: {}", svc.join(", ")) };
    let images = match p.images.len() {
        0 => String::new(),
        1 => "; 1 image to push".to_string(),
        n => format!("; {n} images to push"),
    };
    let jobs = match p.jobs.len() {
        0 => String::new(),
        1 => "; 1 job to change".to_string(),
        n => format!("; {n} jobs to change"),
    };
    format!("stack {}: {infra}{images}; {services}{jobs}", p.stack)
}

fn symbol(a: Action) -> &'static str {
    match a {
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::Update => "~",
        Action::Create => "+",
    }
}

fn service_symbol(a: ServiceAction) -> &'static str {
    match a {
        ServiceAction::Delete => "-",
        ServiceAction::Update => "~",
        ServiceAction::Create => "+",
    }
}

fn value(v: Option<&Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(other) => other.to_string(),
    }
}

fn text_value(v: Option<&String>) -> String {
    v.map(|s| format!("{s:?}")).unwrap_or_else(|| "(none)".into())
}

pub(crate) fn resource_line(c: &ResourceChange) -> String {
    let what = match c.action {
        Action::Replace => format!("REPLACE (forced by {})", c.replaced_by.join(", ")),
        Action::Delete if c.retained => format!("leaves the stack, {RETAINED}"),
        Action::Delete => "DELETE".into(),
        Action::Update if c.hand_over => HAND_OVER.into(),
        Action::Update => "update in place".into(),
        Action::Create => "add".into(),
    };
    let data = if c.destroys_data { format!(" — {DESTROYS}") } else { String::new() };
    format!("{} {} ({}{}): {what}{data}", symbol(c.action), id(c), c.resource_type, named(c))
}

/// ` forum-web-cpu`: the resource's own name, when the plan knows it.
fn named(c: &ResourceChange) -> String {
    c.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default()
}

const HAND_OVER: &str = "update: ACM replaces the certificate (its names change); the HTTPS listener moves to the new one once it is issued, then the old one is deleted — no downtime";
/// What a replacement does to a resource that holds data: CloudFormation creates a new,
/// empty one and lets the old one go (kept by `UpdateReplacePolicy`, then deleted by deploy
/// with `--allow-data-loss`).
fn replacement(resource_type: &str) -> &'static str {
    match resource_type {
        "AWS::S3::Bucket" => "replaced by a new, empty bucket; the objects stay in the old one until it is deleted",
        "AWS::DynamoDB::Table" => "replaced by a new, empty table (a new key cannot be given to a table that has items)",
        "AWS::RDS::DBInstance" | "AWS::RDS::DBCluster" => {
            "replaced by a new, empty database; CloudFormation takes a snapshot of the old one first"
        }
        _ => "replaced by an empty one",
    }
}

const DESTROYS: &str = "DESTROYS ITS DATA (deploy refuses without --allow-data-loss)";
const RETAINED: &str = "KEPT with its data (DeletionPolicy: Retain; the spec adopts it as an existing one)";

/// The warning above a plan that destroys data, one line per resource; none when it does not.
fn data_warning(p: &Plan) -> Vec<String> {
    let doomed: Vec<&ResourceChange> = p.destroys_data().collect();
    if doomed.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![format!(
        "DATA LOSS: this plan deletes or replaces {} resource{} that hold{} data, and the data with {}:",
        doomed.len(),
        plural(doomed.len()),
        if doomed.len() == 1 { "s" } else { "" },
        if doomed.len() == 1 { "it" } else { "them" }
    )];
    for c in doomed {
        let how = if c.action == Action::Replace { replacement(&c.resource_type) } else { "deleted" };
        lines.push(format!("  {} ({}): {how}", id(c), c.resource_type));
    }
    lines.push(
        "deploy refuses this plan without --allow-data-loss. To keep the data, keep the volume or storage entry in the spec under its name, or adopt what it holds as an existing one (`file_system: fs-…`, `existing: NAME`)".into(),
    );
    lines
}

/// `SvcWebTargetGroup`, or `Services2/SvcWebTargetGroup` in a nested stack.
fn id(c: &ResourceChange) -> String {
    match &c.stack {
        None => c.logical_id.clone(),
        Some(s) => format!("{s}/{}", c.logical_id),
    }
}

fn field_line(f: &FieldChange) -> String {
    match (&f.before, &f.after) {
        (None, a) => format!("+ {}: {}", f.field, text_value(a.as_ref())),
        (b, None) => format!("- {}: {}", f.field, text_value(b.as_ref())),
        (b, a) => format!("~ {}: {} → {}", f.field, text_value(b.as_ref()), text_value(a.as_ref())),
    }
}

fn service_line(c: &ServiceChange) -> String {
    let what = match c.action {
        ServiceAction::Delete => "DELETE (scaled to zero, its task definitions removed)".to_string(),
        ServiceAction::Create => format!("create{}", if c.new_revision { ", new task-definition revision" } else { "" }),
        ServiceAction::Update => format!("update{}", if c.new_revision { ", new task-definition revision" } else { "" }),
    };
    let count = match &c.autoscaling {
        Some(a) => match a.now {
            Some(now) => format!("; count managed by autoscaling ({}–{}), now {now}", a.min, a.max),
            None => format!("; count managed by autoscaling ({}–{})", a.min, a.max),
        },
        None => String::new(),
    };
    format!("{} {}: {what}{count}", service_symbol(c.action), c.service)
}

fn job_line(c: &JobChange) -> String {
    let what = match c.action {
        JobAction::Delete => "DELETE its schedule".to_string(),
        JobAction::Create => "create, new task-definition revision".to_string(),
        JobAction::Update if c.new_revision => "update, new task-definition revision".to_string(),
        JobAction::Update => "update".to_string(),
    };
    let symbol = match c.action {
        JobAction::Delete => "-",
        JobAction::Create => "+",
        JobAction::Update => "~",
    };
    format!("{symbol} {}: {what}", c.job)
}

pub fn text(p: &Plan) -> String {
    let mut out = String::new();
    let env = p.env.as_deref().map(|e| format!(" (env {e})")).unwrap_or_default();
    let _ = writeln!(out, "Plan for stack {}{env}: {}", p.stack, headline(p).split_once(": ").map(|x| x.1).unwrap_or(""));
    let warning = data_warning(p);
    if !warning.is_empty() {
        let _ = writeln!(out, "\n{}", warning.join("\n"));
    }
    text_infrastructure(&mut out, p);
    let _ = writeln!(out, "\nImages:");
    let pins = moved_pins(p);
    if p.images.is_empty() && pins.is_empty() {
        let _ = writeln!(out, "  no changes");
    }
    for i in &p.images {
        let _ = writeln!(out, "  + {}: {}", image_owner(i), image_line(i));
    }
    for pin in pins {
        let _ = writeln!(out, "  = {}", pin_line(pin));
    }
    let _ = writeln!(out, "\nServices:");
    if p.services.is_empty() {
        let _ = writeln!(out, "  no changes");
    }
    for c in &p.services {
        let _ = writeln!(out, "  {}", service_line(c));
        for f in &c.task_definition {
            let _ = writeln!(out, "      task definition {}", field_line(f));
        }
        for f in &c.settings {
            let _ = writeln!(out, "      service {}", field_line(f));
        }
    }
    if !p.jobs.is_empty() {
        let _ = writeln!(out, "\nJobs:");
    }
    for c in &p.jobs {
        let _ = writeln!(out, "  {}", job_line(c));
        for f in &c.task_definition {
            let _ = writeln!(out, "      task definition {}", field_line(f));
        }
        for f in &c.schedule {
            let _ = writeln!(out, "      {}", field_line(f));
        }
    }
    let _ = writeln!(out, "\nRollout:");
    if p.rollout.is_empty() && p.before.is_empty() {
        let _ = writeln!(out, "  no changes");
    }
    if !p.before.is_empty() {
        let _ = writeln!(out, "  before any service changes (a failure stops the deploy there):");
        for (i, b) in p.before.iter().enumerate() {
            let _ = writeln!(out, "    {}. {}", i + 1, b.describe());
        }
    }
    for r in &p.rollout {
        let _ = writeln!(out, "  {} {}:", r.service, rollout::about(r));
        for (i, step) in rollout::lines(r).iter().enumerate() {
            let _ = writeln!(out, "    {}. {step}", i + 1);
        }
    }
    if let Some(c) = &p.cost {
        out.push_str(&cost::text(c));
    }
    out
}

/// The Infrastructure section of the text form.
fn text_infrastructure(out: &mut String, p: &Plan) {
    let _ = writeln!(out, "\nInfrastructure{}:", if p.infrastructure.action == StackAction::Create { " (a new stack)" } else { "" });
    if p.infrastructure.changes.is_empty() && !p.infrastructure.outputs_changed {
        let _ = writeln!(out, "  no changes");
    }
    for t in &p.infrastructure.templates {
        let _ = writeln!(out, "  {}", upload_line(t));
    }
    for c in &p.infrastructure.changes {
        let _ = writeln!(out, "  {}", resource_line(c));
        for prop in &c.properties {
            let forced = match c.replaced_by.iter().any(|r| prop.path == *r || prop.path.starts_with(&format!("{r}."))) {
                true if c.hand_over => "  (a new certificate)",
                true => "  (forces replacement)",
                false => "",
            };
            let _ = writeln!(out, "      {}: {} → {}{forced}", prop.path, value(prop.before.as_ref()), value(prop.after.as_ref()));
        }
    }
    if p.infrastructure.outputs_changed {
        let _ = writeln!(out, "  ~ stack outputs change");
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

pub fn markdown(p: &Plan) -> String {
    let mut out = String::new();
    let env = p.env.as_deref().map(|e| format!(" (env `{e}`)")).unwrap_or_default();
    let _ = writeln!(out, "### ecship plan: `{}`{env}\n", p.stack);
    let _ = writeln!(out, "**{}**\n", headline(p));
    markdown_warnings(&mut out, p);
    markdown_infrastructure(&mut out, p);
    let _ = writeln!(out, "#### Images\n");
    let pins = moved_pins(p);
    if p.images.is_empty() && pins.is_empty() {
        let _ = writeln!(out, "No changes.\n");
    }
    for i in &p.images {
        let _ = writeln!(out, "- `{}`: {}", image_owner(i), md_escape(&image_line(i)));
    }
    for pin in &pins {
        let _ = writeln!(out, "- {}", md_escape(&pin_line(pin)));
    }
    if !p.images.is_empty() || !pins.is_empty() {
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "#### Services\n");
    if p.services.is_empty() {
        let _ = writeln!(out, "No changes.\n");
    }
    for c in &p.services {
        let _ = writeln!(out, "<details><summary><code>{}</code></summary>\n", md_escape(&service_line(c)));
        md_fields(&mut out, c.task_definition.iter().map(|f| ("task definition", f)).chain(c.settings.iter().map(|f| ("service", f))));
        let _ = writeln!(out, "\n</details>\n");
    }
    markdown_jobs(&mut out, p);
    let _ = writeln!(out, "#### Rollout\n");
    if p.rollout.is_empty() && p.before.is_empty() {
        let _ = writeln!(out, "No changes.\n");
    }
    for b in &p.before {
        let _ = writeln!(out, "- before any service changes: {}", md_escape(&b.describe()));
    }
    for r in &p.rollout {
        let _ = writeln!(out, "- `{}` {}: {}", r.service, rollout::about(r), rollout::lines(r).join(" → "));
    }
    if let Some(c) = &p.cost {
        let _ = writeln!(out);
        out.push_str(&cost::markdown(c));
    }
    out
}

/// The markdown form's infrastructure: templates uploaded, then a table of resource changes.
fn markdown_infrastructure(out: &mut String, p: &Plan) {
    let _ = writeln!(out, "#### Infrastructure\n");
    for t in &p.infrastructure.templates {
        let _ = writeln!(out, "- {}", md_escape(&upload_line(t)));
    }
    if !p.infrastructure.templates.is_empty() {
        let _ = writeln!(out);
    }
    if p.infrastructure.changes.is_empty() && !p.infrastructure.outputs_changed {
        let _ = writeln!(out, "No changes.\n");
    } else {
        let _ = writeln!(out, "| | resource | type | impact | changed properties |\n|---|---|---|---|---|");
        for c in &p.infrastructure.changes {
            let mut impact = match c.action {
                Action::Replace => format!("**replace** ({})", c.replaced_by.join(", ")),
                Action::Delete if c.retained => "leaves the stack, **kept with its data** (retained)".into(),
                Action::Delete => "**delete**".into(),
                Action::Update if c.hand_over => HAND_OVER.into(),
                Action::Update => "update in place".into(),
                Action::Create => "add".into(),
            };
            if c.destroys_data {
                impact.push_str(", **destroys its data**");
            }
            let props: Vec<String> = c.properties.iter().map(|p| format!("`{}`", md_escape(&p.path))).collect();
            let _ = writeln!(
                out,
                "| `{}` | `{}` | `{}{}` | {impact} | {} |",
                symbol(c.action),
                id(c),
                c.resource_type,
                named(c),
                props.join(" ")
            );
        }
        if p.infrastructure.outputs_changed {
            let _ = writeln!(out, "| `~` | outputs | | update | |");
        }
        let _ = writeln!(out);
    }
}

/// The warnings at the top of the markdown form: data destroyed (a caution), then other
/// replacements and deletions.
fn markdown_warnings(out: &mut String, p: &Plan) {
    let warning = data_warning(p);
    if !warning.is_empty() {
        let _ = writeln!(out, "> [!CAUTION]");
        for line in &warning {
            let _ = writeln!(out, "> {}", md_escape(line.trim_start()));
        }
        let _ = writeln!(out);
    }
    let replaced: Vec<&ResourceChange> =
        p.infrastructure.changes.iter().filter(|c| matches!(c.action, Action::Replace | Action::Delete) && !c.destroys_data).collect();
    if !replaced.is_empty() {
        let _ = writeln!(out, "> [!WARNING]");
        for c in &replaced {
            let _ = writeln!(out, "> {}", md_escape(&resource_line(c)));
        }
        let _ = writeln!(out);
    }
}

/// Jobs that change, each folded with its fields.
fn markdown_jobs(out: &mut String, p: &Plan) {
    if !p.jobs.is_empty() {
        let _ = writeln!(out, "#### Jobs\n");
    }
    for c in &p.jobs {
        let _ = writeln!(out, "<details><summary><code>{}</code></summary>\n", md_escape(&job_line(c)));
        md_fields(out, c.task_definition.iter().map(|f| ("task definition", f)).chain(c.schedule.iter().map(|f| ("schedule", f))));
        let _ = writeln!(out, "\n</details>\n");
    }
}

/// A table of changed fields (none: no table), each row labelled with what it belongs to.
fn md_fields<'a>(out: &mut String, rows: impl Iterator<Item = (&'a str, &'a FieldChange)>) {
    let cell = |v: &Option<String>| v.as_deref().map(|s| format!("`{}`", md_escape(s))).unwrap_or_default();
    let mut rows = rows.peekable();
    if rows.peek().is_some() {
        let _ = writeln!(out, "| | field | before | after |\n|---|---|---|---|");
    }
    for (what, f) in rows {
        let _ = writeln!(out, "| {what} | `{}` | {} | {} |", md_escape(&f.field), cell(&f.before), cell(&f.after));
    }
}

/// `template: 84.1 KiB, uploaded to s3://… first (CloudFormation takes 51,200 bytes inline)`,
/// or `nested stack Services1: …` for a nested one.
fn upload_line(t: &TemplateUpload) -> String {
    match &t.stack {
        None => format!("template: {}, uploaded to {} first (CloudFormation takes 51,200 bytes inline)", kib(t.bytes as u64), t.location),
        Some(s) => format!("nested stack {s}: template {}, uploaded to {} first", kib(t.bytes as u64), t.location),
    }
}

/// `push oci ./dist/like to REPO:TAG (sha256:…, 3 blobs, 12.0 MiB)` or `build ./like, then
/// push to REPO:TAG (digest known after build)`.
/// Pinned images a changing task definition moves to: a new tag, or a tag that names
/// another digest than when last deployed.
fn moved_pins(p: &Plan) -> Vec<&PinnedImage> {
    let fields = p.services.iter().flat_map(|c| &c.task_definition).chain(p.jobs.iter().flat_map(|j| &j.task_definition));
    let moved: Vec<&str> =
        fields.filter(|f| f.field == "image" || f.field.ends_with(".image")).filter_map(|f| f.after.as_deref()).collect();
    p.pinned_images
        .iter()
        .filter(|pin| Reference::parse(&pin.image).is_some_and(|r| moved.contains(&r.pinned(&pin.digest).as_str())))
        .collect()
}

/// `SERVICE`, or `SERVICE/SIDECAR` for a sidecar's image.
fn image_owner(i: &ImageStep) -> String {
    match &i.sidecar {
        Some(sc) => format!("{}/{sc}", i.service),
        None => i.service.clone(),
    }
}

fn pin_line(pin: &PinnedImage) -> String {
    format!("{} is {} now (run by {})", pin.image, pin.digest, pin.used_by.join(", "))
}

fn image_line(i: &ImageStep) -> String {
    let to = if i.tag.starts_with('(') { i.repository.clone() } else { format!("{}:{}", i.repository, i.tag) };
    match i.digest.as_deref() {
        Some(d) => {
            let size = mib(i.bytes);
            let what = match i.source.strip_prefix("build ") {
                Some(context) if i.action == ImageAction::Build => format!("the image built from {context}"),
                _ => i.source.clone(),
            };
            format!("push {what} to {to} ({d}, {} blob{}, {size})", i.blobs, plural(i.blobs))
        }
        None => format!(
            "{}, then push to {to} ({} known after build)",
            i.source,
            if i.tag.starts_with('(') { "tag and digest" } else { "digest" }
        ),
    }
}
