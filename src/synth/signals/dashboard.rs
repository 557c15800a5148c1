//! The stack's CloudWatch dashboard, named as the stack: a row per service (requests, 5xx,
//! latency p50/p99, healthy targets, CPU, memory, running vs desired tasks), a row per job
//! (failed runs, the last runs' log lines), one per load balancer, and every alarm's state.
//! The body is CloudWatch's dashboard JSON, sent through `Fn::Sub` for the names only the
//! stack knows (`${LoadBalancer.LoadBalancerFullName}`, `${AWS::Region}`).
//! https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html

use serde_json::{json, Value};

use super::super::ids::{self, LbIds, ServiceIds};
use super::super::resources::Dashboard;
use super::super::{Cx, Expr, Resource, Template};
use crate::model::signals::{alarm_name, JOB_FAILED};
use crate::model::{Colour, Service};

const WIDTH: u32 = 8;
const HEIGHT: u32 = 6;

/// The console page of a stack's dashboard.
pub fn console_url(region: &str, stack: &str) -> String {
    format!("https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{stack}")
}

pub(super) fn add(cx: &Cx, t: &mut Template) {
    let mut grid = Grid::default();
    for w in alarm_status(cx) {
        grid.full(w);
    }
    for svc in cx.model.services.values() {
        for w in service_widgets(cx, svc) {
            grid.push(w);
        }
        grid.newline();
    }
    for job in cx.model.jobs.values() {
        grid.push(job_failures(cx, &job.task));
        grid.push(job_runs(cx, &job.task));
        grid.newline();
    }
    for lb in cx.model.load_balancers.keys() {
        let full = format!("${{{}.LoadBalancerFullName}}", LbIds::new(lb).balancer());
        let m = |name: &str, stat: &str| json!(["AWS/ApplicationELB", name, "LoadBalancer", full, { "stat": stat }]);
        grid.push(widget(&format!("{lb}: requests"), vec![m("RequestCount", "Sum")]));
        grid.push(widget(&format!("{lb}: 5xx"), vec![m("HTTPCode_ELB_5XX_Count", "Sum"), m("HTTPCode_Target_5XX_Count", "Sum")]));
        grid.push(widget(&format!("{lb}: response time"), vec![m("TargetResponseTime", "p50"), m("TargetResponseTime", "p99")]));
        grid.newline();
    }
    let body = serde_json::to_string(&json!({ "widgets": grid.widgets })).unwrap_or_default();
    t.add(ids::SIGNALS_DASHBOARD, Resource::new(Dashboard { dashboard_name: cx.model.stack.to_string(), dashboard_body: Expr::sub(body) }));
    t.output("DashboardName", "CloudWatch dashboard of the stack", Expr::reference(ids::SIGNALS_DASHBOARD));
}

/// Widgets placed left to right, three to a row.
#[derive(Default)]
struct Grid {
    widgets: Vec<Value>,
    x: u32,
    y: u32,
}

impl Grid {
    fn push(&mut self, mut w: Value) {
        if self.x + WIDTH > 24 {
            self.newline();
        }
        w["x"] = json!(self.x);
        w["y"] = json!(self.y);
        w["width"] = json!(WIDTH);
        w["height"] = json!(HEIGHT);
        self.widgets.push(w);
        self.x += WIDTH;
    }

    fn full(&mut self, mut w: Value) {
        self.newline();
        w["x"] = json!(0);
        w["y"] = json!(self.y);
        w["width"] = json!(24);
        w["height"] = json!(4);
        self.widgets.push(w);
        self.y += 4;
    }

    fn newline(&mut self) {
        if self.x > 0 {
            self.x = 0;
            self.y += HEIGHT;
        }
    }
}

fn widget(title: &str, metrics: Vec<Value>) -> Value {
    json!({ "type": "metric", "properties": { "title": title, "region": "${AWS::Region}", "period": 60, "metrics": metrics } })
}

/// An alarm widget shows at most this many alarms.
const ALARMS_PER_WIDGET: usize = 100;

