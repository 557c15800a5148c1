//! `status`: the stack and its services as deployed, read without the spec. Reads only.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use serde::Serialize;

use super::scaling::describe;
use crate::aws::autoscaling::Autoscaling;
use crate::aws::cloudformation::Stacks;
use crate::aws::dynamodb::DynamoDb;
use crate::aws::ecs::Ecs;
use crate::aws::elbv2::Elbv2;
use crate::aws::rds::Rds;
use crate::aws::scheduler::{group as schedule_group, Scheduler};
use crate::aws::{Aws, AwsError};
use crate::cost::{compare, Bill, Cost, Pricing, Table, Tasks};
use crate::model::CostAssumptions;
use crate::plan::cost::ecs_tasks;
use crate::synth::ids::DOMAIN_URLS_OUTPUT;
use crate::synth::nesting::EXPORT_PREFIX;
use crate::workload::outputs::StackOutputs;
use crate::workload::scaling::resource_id;
use crate::workload::{revision_name, Registered, ServiceState, TaskRun, STACK_TAG};

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub stack: String,
    /// The CloudFormation status, or `None` when the stack does not exist.
    pub status: Option<String>,
    pub load_balancer_url: Option<String>,
    /// The addresses of the load balancers' domains: `https://api.example.com/`.
    pub urls: Vec<String>,
    /// The console page of the stack's CloudWatch dashboard (`signals.dashboard`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dashboard_url: Option<String>,
    pub outputs: BTreeMap<String, String>,
    pub services: Vec<ServiceStatus>,
    /// Task-definition families of the stack that no service runs: its jobs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobStatus>,
    /// What runs now costs a month: the deployed template and the tasks running (no
    /// estimate and why, when it cannot be priced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_unavailable: Option<String>,
    /// The buckets, tables and databases of its `storage:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<DataStatus>,
}

/// A bucket, table or database of the stack, with what AWS reports of it.
#[derive(Debug, Clone, Serialize)]
pub struct DataStatus {
    /// `bucket`, `table`, `database`.
    pub kind: &'static str,
    /// Its name (bucket, table) or identifier (database).
    pub id: String,
    /// As its service says it: `ACTIVE`, `available`; none for a bucket.
    pub state: Option<String>,
    /// `1520 items, 3.2 MiB`, `50 GiB`; none where AWS reports none (a bucket).
    pub size: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub name: String,
    /// `cron(0 3 * * ? *) Europe/Berlin`, when scheduled.
    pub schedule: Option<String>,
    /// Its last runs ECS still reports (about an hour's), newest first.
    pub runs: Vec<TaskRun>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub status: String,
    pub running: u32,
    pub desired: u32,
    pub pending: u32,
    /// `family:revision`.
    pub task_definition: String,
    pub image: Option<String>,
    /// The primary deployment's rollout state: IN_PROGRESS, COMPLETED, FAILED.
    pub rollout: Option<String>,
    pub deployments: usize,
    /// The newest ECS service events, newest first.
    pub events: Vec<String>,
    /// For a colour of a canary or blue/green service: its percent of the traffic.
    pub traffic: Option<u8>,
    /// For the new colour of a rollout held for approval (`deploy.approve`): the revision held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// Its Application Auto Scaling: `2–10 tasks on cpu 70 %`.
    pub autoscaling: Option<String>,
}

/// How many service events `status` shows.
const EVENTS: usize = 3;

