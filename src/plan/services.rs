//! The services part of a plan: each service's task definition and settings as they run
//! against what the spec renders to, field by field. Secret references are compared but
//! never shown: a changed secret reads `(sensitive)` on both sides. Values AWS fills in
//! where the spec says nothing never count as changes. A service's settings are compared
//! through one table, `SETTINGS`: each row names a field, its key in the plan, whether a
//! change needs new tasks, and how it reads from `ServiceSettings`, the settings of either
//! side with what ECS reports differently settled once.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::desire::DesiredService;
use super::rollout::Kind;
use crate::model::{CapacityItem, Service};
use crate::observe::Observed;
use crate::synth::ids::ServiceIds;
use crate::workload::scaling;
use crate::workload::{
    Alternate, Container, DeploymentConfig, LoadBalancerTarget, NativeShift, NativeStrategy, Network, ServiceConfig, ServiceState, TaskDef,
};

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

/// The task role's field: a replaced role is known only after the infrastructure step.
const TASK_ROLE: &str = "task_role";

/// What changes for one desired service, if anything, and how it rolls out. `replaced` are
/// the logical ids of resources the infrastructure step replaces (a new physical id).
pub fn change(svc: &Service, d: &DesiredService, observed: &Observed, replaced: &BTreeSet<String>) -> Option<(ServiceChange, Kind)> {
    let name = &d.config.name;
    let latest = observed.latest.get(&d.task_def.family);
    let new_revision = latest.is_none_or(|l| l.task_def != d.task_def);
    let ids = ServiceIds::new(&svc.name.logical());
    let autoscaling =
        svc.autoscaling.as_ref().map(|a| ManagedCount { min: a.min, max: a.max, now: observed.services.get(name).map(|s| s.desired) });
    let mut wanted = ServiceSettings::desired(&d.config).fields();
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
    let mut deployed = ServiceSettings::observed(running).fields();
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
    let kind = if c.new_revision || !c.task_definition.is_empty() || behind || c.settings.iter().any(|f| redeploys(&f.field)) {
        Kind::Redeploy
    } else {
        Kind::InPlace
    };
    Some((c, kind))
}

