//! The services part of a plan: each service's task definition and settings as they run
//! against what the spec renders to, field by field. Secret references are compared but
//! never shown: a changed secret reads `(sensitive)` on both sides. Values AWS fills in
//! where the spec says nothing never count as changes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::desire::DesiredService;
use super::rollout::Kind;
use crate::model::Service;
use crate::observe::Observed;
use crate::synth::ids::ServiceIds;
use crate::workload::scaling;
use crate::workload::{Container, DeploymentConfig, LoadBalancerTarget, NativeShift, ServiceConfig, ServiceState, TaskDef};

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
    /// For an autoscaled service: the count is Application Auto Scaling's, not the spec's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<ManagedCount>,
}

/// An autoscaled service's count: kept where it is, within min–max.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedCount {
    pub min: u32,
    pub max: u32,
    /// The count it runs now (`None` for a new service).
    pub now: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Names of the fields a plan shows and the rules below look at.
pub mod field {
    pub const TARGET_GROUP: &str = "target_group";
    pub const SECURITY_GROUPS: &str = "security_groups";
    pub const TASK_ROLE: &str = "task_role";
    /// ECS Exec on.
    pub const EXEC: &str = "exec";
    /// The capacity provider strategy.
    pub const CAPACITY: &str = "capacity";
    /// Settings ECS applies only by starting new tasks.
    pub const REDEPLOYED: [&str; 8] =
        ["subnets", SECURITY_GROUPS, "public_ip", TARGET_GROUP, "container_port", "service_connect.namespace", EXEC, CAPACITY];
}

/// What changes for one desired service, if anything, and how it rolls out. `replaced` are
/// the logical ids of resources the infrastructure step replaces (a new physical id).
pub fn change(svc: &Service, d: &DesiredService, observed: &Observed, replaced: &BTreeSet<String>) -> Option<(ServiceChange, Kind)> {
    let name = &d.config.name;
    let latest = observed.latest.get(&d.task_def.family);
    let new_revision = latest.is_none_or(|l| l.task_def != d.task_def);
    let ids = ServiceIds::new(&svc.name.logical());
    let autoscaling =
        svc.autoscaling.as_ref().map(|a| ManagedCount { min: a.min, max: a.max, now: observed.services.get(name).map(|s| s.desired) });
    let mut wanted = desired_settings(&d.config);
    wanted.extend(scaling::fields(d.scaling.as_ref()));
    let Some(running) = observed.services.get(name) else {
        let settings = field_changes(&BTreeMap::new(), &wanted);
        let task_definition = task_def_changes(None, &d.task_def);
        let mut c =
            ServiceChange { service: name.clone(), action: ServiceAction::Create, new_revision, task_definition, settings, autoscaling };
        after_replacement(&mut c, &ids, observed, replaced);
        return Some((c, Kind::Create));
    };
    let task_definition = task_def_changes(observed.running.get(name).map(|r| &r.task_def), &d.task_def);
    let mut deployed = observed_settings(running);
    deployed.extend(scaling::fields(observed.scaling.get(name)));
    let settings = field_changes(&deployed, &wanted);
    // Not on the family's latest revision (an earlier deploy half done, or rolled back).
    let behind = latest.is_some_and(|l| l.arn != running.task_definition);
    let moved = [ids.target_group(), ids.security_group(), ids.task_role()].iter().any(|id| replaced.contains(id));
    if !(new_revision || behind || moved || !settings.is_empty()) {
        return None;
    }
    let mut c =
        ServiceChange { service: name.clone(), action: ServiceAction::Update, new_revision, task_definition, settings, autoscaling };
    after_replacement(&mut c, &ids, observed, replaced);
    let kind = if c.new_revision
        || !c.task_definition.is_empty()
        || behind
        || c.settings.iter().any(|f| field::REDEPLOYED.contains(&f.field.as_str()))
    {
        Kind::Redeploy
    } else {
        Kind::InPlace
    };
    Some((c, kind))
}

/// A replaced resource gets a new id: the service will point at it after the stack step.
fn after_replacement(c: &mut ServiceChange, ids: &ServiceIds, observed: &Observed, replaced: &BTreeSet<String>) {
    for (id, name) in [(ids.target_group(), field::TARGET_GROUP), (ids.security_group(), field::SECURITY_GROUPS)] {
        if replaced.contains(&id) && c.action == ServiceAction::Update {
            let before = observed.services.get(&c.service).and_then(|s| observed_settings(s).remove(name));
            known_after_apply(&mut c.settings, name, before);
        }
    }
    if replaced.contains(&ids.task_role()) {
        let before = observed.running.get(&c.service).and_then(|r| r.task_def.task_role_arn.clone());
        known_after_apply(&mut c.task_definition, field::TASK_ROLE, before);
        c.new_revision = true;
    }
}

