//! `ecship iam-policy` against what ecship really calls: the emulator records every AWS call
//! (tests/emulator/recorder.py) while each example stack is deployed, planned, changed,
//! rolled back, shown and destroyed; each call must be allowed by the stack's printed policy
//! (action and resource, with IAM's wildcards) and by the policy for its verb (`--for plan`,
//! read-only; `--for deploy` for deploy, rollback and status; `--for destroy`), and each action the policies grant must be one the runs used — but for what AWS
//! checks without a call of ecship's own (CloudFormation's calls on the caller's behalf,
//! `iam:PassRole`, the registry protocol behind pushes) and the few calls only a failure or
//! a removal reaches, listed below with when. A preview's deploy, list, destroy and sweep
//! are checked the same way against `--for preview`.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use emulator::Emulator;
use serde_json::Value;

const ACCOUNT: &str = "123456789012";
const IMAGES: [&str; 4] = [
    "--image",
    "monolith=123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/monolith:v1",
    "--image",
    "like=123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/like:v1",
];

/// Statements whose actions AWS checks without an API call of ecship's: CloudFormation's
/// calls for the stack's resource types (moto's CloudFormation makes none over HTTP),
/// `iam:PassRole` (checked inside RegisterTaskDefinition and CreateSchedule), and ECR's
/// actions behind the registry protocol (the test registry stands in for ECR's).
const CHECKED_BY_AWS: [&str; 3] = ["CloudFormation", "PassRoles", "RegistryProtocol"];

/// Actions ecship calls only when something fails, is left over or goes away, which these
/// runs do not reach, with when ecship calls them.
const NOT_REACHED: [(&str, &str); 14] = [
    ("ecr:TagResource", "the stack lock's refresh, every 30 s of a long run (ops::lock::held)"),
    ("ecr:DescribeImages", "checking what a push finds in the stack's repositories"),
    ("ecs:StopTask", "a deploy.before task past its timeout; destroy stopping a running job's task"),
    ("ecs:StopServiceDeployment", "rolling back an ECS-native rollout whose gate failed"),
    ("ecs:UntagResource", "an approval or rollout tag taken off a service"),
    ("elasticloadbalancing:DescribeTags", "destroy naming the load balancers and target groups left tagged with the stack"),
    ("application-autoscaling:DeleteScalingPolicy", "a scaling policy the spec dropped"),
    ("application-autoscaling:PutScheduledAction", "scheduled scaling (no example stack has it)"),
    ("application-autoscaling:DeleteScheduledAction", "scheduled scaling dropped from a spec"),
    ("scheduler:UpdateSchedule", "a schedule whose expression changed"),
    ("scheduler:DeleteSchedule", "a scheduled job dropped from a spec"),
    ("ecr:BatchDeleteImage", "destroy emptying repositories ecship pushed images to (these runs deploy images by reference)"),
    (
        "s3:DeleteObject",
        "destroy --delete-data emptying a kept bucket that holds objects (blog's is empty), or the asset bucket's templates",
    ),
    ("s3:DeleteObjectVersion", "as s3:DeleteObject, for each object's versions"),
];

/// Calls whose refusal ecship expects and passes over, with why: allowed on the stack's own
/// resources only.
const REFUSAL_SKIPPED: [(&str, &str); 1] =
    [("s3:GetBucketTagging", "destroy reads each bucket's tags to find the stack's kept ones: another's, refused, is not the stack's")];

/// The IAM actions one recorded S3 operation needs, where they differ from its name
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
fn iam_actions(call: &str) -> Vec<String> {
    let mapped: &[&str] = match call {
        "s3:HeadBucket" => &["s3:ListBucket"],
        "s3:ListBuckets" => &["s3:ListAllMyBuckets"],
        "s3:ListObjectVersions" => &["s3:ListBucketVersions"],
        "s3:DeleteObjects" => &["s3:DeleteObject", "s3:DeleteObjectVersion"],
        "s3:PutBucketEncryption" => &["s3:PutEncryptionConfiguration"],
        "s3:PutPublicAccessBlock" => &["s3:PutBucketPublicAccessBlock"],
        "s3:PutBucketLifecycleConfiguration" => &["s3:PutLifecycleConfiguration"],
        _ => return vec![call.to_string()],
    };
    mapped.iter().map(|a| a.to_string()).collect()
}

