//! The data-loss guard on the local emulator, through the real binary: a volume's file
//! system is kept by its stack (`Retain`), a deploy that would delete it is refused without
//! `--allow-data-loss` (changing nothing) and deletes it with the flag, one mounted as an
//! existing file system instead leaves the stack with its data, `destroy` keeps file systems
//! unless `--delete-data` (saying how to delete them), and every role ecship creates carries
//! the spec's permissions boundary.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use emulator::Emulator;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write spec");
    file.to_string_lossy().into_owned()
}

/// `cms` mounting `VOLUME` (a created file system, or `fs-…` as an existing one).
fn spec(volume: &str) -> String {
    format!("stack: data\nregion: us-east-1\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\nservices:\n  cms:\n    image: nginx:1.27\n{volume}")
}

const UPLOADS: &str = "    volumes:\n      uploads: { path: /uploads }\n";

/// The file systems tagged `ecship:stack=data`, with their mount-target counts.
async fn file_systems(efs: &aws_sdk_efs::Client) -> Vec<(String, i32)> {
    let out = efs.describe_file_systems().send().await.expect("DescribeFileSystems");
    out.file_systems()
        .iter()
        .filter(|f| f.tags().iter().any(|t| t.key() == "ecship:stack" && t.value() == "data"))
        .map(|f| (f.file_system_id().to_string(), f.number_of_mount_targets()))
        .collect()
}

async fn template(cfn: &aws_sdk_cloudformation::Client) -> serde_json::Value {
    let body = cfn.get_template().stack_name("data").send().await.expect("GetTemplate");
    serde_json::from_str(body.template_body().expect("a body")).expect("JSON")
}

