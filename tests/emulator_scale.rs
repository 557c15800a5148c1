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
    assert!(
        json["infrastructure"]["template"]["location"].as_str().is_some_and(|l| l.starts_with(&format!("s3://{ASSET_BUCKET}/stacks/big/"))),
        "{json}"
    );
    assert!(json["infrastructure"]["template"]["bytes"].as_u64().is_some_and(|b| b > 51_200), "{json}");

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
