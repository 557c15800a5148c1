//! The parts of a Copilot manifest that shape the task beyond its own container: `sidecars`
//! and FireLens `logging` as a spec's `sidecars`, `depends_on` and `logging` (image, port,
//! variables, secrets, essential, credentials, command, depends_on and healthcheck carry
//! over), and `storage.volumes` on EFS as `volumes`. What does not carry over (built sidecar
//! images, mount points, an EFS root directory) is named in the report.

use serde_yaml::{Mapping, Value};

use super::copilot::{secrets, variables};
use super::{dns_name, Converted};

/// The log router Copilot adds for `logging:` without an `image`.
const FLUENT_BIT: &str = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable";
const ROUTER: &str = "log-router";

pub(super) fn convert(c: &mut Converted, name: &str, doc: &Value, resolve: &dyn Fn(&str) -> String, out: &mut Mapping) {
    let mut sidecars = Mapping::new();
    if let Some(Value::Mapping(raw)) = doc.get("sidecars") {
        for (k, sc) in raw {
            let Some(k) = k.as_str() else { continue };
            if let Some(s) = sidecar(c, &format!("{name}: sidecar {k}"), sc, resolve) {
                sidecars.insert(Value::from(k), Value::Mapping(s));
            }
        }
    }
    if let Some(logging) = doc.get("logging").filter(|l| l.is_mapping()) {
        let image = logging.get("image").and_then(Value::as_str).map_or_else(|| FLUENT_BIT.to_string(), resolve);
        let mut router = Mapping::new();
        router.insert("image".into(), Value::from(image));
        router.insert("firelens".into(), Value::from("fluentbit"));
        sidecars.insert(Value::from(ROUTER), Value::Mapping(router));
        out.insert("depends_on".into(), Value::Mapping(Mapping::from_iter([(Value::from(ROUTER), Value::from("START"))])));
        if let Some(Value::Mapping(dest)) = logging.get("destination") {
            let options: Mapping =
                dest.iter().map(|(k, v)| (k.clone(), Value::from(scalar(v).map(|s| resolve(&s)).unwrap_or_default()))).collect();
            out.insert("logging".into(), Value::Mapping(Mapping::from_iter([(Value::from("options"), Value::Mapping(options))])));
        }
        for key in ["secretOptions", "configFilePath", "enableMetadata", "variables", "secrets"] {
            if logging.get(key).is_some() {
                c.note(format!("{name}: logging.{key} left out (give the router's settings as a sidecar's `env`/`secrets`)"));
            }
        }
    }
    if !sidecars.is_empty() {
        out.insert("sidecars".into(), Value::Mapping(sidecars));
    }
    volumes(c, name, doc.get("storage").and_then(|s| s.get("volumes")), out);
}

/// `storage.volumes`: `{ NAME: { path, read_only, efs: true | { id, root_dir, auth } } }`.
fn volumes(c: &mut Converted, name: &str, raw: Option<&Value>, out: &mut Mapping) {
    let Some(Value::Mapping(raw)) = raw else { return };
    let mut volumes = Mapping::new();
    for (k, v) in raw {
        let Some(k) = k.as_str() else { continue };
        let (Some(path), Some(efs)) = (v.get("path").and_then(Value::as_str), v.get("efs")) else {
            c.note(format!("{name}: volume {k} left out: only EFS volumes carry over"));
            continue;
        };
        let mut m = Mapping::new();
        m.insert("path".into(), Value::from(path));
        if v.get("read_only").and_then(Value::as_bool) == Some(true) {
            m.insert("read_only".into(), Value::Bool(true));
        }
        if let Some(id) = efs.get("id").and_then(Value::as_str) {
            m.insert("file_system".into(), Value::from(id));
            if let Some(ap) = efs.get("auth").and_then(|a| a.get("access_point_id")).and_then(Value::as_str) {
                m.insert("access_point".into(), Value::from(ap));
            }
            if efs.get("root_dir").and_then(Value::as_str).is_some_and(|d| d != "/") {
                c.note(format!("{name}: volume {k}: root_dir left out (mount through an access point rooted there)"));
            }
        } else if efs.as_bool() != Some(true) {
            c.note(format!("{name}: volume {k}: a managed EFS volume (efs: uid/gid) becomes one the stack creates, owned by 1000:1000"));
        }
        volumes.insert(Value::from(dns_name(k, 32)), Value::Mapping(m));
    }
    if !volumes.is_empty() {
        out.insert("volumes".into(), Value::Mapping(volumes));
    }
}