#[tokio::test]
async fn a_dropped_volume_is_refused_without_allow_data_loss_and_deleted_with_it() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let (efs, cfn) = (aws_sdk_efs::Client::new(&config), aws_sdk_cloudformation::Client::new(&config));
    let dir = tempfile::tempdir().expect("tempdir");
    let with = write(dir.path(), "with.yaml", &spec(UPLOADS));
    let without = write(dir.path(), "without.yaml", &spec(""));
    let deployed = emulator.run(&["deploy", &with, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    let fs = file_systems(&efs).await;
    assert_eq!(fs.len(), 1, "{fs:?}");
    let before = template(&cfn).await;
    assert_eq!(before["Resources"]["VolumeUploadsFileSystem"]["DeletionPolicy"], "Retain");
    assert_eq!(before["Resources"]["VolumeUploadsFileSystem"]["UpdateReplacePolicy"], "Retain");

    let plan = emulator.run(&["plan", &without, "--format", "json"], &[]);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", plan.stdout, plan.stderr));
    let first = &plan["infrastructure"]["changes"][0];
    assert_eq!(
        (&first["logical_id"], &first["action"], &first["destroys_data"]),
        (&"VolumeUploadsFileSystem".into(), &"delete".into(), &true.into())
    );
    let text = emulator.run(&["plan", &without], &[]);
    assert!(text.stdout.contains("DATA LOSS") && text.stdout.contains("DESTROYS ITS DATA"), "{}", text.stdout);

    // Non-interactive with --yes: refused, and nothing changes.
    let state = emulator.state("data").await;
    let refused = emulator.run(&["deploy", &without, "--yes"], &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    for words in [
        "deploy would destroy data in stack data",
        "VolumeUploadsFileSystem (AWS::EFS::FileSystem, deleted)",
        "nothing was changed",
        "--allow-data-loss",
    ] {
        assert!(refused.stderr.contains(words), "`{words}` in: {}", refused.stderr);
    }
    assert_eq!(template(&cfn).await, before, "the stack is as it was");
    assert_eq!(emulator.state("data").await, state, "the services are as they were");
    assert_eq!(file_systems(&efs).await, fs, "the file system and its mount targets are there");

    let allowed = emulator.run(&["deploy", &without, "--yes", "--allow-data-loss"], &[]);
    assert_eq!(allowed.code, 0, "{}{}", allowed.stdout, allowed.stderr);
    assert!(allowed.stdout.contains(&format!("deleted with its data (--allow-data-loss): file system {}", fs[0].0)), "{}", allowed.stdout);
    assert!(file_systems(&efs).await.is_empty(), "the file system is deleted, not only let go");
    assert!(template(&cfn).await["Resources"].get("VolumeUploadsFileSystem").is_none());

    assert_eq!(emulator.run(&["destroy", &without, "--yes"], &[]).code, 0);
    emulator.assert_nothing_left("data").await;
}

#[tokio::test]
async fn a_file_system_mounted_as_an_existing_one_leaves_the_stack_with_its_data() {
    let emulator = Emulator::start();
    let efs = aws_sdk_efs::Client::new(&emulator.sdk_config().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let with = write(dir.path(), "with.yaml", &spec(UPLOADS));
    assert_eq!(emulator.run(&["deploy", &with, "--yes"], &[]).code, 0);
    let fs = file_systems(&efs).await[0].0.clone();
    let adopted =
        write(dir.path(), "adopted.yaml", &spec(&format!("    volumes:\n      uploads: {{ path: /uploads, file_system: {fs} }}\n")));

    let plan = emulator.run(&["plan", &adopted], &[]);
    assert!(
        plan.stdout.contains("VolumeUploadsFileSystem (AWS::EFS::FileSystem): leaves the stack, KEPT with its data"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("DATA LOSS"), "{}", plan.stdout);
    let deployed = emulator.run(&["deploy", &adopted, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "no flag needed to keep data: {}{}", deployed.stdout, deployed.stderr);
    let ids: Vec<String> = file_systems(&efs).await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, [fs], "kept");

    // Still the stack's data: destroy keeps it until asked.
    let destroyed = emulator.run(&["destroy", &adopted, "--yes", "--delete-data"], &[]);
    assert_eq!(destroyed.code, 0, "{}{}", destroyed.stdout, destroyed.stderr);
    emulator.assert_nothing_left("data").await;
}

#[tokio::test]
async fn destroy_keeps_file_systems_unless_asked_and_says_how_to_delete_them() {
    let emulator = Emulator::start();
    let efs = aws_sdk_efs::Client::new(&emulator.sdk_config().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let with = write(dir.path(), "with.yaml", &spec(UPLOADS));
    assert_eq!(emulator.run(&["deploy", &with, "--yes"], &[]).code, 0);
    let fs = file_systems(&efs).await[0].0.clone();

    let kept = emulator.run(&["destroy", &with, "--yes"], &[]);
    assert_eq!(kept.code, 0, "kept on purpose is not left over: {}{}", kept.stdout, kept.stderr);
    assert!(kept.stdout.contains("nothing ecship created is left but what was kept"), "{}", kept.stdout);
    assert!(kept.stdout.contains(&format!("kept with its data: file system {fs} (volume uploads)")), "{}", kept.stdout);
    assert!(kept.stdout.contains("ecship destroy --stack data --delete-data --yes"), "{}", kept.stdout);
    assert_eq!(file_systems(&efs).await, [(fs.clone(), 0)], "kept, its mount targets gone with the stack");

    // Once the stack is gone: found by its tag, deleted with --delete-data.
    let deleted = emulator.run(&["destroy", "--stack", "data", "--yes", "--delete-data", "--output", "json"], &[]);
    assert_eq!(deleted.code, 0, "{}{}", deleted.stdout, deleted.stderr);
    let result = deleted.result();
    assert_eq!(result["destroy"]["deleted_data"][0]["id"], fs.as_str(), "{result}");
    assert_eq!(result["destroy"]["deleted_data"][0]["volume"], "uploads", "{result}");
    assert!(result["destroy"].get("kept_data").is_none(), "{result}");
    emulator.assert_nothing_left("data").await;
}

/// Each role's permissions boundary, read through IAM (boto3 from the test venv).
fn boundaries(emulator: &Emulator) -> Vec<(String, String)> {
    let python = common::venv_tool("python");
    let script = format!(
        "import boto3\niam = boto3.client('iam', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\nfor r in iam.list_roles()['Roles']:\n    role = iam.get_role(RoleName=r['RoleName'])['Role']\n    if any(t['Key'] == 'ecship:stack' and t['Value'] == 'bounded' for t in role.get('Tags', [])):\n        print(role['Description'].split(': ', 1)[1], role.get('PermissionsBoundary', {{}}).get('PermissionsBoundaryArn', '-'), sep='\\t')",
        emulator.url
    );
    let out = std::process::Command::new(python).args(["-c", &script]).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut roles: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(role, boundary)| (role.to_string(), boundary.to_string()))
        .collect();
    roles.sort();
    roles
}

#[tokio::test]
async fn every_role_ecship_creates_carries_the_permissions_boundary() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let boundary = "arn:aws:iam::123456789012:policy/ecship-boundary";
    let file = write(
        dir.path(),
        "bounded.yaml",
        &format!("stack: bounded\nregion: us-east-1\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: none }}\npermissions_boundary: {boundary}\nservices:\n  web:\n    image: nginx:1.27\njobs:\n  report:\n    image: busybox:1.36\n    schedule: \"rate(1 day)\"\n"),
    );
    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    let roles = boundaries(&emulator);
    let names: Vec<&str> = roles.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "starts scheduled jobs",
            "starts tasks (pulls images, writes logs, reads referenced secrets)",
            "what job report may do",
            "what service web may do"
        ]
    );
    assert!(roles.iter().all(|(_, b)| b == boundary), "{roles:?}");
    assert_eq!(emulator.run(&["destroy", &file, "--yes"], &[]).code, 0);
}
