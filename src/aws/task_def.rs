//! Task definitions between `workload` and the ECS SDK: containers written as ECS takes
//! them, and read back with only the parts ecship sets, so a registered revision equals
//! the rendered one when nothing changed.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{
    ContainerCondition, ContainerDefinition, ContainerDependency, EfsAuthorizationConfig, EfsAuthorizationConfigIam, EfsTransitEncryption,
    EfsVolumeConfiguration, FirelensConfiguration, FirelensConfigurationType, HealthCheck, KeyValuePair, LogConfiguration, LogDriver,
    MountPoint, PortMapping, RepositoryCredentials, Secret, TransportProtocol, Volume,
};

use super::AwsError;
use crate::workload::{Container, ContainerHealth, EfsVolume, LogConfig, TaskDef, PORT_NAME};

/// The task's own container first, then its sidecars.
pub fn definitions(td: &TaskDef, action: &str) -> Result<Vec<ContainerDefinition>, AwsError> {
    std::iter::once((&td.container, PORT_NAME))
        .chain(td.sidecars.iter().map(|s| (s, s.name.as_str())))
        .map(|(c, port)| definition(c, port, action))
        .collect()
}

fn definition(c: &Container, port_name: &str, action: &str) -> Result<ContainerDefinition, AwsError> {
    let built = |e: aws_sdk_ecs::error::BuildError| AwsError::Other(format!("{action}: {e}"));
    let mut d = ContainerDefinition::builder()
        .name(&c.name)
        .image(&c.image)
        .essential(c.essential)
        .set_command(c.command.clone())
        .set_environment(Some(c.environment.iter().map(|(k, v)| KeyValuePair::builder().name(k).value(v).build()).collect()))
        .set_cpu(c.cpu.and_then(|n| i32::try_from(n).ok()))
        .set_memory(c.memory.and_then(|n| i32::try_from(n).ok()));
    if let Some(port) = c.port {
        d = d
            .port_mappings(PortMapping::builder().name(port_name).container_port(i32::from(port)).protocol(TransportProtocol::Tcp).build());
    }
    for (name, from) in &c.secrets {
        d = d.secrets(Secret::builder().name(name).value_from(from).build().map_err(built)?);
    }
    for (name, condition) in &c.depends_on {
        d = d.depends_on(
            ContainerDependency::builder()
                .container_name(name)
                .condition(ContainerCondition::from(condition.as_str()))
                .build()
                .map_err(built)?,
        );
    }
    if let Some(h) = &c.health_check {
        let secs = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        d = d.health_check(
            HealthCheck::builder()
                .set_command(Some(h.command.clone()))
                .interval(secs(h.interval))
                .timeout(secs(h.timeout))
                .retries(secs(h.retries))
                .start_period(secs(h.grace))
                .build()
                .map_err(built)?,
        );
    }
    if let Some(kind) = &c.firelens {
        d = d.firelens_configuration(
            FirelensConfiguration::builder().r#type(FirelensConfigurationType::from(kind.as_str())).build().map_err(built)?,
        );
    }
    for m in &c.mounts {
        d = d.mount_points(MountPoint::builder().source_volume(&m.volume).container_path(&m.path).read_only(m.read_only).build());
    }
    if let Some(arn) = &c.credentials {
        d = d.repository_credentials(RepositoryCredentials::builder().credentials_parameter(arn).build().map_err(built)?);
    }
    if let Some(log) = &c.log {
        d = d.log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", &log.group)
                .options("awslogs-region", &log.region)
                .options("awslogs-stream-prefix", &log.stream_prefix)
                .build()
                .map_err(built)?,
        );
    } else if let Some(options) = &c.log_router {
        d = d.log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awsfirelens)
                .set_options(Some(options.clone().into_iter().collect()))
                .build()
                .map_err(built)?,
        );
    }
    Ok(d.build())
}