/// The stack and its services; with a price table, what runs now costs a month.
pub async fn status(aws: &Aws, stack: &str, prices: Option<&Table>) -> Result<Status, AwsError> {
    let stacks = Stacks::new(aws);
    let Some(mut info) = stacks.describe(stack).await? else {
        return Ok(Status {
            stack: stack.to_string(),
            status: None,
            load_balancer_url: None,
            urls: vec![],
            dashboard_url: None,
            outputs: BTreeMap::new(),
            services: vec![],
            jobs: vec![],
            cost: None,
            cost_unavailable: None,
            data: vec![],
        });
    };
    info.merge_outputs(&stacks.nested_stacks(stack).await?, EXPORT_PREFIX);
    let ecs = Ecs::new(aws);
    let services = match info.outputs.get("ClusterName") {
        Some(cluster) => ecs.stack_services(cluster, stack).await?,
        None => vec![],
    };
    let described = join_all(services.iter().map(|s| ecs.task_definition(&s.task_definition))).await;
    let (cost, cost_unavailable) = match prices {
        Some(table) => running_cost(aws, stack, table, &services, &described).await?,
        None => (None, None),
    };
    let ids: Vec<String> =
        services.iter().map(|s| resource_id(info.outputs.get("ClusterName").map_or("", String::as_str), &s.name)).collect();
    let scaling = if services.is_empty() { BTreeMap::new() } else { Autoscaling::new(aws).describe(&ids).await? };
    let shares = traffic_shares(aws, stack, &info.outputs).await?;
    let jobs = jobs(aws, stack, info.outputs.get("ClusterName").map_or("", String::as_str), &services).await?;
    let mut out = Vec::new();
    for (s, td) in services.into_iter().zip(described) {
        let primary = s.primary();
        // A service ECS rolls out natively is one ECS service with all of its traffic.
        let traffic =
            s.config.load_balancer.as_ref().filter(|lb| lb.alternate.is_none()).and_then(|lb| shares.get(&lb.target_group_arn).copied());
        let cluster = info.outputs.get("ClusterName").map_or("", String::as_str);
        let autoscaling = scaling.get(&resource_id(cluster, &s.name)).map(describe);
        let held = super::approval::pending(&s);
        out.push(ServiceStatus {
            autoscaling,
            traffic,
            held,
            image: td?.map(|t| t.task_def.container.image),
            rollout: primary.and_then(|d| d.rollout_state.as_ref()).map(ToString::to_string),
            deployments: s.deployments.len(),
            task_definition: revision_name(&s.task_definition).to_string(),
            events: s.events.iter().take(EVENTS).map(|e| format!("{} {}", e.at, e.message)).collect(),
            name: s.name,
            status: s.status.to_string(),
            running: s.running,
            desired: s.desired,
            pending: s.pending,
        });
    }
    let data = data(aws, stack, &info.outputs).await?;
    Ok(Status {
        data,
        stack: stack.to_string(),
        status: Some(info.status),
        load_balancer_url: info.outputs.get("LoadBalancerUrl").cloned(),
        urls: domain_urls(&info.outputs),
        dashboard_url: info.outputs.get("DashboardName").map(|name| crate::synth::signals::console_url(aws.region(), name)),
        outputs: info.outputs,
        services: out,
        jobs,
        cost,
        cost_unavailable,
    })
}

/// Traffic shares of two-colour services: target group ARN → percent, from their rules.
async fn traffic_shares(aws: &Aws, stack: &str, outputs: &BTreeMap<String, String>) -> Result<BTreeMap<String, u8>, AwsError> {
    let mut shares: BTreeMap<String, u8> = BTreeMap::new();
    if let Ok(outputs) = StackOutputs::parse(stack, outputs) {
        let rules: Vec<String> =
            outputs.services().filter(|s| s.target_groups.len() == 2).filter_map(|s| s.rules.first().cloned()).collect();
        if !rules.is_empty() {
            for (_, weights) in Elbv2::new(aws).rule_weights(&rules).await? {
                let total: i32 = weights.iter().map(|(_, w)| (*w).max(0)).sum();
                for (tg, w) in weights {
                    let pct = if total > 0 { w.max(0) * 100 / total } else { 0 };
                    shares.insert(tg, u8::try_from(pct).unwrap_or(0));
                }
            }
        }
    }
    Ok(shares)
}

/// The deployed template's resources and the tasks running now, priced; why not, when the
/// table cannot price them.
async fn running_cost(
    aws: &Aws,
    stack: &str,
    table: &Table,
    services: &[ServiceState],
    described: &[Result<Option<Registered>, AwsError>],
) -> Result<(Option<Cost>, Option<String>), AwsError> {
    let tasks: Vec<Tasks> =
        services.iter().zip(described).filter_map(|(s, td)| Some(ecs_tasks(s, &td.as_ref().ok()?.as_ref()?.task_def, s.running))).collect();
    let body = Stacks::new(aws).template(stack).await?;
    let template: Option<serde_json::Value> = body.as_deref().and_then(|b| serde_json::from_str(b).ok());
    let now = Bill { templates: template.iter().collect(), tasks };
    let assumptions = CostAssumptions::default();
    let pricing = Pricing { table, region: aws.region(), assumptions: &assumptions };
    Ok(match compare(&pricing, &Bill::default(), &now) {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e.to_string())),
    })
}

