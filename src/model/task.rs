//! What a task runs beside and within its own container: sidecars and the conditions they
//! wait on, container health checks and EFS volumes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{secs, EnvValue, Image, Model, Port, SecretRef, Service};

/// An EFS volume mounted into a task's own container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    pub volume: String,
    pub path: String,
    pub read_only: bool,
    pub source: VolumeSource,
}

/// Where a volume's file system comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VolumeSource {
    /// One the stack creates (with an access point, mount targets and a security group).
    Created,
    Existing {
        file_system: String,
        access_point: Option<String>,
    },
}

impl Model {
    /// An image repository's name (as the template creates it): `STACK/SERVICE`, or
    /// `STACK/SERVICE/SIDECAR` for a sidecar's image.
    /// A preview pushes to its environment's repositories.
    pub fn repository(&self, svc: &Service, sidecar: Option<&str>) -> String {
        let (stack, service) = match &self.preview {
            Some(p) => (&p.parent, p.originals.get(&svc.name).unwrap_or(&svc.name)),
            None => (&self.stack, &svc.name),
        };
        match sidecar {
            Some(sc) => format!("{stack}/{service}/{sc}"),
            None => format!("{stack}/{service}"),
        }
    }

    /// The volumes the stack creates, each once, with the tasks that mount them.
    pub fn created_volumes(&self) -> BTreeMap<&str, Vec<&Service>> {
        let mut out: BTreeMap<&str, Vec<&Service>> = BTreeMap::new();
        for task in self.tasks() {
            for m in task.volumes.iter().filter(|m| m.source == VolumeSource::Created) {
                out.entry(m.volume.as_str()).or_default().push(task);
            }
        }
        out
    }
}

/// A container beside a task's own.
#[derive(Debug, Clone, Serialize)]
pub struct Sidecar {
    pub name: String,
    /// Any image source; a job's sidecars run existing images.
    pub image: Image,
    pub command: Option<Vec<String>>,
    pub env: BTreeMap<String, EnvValue>,
    pub secrets: BTreeMap<String, SecretRef>,
    pub port: Option<Port>,
    pub essential: bool,
    pub depends_on: BTreeMap<String, DependsOn>,
    pub health_check: Option<ContainerHealth>,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub firelens: Option<Firelens>,
}

impl Service {
    /// The FireLens log router among its sidecars, if any.
    pub fn log_router(&self) -> Option<&Sidecar> {
        self.sidecars.iter().find(|s| s.firelens.is_some())
    }
}

/// What a container waits for in another before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DependsOn {
    Start,
    Complete,
    Success,
    Healthy,
}

impl DependsOn {
    /// As ECS writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DependsOn::Start => "START",
            DependsOn::Complete => "COMPLETE",
            DependsOn::Success => "SUCCESS",
            DependsOn::Healthy => "HEALTHY",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Firelens {
    Fluentbit,
    Fluentd,
}

impl Firelens {
    /// As ECS writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Firelens::Fluentbit => "fluentbit",
            Firelens::Fluentd => "fluentd",
        }
    }
}

/// A container's own health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerHealth {
    pub command: Vec<String>,
    #[serde(with = "secs")]
    pub interval: Duration,
    #[serde(with = "secs")]
    pub timeout: Duration,
    pub retries: u32,
    #[serde(with = "secs")]
    pub grace: Duration,
}
