//! The databases a spec adopts (`storage: { NAME: { type: postgres, existing: ID } }`),
//! described in RDS so the template can name their endpoint, secret and security group
//! (`render`, `plan` and `deploy` do this before synthesis, as with hosted zones). The
//! entry's own `secret:` wins over the master user secret RDS manages.

use std::collections::BTreeMap;

use super::Error;
use crate::aws::rds::{Instance, Rds};
use crate::aws::Aws;
use crate::model::storage::FoundDb;
use crate::model::Model;

/// What RDS says of each adopted database `model` names, by entry name.
pub async fn look_up(aws: &Aws, model: &Model) -> Result<BTreeMap<String, FoundDb>, Error> {
    let rds = Rds::new(aws);
    let mut out = BTreeMap::new();
    for s in model.databases_to_look_up() {
        let (entry, id) = (s.name.as_str(), s.existing.as_deref().unwrap_or_default());
        let Some(mut instance) = rds.instance(id).await? else {
            return Err(Error::NoDatabase { entry: entry.to_string(), id: id.to_string() });
        };
        instance.secret = s.secret.clone().or(instance.secret);
        out.insert(entry.to_string(), found(entry, id, instance)?);
    }
    Ok(out)
}

fn found(entry: &str, id: &str, db: Instance) -> Result<FoundDb, Error> {
    let lacks = |what| Error::DatabaseLacks { entry: entry.to_string(), id: id.to_string(), what };
    let secret = db.secret.ok_or_else(|| {
        lacks("no master user secret managed by RDS: give the ARN of a Secrets Manager secret with its credentials as `secret: <ARN>` in the entry")
    })?;
    Ok(FoundDb {
        host: db.host.ok_or_else(|| lacks("no endpoint yet: wait until it is available"))?,
        port: db.port.and_then(|p| u16::try_from(p).ok()).ok_or_else(|| lacks("no endpoint port"))?,
        db_name: db.db_name.ok_or_else(|| lacks("no initial database name (DBName), which `NAME_NAME` needs"))?,
        secret,
        security_group: db.security_groups.into_iter().next().ok_or_else(|| lacks("no VPC security group to admit the tasks in"))?,
    })
}
