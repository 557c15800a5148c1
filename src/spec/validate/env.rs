//! Rules for `env` and `secrets`: names, plaintext secrets (in `env`, commands and build
//! arguments), secret references, `${service.NAME.internal_url|url|lb_url}` references
//! between services, and `${storage.NAME.ATTR}` references to the stack's storage.

use std::collections::{BTreeMap, BTreeSet};

use super::checks;
use super::plaintext;
use super::Ctx;
use crate::model::{self, EnvPart, EnvValue, SecretRef, ServiceName, StorageAttr};
use crate::spec::diagnostic::did_you_mean;
use crate::spec::types;

impl Ctx<'_> {
    /// A container's `env` (with `secrets`, whose names it must not repeat), and the
    /// services it references.
    pub(super) fn env(
        &mut self,
        path: &str,
        raw: &BTreeMap<String, types::EnvValue>,
        secrets: &BTreeMap<String, String>,
        names: &BTreeSet<&str>,
    ) -> (BTreeMap<String, EnvValue>, Vec<ServiceName>) {
        let mut env = BTreeMap::new();
        let mut refs = BTreeSet::new();
        for (k, v) in raw {
            let p = format!("{path}.env.{k}");
            if !checks::env_name(k) {
                self.err(&p, format!("`{k}` is not a valid environment variable name"));
            }
            if secrets.contains_key(k) {
                self.err(&p, format!("`{k}` is set in both env and secrets"));
            }
            let text = match v {
                types::EnvValue::Text(s) => s.clone(),
                types::EnvValue::Int(n) => n.to_string(),
                types::EnvValue::Float(f) => f.to_string(),
                types::EnvValue::Bool(b) => b.to_string(),
            };
            if let Some(why) = plaintext::plaintext_secret(k, &text) {
                self.err(&p, format!("looks like a secret in plain text: {why}")).hint(format!(
                    "store it in SSM or Secrets Manager and reference it: secrets: {{ {k}: \"ssm:/path/to/{}\" }}",
                    k.to_ascii_lowercase()
                ));
            }
            let value = match self.env_template(&p, &text, names) {
                Some(parts) => {
                    refs.extend(parts.iter().filter_map(|part| match part {
                        EnvPart::ServiceUrl(s) => Some(s.clone()),
                        EnvPart::Text(_) | EnvPart::LoadBalancerUrl(_) | EnvPart::Storage(..) => None,
                    }));
                    EnvValue::Template(parts)
                }
                None => EnvValue::Text(text),
            };
            env.insert(k.clone(), value);
        }
        (env, refs.into_iter().collect())
    }

    /// A command (`command:`, a health check's) with a secret written into it: the task
    /// definition would show it to anyone who may describe it.
    pub(super) fn command_secrets(&mut self, path: &str, words: &[String]) {
        if let Some((i, why)) = plaintext::plaintext_secret_in_command(words) {
            self.err(&format!("{path}[{i}]"), format!("looks like a secret in plain text: {why}")).hint(
                "store it in SSM or Secrets Manager, name it under `secrets:`, and have the command read the variable (e.g. [sh, -c, 'exec app --password \"$DB_PASSWORD\"'])",
            );
        }
    }

    /// Build arguments with a secret in them: they stay in the image, readable by anyone who
    /// may pull it.
    pub(super) fn build_arg_secrets(&mut self, path: &str, args: &BTreeMap<String, String>) {
        for (k, v) in args {
            if let Some(why) = plaintext::plaintext_secret(k, v) {
                self.err(&format!("{path}.{k}"), format!("looks like a secret in plain text: {why}"))
                    .hint("a build argument stays in the image's history: leave secrets out of `build.args` (a build secret, `RUN --mount=type=secret`, is not kept), or pass it at run time through `secrets:`");
            }
        }
    }

    /// Split `text` on `${service.NAME.internal_url|url|lb_url}` references; `None` when it has none.
    fn env_template(&mut self, path: &str, text: &str, names: &BTreeSet<&str>) -> Option<Vec<EnvPart>> {
        if !text.contains("${") {
            return None;
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut references = false;
        while let Some(i) = rest.find("${") {
            literal.push_str(&rest[..i]);
            let after = &rest[i..];
            let Some(end) = after.find('}') else {
                literal.push_str(after);
                rest = "";
                break;
            };
            let body = &after[2..end];
            rest = &after[end + 1..];
            if !body.contains('.') {
                // Only an escaped `$${NAME}` is left as a plain `${NAME}` by interpolation.
                literal.push_str(&after[..=end]);
                continue;
            }
            references = true;
            if !literal.is_empty() {
                parts.push(EnvPart::Text(std::mem::take(&mut literal)));
            }
            let segs: Vec<&str> = body.split('.').collect();
            let hint =
                "references look like ${service.NAME.internal_url} (inside the stack) or ${service.NAME.lb_url} (through the load balancer)";
            match segs.as_slice() {
                // `url` is the older name of `internal_url`.
                ["service", svc, attr @ ("internal_url" | "url" | "lb_url")] if names.contains(svc) => {
                    let name = ServiceName::new_unchecked(*svc);
                    parts.push(if *attr == "lb_url" { EnvPart::LoadBalancerUrl(name) } else { EnvPart::ServiceUrl(name) });
                }
                ["service", svc, "internal_url" | "url" | "lb_url"] => {
                    let hint = match did_you_mean(svc, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("services in this stack: {}", names.iter().copied().collect::<Vec<_>>().join(", ")),
                    };
                    self.err(path, format!("`${{{body}}}` names no service `{svc}`")).hint(hint);
                }
                ["service", _, attr] => self.err(path, format!("`${{{body}}}`: a service has no `{attr}`")).hint(hint),
                ["storage", name, attr] => {
                    if let Some(part) = self.storage_reference(path, name, attr) {
                        parts.push(part);
                    }
                }
                _ => self.err(path, format!("`${{{body}}}` is not a reference ecship knows")).hint(hint),
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(EnvPart::Text(literal));
        }
        references.then_some(parts)
    }

    /// `${storage.NAME.ATTR}`: an attribute the storage entry's type has.
    fn storage_reference(&mut self, path: &str, name: &str, attr: &str) -> Option<EnvPart> {
        let declared: Vec<String> = self.loaded.spec.storage.keys().cloned().collect();
        let Some(entry) = self.loaded.spec.storage.get(name) else {
            let hint = did_you_mean(name, declared.iter().map(String::as_str))
                .map_or_else(|| format!("storage in this stack: {}", declared.join(", ")), |s| format!("did you mean `{s}`?"));
            self.err(path, format!("`${{storage.{name}.{attr}}}` names no storage `{name}`")).hint(hint);
            return None;
        };
        let database = !matches!(entry.kind, types::StorageType::Bucket | types::StorageType::Table);
        let attrs: &[StorageAttr] =
            if database { &[StorageAttr::Host, StorageAttr::Port, StorageAttr::Name] } else { &[StorageAttr::Name, StorageAttr::Arn] };
        match attrs.iter().find(|a| a.key() == attr) {
            Some(a) => Some(EnvPart::Storage(name.to_string(), *a)),
            None => {
                let known: Vec<&str> = attrs.iter().map(|a| a.key()).collect();
                let why = if attr == "secret" { " (a database's secret goes through `uses:`, as `secrets:`)" } else { "" };
                self.err(path, format!("`${{storage.{name}.{attr}}}`: `{name}` has no `{attr}` in env{why}"))
                    .hint(format!("it has {}", known.join(", ")));
                None
            }
        }
    }

    pub(super) fn secrets(&mut self, path: &str, raw: &BTreeMap<String, String>) -> BTreeMap<String, SecretRef> {
        let mut out = BTreeMap::new();
        for (k, v) in raw {
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

    pub(super) fn check_references(&mut self, services: &BTreeMap<ServiceName, model::Service>) {
        for svc in services.values() {
            let own = svc.env.iter().map(|(k, v)| (format!("services.{}.env.{k}", svc.name), v));
            let sidecars = svc
                .sidecars
                .iter()
                .flat_map(|s| s.env.iter().map(|(k, v)| (format!("services.{}.sidecars.{}.env.{k}", svc.name, s.name), v)));
            for (p, value) in own.chain(sidecars) {
                let EnvValue::Template(parts) = value else { continue };
                for part in parts {
                    match part {
                        EnvPart::ServiceUrl(t) if services.get(t).is_some_and(|t| t.url().is_none()) => {
                            self.err(&p, format!("`{t}` has no URL inside the cluster: it has no port"))
                                .hint(format!("give services.{t} a port"));
                        }
                        EnvPart::LoadBalancerUrl(t) if services.get(t).is_some_and(|t| t.lb_url().is_none()) => {
                            self.err(&p, format!("`{t}` is not behind the load balancer: it has no routes"))
                                .hint(format!("use ${{service.{t}.internal_url}} to call it inside the stack"));
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
