//! `ecship init --from-service` on the local emulator: a deployed service comes back as a
//! spec that validates and names the same image, port, cpu, memory, count, env and routes.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use emulator::Emulator;

const SPEC: &str = "stack: shop\nregion: us-east-1\nnetwork: { cidr: 10.0.0.0/16, azs: 2, nat: none }\nload_balancer: { public: true, http: 80 }\nservices:\n  web:\n    image: ghcr.io/acme/web:3.1.0\n    port: 8080\n    cpu: 512\n    memory: 2048\n    count: 2\n    command: [ ./web, --port, \"8080\" ]\n    routes: [ { path: \"/api/*\" }, { path: \"/admin*\", host: admin.example.com } ]\n    env: { MODE: live, PAGE_SIZE: \"50\" }\n    secrets: { DB_URL: \"ssm:/shop/db-url\" }\n";

#[tokio::test]
async fn a_deployed_service_comes_back_as_the_spec_it_was_deployed_from() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shop.yaml");
    std::fs::write(&file, SPEC).expect("write");
    let file = file.to_string_lossy().into_owned();
    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);

    let out = dir.path().join("back.yaml").to_string_lossy().into_owned();
    let init = emulator.run(&["init", "--from-service", "shop/web", "--stack", "shop-copy", "-o", &out], &[]);
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let validated = emulator.run(&["validate", &out], &[]);
    assert_eq!(validated.code, 0, "{}", validated.stderr);

    let spec: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&out).expect("written")).expect("YAML");
    let was: serde_yaml::Value = serde_yaml::from_str(SPEC).expect("YAML");
    let (web, before) = (&spec["services"]["web"], &was["services"]["web"]);
    for key in ["port", "cpu", "memory", "count", "command", "env", "secrets"] {
        assert_eq!(web[key], before[key], "{key}: {}", serde_yaml::to_string(web).unwrap_or_default());
    }
    // The service runs the digest its tag named when it was deployed.
    let pinned = emulator.catalog.pinned(before["image"].as_str().expect("an image"));
    assert_eq!(web["image"].as_str(), Some(pinned.as_str()));
    let mut routes: Vec<String> =
        web["routes"].as_sequence().expect("routes").iter().map(|r| serde_yaml::to_string(r).unwrap_or_default()).collect();
    let mut expected: Vec<String> =
        before["routes"].as_sequence().expect("routes").iter().map(|r| serde_yaml::to_string(r).unwrap_or_default()).collect();
    routes.sort();
    expected.sort();
    assert_eq!(routes, expected);

    let missing = emulator.run(&["init", "--from-service", "shop/api", "-o", &dir.path().join("x.yaml").to_string_lossy()], &[]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("cluster shop has no service api (its services: web)"), "{}", missing.stderr);
}
