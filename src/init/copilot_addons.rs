//! Copilot's storage add-ons as `storage:` entries: the CloudFormation templates `copilot
//! storage init` writes under `copilot/WORKLOAD/addons/` (and `copilot/environments/addons/`)
//! for S3 (`AWS::S3::Bucket`), DynamoDB (`AWS::DynamoDB::Table`) and Aurora Serverless
//! (`AWS::RDS::DBCluster`). A workload's own add-on is in its `uses:`, and the variable
//! Copilot named it by (an output of the template) is kept in its `env:` as
//! `${storage.NAME.name}`. What has no counterpart is named in the report.
//! https://aws.github.io/copilot-cli/docs/developing/storage/

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::{dns_name, Converted};

/// The parts of Copilot's templates that come with a bucket, table or cluster and that a
/// stack's storage makes itself (its policies, security groups, secret, subnet group, …).
const COMPANIONS: [&str; 9] = [
    "AWS::S3::BucketPolicy",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::RDS::DBSubnetGroup",
    "AWS::RDS::DBClusterParameterGroup",
    "AWS::RDS::DBInstance",
    "AWS::IAM::ManagedPolicy",
];

/// The add-ons of the environment (`copilot/environments/addons`): storage a workload uses
/// where its own add-ons hold an access policy to it; their names.
pub(super) fn environment(c: &mut Converted, root: &Path, app: &str) -> Vec<String> {
    templates(&root.join("environments").join("addons")).iter().flat_map(|file| one_file(c, file, None, app)).collect()
}

/// Name the environment's storage no workload uses yet.
pub(super) fn unused(c: &mut Converted, names: &[String]) {
    let used = |tasks: &Mapping, name: &str| {
        tasks.values().any(|t| t.get("uses").and_then(Value::as_sequence).is_some_and(|u| u.iter().any(|v| v.as_str() == Some(name))))
    };
    for name in names {
        if !used(&c.services, name) && !used(&c.jobs, name) {
            c.note(format!("storage {name}: the environment's (a Copilot environment add-on): name it in `uses:` of the services and jobs that reach it"));
        }
    }
}

/// The add-ons of the workload `user` (converted from `dir/manifest.yml`).
pub(super) fn workload(c: &mut Converted, dir: &Path, user: &str, app: &str) {
    for file in templates(&dir.join("addons")) {
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        // `storage init` for the environment's storage writes only an access policy here.
        let shared = stem.strip_suffix("-access-policy").map(|s| dns_name(s, 32)).filter(|s| c.storage.contains_key(s.as_str()));
        let names = match shared {
            Some(name) => vec![name],
            None => one_file(c, &file, Some(user), app),
        };
        for name in names {
            add_use(c, user, &name);
        }
    }
}

/// `dir`'s `*.yml`/`*.yaml` templates, sorted; the parameters file is not one.
fn templates(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("addons.parameters.")))
        .collect();
    files.sort();
    files
}

/// The storage entries of one template, added to `c`; their names.
fn one_file(c: &mut Converted, file: &Path, user: Option<&str>, app: &str) -> Vec<String> {
    let shown = file.display().to_string();
    let Some(doc) = std::fs::read_to_string(file).ok().and_then(|t| serde_yaml::from_str::<Value>(&t).ok()) else {
        c.note(format!("{shown}: the add-on template does not parse as YAML: left out"));
        return Vec::new();
    };
    let Some(resources) = doc.get("Resources").and_then(Value::as_mapping) else { return Vec::new() };
    let kinds = ["AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::RDS::DBCluster"];
    let data: Vec<(&str, &Value)> = resources
        .iter()
        .filter_map(|(k, r)| Some((k.as_str()?, r)))
        .filter(|(_, r)| kinds.contains(&r.get("Type").and_then(Value::as_str).unwrap_or("")))
        .collect();
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut names = Vec::new();
    for (logical, r) in &data {
        let name = if data.len() == 1 { dns_name(&stem, 32) } else { dns_name(&kebab(logical), 32) };
        let t = Template { doc: &doc, shown: &shown, logical, name: &name };
        let entry = match r.get("Type").and_then(Value::as_str) {
            Some("AWS::S3::Bucket") => Some(bucket(r)),
            Some("AWS::DynamoDB::Table") => Some(table(c, &t, r)),
            _ => database(c, &t, r),
        };
        let Some(entry) = entry else { continue };
        if c.storage.contains_key(name.as_str()) {
            c.note(format!("{shown}: {logical} left out: a storage entry is already named {name}"));
            continue;
        }
        c.storage.insert(Value::from(name.clone()), Value::Mapping(entry));
        if let Some(user) = user {
            copilot_variables(c, &t, user);
            adopt_hint(c, &t, r, app, user);
        }
        names.push(name);
    }
    left_out(c, &shown, resources);
    names
}