/// A replaced resource gets a new id: the service will point at it after the stack step.
fn after_replacement(c: &mut ServiceChange, ids: &ServiceIds, observed: &Observed, replaced: &BTreeSet<String>) {
    for (id, setting) in [(ids.target_group(), &TARGET_GROUP), (ids.security_group(), &SECURITY_GROUPS)] {
        if replaced.contains(&id) && c.action == ServiceAction::Update {
            let before = observed.services.get(&c.service).and_then(|s| ServiceSettings::observed(s).get(setting));
            known_after_apply(&mut c.settings, setting.key, before);
        }
    }
    if replaced.contains(&ids.task_role()) {
        let before = observed.running.get(&c.service).and_then(|r| r.task_def.task_role_arn.clone());
        known_after_apply(&mut c.task_definition, TASK_ROLE, before);
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
        put(TASK_ROLE.into(), r.clone());
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

/// One setting of an ECS service a plan compares: its key in the plan, whether ECS applies a
/// change of it only by starting new tasks, and its value on either side (`None`: not set).
struct Setting {
    key: &'static str,
    redeploys: bool,
    read: fn(&ServiceSettings<'_>) -> Option<String>,
}

// Two rows of `SETTINGS` named on their own: a replaced target group or security group is
// known only after the infrastructure step (`after_replacement`).
/// The target group of a service behind a load balancer (not a native rollout's two).
const TARGET_GROUP: Setting = Setting {
    key: "target_group",
    redeploys: true,
    read: |s| s.load_balancer.filter(|lb| lb.alternate.is_none()).map(|lb| lb.target_group_arn.clone()),
};
const SECURITY_GROUPS: Setting =
    Setting { key: "security_groups", redeploys: true, read: |s| s.network.map(|n| n.security_groups.join(",")) };

/// Every setting a plan compares, one row each; a plan lists them by key.
const SETTINGS: &[Setting] = &[
    Setting { key: "desired_count", redeploys: false, read: |s| Some(s.desired_count.to_string()) },
    Setting { key: "subnets", redeploys: true, read: |s| s.network.map(|n| n.subnets.join(",")) },
    SECURITY_GROUPS,
    Setting { key: "public_ip", redeploys: true, read: |s| s.network.map(|n| n.public_ip.to_string()) },
    Setting { key: "container_port", redeploys: true, read: |s| s.load_balancer.map(|lb| lb.container_port.to_string()) },
    TARGET_GROUP,
    Setting { key: "target_groups", redeploys: false, read: target_groups },
    Setting { key: "load_balancer.production_rule", redeploys: false, read: |s| s.alternate().map(|a| a.production_rule.clone()) },
    Setting { key: "load_balancer.test_rule", redeploys: false, read: |s| s.alternate()?.test_rule.clone() },
    Setting { key: "load_balancer.role", redeploys: false, read: |s| s.alternate().map(|a| a.role_arn.clone()) },
    Setting { key: "health_check_grace_seconds", redeploys: false, read: |s| s.grace_seconds.map(|g| g.to_string()) },
    Setting {
        key: "deployment.minimum_healthy_percent",
        redeploys: false,
        read: |s| s.deployment.map(|d| d.min_healthy_percent.to_string()),
    },
    Setting { key: "deployment.maximum_percent", redeploys: false, read: |s| s.deployment.map(|d| d.max_percent.to_string()) },
    Setting {
        key: "deployment.circuit_breaker",
        redeploys: false,
        read: |s| s.deployment.map(|d| format!("{}/rollback {}", d.circuit_breaker, d.rollback)),
    },
    Setting {
        key: "deployment.alarms",
        redeploys: false,
        read: |s| s.deployment.filter(|d| !d.alarms.is_empty()).map(|d| d.alarms.join(",")),
    },
    Setting { key: "deployment.strategy", redeploys: false, read: |s| s.native().map(strategy_text) },
    Setting {
        key: "deployment.pause_after_test_traffic",
        redeploys: false,
        read: |s| s.native()?.pause_minutes.map(|m| format!("up to {m} min")),
    },
    Setting { key: "service_connect.namespace", redeploys: true, read: |s| s.service_connect_namespace.map(str::to_string) },
    Setting { key: "exec", redeploys: true, read: |s| s.exec.then(|| "true".to_string()) },
    Setting { key: "capacity", redeploys: true, read: |s| (!s.capacity.is_empty()).then(|| capacity_text(s.capacity)) },
];

/// Whether a change of the setting `key` needs new tasks (other fields, autoscaling's among
/// them, never do).
fn redeploys(key: &str) -> bool {
    SETTINGS.iter().any(|s| s.key == key && s.redeploys)
}

/// A service's settings as the table reads them, from the spec's side or from ECS's, with
/// what differs between the two sides' types settled here.
pub struct ServiceSettings<'a> {
    desired_count: u32,
    network: Option<&'a Network>,
    load_balancer: Option<&'a LoadBalancerTarget>,
    grace_seconds: Option<u32>,
    deployment: Option<&'a DeploymentConfig>,
    service_connect_namespace: Option<&'a str>,
    exec: bool,
    capacity: &'a [CapacityItem],
}

impl<'a> ServiceSettings<'a> {
    /// What the spec renders to.
    pub fn desired(s: &'a ServiceConfig) -> Self {
        ServiceSettings {
            desired_count: s.desired_count,
            network: Some(&s.network),
            load_balancer: s.load_balancer.as_ref(),
            grace_seconds: s.grace_seconds,
            deployment: Some(&s.deployment),
            service_connect_namespace: s.service_connect.as_ref().map(|sc| sc.namespace.as_str()),
            exec: s.exec,
            capacity: &s.capacity,
        }
    }

    /// What ECS reports.
    pub fn observed(s: &'a ServiceState) -> Self {
        let o = &s.config;
        ServiceSettings {
            desired_count: s.desired,
            network: o.network.as_ref(),
            load_balancer: o.load_balancer.as_ref(),
            // ECS reports a grace period of 0 for a service without a load balancer, where
            // none can be set: that is no setting.
            grace_seconds: o.grace_seconds.filter(|g| *g > 0 || o.load_balancer.is_some()),
            deployment: o.deployment.as_ref(),
            service_connect_namespace: o.service_connect_namespace.as_deref(),
            exec: o.exec,
            capacity: &o.capacity,
        }
    }

    /// Every setting that is set, as `key → value`.
    pub fn fields(&self) -> BTreeMap<String, String> {
        SETTINGS.iter().filter_map(|s| Some((s.key.to_string(), (s.read)(self)?))).collect()
    }

    fn get(&self, setting: &Setting) -> Option<String> {
        (setting.read)(self)
    }

    /// What a native rollout moves traffic with.
    fn alternate(&self) -> Option<&'a Alternate> {
        self.load_balancer?.alternate.as_ref()
    }

    fn native(&self) -> Option<&'a NativeStrategy> {
        self.deployment?.native.as_ref()
    }
}

