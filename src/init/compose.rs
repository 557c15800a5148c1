//! A docker compose file as a stack spec: each service's image or build, first container
//! port, command, environment, healthcheck path, replicas and resource limits. The first
//! service with a published port is routed at `/`. What has no place in a spec (volumes,
//! networks, depends_on, plaintext secrets, …) is named in the report.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::{dns_name, fargate_size, relative, Converted, InitError};
use crate::spec::validate::plaintext::plaintext_secret;

/// Convert compose `text` (read from `source`) for a spec written at `out`.
pub fn convert(text: &str, source: &Path, out: &Path, stack: Option<&str>) -> Result<Converted, InitError> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| InitError::Parse {
        file: source.display().to_string(),
        line: e.location().map_or(0, |l| l.line()),
        message: e.to_string(),
    })?;
    let Some(services) = doc.get("services").and_then(Value::as_mapping) else {
        return Err(InitError::Empty { file: source.display().to_string(), what: "no `services:`".into() });
    };
    let base = source.parent().unwrap_or(Path::new("."));
    let mut c = Converted::default();
    let name = stack
        .map(str::to_string)
        .or_else(|| doc.get("name").and_then(Value::as_str).map(str::to_string))
        .or_else(|| std::fs::canonicalize(base).ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())))
        .unwrap_or_else(|| "app".into());
    c.stack = dns_name(&name, 24);
    let mut routed = false;
    for (key, raw) in services {
        let Some(original) = key.as_str() else { continue };
        let svc_name = dns_name(original, 32);
        if svc_name != original {
            c.note(format!("service `{original}` is named `{svc_name}` (lowercase letters, digits and dashes)"));
        }
        let svc = service(&mut c, &svc_name, raw, base, out, &mut routed);
        c.services.insert(Value::from(svc_name), Value::Mapping(svc));
    }
    if c.services.is_empty() {
        return Err(InitError::Empty { file: source.display().to_string(), what: "no services".into() });
    }
    for key in ["volumes", "networks", "secrets", "configs"] {
        if doc.get(key).is_some() {
            c.note(format!("top-level `{key}:` has no place in a stack spec: left out"));
        }
    }
    Ok(c)
}

fn service(c: &mut Converted, name: &str, raw: &Value, base: &Path, out: &Path, routed: &mut bool) -> Mapping {
    let mut svc = Mapping::new();
    svc.insert("image".into(), image(c, name, raw, base, out));
    if let Some(port) = raw.get("ports").and_then(Value::as_sequence).and_then(|p| p.iter().find_map(container_port)) {
        svc.insert("port".into(), Value::from(port));
        if !*routed {
            *routed = true;
            let mut route = Mapping::new();
            route.insert("path".into(), "/*".into());
            svc.insert("routes".into(), Value::Sequence(vec![Value::Mapping(route)]));
            if let Some(path) = health_path(raw) {
                let mut hc = Mapping::new();
                hc.insert("path".into(), Value::from(path));
                svc.insert("health_check".into(), Value::Mapping(hc));
            }
            c.note(format!("{name}: routed at /* through the load balancer (the first service with a published port)"));
        }
    } else if let Some(port) = raw.get("expose").and_then(Value::as_sequence).and_then(|p| p.iter().find_map(container_port)) {
        svc.insert("port".into(), Value::from(port));
    }
    let (cpu, memory) = resources(c, name, raw);
    if let Some(cpu) = cpu {
        svc.insert("cpu".into(), Value::from(cpu));
    }
    if let Some(memory) = memory {
        svc.insert("memory".into(), Value::from(memory));
    }
    if let Some(n) = raw.get("deploy").and_then(|d| d.get("replicas")).and_then(Value::as_u64) {
        svc.insert("count".into(), Value::from(n));
    }
    if let Some(cmd) = command(raw.get("command")).and_then(|words| super::command(c, name, words)) {
        svc.insert("command".into(), Value::Sequence(cmd.into_iter().map(Value::from).collect()));
    }
    let env = environment(c, name, raw.get("environment"));
    if !env.is_empty() {
        svc.insert("env".into(), Value::Mapping(env));
    }
    for key in ["volumes", "depends_on", "networks", "env_file", "secrets", "entrypoint", "user", "restart", "labels", "links"] {
        if raw.get(key).is_some() {
            c.note(format!("{name}: `{key}` left out (no counterpart in a stack spec{})", hint(key)));
        }
    }
    svc
}