struct Template<'a> {
    doc: &'a Value,
    shown: &'a str,
    logical: &'a str,
    name: &'a str,
}

/// What the template holds besides its data and their companions.
fn left_out(c: &mut Converted, shown: &str, resources: &Mapping) {
    for (logical, r) in resources {
        let logical = logical.as_str().unwrap_or_default();
        let kind = r.get("Type").and_then(Value::as_str).unwrap_or("?");
        if kind == "AWS::IAM::ManagedPolicy" && !logical.ends_with("AccessPolicy") {
            c.note(format!(
                "{shown}: {logical} (a custom IAM policy) left out: `uses:` grants access to the stack's storage; give other statements in the service's `permissions:`"
            ));
        } else if !COMPANIONS.contains(&kind) && !matches!(kind, "AWS::S3::Bucket" | "AWS::DynamoDB::Table" | "AWS::RDS::DBCluster") {
            c.note(format!("{shown}: {logical} ({kind}) left out: it has no counterpart in a stack spec"));
        }
    }
}

fn bucket(r: &Value) -> Mapping {
    let p = r.get("Properties").cloned().unwrap_or(Value::Null);
    let mut e = Mapping::new();
    e.insert("type".into(), "bucket".into());
    let algorithms = p.get("BucketEncryption").and_then(|b| b.get("ServerSideEncryptionConfiguration")).and_then(Value::as_sequence);
    let kms = algorithms.into_iter().flatten().any(|s| {
        s.get("ServerSideEncryptionByDefault")
            .and_then(|d| d.get("SSEAlgorithm"))
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("aws:kms"))
    });
    if kms {
        e.insert("kms".into(), Value::Bool(true));
    }
    let rules = p.get("LifecycleConfiguration").and_then(|l| l.get("Rules")).and_then(Value::as_sequence);
    let mut lifecycle = Mapping::new();
    for rule in rules.into_iter().flatten() {
        if let Some(d) = rule.get("ExpirationInDays").and_then(Value::as_u64) {
            lifecycle.insert("expire_days".into(), d.into());
        }
        let noncurrent = rule.get("NoncurrentVersionExpiration").and_then(|n| n.get("NoncurrentDays"));
        if let Some(d) = noncurrent.or_else(|| rule.get("NoncurrentVersionExpirationInDays")).and_then(Value::as_u64) {
            lifecycle.insert("noncurrent_days".into(), d.into());
        }
    }
    if !lifecycle.is_empty() {
        e.insert("lifecycle".into(), Value::Mapping(lifecycle));
    }
    let cors: Vec<Value> = p
        .get("CorsConfiguration")
        .and_then(|c| c.get("CorsRules"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|rule| {
            let mut m = Mapping::new();
            for (from, to) in [("AllowedOrigins", "origins"), ("AllowedMethods", "methods"), ("AllowedHeaders", "headers")] {
                if let Some(v) = rule.get(from).filter(|v| v.is_sequence()) {
                    m.insert(to.into(), v.clone());
                }
            }
            if let Some(age) = rule.get("MaxAge").and_then(Value::as_u64) {
                m.insert("max_age".into(), age.into());
            }
            Value::Mapping(m)
        })
        .collect();
    if !cors.is_empty() {
        e.insert("cors".into(), Value::Sequence(cors));
    }
    e
}

fn table(c: &mut Converted, t: &Template, r: &Value) -> Mapping {
    let p = r.get("Properties").cloned().unwrap_or(Value::Null);
    let types: BTreeMap<String, String> = p
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|a| Some((a.get("AttributeName")?.as_str()?.to_string(), a.get("AttributeType")?.as_str()?.to_string())))
        .collect();
    let mut e = Mapping::new();
    e.insert("type".into(), "table".into());
    if let Some(key) = key(p.get("KeySchema"), &types) {
        e.insert("key".into(), key);
    }
    let mut indexes = Mapping::new();
    for index in p.get("GlobalSecondaryIndexes").and_then(Value::as_sequence).into_iter().flatten() {
        if let (Some(n), Some(k)) = (index.get("IndexName").and_then(Value::as_str), key(index.get("KeySchema"), &types)) {
            indexes.insert(n.into(), k);
        }
    }
    if !indexes.is_empty() {
        e.insert("indexes".into(), Value::Mapping(indexes));
    }
    let local: Vec<&str> = p
        .get("LocalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("IndexName").and_then(Value::as_str))
        .collect();
    if !local.is_empty() {
        c.note(format!(
            "storage {}: local secondary index(es) {} of {} left out: a table's `indexes:` are global secondary indexes (same key, any sort attribute)",
            t.name,
            local.join(", "),
            t.shown
        ));
    }
    let ttl = p.get("TimeToLiveSpecification").filter(|s| s.get("Enabled").and_then(Value::as_bool) != Some(false));
    if let Some(a) = ttl.and_then(|s| s.get("AttributeName")).and_then(Value::as_str) {
        e.insert("ttl".into(), a.into());
    }
    if p.get("StreamSpecification").is_some() {
        e.insert("stream".into(), Value::Bool(true));
    }
    if p.get("BillingMode").and_then(Value::as_str) == Some("PROVISIONED") {
        c.note(format!("storage {}: provisioned capacity becomes on-demand billing", t.name));
    }
    e
}

