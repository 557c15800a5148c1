//! A stack's signals (`signals:`): each service's CloudWatch alarms (`STACK-SERVICE-KIND`),
//! each job's alarm on failed runs, the SNS topic they send to on ALARM and OK (or an
//! existing one) with its e-mail subscriptions and a Slack channel through AWS Chatbot, the
//! EventBridge rules that send ECS's failed deployments and crashed tasks to it, and the
//! dashboard (`dashboard`).
//!
//! A two-colour service keeps one alarm of each kind: metric math over both of its target
//! groups (and both ECS services, on ecship's engine), so an alarm's name and state do not
//! change with the colour that is live, and a canary's errors count while it takes traffic.

mod dashboard;

use super::ids::{self, LbIds, ServiceIds};
use super::resources::{
    Alarm as AlarmProps, Dimension, EventRule, EventTarget, InlinePolicy, Metric, MetricQuery, MetricStat, PolicyDocument, Role,
    SlackChannel, Statement, Subscription, Topic, TopicPolicy,
};
use super::{Cx, Expr, Resource, Template};
use crate::model::signals::{alarm_name, Threshold, JOB_FAILED};
use crate::model::{Alarm, AlarmKind, Colour, Service, Signals};

pub use dashboard::console_url;

/// Everything `signals:` asks for, when it does.
pub(super) fn add(cx: &Cx, t: &mut Template) {
    let Some(signals) = &cx.model.signals else { return };
    let topic = topic(cx, t, signals);
    for svc in cx.model.services.values() {
        for alarm in &svc.alarms {
            let ids = ServiceIds::new(&svc.name.logical());
            t.add(ids.alarm(alarm.kind.key()), Resource::new(service_alarm(cx, svc, alarm, &topic)));
        }
    }
    let mut rules = Vec::new();
    for job in cx.model.jobs.values() {
        rules.push(job_failures(cx, t, &job.task, &topic));
    }
    rules.extend(ecs_failures(cx, t, &topic));
    if signals.notify.topic.is_none() {
        topic_policy(t, &topic, rules);
    }
    if signals.dashboard {
        dashboard::add(cx, t);
    }
}

/// The topic alarms and rules send to: the stack's own (`STACK-signals`, with its e-mail
/// subscriptions) or the existing one `notify.topic` names; and the Slack channel on it.
fn topic(cx: &Cx, t: &mut Template, signals: &Signals) -> Expr {
    let stack = &cx.model.stack;
    let arn = match &signals.notify.topic {
        Some(existing) => Expr::from(existing),
        None => {
            t.add(
                ids::SIGNALS_TOPIC,
                Resource::new(Topic {
                    topic_name: format!("{stack}-signals"),
                    display_name: format!("ecship {stack}"),
                    tags: cx.tags(None),
                }),
            );
            t.output("SignalsTopicArn", "SNS topic the stack's alarms and ECS failures are sent to", Expr::reference(ids::SIGNALS_TOPIC));
            Expr::reference(ids::SIGNALS_TOPIC)
        }
    };
    for (i, email) in signals.notify.email.iter().enumerate() {
        t.add(ids::signals_email(i), Resource::new(Subscription { topic_arn: arn.clone(), protocol: "email", endpoint: email.clone() }));
    }
    if let Some(slack) = &signals.notify.slack {
        chatbot_role(cx, t);
        t.add(
            ids::SIGNALS_SLACK,
            Resource::new(SlackChannel {
                configuration_name: format!("{stack}-signals"),
                iam_role_arn: Expr::att(ids::SIGNALS_SLACK_ROLE, "Arn"),
                slack_workspace_id: slack.workspace.clone(),
                slack_channel_id: slack.channel.clone(),
                sns_topic_arns: vec![arn.clone()],
                // What people in the channel may do through Chatbot: read CloudWatch, nothing more.
                guardrail_policies: vec!["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess".into()],
                logging_level: "ERROR",
                tags: cx.tags(None),
            }),
        );
    }
    arn
}

/// The role AWS Chatbot reads CloudWatch with to show an alarm's graph in Slack.
/// https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html
fn chatbot_role(cx: &Cx, t: &mut Template) {
    let read = Statement {
        effect: "Allow",
        principal: None,
        action: vec!["cloudwatch:Describe*".into(), "cloudwatch:Get*".into(), "cloudwatch:List*".into()],
        resource: vec![Expr::from("*")],
        condition: None,
    };
    t.add(
        ids::SIGNALS_SLACK_ROLE,
        Resource::new(Role {
            description: format!("ecship {}: lets AWS Chatbot show the stack's alarms in Slack", cx.model.stack),
            assume_role_policy_document: super::iam::trust("chatbot.amazonaws.com"),
            policies: vec![InlinePolicy {
                policy_name: "read-alarms".into(),
                policy_document: PolicyDocument { version: "2012-10-17", statement: vec![read] },
            }],
            permissions_boundary: cx.model.permissions_boundary.clone(),
            tags: cx.tags(None),
        }),
    );
}