fn hint(key: &str) -> &'static str {
    match key {
        "env_file" | "secrets" => "; put values in SSM or Secrets Manager and name them under `secrets:`",
        "depends_on" => "; services start independently and reach each other by `${service.NAME.url}`",
        "restart" => "; ECS replaces stopped tasks",
        "entrypoint" => "; build it into the image, or set `command:`",
        _ => "",
    }
}

/// `image:` as the spec takes it: the compose image (a tag it lacks would mean `latest`,
/// which ecship refuses unless allowed), or its `build:`.
fn image(c: &mut Converted, name: &str, raw: &Value, base: &Path, out: &Path) -> Value {
    if let Some(build) = raw.get("build") {
        let (context, dockerfile, target) = match build {
            Value::String(s) => (s.clone(), None, None),
            b => (
                b.get("context").and_then(Value::as_str).unwrap_or(".").to_string(),
                b.get("dockerfile").and_then(Value::as_str).map(str::to_string),
                b.get("target").and_then(Value::as_str).map(str::to_string),
            ),
        };
        let mut m = Mapping::new();
        m.insert("context".into(), Value::from(relative(&base.join(&context), out)));
        if let Some(d) = dockerfile {
            m.insert("dockerfile".into(), Value::from(d));
        }
        if let Some(t) = target {
            m.insert("target".into(), Value::from(t));
        }
        let mut img = Mapping::new();
        img.insert("build".into(), Value::Mapping(m));
        return Value::Mapping(img);
    }
    let Some(uri) = raw.get("image").and_then(Value::as_str) else {
        c.note(format!("{name}: neither `image` nor `build`: set its image"));
        return Value::from("REPLACE-ME:1");
    };
    let last = uri.rsplit('/').next().unwrap_or(uri);
    if last.contains(':') || uri.contains('@') {
        return Value::from(uri);
    }
    c.note(format!("{name}: `{uri}` has no tag (so `latest`): allowed with `allow_latest: true`; pin a tag or digest instead"));
    let mut m = Mapping::new();
    m.insert("uri".into(), Value::from(format!("{uri}:latest")));
    m.insert("allow_latest".into(), Value::Bool(true));
    Value::Mapping(m)
}

/// The container port of a compose port entry: `80`, `"8080:80"`, `"127.0.0.1:8080:80/tcp"`,
/// `{ target: 80, published: 8080 }`.
fn container_port(p: &Value) -> Option<u16> {
    match p {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.split('/').next()?.rsplit(':').next()?.split('-').next()?.parse().ok(),
        Value::Mapping(_) => p.get("target").and_then(Value::as_u64).and_then(|n| u16::try_from(n).ok()),
        _ => None,
    }
}

/// The path of an HTTP healthcheck (`curl … http://localhost:80/health`), when there is one.
fn health_path(raw: &Value) -> Option<String> {
    let test = raw.get("healthcheck")?.get("test")?;
    let words: Vec<String> = match test {
        Value::Sequence(s) => s.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        _ => return None,
    };
    let url = words.iter().find(|w| w.starts_with("http://") || w.starts_with("https://"))?;
    let rest = url.split_once("://")?.1;
    Some(rest.find('/').map_or_else(|| "/".to_string(), |i| rest[i..].to_string()))
}

fn command(raw: Option<&Value>) -> Option<Vec<String>> {
    match raw? {
        Value::Sequence(s) => Some(s.iter().filter_map(|v| v.as_str().map(str::to_string).or_else(|| Some(scalar(v)))).collect()),
        Value::String(s) => shlex::split(s),
        _ => None,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Plain variables; values that look like secrets are left out (named in the report), and
/// `${` is written as `$${` (ecship would read it as its own variable).
fn environment(c: &mut Converted, name: &str, raw: Option<&Value>) -> Mapping {
    let pairs: Vec<(String, String)> = match raw {
        Some(Value::Mapping(m)) => m.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar(v)))).collect(),
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(Value::as_str)
            .map(|kv| kv.split_once('=').map_or((kv.to_string(), String::new()), |(k, v)| (k.to_string(), v.to_string())))
            .collect(),
        _ => Vec::new(),
    };
    let mut env = Mapping::new();
    for (k, v) in pairs {
        if let Some(why) = plaintext_secret(&k, &v) {
            c.note(format!("{name}: env {k} left out: {why}; store it in SSM or Secrets Manager and add `secrets: {{ {k}: ssm:/… }}`"));
            continue;
        }
        if v.contains("${") {
            c.note(format!("{name}: env {k} refers to a compose variable: kept as the literal text (`$${{`); set its value"));
        }
        env.insert(Value::from(k), Value::from(v.replace("${", "$${")));
    }
    env
}