fn sidecar(c: &mut Converted, who: &str, sc: &Value, resolve: &dyn Fn(&str) -> String) -> Option<Mapping> {
    let mut out = Mapping::new();
    let Some(image) = sc.get("image").and_then(Value::as_str) else {
        c.note(format!("{who} left out: it is built (`image.build`), and a sidecar runs an existing image; push it and name it by URI"));
        return None;
    };
    let image = match sc.get("credentials").and_then(Value::as_str) {
        Some(creds) => Value::Mapping(Mapping::from_iter([
            (Value::from("uri"), Value::from(resolve(image))),
            (Value::from("credentials"), Value::from(format!("secretsmanager:{}", resolve(creds)))),
        ])),
        None => Value::from(resolve(image)),
    };
    out.insert("image".into(), image);
    // `port: 80` or `port: 80/tcp`.
    if let Some(port) = sc.get("port").and_then(scalar).and_then(|p| p.split('/').next().and_then(|n| n.parse::<u64>().ok())) {
        out.insert("port".into(), Value::from(port));
    }
    if let Some(e) = sc.get("essential").and_then(Value::as_bool) {
        out.insert("essential".into(), Value::Bool(e));
    }
    if let Some(cmd) = sc.get("command") {
        let words: Vec<String> = match cmd {
            Value::String(s) => shlex::split(s).unwrap_or_default(),
            Value::Sequence(s) => s.iter().map(|w| w.as_str().map_or_else(|| scalar(w).unwrap_or_default(), str::to_string)).collect(),
            _ => Vec::new(),
        };
        if let Some(words) = super::command(c, who, words) {
            out.insert("command".into(), Value::Sequence(words.into_iter().map(Value::from).collect()));
        }
    }
    if let Some(Value::Mapping(deps)) = sc.get("depends_on") {
        let deps: Mapping = deps.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str().unwrap_or("start").to_uppercase()))).collect();
        out.insert("depends_on".into(), Value::Mapping(deps));
    }
    if let Some(h) = sc.get("healthcheck").and_then(|h| health_check(c, who, h)) {
        out.insert("health_check".into(), Value::Mapping(h));
    }
    variables(c, who, sc.get("variables"), resolve, &mut out);
    secrets(sc.get("secrets"), resolve, &mut out);
    if sc.get("mount_points").is_some() {
        c.note(format!("{who}: mount_points left out (a sidecar mounts no volume in ecship yet)"));
    }
    Some(out)
}

/// Copilot's `healthcheck` (`command`, `interval`, `retries`, `timeout`, `start_period`).
/// `None` when its command has a secret written into it (left out, and reported).
fn health_check(c: &mut Converted, who: &str, h: &Value) -> Option<Mapping> {
    let mut out = Mapping::new();
    let command: Vec<String> = match h.get("command") {
        Some(Value::Sequence(s)) => s.iter().map(|w| w.as_str().map_or_else(|| scalar(w).unwrap_or_default(), str::to_string)).collect(),
        Some(Value::String(s)) => vec!["CMD-SHELL".to_string(), s.clone()],
        _ => Vec::new(),
    };
    let command = super::command(c, &format!("{who} health check"), command)?;
    out.insert("command".into(), Value::Sequence(command.into_iter().map(Value::from).collect()));
    for (from, to) in [("interval", "interval"), ("timeout", "timeout"), ("start_period", "grace")] {
        if let Some(v) = h.get(from).and_then(scalar) {
            out.insert(to.into(), Value::from(v));
        }
    }
    if let Some(n) = h.get("retries").and_then(Value::as_u64) {
        out.insert("retries".into(), Value::from(n));
    }
    Some(out)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
