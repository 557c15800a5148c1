//! Data that outlives deploys: the stack's buckets, tables and databases (`storage:`), and
//! which of them a task uses (`uses:`), with the names its environment gives them.

use serde::Serialize;

use super::{camel, Model, Service};

/// One entry of `storage:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Storage {
    /// Its name in the spec (lowercase letters, digits, dashes).
    pub name: String,
    pub kind: StorageKind,
    /// Adopted, not created: a bucket or table name, or a DB instance identifier or ARN.
    pub existing: Option<String>,
    /// An adopted database's credentials secret (ARN) as the spec gives it, for one whose
    /// master password RDS does not manage.
    pub secret: Option<String>,
    /// An adopted database as RDS describes it (`ops::storage::look_up`, before synthesis).
    pub found: Option<FoundDb>,
}

/// What the tasks using an adopted database need of it, as RDS describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundDb {
    pub host: String,
    pub port: u16,
    pub db_name: String,
    /// The master user's secret RDS manages (`MasterUserSecret.SecretArn`).
    pub secret: String,
    /// Its first VPC security group: the stack admits the using tasks in it.
    pub security_group: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StorageKind {
    Bucket(Bucket),
    Table(Table),
    Database(Database),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// Encrypted with a KMS key of the stack (else SSE-S3).
    pub kms: bool,
    pub expire_days: Option<u32>,
    pub noncurrent_days: Option<u32>,
    pub cors: Vec<CorsRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CorsRule {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub max_age: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub key: TableKey,
    pub ttl: Option<String>,
    /// Global secondary indexes, by name.
    pub indexes: Vec<(String, TableKey)>,
    pub stream: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableKey {
    pub partition: KeyAttribute,
    pub sort: Option<KeyAttribute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAttribute {
    pub name: String,
    /// `S`, `N` or `B`, as DynamoDB writes them.
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Database {
    pub engine: DbEngine,
    /// As the spec gives it (`16`, `8.0`), or the engine's default.
    pub version: String,
    /// The DB instance class (`db.t4g.small`); `db.serverless` for Aurora Serverless v2.
    pub instance: String,
    pub storage_gb: u32,
    pub multi_az: bool,
    /// Aurora Serverless v2's capacity range in ACUs.
    pub acu: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DbEngine {
    Postgres,
    Mysql,
    AuroraPostgres,
}

impl DbEngine {
    /// As RDS names the engine.
    pub fn rds_name(self) -> &'static str {
        match self {
            DbEngine::Postgres => "postgres",
            DbEngine::Mysql => "mysql",
            DbEngine::AuroraPostgres => "aurora-postgresql",
        }
    }

    pub fn port(self) -> u16 {
        match self {
            DbEngine::Postgres | DbEngine::AuroraPostgres => 5432,
            DbEngine::Mysql => 3306,
        }
    }

    /// The version when the spec gives none.
    pub fn default_version(self) -> &'static str {
        match self {
            DbEngine::Postgres | DbEngine::AuroraPostgres => "17.6",
            DbEngine::Mysql => "8.4.7",
        }
    }
}

/// The instance classes `size:` stands for, one table so the docs and the cost estimate
/// agree: small, medium, large.
pub const SIZES: [(&str, &str); 3] = [("small", "db.t4g.small"), ("medium", "db.m7g.large"), ("large", "db.r7g.xlarge")];

/// How a task may use a bucket or table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    Read,
    ReadWrite,
}

/// One entry of a task's `uses:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Use {
    pub name: String,
    pub access: Access,
}

/// A value of a storage entry a task's environment can name (`${storage.NAME.ATTR}`), read
/// from the stack's outputs at deploy time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageAttr {
    /// A bucket's or table's name, a database's name inside its server.
    Name,
    /// A bucket's or table's ARN.
    Arn,
    Host,
    Port,
    /// A database's master-user secret ARN (only through `secrets:`, never `env:`).
    Secret,
}