fn known_after_apply(changes: &mut Vec<FieldChange>, name: &str, before: Option<String>) {
    changes.retain(|f| f.field != name);
    changes.push(FieldChange { field: name.into(), before, after: Some(KNOWN_AFTER_APPLY.into()) });
    changes.sort_by(|a, b| a.field.cmp(&b.field));
}

/// A task definition as `field → shown value`, and the values compared (secret references
/// are compared as written, shown as `(sensitive)`).
pub fn task_def_fields(td: &TaskDef) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    let mut put = |k: String, v: String| {
        out.insert(k, (v.clone(), v));
    };
    put("cpu".into(), td.cpu.to_string());
    put("memory".into(), td.memory.to_string());
    if let Some(a) = &td.architecture {
        put("platform".into(), a.to_lowercase());
    }
    if let Some(g) = td.storage {
        put("storage".into(), format!("{g} GiB"));
    }
    if let Some(r) = &td.task_role_arn {
        put("task_role".into(), r.clone());
    }
    if let Some(r) = &td.execution_role_arn {
        put("execution_role".into(), r.clone());
    }
    for v in &td.volumes {
        let ap = v.access_point.as_ref().map(|a| format!(" through {a}")).unwrap_or_default();
        put(format!("volumes.{}", v.name), format!("{}{ap}", v.file_system));
    }
    container_fields("", &td.container, &mut out);
    for sc in &td.sidecars {
        container_fields(&format!("sidecars.{}.", sc.name), sc, &mut out);
    }
    out
}

/// One container's fields, under `prefix` (empty for the task's own container).
fn container_fields(prefix: &str, c: &Container, out: &mut BTreeMap<String, (String, String)>) {
    let mut put = |k: &str, v: String| {
        out.insert(format!("{prefix}{k}"), (v.clone(), v));
    };
    put("image", c.image.clone());
    if let Some(p) = c.port {
        put("port", p.to_string());
    }
    if let Some(cmd) = &c.command {
        put("command", serde_json::to_string(cmd).unwrap_or_default());
    }
    if let Some(log) = &c.log {
        put("log.group", log.group.clone());
        put("log.stream_prefix", log.stream_prefix.clone());
    }
    if !c.essential {
        put("essential", "false".into());
    }
    for (k, v) in &c.depends_on {
        put(&format!("depends_on.{k}"), v.clone());
    }
    if let Some(h) = &c.health_check {
        let text = format!(
            "{} every {}s, timeout {}s, {} retries, grace {}s",
            serde_json::to_string(&h.command).unwrap_or_default(),
            h.interval,
            h.timeout,
            h.retries,
            h.grace
        );
        put("health_check", text);
    }
    if let Some(n) = c.cpu {
        put("cpu", n.to_string());
    }
    if let Some(n) = c.memory {
        put("memory", n.to_string());
    }
    if let Some(f) = &c.firelens {
        put("firelens", f.clone());
    }
    if let Some(options) = &c.log_router {
        put("log.router", "firelens".into());
        for (k, v) in options {
            put(&format!("log.options.{k}"), v.clone());
        }
    }
    if let Some(arn) = &c.credentials {
        put("credentials", arn.clone());
    }
    for m in &c.mounts {
        put(&format!("mounts.{}", m.volume), format!("{}{}", m.path, if m.read_only { " (read-only)" } else { "" }));
    }
    for (k, v) in &c.environment {
        put(&format!("environment.{k}"), v.clone());
    }
    for (k, v) in &c.secrets {
        out.insert(format!("{prefix}secrets.{k}"), (v.clone(), SENSITIVE.to_string()));
    }
}

/// A service's settings as `field → value`, from what the spec renders to.
pub fn desired_settings(s: &ServiceConfig) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("desired_count".into(), s.desired_count.to_string());
    out.insert("subnets".into(), s.network.subnets.join(","));
    out.insert("security_groups".into(), s.network.security_groups.join(","));
    out.insert("public_ip".into(), s.network.public_ip.to_string());
    if let Some(lb) = &s.load_balancer {
        load_balancer_fields(&mut out, lb);
    }
    if let Some(g) = s.grace_seconds {
        out.insert("health_check_grace_seconds".into(), g.to_string());
    }
    out.insert("deployment.minimum_healthy_percent".into(), s.deployment.min_healthy_percent.to_string());
    out.insert("deployment.maximum_percent".into(), s.deployment.max_percent.to_string());
    out.insert("deployment.circuit_breaker".into(), format!("{}/rollback {}", s.deployment.circuit_breaker, s.deployment.rollback));
    deployment_fields(&mut out, &s.deployment);
    if let Some(sc) = &s.service_connect {
        out.insert("service_connect.namespace".into(), sc.namespace.clone());
    }
    if s.exec {
        out.insert(field::EXEC.into(), "true".into());
    }
    if !s.capacity.is_empty() {
        out.insert(field::CAPACITY.into(), capacity_text(&s.capacity));
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
        load_balancer_fields(&mut out, lb);
    }
    // ECS reports a grace period of 0 for a service without a load balancer, where none can
    // be set: that is no setting.
    if let Some(g) = o.grace_seconds.filter(|g| *g > 0 || o.load_balancer.is_some()) {
        out.insert("health_check_grace_seconds".into(), g.to_string());
    }
    if let Some(d) = &o.deployment {
        out.insert("deployment.minimum_healthy_percent".into(), d.min_healthy_percent.to_string());
        out.insert("deployment.maximum_percent".into(), d.max_percent.to_string());
        out.insert("deployment.circuit_breaker".into(), format!("{}/rollback {}", d.circuit_breaker, d.rollback));
        deployment_fields(&mut out, d);
    }
    if let Some(ns) = &o.service_connect_namespace {
        out.insert("service_connect.namespace".into(), ns.clone());
    }
    if o.exec {
        out.insert(field::EXEC.into(), "true".into());
    }
    if !o.capacity.is_empty() {
        out.insert(field::CAPACITY.into(), capacity_text(&o.capacity));
    }
    out
}

