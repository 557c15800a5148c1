//! The policy's decisions, on small specs.

use std::path::Path;

use super::{policy, Policy, Scope, Verbs};
use crate::spec::LoadOptions;
use crate::stack::compile_str;

const WEB: &str = "services:\n  web:\n    image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.0\n    port: 8080\n    routes: [ { path: \"/*\" } ]\n";

fn scope() -> Scope {
    Scope { account: "123456789012".into(), region: "us-east-1".into(), asset_bucket: None }
}

fn policy_of(yaml: &str, verbs: Verbs) -> Policy {
    let opts = LoadOptions { env: None, vars: &|_| None, defer_unset_vars: false };
    let c = compile_str(yaml, Path::new("t.yaml"), &opts).expect("compiles");
    policy(&c.model, &c.fresh, &scope(), verbs)
}

fn actions(p: &Policy) -> Vec<&str> {
    p.statements.iter().flat_map(|s| s.action.iter().map(String::as_str)).collect()
}

/// The actions of ecship's own calls (not CloudFormation's on its behalf).
fn own(p: &Policy) -> Vec<&str> {
    p.statements.iter().filter(|s| s.sid.starts_with("Ecship")).flat_map(|s| s.action.iter().map(String::as_str)).collect()
}

fn statement<'a>(p: &'a Policy, sid: &str) -> &'a super::Statement {
    p.statements.iter().find(|s| s.sid == sid).unwrap_or_else(|| panic!("no {sid} in {}", p.to_json()))
}

#[test]
fn a_plan_policy_only_reads() {
    let p = policy_of(&format!("stack: shop\n{WEB}"), Verbs::Plan);
    let writes: Vec<&str> = actions(&p).into_iter().filter(|a| crate::aws::is_write(a.split(':').nth(1).unwrap_or(a))).collect();
    assert_eq!(writes, Vec::<&str>::new(), "reads only: {}", p.to_json());
    assert!(p.statements.iter().all(|s| !s.sid.starts_with("CloudFormation")), "a plan makes CloudFormation create nothing");
}

