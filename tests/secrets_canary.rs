//! No secret value ever shows: canary values are planted in every input that carries one —
//! the AWS secret key and session token, the registry's login token (the emulator's ECR
//! token), and a value interpolated into a secret-named variable — and every command's
//! output (text and JSON, errors included), the rendered template and a saved plan are
//! searched for them.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/oci.rs"]
mod oci;
#[path = "common/registry.rs"]
mod registry;

use emulator::Emulator;
use registry::{Registry, ECR_TOKEN};

const SECRET_KEY: &str = "canary-secret-key-4f1d2b9e77";
const SESSION_TOKEN: &str = "canary-session-token-8c03aa51";
const INTERPOLATED: &str = "canary-db-password-19e6c2d0";

#[test]
fn no_secret_value_reaches_a_template_plan_log_or_error() {
    let emulator = Emulator::start();
    let registry = Registry::start(ECR_TOKEN);
    let dir = tempfile::tempdir().expect("dir");
    oci::write_layout(&dir.path().join("layout"), &[("app", oci::random_bytes(4096, 1))]);
    let spec = dir.path().join("stack.yaml");
    std::fs::write(
        &spec,
        "stack: vault\nnetwork: { cidr: 10.0.0.0/16, azs: 2, nat: none }\nload_balancer: { public: true, http: 80 }\nservices:\n  app:\n    image: { oci: ./layout, tag: r1 }\n    port: 80\n    routes: [ { path: \"/*\" } ]\n    secrets: { API_KEY: \"ssm:/canary/api-key\", DB: \"secretsmanager:canary/db:password\" }\n    deploy: { strategy: blue_green, blue_green: { bake: 1s } }\n",
    )
    .expect("write");
    let leaky = dir.path().join("leaky.yaml");
    std::fs::write(&leaky, "stack: leaky\nservices:\n  app:\n    image: nginx:1.27\n    env: { DB_PASSWORD: \"${DB_PASSWORD}\" }\n")
        .expect("write");
    let (spec, leaky) = (spec.display().to_string(), leaky.display().to_string());
    let saved = dir.path().join("plan.json").display().to_string();
    let env = [
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ("DB_PASSWORD", INTERPOLATED),
        ("ECSHIP_REGISTRY_ENDPOINT", registry.url.as_str()),
    ];
    let commands: Vec<Vec<&str>> = vec![
        vec!["validate", &spec],
        vec!["validate", &leaky],
        vec!["render", &spec],
        vec!["plan", &spec],
        vec!["plan", &spec, "--format", "markdown"],
        vec!["plan", &spec, "--format", "json", "--out", &saved],
        vec!["push", &spec, "--output", "json"],
        vec!["deploy", &spec],
        vec!["deploy", &spec, "--output", "json"],
        vec!["status", &spec],
        vec!["status", &spec, "--output", "json"],
        vec!["rollback", &spec, "--yes", "--output", "json"],
        vec!["deploy", &leaky],
        vec!["destroy", &spec, "--yes", "--output", "json"],
        vec!["destroy", &spec, "--yes"],
    ];
    let mut everything = String::new();
    for args in &commands {
        let out = emulator.run(args, &env);
        everything.push_str(&format!("$ ecship {}\n{}{}\n", args.join(" "), out.stdout, out.stderr));
    }
    // The runs did what they say (else the search proves little).
    assert!(everything.contains("deployed vault"), "{everything}");
    assert!(everything.contains("DB_PASSWORD"), "the leaky spec is refused, naming the variable: {everything}");
    assert!(everything.contains(r#""result":"destroyed""#), "{everything}");
    everything.push_str(&std::fs::read_to_string(&saved).expect("the saved plan"));
    // And with a wrong registry token: the error names the refusal, not the token.
    let wrong = emulator.run(&["push", &spec], &[("ECSHIP_REGISTRY_ENDPOINT", &Registry::start("another-token").url)]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    everything.push_str(&wrong.stderr);
    for canary in [SECRET_KEY, SESSION_TOKEN, INTERPOLATED, ECR_TOKEN] {
        assert!(!everything.contains(canary), "{canary} shows:\n{everything}");
    }
}