/// Fargate's smallest size that holds the compose limits (`cpus: "0.5"`, `memory: 1g`).
fn resources(c: &mut Converted, name: &str, raw: &Value) -> (Option<u32>, Option<u32>) {
    let limits = raw.get("deploy").and_then(|d| d.get("resources")).and_then(|r| r.get("limits"));
    let cpus = limits.and_then(|l| l.get("cpus")).and_then(|v| scalar(v).parse::<f64>().ok());
    let memory = limits.and_then(|l| l.get("memory")).and_then(|v| mib(&scalar(v)));
    if cpus.is_none() && memory.is_none() {
        return (None, None);
    }
    let (cpu, mem) = fargate_size(cpus.unwrap_or(0.25), memory.unwrap_or(0));
    c.note(format!("{name}: limits {} cpus, {} MiB → Fargate cpu {cpu}, memory {mem}", cpus.unwrap_or(0.25), memory.unwrap_or(0)));
    (Some(cpu), Some(mem))
}

/// `512m`, `1g`, `1.5G`, `268435456` (bytes) → MiB.
fn mib(s: &str) -> Option<u32> {
    let s = s.trim().to_ascii_lowercase();
    let (n, unit) = s.find(|c: char| c.is_ascii_alphabetic()).map_or((s.as_str(), ""), |i| (&s[..i], &s[i..]));
    let n: f64 = n.parse().ok()?;
    let mib = match unit.trim_end_matches('b') {
        "" => n / 1_048_576.0,
        "k" => n / 1024.0,
        "m" => n,
        "g" => n * 1024.0,
        _ => return None,
    };
    Some(mib.ceil().clamp(0.0, f64::from(u32::MAX)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_in_every_form() {
        let ports: Vec<Value> =
            serde_yaml::from_str("[80, \"8080:80\", \"127.0.0.1:9000:9001/tcp\", { target: 81, published: 8081 }]").expect("yaml");
        assert_eq!(ports.iter().map(container_port).collect::<Vec<_>>(), [Some(80), Some(80), Some(9001), Some(81)]);
    }

    #[test]
    fn sizes_and_health_paths() {
        assert_eq!(mib("512m"), Some(512));
        assert_eq!(mib("1.5G"), Some(1536));
        assert_eq!(mib("268435456"), Some(256));
        let raw: Value = serde_yaml::from_str("healthcheck: { test: [CMD, curl, -f, \"http://localhost:8080/healthz\"] }").expect("yaml");
        assert_eq!(health_path(&raw).as_deref(), Some("/healthz"));
    }

    #[test]
    fn a_command_with_a_secret_is_left_out_and_a_look_alike_ecr_image_refused() {
        let text = "services:\n  api:\n    image: nginx:1.27\n    command: app --db-password hunter2\n  web:\n    image: nginx:1.27\n    command: app --port 80\n";
        let c = convert(text, Path::new("compose.yml"), Path::new("stack.yaml"), Some("shop")).expect("converts");
        assert!(c.services["api"].get("command").is_none(), "{:?}", c.services["api"]);
        assert!(c.services["web"].get("command").is_some());
        assert!(c.notes.iter().any(|n| n.starts_with("api: command left out")), "{:?}", c.notes);
        assert!(!format!("{:?}{:?}", c.services, c.notes).contains("hunter2"));
        assert!(super::super::refuse_look_alikes(&c).is_ok());

        let trap = "services:\n  api:\n    image: 123456789012.dkr.ecr.us-east-1.attacker.example/app:1\n";
        let c = convert(trap, Path::new("compose.yml"), Path::new("stack.yaml"), Some("shop")).expect("converts");
        let refused = super::super::refuse_look_alikes(&c).expect_err("refused").to_string();
        assert!(
            refused.starts_with("services.api.image: `123456789012.dkr.ecr.us-east-1.attacker.example` looks like an ECR registry"),
            "{refused}"
        );
    }
}
