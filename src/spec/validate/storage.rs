//! Rules for `storage:` (names, the keys each type takes, table keys and their attribute
//! types, the instance classes RDS offers each engine, a database's subnets, the names S3
//! and DynamoDB accept for adopted ones) and for a task's `uses:` (names that exist, the
//! variables they set clashing with none of its own).

use std::collections::BTreeMap;

use super::checks;
use super::Ctx;
use crate::model::storage::{Bucket, CorsRule, Database, DbEngine, KeyAttribute, Table, TableKey, SIZES};
use crate::model::{self, Access, Network, Storage, StorageKind};
use crate::spec::diagnostic::did_you_mean;
use crate::spec::types::{self, StorageType};

/// The instance families RDS offers PostgreSQL and MySQL on (Graviton and Intel, burstable,
/// general purpose, memory optimised), with the sizes each comes in.
/// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html
const FAMILIES: &[(&str, &[&str])] = &[
    ("t3", BURSTABLE),
    ("t4g", BURSTABLE),
    ("m5", GENERAL),
    ("m6g", GENERAL),
    ("m6i", GENERAL),
    ("m7g", GENERAL),
    ("r5", GENERAL),
    ("r6g", GENERAL),
    ("r6i", GENERAL),
    ("r7g", GENERAL),
];
const BURSTABLE: &[&str] = &["micro", "small", "medium", "large", "xlarge", "2xlarge"];
const GENERAL: &[&str] = &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];

/// Keys of a storage entry, with the types they apply to.
const KEYS: &[(&str, &[StorageType])] = &[
    ("kms", &[StorageType::Bucket]),
    ("lifecycle", &[StorageType::Bucket]),
    ("cors", &[StorageType::Bucket]),
    ("key", &[StorageType::Table]),
    ("ttl", &[StorageType::Table]),
    ("indexes", &[StorageType::Table]),
    ("stream", &[StorageType::Table]),
    ("version", DATABASES),
    ("size", &[StorageType::Postgres, StorageType::Mysql]),
    ("instance", &[StorageType::Postgres, StorageType::Mysql]),
    ("storage_gb", &[StorageType::Postgres, StorageType::Mysql]),
    ("multi_az", DATABASES),
    ("min_acu", &[StorageType::AuroraPostgres]),
    ("max_acu", &[StorageType::AuroraPostgres]),
];
const DATABASES: &[StorageType] = &[StorageType::Postgres, StorageType::Mysql, StorageType::AuroraPostgres];