/// A `KeySchema` as `{ partition, sort }`, each attribute by name (`S`) or `{ NAME: N|B }`.
fn key(schema: Option<&Value>, types: &BTreeMap<String, String>) -> Option<Value> {
    let attr = |role: &str| {
        let name = schema?
            .as_sequence()?
            .iter()
            .find(|k| k.get("KeyType").and_then(Value::as_str) == Some(role))?
            .get("AttributeName")?
            .as_str()?;
        Some(match types.get(name).map(String::as_str) {
            Some(t) if t != "S" => {
                let mut m = Mapping::new();
                m.insert(name.into(), t.into());
                Value::Mapping(m)
            }
            _ => Value::from(name),
        })
    };
    let mut k = Mapping::new();
    k.insert("partition".into(), attr("HASH")?);
    if let Some(sort) = attr("RANGE") {
        k.insert("sort".into(), sort);
    }
    Some(Value::Mapping(k))
}

/// An Aurora Serverless cluster (v2 scaling, or v1's, as v2) running PostgreSQL.
fn database(c: &mut Converted, t: &Template, r: &Value) -> Option<Mapping> {
    let p = r.get("Properties").cloned().unwrap_or(Value::Null);
    let engine = p.get("Engine").and_then(Value::as_str).unwrap_or("?");
    if engine != "aurora-postgresql" {
        c.note(format!(
            "{}: {} (Aurora engine {engine}) left out: ecship's Aurora is aurora-postgres; declare `type: mysql` (RDS for MySQL) by hand if it will do",
            t.shown, t.logical
        ));
        return None;
    }
    let mut e = Mapping::new();
    e.insert("type".into(), "aurora-postgres".into());
    if let Some(v) = p.get("EngineVersion").and_then(|v| plain(v, t.doc)) {
        e.insert("version".into(), Value::from(v));
    }
    let v2 = p.get("ServerlessV2ScalingConfiguration");
    let scaling = v2.or_else(|| p.get("ScalingConfiguration"));
    if v2.is_none() && scaling.is_some() {
        c.note(format!("storage {}: Aurora Serverless v1 becomes v2, with its capacity range", t.name));
    }
    for (from, to) in [("MinCapacity", "min_acu"), ("MaxCapacity", "max_acu")] {
        let acu = scaling.and_then(|s| s.get(from)).and_then(|v| plain(v, t.doc)).and_then(|v| v.parse::<f64>().ok());
        if let Some(acu) = acu {
            e.insert(to.into(), acu.into());
        }
    }
    Some(e)
}

/// A property's value as text: written out, or looked up with `!FindInMap` (the map's
/// `All` entry where the key names the environment).
fn plain(v: &Value, doc: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Tagged(t) if t.tag == "!FindInMap" => find_in_map(&t.value, doc),
        Value::Mapping(m) => find_in_map(m.get("Fn::FindInMap")?, doc),
        _ => None,
    }
}

fn find_in_map(args: &Value, doc: &Value) -> Option<String> {
    let [map, top, second] = args.as_sequence()?.as_slice() else { return None };
    let entries = doc.get("Mappings")?.get(map.as_str()?)?;
    let entry = top.as_str().and_then(|k| entries.get(k)).or_else(|| entries.get("All"))?;
    plain(entry.get(second.as_str()?)?, doc)
}

