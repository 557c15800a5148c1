//! What registries are trusted with, end to end: the account's ECR login never reaches a host
//! that only looks like ECR's (whether a spec, `--image` or `init --from-compose` names it),
//! a token service on another host than its registry is asked anonymously, and a registry
//! endpoint in plain http off this machine is refused before any request. Servers that record
//! every Authorization header stand in for the look-alike host and the foreign token service;
//! the images themselves come from the real registry of the test catalog.

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/recorder.rs"]
mod recorder;
#[path = "common/registry.rs"]
mod registry;

use std::path::Path;

use emulator::Emulator;
use recorder::{Answer, Recorder};

const LOOK_ALIKE: &str = "123456789012.dkr.ecr.us-east-1.attacker.example";
const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
/// A private registry outside ECR, logged in to with `docker login`.
const TEAM: &str = "registry.example.com";

fn write_spec(dir: &Path, name: &str, services: &[(&str, &str)]) -> String {
    let mut text = format!("stack: {name}\nregion: us-east-1\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nservices:\n");
    for (svc, image) in services {
        text.push_str(&format!("  {svc}:\n    image: \"{image}\"\n"));
    }
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, text).expect("write the spec");
    file.to_string_lossy().into_owned()
}

/// A docker config whose `auths` log in to the team registry.
fn docker_login(dir: &Path) -> String {
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode("team:team-registry-password");
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join("config.json"), serde_json::json!({ "auths": { TEAM: { "auth": auth } } }).to_string()).expect("write");
    dir.to_string_lossy().into_owned()
}

/// The emulator's ECR login as it travels in a Basic Authorization header.
fn ecr_basic() -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("AWS:{}", registry::ECR_TOKEN)))
}

#[test]
fn a_host_that_only_looks_like_ecr_is_refused_before_any_request_and_never_sent_the_ecr_login() {
    let emulator = Emulator::start();
    let fake = Recorder::start(|_| Answer::new(404, &[], "{}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("{LOOK_ALIKE}/app:1");
    let spec = write_spec(dir.path(), "trap", &[("web", &image)]);
    let mirrors = format!("{},{LOOK_ALIKE}={}", emulator.catalog.mirrors(), fake.url);
    let env = [("ECSHIP_REGISTRY_MIRRORS", mirrors.as_str())];

    let validated = emulator.run(&["validate", &spec], &env);
    assert_eq!(validated.code, 1, "{}{}", validated.stdout, validated.stderr);
    let says = format!("services.web.image: `{LOOK_ALIKE}` looks like an ECR registry but is not one");
    assert!(validated.stderr.contains(&says), "{}", validated.stderr);
    let planned = emulator.run(&["plan", &spec], &env);
    assert_eq!(planned.code, 1, "{}{}", planned.stdout, planned.stderr);
    assert!(planned.stderr.contains(&says), "{}", planned.stderr);

    // The same host given with --image, over a spec that is fine.
    let fine = write_spec(dir.path(), "fine", &[("web", "nginx:1.27")]);
    let given = emulator.run(&["plan", &fine, "--image", &format!("web={image}")], &env);
    assert_eq!(given.code, 1, "{}{}", given.stdout, given.stderr);
    assert!(given.stderr.contains(&format!("--image web={image}: `{LOOK_ALIKE}` looks like an ECR registry")), "{}", given.stderr);

    let seen = fake.requests();
    assert!(
        seen.iter().all(|r| r.authorization.as_deref() != Some(ecr_basic().as_str())),
        "the ECR login reached the look-alike: {seen:?}"
    );
    assert!(seen.is_empty(), "refused before any request: {seen:?}");
}

#[test]
fn a_token_service_on_another_host_is_asked_anonymously() {
    let emulator = Emulator::start();
    let catalog_port: u16 = emulator.catalog.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
    // The token service: any caller gets a token, and each request is recorded.
    let realm = Recorder::start(|_| Answer::new(200, &[("Content-Type", "application/json")], r#"{"token":"gate-token"}"#));
    // The registry: it asks for a token from that service (on `localhost`, another port),
    // then serves the catalog's images to whoever brings one.
    let challenge = format!(r#"Bearer realm="http://localhost:{}/token",service="gate""#, realm.port());
    let gate = Recorder::start(move |r| match r.authorization.as_deref() {
        Some("Bearer gate-token") => recorder::forward_get(catalog_port, &r.path, r.accept.as_deref()),
        _ => Answer::new(401, &[("WWW-Authenticate", challenge.as_str())], r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = write_spec(dir.path(), "realms", &[("web", &format!("{ECR}/platform/api:2.0")), ("agent", &format!("{TEAM}/agent:1.0"))]);
    let mirrors = format!("{},{ECR}={},{TEAM}={}", emulator.catalog.mirrors(), gate.url, gate.url);
    let login = docker_login(&dir.path().join("docker"));
    let env = [("ECSHIP_REGISTRY_MIRRORS", mirrors.as_str()), ("DOCKER_CONFIG", login.as_str())];

    let plan = emulator.run(&["plan", &spec, "--output", "json"], &env);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let pinned = plan.result()["pinned_images"].as_array().map(Vec::len);
    assert_eq!(pinned, Some(2), "both images pinned through the token service: {}", plan.stdout);
    let asked = realm.requests();
    assert!(asked.len() >= 2, "the token service was asked for each image: {asked:?}");
    assert!(
        asked.iter().all(|r| r.authorization.is_none()),
        "neither the ECR login nor the docker login went to a token service on another host: {asked:?}"
    );
    assert!(gate.requests().iter().any(|r| r.authorization.as_deref() == Some("Bearer gate-token")), "the token was used");
}

#[test]
fn a_plain_http_registry_endpoint_off_this_machine_is_refused_before_any_request() {
    let emulator = Emulator::start();
    let listener = Recorder::start(|_| Answer::new(404, &[], "{}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = write_spec(dir.path(), "endpoint", &[("web", &format!("{ECR}/platform/api:2.0"))]);
    // The account's ECR host is read at the endpoint (no mirror names it): a URL whose host
    // is 127.0.0.1 behind a `localhost@` user passed a prefix test.
    let mirrors = format!("docker.io={}", emulator.catalog.url);
    let sneaky = format!("http://localhost@127.0.0.1:{}", listener.port());
    for (endpoint, why) in [
        (sneaky.as_str(), "a registry URL carries no user or password"),
        ("http://127.evil.example:5000", "plain http is only for this machine"),
    ] {
        let env = [("ECSHIP_REGISTRY_MIRRORS", mirrors.as_str()), ("ECSHIP_REGISTRY_ENDPOINT", endpoint)];
        let plan = emulator.run(&["plan", &spec], &env);
        assert_eq!(plan.code, 1, "{endpoint}: {}{}", plan.stdout, plan.stderr);
        assert!(plan.stderr.contains(&format!("--registry-endpoint (ECSHIP_REGISTRY_ENDPOINT) {endpoint}: {why}")), "{}", plan.stderr);
    }
    let mirrored = emulator.run(&["plan", &spec], &[("ECSHIP_REGISTRY_MIRRORS", &format!("{ECR}={sneaky}"))]);
    assert_eq!(mirrored.code, 1, "{}{}", mirrored.stdout, mirrored.stderr);
    assert!(mirrored.stderr.contains("a registry URL carries no user or password"), "{}", mirrored.stderr);
    assert!(listener.requests().is_empty(), "nothing was sent: {:?}", listener.requests());
}
