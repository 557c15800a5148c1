//! `init`: a stack spec from what a team has — a docker compose file (`compose`), a service
//! running in ECS (`service`: read by `ops::init`), or a few answers — as YAML text, with a
//! report of what could not be carried over and why (a command with a secret written into
//! it among them: `command`). A generated spec must pass `validate` (`check`): a conversion
//! that does not is a bug, never a file left to fix — except an image on a host that only
//! looks like ECR's, which is the source's fault and refused as such (`refuse_look_alikes`).
//!
//! Must not call AWS or print.

pub mod compose;
pub mod copilot;
mod copilot_addons;
mod copilot_task;

use std::path::Path;

use serde_yaml::{Mapping, Value};

use crate::model::fargate;
use crate::spec::LoadOptions;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{file}:{line}: {message}")]
    Parse { file: String, line: usize, message: String },
    #[error("{file}: {what} to convert")]
    Empty { file: String, what: String },
    #[error("the converted spec does not validate (a bug in `ecship init`; the spec was not written):\n{0}")]
    Invalid(String),
    #[error("{path}: {message} — fix the image in the source; nothing was written")]
    Refused { path: String, message: String },
}

/// A conversion: the spec's parts, and what was left out or changed, for the report.
#[derive(Debug, Default)]
pub struct Converted {
    pub stack: String,
    pub services: Mapping,
    pub jobs: Mapping,
    /// Overrides by environment name (`environments.NAME`).
    pub environments: Mapping,
    /// The base spec's `load_balancer`, when something sets it (a Copilot alias's domain).
    pub load_balancer: Mapping,
    /// The spec's `storage:` (Copilot's storage add-ons).
    pub storage: Mapping,
    pub notes: Vec<String>,
}

impl Converted {
    /// Report `text` (once: a manifest's fields are read for each environment).
    pub fn note(&mut self, text: String) {
        if !self.notes.contains(&text) {
            self.notes.push(text);
        }
    }

    /// The spec as YAML, headed by a comment naming where it came from.
    pub fn to_yaml(&self, origin: &str) -> String {
        let mut spec = Mapping::new();
        spec.insert("stack".into(), Value::from(self.stack.clone()));
        if !self.load_balancer.is_empty() {
            spec.insert("load_balancer".into(), Value::Mapping(self.load_balancer.clone()));
        }
        if !self.storage.is_empty() {
            spec.insert("storage".into(), Value::Mapping(self.storage.clone()));
        }
        spec.insert("services".into(), Value::Mapping(self.services.clone()));
        if !self.jobs.is_empty() {
            spec.insert("jobs".into(), Value::Mapping(self.jobs.clone()));
        }
        if !self.environments.is_empty() {
            spec.insert("environments".into(), Value::Mapping(self.environments.clone()));
        }
        let body = serde_yaml::to_string(&Value::Mapping(spec)).unwrap_or_default();
        format!("# Written by `ecship init` from {origin}. Review it, then: ecship validate FILE && ecship plan FILE\n{body}")
    }
}

/// A command carried over, unless a secret is written into it: then it is left out and the
/// report says why (the value never reaches the spec, which `validate` would refuse).
pub fn command(c: &mut Converted, who: &str, words: Vec<String>) -> Option<Vec<String>> {
    match crate::spec::validate::plaintext::plaintext_secret_in_command(&words) {
        Some((_, why)) => {
            c.note(format!(
                "{who}: command left out: {why}; store it in SSM or Secrets Manager, name it under `secrets:`, and have the command read the variable"
            ));
            None
        }
        None => Some(words),
    }
}

/// Refuse a conversion whose images name a host that only looks like ECR's: the source
/// itself is wrong (or a trap), and no spec is written with it.
pub fn refuse_look_alikes(c: &Converted) -> Result<(), InitError> {
    for (section, tasks) in [("services", &c.services), ("jobs", &c.jobs)] {
        for (name, task) in tasks {
            let name = name.as_str().unwrap_or_default();
            let sidecars = task.get("sidecars").and_then(Value::as_mapping).into_iter().flatten();
            let images = std::iter::once((format!("{section}.{name}.image"), task.get("image"))).chain(
                sidecars.map(|(sc, v)| (format!("{section}.{name}.sidecars.{}.image", sc.as_str().unwrap_or_default()), v.get("image"))),
            );
            for (path, image) in images {
                let uri = image.and_then(|i| i.as_str().or_else(|| i.get("uri").and_then(Value::as_str))).unwrap_or_default();
                if let Some(message) = crate::spec::validate::checks::ecr_look_alike(uri) {
                    return Err(InitError::Refused { path, message });
                }
            }
        }
    }
    Ok(())
}

/// `text` as a spec at `out` validates (variables unset are left to deploy), or the problems.
pub fn check(text: &str, out: &Path) -> Result<(), InitError> {
    let no_vars = |_: &str| None;
    match crate::stack::compile_str(text, out, &LoadOptions { env: None, vars: &no_vars, defer_unset_vars: true }) {
        Ok(_) => Ok(()),
        Err(crate::spec::LoadError::Invalid(d)) => {
            Err(InitError::Invalid(d.problems.iter().map(|p| format!("  {}: {}", p.path, p.message)).collect::<Vec<_>>().join("\n")))
        }
        Err(e) => Err(InitError::Invalid(e.to_string())),
    }
}

/// `name` as a stack or service name: lowercase letters, digits and single dashes, at most
/// `max` characters, starting with a letter.
pub fn dns_name(name: &str, max: usize) -> String {
    let mut out = String::new();
    for c in name.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.trim_matches('-').chars().take(max).collect();
    out = out.trim_end_matches('-').to_string();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out = format!("s-{out}").chars().take(max).collect::<String>().trim_end_matches('-').to_string();
    }
    if out.is_empty() || out == "s" {
        "app".into()
    } else {
        out
    }
}

/// `path` relative to the directory of `out` when both are under the same directory tree,
/// else absolute.
pub fn relative(path: &Path, out: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let target = abs(path);
    let from = out.parent().map(abs).unwrap_or_default();
    match target.strip_prefix(&from) {
        Ok(rest) if rest.as_os_str().is_empty() => ".".into(),
        Ok(rest) => rest.display().to_string(),
        Err(_) => target.display().to_string(),
    }
}

/// The smallest Fargate size with at least `cpus` vCPUs and `memory` MiB.
pub fn fargate_size(cpus: f64, memory: u32) -> (u32, u32) {
    for cpu in fargate::cpu_sizes() {
        if f64::from(cpu) / 1024.0 + 1e-9 < cpus {
            continue;
        }
        if let Some(m) = fargate::memory_sizes(cpu).and_then(|sizes| sizes.into_iter().find(|m| *m >= memory)) {
            return (cpu, m);
        }
    }
    (16384, 122_880)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_dns_labels() {
        assert_eq!(dns_name("My_App.Web", 32), "my-app-web");
        assert_eq!(dns_name("9lives", 32), "s-9lives");
        assert_eq!(dns_name("__", 32), "app");
    }

    #[test]
    fn limits_become_the_smallest_fargate_size_that_holds_them() {
        assert_eq!(fargate_size(0.25, 0), (256, 512));
        assert_eq!(fargate_size(0.5, 3000), (512, 3072));
        assert_eq!(fargate_size(0.25, 4096), (512, 4096));
        assert_eq!(fargate_size(1.5, 0), (2048, 4096));
    }
}
