//! The plan's cost block end to end on the local AWS emulator: "before" is what is deployed
//! (the deployed template, the services as ECS runs them), "after" what the spec asks for,
//! and only the items whose cost changes are listed — in text, markdown and JSON.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use emulator::Emulator;
use serde_json::Value;

const IMAGES: [&str; 4] = ["--image", "monolith=registry.example/mysfits/monolith:v1", "--image", "like=registry.example/mysfits/like:v1"];

fn mysfits() -> String {
    std::fs::read_to_string(common::root().join("stacks/mysfits.yaml")).expect("the example")
}

/// The example with an edit, beside its build contexts.
fn spec(dir: &std::path::Path, name: &str, text: &str) -> String {
    let link = dir.join("mysfits");
    if !link.exists() {
        std::os::unix::fs::symlink(common::root().join("stacks/mysfits"), &link).expect("link build contexts");
    }
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write spec");
    file.to_string_lossy().into_owned()
}

fn plan(emulator: &Emulator, file: &str, format: &str, more: &[&str]) -> emulator::Run {
    let mut args = vec!["plan", file, "--format", format];
    args.extend_from_slice(&IMAGES);
    args.extend_from_slice(more);
    emulator.run(&args, &[])
}

fn cost(emulator: &Emulator, file: &str) -> Value {
    let out = plan(emulator, file, "json", &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).expect("the JSON plan");
    v["cost"].clone()
}

/// The one item a plan lists, and its before and after.
fn only_item(cost: &Value) -> (String, f64, f64) {
    let items = cost["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "only the edited service's cost changes: {cost}");
    let f = |k: &str| items[0][k].as_f64().expect("a figure");
    (items[0]["name"].as_str().unwrap_or_default().to_string(), f("monthly_before"), f("monthly_after"))
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-6, "{a} ≠ {b}");
}

/// us-east-1's Fargate rates from the built-in table: (vCPU-hour, GB-hour).
fn rates(path: &[&str]) -> (f64, f64) {
    let table: Value =
        serde_json::from_str(&std::fs::read_to_string(common::root().join("src/cost/prices.json")).expect("table")).expect("json");
    let r = path.iter().fold(&table["regions"]["us-east-1"]["fargate"], |v, k| &v[*k]);
    (r["vcpu_hour"].as_f64().expect("vcpu"), r["gb_hour"].as_f64().expect("gb"))
}

/// The monolith's two tasks of 0.25 vCPU and 0.5 GB, a month at a rate.
fn monolith(rate: (f64, f64), tasks: f64) -> f64 {
    730.0 * tasks * (0.25 * rate.0 + 0.5 * rate.1)
}