/// Every alarm of the stack, with its state: one widget per hundred.
fn alarm_status(cx: &Cx) -> Vec<Value> {
    let stack = &cx.model.stack;
    let arn = |name: String| format!("arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{name}");
    let alarms: Vec<String> = cx.model.own_alarms().into_iter().map(arn).collect();
    alarms
        .chunks(ALARMS_PER_WIDGET)
        .map(|some| json!({ "type": "alarm", "properties": { "title": format!("{stack}: alarms"), "alarms": some } }))
        .collect()
}

fn service_widgets(cx: &Cx, svc: &Service) -> Vec<Value> {
    let name = svc.name.as_str();
    let mut out = Vec::new();
    if !svc.routes.is_empty() {
        let lb = svc.load_balancer.as_ref().map(|l| LbIds::new(l).balancer()).unwrap_or_default();
        let ids = ServiceIds::new(&svc.name.logical());
        let mut groups = vec![(ids.target_group(), "blue")];
        if svc.deploy.rollout.has_two_colours() {
            groups.push((ids.green_target_group(), "green"));
        }
        let tg = |metric: &str, stat: &str| -> Vec<Value> {
            groups
                .iter()
                .map(|(id, colour)| {
                    let mut options = json!({ "stat": stat });
                    if groups.len() > 1 {
                        options["label"] = json!(format!("{colour} {stat}"));
                    }
                    json!([
                        "AWS/ApplicationELB",
                        metric,
                        "TargetGroup",
                        format!("${{{id}.TargetGroupFullName}}"),
                        "LoadBalancer",
                        format!("${{{lb}.LoadBalancerFullName}}"),
                        options
                    ])
                })
                .collect()
        };
        out.push(widget(&format!("{name}: requests"), tg("RequestCount", "Sum")));
        out.push(widget(&format!("{name}: 5xx"), tg("HTTPCode_Target_5XX_Count", "Sum")));
        out.push(widget(&format!("{name}: latency"), [tg("TargetResponseTime", "p50"), tg("TargetResponseTime", "p99")].concat()));
        out.push(widget(&format!("{name}: healthy targets"), tg("HealthyHostCount", "Minimum")));
    }
    let services = if svc.deploy.rollout.colour_services() {
        vec![svc.colour_service(Colour::Blue), svc.colour_service(Colour::Green)]
    } else {
        vec![svc.name.to_string()]
    };
    let cluster = &cx.model.cluster.name;
    let ecs = |ns: &str, metric: &str, stat: &str| -> Vec<Value> {
        services.iter().map(|s| json!([ns, metric, "ClusterName", cluster, "ServiceName", s, { "stat": stat }])).collect()
    };
    out.push(widget(&format!("{name}: CPU %"), ecs("AWS/ECS", "CPUUtilization", "Average")));
    out.push(widget(&format!("{name}: memory %"), ecs("AWS/ECS", "MemoryUtilization", "Average")));
    let tasks =
        [ecs("ECS/ContainerInsights", "RunningTaskCount", "Average"), ecs("ECS/ContainerInsights", "DesiredTaskCount", "Average")].concat();
    out.push(widget(&format!("{name}: running vs desired"), tasks));
    out
}

fn job_failures(cx: &Cx, job: &Service) -> Value {
    let rule = alarm_name(&cx.model.stack, job.name.as_str(), JOB_FAILED);
    widget(&format!("{}: failed runs", job.name), vec![json!(["AWS/Events", "TriggeredRules", "RuleName", rule, { "stat": "Sum" }])])
}

/// The last runs' log lines: the job's streams of the stack's log group (prefix: its name).
fn job_runs(cx: &Cx, job: &Service) -> Value {
    let group = format!("/ecship/{}", cx.model.stack);
    let query = format!(
        "SOURCE '{group}' | fields @timestamp, @logStream, @message | filter @logStream like /^{}\\// | sort @timestamp desc | limit 50",
        job.name
    );
    json!({ "type": "log", "properties": { "title": format!("{}: last runs", job.name), "region": "${AWS::Region}", "query": query, "view": "table" } })
}