/// Copilot named each of the template's outputs that is the resource's name as a variable
/// of the workload (`ORDERS_NAME`): keep it, as `${storage.NAME.name}`. A cluster's secret
/// (JSON with host, port and credentials) has no single counterpart: say what replaces it.
fn copilot_variables(c: &mut Converted, t: &Template, user: &str) {
    let outputs = t.doc.get("Outputs").and_then(Value::as_mapping).cloned().unwrap_or_default();
    for (key, out) in &outputs {
        let Some(key) = key.as_str() else { continue };
        let refs = out.get("Value").is_some_and(|v| references(v, t.logical));
        if !refs {
            continue;
        }
        let var = snake(key);
        if let Some(Value::Mapping(task)) = c.services.get_mut(user).or_else(|| c.jobs.get_mut(user)) {
            let env = task.entry("env".into()).or_insert_with(|| Value::Mapping(Mapping::new()));
            if let Value::Mapping(env) = env {
                env.entry(Value::from(var)).or_insert_with(|| Value::from(format!("${{storage.{}.name}}", t.name)));
            }
        }
    }
    if t.doc.get("Outputs").and_then(|o| o.get(format!("{}Secret", t.logical.trim_end_matches("DBCluster")))).is_some() {
        let prefix = t.name.to_ascii_uppercase().replace('-', "_");
        c.note(format!(
            "{user}: Copilot's {}_SECRET (JSON: host, port, dbname, username, password) is {prefix}_HOST, {prefix}_PORT, {prefix}_NAME and {prefix}_SECRET (username and password, from Secrets Manager) in ecship",
            snake(t.logical.trim_end_matches("DBCluster"))
        ));
    }
}

/// `!Ref LOGICAL` (or `{ Ref: LOGICAL }`).
fn references(v: &Value, logical: &str) -> bool {
    match v {
        Value::Tagged(t) => t.tag == "!Ref" && t.value.as_str() == Some(logical),
        Value::Mapping(m) => m.get("Ref").and_then(Value::as_str) == Some(logical),
        _ => false,
    }
}

/// The stack creates new storage: the data in Copilot's stays there. Say how to adopt
/// Copilot's bucket or table instead, by the name its template gives it.
fn adopt_hint(c: &mut Converted, t: &Template, r: &Value, app: &str, user: &str) {
    let kind = r.get("Type").and_then(Value::as_str).unwrap_or_default();
    let p = r.get("Properties");
    let given = match kind {
        "AWS::DynamoDB::Table" => p.and_then(|p| p.get("TableName")),
        "AWS::S3::Bucket" => p.and_then(|p| p.get("BucketName")),
        _ => None,
    };
    let given = given.and_then(|v| match v {
        Value::Tagged(s) if s.tag == "!Sub" => s.value.as_str().map(str::to_string),
        other => other.as_str().map(str::to_string),
    });
    let what = match kind {
        "AWS::DynamoDB::Table" => "table",
        "AWS::S3::Bucket" => "bucket",
        _ => "database",
    };
    let adopt = match given {
        Some(g) => format!(
            "to keep Copilot's {what} instead, adopt it in each environment: `environments.ENV.storage.{}: {{ type: {what}, existing: {} }}`",
            t.name,
            g.replace("${App}", app).replace("${Name}", user).replace("${Env}", "ENV")
        ),
        None => format!("to keep Copilot's {what} instead, adopt it by name in each environment (`existing:`)"),
    };
    let adopt = if what == "database" { "move its data with a dump and restore".to_string() } else { adopt };
    c.note(format!("storage {}: ecship creates a new {what}; the data in Copilot's stays there: {adopt}", t.name));
}

fn add_use(c: &mut Converted, user: &str, name: &str) {
    let Some(Value::Mapping(task)) = c.services.get_mut(user).or_else(|| c.jobs.get_mut(user)) else { return };
    let uses = task.entry("uses".into()).or_insert_with(|| Value::Sequence(Vec::new()));
    if let Value::Sequence(u) = uses {
        if !u.iter().any(|v| v.as_str() == Some(name)) {
            u.push(Value::from(name));
        }
    }
}

/// `ordersName` → `ORDERS_NAME`, as Copilot names an output's variable.
fn snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for ch in s.chars() {
        if ch.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        out.push(if ch == '-' { '_' } else { ch.to_ascii_uppercase() });
    }
    out
}

/// A logical id as an entry's name, without the suffix Copilot adds: `userEventsTable` →
/// `user-events`.
fn kebab(logical: &str) -> String {
    let base = ["DBCluster", "Bucket", "Table"].iter().find_map(|s| logical.strip_suffix(s).filter(|b| !b.is_empty())).unwrap_or(logical);
    snake(base).to_ascii_lowercase().replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::{kebab, snake};

    #[test]
    fn copilot_names_become_variables_and_entry_names() {
        assert_eq!(snake("ordersName"), "ORDERS_NAME");
        assert_eq!(snake("user-events"), "USER_EVENTS");
        assert_eq!(kebab("userEventsTable"), "user-events");
        assert_eq!(kebab("mainDBCluster"), "main");
    }
}
