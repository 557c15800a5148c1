//! Model + stack outputs → the task definition and service configuration each service
//! should have. Pure: the same inputs give the same values, byte for byte.

use std::collections::BTreeMap;

use super::outputs::{MissingOutput, StackOutputs};
use super::{
    Alternate, Container, ContainerHealth, DeploymentConfig, EfsVolume, LoadBalancerTarget, LogConfig, MountPoint, NativeShift,
    NativeStrategy, Network, ServiceConfig, ServiceConnect, TaskDef, COLOUR_TAG, SERVICE_TAG, STACK_TAG,
};
use crate::model::{
    Colour, Engine, EnvPart, EnvValue, Image, Job, Model, Mount, Platform, SecretRef, Service, ServiceName, ServiceUrl, Shift, StorageAttr,
    SubnetKind, VolumeSource,
};

/// What rendering needs besides the model.
pub struct Inputs<'a> {
    pub model: &'a Model,
    pub outputs: &'a StackOutputs,
    pub region: &'a str,
    /// Image references for services whose image ecship does not take from `uri:`.
    pub images: &'a BTreeMap<ServiceName, String>,
    /// The same for sidecars' images ecship pushes, by service and sidecar.
    pub sidecar_images: &'a BTreeMap<(ServiceName, String), String>,
    /// Existing images pinned to a digest: `uri → NAME@DIGEST`.
    pub pins: &'a BTreeMap<String, String>,
    /// The count an autoscaled service keeps (its running count within min–max), by service.
    pub counts: &'a BTreeMap<ServiceName, u32>,
}

/// No image of a deploy: what verbs that take registered revisions render with.
static NO_IMAGES: BTreeMap<ServiceName, String> = BTreeMap::new();
static NO_SIDECAR_IMAGES: BTreeMap<(ServiceName, String), String> = BTreeMap::new();
static NO_PINS: BTreeMap<String, String> = BTreeMap::new();

impl<'a> Inputs<'a> {
    /// Inputs for the verbs that run revisions already registered (`rollback`, `run`): they
    /// render service settings and networks, never a new task definition's images.
    pub fn registered(model: &'a Model, outputs: &'a StackOutputs, region: &'a str, counts: &'a BTreeMap<ServiceName, u32>) -> Self {
        Inputs { model, outputs, region, images: &NO_IMAGES, sidecar_images: &NO_SIDECAR_IMAGES, pins: &NO_PINS, counts }
    }
}

