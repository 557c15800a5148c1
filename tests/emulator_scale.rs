//! Stacks the size of a real platform, end to end on the local emulator: templates too large
//! to send inline go through the asset bucket (and `destroy` removes what went there).

mod common;
#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/generated.rs"]
mod generated;

use emulator::{Emulator, ASSET_BUCKET};

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write spec");
    file.to_string_lossy().into_owned()
}

#[tokio::test]
async fn a_template_too_large_to_send_inline_goes_through_the_asset_bucket_and_destroy_removes_it() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "big.yaml", &generated::services("big", 25));

    let valid = emulator.run(&["validate", &file], &[]);
    assert_eq!(valid.code, 0, "{}", valid.stderr);
    assert!(valid.stdout.contains("template bytes (uploaded to the asset bucket: over the 51,200 sent inline)"), "{}", valid.stdout);

    let plan = emulator.run(&["plan", &file], &[]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let location = format!("uploaded to s3://{ASSET_BUCKET}/stacks/big/templates/");
    assert!(plan.stdout.contains(&location), "the plan says where the template goes: {}", plan.stdout);
    let json = emulator.run(&["plan", &file, "--format", "json"], &[]).result();
    let uploaded = &json["infrastructure"]["templates"][0];
    assert!(uploaded["location"].as_str().is_some_and(|l| l.starts_with(&format!("s3://{ASSET_BUCKET}/stacks/big/"))), "{uploaded}");
    assert!(uploaded["bytes"].as_u64().is_some_and(|b| b > 51_200), "{uploaded}");
    assert!(uploaded.get("stack").is_none(), "the root's: {uploaded}");

    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    assert!(deployed.stderr.contains(&format!("assets: creating the asset bucket {ASSET_BUCKET}")), "{}", deployed.stderr);

    // The bucket ecship made for itself: encrypted, private, versioned, old templates expiring.
    let config = emulator.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let encryption = s3.get_bucket_encryption().bucket(ASSET_BUCKET).send().await.expect("encryption");
    let rule = &encryption.server_side_encryption_configuration().expect("configuration").rules()[0];
    assert_eq!(rule.apply_server_side_encryption_by_default().map(|d| d.sse_algorithm().as_str()), Some("AES256"));
    let block = s3.get_public_access_block().bucket(ASSET_BUCKET).send().await.expect("public access block");
    let block = block.public_access_block_configuration().expect("configuration");
    assert_eq!(
        (block.block_public_acls(), block.ignore_public_acls(), block.block_public_policy(), block.restrict_public_buckets()),
        (Some(true), Some(true), Some(true), Some(true))
    );
    // Versioned: an object written twice keeps both versions.
    for body in ["one", "two"] {
        s3.put_object().bucket(ASSET_BUCKET).key("stacks/big/probe").body(body.as_bytes().to_vec().into()).send().await.expect("PutObject");
    }
    let versions = s3.list_object_versions().bucket(ASSET_BUCKET).prefix("stacks/big/probe").send().await.expect("versions");
    assert_eq!(versions.versions().len(), 2, "versioning is on");
    let lifecycle = s3.get_bucket_lifecycle_configuration().bucket(ASSET_BUCKET).send().await.expect("lifecycle");
    assert_eq!(lifecycle.rules()[0].expiration().and_then(|e| e.days()), Some(30));

    let again = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(again.code, 0, "a deployed stack plans no changes: {}", again.stdout);
    assert!(!again.stdout.contains("uploaded to"), "nothing to upload without a change: {}", again.stdout);

    let destroyed = emulator.run(&["destroy", "--stack", "big", "--yes"], &[]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    assert!(destroyed.stdout.contains("2 templates;"), "the template and the probe, every version: {}", destroyed.stdout);
    emulator.assert_nothing_left("big").await;
}

#[tokio::test]
async fn an_asset_bucket_of_another_account_or_one_that_does_not_exist_stops_the_run_before_any_write() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "big.yaml", &generated::services("big", 25));
    // A bucket of that name, in another account.
    let config = emulator.sdk_config().await;
    let role = aws_sdk_sts::Client::new(&config)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/other")
        .role_session_name("other")
        .send()
        .await
        .expect("AssumeRole");
    let c = role.credentials().expect("credentials");
    let other = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&emulator.url)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "other",
        ))
        .load()
        .await;
    let theirs = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&other).force_path_style(true).build());
    theirs.create_bucket().bucket("shared-name").send().await.expect("their bucket");

    let refused = emulator.run(&["deploy", &file, "--yes", "--asset-bucket", "shared-name"], &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("the asset bucket shared-name belongs to another account, or refuses this one (123456789012): nothing was changed"),
        "{}",
        refused.stderr
    );
    let missing = write(
        dir.path(),
        "named.yaml",
        &generated::services("big", 25).replace("services:\n", "assets: { bucket: no-such-bucket }\nservices:\n"),
    );
    let refused = emulator.run(&["plan", &missing], &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("the asset bucket no-such-bucket does not exist"), "{}", refused.stderr);
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    assert!(cfn.describe_stacks().stack_name("big").send().await.is_err(), "no stack was created");
}