/// The parts of a described task definition ecship sets; AWS-filled defaults are left out.
pub fn read(td: &aws_sdk_ecs::types::TaskDefinition) -> TaskDef {
    let mut containers = td.container_definitions().iter().map(container);
    let own = containers.next().unwrap_or_else(|| Container::new("", ""));
    let mut sidecars: Vec<Container> = containers.collect();
    sidecars.sort_by(|a, b| a.name.cmp(&b.name));
    TaskDef {
        // x86_64 is Fargate's default, whether or not the task definition names it.
        architecture: td.runtime_platform().and_then(|p| p.cpu_architecture()).map(|a| a.as_str().to_string()).filter(|a| a != "X86_64"),
        storage: td.ephemeral_storage().map(|e| e.size_in_gib()).and_then(|g| u32::try_from(g).ok()).filter(|g| *g > 20),
        family: td.family().unwrap_or("").to_string(),
        cpu: td.cpu().and_then(|v| v.parse().ok()).unwrap_or(0),
        memory: td.memory().and_then(|v| v.parse().ok()).unwrap_or(0),
        task_role_arn: td.task_role_arn().map(str::to_string),
        execution_role_arn: td.execution_role_arn().map(str::to_string),
        container: own,
        sidecars,
        volumes: td
            .volumes()
            .iter()
            .filter_map(|v| {
                let efs = v.efs_volume_configuration()?;
                Some(EfsVolume {
                    name: v.name()?.to_string(),
                    file_system: efs.file_system_id().to_string(),
                    access_point: efs.authorization_config().and_then(|a| a.access_point_id()).map(str::to_string),
                })
            })
            .collect(),
    }
}

/// EFS volumes as ECS takes them: encrypted in transit, mounted with the task role's IAM
/// permissions (through the access point, when there is one).
pub fn volumes(td: &TaskDef) -> Vec<Volume> {
    td.volumes
        .iter()
        .filter_map(|v| {
            let auth = EfsAuthorizationConfig::builder()
                .set_access_point_id(v.access_point.clone())
                .iam(EfsAuthorizationConfigIam::Enabled)
                .build();
            let efs = EfsVolumeConfiguration::builder()
                .file_system_id(&v.file_system)
                .transit_encryption(EfsTransitEncryption::Enabled)
                .authorization_config(auth)
                .build()
                .ok()?;
            Some(Volume::builder().name(&v.name).efs_volume_configuration(efs).build())
        })
        .collect()
}

fn container(c: &ContainerDefinition) -> Container {
    let options: BTreeMap<String, String> = c
        .log_configuration()
        .and_then(|l| l.options())
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let option = |k: &str| options.get(k).cloned().unwrap_or_default();
    let driver = c.log_configuration().map(|l| l.log_driver());
    let unsigned = |n: i32| u32::try_from(n).unwrap_or(0);
    let mut out = Container::new(c.name().unwrap_or(""), c.image().unwrap_or(""));
    out.port = c.port_mappings().first().and_then(|p| p.container_port()).and_then(|p| u16::try_from(p).ok());
    out.command = Some(c.command().to_vec()).filter(|v| !v.is_empty());
    out.environment =
        c.environment().iter().filter_map(|kv| Some((kv.name()?.to_string(), kv.value().unwrap_or("").to_string()))).collect();
    out.secrets = c.secrets().iter().map(|s| (s.name().to_string(), s.value_from().to_string())).collect();
    // ECS reports a container without `essential` as essential.
    out.essential = c.essential().unwrap_or(true);
    out.depends_on = c.depends_on().iter().map(|d| (d.container_name().to_string(), d.condition().as_str().to_string())).collect();
    out.health_check = c.health_check().map(|h| ContainerHealth {
        command: h.command().to_vec(),
        interval: h.interval().map_or(30, unsigned),
        timeout: h.timeout().map_or(5, unsigned),
        retries: h.retries().map_or(3, unsigned),
        grace: h.start_period().map_or(0, unsigned),
    });
    out.cpu = Some(unsigned(c.cpu())).filter(|n| *n > 0);
    out.memory = c.memory().map(unsigned);
    out.firelens = c.firelens_configuration().map(|f| f.r#type().as_str().to_string());
    out.credentials = c.repository_credentials().map(|r| r.credentials_parameter().to_string());
    out.mounts = c
        .mount_points()
        .iter()
        .map(|m| crate::workload::MountPoint {
            volume: m.source_volume().unwrap_or("").to_string(),
            path: m.container_path().unwrap_or("").to_string(),
            read_only: m.read_only().unwrap_or(false),
        })
        .collect();
    match driver {
        Some(LogDriver::Awslogs) => {
            out.log = Some(LogConfig {
                group: option("awslogs-group"),
                region: option("awslogs-region"),
                stream_prefix: option("awslogs-stream-prefix"),
            });
        }
        Some(LogDriver::Awsfirelens) => out.log_router = Some(options.clone()),
        _ => {}
    }
    out
}
