//! `plan` end to end on the local AWS emulator: no noise on a freshly deployed stack, exactly
//! one change per kind of edit (in text, markdown and JSON), secrets never shown, and saved
//! plans applied only to the state they were made from.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use std::path::Path;

use emulator::Emulator;
use serde_json::Value;

const IMAGES: [&str; 4] = ["--image", "monolith=registry.example/mysfits/monolith:v1", "--image", "like=registry.example/mysfits/like:v1"];

fn run(emulator: &Emulator, args: &[&str], env: &[(&str, &str)]) -> emulator::Run {
    emulator.run(args, env)
}

/// A spec file beside the example's build contexts.
fn spec(dir: &Path, name: &str, text: &str) -> String {
    let link = dir.join("mysfits");
    if !link.exists() {
        std::os::unix::fs::symlink(common::root().join("stacks/mysfits"), &link).expect("link build contexts");
    }
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write spec");
    file.to_string_lossy().into_owned()
}

fn mysfits() -> String {
    std::fs::read_to_string(common::root().join("stacks/mysfits.yaml")).expect("the example")
}

/// ARNs, resource ids and fingerprints differ from run to run.
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with("arn:aws:") {
            let end = rest.find(['"', ' ', '`', '|', ',', '\n']).unwrap_or(rest.len());
            out.push_str("[arn]");
            rest = &rest[end..];
            continue;
        }
        let id = ["subnet-", "sg-", "vpc-"]
            .iter()
            .find(|p| rest.starts_with(**p) && rest[p.len()..].starts_with(|c: char| c.is_ascii_hexdigit()));
        if let Some(prefix) = id {
            let end = prefix.len() + rest[prefix.len()..].find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len() - prefix.len());
            out.push_str(prefix);
            out.push_str("[id]");
            rest = &rest[end..];
            continue;
        }
        let hex = rest.chars().take_while(char::is_ascii_hexdigit).count();
        if hex == 64 {
            out.push_str("[sha256]");
            rest = &rest[64..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The plan in all three forms, checking each run's exit code.
fn plan_forms(emulator: &Emulator, file: &str, env: &[(&str, &str)], expected_code: i32) -> (String, String, Value) {
    plan_forms_with(emulator, file, &IMAGES, env, expected_code)
}

fn plan_forms_with(emulator: &Emulator, file: &str, images: &[&str], env: &[(&str, &str)], expected_code: i32) -> (String, String, Value) {
    let mut forms = Vec::new();
    for format in ["text", "markdown", "json"] {
        let mut args = vec!["plan", file, "--detailed-exitcode", "--format", format];
        args.extend_from_slice(images);
        let out = run(emulator, &args, env);
        assert_eq!(out.code, expected_code, "plan --format {format}: {}{}", out.stdout, out.stderr);
        forms.push(out.stdout);
    }
    let json = serde_json::from_str(&forms[2]).expect("the JSON plan");
    (forms[0].clone(), forms[1].clone(), json)
}

fn deploy(emulator: &Emulator, file: &str) {
    let mut args = vec!["deploy", file, "--yes"];
    args.extend_from_slice(&IMAGES);
    let out = run(emulator, &args, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn a_freshly_deployed_example_stack_plans_no_changes_in_any_section() {
    let emulator = Emulator::start();
    for (file, images) in [("stacks/mysfits.yaml", &IMAGES[..]), ("stacks/forum.yaml", &[]), ("stacks/blog.yaml", &[])] {
        let mut args = vec!["deploy", file, "--yes"];
        args.extend_from_slice(images);
        let deployed = run(&emulator, &args, &[]);
        assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
        let (text, markdown, json) = plan_forms_with(&emulator, file, images, &[], 0);
        for section in ["Infrastructure:\n  no changes", "Images:\n  no changes", "Services:\n  no changes", "Rollout:\n  no changes"] {
            assert!(text.contains(section), "{file}: {section}\n{text}");
        }
        assert_eq!(markdown.matches("No changes.").count(), 4, "{file}: {markdown}");
        assert_eq!(json["summary"]["changes"], false, "{file}: {json}");
        assert_eq!(json["format_version"], 3);
    }
}

#[test]
fn each_kind_of_change_shows_up_alone_in_every_form() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let base = mysfits();
    deploy(&emulator, "stacks/mysfits.yaml");
    let with_worker =
        base.replace("environments:", "  worker:\n    image: registry.example/mysfits/worker:v1\n    count: 1\n\nenvironments:");
    let new_like = ["--image", IMAGES[1], "--image", "like=registry.example/mysfits/like:v2"];
    // (name, spec text, --image arguments, environment)
    type Case<'a> = (&'a str, String, &'a [&'a str], Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        ("env_var", base.clone(), &IMAGES, vec![("LOGLEVEL", "debug")]),
        ("image", base.clone(), &new_like, vec![]),
        ("cpu_memory", base.replace("    cpu: 256\n    memory: 512", "    cpu: 512\n    memory: 1024"), &IMAGES, vec![]),
        ("count", base.replace("    count: 2\n    command:", "    count: 3\n    command:"), &IMAGES, vec![]),
        ("route_path", base.replace("/mysfits/*/like\", priority: 100", "/mysfits/*/likes\", priority: 100"), &IMAGES, vec![]),
        ("new_service", with_worker, &IMAGES, vec![]),
        (
            "replacement",
            base.replace("    port: 80\n    count: 2\n    subnets: private", "    port: 8080\n    count: 2\n    subnets: private"),
            &IMAGES,
            vec![],
        ),
    ];
    for (name, text, images, env) in cases {
        if env.is_empty() && images == IMAGES {
            assert_ne!(text, base, "{name}: the edit applies");
        }
        let file = spec(dir.path(), &format!("{name}.yaml"), &text);
        let (text, markdown, json) = plan_forms_with(&emulator, &file, images, &env, 2);
        let json = serde_json::to_string_pretty(&json).expect("json");
        let shown = format!("{}\n--- markdown ---\n{}\n--- json ---\n{}\n", text, markdown, json)
            .replace(dir.path().to_string_lossy().as_ref(), "[dir]");
        insta::assert_snapshot!(format!("plan_{name}"), redact(&shown));
    }
}

#[test]
fn a_removed_service_is_planned_for_deletion() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let with_worker =
        mysfits().replace("environments:", "  worker:\n    image: registry.example/mysfits/worker:v1\n    count: 1\n\nenvironments:");
    let file = spec(dir.path(), "with-worker.yaml", &with_worker);
    deploy(&emulator, &file);
    let (text, markdown, json) = plan_forms(&emulator, "stacks/mysfits.yaml", &[], 2);
    let shown = format!("{}\n--- markdown ---\n{}\n--- json ---\n{}\n", text, markdown, serde_json::to_string_pretty(&json).expect("json"));
    insta::assert_snapshot!("plan_removed_service", redact(&shown));
}

