//! Storage on the local emulator, through the real binary: a stack with a bucket, a table and
//! a PostgreSQL database deploys; the service that uses them gets their names in its task
//! definition and the database's secret through `secrets:`; its task role names exactly
//! those ARNs; a removed table is refused by `deploy` without `--allow-data-loss` and kept by
//! `destroy` without `--delete-data`; `--delete-data`, once the stack is gone, finds what was
//! kept by its tags and deletes it (the database after a final snapshot, the bucket with
//! every version); a bucket adopted by name is never touched. A `kms: true` bucket is
//! encrypted with the stack's own key.

mod common;
#[path = "common/emulator.rs"]
mod emulator;

use aws_sdk_s3::primitives::ByteStream;
use emulator::Emulator;

/// Adopted by name: the test creates it, ecship must leave it (and its object) alone.
const LEGACY: &str = "store-legacy-files";

fn spec(orders: bool) -> String {
    let table = if orders { "  orders: { type: table, key: { partition: id, sort: { at: N } } }\n" } else { "" };
    let uses = if orders { "uploads, orders, main-db" } else { "uploads, main-db" };
    format!(
        "stack: store\nregion: us-east-1\nnetwork: {{ cidr: 10.0.0.0/16, azs: 2, nat: single }}\nstorage:\n  uploads: {{ type: bucket }}\n{table}  main-db: {{ type: postgres, size: small }}\n  legacy: {{ type: bucket, existing: {LEGACY} }}\nservices:\n  api:\n    image: nginx:1.27\n    uses: [{uses}, {{ name: legacy, access: read }}]\n"
    )
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write spec");
    file.to_string_lossy().into_owned()
}

/// `name=…;arn=…` of a storage output of the stack.
async fn output(cfn: &aws_sdk_cloudformation::Client, key: &str, field: &str) -> String {
    let stacks = cfn.describe_stacks().stack_name("store").send().await.expect("DescribeStacks");
    let value = stacks.stacks()[0].outputs().iter().find(|o| o.output_key() == Some(key)).and_then(|o| o.output_value()).unwrap_or("");
    value.split(';').find_map(|kv| kv.strip_prefix(&format!("{field}="))).unwrap_or("").to_string()
}

async fn tables(dynamodb: &aws_sdk_dynamodb::Client) -> Vec<String> {
    dynamodb.list_tables().send().await.expect("ListTables").table_names().to_vec()
}

async fn buckets(s3: &aws_sdk_s3::Client) -> Vec<String> {
    s3.list_buckets().send().await.expect("ListBuckets").buckets().iter().filter_map(|b| b.name().map(str::to_string)).collect()
}

async fn databases(rds: &aws_sdk_rds::Client) -> Vec<(String, Option<String>)> {
    let out = rds.describe_db_instances().send().await.expect("DescribeDBInstances");
    out.db_instances()
        .iter()
        .map(|d| {
            (d.db_instance_identifier().unwrap_or("").to_string(), d.master_user_secret().and_then(|s| s.secret_arn()).map(str::to_string))
        })
        .collect()
}

