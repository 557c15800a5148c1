//! The stack's storage (`storage:`): S3 buckets (encrypted, versioned, every kind of public
//! access blocked, TLS only), DynamoDB tables (on demand, point-in-time recovery, encrypted)
//! and RDS databases (in the private subnets, encrypted, backed up, protected from deletion,
//! the master password RDS's own secret) or Aurora PostgreSQL Serverless v2 clusters. Each
//! keeps its data when the stack deletes or replaces it (`resources::HOLDS_DATA`). What a
//! task `uses:` reaches it: the task role's grants on exactly that bucket or table, the
//! database's security group admitting exactly those tasks, and one output per entry the
//! task definitions read (`name`, `arn`; `host`, `port`, `name`, `secret`).
//! An adopted entry (`existing:`) is only named: no resource of it is in the template (an
//! adopted database's security group gets the rules admitting its users).

use serde_json::{json, Value};

use super::ids::StorageIds;
use super::network::Net;
use super::resources::{
    Bucket, BucketPolicy, DbCluster, DbInstance, DbSubnetGroup, KmsKey, PolicyDocument, SecurityGroup, Statement, Table, Tag,
};
use super::{Cx, Expr, Resource, Template};
use crate::model::storage::{self as model, Database, DbEngine, FoundDb, TableKey};
use crate::model::{Access, Service, Storage, StorageKind};

/// The tag naming the storage entry a resource holds the data of: `destroy` finds what it
/// kept by it, with `ecship:stack`.
pub const STORAGE_TAG: &str = "ecship:storage";

/// The master user of a database the stack creates (its password is RDS's secret).
const MASTER_USER: &str = "ecship";

pub fn add(cx: &Cx, t: &mut Template, net: &Net) {
    for s in cx.model.storage.values() {
        let ids = StorageIds::new(&s.name);
        let output = match (&s.kind, &s.existing) {
            (StorageKind::Bucket(_), Some(name)) => pairs(&[("name", name.into()), ("arn", bucket_arn(s))]),
            (StorageKind::Table(_), Some(name)) => pairs(&[("name", name.into()), ("arn", table_arn(s))]),
            (StorageKind::Database(_), Some(_)) => {
                let Some(found) = &s.found else { continue };
                adopted_database(cx, t, s, found)
            }
            (StorageKind::Bucket(b), None) => {
                bucket(cx, t, s, b);
                pairs(&[("name", Expr::reference(&ids.bucket())), ("arn", bucket_arn(s))])
            }
            (StorageKind::Table(table_), None) => {
                table(cx, t, s, table_);
                pairs(&[("name", Expr::reference(&ids.table())), ("arn", table_arn(s))])
            }
            (StorageKind::Database(db), None) => {
                database(cx, t, net, s, db);
                let db_id = ids.database();
                pairs(&[
                    ("host", Expr::att(&db_id, "Endpoint.Address")),
                    ("port", Expr::att(&db_id, "Endpoint.Port")),
                    ("name", s.db_name().into()),
                    ("secret", Expr::att(&db_id, "MasterUserSecret.SecretArn")),
                ])
            }
        };
        t.output(ids.output(), format!("storage {}", s.name), output);
    }
}

/// `key=value;key=value` as one joined value.
fn pairs(values: &[(&str, Expr)]) -> Expr {
    let mut parts = Vec::new();
    for (i, (k, v)) in values.iter().enumerate() {
        parts.push(Expr::from(format!("{}{k}=", if i == 0 { "" } else { ";" })));
        parts.push(v.clone());
    }
    Expr::Join(String::new(), parts)
}

/// The entry's tags: the stack's, its `Name`, and `ecship:storage`.
fn tags(cx: &Cx, s: &Storage) -> Vec<Tag> {
    let mut tags = cx.named_tags(&s.name);
    tags.push(Tag { key: STORAGE_TAG.into(), value: s.name.as_str().into() });
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    tags
}