/// Validate, render, deploy, plan again (no changes), change one service (the plan shows
/// just it), deploy it, destroy (nothing left): the life of a stack of `n` services.
async fn a_stack_of(emulator: &Emulator, stack: &str, n: usize, lbs: &[&str], nested: std::ops::RangeInclusive<usize>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "spec.yaml", &generated::services_on(stack, n, lbs));
    let valid = emulator.run(&["validate", &file], &[]);
    assert_eq!(valid.code, 0, "{}", valid.stderr);
    let stacks = emulator.run(&["validate", &file, "--output", "json"], &[]).result()["nested_stacks"].as_u64();
    assert!(stacks.is_some_and(|s| nested.contains(&(s as usize))), "{stack}: {stacks:?} nested stacks, {nested:?} expected");
    if *nested.start() > 0 {
        assert!(valid.stdout.contains(" nested stack"), "validate says how many stacks: {}", valid.stdout);
    }
    let rendered = dir.path().join("rendered");
    let render = emulator.run(&["render", &file, "--stacks-dir", &rendered.to_string_lossy()], &[]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    let files = std::fs::read_dir(&rendered).expect("rendered").count();
    assert!(nested.contains(&(files - 1)), "{stack}: the root and {nested:?} nested stacks, not {}", files - 1);
    for entry in std::fs::read_dir(&rendered).expect("rendered") {
        let t: serde_json::Value = serde_json::from_slice(&std::fs::read(entry.expect("entry").path()).expect("read")).expect("json");
        let resources = t["Resources"].as_object().map_or(0, serde_json::Map::len);
        assert!(resources <= 400, "{stack}: every stack well under 500 resources ({resources})");
    }

    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{stack}: {}{}", deployed.stdout, deployed.stderr);
    let again = emulator.run(&["plan", &file, "--detailed-exitcode"], &[]);
    assert_eq!(again.code, 0, "{stack}: a deployed stack plans no changes: {}", again.stdout);

    // One service's route and image change: the plan shows just it.
    let changed = write(
        dir.path(),
        "changed.yaml",
        &generated::services_on(stack, n, lbs)
            .replace(&format!("\"/s{:03}/*\"", n - 1), &format!("\"/s{:03}/v2/*\"", n - 1))
            .replace(&format!("s{:03}:v1", n - 1), &format!("s{:03}:v2", n - 1)),
    );
    let plan = emulator.run(&["plan", &changed, "--format", "json"], &[]).result();
    let services: Vec<&str> = plan["services"].as_array().expect("services").iter().filter_map(|s| s["service"].as_str()).collect();
    assert_eq!(services, [format!("s{:03}", n - 1)], "{stack}");
    let rules: Vec<String> = plan["infrastructure"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| {
            c["properties"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["path"].as_str().is_some_and(|path| path.starts_with("Conditions"))))
        })
        .map(|c| format!("{}{}", c["stack"].as_str().map(|s| format!("{s}/")).unwrap_or_default(), c["logical_id"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(rules.len(), 1, "{stack}: only its rule's path changes: {rules:?}");
    assert!(rules[0].ends_with(&format!("SvcS{:03}Rule1", n - 1)), "{rules:?}");
    let redeployed = emulator.run(&["deploy", &changed, "--yes"], &[]);
    assert_eq!(redeployed.code, 0, "{stack}: {}{}", redeployed.stdout, redeployed.stderr);
    let after = emulator.run(&["plan", &changed, "--detailed-exitcode"], &[]);
    assert_eq!(after.code, 0, "{stack}: {}", after.stdout);
    if *nested.start() > 0 {
        a_nested_failure_is_told_and_rolled_back(emulator, dir.path(), &changed, n).await;
    }

    let destroyed = emulator.run(&["destroy", "--stack", stack, "--yes"], &[]);
    assert_eq!(destroyed.code, 0, "{stack}: {}{}", destroyed.stdout, destroyed.stderr);
    emulator.assert_nothing_left(stack).await;
}

/// A rule in a nested stack that fails to update (the emulator fails a resource carrying
/// `emulator-resource-failure`): the deploy names the nested resource and its reason, says
/// the stack rolled back, exits non-zero, and the stack is as it was.
async fn a_nested_failure_is_told_and_rolled_back(emulator: &Emulator, dir: &std::path::Path, deployed: &str, n: usize) {
    let last = format!("s{:03}", n - 1);
    let text = std::fs::read_to_string(deployed).expect("spec");
    let failing =
        write(dir, "failing.yaml", &text.replace(&format!("\"/{last}/v2/*\""), &format!("\"/{last}/emulator-resource-failure/*\"")));
    let failed = emulator.run(&["deploy", &failing, "--yes"], &[]);
    assert_eq!(failed.code, 1, "{}{}", failed.stdout, failed.stderr);
    let rule = format!("/SvcS{:03}Rule1 (AWS::ElasticLoadBalancingV2::ListenerRule): UPDATE_FAILED: ", n - 1);
    let cause = failed.stderr.lines().find(|l| l.contains(&rule));
    let cause = cause.unwrap_or_else(|| panic!("the nested resource and its reason: {}", failed.stderr));
    assert!(cause.trim_start().starts_with("Services"), "named with its nested stack: {cause}");
    assert!(cause.contains("Invalid request provided"), "{cause}");
    assert!(failed.stderr.contains("rolled back: the stack is as it was before this change"), "{}", failed.stderr);
    let unchanged = emulator.run(&["plan", deployed, "--detailed-exitcode"], &[]);
    assert_eq!(unchanged.code, 0, "the stack is as it was: {}", unchanged.stdout);
}

#[tokio::test]
async fn thirty_services_are_one_stack() {
    a_stack_of(&Emulator::start(), "thirty", 30, &[], 0..=0).await;
}

#[tokio::test]
async fn a_hundred_services_split_into_a_root_and_nested_stacks() {
    a_stack_of(&Emulator::start(), "hundred", 100, &[], 1..=3).await;
}

#[tokio::test]
async fn a_hundred_and_fifty_services_across_two_load_balancers() {
    a_stack_of(&Emulator::start(), "many", 150, &["public", "internal"], 1..=4).await;
}