impl Inputs<'_> {
    /// What a task definition runs for an image reference: its pinned form, when it has one.
    pub fn pinned(&self, image: String) -> String {
        self.pins.get(&image).cloned().unwrap_or(image)
    }

    /// How many tasks `svc` runs: the spec's `count`, or for an autoscaled service the count
    /// it runs now (kept within min–max).
    pub fn count(&self, svc: &Service) -> u32 {
        self.counts.get(&svc.name).copied().unwrap_or(svc.count)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    MissingOutput(#[from] MissingOutput),
    #[error("service {service} has no image to deploy: its image is {origin} and no pushed image was given — pass --image {service}=URI")]
    NoImage { service: String, origin: String },
    /// `signals.notify.topic` in another region than the one deployed to.
    #[error("{0}")]
    TopicElsewhere(String),
}

/// The ECS service name of a spec service (the blue colour of a canary or blue/green one).
pub fn ecs_service_name(svc: &Service) -> String {
    if svc.deploy.rollout.colour_services() {
        svc.colour_service(Colour::Blue)
    } else {
        svc.name.to_string()
    }
}

/// The task-definition family of a service: `STACK-SERVICE`.
pub fn family(model: &Model, svc: &Service) -> String {
    family_of(model, svc.name.as_str())
}

/// The family of the model's service named `service`: `STACK-SERVICE`; a preview's service,
/// already named `NAME-SERVICE`, is the environment's stack's `STACK-NAME-SERVICE` (the
/// preview's stack name `STACK-NAME` and the spec's service name).
pub fn family_of(model: &Model, service: &str) -> String {
    let stack = model.preview.as_ref().map_or(model.stack.as_str(), |p| p.parent.as_str());
    super::family_name(stack, service)
}

/// The image a service runs, or why there is none.
pub fn image(svc: &Service, images: &BTreeMap<ServiceName, String>) -> Result<String, RenderError> {
    if let Some(given) = images.get(&svc.name) {
        return Ok(given.clone());
    }
    match &svc.image {
        Image::Uri { uri, .. } => Ok(uri.clone()),
        Image::Build { context, .. } => Err(no_image(svc, format!("built from {}", context.display()))),
        Image::Oci { path, .. } => Err(no_image(svc, format!("the OCI layout {}", path.display()))),
        Image::Archive { path, .. } => Err(no_image(svc, format!("the archive {}", path.display()))),
    }
}

fn no_image(svc: &Service, origin: String) -> RenderError {
    RenderError::NoImage { service: svc.name.to_string(), origin }
}

pub fn task_def(i: &Inputs, svc: &Service) -> Result<TaskDef, RenderError> {
    let out = i.outputs.service(i.model.stack.as_str(), &svc.name)?;
    let given = i.images.contains_key(&svc.name);
    let mut own = container(
        i,
        svc,
        svc.name.as_str(),
        ContainerParts {
            image: i.pinned(image(svc, i.images)?),
            credentials: if given { None } else { credentials(&svc.image) },
            command: svc.command.as_ref(),
            env: &svc.env,
            secrets: &svc.secrets,
            depends_on: &svc.depends_on,
        },
    );
    uses(i, svc, &mut own)?;
    own.port = svc.port.map(|p| p.get());
    own.mounts =
        svc.volumes.iter().map(|m| MountPoint { volume: m.volume.clone(), path: m.path.clone(), read_only: m.read_only }).collect();
    let sidecars = svc
        .sidecars
        .iter()
        .map(|sc| {
            let mut c = container(
                i,
                svc,
                &sc.name,
                ContainerParts {
                    image: match &sc.image {
                        Image::Uri { uri, .. } => i.pinned(uri.clone()),
                        _ => i.sidecar_images.get(&(svc.name.clone(), sc.name.clone())).cloned().unwrap_or_default(),
                    },
                    credentials: credentials(&sc.image),
                    command: sc.command.as_ref(),
                    env: &sc.env,
                    secrets: &sc.secrets,
                    depends_on: &sc.depends_on,
                },
            );
            c.port = sc.port.map(|p| p.get());
            c.essential = sc.essential;
            c.cpu = sc.cpu;
            c.memory = sc.memory;
            c.health_check = sc.health_check.as_ref().map(|h| ContainerHealth {
                command: h.command.clone(),
                interval: secs(h.interval),
                timeout: secs(h.timeout),
                retries: h.retries,
                grace: secs(h.grace),
            });
            if let Some(kind) = sc.firelens {
                // The router's own logs go to the stack's log group, not through itself.
                c.firelens = Some(kind.as_str().to_string());
                c.log_router = None;
                c.log = log_config(i, svc);
            }
            c
        })
        .collect();
    let volumes = svc.volumes.iter().map(|m| volume(i, m)).collect::<Result<_, _>>()?;
    Ok(TaskDef {
        volumes,
        architecture: (svc.platform != Platform::X86_64).then(|| svc.platform.cpu_architecture().to_string()),
        storage: svc.storage,
        family: family(i.model, svc),
        cpu: svc.cpu.get(),
        memory: svc.memory.get(),
        task_role_arn: out.task_role.clone(),
        execution_role_arn: i.outputs.execution_role_arn.clone(),
        container: own,
        sidecars,
    })
}

/// What `uses:` gives the task's own container: a variable naming each bucket and table, a
/// database's host, port and name, and its master-user secret through `secrets:`.
fn uses(i: &Inputs, svc: &Service, own: &mut Container) -> Result<(), RenderError> {
    let stack = i.model.stack.as_str();
    for storage in svc.uses.iter().filter_map(|u| i.model.storage.get(&u.name)) {
        for (var, attr) in storage.env_vars() {
            own.environment.insert(var, i.outputs.storage(stack, &storage.name, attr)?.to_string());
        }
        if let Some(var) = storage.secret_var() {
            own.secrets.insert(var, i.outputs.storage(stack, &storage.name, StorageAttr::Secret)?.to_string());
        }
    }
    Ok(())
}

/// A mounted volume's file system: the one given, or the one the stack created.
fn volume(i: &Inputs, m: &Mount) -> Result<EfsVolume, RenderError> {
    let (file_system, access_point) = match &m.source {
        VolumeSource::Existing { file_system, access_point } => (file_system.clone(), access_point.clone()),
        VolumeSource::Created => {
            let (fs, ap) = i.outputs.volume(i.model.stack.as_str(), &m.volume)?;
            (fs.clone(), Some(ap.clone()))
        }
    };
    Ok(EfsVolume { name: m.volume.clone(), file_system, access_point })
}

/// What differs between a task's containers.
struct ContainerParts<'a> {
    image: String,
    credentials: Option<String>,
    command: Option<&'a Vec<String>>,
    env: &'a BTreeMap<String, EnvValue>,
    secrets: &'a BTreeMap<String, SecretRef>,
    depends_on: &'a BTreeMap<String, crate::model::DependsOn>,
}