impl StorageAttr {
    pub fn key(self) -> &'static str {
        match self {
            StorageAttr::Name => "name",
            StorageAttr::Arn => "arn",
            StorageAttr::Host => "host",
            StorageAttr::Port => "port",
            StorageAttr::Secret => "secret",
        }
    }

    /// The attributes a kind of storage has in `env:`.
    pub fn of(kind: &StorageKind) -> &'static [StorageAttr] {
        match kind {
            StorageKind::Bucket(_) | StorageKind::Table(_) => &[StorageAttr::Name, StorageAttr::Arn],
            StorageKind::Database(_) => &[StorageAttr::Host, StorageAttr::Port, StorageAttr::Name],
        }
    }
}

impl Storage {
    /// The prefix of its environment variables: `main-db` → `MAIN_DB`.
    pub fn env_prefix(&self) -> String {
        self.name.to_ascii_uppercase().replace('-', "_")
    }

    /// CamelCase for logical ids: `main-db` → `MainDb`.
    pub fn logical(&self) -> String {
        camel(&self.name)
    }

    /// The variables a task that uses it gets, each with the attribute it names:
    /// `UPLOADS_BUCKET`, `ORDERS_TABLE`, `MAIN_DB_HOST`/`_PORT`/`_NAME`.
    pub fn env_vars(&self) -> Vec<(String, StorageAttr)> {
        let p = self.env_prefix();
        match &self.kind {
            StorageKind::Bucket(_) => vec![(format!("{p}_BUCKET"), StorageAttr::Name)],
            StorageKind::Table(_) => vec![(format!("{p}_TABLE"), StorageAttr::Name)],
            StorageKind::Database(_) => vec![
                (format!("{p}_HOST"), StorageAttr::Host),
                (format!("{p}_PORT"), StorageAttr::Port),
                (format!("{p}_NAME"), StorageAttr::Name),
            ],
        }
    }

    /// The secret a task that uses a database gets through `secrets:`: `MAIN_DB_SECRET`.
    pub fn secret_var(&self) -> Option<String> {
        matches!(self.kind, StorageKind::Database(_)).then(|| format!("{}_SECRET", self.env_prefix()))
    }

    /// The database inside the server the stack creates: the name with `_` for `-`
    /// (RDS takes letters, digits and underscores).
    pub fn db_name(&self) -> String {
        self.name.replace('-', "_")
    }
}

impl Model {
    /// The adopted databases that RDS is to describe.
    pub fn databases_to_look_up(&self) -> impl Iterator<Item = &Storage> {
        self.storage.values().filter(|s| matches!(s.kind, StorageKind::Database(_)) && s.existing.is_some() && s.found.is_none())
    }

    /// The tasks that use `storage`, with how.
    pub fn users_of<'a>(&'a self, storage: &'a str) -> impl Iterator<Item = (&'a Service, Access)> + 'a {
        self.tasks().filter_map(move |t| t.uses.iter().find(|u| u.name == storage).map(|u| (t, u.access)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_are_the_storage_name_upper_cased() {
        let db = Storage {
            name: "main-db".into(),
            kind: StorageKind::Database(Database {
                engine: DbEngine::Postgres,
                version: "16".into(),
                instance: "db.t4g.small".into(),
                storage_gb: 20,
                multi_az: false,
                acu: None,
            }),
            existing: None,
            secret: None,
            found: None,
        };
        let names: Vec<String> = db.env_vars().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["MAIN_DB_HOST", "MAIN_DB_PORT", "MAIN_DB_NAME"]);
        assert_eq!(db.secret_var().as_deref(), Some("MAIN_DB_SECRET"));
        assert_eq!(db.db_name(), "main_db");
        let bucket = Storage {
            name: "uploads".into(),
            kind: StorageKind::Bucket(Bucket { kms: false, expire_days: None, noncurrent_days: None, cors: vec![] }),
            existing: None,
            secret: None,
            found: None,
        };
        assert_eq!(bucket.env_vars(), [("UPLOADS_BUCKET".to_string(), StorageAttr::Name)]);
        assert_eq!(bucket.secret_var(), None);
    }
}
