//! `ecship init [--from-compose FILE | --from-service CLUSTER/SERVICE] [-o FILE] [--force]`:
//! a stack spec from what a team has, checked with `validate` before it is written.

use std::io::{self, IsTerminal};
use std::path::Path;

use serde_yaml::{Mapping, Value};

use crate::cli::InitArgs;
use crate::exit;
use crate::init::{self, compose, Converted};
use crate::report::Report;

use super::session::Session;

pub fn run(args: &InitArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    if args.out.exists() && !args.force {
        report
            .error(&anyhow::anyhow!("{} exists: nothing was written — pass --force to replace it, or -o another file", args.out.display()));
        return Ok(exit::ERROR);
    }
    let (converted, origin) = if let Some(file) = &args.from_compose {
        let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        match compose::convert(&text, file, &args.out, args.stack.as_deref()) {
            Ok(c) => (c, file.display().to_string()),
            Err(e) => return failed(e.into(), report),
        }
    } else if let Some(dir) = &args.from_copilot {
        match crate::init::copilot::convert(dir, &args.out, args.stack.as_deref()) {
            Ok(c) => (c, format!("the Copilot workspace {}", dir.display())),
            Err(e) => return failed(e.into(), report),
        }
    } else if let Some(target) = &args.from_service {
        let session = Session::open(global, None)?;
        match session.call(async |aws| crate::ops::init::from_service(aws, target, args.stack.as_deref()).await) {
            Ok(c) => (c, format!("the ECS service {target}")),
            Err(e) => return failed(e.into(), report),
        }
    } else if io::stdin().is_terminal() {
        (ask(args, report)?, "a few answers".to_string())
    } else {
        report.error(&anyhow::anyhow!("nothing to start from: give --from-compose FILE or --from-service CLUSTER/SERVICE (or run it on a terminal to answer a few questions)"));
        return Ok(exit::ERROR);
    };
    write(args, &converted, &origin, report)
}

fn failed(e: anyhow::Error, report: &mut Report) -> anyhow::Result<u8> {
    report.error(&e);
    Ok(exit::ERROR)
}

/// Check the spec, write it (whole or not at all), and list what was left out.
fn write(args: &InitArgs, c: &Converted, origin: &str, report: &mut Report) -> anyhow::Result<u8> {
    if let Err(e) = init::refuse_look_alikes(c) {
        return failed(e.into(), report);
    }
    let text = c.to_yaml(origin);
    if let Err(e) = init::check(&text, &args.out) {
        return failed(e.into(), report);
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = args.out.with_extension("yaml.tmp");
    std::fs::write(&tmp, &text)?;
    std::fs::rename(&tmp, &args.out)?;
    for note in &c.notes {
        report.warn(note)?;
    }
    if report.json() {
        report.json_line(
            &serde_json::json!({ "result": "written", "file": args.out, "stack": c.stack, "services": c.services.len(), "notes": c.notes }),
        )?;
    } else {
        report.line(&format!(
            "wrote {} — stack {}, {} service{}; next: ecship plan {}",
            args.out.display(),
            c.stack,
            c.services.len(),
            crate::human::plural(c.services.len()),
            args.out.display()
        ))?;
    }
    Ok(exit::OK)
}

/// A short start on a terminal: the stack's name, one service, its image and port.
fn ask(args: &InitArgs, report: &mut Report) -> anyhow::Result<Converted> {
    let default_stack = args.stack.clone().unwrap_or_else(|| {
        std::env::current_dir().ok().and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned())).unwrap_or_else(|| "app".into())
    });
    let stack = init::dns_name(&report.ask("stack name", &init::dns_name(&default_stack, 24))?, 24);
    let service = init::dns_name(&report.ask("first service", "web")?, 32);
    let image = report.ask("its image (repository:tag, or a directory with a Dockerfile)", "nginx:1.27")?;
    let port = report.ask("the port it listens on (empty: none)", "80")?;
    let mut svc = Mapping::new();
    if Path::new(&image).join("Dockerfile").is_file() {
        let mut build = Mapping::new();
        build.insert("build".into(), Value::from(image));
        svc.insert("image".into(), Value::Mapping(build));
    } else {
        svc.insert("image".into(), Value::from(image));
    }
    if let Ok(p) = port.parse::<u16>() {
        svc.insert("port".into(), Value::from(p));
        let mut route = Mapping::new();
        route.insert("path".into(), "/*".into());
        svc.insert("routes".into(), Value::Sequence(vec![Value::Mapping(route)]));
    }
    let mut c = Converted { stack, ..Converted::default() };
    c.services.insert(Value::from(service), Value::Mapping(svc));
    Ok(c)
}
