//! `init --from-service`: an ECS service as a stack spec — its task definition's image, port,
//! cpu, memory, command, environment and secret references, its count, and the path rules of
//! its load balancer — for a user to review and deploy. Reads only.

use serde_yaml::{Mapping, Value};

use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::{Aws, AwsError};
use crate::init::{dns_name, Converted};
use crate::spec::validate::plaintext::plaintext_secret;

#[derive(Debug, thiserror::Error)]
pub enum FromServiceError {
    #[error("`{0}` is not CLUSTER/SERVICE (e.g. shop/web)")]
    Target(String),
    #[error("cluster {cluster} has no service {service} ({})", if names.is_empty() { "it has none".to_string() } else { format!("its services: {}", names.join(", ")) })]
    NotFound { cluster: String, service: String, names: Vec<String> },
    #[error("service {service} runs task definition {task_definition}, which ECS no longer describes")]
    NoTaskDefinition { service: String, task_definition: String },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

pub async fn from_service(aws: &Aws, target: &str, stack: Option<&str>) -> Result<Converted, FromServiceError> {
    let Some((cluster, service)) = target.split_once('/').filter(|(c, s)| !c.is_empty() && !s.is_empty()) else {
        return Err(FromServiceError::Target(target.to_string()));
    };
    let ecs = Ecs::new(aws);
    let all = ecs.cluster_services(cluster).await?;
    let Some(s) = all.iter().find(|s| s.name == service) else {
        let names = all.iter().map(|s| s.name.clone()).collect();
        return Err(FromServiceError::NotFound { cluster: cluster.to_string(), service: service.to_string(), names });
    };
    let Some(registered) = ecs.task_definition(&s.task_definition).await? else {
        return Err(FromServiceError::NoTaskDefinition { service: service.to_string(), task_definition: s.task_definition.clone() });
    };
    let td = &registered.task_def;
    let mut c = Converted { stack: dns_name(stack.unwrap_or(cluster), 24), ..Converted::default() };
    let name = dns_name(service, 32);
    let mut svc = Mapping::new();
    svc.insert("image".into(), Value::from(td.container.image.clone()));
    if let Some(port) = td.container.port {
        svc.insert("port".into(), Value::from(port));
    }
    svc.insert("cpu".into(), Value::from(td.cpu));
    svc.insert("memory".into(), Value::from(td.memory));
    svc.insert("count".into(), Value::from(s.desired));
    if let Some(cmd) = td.container.command.clone().and_then(|words| crate::init::command(&mut c, &name, words)) {
        svc.insert("command".into(), Value::Sequence(cmd.into_iter().map(Value::from).collect()));
    }
    let mut env = Mapping::new();
    for (k, v) in &td.container.environment {
        match plaintext_secret(k, v) {
            Some(why) => {
                c.note(format!("{name}: env {k} left out: {why}; store it in SSM or Secrets Manager and name it under `secrets:`"))
            }
            None => {
                env.insert(Value::from(k.clone()), Value::from(v.replace("${", "$${")));
            }
        }
    }
    if !env.is_empty() {
        svc.insert("env".into(), Value::Mapping(env));
    }
    let mut secrets = Mapping::new();
    for (k, from) in &td.container.secrets {
        secrets.insert(Value::from(k.clone()), Value::from(secret_ref(from)));
    }
    if !secrets.is_empty() {
        svc.insert("secrets".into(), Value::Mapping(secrets));
    }
    if let Some(lb) = &s.config.load_balancer {
        routes(&mut c, &name, &mut svc, &Elbv2::new(aws).routes_to(&lb.target_group_arn).await?);
    }
    if td.architecture.is_some() {
        svc.insert("platform".into(), Value::from("arm64"));
    }
    if let Some(g) = td.storage {
        svc.insert("storage".into(), Value::from(g));
    }
    c.note(format!(
        "{name}: task role, execution role and security groups are the stack's own once deployed (ecship creates them); add the task role's `permissions:`"
    ));
    c.services.insert(Value::from(name), Value::Mapping(svc));
    Ok(c)
}

fn routes(c: &mut Converted, name: &str, svc: &mut Mapping, found: &[(String, Option<String>)]) {
    if found.is_empty() {
        c.note(format!("{name}: its target group has no path rule on a listener: no routes"));
        return;
    }
    let routes = found
        .iter()
        .map(|(path, host)| {
            let mut r = Mapping::new();
            r.insert("path".into(), Value::from(path.clone()));
            if let Some(h) = host {
                r.insert("host".into(), Value::from(h.clone()));
            }
            Value::Mapping(r)
        })
        .collect();
    svc.insert("routes".into(), Value::Sequence(routes));
}

/// A task definition's `valueFrom` as the spec writes a secret reference.
fn secret_ref(from: &str) -> String {
    if let Some(rest) = from.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        if parts.get(1) == Some(&"ssm") {
            if let Some(name) = parts.get(4).and_then(|r| r.strip_prefix("parameter")) {
                return format!("ssm:{name}");
            }
        }
        if parts.get(1) == Some(&"secretsmanager") {
            return format!("secretsmanager:{from}");
        }
        return format!("ssm:{from}");
    }
    if from.starts_with('/') {
        format!("ssm:{from}")
    } else {
        format!("ssm:/{from}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn value_from_becomes_a_reference() {
        use super::secret_ref;
        assert_eq!(secret_ref("arn:aws:ssm:us-east-1:123456789012:parameter/shop/db"), "ssm:/shop/db");
        assert_eq!(secret_ref("/shop/db"), "ssm:/shop/db");
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-db-AbCdEf";
        assert_eq!(secret_ref(arn), format!("secretsmanager:{arn}"));
    }
}