#[test]
fn secret_references_never_show_in_any_form() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    deploy(&emulator, "stacks/mysfits.yaml");
    let canary = "CANARY-7f3a9c";
    let changed = mysfits().replace("ssm:/mysfits/api-key", &format!("ssm:/mysfits/{canary}"));
    let file = spec(dir.path(), "secret.yaml", &changed);
    let (text, markdown, json) = plan_forms(&emulator, &file, &[], 2);
    let services = |s: &str| s[s.find("Services").expect("a services section")..].to_string();
    assert!(text.contains("secrets.API_KEY: \"(sensitive)\" → \"(sensitive)\""), "{text}");
    for (form, shown) in [("text", services(&text)), ("markdown", services(&markdown)), ("json", json["services"].to_string())] {
        assert!(!shown.contains(canary), "{form} shows the secret's reference: {shown}");
        assert!(shown.contains("API_KEY"), "{form} names the secret: {shown}");
    }
}

#[test]
fn a_saved_plan_applies_only_to_the_state_it_was_made_from() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    // like is a canary: its bake is shortened so the test does not wait minutes at each step.
    let base = std::fs::read_to_string(common::root().join("stacks/mysfits.yaml")).expect("the example");
    let file = spec(dir.path(), "mysfits.yaml", &base.replace("bake: 5m", "bake: 1s"));
    let file = file.as_str();
    deploy(&emulator, file);
    let saved = dir.path().join("plan.json");
    let saved = saved.to_string_lossy();
    let plan = |env: &[(&str, &str)]| {
        let mut args = vec!["plan", file, "--out", &saved];
        args.extend_from_slice(&IMAGES);
        let out = run(&emulator, &args, env);
        assert_eq!(out.code, 0, "{}", out.stderr);
    };
    let apply = |env: &[(&str, &str)]| {
        let mut args = vec!["deploy", file, "--plan", &saved];
        args.extend_from_slice(&IMAGES);
        run(&emulator, &args, env)
    };

    // Planned and applied as planned.
    plan(&[("LOGLEVEL", "debug")]);
    let applied = apply(&[("LOGLEVEL", "debug")]);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert!(applied.stdout.contains("like canary (mysfits-like:2)"), "{}", applied.stdout);

    // The spec moved since the plan: refused.
    plan(&[("LOGLEVEL", "warn")]);
    let refused = apply(&[("LOGLEVEL", "error")]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("the spec (or the variables, environment or images it uses) changed since"), "{}", refused.stderr);

    // The deployed state moved since the plan (another deploy): refused, and nothing written.
    plan(&[("LOGLEVEL", "warn")]);
    let other = run(&emulator, &["deploy", file, IMAGES[0], IMAGES[1], IMAGES[2], IMAGES[3]], &[("LOGLEVEL", "trace")]);
    assert_eq!(other.code, 0, "{}", other.stderr);
    let refused = apply(&[("LOGLEVEL", "warn")]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("stack mysfits changed in AWS since"), "{}", refused.stderr);
    assert!(refused.stderr.contains("nothing was changed"), "{}", refused.stderr);
}

#[test]
fn plan_and_deploy_use_the_base_spec_and_say_which_environment_is_invalid() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = spec(dir.path(), "typo.yaml", &mysfits().replace("      monolith: { count: 4,", "      monolih: { count: 4,"));
    assert!(std::fs::read_to_string(&file).expect("spec").contains("monolih"), "the edit applies");
    let warning =
        format!("warning: environment prod is invalid (1 problem): `ecship validate {file}` lists them; this run uses the base spec");
    let mut args = vec!["plan", file.as_str()];
    args.extend_from_slice(&IMAGES);
    let planned = run(&emulator, &args, &[]);
    assert_eq!(planned.code, 0, "{}{}", planned.stdout, planned.stderr);
    assert!(planned.stderr.contains(&warning), "{}", planned.stderr);
    assert!(planned.stdout.contains("Plan for stack mysfits:"), "the base spec: {}", planned.stdout);
    deploy(&emulator, &file);
    let prod = run(&emulator, &["plan", &file, "--env", "prod", IMAGES[0], IMAGES[1], IMAGES[2], IMAGES[3]], &[]);
    assert_eq!(prod.code, 1, "the broken environment itself is refused: {}", prod.stderr);
    assert!(prod.stderr.contains("environments.prod.services.monolih"), "{}", prod.stderr);
}