/// One container of `svc`'s task: its logs go to the stack's log group, or through the
/// task's FireLens router when it has one.
fn container(i: &Inputs, svc: &Service, name: &str, parts: ContainerParts) -> Container {
    let account = i.outputs.execution_role_arn.as_deref().and_then(arn_account);
    let mut c = Container::new(name, parts.image);
    c.command = parts.command.cloned();
    c.environment = parts.env.iter().map(|(k, v)| (k.clone(), env_value(i, v))).collect();
    c.secrets = parts.secrets.iter().map(|(k, r)| (k.clone(), value_from(r, i.region, account))).collect();
    c.depends_on = parts.depends_on.iter().map(|(k, d)| (k.clone(), d.as_str().to_string())).collect();
    c.credentials = parts.credentials.map(|secret| value_from(&SecretRef::SecretsManager { secret, json_key: None }, i.region, account));
    match svc.log_router() {
        Some(_) => c.log_router = Some(svc.logging.clone().unwrap_or_default()),
        None => c.log = log_config(i, svc),
    }
    c
}

fn log_config(i: &Inputs, svc: &Service) -> Option<LogConfig> {
    i.outputs.log_group.as_ref().map(|group| LogConfig {
        group: group.clone(),
        region: i.region.to_string(),
        stream_prefix: svc.name.to_string(),
    })
}

fn credentials(image: &Image) -> Option<String> {
    match image {
        Image::Uri { credentials, .. } => credentials.clone(),
        _ => None,
    }
}

