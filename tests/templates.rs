//! Snapshots of the rendered template of every example stack and environment, and proof
//! that rendering is byte-identical from run to run.

mod common;

use common::{ecship, example_stacks};

fn render(file: &str, env: Option<&str>, format: &str) -> String {
    let mut cmd = ecship();
    cmd.args(["render", file, "--format", format]);
    if let Some(e) = env {
        cmd.args(["--env", e]);
    }
    let out = cmd.output().expect("ecship runs");
    assert!(out.status.success(), "render {file} {env:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 template")
}

#[test]
fn every_example_stack_matches_its_snapshot() {
    for (file, env) in example_stacks() {
        let name = format!(
            "{}{}",
            file.trim_start_matches("stacks/").trim_end_matches(".yaml"),
            env.as_ref().map(|e| format!("-{e}")).unwrap_or_default()
        );
        insta::assert_snapshot!(name, render(&file, env.as_deref(), "json"));
    }
}

#[test]
fn rendering_is_byte_identical_across_runs() {
    for (file, env) in example_stacks() {
        for format in ["json", "yaml"] {
            let a = render(&file, env.as_deref(), format);
            let b = render(&file, env.as_deref(), format);
            assert_eq!(a, b, "{file} {env:?} {format}");
        }
    }
}

#[test]
fn yaml_and_json_forms_hold_the_same_template() {
    let json: serde_json::Value = serde_json::from_str(&render("stacks/mysfits.yaml", None, "json")).expect("json");
    let yaml: serde_json::Value = serde_yaml::from_str(&render("stacks/mysfits.yaml", None, "yaml")).expect("yaml");
    assert_eq!(json, yaml);
}

#[test]
fn adding_a_service_does_not_change_other_services_resources() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = "stack: ids\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n    count: 2\n    routes: [ { path: \"/*\" } ]\n";
    let more = format!("{base}  api:\n    image: nginx:1.27\n    port: 8080\n    count: 2\n    routes: [ {{ path: \"/api*\" }} ]\n");
    let one = dir.path().join("one.yaml");
    let two = dir.path().join("two.yaml");
    std::fs::write(&one, base).expect("write");
    std::fs::write(&two, more).expect("write");
    let t1: serde_json::Value = serde_json::from_str(&render(one.to_str().expect("path"), None, "json")).expect("json");
    let t2: serde_json::Value = serde_json::from_str(&render(two.to_str().expect("path"), None, "json")).expect("json");
    let r1 = t1["Resources"].as_object().expect("resources");
    let r2 = t2["Resources"].as_object().expect("resources");
    for (id, res) in r1 {
        if id.starts_with("SvcWeb") || id.starts_with("Vpc") || id.starts_with("Public") {
            assert_eq!(Some(res), r2.get(id), "{id} changed when a service was added");
        }
    }
    assert!(r2.keys().any(|k| k.starts_with("SvcApi")));
}

