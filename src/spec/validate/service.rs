//! Rules for one service: image, size, env and secrets, health check, deploy strategy,
//! autoscaling, permissions, and references to other services.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::checks::{self, ImageTag};
use super::Ctx;
use crate::model::{self, fargate, EnvPart, EnvValue, Network, SecretRef, ServiceName, SubnetKind};
use crate::spec::diagnostic::did_you_mean;
use crate::spec::types;

impl Ctx<'_> {
    pub(super) fn services(&mut self, network: &Option<Network>) -> BTreeMap<ServiceName, model::Service> {
        let spec = self.loaded.spec.clone();
        let names: BTreeSet<&str> = spec.services.keys().map(String::as_str).collect();
        let mut logical: BTreeMap<String, &str> = BTreeMap::new();
        let mut out = BTreeMap::new();
        for (name, raw) in &spec.services {
            let path = format!("services.{name}");
            if let Err(m) = checks::dns_label(name, 32) {
                self.err(&path, format!("service name `{name}` {m}"));
                continue;
            }
            let svc_name = ServiceName::new_unchecked(name.clone());
            if let Some(other) = logical.insert(svc_name.logical(), name) {
                self.err(&path, format!("services `{other}` and `{name}` map to the same CloudFormation id `{}`", svc_name.logical()))
                    .hint("rename one of them");
            }
            let svc = self.service(&path, svc_name.clone(), raw, network, &names);
            out.insert(svc_name, svc);
        }
        self.assign_priorities(&mut out);
        self.check_references(&out);
        out
    }

    fn service(
        &mut self,
        path: &str,
        name: ServiceName,
        raw: &types::Service,
        network: &Option<Network>,
        names: &BTreeSet<&str>,
    ) -> model::Service {
        let image = self.image(path, raw.image.as_ref());
        let port = raw.port.map(|p| self.port(&format!("{path}.port"), p));
        let (cpu, memory) = self.size(path, raw);
        let count = raw.count.unwrap_or(1);
        if count > 5000 {
            self.err(&format!("{path}.count"), format!("{count} tasks: a service runs at most 5000"));
        }
        if let Some(cmd) = &raw.command {
            if cmd.is_empty() || cmd.iter().any(String::is_empty) {
                self.err(&format!("{path}.command"), "a command needs at least one word and no empty ones");
            }
        }
        let (env, references) = self.env(path, raw, names);
        let secrets = self.secrets(path, raw);
        let routes = self.routes(path, raw, port);
        if raw.health_check.is_some() && raw.routes.is_empty() {
            self.err(&format!("{path}.health_check"), "health_check configures the load balancer's probe, and this service has no routes")
                .hint("add `routes:`, or remove `health_check:`");
        }
        let health_check = self.health_check(path, raw.health_check.as_ref());
        let subnets = self.subnets(path, raw, network);
        let drain = self.duration(&format!("{path}.drain"), raw.drain.as_deref(), 30, 0, 3600);
        let permissions = self.permissions(path, &raw.permissions);
        let deploy = self.deploy(path, raw, count);
        let autoscaling = self.autoscaling(path, raw, count);
        model::Service {
            name,
            image,
            port,
            cpu,
            memory,
            count,
            command: raw.command.clone(),
            env,
            secrets,
            health_check,
            routes,
            subnets,
            drain,
            permissions,
            deploy,
            autoscaling,
            references,
        }
    }

    fn image(&mut self, path: &str, raw: Option<&types::Image>) -> model::Image {
        let ipath = format!("{path}.image");
        let fallback = model::Image::Uri { uri: String::new() };
        let src = match raw {
            None => {
                self.err(path, "missing `image`").hint("e.g. image: { build: ./app } or image: { uri: nginx:1.27 }");
                return fallback;
            }
            Some(types::Image::Uri(uri)) => {
                self.image_uri(&ipath, uri, false);
                return model::Image::Uri { uri: uri.clone() };
            }
            Some(types::Image::Source(s)) => s,
        };
        let set: Vec<&str> =
            [("build", src.build.is_some()), ("oci", src.oci.is_some()), ("archive", src.archive.is_some()), ("uri", src.uri.is_some())]
                .into_iter()
                .filter_map(|(k, on)| on.then_some(k))
                .collect();
        if set.len() != 1 {
            let msg = if set.is_empty() { "no image source".to_string() } else { format!("several image sources: {}", set.join(", ")) };
            self.err(&ipath, msg).hint("give exactly one of build, oci, archive or uri");
            return fallback;
        }
        let allow_latest = src.allow_latest.unwrap_or(false);
        if let Some(tag) = &src.tag {
            if src.uri.is_some() {
                self.err(&format!("{ipath}.tag"), "`tag` is for images ecship pushes; a `uri` carries its own tag");
            } else if !checks::docker_tag(tag) {
                self.err(&format!("{ipath}.tag"), format!("`{tag}` is not a valid image tag"));
            } else if tag == "latest" && !allow_latest {
                self.err(&format!("{ipath}.tag"), "the tag `latest` is refused: it hides which code runs")
                    .hint("leave `tag` out (ecship tags with the git commit), or set allow_latest: true");
            }
        }
        let tag = src.tag.clone();
        let base = self.loaded.base_dir().to_path_buf();
        if let Some(uri) = &src.uri {
            self.image_uri(&format!("{ipath}.uri"), uri, allow_latest);
            return model::Image::Uri { uri: uri.clone() };
        }
        if let Some(p) = &src.oci {
            return model::Image::Oci { path: base.join(p), tag };
        }
        if let Some(p) = &src.archive {
            return model::Image::Archive { path: base.join(p), tag };
        }
        let (context, dockerfile, target, args) = match &src.build {
            Some(types::Build::Context(c)) => (c.clone(), None, None, BTreeMap::new()),
            Some(types::Build::Settings(b)) => (b.context.clone(), b.dockerfile.clone(), b.target.clone(), b.args.clone()),
            None => return fallback,
        };
        let context = base.join(context);
        let dockerfile = context.join(dockerfile.unwrap_or_else(|| "Dockerfile".into()));
        self.build_context(&format!("{ipath}.build"), &context, &dockerfile);
        model::Image::Build { context, dockerfile, target, args, tag }
    }

    fn build_context(&mut self, path: &str, context: &Path, dockerfile: &Path) {
        if !context.is_dir() {
            self.err(path, format!("the build context {} is not a directory", context.display()))
                .hint("paths are relative to the spec file");
        } else if !dockerfile.is_file() {
            self.err(path, format!("no Dockerfile at {}", dockerfile.display()));
        }
    }

    fn image_uri(&mut self, path: &str, uri: &str, allow_latest: bool) {
        if let Err(m) = checks::image_uri(uri) {
            self.err(path, format!("`{uri}` {m}"));
            return;
        }
        let latest = match checks::image_tag(uri) {
            ImageTag::Digest => false,
            ImageTag::Tag(t) => t == "latest",
            ImageTag::Missing => true,
        };
        if latest && !allow_latest {
            self.err(path, format!("`{uri}` runs the `latest` tag: which code runs would change without a deploy"))
                .hint("pin a version tag or a digest (repo@sha256:…), or set allow_latest: true in the image map");
        }
    }

    fn size(&mut self, path: &str, raw: &types::Service) -> (model::Cpu, model::MemoryMib) {
        let cpu = raw.cpu.unwrap_or(256);
        let Some(sizes) = fargate::memory_sizes(cpu) else {
            let all: Vec<String> = fargate::cpu_sizes().map(|c| c.to_string()).collect();
            self.err(&format!("{path}.cpu"), format!("Fargate has no {cpu} CPU size")).hint(format!("use one of {}", all.join(", ")));
            return (model::Cpu(256), model::MemoryMib(512));
        };
        let memory = raw.memory.unwrap_or(sizes[0]);
        if !sizes.contains(&memory) {
            self.err(&format!("{path}.memory"), format!("{memory} MiB is not a Fargate size for cpu {cpu}"))
                .hint(format!("cpu {cpu} takes {}", fargate::describe(cpu)));
        }
        (model::Cpu(cpu), model::MemoryMib(memory))
    }

    fn env(&mut self, path: &str, raw: &types::Service, names: &BTreeSet<&str>) -> (BTreeMap<String, EnvValue>, Vec<ServiceName>) {
        let mut env = BTreeMap::new();
        let mut refs = BTreeSet::new();
        for (k, v) in &raw.env {
            let p = format!("{path}.env.{k}");
            if !checks::env_name(k) {
                self.err(&p, format!("`{k}` is not a valid environment variable name"));
            }
            if raw.secrets.contains_key(k) {
                self.err(&p, format!("`{k}` is set in both env and secrets"));
            }
            let text = match v {
                types::EnvValue::Text(s) => s.clone(),
                types::EnvValue::Int(n) => n.to_string(),
                types::EnvValue::Float(f) => f.to_string(),
                types::EnvValue::Bool(b) => b.to_string(),
            };
            if let Some(why) = checks::plaintext_secret(k, &text) {
                self.err(&p, format!("looks like a secret in plain text: {why}")).hint(format!(
                    "store it in SSM or Secrets Manager and reference it: secrets: {{ {k}: \"ssm:/path/to/{}\" }}",
                    k.to_ascii_lowercase()
                ));
            }
            let value = match self.env_template(&p, &text, names) {
                Some(parts) => {
                    refs.extend(parts.iter().filter_map(|part| match part {
                        EnvPart::ServiceUrl(s) => Some(s.clone()),
                        EnvPart::Text(_) | EnvPart::LoadBalancerUrl(_) => None,
                    }));
                    EnvValue::Template(parts)
                }
                None => EnvValue::Text(text),
            };
            env.insert(k.clone(), value);
        }
        (env, refs.into_iter().collect())
    }

    /// Split `text` on `${service.NAME.url|lb_url}` references; `None` when it has none.
    fn env_template(&mut self, path: &str, text: &str, names: &BTreeSet<&str>) -> Option<Vec<EnvPart>> {
        if !text.contains("${") {
            return None;
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            if i > 0 {
                parts.push(EnvPart::Text(rest[..i].to_string()));
            }
            let Some(end) = rest[i..].find('}') else { break };
            let body = &rest[i + 2..i + end];
            rest = &rest[i + end + 1..];
            let segs: Vec<&str> = body.split('.').collect();
            let hint =
                "references look like ${service.NAME.url} (inside the cluster) or ${service.NAME.lb_url} (through the load balancer)";
            match segs.as_slice() {
                ["service", svc, attr @ ("url" | "lb_url")] if names.contains(svc) => {
                    let name = ServiceName::new_unchecked(*svc);
                    parts.push(if *attr == "url" { EnvPart::ServiceUrl(name) } else { EnvPart::LoadBalancerUrl(name) });
                }
                ["service", svc, "url" | "lb_url"] => {
                    let hint = match did_you_mean(svc, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("services in this stack: {}", names.iter().copied().collect::<Vec<_>>().join(", ")),
                    };
                    self.err(path, format!("`${{{body}}}` names no service `{svc}`")).hint(hint);
                }
                ["service", _, attr] => self.err(path, format!("`${{{body}}}`: a service has no `{attr}`")).hint(hint),
                _ => self.err(path, format!("`${{{body}}}` is not a reference ecship knows")).hint(hint),
            }
        }
        if !rest.is_empty() {
            parts.push(EnvPart::Text(rest.to_string()));
        }
        Some(parts)
    }

    fn secrets(&mut self, path: &str, raw: &types::Service) -> BTreeMap<String, SecretRef> {
        let mut out = BTreeMap::new();
        for (k, v) in &raw.secrets {
            let p = format!("{path}.secrets.{k}");
            if !checks::env_name(k) {
                self.err(&p, format!("`{k}` is not a valid environment variable name"));
            }
            match parse_secret(v) {
                Ok(r) => {
                    out.insert(k.clone(), r);
                }
                Err(m) => {
                    self.err(&p, m).hint("ssm:/param/name, ssm:arn:aws:ssm:…, secretsmanager:NAME or secretsmanager:ARN[:json-key]");
                }
            }
        }
        out
    }

    fn health_check(&mut self, path: &str, raw: Option<&types::HealthCheck>) -> model::HealthCheck {
        let p = format!("{path}.health_check");
        let hc = raw.cloned().unwrap_or(types::HealthCheck {
            path: None,
            interval: None,
            timeout: None,
            healthy: None,
            unhealthy: None,
            codes: None,
            grace: None,
        });
        let hpath = hc.path.clone().unwrap_or_else(|| "/".into());
        if !hpath.starts_with('/') || hpath.len() > 1024 {
            self.err(&format!("{p}.path"), "must start with `/` and be at most 1024 characters");
        }
        let interval = self.duration(&format!("{p}.interval"), hc.interval.as_deref(), 10, 5, 300);
        let timeout = self.duration(&format!("{p}.timeout"), hc.timeout.as_deref(), 5, 2, 120);
        if timeout >= interval {
            self.err(
                &format!("{p}.timeout"),
                format!("the timeout ({}s) must be shorter than the interval ({}s)", timeout.as_secs(), interval.as_secs()),
            );
        }
        let mut count = |key: &str, v: Option<u32>, default: u32| {
            let n = v.unwrap_or(default);
            if !(2..=10).contains(&n) {
                self.err(&format!("{p}.{key}"), format!("{n} is out of range: use 2 to 10"));
            }
            n
        };
        let healthy = count("healthy", hc.healthy, 2);
        let unhealthy = count("unhealthy", hc.unhealthy, 3);
        let codes = hc.codes.clone().unwrap_or_else(|| "200-399".into());
        if !checks::http_codes(&codes) {
            self.err(&format!("{p}.codes"), format!("`{codes}` is not a list of HTTP codes within 200–499"))
                .hint("e.g. 200, 200-299 or 200,204");
        }
        let grace = self.duration(&format!("{p}.grace"), hc.grace.as_deref(), 30, 0, 7200);
        model::HealthCheck { path: hpath, interval, timeout, healthy, unhealthy, codes, grace }
    }

    fn subnets(&mut self, path: &str, raw: &types::Service, network: &Option<Network>) -> SubnetKind {
        let private_ok = network.as_ref().is_none_or(Network::has_private_subnets);
        match raw.subnets {
            Some(SubnetKind::Private) if !private_ok => {
                self.err(&format!("{path}.subnets"), "private subnets need NAT to pull images and ship logs, and this network has none")
                    .hint("set network.nat to single or per_az, or use subnets: public");
                SubnetKind::Private
            }
            Some(kind) => kind,
            None if private_ok => SubnetKind::Private,
            None => SubnetKind::Public,
        }
    }

    fn permissions(&mut self, path: &str, raw: &[types::Permission]) -> Vec<model::Permission> {
        for (i, perm) in raw.iter().enumerate() {
            let p = format!("{path}.permissions[{i}]");
            if perm.actions.is_empty() {
                self.err(&format!("{p}.actions"), "list at least one action, e.g. dynamodb:GetItem");
            }
            for (j, a) in perm.actions.iter().enumerate() {
                let valid = a.split_once(':').is_some_and(|(svc, act)| {
                    !svc.is_empty()
                        && svc.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !act.is_empty()
                        && act.chars().all(|c| c.is_ascii_alphanumeric() || c == '*')
                });
                if a == "*" || !valid {
                    self.err(&format!("{p}.actions[{j}]"), format!("`{a}` is not a specific IAM action"))
                        .hint("write service:Action, e.g. s3:GetObject");
                }
            }
            if perm.resources.is_empty() {
                self.err(&format!("{p}.resources"), "list at least one resource ARN (or \"*\")");
            }
            for (j, r) in perm.resources.iter().enumerate() {
                if r != "*" && !r.starts_with("arn:") {
                    self.err(&format!("{p}.resources[{j}]"), format!("`{r}` is not an ARN"));
                }
            }
        }
        raw.iter().map(|p| model::Permission { actions: p.actions.clone(), resources: p.resources.clone() }).collect()
    }

    fn autoscaling(&mut self, path: &str, raw: &types::Service, count: u32) -> Option<model::Autoscaling> {
        let a = raw.autoscaling.as_ref()?;
        let p = format!("{path}.autoscaling");
        if a.min > a.max {
            self.err(&p, format!("min ({}) is above max ({})", a.min, a.max));
        }
        if a.max > 5000 {
            self.err(&format!("{p}.max"), "a service runs at most 5000 tasks");
        }
        if raw.count.is_some() && (count < a.min || count > a.max) {
            self.err(&format!("{path}.count"), format!("count {count} is outside autoscaling's {}–{}", a.min, a.max));
        }
        if a.cpu.is_none() && a.memory.is_none() {
            self.err(&p, "no metric to scale on").hint("set cpu: 70 and/or memory: 80 (target utilisation, percent)");
        }
        let mut pct = |key: &str, v: Option<u32>| {
            v.and_then(|n| match u8::try_from(n) {
                Ok(x) if (1..=100).contains(&x) => Some(model::Percent(x)),
                _ => {
                    self.err(&format!("{p}.{key}"), format!("{n}% is out of range: use 1 to 100"));
                    None
                }
            })
        };
        let cpu = pct("cpu", a.cpu);
        let memory = pct("memory", a.memory);
        Some(model::Autoscaling { min: a.min, max: a.max, cpu, memory })
    }

    fn check_references(&mut self, services: &BTreeMap<ServiceName, model::Service>) {
        for svc in services.values() {
            for (key, value) in &svc.env {
                let EnvValue::Template(parts) = value else { continue };
                let p = format!("services.{}.env.{key}", svc.name);
                for part in parts {
                    match part {
                        EnvPart::ServiceUrl(t) if services.get(t).is_some_and(|t| t.url().is_none()) => {
                            self.err(&p, format!("`{t}` has no URL inside the cluster: it has no port"))
                                .hint(format!("give services.{t} a port"));
                        }
                        EnvPart::LoadBalancerUrl(t) if services.get(t).is_some_and(|t| t.lb_url().is_none()) => {
                            self.err(&p, format!("`{t}` is not behind the load balancer: it has no routes"))
                                .hint(format!("use ${{service.{t}.url}} to call it inside the cluster"));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// `ssm:/a/b`, `ssm:arn:…`, `secretsmanager:NAME[:key]`, `secretsmanager:arn:…:secret:NAME[:key]`.
pub fn parse_secret(v: &str) -> Result<SecretRef, String> {
    if let Some(param) = v.strip_prefix("ssm:") {
        let is_arn = param.starts_with("arn:") && param.contains(":parameter/");
        let is_name = !param.is_empty() && param.len() <= 2048 && param.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
        if !(is_arn || is_name) {
            return Err("is not an SSM parameter name or ARN".into());
        }
        return Ok(SecretRef::Ssm { parameter: param.to_string() });
    }
    if let Some(rest) = v.strip_prefix("secretsmanager:") {
        let (secret, json_key) = if rest.starts_with("arn:") {
            let parts: Vec<&str> = rest.splitn(8, ':').collect();
            if parts.len() < 7 || parts[2] != "secretsmanager" || parts[5] != "secret" {
                return Err("is not a Secrets Manager ARN".into());
            }
            (parts[..7].join(":"), parts.get(7).map(|s| s.to_string()))
        } else {
            match rest.split_once(':') {
                Some((n, k)) => (n.to_string(), Some(k.to_string())),
                None => (rest.to_string(), None),
            }
        };
        if secret.is_empty() || json_key.as_deref() == Some("") {
            return Err("names no secret".into());
        }
        let name_ok = secret.starts_with("arn:") || secret.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
        if !name_ok {
            return Err("is not a Secrets Manager secret name (letters, digits and /_+=.@-)".into());
        }
        return Ok(SecretRef::SecretsManager { secret, json_key });
    }
    Err("is not a secret reference".into())
}