/// A load balancer's fields. A native rollout's two target groups take turns as the primary
/// one: which is which is where the traffic is, not a setting.
fn load_balancer_fields(out: &mut BTreeMap<String, String>, lb: &LoadBalancerTarget) {
    out.insert("container_port".into(), lb.container_port.to_string());
    let Some(alt) = &lb.alternate else {
        out.insert("target_group".into(), lb.target_group_arn.clone());
        return;
    };
    let mut groups = [lb.target_group_arn.as_str(), alt.target_group_arn.as_str()];
    groups.sort_unstable();
    out.insert("target_groups".into(), groups.join(","));
    out.insert("load_balancer.production_rule".into(), alt.production_rule.clone());
    if let Some(test) = &alt.test_rule {
        out.insert("load_balancer.test_rule".into(), test.clone());
    }
    out.insert("load_balancer.role".into(), alt.role_arn.clone());
}

/// The deployment configuration's alarms and native strategy.
fn deployment_fields(out: &mut BTreeMap<String, String>, d: &DeploymentConfig) {
    if !d.alarms.is_empty() {
        out.insert("deployment.alarms".into(), d.alarms.join(","));
    }
    let Some(n) = &d.native else { return };
    let strategy = match n.shift {
        NativeShift::BlueGreen => "BLUE_GREEN".to_string(),
        NativeShift::Canary { percent, bake_minutes } => format!("CANARY {percent} % for {bake_minutes} min"),
        NativeShift::Linear { step, bake_minutes } => format!("LINEAR {step} % every {bake_minutes} min"),
    };
    out.insert("deployment.strategy".into(), format!("{strategy}, bake {} min", n.bake_minutes));
    if let Some(m) = n.pause_minutes {
        out.insert("deployment.pause_after_test_traffic".into(), format!("up to {m} min"));
    }
}

/// `FARGATE base 1 weight 30, FARGATE_SPOT weight 70`, in provider order.
fn capacity_text(items: &[crate::model::CapacityItem]) -> String {
    let mut items: Vec<&crate::model::CapacityItem> = items.iter().collect();
    items.sort_by(|a, b| a.provider.cmp(&b.provider));
    let one = |c: &&crate::model::CapacityItem| {
        let base = if c.base > 0 { format!(" base {}", c.base) } else { String::new() };
        format!("{}{base} weight {}", c.provider, c.weight)
    };
    items.iter().map(one).collect::<Vec<_>>().join(", ")
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
            architecture: None,
            storage: None,
            container: Container {
                port: Some(80),
                environment: BTreeMap::from([("A".to_string(), "1".to_string())]),
                secrets: BTreeMap::from([("DB".to_string(), secret.to_string())]),
                ..Container::new("web", image)
            },
            sidecars: vec![],
            volumes: vec![],
        }
    }

    #[test]
    fn a_sidecar_change_names_the_sidecar() {
        let router = |image: &str| Container { firelens: Some("fluentbit".into()), ..Container::new("router", image) };
        let before = TaskDef { sidecars: vec![router("fluent-bit:2")], ..td("web:1", "x") };
        let after = TaskDef { sidecars: vec![router("fluent-bit:3")], ..td("web:1", "x") };
        let changes = task_def_changes(Some(&before), &after);
        assert_eq!(
            changes,
            [FieldChange {
                field: "sidecars.router.image".into(),
                before: Some("fluent-bit:2".into()),
                after: Some("fluent-bit:3".into())
            }]
        );
        let added = task_def_changes(Some(&td("web:1", "x")), &after);
        let fields: Vec<&str> = added.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["sidecars.router.firelens", "sidecars.router.image"]);
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
