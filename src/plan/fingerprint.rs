//! What a plan was computed from, as two digests: the spec's part (what it renders to) and
//! the deployed state's part (what a deploy's decisions depend on). `deploy --plan` applies a
//! saved plan only while both still match.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::desire::{Desired, DesiredService};
use crate::observe::Observed;
use crate::workload::scaling::{self, SCALING_TAG};
use crate::workload::{Container, DeploymentConfig, EfsVolume, LoadBalancerTarget, Network, ObservedConfig, ServiceConnect, COLOUR_TAG};

/// sha256 of a value's JSON text (object keys sorted).
pub fn sha256(value: &Value) -> String {
    let digest = Sha256::digest(value.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The spec's part: the template before the deployed weights are put in, each service's task
/// definition and settings, and the tags of built images. A built image counts by its tag
/// (its source commit), not its digest, so a plan made without building and a deploy that
/// built first agree. Image steps are left out: whether the registry has an image is state,
/// and the digests are in the task definitions.
pub fn spec(d: &Desired) -> String {
    let services: Vec<SpecService> = d.services.iter().map(|s| SpecService::new(s, &d.images.built)).collect();
    let mut value = serde_json::json!({ "template": sha256(&d.spec_template), "services": services, "builds": d.images.built });
    if !d.jobs.is_empty() {
        // A job running a built service's image counts by that build's tag, as the service does.
        let jobs: Vec<Value> = d
            .jobs
            .iter()
            .map(|j| {
                let mut td = serde_json::to_value(&j.task_def).unwrap_or(Value::Null);
                let built = d.services.iter().find(|s| s.task_def.container.image == j.task_def.container.image);
                if built.is_some_and(|s| d.images.built.contains_key(&s.task_def.family)) {
                    td["container"]["image"] = Value::Null;
                }
                serde_json::json!({ "task_definition": td, "schedule": j.schedule })
            })
            .collect();
        value["jobs"] = Value::Array(jobs);
    }
    sha256(&value)
}

/// The deployed state's part: only what a deploy's decisions depend on, not running counts
/// or events, which move by themselves.
pub fn state(o: &Observed) -> String {
    #[derive(Serialize)]
    struct ServiceState<'a> {
        task_definition: &'a str,
        desired: Option<u32>,
        config: &'a ObservedConfig,
    }
    // An autoscaled service's count moves by itself: it is not part of the state a plan
    // depends on.
    let services: BTreeMap<&String, ServiceState> = o
        .services
        .iter()
        .map(|(name, s)| {
            let desired = (!s.tags.contains_key(SCALING_TAG)).then_some(s.desired);
            (name, ServiceState { task_definition: &s.task_definition, desired, config: &s.config })
        })
        .collect();
    let latest: BTreeMap<&String, &String> = o.latest.iter().map(|(f, r)| (f, &r.arn)).collect();
    let mut state = serde_json::json!({
        "stack": o.stack.as_ref().map(|s| &s.status),
        "template": o.template,
        "services": services,
        "latest": latest,
        "weights": o.weights,
    });
    if !o.scaling.is_empty() {
        state["scaling"] = serde_json::json!(o.scaling);
    }
    sha256(&state)
}

/// One service as the spec fixes it.
#[derive(Serialize)]
struct SpecService<'a> {
    task_definition: SpecTaskDef<'a>,
    service: SpecConfig<'a>,
    /// Its autoscaling as the plan shows it (bounds, targets, schedules).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    scaling: BTreeMap<String, String>,
}

