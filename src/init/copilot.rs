//! An AWS Copilot workspace as a stack spec: each `copilot/*/manifest.yml` of type Load
//! Balanced Web Service, Backend Service or Worker Service becomes a service, a Scheduled
//! Job a job; each manifest's `environments:` block becomes overrides under the spec's
//! `environments:` (one per `copilot/environments/*`). Copilot's own variables (application,
//! environment and service names) are resolved; storage add-ons become `storage:` entries
//! (`copilot_addons`). What ecship has no counterpart for (Request-
//! Driven Web Services, Static Sites, subscriptions, …) is named in the report.

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::{dns_name, relative, Converted, InitError};
use crate::spec::validate::plaintext::plaintext_secret;

/// Convert the Copilot workspace at `dir` (the directory holding `copilot/`, or `copilot/`).
pub fn convert(dir: &Path, out: &Path, stack: Option<&str>) -> Result<Converted, InitError> {
    let root = if dir.join("copilot").is_dir() { dir.join("copilot") } else { dir.to_path_buf() };
    let workspace = root.parent().unwrap_or(Path::new(".")).to_path_buf();
    let app = std::fs::read_to_string(root.join(".workspace"))
        .ok()
        .and_then(|t| serde_yaml::from_str::<Value>(&t).ok())
        .and_then(|v| v.get("application").and_then(Value::as_str).map(str::to_string));
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(&root)
        .map_err(|e| InitError::Empty { file: root.display().to_string(), what: format!("no Copilot workspace ({e})") })?
        .filter_map(Result::ok)
        .map(|e| e.path().join("manifest.yml"))
        .filter(|p| p.is_file())
        .collect();
    manifests.sort();
    let mut envs: Vec<String> = std::fs::read_dir(root.join("environments"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().join("manifest.yml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    envs.sort();
    let mut c = Converted { stack: dns_name(stack.or(app.as_deref()).unwrap_or("app"), 24), ..Converted::default() };
    let app = app.unwrap_or_else(|| c.stack.clone());
    let shared = super::copilot_addons::environment(&mut c, &root, &app);
    for path in &manifests {
        let text = std::fs::read_to_string(path).map_err(|e| InitError::Empty { file: path.display().to_string(), what: e.to_string() })?;
        let doc: Value = serde_yaml::from_str(&text).map_err(|e| InitError::Parse {
            file: path.display().to_string(),
            line: e.location().map_or(0, |l| l.line()),
            message: e.to_string(),
        })?;
        let m = Manifest { doc: &doc, workspace: &workspace, out, app: &app };
        one(&mut c, &m, &envs);
        let name = dns_name(doc.get("name").and_then(Value::as_str).unwrap_or("service"), 32);
        if let (Some(dir), true) = (path.parent(), c.services.contains_key(name.as_str()) || c.jobs.contains_key(name.as_str())) {
            super::copilot_addons::workload(&mut c, dir, &name, &app);
        }
    }
    super::copilot_addons::unused(&mut c, &shared);
    for env in &envs {
        let path = root.join("environments").join(env).join("manifest.yml");
        if let Some(doc) = std::fs::read_to_string(&path).ok().and_then(|t| serde_yaml::from_str::<Value>(&t).ok()) {
            environment_certificate(&mut c, env, &doc);
        }
    }
    if c.services.is_empty() && c.jobs.is_empty() {
        return Err(InitError::Empty { file: root.display().to_string(), what: "no service or job manifest".into() });
    }
    Ok(c)
}

struct Manifest<'a> {
    doc: &'a Value,
    workspace: &'a Path,
    out: &'a Path,
    app: &'a str,
}

fn one(c: &mut Converted, m: &Manifest, envs: &[String]) {
    let doc = m.doc;
    let original = doc.get("name").and_then(Value::as_str).unwrap_or("service");
    let name = dns_name(original, 32);
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or("");
    let job = kind == "Scheduled Job";
    if !matches!(kind, "Load Balanced Web Service" | "Backend Service" | "Worker Service" | "Scheduled Job") {
        c.note(format!("{original}: a Copilot \"{kind}\" has no counterpart in ecship: left out"));
        return;
    }
    let first_env = envs.first().map_or("base", String::as_str);
    let resolve = |s: &str| s.replace("${COPILOT_APPLICATION_NAME}", m.app).replace("${COPILOT_SERVICE_NAME}", original);
    let mut base = fields(c, &name, doc, m, kind, &|s: &str| resolve(s).replace("${COPILOT_ENVIRONMENT_NAME}", first_env));
    if text_of(doc).contains("${COPILOT_ENVIRONMENT_NAME}") {
        c.note(format!(
            "{name}: ${{COPILOT_ENVIRONMENT_NAME}} is {first_env} in the base spec and each environment's name in its overrides"
        ));
    }
    if job {
        schedule(c, &name, doc, &mut base);
    }
    for env in envs {
        let over = doc.get("environments").and_then(|e| e.get(env.as_str()));
        let mut fields_env = over
            .map(|o| fields(c, &name, o, m, kind, &|s: &str| resolve(s).replace("${COPILOT_ENVIRONMENT_NAME}", env)))
            .unwrap_or_default();
        // Values naming the environment differ in each one, overrides or not.
        if text_of(doc).contains("${COPILOT_ENVIRONMENT_NAME}") {
            let again = fields(c, &name, doc, m, kind, &|s: &str| resolve(s).replace("${COPILOT_ENVIRONMENT_NAME}", env));
            for (k, v) in again {
                if base.get(&k) != Some(&v) && !fields_env.contains_key(&k) {
                    fields_env.insert(k, v);
                }
            }
        }
        if fields_env.is_empty() {
            continue;
        }
        one_way_to_count(&base, &mut fields_env);
        let section = if job { "jobs" } else { "services" };
        let env_map = c.environments.entry(Value::from(env.clone())).or_insert_with(|| Value::Mapping(Mapping::new()));
        if let Value::Mapping(em) = env_map {
            let part = em.entry(Value::from(section)).or_insert_with(|| Value::Mapping(Mapping::new()));
            if let Value::Mapping(p) = part {
                p.insert(Value::from(name.clone()), Value::Mapping(fields_env));
            }
        }
    }
    if job {
        c.jobs.insert(Value::from(name), Value::Mapping(base));
    } else {
        c.services.insert(Value::from(name), Value::Mapping(base));
    }
}

fn text_of(v: &Value) -> String {
    serde_yaml::to_string(v).unwrap_or_default()
}

/// The spec's fields of one manifest (or of one environment's overrides of it).
fn fields(c: &mut Converted, name: &str, doc: &Value, m: &Manifest, kind: &str, resolve: &dyn Fn(&str) -> String) -> Mapping {
    let mut out = Mapping::new();
    let image = doc.get("image");
    if let Some(img) = image {
        if let Some(loc) = img.get("location").and_then(Value::as_str) {
            out.insert("image".into(), Value::from(resolve(loc)));
        } else if let Some(build) = img.get("build") {
            let (dockerfile, context) = match build {
                Value::String(s) => (s.clone(), Path::new(s).parent().map(|p| p.display().to_string()).unwrap_or_default()),
                b => (
                    b.get("dockerfile").and_then(Value::as_str).unwrap_or("Dockerfile").to_string(),
                    b.get("context").and_then(Value::as_str).unwrap_or(".").to_string(),
                ),
            };
            let context_dir = m.workspace.join(if context.is_empty() { "." } else { context.as_str() });
            let mut b = Mapping::new();
            b.insert("context".into(), Value::from(relative(&context_dir, m.out)));
            let file = m.workspace.join(&dockerfile);
            if let Ok(rel) = file.strip_prefix(&context_dir) {
                if rel != Path::new("Dockerfile") {
                    b.insert("dockerfile".into(), Value::from(rel.display().to_string()));
                }
            }
            let mut i = Mapping::new();
            i.insert("build".into(), Value::Mapping(b));
            out.insert("image".into(), Value::Mapping(i));
        }
        if let Some(port) = img.get("port").and_then(Value::as_u64) {
            out.insert("port".into(), Value::from(port));
        }
    }
    if kind == "Load Balanced Web Service" {
        http(c, name, doc, &mut out);
    }
    for key in ["cpu", "memory"] {
        if let Some(n) = doc.get(key).and_then(Value::as_u64) {
            out.insert(key.into(), Value::from(n));
        }
    }
    count(c, name, doc.get("count"), &mut out);
    if let Some(cmd) = doc.get("command") {
        let words = match cmd {
            Value::String(s) => shlex::split(s).unwrap_or_default(),
            Value::Sequence(s) => s.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        if let Some(words) = super::command(c, name, words) {
            out.insert("command".into(), Value::Sequence(words.into_iter().map(Value::from).collect()));
        }
    }
    if let Some(p) = doc.get("platform").and_then(Value::as_str) {
        if p.contains("arm64") {
            out.insert("platform".into(), Value::from("arm64"));
        }
    }
    if doc.get("exec").and_then(Value::as_bool) == Some(true) {
        out.insert("exec".into(), Value::Bool(true));
    }
    if let Some(g) = doc.get("storage").and_then(|s| s.get("ephemeral")).and_then(Value::as_u64) {
        out.insert("storage".into(), Value::from(g));
    }
    if doc.get("network").and_then(|n| n.get("vpc")).and_then(|v| v.get("placement")).and_then(Value::as_str) == Some("private") {
        out.insert("subnets".into(), Value::from("private"));
    }
    variables(c, name, doc.get("variables"), resolve, &mut out);
    secrets(doc.get("secrets"), resolve, &mut out);
    super::copilot_task::convert(c, name, doc, resolve, &mut out);
    deployment(c, name, doc.get("deployment"), &mut out);
    for key in ["taskdef_overrides", "subscribe", "publish", "observability", "retries"] {
        if doc.get(key).is_some() {
            c.note(format!("{name}: `{key}` left out (no counterpart in a stack spec yet)"));
        }
    }
    out
}

fn http(c: &mut Converted, name: &str, doc: &Value, out: &mut Mapping) {
    let Some(h) = doc.get("http") else { return };
    if h.as_bool() == Some(false) {
        return;
    }
    let path = h.get("path").and_then(Value::as_str).unwrap_or("/");
    let trimmed = path.trim_matches('/');
    let route_path = if trimmed.is_empty() { "/*".to_string() } else { format!("/{trimmed}*") };
    let mut route = Mapping::new();
    route.insert("path".into(), Value::from(route_path));
    if let Some((alias, zone_id)) = h.get("alias").and_then(alias) {
        route.insert("host".into(), Value::from(alias.clone()));
        domain(c, name, &alias, zone_id);
    }
    out.insert("routes".into(), Value::Sequence(vec![Value::Mapping(route)]));
    let hc = h.get("healthcheck");
    let hc_path = hc.and_then(Value::as_str).or_else(|| hc.and_then(|v| v.get("path")).and_then(Value::as_str));
    if let Some(p) = hc_path {
        let mut m = Mapping::new();
        m.insert("path".into(), Value::from(p));
        out.insert("health_check".into(), Value::Mapping(m));
    }
}

/// The first name of Copilot's `http.alias` (a name, a list of names, or a list of
/// `{name, hosted_zone}`), and the hosted zone id given with it.
fn alias(v: &Value) -> Option<(String, Option<String>)> {
    let first = match v {
        Value::Sequence(items) => items.first()?,
        one => one,
    };
    match first {
        Value::String(name) => Some((name.clone(), None)),
        entry => Some((
            entry.get("name").and_then(Value::as_str)?.to_string(),
            entry.get("hosted_zone").and_then(Value::as_str).map(str::to_string),
        )),
    }
}

/// The load balancer's domain for an alias: the hosted zone Copilot names with it, else the
/// alias's parent domain (the alias itself for a two-label name), to check.
fn domain(c: &mut Converted, name: &str, alias: &str, zone_id: Option<String>) {
    if c.load_balancer.contains_key("domain") {
        return;
    }
    let mut d = Mapping::new();
    match zone_id {
        Some(id) => {
            d.insert("zone_id".into(), Value::from(id.clone()));
            c.note(format!("{name}: http.alias {alias} is the route's host, in hosted zone {id} (load_balancer.domain): ecship requests its certificate"));
        }
        None => {
            let zone =
                alias.split_once('.').map(|(_, parent)| parent).filter(|p| p.contains('.')).unwrap_or(alias).trim_start_matches("*.");
            d.insert("zone".into(), Value::from(zone));
            c.note(format!(
                "{name}: http.alias {alias} is the route's host; load_balancer.domain.zone is {zone}: check it is the Route 53 hosted zone of your application's domain (ecship requests the certificate)"
            ));
        }
    }
    c.load_balancer.insert("domain".into(), Value::Mapping(d));
}

/// An environment's imported certificates (`http.public.certificates`) as its load
/// balancer's `https.certificate`: ecship's HTTPS listener takes one.
fn environment_certificate(c: &mut Converted, env: &str, manifest: &Value) {
    let certs: Vec<&str> = manifest
        .get("http")
        .and_then(|h| h.get("public"))
        .and_then(|p| p.get("certificates"))
        .and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(first) = certs.first() else { return };
    if certs.len() > 1 {
        c.note(format!(
            "environment {env}: http.public.certificates: the HTTPS listener takes one certificate, {first}; the others are left out"
        ));
    }
    let mut https = Mapping::new();
    https.insert("certificate".into(), Value::from(*first));
    let mut lb = Mapping::new();
    lb.insert("https".into(), Value::Mapping(https));
    let env_map = c.environments.entry(Value::from(env)).or_insert_with(|| Value::Mapping(Mapping::new()));
    if let Value::Mapping(em) = env_map {
        em.insert("load_balancer".into(), Value::Mapping(lb));
    }
}

/// `deployment.rollback_alarms`: Copilot's alarms by name become `deploy.alarms`. The alarms
/// Copilot makes from thresholds (`{ cpu_utilization, memory_utilization }`) have no names
/// to carry over: ecship's own are `alarms:` under `signals:`, gated on by name or `auto`.
/// https://aws.github.io/copilot-cli/docs/manifest/lb-web-service/#deployment-rollback-alarms
fn deployment(c: &mut Converted, name: &str, raw: Option<&Value>, out: &mut Mapping) {
    let Some(d) = raw else { return };
    match d.get("rollback_alarms") {
        Some(Value::Sequence(names)) => {
            let names: Vec<Value> = names.iter().filter_map(Value::as_str).map(Value::from).collect();
            let mut deploy = Mapping::new();
            deploy.insert("alarms".into(), Value::Sequence(names));
            out.insert("deploy".into(), Value::Mapping(deploy));
        }
        Some(_) => c.note(format!(
            "{name}: deployment.rollback_alarms thresholds left out: add `signals:` and gate on the service's own alarms with `deploy.alarms: auto`, or name alarms"
        )),
        None => {}
    }
    if d.get("rolling").is_some() {
        c.note(format!("{name}: deployment.rolling left out: choose `deploy.strategy`"));
    }
}

/// `count: 2`, or `count: { range: 1-10 | {min, max, spot_from}, cpu_percentage, … }`.
fn count(c: &mut Converted, name: &str, raw: Option<&Value>, out: &mut Mapping) {
    let Some(raw) = raw else { return };
    if let Some(n) = raw.as_u64() {
        out.insert("count".into(), Value::from(n));
        return;
    }
    let range = raw.get("range");
    let (min, max) = match range {
        Some(Value::String(s)) => {
            let (a, b) = s.split_once('-').unwrap_or((s, s));
            (a.trim().parse::<u64>().ok(), b.trim().parse::<u64>().ok())
        }
        Some(r) => (r.get("min").and_then(Value::as_u64), r.get("max").and_then(Value::as_u64)),
        None => (None, None),
    };
    let (Some(min), Some(max)) = (min, max) else { return };
    let mut a = Mapping::new();
    a.insert("min".into(), Value::from(min));
    a.insert("max".into(), Value::from(max));
    for (from, to) in [("cpu_percentage", "cpu"), ("memory_percentage", "memory"), ("requests", "requests")] {
        let v = raw.get(from).and_then(|v| v.as_u64().or_else(|| v.get("value").and_then(Value::as_u64)));
        if let Some(v) = v {
            a.insert(to.into(), Value::from(v));
        }
    }
    if a.len() == 2 {
        a.insert("cpu".into(), Value::from(70));
        c.note(format!("{name}: count range without a metric: scaling on cpu 70 %"));
    }
    if range.and_then(|r| r.get("spot_from")).is_some() {
        c.note(format!("{name}: range.spot_from left out: use `capacity: {{ spot: N }}`"));
    }
    for key in ["response_time", "queue_delay"] {
        if raw.get(key).is_some() {
            c.note(format!("{name}: count.{key} left out (ecship scales on cpu, memory and requests)"));
        }
    }
    out.insert("autoscaling".into(), Value::Mapping(a));
}

/// Copilot's `count:` is either a number or a range; an environment that gives the other
/// form replaces the base's, so the spec's override removes what the base said
/// (`autoscaling: null` under a fixed count, `count: null` under a range).
fn one_way_to_count(base: &Mapping, env: &mut Mapping) {
    for (given, other) in [("count", "autoscaling"), ("autoscaling", "count")] {
        if env.contains_key(given) && !env.contains_key(other) && base.contains_key(other) {
            env.insert(other.into(), Value::Null);
        }
    }
}

pub(super) fn variables(c: &mut Converted, name: &str, raw: Option<&Value>, resolve: &dyn Fn(&str) -> String, out: &mut Mapping) {
    let Some(Value::Mapping(vars)) = raw else { return };
    let mut env = Mapping::new();
    for (k, v) in vars {
        let Some(k) = k.as_str() else { continue };
        let value = match v {
            Value::String(s) => resolve(s),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                c.note(format!("{name}: variable {k} (imported from another stack) left out: set its value"));
                continue;
            }
        };
        if let Some(why) = plaintext_secret(k, &value) {
            c.note(format!("{name}: variable {k} left out: {why}; name it under `secrets:`"));
            continue;
        }
        env.insert(Value::from(k), Value::from(value.replace("${", "$${")));
    }
    if !env.is_empty() {
        out.insert("env".into(), Value::Mapping(env));
    }
}

/// Copilot secrets: an SSM parameter name (or ARN), or `{ secretsmanager: NAME }`.
pub(super) fn secrets(raw: Option<&Value>, resolve: &dyn Fn(&str) -> String, out: &mut Mapping) {
    let Some(Value::Mapping(secrets)) = raw else { return };
    let mut s = Mapping::new();
    for (k, v) in secrets {
        let Some(k) = k.as_str() else { continue };
        let reference = match v {
            Value::String(p) if p.starts_with("arn:") || p.starts_with('/') => format!("ssm:{}", resolve(p)),
            Value::String(p) => format!("ssm:/{}", resolve(p)),
            m => match m.get("secretsmanager").and_then(Value::as_str) {
                Some(n) => format!("secretsmanager:{}", resolve(n)),
                None => continue,
            },
        };
        s.insert(Value::from(k), Value::from(reference));
    }
    if !s.is_empty() {
        out.insert("secrets".into(), Value::Mapping(s));
    }
}

/// `on: { schedule: … }` as an EventBridge Scheduler expression; `timeout`.
fn schedule(c: &mut Converted, name: &str, doc: &Value, out: &mut Mapping) {
    let Some(raw) = doc.get("on").and_then(|o| o.get("schedule")).and_then(Value::as_str) else {
        c.note(format!("{name}: a job without `on.schedule` runs only when asked (`ecship run`)"));
        return;
    };
    match aws_schedule(raw) {
        Some(expr) => {
            out.insert("schedule".into(), Value::from(expr));
        }
        None => c.note(format!("{name}: schedule `{raw}` has no EventBridge form here: set `schedule:` by hand")),
    }
    if let Some(t) = doc.get("timeout").and_then(Value::as_str) {
        out.insert("timeout".into(), Value::from(t));
    }
    out.remove("port");
}

/// Copilot's schedule (`@daily`, `@every 90m`, a five-field cron) as `cron(…)` or `rate(…)`.
pub fn aws_schedule(s: &str) -> Option<String> {
    let s = s.trim();
    let fixed = match s {
        "@yearly" | "@annually" => Some("cron(0 0 1 1 ? *)"),
        "@monthly" => Some("cron(0 0 1 * ? *)"),
        "@weekly" => Some("cron(0 0 ? * SUN *)"),
        "@daily" | "@midnight" => Some("cron(0 0 * * ? *)"),
        "@hourly" => Some("cron(0 * * * ? *)"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(f.to_string());
    }
    if let Some(every) = s.strip_prefix("@every ") {
        let d = humantime::parse_duration(every.trim()).ok()?;
        let minutes = (d.as_secs() / 60).max(1);
        return Some(match minutes {
            1 => "rate(1 minute)".to_string(),
            m if m % 1440 == 0 => format!("rate({} day{})", m / 1440, if m == 1440 { "" } else { "s" }),
            m if m % 60 == 0 => format!("rate({} hour{})", m / 60, if m == 60 { "" } else { "s" }),
            m => format!("rate({m} minutes)"),
        });
    }
    let f: Vec<&str> = s.split_whitespace().collect();
    let [min, hour, dom, month, dow] = f.as_slice() else { return None };
    let dow = if *dow == "*" { "?".to_string() } else { dow_names(dow)? };
    let dom = if dow == "?" { dom.to_string() } else { "?".to_string() };
    Some(format!("cron({min} {hour} {dom} {month} {dow} *)"))
}

/// Cron's day-of-week numbers (0 or 7 is Sunday) as names, which AWS reads the same way.
fn dow_names(field: &str) -> Option<String> {
    const DAYS: [&str; 8] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    let mut out = String::new();
    for c in field.split_inclusive([',', '-']) {
        let sep = c.chars().last().filter(|c| *c == ',' || *c == '-');
        let part = c.trim_end_matches([',', '-']);
        let name = match part.parse::<usize>() {
            Ok(n) => DAYS.get(n)?.to_string(),
            Err(_) => part.to_ascii_uppercase(),
        };
        out.push_str(&name);
        if let Some(s) = sep {
            out.push(s);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{alias, aws_schedule, domain, Converted, Value};

    #[test]
    fn an_alias_is_the_route_host_in_its_parent_domain_or_its_given_zone() {
        let parse = |y: &str| alias(&serde_yaml::from_str::<Value>(y).expect("yaml"));
        assert_eq!(parse("shop.example.com"), Some(("shop.example.com".into(), None)));
        assert_eq!(parse("[a.example.com, b.example.com]"), Some(("a.example.com".into(), None)));
        assert_eq!(parse("[{ name: a.example.com, hosted_zone: Z1 }]"), Some(("a.example.com".into(), Some("Z1".into()))));
        let zone = |a: &str| {
            let mut c = Converted::default();
            domain(&mut c, "web", a, None);
            c.load_balancer["domain"]["zone"].as_str().map(str::to_string)
        };
        assert_eq!(zone("shop.example.com").as_deref(), Some("example.com"));
        assert_eq!(zone("example.com").as_deref(), Some("example.com"));
        assert_eq!(zone("*.example.com").as_deref(), Some("example.com"));
    }

    #[test]
    fn copilot_schedules_become_eventbridge_expressions() {
        assert_eq!(aws_schedule("@daily").as_deref(), Some("cron(0 0 * * ? *)"));
        assert_eq!(aws_schedule("@every 90m").as_deref(), Some("rate(90 minutes)"));
        assert_eq!(aws_schedule("@every 2h").as_deref(), Some("rate(2 hours)"));
        assert_eq!(aws_schedule("0 9 * * 1-5").as_deref(), Some("cron(0 9 ? * MON-FRI *)"));
        assert_eq!(aws_schedule("30 2 1 * *").as_deref(), Some("cron(30 2 1 * ? *)"));
        assert_eq!(aws_schedule("whenever"), None);
    }
}