fn bucket(cx: &Cx, t: &mut Template, s: &Storage, b: &model::Bucket) {
    let ids = StorageIds::new(&s.name);
    let default = if b.kms {
        t.add(ids.key(), Resource::new(key(cx, s)).retained());
        json!({ "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": value(&Expr::att(&ids.key(), "Arn")) })
    } else {
        json!({ "SSEAlgorithm": "AES256" })
    };
    let mut rules = Vec::new();
    if b.expire_days.is_some() || b.noncurrent_days.is_some() {
        let mut rule = json!({ "Id": "expire", "Status": "Enabled" });
        if let Some(d) = b.expire_days {
            rule["ExpirationInDays"] = json!(d);
        }
        if let Some(d) = b.noncurrent_days {
            rule["NoncurrentVersionExpiration"] = json!({ "NoncurrentDays": d });
        }
        rules.push(rule);
    }
    let cors: Vec<Value> = b
        .cors
        .iter()
        .map(|c| {
            let mut rule = json!({ "AllowedOrigins": c.origins, "AllowedMethods": c.methods });
            if !c.headers.is_empty() {
                rule["AllowedHeaders"] = json!(c.headers);
            }
            if let Some(age) = c.max_age {
                rule["MaxAge"] = json!(age);
            }
            rule
        })
        .collect();
    t.add(
        ids.bucket(),
        Resource::new(Bucket {
            bucket_encryption: json!({ "ServerSideEncryptionConfiguration": [
                { "ServerSideEncryptionByDefault": default, "BucketKeyEnabled": b.kms }
            ] }),
            public_access_block_configuration: json!({
                "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true
            }),
            versioning_configuration: json!({ "Status": "Enabled" }),
            ownership_controls: json!({ "Rules": [ { "ObjectOwnership": "BucketOwnerEnforced" } ] }),
            lifecycle_configuration: (!rules.is_empty()).then(|| json!({ "Rules": rules })),
            cors_configuration: (!cors.is_empty()).then(|| json!({ "CorsRules": cors })),
            tags: tags(cx, s),
        }),
    );
    // Requests that do not use TLS are refused, whoever makes them.
    let deny_plain = Statement {
        effect: "Deny",
        principal: Some(Expr::Map([("AWS".to_string(), Expr::from("*"))].into())),
        action: vec!["s3:*".into()],
        resource: vec![bucket_arn(s), objects(s)],
        condition: Some(Expr::Map(
            [("Bool".to_string(), Expr::Map([("aws:SecureTransport".to_string(), Expr::from("false"))].into()))].into(),
        )),
    };
    t.add(
        ids.bucket_policy(),
        Resource::new(BucketPolicy {
            bucket: Expr::reference(&ids.bucket()),
            policy_document: PolicyDocument { version: "2012-10-17", statement: vec![deny_plain] },
        }),
    );
}