/// How many runs of each job `status` shows.
const RUNS: usize = 3;

/// The stack's families that no service runs (its jobs), their schedules and last runs.
async fn jobs(aws: &Aws, stack: &str, cluster: &str, services: &[ServiceState]) -> Result<Vec<JobStatus>, AwsError> {
    let ecs = Ecs::new(aws);
    let of_services: BTreeSet<&str> =
        services.iter().map(|s| revision_name(&s.task_definition).split(':').next().unwrap_or_default()).collect();
    let mut families: Vec<String> =
        ecs.families(&format!("{stack}-")).await?.into_iter().filter(|f| !of_services.contains(f.as_str())).collect();
    if !families.is_empty() {
        // A preview's task definitions (`STACK-NAME-SERVICE`) share the prefix; they are not jobs.
        let previews: Vec<String> = super::preview::stacks_of(aws, stack).await?.into_iter().map(|p| format!("{}-", p.name)).collect();
        families.retain(|f| !previews.iter().any(|p| f.starts_with(p.as_str())));
    }
    if families.is_empty() {
        return Ok(Vec::new());
    }
    let schedules = Scheduler::new(aws).schedules(&schedule_group(stack)).await?;
    let mut out = Vec::new();
    for family in families {
        let name = family.strip_prefix(&format!("{stack}-")).unwrap_or(&family).to_string();
        let mut runs = if cluster.is_empty() { Vec::new() } else { ecs.stopped_runs(cluster, &family).await? };
        runs.truncate(RUNS);
        let schedule = schedules.get(&name).map(|s| format!("{} {}", s.expression, s.timezone.as_deref().unwrap_or("UTC")));
        out.push(JobStatus { name, schedule, runs });
    }
    Ok(out)
}

/// The stack's storage, from its `Storage<Name>` outputs: tables and databases with their
/// state and size as DynamoDB and RDS report them, buckets by name.
async fn data(aws: &Aws, stack: &str, outputs: &BTreeMap<String, String>) -> Result<Vec<DataStatus>, AwsError> {
    let field = |v: &str, key: &str| v.split(';').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')).map(str::to_string);
    let entries: Vec<&String> = outputs.iter().filter(|(k, _)| k.starts_with("Storage")).map(|(_, v)| v).collect();
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let databases = Rds::new(aws).tagged(STACK_TAG, stack).await?;
    let mut out = Vec::new();
    for v in entries {
        let (name, arn) = (field(v, "name").unwrap_or_default(), field(v, "arn").unwrap_or_default());
        if let Some(host) = field(v, "host") {
            let id = host.split('.').next().unwrap_or_default().to_string();
            let db = databases.iter().find(|d| d.id == id && d.member_of.is_none());
            let size = db.and_then(|d| d.storage_gb).filter(|g| *g > 0).map(|g| format!("{g} GiB"));
            out.push(DataStatus { kind: "database", state: db.map(|d| d.status.clone()), size, id });
        } else if arn.contains(":dynamodb:") {
            let table = DynamoDb::new(aws).describe(&name).await?;
            let size = table.as_ref().map(|t| {
                format!("{} items, {}", t.items.unwrap_or(0), crate::human::mib(u64::try_from(t.bytes.unwrap_or(0)).unwrap_or(0)))
            });
            out.push(DataStatus { kind: "table", state: table.map(|t| t.status), size, id: name });
        } else {
            out.push(DataStatus { kind: "bucket", id: name, state: None, size: None });
        }
    }
    Ok(out)
}

/// Every address the outputs of load balancers' domains list, in output order.
fn domain_urls(outputs: &BTreeMap<String, String>) -> Vec<String> {
    outputs
        .iter()
        .filter(|(k, _)| k.ends_with(DOMAIN_URLS_OUTPUT))
        .flat_map(|(_, v)| v.split(',').filter(|u| !u.is_empty()).map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_address_is_listed() {
        let outputs: BTreeMap<String, String> = [
            ("DomainUrls", "https://api.example.com/,https://www.example.com/"),
            ("LbAdminDomainUrls", "https://admin.example.com:8443/"),
            ("LoadBalancerUrl", "https://lb-1.elb.amazonaws.com"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(domain_urls(&outputs), ["https://api.example.com/", "https://www.example.com/", "https://admin.example.com:8443/"]);
    }
}