#[test]
fn mysfits_template_has_what_the_ecs_fast_path_needs() {
    let t: serde_json::Value = serde_json::from_str(&render("stacks/mysfits.yaml", None, "json")).expect("json");
    let r = &t["Resources"];
    let rule = &r["SvcLikeRule1"]["Properties"];
    assert_eq!(rule["Priority"], 100);
    assert_eq!(rule["Conditions"][0]["PathPatternConfig"]["Values"][0], "/mysfits/*/like");
    let weights: Vec<i64> = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        .as_array()
        .expect("weighted forward for the canary service")
        .iter()
        .map(|g| g["Weight"].as_i64().expect("weight"))
        .collect();
    assert_eq!(weights, [100, 0]);
    assert_eq!(r["HttpListener"]["Properties"]["DefaultActions"][0]["Type"], "fixed-response", "no weights on default actions");
    // Service security groups admit only the load balancer (and callers inside the cluster).
    let ingress = &r["SvcLikeSecurityGroup"]["Properties"]["SecurityGroupIngress"];
    assert_eq!(ingress.as_array().map(Vec::len), Some(1));
    assert_eq!(ingress[0]["SourceSecurityGroupId"]["Fn::GetAtt"][0], "LoadBalancerSecurityGroup");
    assert!(r["SvcMonolithFromLikeIngress"].is_object(), "like calls monolith inside the cluster");
    // Every resource that can carry tags carries ecship:stack.
    for (id, res) in r.as_object().expect("resources") {
        if let Some(tags) = res["Properties"].get("Tags") {
            assert!(tags.as_array().expect("tag list").iter().any(|t| t["Key"] == "ecship:stack" && t["Value"] == "mysfits"), "{id}");
        }
    }
    let outputs = t["Outputs"].as_object().expect("outputs");
    for key in [
        "VpcId",
        "PublicSubnetIds",
        "PrivateSubnetIds",
        "ClusterName",
        "LoadBalancerUrl",
        "ListenerArn",
        "ExecutionRoleArn",
        "LogGroupName",
        "ServiceConnectNamespaceArn",
        "SvcLike",
        "SvcMonolith",
    ] {
        assert!(outputs.contains_key(key), "output {key} missing");
    }
    // One output per service: key=value pairs joined by `;`, lists by `,`.
    let like = outputs["SvcLike"]["Value"]["Fn::Join"][1].as_array().expect("join parts");
    let literal: String = like.iter().filter_map(|p| p.as_str()).collect();
    assert_eq!(literal, "security_group=;task_role=;target_groups=,;rules=;repository=");
    assert_eq!(like[5]["Ref"], "SvcLikeTargetGroup");
    assert_eq!(like[7]["Ref"], "SvcLikeGreenTargetGroup");
    assert_eq!(like[9]["Ref"], "SvcLikeRule1");
    // Outputs name target groups, rules and listeners by Ref, never Fn::GetAtt.
    fn get_atts(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(id) = m.get("Fn::GetAtt").and_then(|a| a[0].as_str()) {
                    out.push(id.to_string());
                }
                m.values().for_each(|v| get_atts(v, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| get_atts(v, out)),
            _ => {}
        }
    }
    let mut ids = Vec::new();
    get_atts(&t["Outputs"], &mut ids);
    assert!(ids.iter().all(|id| !id.contains("TargetGroup") && !id.contains("Rule") && !id.contains("Listener")), "{ids:?}");
}

#[test]
fn each_task_role_allows_exactly_what_its_service_declares() {
    let statements = |v: &serde_json::Value| -> Vec<(serde_json::Value, serde_json::Value)> {
        v.as_array().into_iter().flatten().map(|s| (s["actions"].clone(), s["resources"].clone())).collect()
    };
    let mut checked = 0;
    for (file, env) in example_stacks().into_iter().filter(|(_, e)| e.is_none()) {
        let t: serde_json::Value = serde_json::from_str(&render(&file, env.as_deref(), "json")).expect("json");
        let spec: serde_json::Value =
            serde_yaml::from_str(&std::fs::read_to_string(common::root().join(&file)).expect("spec")).expect("yaml");
        for (name, svc) in spec["services"].as_object().expect("services") {
            let logical = ecship::model::camel(name);
            let role = &t["Resources"][format!("Svc{logical}TaskRole")]["Properties"];
            assert!(role.is_object(), "{file}: {name} has its own task role");
            assert!(role.get("ManagedPolicyArns").is_none(), "{file}: {name}: no managed policies");
            let mut granted = Vec::new();
            // Its inline policies, and the policies of their own attached to it (its volumes').
            let role_ref = serde_json::json!({ "Ref": format!("Svc{logical}TaskRole") });
            let attached = t["Resources"]
                .as_object()
                .expect("resources")
                .values()
                .filter(|r| {
                    r["Type"] == "AWS::IAM::Policy" && r["Properties"]["Roles"].as_array().is_some_and(|roles| roles.contains(&role_ref))
                })
                .map(|r| &r["Properties"]);
            // `use-storage`, what `uses:` grants, is checked on its own below.
            let own = role["Policies"].as_array().into_iter().flatten().filter(|p| p["PolicyName"] != "use-storage");
            for policy in own.chain(attached) {
                for s in policy["PolicyDocument"]["Statement"].as_array().expect("statements") {
                    assert_eq!(s["Effect"], "Allow");
                    granted.push((s["Action"].clone(), s["Resource"].clone()));
                }
            }
            // What it declares, and mounting (and writing unless read-only) each EFS volume.
            let mut expected = statements(&svc["permissions"]);
            for (volume, v) in svc["volumes"].as_object().into_iter().flatten() {
                let mut actions = vec!["elasticfilesystem:ClientMount"];
                if v["read_only"].as_bool() != Some(true) {
                    actions.push("elasticfilesystem:ClientWrite");
                }
                let fs = v["file_system"]
                    .as_str()
                    .map_or_else(|| format!("${{Volume{}FileSystem}}", ecship::model::camel(volume)), str::to_string);
                let arn = format!("arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:file-system/{fs}");
                expected.push((serde_json::json!(actions), serde_json::json!([{ "Fn::Sub": arn }])));
            }
            assert_eq!(granted, expected, "{file}: {name} may do exactly what it declares");
            checked += 1;
        }
    }
    assert!(checked >= 8, "every example service was checked ({checked})");
}

