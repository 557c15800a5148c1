//! The stack's outputs, read back as what the services need: cluster, subnets, roles, log
//! group, and per service its security group, target groups, rules and repository.
//!
//! The format is synth's (`synth::services::outputs`): one output per service,
//! `key=value` pairs joined by `;`, lists by `,`.

use std::collections::BTreeMap;

use crate::model::{LbName, Model, Service, ServiceName, StorageAttr, StorageKind};
use crate::synth::ids::{ServiceIds, StorageIds, VolumeIds};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackOutputs {
    pub cluster: String,
    pub public_subnets: Vec<String>,
    pub private_subnets: Vec<String>,
    pub execution_role_arn: Option<String>,
    pub log_group: Option<String>,
    /// The load balancers' URLs, by the prefix of their ids (`""` for the one
    /// `load_balancer:` declares).
    lb_urls: BTreeMap<String, String>,
    pub namespace_arn: Option<String>,
    /// With scheduled jobs: the role EventBridge Scheduler starts them with, and the
    /// cluster's ARN.
    pub scheduler_role_arn: Option<String>,
    pub cluster_arn: Option<String>,
    /// With services ECS rolls out natively: the role ECS moves their rules' weights with.
    pub ecs_role_arn: Option<String>,
    /// By output name (`SvcLike`).
    services: BTreeMap<String, ServiceOutputs>,
    /// The EFS volumes the stack creates, by output name (`VolumeUploads`): the file system
    /// and its access point.
    volumes: BTreeMap<String, (String, String)>,
    /// The stack's storage, by output name (`StorageUploads`): `name`, `arn`, `host`,
    /// `port`, `secret` as each kind has them.
    storage: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceOutputs {
    pub security_group: String,
    pub task_role: Option<String>,
    pub target_groups: Vec<String>,
    pub rules: Vec<String>,
    /// The test rule ECS's native engine sends test traffic through.
    pub test_rule: Option<String>,
    /// On ecship's engine, the test rules that reach blue and green (in that order).
    pub test_rules: Vec<String>,
    pub repository: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("stack {stack} has no output {key}: it was changed outside ecship or is still being created — run `ecship deploy` again")]
pub struct MissingOutput {
    pub stack: String,
    pub key: String,
}

impl StackOutputs {
    pub fn parse(stack: &str, outputs: &BTreeMap<String, String>) -> Result<Self, MissingOutput> {
        let missing = |key: &str| MissingOutput { stack: stack.to_string(), key: key.to_string() };
        let list = |key: &str| outputs.get(key).map(|v| split_list(v)).unwrap_or_default();
        let services = outputs.iter().filter(|(k, _)| k.starts_with("Svc")).map(|(k, v)| (k.clone(), ServiceOutputs::parse(v))).collect();
        Ok(Self {
            cluster: outputs.get("ClusterName").cloned().ok_or_else(|| missing("ClusterName"))?,
            public_subnets: list("PublicSubnetIds"),
            private_subnets: list("PrivateSubnetIds"),
            execution_role_arn: outputs.get("ExecutionRoleArn").cloned(),
            log_group: outputs.get("LogGroupName").cloned(),
            lb_urls: outputs.iter().filter_map(|(k, v)| Some((k.strip_suffix("LoadBalancerUrl")?.to_string(), v.clone()))).collect(),
            namespace_arn: outputs.get("ServiceConnectNamespaceArn").cloned(),
            scheduler_role_arn: outputs.get("SchedulerRoleArn").cloned(),
            cluster_arn: outputs.get("ClusterArn").cloned(),
            ecs_role_arn: outputs.get("EcsInfrastructureRoleArn").cloned(),
            services,
            volumes: outputs.iter().filter(|(k, _)| k.starts_with("Volume")).map(|(k, v)| (k.clone(), volume_ids(v))).collect(),
            storage: outputs.iter().filter(|(k, _)| k.starts_with("Storage")).map(|(k, v)| (k.clone(), pairs(v))).collect(),
        })
    }

    /// The outputs as far as they are known (`deployed`, when the stack exists), with
    /// `placeholder` for every value only the infrastructure step will create: what a plan
    /// renders services against before that step.
    pub fn known(model: &Model, deployed: Option<&BTreeMap<String, String>>, placeholder: &str) -> Self {
        let p = || placeholder.to_string();
        let mut out = deployed.and_then(|o| Self::parse(model.stack.as_str(), o).ok()).unwrap_or_else(|| Self {
            cluster: model.cluster.name.clone(),
            public_subnets: vec![p()],
            private_subnets: if model.network.has_private_subnets() { vec![p()] } else { vec![] },
            ..Self::default()
        });
        out.execution_role_arn.get_or_insert_with(p);
        out.log_group.get_or_insert_with(p);
        for lb in model.load_balancers.keys() {
            out.lb_urls.entry(lb.logical()).or_insert_with(p);
        }
        if model.services.values().any(|s| !s.references.is_empty()) {
            out.namespace_arn.get_or_insert_with(p);
        }
        if model.jobs.values().any(|j| j.schedule.is_some()) {
            out.scheduler_role_arn.get_or_insert_with(p);
            out.cluster_arn.get_or_insert_with(p);
        }
        if model.services.values().any(|s| s.deploy.rollout.native()) {
            out.ecs_role_arn.get_or_insert_with(p);
        }
        for name in model.created_volumes().keys() {
            out.volumes.entry(VolumeIds::new(name).output()).or_insert_with(|| (p(), p()));
        }
        for s in model.storage.values() {
            let attrs: &[StorageAttr] = match s.kind {
                StorageKind::Database(_) => &[StorageAttr::Host, StorageAttr::Port, StorageAttr::Name, StorageAttr::Secret],
                _ => &[StorageAttr::Name, StorageAttr::Arn],
            };
            let entry = out.storage.entry(StorageIds::new(&s.name).output()).or_default();
            for a in attrs {
                entry.entry(a.key().to_string()).or_insert_with(p);
            }
        }
        for svc in model.tasks() {
            let key = ServiceIds::new(&svc.name.logical()).output();
            out.services.entry(key).or_insert_with(|| ServiceOutputs {
                security_group: p(),
                task_role: Some(p()),
                target_groups: match &svc.load_balancer {
                    None => vec![],
                    Some(_) if svc.deploy.rollout.native() => vec![p(), p()],
                    Some(_) => vec![p()],
                },
                rules: if svc.deploy.rollout.native() { vec![p()] } else { vec![] },
                test_rule: (svc.deploy.rollout.native() && svc.has_test_rules()).then(p),
                test_rules: vec![],
                repository: svc.image.is_pushed().then(p),
            });
        }
        out
    }

    /// The URL of a load balancer.
    pub fn lb_url(&self, name: &LbName) -> Option<&str> {
        self.lb_urls.get(&name.logical()).map(String::as_str)
    }

    /// The URL a service's routes are reached at: its load balancer's.
    pub fn service_lb_url(&self, svc: &Service) -> Option<&str> {
        svc.load_balancer.as_ref().and_then(|lb| self.lb_url(lb))
    }

    /// The outputs of one service.
    pub fn service(&self, stack: &str, name: &ServiceName) -> Result<&ServiceOutputs, MissingOutput> {
        let key = ServiceIds::new(&name.logical()).output();
        self.services.get(&key).ok_or(MissingOutput { stack: stack.to_string(), key })
    }

    /// The file system and access point of a volume the stack creates.
    pub fn volume(&self, stack: &str, name: &str) -> Result<&(String, String), MissingOutput> {
        let key = VolumeIds::new(name).output();
        self.volumes.get(&key).ok_or(MissingOutput { stack: stack.to_string(), key })
    }

    /// One value of a storage entry (`uploads`, `Name`): its bucket's name, a database's host…
    pub fn storage(&self, stack: &str, name: &str, attr: StorageAttr) -> Result<&str, MissingOutput> {
        let key = StorageIds::new(name).output();
        let value = self.storage.get(&key).and_then(|m| m.get(attr.key()));
        value.map(String::as_str).ok_or(MissingOutput { stack: stack.to_string(), key: format!("{key} ({})", attr.key()) })
    }

    /// Every service's outputs, by output name.
    pub fn services(&self) -> impl Iterator<Item = &ServiceOutputs> {
        self.services.values()
    }
}

impl ServiceOutputs {
    fn parse(value: &str) -> Self {
        let mut out = Self::default();
        for pair in value.split(';') {
            let Some((key, v)) = pair.split_once('=') else { continue };
            match key {
                "security_group" => out.security_group = v.to_string(),
                "task_role" => out.task_role = Some(v.to_string()),
                "target_groups" => out.target_groups = split_list(v),
                "rules" => out.rules = split_list(v),
                "test_rule" => out.test_rule = Some(v.to_string()),
                "test_rules" => out.test_rules = split_list(v),
                "repository" => out.repository = Some(v.to_string()),
                _ => {}
            }
        }
        out
    }
}

/// `file_system=fs-…;access_point=fsap-…`.
fn volume_ids(v: &str) -> (String, String) {
    let get = |key: &str| v.split(';').find_map(|p| p.strip_prefix(key)?.strip_prefix('=')).unwrap_or("").to_string();
    (get("file_system"), get("access_point"))
}

/// `key=value;key=value`.
fn pairs(v: &str) -> BTreeMap<String, String> {
    v.split(';').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_outputs_read_back_what_synth_writes() {
        let raw = BTreeMap::from([
            ("ClusterName".to_string(), "mysfits".to_string()),
            ("PublicSubnetIds".to_string(), "subnet-a,subnet-b".to_string()),
            ("VolumeUploads".to_string(), "file_system=fs-0123abcd;access_point=fsap-0123abcd".to_string()),
            ("StorageMainDb".to_string(), "host=db.example;port=5432;name=main_db;secret=arn:aws:secretsmanager:us-east-1:1:secret:rds!db-1".to_string()),
            ("SvcLike".to_string(), "security_group=sg-1;task_role=arn:aws:iam::1:role/r;target_groups=arn:tg1,arn:tg2;rules=arn:r1;repository=1.dkr.ecr.us-east-1.amazonaws.com/mysfits/like".to_string()),
        ]);
        let o = StackOutputs::parse("mysfits", &raw).expect("parses");
        assert_eq!(o.public_subnets, ["subnet-a", "subnet-b"]);
        assert!(o.private_subnets.is_empty());
        let like = o.service("mysfits", &ServiceName::new_unchecked("like")).expect("present");
        assert_eq!(like.security_group, "sg-1");
        assert_eq!(like.target_groups, ["arn:tg1", "arn:tg2"]);
        assert_eq!(like.repository.as_deref(), Some("1.dkr.ecr.us-east-1.amazonaws.com/mysfits/like"));
        assert_eq!(o.volume("mysfits", "uploads").expect("volume"), &("fs-0123abcd".to_string(), "fsap-0123abcd".to_string()));
        assert_eq!(o.storage("mysfits", "main-db", StorageAttr::Port).expect("port"), "5432");
        assert_eq!(
            o.storage("mysfits", "main-db", StorageAttr::Secret).expect("secret"),
            "arn:aws:secretsmanager:us-east-1:1:secret:rds!db-1"
        );
        assert!(o.storage("mysfits", "uploads", StorageAttr::Name).is_err());
        let err = o.service("mysfits", &ServiceName::new_unchecked("web")).expect_err("absent");
        assert!(err.to_string().contains("no output SvcWeb"), "{err}");
    }

    #[test]
    fn a_stack_without_a_cluster_output_is_named() {
        let err = StackOutputs::parse("s", &BTreeMap::new()).expect_err("missing");
        assert!(err.to_string().contains("stack s has no output ClusterName"), "{err}");
    }
}