impl<'a> SpecService<'a> {
    fn new(s: &'a DesiredService, builds: &BTreeMap<String, String>) -> Self {
        let (td, c, config) = (&s.task_def, &s.task_def.container, &s.config);
        let built = |sidecar: Option<&str>| builds.contains_key(&super::built_key(&td.family, sidecar));
        // Which colour of a two-colour service is live is state: its name, target group and
        // tags (with the colour) are left out.
        let coloured = config.tags.contains_key(COLOUR_TAG);
        SpecService {
            task_definition: SpecTaskDef {
                family: &td.family,
                cpu: td.cpu,
                memory: td.memory,
                task_role_arn: td.task_role_arn.as_deref(),
                execution_role_arn: td.execution_role_arn.as_deref(),
                architecture: td.architecture.as_deref(),
                storage: td.storage,
                container: container_view(c, built(None)),
                sidecars: td.sidecars.iter().map(|sc| container_view(sc, built(Some(&sc.name)))).collect(),
                volumes: &td.volumes,
            },
            service: SpecConfig {
                name: (!coloured).then_some(config.name.as_str()),
                cluster: &config.cluster,
                // A managed count is where autoscaling keeps it: state, not spec.
                desired_count: (!config.count_managed).then_some(config.desired_count),
                count_managed: config.count_managed,
                network: &config.network,
                load_balancer: config.load_balancer.as_ref().filter(|_| !coloured),
                grace_seconds: config.grace_seconds,
                deployment: &config.deployment,
                service_connect: config.service_connect.as_ref(),
                tags: (!coloured).then_some(&config.tags),
                exec: config.exec,
                capacity: &config.capacity,
            },
            scaling: scaling::fields(s.scaling.as_ref()),
        }
    }
}

/// `TaskDef`, field for field, with the image left out when it is built.
#[derive(Serialize)]
struct SpecTaskDef<'a> {
    family: &'a str,
    cpu: u32,
    memory: u32,
    task_role_arn: Option<&'a str>,
    execution_role_arn: Option<&'a str>,
    container: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    architecture: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sidecars: Vec<Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    volumes: &'a [EfsVolume],
}

/// The task's own container, every field, with the image left out when it is built.
fn container_view(c: &Container, built: bool) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if built {
        v["image"] = Value::Null;
    }
    v
}

/// `ServiceConfig`, field for field, with what is state left out.
#[derive(Serialize)]
struct SpecConfig<'a> {
    name: Option<&'a str>,
    cluster: &'a str,
    desired_count: Option<u32>,
    count_managed: bool,
    network: &'a Network,
    load_balancer: Option<&'a LoadBalancerTarget>,
    grace_seconds: Option<u32>,
    deployment: &'a DeploymentConfig,
    service_connect: Option<&'a ServiceConnect>,
    tags: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    exec: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    capacity: &'a [crate::model::CapacityItem],
}

/// Every field of `TaskDef` and `ServiceConfig` is in the fingerprint: a new field must be
/// added to the views above, or a change to it would not invalidate saved plans.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{ServiceConfig, TaskDef};

    fn keys(v: Value) -> Vec<String> {
        v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
    }

    #[test]
    fn the_views_cover_every_field() {
        let td = TaskDef {
            family: "s-web".into(),
            cpu: 256,
            memory: 512,
            task_role_arn: None,
            execution_role_arn: None,
            architecture: None,
            storage: None,
            container: Container::new("web", "web:1"),
            sidecars: vec![Container { essential: false, ..Container::new("router", "fluent-bit:3") }],
            volumes: vec![EfsVolume { name: "data".into(), file_system: "fs-0123abcd".into(), access_point: None }],
        };
        let config = ServiceConfig {
            name: "web".into(),
            cluster: "s".into(),
            desired_count: 1,
            count_managed: false,
            network: Network { subnets: vec![], security_groups: vec![], public_ip: false },
            load_balancer: None,
            grace_seconds: None,
            deployment: DeploymentConfig {
                min_healthy_percent: 50,
                max_percent: 100,
                circuit_breaker: true,
                rollback: true,
                alarms: vec![],
                native: None,
            },
            service_connect: None,
            tags: BTreeMap::new(),
            exec: false,
            capacity: vec![],
        };
        let desired = DesiredService {
            spec_name: crate::model::ServiceName::new_unchecked("web"),
            task_def: td.clone(),
            config: config.clone(),
            scaling: None,
        };
        let view = serde_json::to_value(SpecService::new(&desired, &BTreeMap::new())).expect("serialises");
        assert_eq!(keys(view["task_definition"].clone()), keys(serde_json::to_value(&td).expect("td")));
        assert_eq!(keys(view["task_definition"]["container"].clone()), keys(serde_json::to_value(&td.container).expect("container")));
        assert_eq!(keys(view["service"].clone()), keys(serde_json::to_value(&config).expect("config")));
        assert_eq!(view["task_definition"], serde_json::to_value(&td).expect("td"), "the same values, not only the same keys");
        assert_eq!(view["service"], serde_json::to_value(&config).expect("config"));
    }
}