/// The stack's own topic lets its owner account in (the default policy it replaces) and
/// EventBridge publish from exactly the stack's rules.
/// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
fn topic_policy(t: &mut Template, topic: &Expr, rules: Vec<String>) {
    let owner = Statement {
        effect: "Allow",
        principal: Some(Expr::Map([("AWS".to_string(), Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"))].into())),
        action: ["Publish", "Subscribe", "GetTopicAttributes", "ListSubscriptionsByTopic"].iter().map(|a| format!("sns:{a}")).collect(),
        resource: vec![topic.clone()],
        condition: None,
    };
    let mut statement = vec![owner];
    if !rules.is_empty() {
        let arns = Expr::List(rules.iter().map(|r| Expr::att(r, "Arn")).collect());
        statement.push(Statement {
            effect: "Allow",
            principal: Some(Expr::Map([("Service".to_string(), Expr::from("events.amazonaws.com"))].into())),
            action: vec!["sns:Publish".into()],
            resource: vec![topic.clone()],
            condition: Some(Expr::Map([("ArnEquals".to_string(), Expr::Map([("aws:SourceArn".to_string(), arns)].into()))].into())),
        });
    }
    t.add(
        ids::SIGNALS_TOPIC_POLICY,
        Resource::new(TopicPolicy { topics: vec![topic.clone()], policy_document: PolicyDocument { version: "2012-10-17", statement } }),
    );
}

/// The rules that send ECS's failed deployments of the stack's services, and their tasks
/// that stopped with a non-zero exit code, to the topic. Returns their logical ids.
/// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html
/// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
fn ecs_failures(cx: &Cx, t: &mut Template, topic: &Expr) -> Vec<String> {
    let m = cx.model;
    let cluster = &m.cluster.name;
    let deployments = Expr::Raw(serde_json::json!({
        "source": ["aws.ecs"],
        "detail-type": ["ECS Deployment State Change"],
        "resources": [{ "prefix": { "Fn::Sub": format!("arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:service/{cluster}/") } }],
        "detail": { "eventName": ["SERVICE_DEPLOYMENT_FAILED"] },
    }));
    let tasks = Expr::Raw(serde_json::json!({
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [{ "Fn::GetAtt": [ids::CLUSTER, "Arn"] }],
            "lastStatus": ["STOPPED"],
            "group": [{ "prefix": "service:" }],
            "containers": { "exitCode": [{ "anything-but": 0 }] },
        },
    }));
    let rules = [
        (ids::SIGNALS_DEPLOYMENTS_RULE, "deployments-failed", "ECS deployments of the stack's services that failed", deployments),
        (ids::SIGNALS_TASKS_RULE, "tasks-failed", "Tasks of the stack's services that stopped with a non-zero exit code", tasks),
    ];
    rules
        .into_iter()
        .map(|(id, name, what, pattern)| {
            t.add(id, rule(format!("{}-{name}", m.stack), format!("ecship {}: {what}", m.stack), pattern, topic));
            id.to_string()
        })
        .collect()
}

/// A job's failed runs: a rule matching its tasks that stopped with a non-zero exit code
/// (whoever started them: `ecship run`, a deploy's `before`, EventBridge Scheduler), each
/// sent to the topic, and the alarm `STACK-JOB-failed` on the rule's matches.
fn job_failures(cx: &Cx, t: &mut Template, job: &Service, topic: &Expr) -> String {
    let m = cx.model;
    let ids = ServiceIds::new(&job.name.logical());
    let family = crate::workload::family_name(m.stack.as_str(), job.name.as_str());
    let pattern = Expr::Raw(serde_json::json!({
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [{ "Fn::GetAtt": [ids::CLUSTER, "Arn"] }],
            "lastStatus": ["STOPPED"],
            "taskDefinitionArn": [{ "prefix": { "Fn::Sub": format!("arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:task-definition/{family}:") } }],
            "containers": { "exitCode": [{ "anything-but": 0 }] },
        },
    }));
    let name = alarm_name(&m.stack, job.name.as_str(), JOB_FAILED);
    let rule_id = ids.failed_rule();
    t.add(&rule_id, rule(name.clone(), format!("ecship {}: runs of job {} that failed", m.stack, job.name), pattern, topic));
    let runs = query("runs", metric("AWS/Events", "TriggeredRules", vec![dim("RuleName", Expr::reference(&rule_id))]), 300, "Sum");
    let alarm = AlarmProps {
        alarm_description: format!("A run of job {} stopped with a non-zero exit code", job.name),
        ..alarm_to(name, topic, (vec![MetricQuery { return_data: true, ..runs }], Gate::AtLeast(1.0), 1))
    };
    t.add(ids.alarm(JOB_FAILED), Resource::new(alarm));
    rule_id
}

fn rule(name: String, description: String, event_pattern: Expr, topic: &Expr) -> Resource {
    Resource::new(EventRule {
        name,
        description,
        state: "ENABLED",
        event_pattern,
        targets: vec![EventTarget { arn: topic.clone(), id: "signals" }],
    })
}

/// How a query's value sets the alarm off.
#[derive(Clone, Copy)]
enum Gate {
    Over(f64),
    AtLeast(f64),
}

/// One service's alarm of `alarm.kind`, as the README's table describes it.
fn service_alarm(cx: &Cx, svc: &Service, alarm: &Alarm, topic: &Expr) -> AlarmProps {
    let name = alarm_name(&cx.model.stack, svc.name.as_str(), alarm.kind.key());
    let value = match alarm.threshold {
        Threshold::Percent(p) => f64::from(p.get()),
        Threshold::Duration(d) => d.as_secs_f64(),
        Threshold::Count(n) => f64::from(n),
    };
    let (queries, gate, periods, description) = match alarm.kind {
        AlarmKind::Errors5xx => {
            (errors(svc), Gate::Over(value), 1, format!("Over {value}% of {}'s requests answered 5xx for 5 minutes", svc.name))
        }
        AlarmKind::LatencyP99 => (
            across(&target_groups(svc, "TargetResponseTime"), "p99", 300, "MAX", "t"),
            Gate::Over(value),
            1,
            format!("p99 response time of {} over {value}s for 5 minutes", svc.name),
        ),
        AlarmKind::Unhealthy => (
            across(&target_groups(svc, "UnHealthyHostCount"), "Maximum", 60, "SUM", "u"),
            Gate::AtLeast(value),
            3,
            format!("{value} or more unhealthy targets of {} for 3 minutes", svc.name),
        ),
        AlarmKind::Cpu | AlarmKind::Memory => {
            let metric_name = if alarm.kind == AlarmKind::Cpu { "CPUUtilization" } else { "MemoryUtilization" };
            let metrics = ecs_services(cx, svc, "AWS/ECS", metric_name);
            let what = if alarm.kind == AlarmKind::Cpu { "CPU" } else { "Memory" };
            (
                across(&metrics, "Average", 300, "MAX", "c"),
                Gate::Over(value),
                2,
                format!("{what} of {} over {value}% for 10 minutes", svc.name),
            )
        }
        AlarmKind::RunningBelowDesired => {
            let minutes = u32::try_from(value as u64 / 60).unwrap_or(1).max(1);
            (
                running_below(cx, svc),
                Gate::Over(0.0),
                minutes,
                format!("Fewer tasks of {} running than desired for {minutes} minutes", svc.name),
            )
        }
    };
    AlarmProps { alarm_description: description, ..alarm_to(name, topic, (queries, gate, periods)) }
}

/// An alarm sending to `topic` on ALARM and OK, missing data not breaching.
/// Every period of `periods` must breach (CloudWatch's default for `DatapointsToAlarm`).
fn alarm_to(name: String, topic: &Expr, (metrics, gate, periods): (Vec<MetricQuery>, Gate, u32)) -> AlarmProps {
    let (comparison_operator, threshold) = match gate {
        Gate::Over(v) => ("GreaterThanThreshold", v),
        Gate::AtLeast(v) => ("GreaterThanOrEqualToThreshold", v),
    };
    AlarmProps {
        alarm_name: name,
        alarm_description: String::new(),
        alarm_actions: vec![topic.clone()],
        o_k_actions: vec![topic.clone()],
        comparison_operator,
        threshold,
        evaluation_periods: periods,
        treat_missing_data: "notBreaching",
        metrics,
    }
}

/// The 5xx share: targets' 5xx answers over requests, summed over the service's target groups.
/// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
fn errors(svc: &Service) -> Vec<MetricQuery> {
    let mut out = Vec::new();
    let (mut errors, mut requests) = (Vec::new(), Vec::new());
    for (i, m) in target_groups(svc, "HTTPCode_Target_5XX_Count").into_iter().enumerate() {
        out.push(query(&format!("e{i}"), m.clone(), 300, "Sum"));
        out.push(query(&format!("r{i}"), Metric { metric_name: "RequestCount", ..m }, 300, "Sum"));
        errors.push(format!("FILL(e{i}, 0)"));
        requests.push(format!("FILL(r{i}, 0)"));
    }
    out.push(expression("share", format!("100 * ({}) / ({})", errors.join(" + "), requests.join(" + ")), "5xx share (%)"));
    out
}

/// Running below desired: desired minus running tasks, summed over the service's ECS services.
/// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
fn running_below(cx: &Cx, svc: &Service) -> Vec<MetricQuery> {
    let mut out = Vec::new();
    let (mut desired, mut running) = (Vec::new(), Vec::new());
    for (i, m) in ecs_services(cx, svc, "ECS/ContainerInsights", "DesiredTaskCount").into_iter().enumerate() {
        out.push(query(&format!("d{i}"), m.clone(), 60, "Average"));
        out.push(query(&format!("r{i}"), Metric { metric_name: "RunningTaskCount", ..m }, 60, "Average"));
        desired.push(format!("FILL(d{i}, 0)"));
        running.push(format!("FILL(r{i}, 0)"));
    }
    out.push(expression("missing", format!("({}) - ({})", desired.join(" + "), running.join(" + ")), "tasks missing"));
    out
}

/// One query per metric, and `how` (`MAX`, `SUM`) across them; the metric itself when
/// there is one.
fn across(metrics: &[Metric], stat: &'static str, period: u32, how: &str, prefix: &str) -> Vec<MetricQuery> {
    if let [one] = metrics {
        return vec![MetricQuery { return_data: true, ..query(&format!("{prefix}0"), one.clone(), period, stat) }];
    }
    let mut out: Vec<MetricQuery> =
        metrics.iter().enumerate().map(|(i, m)| query(&format!("{prefix}{i}"), m.clone(), period, stat)).collect();
    let ids: Vec<String> = (0..metrics.len()).map(|i| format!("FILL({prefix}{i}, 0)")).collect();
    out.push(expression("value", format!("{how}([{}])", ids.join(", ")), how));
    out
}

/// The metric `name` of each of the service's target groups (blue, then green).
fn target_groups(svc: &Service, name: &'static str) -> Vec<Metric> {
    let ids = ServiceIds::new(&svc.name.logical());
    let lb = svc.load_balancer.as_ref().map(|l| LbIds::new(l).balancer()).unwrap_or_default();
    let mut groups = vec![ids.target_group()];
    if svc.deploy.rollout.has_two_colours() {
        groups.push(ids.green_target_group());
    }
    groups
        .into_iter()
        .map(|tg| {
            metric(
                "AWS/ApplicationELB",
                name,
                vec![
                    dim("TargetGroup", Expr::att(&tg, "TargetGroupFullName")),
                    dim("LoadBalancer", Expr::att(&lb, "LoadBalancerFullName")),
                ],
            )
        })
        .collect()
}

/// The service's ECS services (both colours on ecship's engine) as metrics of `namespace`.
fn ecs_services(cx: &Cx, svc: &Service, namespace: &'static str, name: &'static str) -> Vec<Metric> {
    let names = if svc.deploy.rollout.colour_services() {
        vec![svc.colour_service(Colour::Blue), svc.colour_service(Colour::Green)]
    } else {
        vec![svc.name.to_string()]
    };
    names
        .into_iter()
        .map(|n| metric(namespace, name, vec![dim("ClusterName", Expr::from(&cx.model.cluster.name)), dim("ServiceName", Expr::from(n))]))
        .collect()
}

fn metric(namespace: &'static str, metric_name: &'static str, dimensions: Vec<Dimension>) -> Metric {
    Metric { namespace, metric_name, dimensions }
}

fn dim(name: &'static str, value: Expr) -> Dimension {
    Dimension { name, value }
}

fn query(id: &str, metric: Metric, period: u32, stat: &'static str) -> MetricQuery {
    MetricQuery {
        id: id.into(),
        expression: None,
        label: None,
        metric_stat: Some(MetricStat { metric, period, stat }),
        period: None,
        return_data: false,
    }
}

fn expression(id: &str, text: String, label: &str) -> MetricQuery {
    MetricQuery { id: id.into(), expression: Some(text), label: Some(label.into()), metric_stat: None, period: None, return_data: true }
}