fn secs(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// A job's task definition: its task's, with the image of the service it takes it from.
pub fn job_task_def(i: &Inputs, job: &Job) -> Result<TaskDef, RenderError> {
    let mut td = task_def(i, &job.task)?;
    if let Some(svc) = job.image_of.as_ref().and_then(|name| i.model.services.get(name)) {
        td.container.image = i.pinned(image(svc, i.images)?);
    }
    Ok(td)
}

pub fn service_config(i: &Inputs, svc: &Service) -> Result<ServiceConfig, RenderError> {
    let out = i.outputs.service(i.model.stack.as_str(), &svc.name)?;
    let (mut subnets, public_ip) = match svc.subnets {
        SubnetKind::Public => (i.outputs.public_subnets.clone(), true),
        SubnetKind::Private => (i.outputs.private_subnets.clone(), false),
    };
    subnets.sort();
    let (min_healthy_percent, max_percent) = svc.deploy.rollout.deployment_percents();
    let load_balancer = match (out.target_groups.first(), svc.port) {
        (Some(tg), Some(port)) => Some(LoadBalancerTarget {
            target_group_arn: tg.clone(),
            container_name: svc.name.to_string(),
            container_port: port.get(),
            alternate: if svc.deploy.rollout.native() { Some(alternate(i, svc)?) } else { None },
        }),
        _ => None,
    };
    let called = i.model.services.values().any(|other| other.references.contains(&svc.name));
    let service_connect = i
        .outputs
        .namespace_arn
        .as_ref()
        .map(|ns| ServiceConnect { namespace: ns.clone(), server: svc.port.filter(|_| called).map(|p| (svc.name.to_string(), p.get())) });
    let mut tags = i.model.tags.clone();
    tags.insert(STACK_TAG.into(), i.model.stack.to_string());
    tags.insert(SERVICE_TAG.into(), svc.name.to_string());
    if svc.autoscaling.is_some() {
        tags.insert(super::scaling::SCALING_TAG.into(), "on".into());
    }
    Ok(ServiceConfig {
        name: ecs_service_name(svc),
        cluster: i.outputs.cluster.clone(),
        desired_count: i.count(svc),
        count_managed: svc.autoscaling.is_some(),
        network: Network { subnets, security_groups: vec![out.security_group.clone()], public_ip },
        grace_seconds: load_balancer.as_ref().map(|_| u32::try_from(svc.health_check.grace.as_secs()).unwrap_or(u32::MAX)),
        load_balancer,
        // ECS rolls a one-colour service back on its alarms itself, even with no ecship
        // watching; a colour's service is ecship's to judge (`ops::colours`).
        deployment: DeploymentConfig {
            min_healthy_percent,
            max_percent,
            circuit_breaker: true,
            rollback: true,
            alarms: if svc.deploy.rollout.colour_services() { vec![] } else { svc.deploy.alarms.clone() },
            native: native_strategy(svc),
        },
        service_connect,
        tags,
        exec: svc.exec,
        capacity: svc.capacity.clone(),
    })
}

/// ECS's native strategy for a `deploy.engine: ecs` service.
fn native_strategy(svc: &Service) -> Option<NativeStrategy> {
    let t = svc.deploy.rollout.two_colour().filter(|t| t.engine == Engine::Ecs)?;
    let minutes = |d: std::time::Duration| u32::try_from(d.as_secs() / 60).unwrap_or(u32::MAX);
    let (bake_minutes, first) = (minutes(t.bake), t.shift.weights().first().map_or(100, |p| p.get()));
    let shift = match t.shift {
        Shift::BlueGreen => NativeShift::BlueGreen,
        Shift::Linear { step } => NativeShift::Linear { step: step.get(), bake_minutes },
        Shift::Canary { .. } => NativeShift::Canary { percent: first, bake_minutes },
    };
    let bake = t.bake;
    let paused = t.approve || (svc.deploy.check.is_some() && svc.has_test_rules());
    let pause_minutes = paused.then(|| minutes(svc.deploy.timeout + std::time::Duration::from_secs(59)).max(1));
    Some(NativeStrategy { shift, bake_minutes: minutes(bake), pause_minutes })
}

/// What ECS's native engine moves traffic with: the green target group, the service's rule
/// (and test rule), and the stack's ECS infrastructure role. The blue target group is the
/// primary one until `native_config` says which colour is live.
fn alternate(i: &Inputs, svc: &Service) -> Result<Alternate, RenderError> {
    let stack = i.model.stack.as_str();
    let out = i.outputs.service(stack, &svc.name)?;
    let missing = |key: &str| MissingOutput { stack: stack.to_string(), key: key.to_string() };
    Ok(Alternate {
        target_group_arn: out.target_groups.get(1).cloned().ok_or_else(|| missing(&format!("{} target_groups", svc.name)))?,
        production_rule: out.rules.first().cloned().ok_or_else(|| missing(&format!("{} rules", svc.name)))?,
        test_rule: out.test_rule.clone(),
        role_arn: i.outputs.ecs_role_arn.clone().ok_or_else(|| missing("EcsInfrastructureRoleArn"))?,
    })
}

/// A natively rolled-out service's load balancer with `live`'s target group as the primary
/// one and the other colour's as the alternate, where its next revision starts.
pub fn native_config(mut config: ServiceConfig, live: Colour) -> ServiceConfig {
    if live == Colour::Green {
        if let Some(lb) = config.load_balancer.as_mut() {
            if let Some(alt) = lb.alternate.as_mut() {
                std::mem::swap(&mut lb.target_group_arn, &mut alt.target_group_arn);
            }
        }
    }
    config
}

/// The configuration of one colour of a canary or blue/green service: its own ECS service
/// (`NAME-blue`, `NAME-green`) on its own target group (the first, or the green one).
pub fn colour_config(i: &Inputs, svc: &Service, mut config: ServiceConfig, colour: Colour) -> Result<ServiceConfig, RenderError> {
    let out = i.outputs.service(i.model.stack.as_str(), &svc.name)?;
    config.name = svc.colour_service(colour);
    let index = usize::from(colour == Colour::Green);
    if let (Some(lb), Some(tg)) = (config.load_balancer.as_mut(), out.target_groups.get(index)) {
        lb.target_group_arn = tg.clone();
    }
    config.tags.insert(COLOUR_TAG.into(), colour.name().into());
    Ok(config)
}

/// Tags of a service's task definitions.
pub fn task_tags(model: &Model, svc: &Service) -> BTreeMap<String, String> {
    let mut tags = model.tags.clone();
    tags.insert(STACK_TAG.into(), model.stack.to_string());
    tags.insert(SERVICE_TAG.into(), svc.name.to_string());
    tags
}

fn env_value(i: &Inputs, v: &EnvValue) -> String {
    match v {
        EnvValue::Text(s) => s.clone(),
        EnvValue::Template(parts) => parts
            .iter()
            .map(|p| match p {
                EnvPart::Text(s) => s.clone(),
                EnvPart::ServiceUrl(name) => match i.model.services.get(name).and_then(Service::url) {
                    Some(ServiceUrl::Internal { host, port }) => format!("http://{host}:{}", port.get()),
                    _ => String::new(),
                },
                EnvPart::LoadBalancerUrl(name) => {
                    let target = i.model.services.get(name);
                    match target.and_then(Service::lb_url) {
                        Some(ServiceUrl::LoadBalancer { path_prefix }) => {
                            format!("{}{path_prefix}", target.and_then(|t| i.outputs.service_lb_url(t)).unwrap_or(""))
                        }
                        _ => String::new(),
                    }
                }
                EnvPart::Storage(name, attr) => i.outputs.storage(i.model.stack.as_str(), name, *attr).unwrap_or_default().to_string(),
            })
            .collect(),
    }
}

/// `valueFrom` of a secret: a full ARN, which works from any region. Secrets Manager JSON keys
/// use ECS's `ARN:json-key::` form.
fn value_from(r: &SecretRef, region: &str, account: Option<(&str, &str)>) -> String {
    let (partition, account) = account.unwrap_or(("aws", ""));
    match r {
        SecretRef::Ssm { parameter } if parameter.starts_with("arn:") || account.is_empty() => parameter.clone(),
        SecretRef::Ssm { parameter } => {
            format!("arn:{partition}:ssm:{region}:{account}:parameter/{}", parameter.trim_start_matches('/'))
        }
        SecretRef::SecretsManager { secret, json_key } => {
            let arn = if secret.starts_with("arn:") || account.is_empty() {
                secret.clone()
            } else {
                format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{secret}")
            };
            match json_key {
                Some(key) => format!("{arn}:{key}::"),
                None => arn,
            }
        }
    }
}

/// `(partition, account)` of an ARN.
fn arn_account(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.split(':');
    let (_, partition, _, _, account) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some((partition, account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_referenced_by_full_arn() {
        let acct = Some(("aws", "123456789012"));
        let ssm = SecretRef::Ssm { parameter: "/mysfits/api-key".into() };
        assert_eq!(value_from(&ssm, "us-east-1", acct), "arn:aws:ssm:us-east-1:123456789012:parameter/mysfits/api-key");
        let sm = SecretRef::SecretsManager { secret: "prod/db".into(), json_key: Some("password".into()) };
        assert_eq!(value_from(&sm, "eu-west-1", acct), "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db:password::");
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
        let given = SecretRef::SecretsManager { secret: arn.into(), json_key: None };
        assert_eq!(value_from(&given, "us-east-1", acct), arn);
    }

    #[test]
    fn the_account_comes_from_a_role_arn() {
        assert_eq!(arn_account("arn:aws-cn:iam::123456789012:role/x"), Some(("aws-cn", "123456789012")));
        assert_eq!(arn_account("not-an-arn"), None);
    }
}