/// A bucket's own KMS key: the account administers it; the task roles that use the bucket
/// get `kms:Decrypt` and `kms:GenerateDataKey` on it in their own policies.
fn key(cx: &Cx, s: &Storage) -> KmsKey {
    let account = Statement {
        effect: "Allow",
        principal: Some(Expr::Map([("AWS".to_string(), Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"))].into())),
        action: vec!["kms:*".into()],
        resource: vec!["*".into()],
        condition: None,
    };
    KmsKey {
        description: format!("ecship {}: encrypts bucket {}", cx.model.stack, s.name),
        enable_key_rotation: true,
        key_policy: PolicyDocument { version: "2012-10-17", statement: vec![account] },
        tags: tags(cx, s),
    }
}

fn table(cx: &Cx, t: &mut Template, s: &Storage, table: &model::Table) {
    let schema = |k: &TableKey| {
        let mut v = vec![json!({ "AttributeName": k.partition.name, "KeyType": "HASH" })];
        v.extend(k.sort.iter().map(|a| json!({ "AttributeName": a.name, "KeyType": "RANGE" })));
        Value::Array(v)
    };
    let mut attributes: Vec<(&str, &str)> = Vec::new();
    for k in std::iter::once(&table.key).chain(table.indexes.iter().map(|(_, k)| k)) {
        for a in std::iter::once(&k.partition).chain(k.sort.as_ref()) {
            if !attributes.iter().any(|(n, _)| *n == a.name) {
                attributes.push((&a.name, a.kind));
            }
        }
    }
    attributes.sort();
    let indexes: Vec<Value> = table
        .indexes
        .iter()
        .map(|(name, k)| json!({ "IndexName": name, "KeySchema": schema(k), "Projection": { "ProjectionType": "ALL" } }))
        .collect();
    t.add(
        StorageIds::new(&s.name).table(),
        Resource::new(Table {
            billing_mode: "PAY_PER_REQUEST",
            attribute_definitions: attributes.iter().map(|(n, k)| json!({ "AttributeName": n, "AttributeType": k })).collect(),
            key_schema: schema(&table.key),
            global_secondary_indexes: (!indexes.is_empty()).then_some(Value::Array(indexes)),
            point_in_time_recovery_specification: json!({ "PointInTimeRecoveryEnabled": true }),
            s_s_e_specification: json!({ "SSEEnabled": true }),
            time_to_live_specification: table.ttl.as_ref().map(|a| json!({ "AttributeName": a, "Enabled": true })),
            stream_specification: table.stream.then(|| json!({ "StreamViewType": "NEW_AND_OLD_IMAGES" })),
            tags: tags(cx, s),
        }),
    );
}

fn database(cx: &Cx, t: &mut Template, net: &Net, s: &Storage, db: &Database) {
    let ids = StorageIds::new(&s.name);
    t.add(
        ids.subnet_group(),
        Resource::new(DbSubnetGroup {
            d_b_subnet_group_description: format!("ecship {}: database {}", cx.model.stack, s.name),
            subnet_ids: net.private_subnets.clone(),
            tags: tags(cx, s),
        }),
    );
    t.add(
        ids.security_group(),
        Resource::new(SecurityGroup {
            group_description: format!("ecship {}: database {}", cx.model.stack, s.name),
            vpc_id: net.vpc_id.clone(),
            security_group_ingress: vec![],
            tags: cx.named_tags(&format!("storage-{}", s.name)),
        }),
    );
    for (task, _) in cx.model.users_of(&s.name) {
        admit(t, &ids, Expr::att(&ids.security_group(), "GroupId"), task, db.engine.port());
    }
    let logs: Vec<&'static str> = match db.engine {
        DbEngine::Postgres | DbEngine::AuroraPostgres => vec!["postgresql"],
        DbEngine::Mysql => vec!["error", "slowquery"],
    };
    if db.engine == DbEngine::AuroraPostgres {
        aurora(cx, t, s, db, logs);
        return;
    }
    t.add(
        ids.database(),
        Resource::new(DbInstance {
            engine: db.engine.rds_name(),
            engine_version: Some(db.version.clone()),
            d_b_instance_class: db.instance.clone(),
            d_b_cluster_identifier: None,
            allocated_storage: Some(db.storage_gb.to_string()),
            storage_type: Some("gp3"),
            storage_encrypted: Some(true),
            multi_a_z: Some(db.multi_az),
            d_b_name: Some(s.db_name()),
            master_username: Some(MASTER_USER),
            manage_master_user_password: Some(true),
            d_b_subnet_group_name: Expr::reference(&ids.subnet_group()),
            v_p_c_security_groups: vec![Expr::att(&ids.security_group(), "GroupId")],
            backup_retention_period: Some(7),
            deletion_protection: Some(true),
            enable_performance_insights: true,
            enable_i_a_m_database_authentication: Some(true),
            enable_cloudwatch_logs_exports: logs,
            publicly_accessible: false,
            copy_tags_to_snapshot: Some(true),
            auto_minor_version_upgrade: true,
            tags: tags(cx, s),
        }),
    );
}

/// Aurora PostgreSQL Serverless v2: the cluster holds the data and the settings; its
/// instances (`db.serverless`, a second one in another zone with `multi_az`) only serve it.
fn aurora(cx: &Cx, t: &mut Template, s: &Storage, db: &Database, logs: Vec<&'static str>) {
    let ids = StorageIds::new(&s.name);
    let (min, max) = db.acu.unwrap_or((0.5, 4.0));
    t.add(
        ids.database(),
        Resource::new(DbCluster {
            engine: db.engine.rds_name(),
            engine_version: db.version.clone(),
            serverless_v2_scaling_configuration: json!({ "MinCapacity": min, "MaxCapacity": max }),
            database_name: s.db_name(),
            master_username: MASTER_USER,
            manage_master_user_password: true,
            d_b_subnet_group_name: Expr::reference(&ids.subnet_group()),
            vpc_security_group_ids: vec![Expr::att(&ids.security_group(), "GroupId")],
            storage_encrypted: true,
            backup_retention_period: 7,
            deletion_protection: true,
            copy_tags_to_snapshot: true,
            enable_i_a_m_database_authentication: true,
            enable_cloudwatch_logs_exports: logs,
            tags: tags(cx, s),
        }),
    );
    let count = if db.multi_az { 2 } else { 1 };
    for i in 0..count {
        let id = if i == 0 { ids.aurora_instance() } else { format!("{}{}", ids.aurora_instance(), i + 1) };
        let mut instance = Resource::new(DbInstance {
            engine: db.engine.rds_name(),
            engine_version: None,
            d_b_instance_class: db.instance.clone(),
            d_b_cluster_identifier: Some(Expr::reference(&ids.database())),
            allocated_storage: None,
            storage_type: None,
            storage_encrypted: None,
            multi_a_z: None,
            d_b_name: None,
            master_username: None,
            manage_master_user_password: None,
            d_b_subnet_group_name: Expr::reference(&ids.subnet_group()),
            v_p_c_security_groups: vec![],
            backup_retention_period: None,
            deletion_protection: None,
            enable_performance_insights: true,
            enable_i_a_m_database_authentication: None,
            enable_cloudwatch_logs_exports: vec![],
            publicly_accessible: false,
            copy_tags_to_snapshot: None,
            auto_minor_version_upgrade: true,
            tags: tags(cx, s),
        });
        // A cluster's instance holds no data of its own: the cluster keeps it (and is
        // snapshotted when replaced); a snapshot policy is not valid on its instances.
        instance.update_replace_policy = instance.deletion_policy;
        t.add(id, instance);
    }
}

/// An adopted database: its security group admits the tasks using it (the stack's own
/// rules, deleted with it); the database itself is never in the template.
fn adopted_database(cx: &Cx, t: &mut Template, s: &Storage, found: &FoundDb) -> Expr {
    let ids = StorageIds::new(&s.name);
    for (task, _) in cx.model.users_of(&s.name) {
        admit(t, &ids, found.security_group.as_str().into(), task, found.port);
    }
    pairs(&[
        ("host", found.host.as_str().into()),
        ("port", found.port.to_string().into()),
        ("name", found.db_name.as_str().into()),
        ("secret", found.secret.as_str().into()),
    ])
}

/// A rule of the database's security group (`group`, its id) admitting `task` on `port`.
fn admit(t: &mut Template, ids: &StorageIds, group: Expr, task: &Service, port: u16) {
    super::volumes::admit_task(t, (ids.ingress_from(&task.name.logical()), group), task, u32::from(port), "database");
}

fn value(e: &Expr) -> Value {
    serde_json::to_value(e).unwrap_or(Value::Null)
}

/// A bucket's ARN: the one the stack creates, or the adopted one by name.
fn bucket_arn(s: &Storage) -> Expr {
    match &s.existing {
        Some(name) => Expr::sub(format!("arn:${{AWS::Partition}}:s3:::{name}")),
        None => Expr::att(&StorageIds::new(&s.name).bucket(), "Arn"),
    }
}

fn objects(s: &Storage) -> Expr {
    match &s.existing {
        Some(name) => Expr::sub(format!("arn:${{AWS::Partition}}:s3:::{name}/*")),
        None => Expr::sub(format!("${{{}.Arn}}/*", StorageIds::new(&s.name).bucket())),
    }
}

fn table_arn(s: &Storage) -> Expr {
    match &s.existing {
        Some(name) => Expr::sub(format!("arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{name}")),
        None => Expr::att(&StorageIds::new(&s.name).table(), "Arn"),
    }
}

/// What a task's role may do with the buckets and tables it uses: read, or read and write,
/// exactly those (a table's indexes too); a bucket's KMS key to read and write through it.
pub fn statements(cx: &Cx, task: &Service) -> Vec<Statement> {
    let mut out = Vec::new();
    for u in &task.uses {
        let Some(s) = cx.model.storage.get(&u.name) else { continue };
        let write = u.access == Access::ReadWrite;
        match &s.kind {
            StorageKind::Bucket(b) => {
                out.push(allow(&["s3:ListBucket"], vec![bucket_arn(s)]));
                let mut actions = vec!["s3:GetObject"];
                if write {
                    actions.extend(["s3:PutObject", "s3:DeleteObject"]);
                }
                out.push(allow(&actions, vec![objects(s)]));
                if b.kms && s.existing.is_none() {
                    out.push(allow(&["kms:Decrypt", "kms:GenerateDataKey"], vec![Expr::att(&StorageIds::new(&s.name).key(), "Arn")]));
                }
            }
            StorageKind::Table(_) => {
                let mut actions = vec![
                    "dynamodb:BatchGetItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                ];
                if write {
                    actions.extend(["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
                }
                let arn = table_arn(s);
                let indexes = Expr::Join(String::new(), vec![arn.clone(), "/index/*".into()]);
                out.push(allow(&actions, vec![arn, indexes]));
            }
            StorageKind::Database(_) => {}
        }
    }
    out
}

/// The master-user secrets of the databases tasks use: the execution role reads them into
/// the tasks' `secrets:`.
pub fn secret_arns(cx: &Cx) -> Vec<Expr> {
    cx.model
        .storage
        .values()
        .filter(|s| matches!(s.kind, StorageKind::Database(_)))
        .filter(|s| cx.model.users_of(&s.name).next().is_some())
        .filter_map(|s| match (&s.existing, &s.found) {
            (None, _) => Some(Expr::att(&StorageIds::new(&s.name).database(), "MasterUserSecret.SecretArn")),
            (Some(_), found) => Some(found.as_ref()?.secret.as_str().into()),
        })
        .collect()
}

fn allow(actions: &[&str], resource: Vec<Expr>) -> Statement {
    Statement { effect: "Allow", principal: None, action: actions.iter().map(|a| a.to_string()).collect(), resource, condition: None }
}