impl Ctx<'_> {
    pub(super) fn storage(&mut self, network: &Option<Network>) -> BTreeMap<String, Storage> {
        let spec = self.loaded.spec.clone();
        let mut out = BTreeMap::new();
        for (name, raw) in &spec.storage {
            let path = format!("storage.{name}");
            if let Err(m) = checks::dns_label(name, 32) {
                self.err(&path, format!("storage name `{name}` {m}"));
                continue;
            }
            self.keys_apply(&path, raw);
            let kind = match raw.kind {
                StorageType::Bucket => StorageKind::Bucket(self.bucket(&path, raw)),
                StorageType::Table => StorageKind::Table(self.table(&path, raw)),
                _ => StorageKind::Database(self.database(&path, raw, network)),
            };
            let existing = raw.existing.clone();
            if let Some(e) = &existing {
                self.existing_name(&path, raw.kind, e);
            }
            let secret = self.db_secret(&path, raw);
            out.insert(name.clone(), Storage { name: name.clone(), kind, existing, secret, found: None });
        }
        out
    }

    /// Keys that do not apply to the entry's type; for an adopted one, every key but `type`.
    fn keys_apply(&mut self, path: &str, raw: &types::Storage) {
        let Ok(serde_json::Value::Object(set)) = serde_json::to_value(raw) else { return };
        for (key, types) in KEYS {
            if set.get(*key).is_none_or(serde_json::Value::is_null) {
                continue;
            }
            if raw.existing.is_some() {
                self.err(&format!("{path}.{key}"), format!("`{key}` shapes what the stack creates; an `existing` one is adopted as it is"))
                    .hint("remove it: ecship never changes an adopted resource");
            } else if !types.contains(&raw.kind) {
                self.err(&format!("{path}.{key}"), format!("`{key}` does not apply to a {}", type_name(raw.kind)));
            }
        }
    }

    fn existing_name(&mut self, path: &str, kind: StorageType, name: &str) {
        let p = format!("{path}.existing");
        let problem = match kind {
            StorageType::Bucket => checks::bucket_name(name).err().map(|m| format!("`{name}` is not a bucket name S3 accepts: {m}")),
            StorageType::Table => {
                let ok = (3..=255).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                (!ok).then(|| format!("`{name}` is not a DynamoDB table name (3–255 letters, digits, `_`, `.`, `-`)"))
            }
            StorageType::AuroraPostgres => Some("adopting an existing Aurora cluster is not supported".to_string()),
            _ => (!db_identifier(name)).then(|| {
                format!("`{name}` is neither a DB instance identifier (letters, digits, `-`, up to 63) nor an RDS instance ARN (arn:…:rds:…:db:ID)")
            }),
        };
        if let Some(m) = problem {
            self.err(&p, m);
        }
    }

    /// `secret:`: only for an adopted database, a Secrets Manager secret's ARN.
    fn db_secret(&mut self, path: &str, raw: &types::Storage) -> Option<String> {
        let secret = raw.secret.as_ref()?;
        let p = format!("{path}.secret");
        if raw.existing.is_none() || !DATABASES.contains(&raw.kind) {
            self.err(&p, "`secret` names the credentials of an adopted database (`existing:`)")
                .hint("a database the stack creates has its master password managed by RDS");
            return None;
        }
        let parts: Vec<&str> = secret.split(':').collect();
        if parts.len() < 7 || parts[0] != "arn" || parts[2] != "secretsmanager" || parts[5] != "secret" {
            self.err(&p, format!("`{secret}` is not a Secrets Manager ARN")).hint("arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME");
            return None;
        }
        Some(secret.clone())
    }

    fn bucket(&mut self, path: &str, raw: &types::Storage) -> Bucket {
        let lifecycle = raw.lifecycle.as_ref();
        for (key, days) in
            [("expire_days", lifecycle.and_then(|l| l.expire_days)), ("noncurrent_days", lifecycle.and_then(|l| l.noncurrent_days))]
        {
            if days == Some(0) {
                self.err(&format!("{path}.lifecycle.{key}"), "at least 1 day");
            }
        }
        let mut cors = Vec::new();
        for (i, c) in raw.cors.iter().flatten().enumerate() {
            let p = format!("{path}.cors[{i}]");
            if c.origins.is_empty() {
                self.err(&format!("{p}.origins"), "name at least one origin, e.g. https://example.com");
            }
            let methods = c.methods.clone().unwrap_or_else(|| vec!["GET".into()]);
            for m in methods.iter().filter(|m| !["GET", "PUT", "POST", "DELETE", "HEAD"].contains(&m.as_str())) {
                self.err(&format!("{p}.methods"), format!("S3 takes no CORS method `{m}`")).hint("GET, PUT, POST, DELETE or HEAD");
            }
            cors.push(CorsRule { origins: c.origins.clone(), methods, headers: c.headers.clone().unwrap_or_default(), max_age: c.max_age });
        }
        Bucket {
            kms: raw.kms.unwrap_or(false),
            expire_days: lifecycle.and_then(|l| l.expire_days),
            noncurrent_days: lifecycle.and_then(|l| l.noncurrent_days),
            cors,
        }
    }

    fn table(&mut self, path: &str, raw: &types::Storage) -> Table {
        let key = match &raw.key {
            Some(k) => self.table_key(&format!("{path}.key"), k),
            None => {
                if raw.existing.is_none() {
                    self.err(path, "a table needs its `key`").hint("e.g. key: { partition: id, sort: created_at }");
                }
                TableKey { partition: KeyAttribute { name: "id".into(), kind: "S" }, sort: None }
            }
        };
        let mut types: BTreeMap<String, &'static str> = key_attrs(&key).map(|a| (a.name.clone(), a.kind)).collect();
        let mut indexes = Vec::new();
        for (name, k) in raw.indexes.iter().flatten() {
            let p = format!("{path}.indexes.{name}");
            if !(3..=255).contains(&name.len()) || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
                self.err(&p, format!("`{name}` is not an index name DynamoDB accepts (3–255 letters, digits, `_`, `.`, `-`)"));
            }
            let ik = self.table_key(&p, k);
            for a in key_attrs(&ik) {
                match types.insert(a.name.clone(), a.kind) {
                    Some(before) if before != a.kind => {
                        self.err(&p, format!("attribute `{}` is {before} in another key and {} here", a.name, a.kind))
                            .hint("an attribute has one type across the table's keys");
                    }
                    _ => {}
                }
            }
            indexes.push((name.clone(), ik));
        }
        if raw.ttl.as_deref().is_some_and(str::is_empty) {
            self.err(&format!("{path}.ttl"), "name the attribute holding each item's expiry time");
        }
        Table { key, ttl: raw.ttl.clone(), indexes, stream: raw.stream.unwrap_or(false) }
    }

    fn table_key(&mut self, path: &str, raw: &types::TableKey) -> TableKey {
        let partition = self.key_attribute(&format!("{path}.partition"), &raw.partition);
        let sort = raw.sort.as_ref().map(|s| self.key_attribute(&format!("{path}.sort"), s));
        TableKey { partition, sort }
    }

    fn key_attribute(&mut self, path: &str, raw: &types::KeyAttribute) -> KeyAttribute {
        let (name, kind) = match raw {
            types::KeyAttribute::Name(n) => (n.clone(), "S"),
            types::KeyAttribute::Typed(m) if m.len() == 1 => {
                let (n, t) = m.iter().next().map(|(n, t)| (n.clone(), t.as_str())).unwrap_or_default();
                let kind = match t {
                    "S" => "S",
                    "N" => "N",
                    "B" => "B",
                    other => {
                        self.err(&format!("{path}.{n}"), format!("`{other}` is not a key attribute type"))
                            .hint("S (string), N (number) or B (binary)");
                        "S"
                    }
                };
                (n, kind)
            }
            types::KeyAttribute::Typed(_) => {
                self.err(path, "a key attribute is a name, or one `NAME: S|N|B`").hint("e.g. partition: id, or partition: { id: N }");
                (String::from("id"), "S")
            }
        };
        if name.is_empty() || name.len() > 255 {
            self.err(path, "a key attribute's name is 1–255 characters");
        }
        KeyAttribute { name, kind }
    }

    fn database(&mut self, path: &str, raw: &types::Storage, network: &Option<Network>) -> Database {
        let engine = match raw.kind {
            StorageType::Mysql => DbEngine::Mysql,
            StorageType::AuroraPostgres => DbEngine::AuroraPostgres,
            _ => DbEngine::Postgres,
        };
        let version = raw.version.clone().unwrap_or_else(|| engine.default_version().to_string());
        let numeric = !version.is_empty() && version.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if !numeric {
            self.err(&format!("{path}.version"), format!("`{version}` is not an engine version")).hint("e.g. version: \"16\"");
        }
        let instance = self.instance(path, raw, engine);
        let storage_gb = raw.storage_gb.unwrap_or(20);
        if !(20..=65_536).contains(&storage_gb) {
            self.err(&format!("{path}.storage_gb"), format!("{storage_gb} GiB: RDS allocates 20 to 65536"));
        }
        let multi_az = raw.multi_az.unwrap_or(false);
        if raw.existing.is_none() {
            self.database_subnets(path, network, multi_az);
        }
        let acu = (engine == DbEngine::AuroraPostgres).then(|| self.acu(path, raw));
        Database { engine, version, instance, storage_gb, multi_az, acu }
    }

    fn instance(&mut self, path: &str, raw: &types::Storage, engine: DbEngine) -> String {
        if engine == DbEngine::AuroraPostgres {
            return "db.serverless".into();
        }
        if raw.size.is_some() && raw.instance.is_some() {
            self.err(&format!("{path}.instance"), "give `size` or `instance`, not both");
        }
        let size = match raw.size.unwrap_or(types::DbSize::Small) {
            types::DbSize::Small => SIZES[0].1,
            types::DbSize::Medium => SIZES[1].1,
            types::DbSize::Large => SIZES[2].1,
        };
        let Some(class) = raw.instance.clone() else { return size.to_string() };
        let offered = class
            .strip_prefix("db.")
            .and_then(|c| c.split_once('.'))
            .is_some_and(|(family, size)| FAMILIES.iter().any(|(f, sizes)| *f == family && sizes.contains(&size)));
        if !offered {
            let families: Vec<&str> = FAMILIES.iter().map(|(f, _)| *f).collect();
            self.err(&format!("{path}.instance"), format!("RDS offers no instance class `{class}` for {}", engine.rds_name()))
                .hint(format!("e.g. db.t4g.micro or db.m7g.large (families: {})", families.join(", ")));
        }
        class
    }

    /// A database lives in the private subnets of two zones at least (RDS asks that of a
    /// subnet group, and a Multi-AZ standby needs the second).
    fn database_subnets(&mut self, path: &str, network: &Option<Network>, multi_az: bool) {
        let private = match network {
            Some(Network::Managed { zones, .. }) => zones.iter().filter(|z| z.private.is_some()).count(),
            Some(Network::Existing { private_subnets, .. }) => private_subnets.len(),
            None => return,
        };
        if private >= 2 {
            return;
        }
        let (at, what) = if multi_az { (format!("{path}.multi_az"), "multi_az needs") } else { (path.to_string(), "a database needs") };
        self.err(&at, format!("{what} private subnets in two zones; the network has {private}"))
            .hint("give the network NAT (`nat: single`), or two `private_subnets` of the existing VPC");
    }

    fn acu(&mut self, path: &str, raw: &types::Storage) -> (f64, f64) {
        let (min, max) = (raw.min_acu.unwrap_or(0.5), raw.max_acu.unwrap_or(4.0));
        let half_steps = |v: f64| (v * 2.0).fract() == 0.0;
        if !(0.0..=256.0).contains(&min) || !half_steps(min) {
            self.err(&format!("{path}.min_acu"), format!("{min} ACUs: Aurora Serverless v2 takes 0 to 256 in steps of 0.5"));
        }
        if !(1.0..=256.0).contains(&max) || !half_steps(max) || max < min {
            self.err(&format!("{path}.max_acu"), format!("{max} ACUs: use 1 to 256 in steps of 0.5, at least min_acu"));
        }
        (min, max)
    }

    /// A task's `uses:`: names of the stack's storage, each once, setting no variable the task
    /// sets itself.
    pub(super) fn uses(&mut self, path: &str, raw: &types::Service) -> Vec<model::Use> {
        let declared = self.loaded.spec.storage.clone();
        let mut out: Vec<model::Use> = Vec::new();
        for (i, u) in raw.uses.iter().enumerate() {
            let p = format!("{path}.uses[{i}]");
            let (name, access) = match u {
                types::Use::Name(n) => (n.clone(), None),
                types::Use::Access(a) => (a.name.clone(), a.access),
            };
            let Some(entry) = declared.get(&name) else {
                let hint = match did_you_mean(&name, declared.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if declared.is_empty() => "declare it under `storage:`".to_string(),
                    None => format!("storage in this stack: {}", declared.keys().cloned().collect::<Vec<_>>().join(", ")),
                };
                self.err(&p, format!("there is no storage `{name}`")).hint(hint);
                continue;
            };
            if DATABASES.contains(&entry.kind) && access.is_some() {
                self.err(&format!("{p}.access"), "a database's access is its users' grants, not IAM")
                    .hint("leave `access` out; connect as a read-only database user for reads");
            }
            if out.iter().any(|o| o.name == name) {
                self.err(&p, format!("`{name}` is used twice"));
                continue;
            }
            let access = match access {
                Some(types::Access::Read) => Access::Read,
                _ => Access::ReadWrite,
            };
            out.push(model::Use { name, access });
        }
        self.clashing_variables(path, raw, &out);
        out
    }

    /// The variables `uses:` sets must not be set in `env:` or `secrets:` too.
    fn clashing_variables(&mut self, path: &str, raw: &types::Service, uses: &[model::Use]) {
        for u in uses {
            let Some(entry) = self.loaded.spec.storage.get(&u.name) else { continue };
            let prefix = u.name.to_ascii_uppercase().replace('-', "_");
            let vars: Vec<String> = match entry.kind {
                StorageType::Bucket => vec![format!("{prefix}_BUCKET")],
                StorageType::Table => vec![format!("{prefix}_TABLE")],
                _ => ["HOST", "PORT", "NAME", "SECRET"].iter().map(|s| format!("{prefix}_{s}")).collect(),
            };
            for var in vars {
                let section = if raw.env.contains_key(&var) {
                    "env"
                } else if raw.secrets.contains_key(&var) {
                    "secrets"
                } else {
                    continue;
                };
                self.err(&format!("{path}.{section}.{var}"), format!("`{var}` is set by `uses: [{}]`", u.name))
                    .hint("remove it here, or name the value another way");
            }
        }
    }
}

fn key_attrs(k: &TableKey) -> impl Iterator<Item = &KeyAttribute> {
    std::iter::once(&k.partition).chain(k.sort.as_ref())
}

fn type_name(t: StorageType) -> &'static str {
    match t {
        StorageType::Bucket => "bucket",
        StorageType::Table => "table",
        StorageType::Postgres => "postgres database",
        StorageType::Mysql => "mysql database",
        StorageType::AuroraPostgres => "aurora-postgres database",
    }
}

/// A DB instance identifier (1–63 letters, digits and dashes, starting with a letter), or
/// such an instance's ARN.
fn db_identifier(name: &str) -> bool {
    let id = match name.strip_prefix("arn:") {
        Some(rest) => match rest.split(':').collect::<Vec<_>>().as_slice() {
            [_, "rds", _, _, "db", id] => *id,
            _ => return false,
        },
        None => name,
    };
    (1..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}