#[test]
fn a_plan_shows_the_cost_of_what_changes_by_aws_list_prices() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = vec!["deploy", "stacks/mysfits.yaml", "--yes"];
    args.extend_from_slice(&IMAGES);
    let deployed = emulator.run(&args, &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);

    // `status`: what runs now, each service at the tasks running.
    let status = emulator.run(&["status", "stacks/mysfits.yaml", "--output", "json"], &[]);
    assert_eq!(status.code, 0, "{}{}", status.stdout, status.stderr);
    let status: Value = serde_json::from_str(&status.stdout).expect("json");
    let running = status["services"].as_array().expect("services").iter().find(|s| s["name"] == "monolith").expect("monolith")["running"]
        .as_f64()
        .expect("a count");
    let now =
        status["cost"]["items"].as_array().expect("items").iter().find(|i| i["name"] == "service monolith").expect("its line").clone();
    close(now["monthly_after"].as_f64().expect("a figure"), monolith(rates(&["x86_64"]), running));
    assert!(status["cost"]["items"].as_array().expect("items").iter().any(|i| i["kind"] == "load_balancer"), "{status}");
    let text = emulator.run(&["status", "stacks/mysfits.yaml"], &[]).stdout;
    assert!(text.contains(&format!("running cost: {:.2} USD a month", status["cost"]["monthly_after"].as_f64().expect("total"))), "{text}");

    // Unchanged: the same figure before and after, no item.
    let same = cost(&emulator, "stacks/mysfits.yaml");
    assert_eq!(same["items"], serde_json::json!([]), "{same}");
    assert_eq!(same["monthly_before"], same["monthly_after"]);
    assert!(same["monthly_before"].as_f64().expect("a total") > 0.0, "{same}");
    assert_eq!((same["currency"].as_str(), same["region"].as_str()), (Some("USD"), Some("us-east-1")));

    // Twice the tasks: exactly twice the service's Fargate line, and the total moves by it.
    let base = mysfits();
    let doubled = spec(dir.path(), "doubled.yaml", &base.replace("    count: 2\n    command:", "    count: 4\n    command:"));
    let c = cost(&emulator, &doubled);
    let (name, before, after) = only_item(&c);
    assert_eq!(name, "service monolith");
    close(before, monolith(rates(&["x86_64"]), 2.0));
    close(after, 2.0 * before);
    close(c["monthly_after"].as_f64().expect("after") - c["monthly_before"].as_f64().expect("before"), before);
    assert_eq!(c["items"][0]["detail"], "4 tasks × 0.25 vCPU, 0.5 GiB, x86_64, on demand");
    let text = plan(&emulator, &doubled, "text", &[]).stdout;
    assert!(text.contains(&format!("  ~ service monolith: {before:.2} → {after:.2} (+{:.2}): 4 tasks", after - before)), "{text}");
    let markdown = plan(&emulator, &doubled, "markdown", &[]).stdout;
    assert!(markdown.contains("#### Cost\n\n**Estimated monthly cost: "), "{markdown}");
    assert!(markdown.contains(&format!("| `service monolith` | {before:.2} | {after:.2} | +{:.2} |", after - before)), "{markdown}");

    // arm64, then Fargate Spot: lower by exactly the listed prices.
    let arm = spec(dir.path(), "arm.yaml", &base.replace("    count: 2\n    command:", "    count: 2\n    platform: arm64\n    command:"));
    let (_, before, after) = only_item(&cost(&emulator, &arm));
    close(before - after, monolith(rates(&["x86_64"]), 2.0) - monolith(rates(&["arm64"]), 2.0));
    let spot = spec(
        dir.path(),
        "spot.yaml",
        &base.replace("    count: 2\n    command:", "    count: 2\n    capacity: { spot: 100 }\n    command:"),
    );
    let c = cost(&emulator, &spot);
    let (_, before, after) = only_item(&c);
    close(before - after, monolith(rates(&["x86_64"]), 2.0) - monolith(rates(&["spot", "x86_64"]), 2.0));
    assert_eq!(c["items"][0]["detail"], "2 tasks × 0.25 vCPU, 0.5 GiB, x86_64, Fargate Spot");
}

#[test]
fn a_region_without_prices_or_without_spot_fails_the_plan_naming_it() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut table: Value =
        serde_json::from_str(&std::fs::read_to_string(common::root().join("src/cost/prices.json")).expect("table")).expect("json");
    let us_east_1 = table["regions"]["us-east-1"].clone();
    table["regions"].as_object_mut().expect("regions").remove("us-east-1");
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::write(&elsewhere, table.to_string()).expect("write");
    let out = plan(&emulator, "stacks/mysfits.yaml", "text", &["--prices", elsewhere.to_str().expect("utf-8")]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("has no prices for region us-east-1"), "{}", out.stderr);

    let mut no_spot = us_east_1;
    no_spot["fargate"].as_object_mut().expect("fargate").remove("spot");
    table["regions"]["us-east-1"] = no_spot;
    let without_spot = dir.path().join("without-spot.json");
    std::fs::write(&without_spot, table.to_string()).expect("write");
    let spot = spec(
        dir.path(),
        "spot.yaml",
        &mysfits().replace("    count: 2\n    command:", "    count: 2\n    capacity: { spot: 100 }\n    command:"),
    );
    let out = plan(&emulator, &spot, "json", &["--prices", without_spot.to_str().expect("utf-8")]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("region us-east-1 has no Fargate Spot price, but service monolith runs tasks on FARGATE_SPOT"),
        "{}",
        out.stderr
    );
}