/// A native rollout's two target groups take turns as the primary one: which is which is
/// where the traffic is, not a setting.
fn target_groups(s: &ServiceSettings<'_>) -> Option<String> {
    let lb = s.load_balancer?;
    let mut groups = [lb.target_group_arn.as_str(), lb.alternate.as_ref()?.target_group_arn.as_str()];
    groups.sort_unstable();
    Some(groups.join(","))
}

/// ECS's native strategy as the plan shows it.
fn strategy_text(n: &NativeStrategy) -> String {
    let strategy = match n.shift {
        NativeShift::BlueGreen => "BLUE_GREEN".to_string(),
        NativeShift::Canary { percent, bake_minutes } => format!("CANARY {percent} % for {bake_minutes} min"),
        NativeShift::Linear { step, bake_minutes } => format!("LINEAR {step} % every {bake_minutes} min"),
    };
    format!("{strategy}, bake {} min", n.bake_minutes)
}

/// `FARGATE base 1 weight 30, FARGATE_SPOT weight 70`, in provider order.
fn capacity_text(items: &[CapacityItem]) -> String {
    let mut items: Vec<&CapacityItem> = items.iter().collect();
    items.sort_by(|a, b| a.provider.cmp(&b.provider));
    let one = |c: &&CapacityItem| {
        let base = if c.base > 0 { format!(" base {}", c.base) } else { String::new() };
        format!("{}{base} weight {}", c.provider, c.weight)
    };
    items.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// Whether a running service's settings differ from the desired ones (an update is needed).
pub fn settings_differ(desired: &ServiceConfig, running: &ServiceState) -> bool {
    let (want, have) = (ServiceSettings::desired(desired), ServiceSettings::observed(running));
    SETTINGS.iter().any(|s| want.get(s) != have.get(s))
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
    use crate::workload::{Container, ObservedConfig, ServiceConnect, ServiceStatus};

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

    /// A service ECS rolls out natively, with every setting of the table that can go with it.
    fn native_service() -> ServiceConfig {
        let lb = LoadBalancerTarget {
            target_group_arn: "tg-blue".into(),
            container_name: "web".into(),
            container_port: 80,
            alternate: Some(Alternate {
                target_group_arn: "tg-green".into(),
                production_rule: "rule-prod".into(),
                test_rule: Some("rule-test".into()),
                role_arn: "role".into(),
            }),
        };
        let native =
            NativeStrategy { shift: NativeShift::Canary { percent: 10, bake_minutes: 2 }, bake_minutes: 5, pause_minutes: Some(15) };
        let capacity = |provider: &str, base, weight| CapacityItem { provider: provider.into(), base, weight };
        ServiceConfig {
            name: "web".into(),
            cluster: "shop".into(),
            desired_count: 2,
            count_managed: false,
            network: Network { subnets: vec!["a".into(), "b".into()], security_groups: vec!["sg".into()], public_ip: false },
            load_balancer: Some(lb),
            grace_seconds: Some(30),
            deployment: DeploymentConfig {
                min_healthy_percent: 100,
                max_percent: 200,
                circuit_breaker: true,
                rollback: true,
                alarms: vec!["errors".into()],
                native: Some(native),
            },
            service_connect: Some(ServiceConnect { namespace: "shop.local".into(), server: None }),
            tags: BTreeMap::new(),
            exec: true,
            capacity: vec![capacity("FARGATE", 1, 30), capacity("FARGATE_SPOT", 0, 70)],
        }
    }

    /// `s` as ECS reports it after a rollout: the target groups swapped (the new revision's
    /// is now the primary one), the capacity providers in its order, a grace period of 0
    /// where there is no load balancer.
    fn read_back(s: &ServiceConfig) -> ServiceState {
        let mut load_balancer = s.load_balancer.clone();
        if let Some(lb) = &mut load_balancer {
            if let Some(alt) = &mut lb.alternate {
                std::mem::swap(&mut lb.target_group_arn, &mut alt.target_group_arn);
            }
        }
        ServiceState {
            name: s.name.clone(),
            arn: format!("arn:aws:ecs:us-east-1:123456789012:service/{}/{}", s.cluster, s.name),
            status: ServiceStatus::Active,
            desired: s.desired_count,
            running: s.desired_count,
            pending: 0,
            task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:1".into(),
            deployments: vec![],
            events: vec![],
            tags: s.tags.clone(),
            config: ObservedConfig {
                network: Some(s.network.clone()),
                grace_seconds: s.grace_seconds.or(load_balancer.is_none().then_some(0)),
                load_balancer,
                deployment: Some(s.deployment.clone()),
                service_connect_namespace: s.service_connect.as_ref().map(|c| c.namespace.clone()),
                exec: s.exec,
                capacity: s.capacity.iter().rev().cloned().collect(),
            },
        }
    }

    #[test]
    fn every_setting_has_its_own_key() {
        let keys: BTreeSet<&str> = SETTINGS.iter().map(|s| s.key).collect();
        assert_eq!(keys.len(), SETTINGS.len(), "a key named twice in SETTINGS");
        for named in [&TARGET_GROUP, &SECURITY_GROUPS] {
            assert!(SETTINGS.iter().any(|s| s.key == named.key), "{} is not in SETTINGS", named.key);
        }
    }

    #[test]
    fn a_desired_service_read_back_from_ecs_has_no_changes() {
        let native = native_service();
        let plain = ServiceConfig {
            load_balancer: native.load_balancer.clone().map(|lb| LoadBalancerTarget { alternate: None, ..lb }),
            deployment: DeploymentConfig { native: None, alarms: vec![], ..native.deployment.clone() },
            ..native.clone()
        };
        let bare = ServiceConfig {
            load_balancer: None,
            grace_seconds: None,
            service_connect: None,
            exec: false,
            capacity: vec![],
            ..plain.clone()
        };
        let mut read = BTreeSet::new();
        for desired in [native, plain, bare] {
            let running = read_back(&desired);
            assert!(!settings_differ(&desired, &running), "{desired:?}");
            let (want, have) = (ServiceSettings::desired(&desired).fields(), ServiceSettings::observed(&running).fields());
            assert_eq!(field_changes(&have, &want), [], "{desired:?}");
            read.extend(want.into_keys());
        }
        // Between them, the services above set every setting.
        assert_eq!(read, SETTINGS.iter().map(|s| s.key.to_string()).collect::<BTreeSet<_>>());
    }

    #[test]
    fn a_changed_setting_differs() {
        let desired = native_service();
        let mut running = read_back(&desired);
        running.desired = 3;
        assert!(settings_differ(&desired, &running));
        assert!(!redeploys("desired_count") && redeploys("subnets") && !redeploys("autoscaling.min"));
    }
}