/// `status` shows each data resource with what AWS reports of it.
fn status_shows_each(emulator: &Emulator, bucket: &str, table: &str, db: &str) {
    let status = emulator.run(&["status", "--stack", "store", "--output", "json"], &[]);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap_or_else(|e| panic!("{e}: {}", status.stdout));
    let data: Vec<(String, String, String)> = status["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| (d["kind"].as_str().unwrap_or("").into(), d["id"].as_str().unwrap_or("").into(), d["state"].as_str().unwrap_or("").into()))
        .collect();
    assert!(data.contains(&("table".into(), table.to_string(), "ACTIVE".into())), "{data:?}");
    assert!(data.contains(&("database".into(), db.to_string(), "available".into())), "{data:?}");
    assert!(data.contains(&("bucket".into(), bucket.to_string(), String::new())), "{data:?}");
    let text = emulator.run(&["status", "--stack", "store"], &[]);
    assert!(text.stdout.contains(&format!("table {table}: ACTIVE, 0 items")), "{}", text.stdout);
}

#[tokio::test]
async fn storage_is_wired_kept_unless_asked_and_deleted_with_delete_data() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let (cfn, ecs) = (aws_sdk_cloudformation::Client::new(&config), aws_sdk_ecs::Client::new(&config));
    let (dynamodb, rds) = (aws_sdk_dynamodb::Client::new(&config), aws_sdk_rds::Client::new(&config));
    s3.create_bucket().bucket(LEGACY).send().await.expect("CreateBucket");
    s3.put_object().bucket(LEGACY).key("old.txt").body(ByteStream::from_static(b"kept")).send().await.expect("PutObject");
    let dir = tempfile::tempdir().expect("tempdir");
    let with = write(dir.path(), "with.yaml", &spec(true));
    let without = write(dir.path(), "without.yaml", &spec(false));

    let deployed = emulator.run(&["deploy", &with, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    let (bucket, table) = (output(&cfn, "StorageUploads", "name").await, output(&cfn, "StorageOrders", "name").await);
    assert!(buckets(&s3).await.contains(&bucket), "{bucket}");
    assert!(tables(&dynamodb).await.contains(&table), "{table}");
    let dbs = databases(&rds).await;
    assert_eq!(dbs.len(), 1, "{dbs:?}");
    let (db, secret) = dbs[0].clone();
    let secret = secret.expect("RDS keeps the master password in a secret of its own");

    // The task definition names the bucket and the table, and gets the password by reference.
    let td = ecs.describe_task_definition().task_definition("store-api").send().await.expect("task definition");
    let container = &td.task_definition().expect("task definition").container_definitions()[0];
    let env: std::collections::BTreeMap<&str, &str> =
        container.environment().iter().filter_map(|kv| Some((kv.name()?, kv.value()?))).collect();
    assert_eq!(env.get("UPLOADS_BUCKET"), Some(&bucket.as_str()), "{env:?}");
    assert_eq!(env.get("LEGACY_BUCKET"), Some(&LEGACY), "{env:?}");
    assert_eq!(env.get("ORDERS_TABLE"), Some(&table.as_str()), "{env:?}");
    assert_eq!((env.get("MAIN_DB_PORT"), env.get("MAIN_DB_NAME")), (Some(&"5432"), Some(&"main_db")), "{env:?}");
    assert!(env.get("MAIN_DB_HOST").is_some_and(|h| h.starts_with(&db)), "{env:?}");
    let secrets: Vec<(&str, &str)> = container.secrets().iter().map(|s| (s.name(), s.value_from())).collect();
    assert_eq!(secrets, [("MAIN_DB_SECRET", secret.as_str())]);
    assert!(!format!("{td:?}").contains("P@55w0rd"), "no password in the task definition");

    // The task role may use exactly those: the deployed template's policy, resolved.
    let body = cfn.get_template().stack_name("store").send().await.expect("GetTemplate");
    let template: serde_json::Value = serde_json::from_str(body.template_body().expect("body")).expect("JSON");
    let policies = &template["Resources"]["SvcApiTaskRole"]["Properties"]["Policies"];
    let used = policies.as_array().expect("policies").iter().find(|p| p["PolicyName"] == "use-storage").expect("use-storage");
    let resources: Vec<String> = used["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .flat_map(|s| s["Resource"].as_array().cloned().unwrap_or_default())
        .map(|r| r.to_string())
        .collect();
    for names in ["StorageUploadsBucket", "StorageOrdersTable", LEGACY] {
        assert!(resources.iter().any(|r| r.contains(names)), "{names} in {resources:?}");
    }
    assert_eq!(resources.len(), 6, "bucket, objects; table, indexes; legacy bucket, objects: {resources:?}");

    status_shows_each(&emulator, &bucket, &table, &db);

    // A removed table: refused without --allow-data-loss, nothing written.
    let refused = emulator.run(&["deploy", &without, "--yes"], &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("StorageOrdersTable (AWS::DynamoDB::Table, deleted)"), "{}", refused.stderr);
    assert!(tables(&dynamodb).await.contains(&table), "the table is there");

    // destroy without --delete-data keeps every data resource and says how to delete them.
    let kept = emulator.run(&["destroy", &with, "--yes"], &[]);
    assert_eq!(kept.code, 0, "{}{}", kept.stdout, kept.stderr);
    for words in [
        format!("bucket {bucket} (storage uploads)"),
        format!("table {table} (storage orders)"),
        format!("database {db} (storage main-db)"),
    ] {
        assert!(kept.stdout.contains(&words), "`{words}` in: {}", kept.stdout);
    }
    assert!(kept.stdout.contains("ecship destroy --stack store --delete-data --yes"), "{}", kept.stdout);
    assert!(tables(&dynamodb).await.contains(&table) && buckets(&s3).await.contains(&bucket));
    assert_eq!(databases(&rds).await.len(), 1);

    // The stack is gone: --delete-data finds what it kept by its tags and deletes it.
    let deleted = emulator.run(&["destroy", "--stack", "store", "--delete-data", "--yes"], &[]);
    assert_eq!(deleted.code, 0, "{}{}", deleted.stdout, deleted.stderr);
    assert!(tables(&dynamodb).await.is_empty(), "no table");
    assert_eq!(buckets(&s3).await, [LEGACY], "only the adopted bucket is left");
    assert!(databases(&rds).await.is_empty(), "no database");
    let snapshots = rds.describe_db_snapshots().snapshot_type("manual").send().await.expect("DescribeDBSnapshots");
    let finals: Vec<&str> = snapshots.db_snapshots().iter().filter_map(|s| s.db_snapshot_identifier()).collect();
    assert!(finals.len() == 1 && finals[0].starts_with(&format!("{db}-final-")), "a final snapshot first: {finals:?}");
    assert!(deleted.stderr.contains(&format!("final snapshot {}", finals[0])), "the snapshot is named: {}", deleted.stderr);
    let legacy = s3.get_object().bucket(LEGACY).key("old.txt").send().await.expect("the adopted bucket's object");
    assert_eq!(legacy.body.collect().await.expect("body").into_bytes().as_ref(), b"kept");
    // The final snapshot is the one thing left on purpose (it carries the stack's tags).
    rds.delete_db_snapshot().db_snapshot_identifier(finals[0]).send().await.expect("DeleteDBSnapshot");
    emulator.assert_nothing_left("store").await;
}

#[tokio::test]
async fn a_kms_bucket_is_encrypted_with_the_stack_key_and_deleted_with_delete_data() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = "stack: vault\nregion: us-east-1\nstorage:\n  sealed: { type: bucket, kms: true }\nservices:\n  api:\n    image: nginx:1.27\n    uses: [sealed]\n";
    let file = write(dir.path(), "vault.yaml", spec);
    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);

    let resources = cfn.describe_stack_resources().stack_name("vault").send().await.expect("DescribeStackResources");
    let physical = |logical: &str| {
        resources
            .stack_resources()
            .iter()
            .find(|r| r.logical_resource_id() == Some(logical))
            .and_then(|r| r.physical_resource_id())
            .map(str::to_string)
    };
    let bucket = physical("StorageSealedBucket").expect("the bucket");
    let key = physical("StorageSealedKey").expect("the bucket's own key");
    let encryption = s3.get_bucket_encryption().bucket(&bucket).send().await.expect("GetBucketEncryption");
    let rule = encryption.server_side_encryption_configuration().expect("configuration").rules()[0].clone();
    let default = rule.apply_server_side_encryption_by_default().expect("default encryption");
    assert_eq!(default.sse_algorithm().as_str(), "aws:kms");
    let named = default.kms_master_key_id().unwrap_or_default();
    assert!(named.ends_with(&key), "the bucket names the stack's key {key}: {named}");

    let deleted = emulator.run(&["destroy", &file, "--delete-data", "--yes"], &[]);
    assert_eq!(deleted.code, 0, "{}{}", deleted.stdout, deleted.stderr);
    assert!(!buckets(&s3).await.contains(&bucket), "the bucket is gone");
}

/// Run `script` with boto3 against the emulator (`client(name)` gives a client); its stdout.
fn boto(emulator: &Emulator, script: &str) -> String {
    let prelude = format!(
        "import boto3, json\ndef client(name):\n    return boto3.client(name, endpoint_url='{}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\n",
        emulator.url
    );
    let out =
        std::process::Command::new(common::venv_tool("python")).args(["-c", &format!("{prelude}{script}")]).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The rules of security group `group` admitting another group: (port, source group).
fn admitted(emulator: &Emulator, group: &str) -> Vec<(i64, String)> {
    let out = boto(
        emulator,
        &format!("g = client('ec2').describe_security_groups(GroupIds=['{group}'])['SecurityGroups'][0]\nprint(json.dumps([[p.get('FromPort'), u['GroupId']] for p in g['IpPermissions'] for u in p['UserIdGroupPairs']]))"),
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// A database whose password RDS does not manage: refused until the entry gives `secret:`,
/// which the template then names.
fn secret_given_when_rds_manages_none(emulator: &Emulator, dir: &std::path::Path) {
    boto(
        emulator,
        "client('rds').create_db_instance(DBInstanceIdentifier='plain-db', Engine='mysql', DBInstanceClass='db.t4g.micro', AllocatedStorage=20, DBName='shop', MasterUsername='admin', MasterUserPassword='P@55w0rd-long')",
    );
    let spec = "stack: plain\nregion: us-east-1\nstorage:\n  main-db: { type: mysql, existing: plain-db }\nservices:\n  api:\n    image: nginx:1.27\n    uses: [main-db]\n";
    let refused = emulator.run(&["plan", &write(dir, "plain.yaml", spec)], &[]);
    assert_ne!(refused.code, 0, "{}{}", refused.stdout, refused.stderr);
    let named = "storage.main-db: DB instance plain-db has no master user secret managed by RDS";
    assert!(refused.stderr.contains(named) && refused.stderr.contains("`secret: <ARN>`"), "{}", refused.stderr);
    let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:plain-db-creds-AbCdEf";
    let given = spec.replace("existing: plain-db", &format!("existing: plain-db, secret: \"{secret}\""));
    let rendered = emulator.run(&["render", &write(dir, "given.yaml", &given)], &[]);
    assert_eq!(rendered.code, 0, "{}{}", rendered.stdout, rendered.stderr);
    assert!(rendered.stdout.contains(secret) && rendered.stdout.contains("3306"), "{}", rendered.stdout);
}

#[tokio::test]
async fn an_adopted_database_is_wired_admitted_and_never_deleted() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config().await;
    let (cfn, ecs, rds) =
        (aws_sdk_cloudformation::Client::new(&config), aws_sdk_ecs::Client::new(&config), aws_sdk_rds::Client::new(&config));
    let created = boto(
        &emulator,
        "sg = client('ec2').create_security_group(GroupName='legacy-db', Description='legacy db')['GroupId']\ndb = client('rds').create_db_instance(DBInstanceIdentifier='legacy-db', Engine='postgres', DBInstanceClass='db.t4g.micro', AllocatedStorage=20, DBName='shop', MasterUsername='admin', ManageMasterUserPassword=True, VpcSecurityGroupIds=[sg])['DBInstance']\nprint(sg, db['MasterUserSecret']['SecretArn'])",
    );
    let (group, secret) = created.split_once(' ').expect("group and secret");
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = "stack: shop\nregion: us-east-1\nstorage:\n  main-db: { type: postgres, existing: legacy-db }\nservices:\n  api:\n    image: nginx:1.27\n    uses: [main-db]\n  web:\n    image: nginx:1.27\n";
    let file = write(dir.path(), "shop.yaml", spec);
    let missing = write(dir.path(), "missing.yaml", &spec.replace("existing: legacy-db", "existing: no-such-db"));
    let refused = emulator.run(&["plan", &missing], &[]);
    assert_ne!(refused.code, 0, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("storage.main-db: no RDS DB instance no-such-db"), "{}", refused.stderr);

    let deployed = emulator.run(&["deploy", &file, "--yes"], &[]);
    assert_eq!(deployed.code, 0, "{}{}", deployed.stdout, deployed.stderr);
    let td = ecs.describe_task_definition().task_definition("shop-api").send().await.expect("task definition");
    let container = &td.task_definition().expect("task definition").container_definitions()[0];
    let env: std::collections::BTreeMap<&str, &str> =
        container.environment().iter().filter_map(|kv| Some((kv.name()?, kv.value()?))).collect();
    assert_eq!((env.get("MAIN_DB_PORT"), env.get("MAIN_DB_NAME")), (Some(&"5432"), Some(&"shop")), "{env:?}");
    assert!(env.get("MAIN_DB_HOST").is_some_and(|h| h.starts_with("legacy-db.")), "{env:?}");
    let secrets: Vec<(&str, &str)> = container.secrets().iter().map(|s| (s.name(), s.value_from())).collect();
    assert_eq!(secrets, [("MAIN_DB_SECRET", secret)]);

    // Exactly the api's tasks are admitted on the database port, by a rule of the stack.
    let resources = cfn.describe_stack_resources().stack_name("shop").send().await.expect("DescribeStackResources");
    let api_group = resources
        .stack_resources()
        .iter()
        .find(|r| r.logical_resource_id() == Some("SvcApiSecurityGroup"))
        .and_then(|r| r.physical_resource_id())
        .expect("the api's security group")
        .to_string();
    assert_eq!(admitted(&emulator, group), [(5432, api_group)]);

    let deleted = emulator.run(&["destroy", &file, "--delete-data", "--yes"], &[]);
    assert_eq!(deleted.code, 0, "{}{}", deleted.stdout, deleted.stderr);
    secret_given_when_rds_manages_none(&emulator, dir.path());
    let left = rds.describe_db_instances().db_instance_identifier("legacy-db").send().await.expect("the adopted database is there");
    assert_eq!(left.db_instances()[0].db_instance_status(), Some("available"));
    assert!(admitted(&emulator, group).is_empty(), "the stack's rule went with it");
}