/// IAM's wildcard match: `*` any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// Whether a statement of `policy` allows `action` on `resource` (`-`: the call names no
/// resource the recorder reads, so only the action is matched). Conditions are not
/// evaluated here: the unit tests of `iam` check the few the policy has.
fn allows(policy: &Value, action: &str, resource: &str) -> bool {
    policy["Statement"].as_array().expect("statements").iter().any(|s| {
        s["Effect"] == "Allow"
            && strings(&s["Action"]).iter().any(|a| glob(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
            && (resource == "-" || strings(&s["Resource"]).iter().any(|r| glob(r, resource)))
    })
}

fn policy(file: &str, verbs: &str) -> Value {
    let out = common::ecship()
        .args(["iam-policy", file, "--for", verbs, "--account", ACCOUNT, "--region", "us-east-1"])
        .output()
        .expect("ecship runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the policy is JSON")
}

/// Run `args`, returning the calls it made: `(service:Operation, resource)`.
fn recorded(emulator: &Emulator, calls: &Path, args: &[&str], expect: i32) -> Vec<(String, String)> {
    let _ = std::fs::remove_file(calls);
    let run = emulator.run(args, &[]);
    assert_eq!(run.code, expect, "{args:?}: {}{}", run.stdout, run.stderr);
    let text = std::fs::read_to_string(calls).unwrap_or_default();
    text.lines().filter_map(|l| l.split_once('\t')).map(|(a, r)| (a.to_string(), r.to_string())).collect()
}

/// The whole life of one stack; returns every call with the verb that made it.
fn life(emulator: &Emulator, calls: &Path, file: &str, changed: Option<&str>) -> Vec<(&'static str, (String, String))> {
    let images: &[&str] = if changed.is_some() { &IMAGES } else { &[] };
    let with =
        |verb: &str, f: &str, more: &[&str]| -> Vec<String> { [verb, f].iter().chain(more).chain(images).map(|s| s.to_string()).collect() };
    let mut steps: Vec<(&'static str, Vec<String>, i32)> =
        vec![("deploy", with("deploy", file, &[]), 0), ("plan", with("plan", file, &["--detailed-exitcode"]), 0)];
    if let Some(changed) = changed {
        steps.push(("deploy", with("deploy", changed, &[]), 0));
        steps.push(("deploy", vec!["rollback".into(), changed.into(), "--yes".into()], 0));
    }
    steps.push(("deploy", vec!["status".into(), file.into()], 0));
    steps.push(("destroy", vec!["destroy".into(), file.into(), "--yes".into()], 0));
    // What the destroy kept (its `storage:`), deleted by a second one.
    steps.push(("destroy", vec!["destroy".into(), file.into(), "--yes".into(), "--delete-data".into()], 0));
    let mut out = Vec::new();
    for (verb, args, code) in steps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        out.extend(recorded(emulator, calls, &args, code).into_iter().map(|c| (verb, c)));
    }
    out
}

/// The account's asset bucket, as an earlier stack with large templates left it: destroy
/// looks under it for the stack's templates.
async fn asset_bucket_exists(emulator: &Emulator) {
    let config = emulator.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    s3.create_bucket().bucket(emulator::ASSET_BUCKET).send().await.expect("CreateBucket");
}

#[tokio::test]
async fn every_call_of_each_example_stacks_life_is_allowed_by_its_policy_and_every_action_granted_is_used() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let calls = dir.path().join("calls.txt");
    let emulator = Emulator::start_recording(&calls);
    asset_bucket_exists(&emulator).await;
    let mysfits = common::quick_mysfits(dir.path(), false);
    let changed_dir = dir.path().join("changed");
    std::fs::create_dir(&changed_dir).expect("a dir");
    // A new environment variable (a new revision of both services: rolling and canary) and
    // a new log retention (a stack update).
    let changed = common::quick_mysfits(&changed_dir, true);
    let text = std::fs::read_to_string(&changed).expect("spec").replace("retention_days: 30", "retention_days: 14");
    std::fs::write(&changed, text).expect("write");
    let (mut used, mut granted) = (BTreeSet::new(), BTreeSet::new());
    for (file, changed) in
        [(mysfits.as_str(), Some(changed.as_str())), ("stacks/forum.yaml", None), ("stacks/blog.yaml", None), ("stacks/cms.yaml", None)]
    {
        let all = policy(file, "all");
        let by_verb: BTreeMap<&str, Value> = ["plan", "deploy", "destroy"].into_iter().map(|v| (v, policy(file, v))).collect();
        for (verb, (call, resource)) in life(&emulator, &calls, file, changed) {
            // GetCallerIdentity needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
            if call == "sts:GetCallerIdentity" {
                continue;
            }
            for action in iam_actions(&call) {
                if REFUSAL_SKIPPED.iter().any(|(a, _)| *a == action) && !allows(&all, &action, &resource) {
                    continue;
                }
                assert!(allows(&all, &action, &resource), "{file}: {action} on {resource} is not allowed by --for all:\n{all:#}");
                assert!(
                    allows(&by_verb[verb], &action, &resource),
                    "{file}: {verb} called {action} on {resource}, not allowed by --for {verb}"
                );
                used.insert(action);
            }
        }
        for s in all["Statement"].as_array().expect("statements") {
            if !CHECKED_BY_AWS.iter().any(|p| s["Sid"].as_str().unwrap_or("").starts_with(p)) {
                granted.extend(strings(&s["Action"]));
            }
        }
    }
    let failures: BTreeSet<String> = NOT_REACHED.iter().map(|(a, _)| a.to_string()).collect();
    let unused: Vec<&String> = granted.iter().filter(|a| !used.contains(*a) && !failures.contains(*a)).collect();
    assert!(unused.is_empty(), "granted but never called: {unused:?}");
    let reached: Vec<&String> = failures.iter().filter(|a| used.contains(*a)).collect();
    assert!(reached.is_empty(), "called after all, so no longer to be listed as not reached: {reached:?}");
    let ungranted: Vec<&String> = failures.iter().filter(|a| !granted.contains(*a)).collect();
    assert!(ungranted.is_empty(), "listed but no longer granted: {ungranted:?}");
}

#[test]
fn the_recorded_calls_are_what_iam_names_and_the_matcher_reads_wildcards_as_iam_does() {
    assert!(glob("arn:aws:ecs:*:*:service/shop/*", "arn:aws:ecs:us-east-1:123456789012:service/shop/web"));
    assert!(!glob("arn:aws:ecs:*:*:service/shop/*", "arn:aws:ecs:us-east-1:123456789012:service/shopping/web"));
    assert!(glob("ecs:describe*", "ecs:describeservices") && glob("s3:?ist*", "s3:listbucket"));
    assert!(!glob("ecs:describe*", "ecs:listservices"));
    assert_eq!(iam_actions("s3:DeleteObjects"), ["s3:DeleteObject", "s3:DeleteObjectVersion"]);
}

#[test]
fn the_policy_is_iam_json_on_stdout_with_why_any_resource_on_stderr_and_a_bad_account_is_refused() {
    let out = common::ecship()
        .args(["iam-policy", "stacks/blog.yaml", "--for", "plan"])
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .expect("ecship runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let policy: Value = serde_json::from_slice(&out.stdout).expect("stdout is the policy alone");
    assert_eq!(policy["Version"], "2012-10-17");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for s in policy["Statement"].as_array().expect("statements") {
        let sid = s["Sid"].as_str().expect("a Sid");
        assert!(sid.chars().all(|c| c.is_ascii_alphanumeric()), "IAM takes only letters and digits in a Sid: {sid}");
        assert_eq!(strings(&s["Resource"]) == ["*"], stderr.contains(&format!("note: {sid} is on \"*\"")), "{sid}: {stderr}");
        // Without --account and --region (blog names no region): any account, any region.
        for r in strings(&s["Resource"]).iter().filter(|r| r.starts_with("arn:aws:cloudformation")) {
            assert!(r.starts_with("arn:aws:cloudformation:*:*:stack/blog/"), "{r}");
        }
    }
    let bad = common::ecship().args(["iam-policy", "stacks/blog.yaml", "--account", "12345"]).output().expect("ecship runs");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--account 12345: expected a 12-digit AWS account id"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

const PREVIEWED: &str = r#"stack: shop
region: us-east-1
network: { cidr: 10.0.0.0/16, azs: 2, nat: none }
load_balancer: { public: true, http: 80 }
previews: { ttl: 72h, overrides: { count: 1 } }
services:
  web:
    image: nginx:1.27
    port: 80
    routes: [ { path: "/*" } ]
  api:
    image: nginx:1.27
    port: 80
    routes: [ { path: "/api/*" } ]
"#;

#[tokio::test]
async fn every_call_of_a_previews_life_is_allowed_by_the_preview_policy_which_cannot_change_the_environment() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let calls = dir.path().join("calls.txt");
    let emulator = Emulator::start_recording(&calls);
    let file = dir.path().join("shop.yaml");
    std::fs::write(&file, PREVIEWED).expect("write spec");
    let file = file.to_string_lossy().into_owned();
    let (deploy, previews) = (policy(&file, "deploy"), policy(&file, "preview"));
    for (call, resource) in recorded(&emulator, &calls, &["deploy", &file, "--yes"], 0) {
        iam_actions(&call).iter().for_each(|a| assert!(allows(&deploy, a, &resource), "deploy: {a} on {resource}"));
    }
    let steps: [&[&str]; 4] = [
        &["preview", "deploy", &file, "pr-1", "--yes"],
        &["preview", "list", &file],
        &["preview", "destroy", &file, "pr-1"],
        &["preview", "sweep", &file],
    ];
    for args in steps {
        for (call, resource) in recorded(&emulator, &calls, args, 0).into_iter().filter(|(c, _)| c != "sts:GetCallerIdentity") {
            for action in iam_actions(&call) {
                assert!(
                    allows(&previews, &action, &resource),
                    "{args:?} called {action} on {resource}, not allowed by --for preview:\n{previews:#}"
                );
            }
        }
    }
    // The environment's own stack and services are read, never written.
    let env = format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/shop/1");
    assert!(allows(&previews, "cloudformation:DescribeStacks", &env));
    for action in ["cloudformation:UpdateStack", "cloudformation:DeleteStack"] {
        assert!(!allows(&previews, action, &env), "{action} on the environment's stack");
    }
    assert!(!allows(&previews, "ecr:CreateRepository", &format!("arn:aws:ecr:us-east-1:{ACCOUNT}:repository/ecship-lock/shop")));
}
