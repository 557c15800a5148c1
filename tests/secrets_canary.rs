//! No secret value ever shows: canary values are planted in every input that carries one —
//! the AWS secret key and session token, the registry's login token (the emulator's ECR
//! token), and a value interpolated into a secret-named variable — and every command's
//! output (text and JSON, errors included), the rendered template and a saved plan are
//! searched for them, and for the stack's test-route secret (which AWS generates, and ecship
//! sends with the HTTP checks that go through a test rule).

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/oci.rs"]
mod oci;
#[path = "common/registry.rs"]
mod registry;
#[path = "common/rollouts.rs"]
mod rollouts;

use emulator::Emulator;
use registry::{Registry, ECR_TOKEN};
use rollouts::{test_rule_headers, CheckServer};

const SECRET_KEY: &str = "canary-secret-key-4f1d2b9e77";
const SESSION_TOKEN: &str = "canary-session-token-8c03aa51";
const INTERPOLATED: &str = "canary-db-password-19e6c2d0";

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_value_reaches_a_template_plan_log_or_error() {
    let emulator = Emulator::start();
    let registry = Registry::start(ECR_TOKEN);
    let check = CheckServer::start(200);
    let dir = tempfile::tempdir().expect("dir");
    oci::write_layout(&dir.path().join("layout"), &[("app", oci::random_bytes(4096, 1))]);
    let spec = dir.path().join("stack.yaml");
    std::fs::write(
        &spec,
        "stack: vault\nnetwork: { cidr: 10.0.0.0/16, azs: 2, nat: none }\nload_balancer: { public: true, http: 80 }\nservices:\n  app:\n    image: { oci: ./layout, tag: r1 }\n    port: 80\n    routes: [ { path: \"/*\" } ]\n    secrets: { API_KEY: \"ssm:/canary/api-key\", DB: \"secretsmanager:canary/db:password\" }\n    deploy: { strategy: blue_green, blue_green: { bake: 1s } }\n",
    )
    .expect("write");
    // The next revision, rolled out blue/green with an HTTP check through green's test rule.
    let next = dir.path().join("next.yaml");
    let text = std::fs::read_to_string(&spec).expect("spec").replace(
        "deploy: { strategy: blue_green, blue_green: { bake: 1s } }",
        "env: { V: \"2\" }\n    deploy: { strategy: blue_green, blue_green: { bake: 1s }, check: { http: /health, interval: 1s } }",
    );
    std::fs::write(&next, text).expect("write");
    let leaky = dir.path().join("leaky.yaml");
    std::fs::write(&leaky, "stack: leaky\nservices:\n  app:\n    image: nginx:1.27\n    env: { DB_PASSWORD: \"${DB_PASSWORD}\" }\n")
        .expect("write");
    let (spec, next, leaky) = (spec.display().to_string(), next.display().to_string(), leaky.display().to_string());
    let saved = dir.path().join("plan.json").display().to_string();
    let env = [
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ("DB_PASSWORD", INTERPOLATED),
        ("ECSHIP_REGISTRY_ENDPOINT", registry.url.as_str()),
        ("ECSHIP_CHECK_ENDPOINT", check.url.as_str()),
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
        vec!["plan", &next],
        vec!["plan", &next, "--format", "json"],
        vec!["deploy", &next, "--output", "json"],
        vec!["status", &next],
        vec!["rollback", &next, "--yes", "--output", "json"],
        vec!["deploy", &next],
        vec!["deploy", &leaky],
    ];
    let mut everything = String::new();
    let mut run = |args: &[&str]| {
        let out = emulator.run(args, &env);
        everything.push_str(&format!("$ ecship {}\n{}{}\n", args.join(" "), out.stdout, out.stderr));
    };
    for args in &commands {
        run(args);
    }
    // The test-route secret, as the load balancer's test rules hold it.
    let rules = test_rule_headers(&emulator).await;
    let secret =
        rules.first().and_then(|(_, v)| v.first()).and_then(|v| v.split_once('.')).map(|(_, s)| s.to_string()).expect("test rules");
    assert_eq!(secret.len(), 32, "{rules:?}");
    assert!(check.test_headers().iter().any(|h| h.ends_with(&secret)), "the checks went through the test rules with it");
    run(&["destroy", &spec, "--yes", "--output", "json"]);
    run(&["destroy", &spec, "--yes"]);
    // The runs did what they say (else the search proves little).
    assert!(everything.contains("deployed vault"), "{everything}");
    assert!(everything.contains("DB_PASSWORD"), "the leaky spec is refused, naming the variable: {everything}");
    assert!(everything.contains(r#""result":"destroyed""#), "{everything}");
    assert!(everything.contains("X-Ecship-Colour: (sensitive)"), "the plan names the test rule's header: {everything}");
    assert!(everything.contains(r#""result":"rolled_back","services":[{"from":"vault-app:2""#), "the rollback ran: {everything}");
    everything.push_str(&std::fs::read_to_string(&saved).expect("the saved plan"));
    // And with a wrong registry token: the error names the refusal, not the token.
    let wrong = emulator.run(&["push", &spec], &[("ECSHIP_REGISTRY_ENDPOINT", &Registry::start("another-token").url)]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    everything.push_str(&wrong.stderr);
    for canary in [SECRET_KEY, SESSION_TOKEN, INTERPOLATED, ECR_TOKEN, secret.as_str()] {
        assert!(!everything.contains(canary), "{canary} shows:\n{everything}");
    }
}
