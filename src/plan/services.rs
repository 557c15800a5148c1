//! The services part of a plan: each service's task definition and settings as they run
//! against what the spec renders to, field by field. Secret references are compared but
//! never shown: a changed secret reads `(sensitive)` on both sides.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::workload::{ServiceConfig, ServiceState, TaskDef};

/// Shown in place of a value that exists only after the infrastructure step.
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";
pub const SENSITIVE: &str = "(sensitive)";

/// What happens to an ECS service, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceAction {
    Delete,
    Update,
    Create,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChange {
    /// The ECS service.
    pub service: String,
    pub action: ServiceAction,
    /// A new task-definition revision is registered (the family's latest differs).
    pub new_revision: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_definition: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A task definition as `field → shown value`, and the values compared (secret references
/// are compared as written, shown as `(sensitive)`).
pub fn task_def_fields(td: &TaskDef) -> BTreeMap<String, (String, String)> {
    let c = &td.container;
    let mut out = BTreeMap::new();
    let mut put = |k: String, v: String| {
        out.insert(k, (v.clone(), v));
    };
    put("image".into(), c.image.clone());
    put("cpu".into(), td.cpu.to_string());
    put("memory".into(), td.memory.to_string());
    if let Some(p) = c.port {
        put("port".into(), p.to_string());
    }
    if let Some(cmd) = &c.command {
        put("command".into(), serde_json::to_string(cmd).unwrap_or_default());
    }
    if let Some(r) = &td.task_role_arn {
        put("task_role".into(), r.clone());
    }
    if let Some(r) = &td.execution_role_arn {
        put("execution_role".into(), r.clone());
    }
    if let Some(log) = &c.log {
        put("log.group".into(), log.group.clone());
        put("log.stream_prefix".into(), log.stream_prefix.clone());
    }
    for (k, v) in &c.environment {
        put(format!("environment.{k}"), v.clone());
    }
    for (k, v) in &c.secrets {
        out.insert(format!("secrets.{k}"), (v.clone(), SENSITIVE.to_string()));
    }
    out
}

/// A service's settings as `field → value`, from what the spec renders to.
pub fn desired_settings(s: &ServiceConfig) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("desired_count".into(), s.desired_count.to_string());
    out.insert("subnets".into(), s.network.subnets.join(","));
    out.insert("security_groups".into(), s.network.security_groups.join(","));
    out.insert("public_ip".into(), s.network.public_ip.to_string());
    if let Some(lb) = &s.load_balancer {
        out.insert("target_group".into(), lb.target_group_arn.clone());
        out.insert("container_port".into(), lb.container_port.to_string());
    }
    if let Some(g) = s.grace_seconds {
        out.insert("health_check_grace_seconds".into(), g.to_string());
    }
    out.insert("deployment.minimum_healthy_percent".into(), s.deployment.min_healthy_percent.to_string());
    out.insert("deployment.maximum_percent".into(), s.deployment.max_percent.to_string());
    out.insert("deployment.circuit_breaker".into(), format!("{}/rollback {}", s.deployment.circuit_breaker, s.deployment.rollback));
    if let Some(sc) = &s.service_connect {
        out.insert("service_connect.namespace".into(), sc.namespace.clone());
    }
    out
}

/// The same fields, from what ECS reports.
pub fn observed_settings(s: &ServiceState) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let o = &s.config;
    out.insert("desired_count".into(), s.desired.to_string());
    if let Some(n) = &o.network {
        out.insert("subnets".into(), n.subnets.join(","));
        out.insert("security_groups".into(), n.security_groups.join(","));
        out.insert("public_ip".into(), n.public_ip.to_string());
    }
    if let Some(lb) = &o.load_balancer {
        out.insert("target_group".into(), lb.target_group_arn.clone());
        out.insert("container_port".into(), lb.container_port.to_string());
    }
    if let Some(g) = o.grace_seconds {
        out.insert("health_check_grace_seconds".into(), g.to_string());
    }
    if let Some(d) = &o.deployment {
        out.insert("deployment.minimum_healthy_percent".into(), d.min_healthy_percent.to_string());
        out.insert("deployment.maximum_percent".into(), d.max_percent.to_string());
        out.insert("deployment.circuit_breaker".into(), format!("{}/rollback {}", d.circuit_breaker, d.rollback));
    }
    if let Some(ns) = &o.service_connect_namespace {
        out.insert("service_connect.namespace".into(), ns.clone());
    }
    out
}

/// Whether a running service's settings differ from the desired ones (an update is needed).
pub fn settings_differ(desired: &ServiceConfig, running: &ServiceState) -> bool {
    desired_settings(desired) != observed_settings(running)
}

/// Changed fields between two `field → value` maps. A desired value that is only known after
/// the infrastructure step is shown as such.
pub fn field_changes(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<FieldChange> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| FieldChange { field: k.clone(), before: before.get(k).cloned(), after: after.get(k).cloned() })
        .collect()
}

/// Changed task-definition fields, secrets shown as `(sensitive)`.
pub fn task_def_changes(before: Option<&TaskDef>, after: &TaskDef) -> Vec<FieldChange> {
    let b = before.map(task_def_fields).unwrap_or_default();
    let a = task_def_fields(after);
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    keys.into_iter()
        .filter(|k| b.get(*k).map(|v| &v.0) != a.get(*k).map(|v| &v.0))
        .map(|k| FieldChange { field: k.clone(), before: b.get(k).map(|v| v.1.clone()), after: a.get(k).map(|v| v.1.clone()) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Container;

    fn td(image: &str, secret: &str) -> TaskDef {
        TaskDef {
            family: "s-web".into(),
            cpu: 256,
            memory: 512,
            task_role_arn: None,
            execution_role_arn: None,
            container: Container {
                name: "web".into(),
                image: image.into(),
                port: Some(80),
                command: None,
                environment: BTreeMap::from([("A".to_string(), "1".to_string())]),
                secrets: BTreeMap::from([("DB".to_string(), secret.to_string())]),
                log: None,
            },
        }
    }

    #[test]
    fn a_changed_secret_reference_is_named_but_never_shown() {
        let changes = task_def_changes(Some(&td("web:1", "arn:ssm:/old")), &td("web:2", "arn:ssm:/new"));
        assert_eq!(
            changes,
            [
                FieldChange { field: "image".into(), before: Some("web:1".into()), after: Some("web:2".into()) },
                FieldChange { field: "secrets.DB".into(), before: Some(SENSITIVE.into()), after: Some(SENSITIVE.into()) },
            ]
        );
    }

    #[test]
    fn the_same_task_definition_has_no_changes() {
        assert_eq!(task_def_changes(Some(&td("web:1", "x")), &td("web:1", "x")), []);
    }
}