#[test]
fn storage_is_kept_and_reached_by_exactly_the_tasks_that_use_it() {
    let t: serde_json::Value = serde_json::from_str(&render("stacks/shop.yaml", None, "json")).expect("json");
    let r = &t["Resources"];
    for (id, replace) in [
        ("StorageUploadsBucket", "Retain"),
        ("StorageOrdersTable", "Retain"),
        ("StorageMainDbDatabase", "Snapshot"),
        ("StorageReportsDbDatabase", "Snapshot"),
    ] {
        assert_eq!((r[id]["DeletionPolicy"].as_str(), r[id]["UpdateReplacePolicy"].as_str()), (Some("Retain"), Some(replace)), "{id}");
    }
    let db = &r["StorageMainDbDatabase"]["Properties"];
    assert_eq!(db["ManageMasterUserPassword"], true);
    assert!(db.get("MasterUserPassword").is_none(), "no password in the template");
    assert_eq!((db["DeletionProtection"].as_bool(), db["StorageEncrypted"].as_bool()), (Some(true), Some(true)));
    assert_eq!(db["DBInstanceClass"], "db.t4g.small");
    let storage_policy = |role: &str| -> Vec<(serde_json::Value, serde_json::Value)> {
        let policies = r[role]["Properties"]["Policies"].as_array().expect("policies").clone();
        let p = policies.into_iter().find(|p| p["PolicyName"] == "use-storage").expect("use-storage");
        p["PolicyDocument"]["Statement"]
            .as_array()
            .expect("statements")
            .iter()
            .map(|s| (s["Action"].clone(), s["Resource"].clone()))
            .collect()
    };
    let table_arn = serde_json::json!({ "Fn::GetAtt": ["StorageOrdersTable", "Arn"] });
    let indexes = serde_json::json!({ "Fn::Join": ["", [table_arn, "/index/*"]] });
    let read = [
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
    ];
    let mut write = read.to_vec();
    write.extend(["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
    assert_eq!(
        storage_policy("SvcApiTaskRole"),
        [
            (serde_json::json!(["s3:ListBucket"]), serde_json::json!([{ "Fn::GetAtt": ["StorageUploadsBucket", "Arn"] }])),
            (
                serde_json::json!(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
                serde_json::json!([{ "Fn::Sub": "${StorageUploadsBucket.Arn}/*" }])
            ),
            (serde_json::json!(write), serde_json::json!([table_arn, indexes])),
        ]
    );
    assert_eq!(storage_policy("SvcReportTaskRole"), [(serde_json::json!(read), serde_json::json!([table_arn, indexes]))]);
    // Each database admits exactly its users, on its port.
    let ingress: Vec<(&str, &serde_json::Value)> = r
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, v)| {
            v["Type"] == "AWS::EC2::SecurityGroupIngress"
                && v["Properties"]["GroupId"]["Fn::GetAtt"][0].as_str().is_some_and(|g| g.starts_with("Storage"))
        })
        .map(|(k, v)| (k.as_str(), &v["Properties"]))
        .collect();
    let sources: Vec<(&str, &str, u64)> = ingress
        .iter()
        .map(|(_, p)| {
            (
                p["GroupId"]["Fn::GetAtt"][0].as_str().unwrap_or(""),
                p["SourceSecurityGroupId"]["Fn::GetAtt"][0].as_str().unwrap_or(""),
                p["FromPort"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [("StorageMainDbSecurityGroup", "SvcApiSecurityGroup", 5432), ("StorageReportsDbSecurityGroup", "SvcReportSecurityGroup", 5432)]
    );
    // The execution role reads exactly the secrets RDS keeps for the databases tasks use.
    let start = &r["ExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    let secrets =
        start.as_array().expect("statements").iter().find(|s| s["Action"][0] == "secretsmanager:GetSecretValue").expect("secrets");
    assert_eq!(
        secrets["Resource"],
        serde_json::json!([
            { "Fn::GetAtt": ["StorageMainDbDatabase", "MasterUserSecret.SecretArn"] },
            { "Fn::GetAtt": ["StorageReportsDbDatabase", "MasterUserSecret.SecretArn"] }
        ])
    );
}