#[test]
fn resources_are_the_stacks_own() {
    let p = policy_of(&format!("stack: shop\n{WEB}"), Verbs::All);
    assert_eq!(statement(&p, "EcshipStack").resource, ["arn:aws:cloudformation:us-east-1:123456789012:stack/shop/*"]);
    assert_eq!(statement(&p, "EcshipServices").resource, ["arn:aws:ecs:us-east-1:123456789012:service/shop/*"]);
    assert_eq!(statement(&p, "EcshipTaskDefinitionFamilies").resource, ["arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:*"]);
    assert_eq!(statement(&p, "EcshipStackLock").resource, ["arn:aws:ecr:us-east-1:123456789012:repository/ecship-lock/shop"]);
    // The image's own registry: another account and region.
    assert_eq!(statement(&p, "RegistryProtocolPins").resource, ["arn:aws:ecr:eu-west-1:111122223333:repository/team/web"]);
    let pass = statement(&p, "PassRolesTaskRolesToEcs");
    assert_eq!(pass.resource, ["arn:aws:iam::123456789012:role/shop-*"]);
    assert_eq!(pass.condition, Some(serde_json::json!({"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})));
}

#[test]
fn every_statement_on_any_resource_says_why_and_no_other_does() {
    let p = policy_of(&format!("stack: shop\n{WEB}"), Verbs::All);
    for s in &p.statements {
        assert_eq!(s.resource == ["*"], p.reasons.contains_key(&s.sid), "{}: {:?}", s.sid, s.resource);
    }
    assert!(p.reasons.contains_key("CloudFormationResourcesWithGeneratedIds"));
    // An action allowed on "*" is said there only.
    let anywhere: Vec<&String> =
        p.statements.iter().filter(|s| s.resource == ["*"] && s.condition.is_none()).flat_map(|s| &s.action).collect();
    for s in p.statements.iter().filter(|s| s.resource != ["*"] && s.condition.is_none()) {
        assert!(s.action.iter().all(|a| !anywhere.contains(&a)), "{}: {:?}", s.sid, s.action);
    }
}

#[test]
fn features_bring_their_calls_and_only_then() {
    let plain = policy_of(&format!("stack: shop\n{WEB}    deploy: {{ strategy: doubling }}\n"), Verbs::Deploy);
    for absent in [
        "application-autoscaling:RegisterScalableTarget",
        "scheduler:CreateSchedule",
        "ecs:RunTask",
        "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:DescribeTargetHealth",
        "s3:PutObject",
    ] {
        assert!(!own(&plain).contains(&absent), "{absent} without the feature");
    }
    let scaled = policy_of(
        &format!("stack: shop\n{WEB}    autoscaling: {{ min: 1, max: 3, cpu: 60 }}\n    deploy: {{ strategy: canary }}\n"),
        Verbs::Deploy,
    );
    // (elasticloadbalancing:ModifyRule is CloudFormation's too, on "*": said there once.)
    for present in ["application-autoscaling:RegisterScalableTarget", "elasticloadbalancing:DescribeTargetHealth"] {
        assert!(own(&scaled).contains(&present), "{present} with the feature");
    }
}

#[test]
fn unknown_account_and_region_are_wildcards() {
    let opts = LoadOptions { env: None, vars: &|_| None, defer_unset_vars: false };
    let c = compile_str(&format!("stack: shop\n{WEB}"), Path::new("t.yaml"), &opts).expect("compiles");
    let p = policy(&c.model, &c.fresh, &Scope { account: "*".into(), region: "*".into(), asset_bucket: None }, Verbs::Destroy);
    assert_eq!(statement(&p, "EcshipStack").resource, ["arn:aws:cloudformation:*:*:stack/shop/*"]);
    assert_eq!(statement(&p, "EcshipAssetBucket").resource, ["arn:aws:s3:::ecship-assets-*-*"]);
}

#[test]
fn every_resource_type_of_the_example_stacks_is_in_the_table_and_their_policies_fit_a_role() {
    let covered = super::cloudformation::covered();
    // Production's environments bring a domain and a web ACL (mysfits), a Slack channel (forum);
    // blog and shop hold data (`storage:`).
    for (file, env) in [
        ("stacks/mysfits.yaml", None),
        ("stacks/mysfits.yaml", Some("prod")),
        ("stacks/blog.yaml", None),
        ("stacks/cms.yaml", None),
        ("stacks/forum.yaml", None),
        ("stacks/forum.yaml", Some("prod")),
        ("stacks/shop.yaml", None),
    ] {
        let opts = LoadOptions { env, vars: &|_| None, defer_unset_vars: false };
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let c = crate::stack::compile(&path, &opts).expect("compiles");
        for r in c.template.resources.values() {
            assert!(covered.contains(r.kind), "{file} {env:?}: {} has no handlers in iam::cloudformation", r.kind);
        }
        // An inline role policy takes 10,240 characters, whitespace not counted
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
        let compact = serde_json::to_string(&policy(&c.model, &c.fresh, &scope(), Verbs::All)).expect("json");
        assert!(compact.len() <= 10_240, "{file} {env:?}: the policy is {} characters", compact.len());
    }
}

#[test]
fn generated_resources_are_deleted_only_under_the_stacks_tag() {
    let p = policy_of(&format!("stack: shop\n{WEB}"), Verbs::Destroy);
    let tagged = statement(&p, "CloudFormationDeletesStackTaggedResources");
    assert_eq!(tagged.condition, Some(serde_json::json!({"StringEquals": {"aws:ResourceTag/ecship:stack": "shop"}})));
    for action in [
        "ec2:DeleteVpc",
        "ec2:DeleteSubnet",
        "ec2:DeleteSecurityGroup",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteTargetGroup",
    ] {
        assert!(tagged.action.contains(action), "{action} under the tag: {}", p.to_json());
        let elsewhere: Vec<&str> =
            p.statements.iter().filter(|s| s.sid != tagged.sid && s.action.contains(action)).map(|s| s.sid.as_str()).collect();
        assert!(elsewhere.is_empty(), "{action} also allowed without the tag by {elsewhere:?}");
    }
    // Routes carry no tags: deleted without the condition.
    assert!(statement(&p, "CloudFormationResourcesWithGeneratedIds").action.contains("ec2:DeleteRoute"));
}

#[test]
fn a_zone_named_without_its_id_is_looked_up_and_a_slack_channel_passes_its_role_to_chatbot() {
    let named =
        "load_balancer:\n  domain: { zone: example.com }\nsignals:\n  notify: { slack: { workspace: T07FORUM01, channel: C07ONCALL1 } }\n";
    let web = WEB.replace("path: \"/*\"", "path: \"/*\", host: api.example.com");
    let p = policy_of(&format!("stack: shop\n{named}{web}"), Verbs::Deploy);
    assert!(statement(&p, "EcshipActionsWithoutResourceLevelPermissions").action.contains("route53:ListHostedZonesByName"));
    // Its id unknown until the look-up: any zone; the record changes' status besides.
    assert_eq!(statement(&p, "CloudFormationHostedZones").resource, ["arn:aws:route53:::change/*", "arn:aws:route53:::hostedzone/*"]);
    let pass = statement(&p, "PassRolesChatbotRole");
    assert_eq!(pass.condition, Some(serde_json::json!({"StringEquals": {"iam:PassedToService": "chatbot.amazonaws.com"}})));
    let by_id = policy_of(
        &format!("stack: shop\n{}{web}", named.replace("zone: example.com", "zone: example.com, zone_id: Z0123456789SHOP")),
        Verbs::Deploy,
    );
    assert!(!own(&by_id).contains(&"route53:ListHostedZonesByName"), "a zone given by id is not looked up");
    assert_eq!(
        statement(&by_id, "CloudFormationHostedZones").resource,
        ["arn:aws:route53:::change/*", "arn:aws:route53:::hostedzone/Z0123456789SHOP"]
    );
    assert!(p
        .statements
        .iter()
        .all(|s| !s.action.contains("sns:CreateTopic")
            || s.resource.contains(&"arn:aws:sns:us-east-1:123456789012:shop-signals".to_string())));
}

#[test]
fn a_preview_policy_names_every_preview_of_the_stack_and_the_environments_roles() {
    let opts = LoadOptions { env: None, vars: &|_| None, defer_unset_vars: false };
    let c = compile_str(&format!("stack: shop\npreviews: {{}}\n{WEB}"), Path::new("t.yaml"), &opts).expect("compiles");
    let model = super::previews_model(&c.model).expect("previews");
    let preview = crate::stack::compile_model(c.loaded, model).expect("compiles");
    let p = policy(&preview.model, &preview.fresh, &scope(), Verbs::All);
    assert_eq!(statement(&p, "EcshipStack").resource, ["arn:aws:cloudformation:us-east-1:123456789012:stack/shop-*/*"]);
    assert_eq!(statement(&p, "EcshipEnvironmentStack").resource, ["arn:aws:cloudformation:us-east-1:123456789012:stack/shop/*"]);
    assert_eq!(statement(&p, "EcshipStackLock").resource, ["arn:aws:ecr:us-east-1:123456789012:repository/ecship-lock/shop-*"]);
    assert_eq!(statement(&p, "PassRolesTaskRolesToEcs").resource, ["arn:aws:iam::123456789012:role/shop-*"]);
    let tagged = statement(&p, "CloudFormationDeletesStackTaggedResources");
    assert_eq!(tagged.condition, Some(serde_json::json!({"StringLike": {"aws:ResourceTag/ecship:stack": "shop-*"}})));
    assert!(statement(&p, "EcshipEnvironmentStack").action.iter().all(|a| !crate::aws::is_write(a.split(':').nth(1).unwrap_or(a))));
}
