//! Rules for the containers of a task beside its own: `sidecars` (names, existing images,
//! ports, health checks, FireLens), `depends_on` between containers (known names, no
//! cycle), `logging` (which needs a FireLens router), and the CPU and memory sidecars take
//! out of the task's.

use std::collections::{BTreeMap, BTreeSet};

use super::checks;
use super::plaintext;
use super::Ctx;
use crate::model::{self, ServiceName};
use crate::spec::diagnostic::did_you_mean;
use crate::spec::types;

/// A task's containers beside its own, resolved.
pub(super) struct Containers {
    pub sidecars: Vec<model::Sidecar>,
    pub depends_on: BTreeMap<String, model::DependsOn>,
    pub logging: Option<BTreeMap<String, String>>,
    /// Services the sidecars call by `${service.NAME.internal_url}`.
    pub references: Vec<ServiceName>,
}

impl Ctx<'_> {
    pub(super) fn containers(
        &mut self,
        path: &str,
        raw: &types::Service,
        own: &ServiceName,
        (cpu, memory): (model::Cpu, model::MemoryMib),
        port: Option<model::Port>,
        names: &BTreeSet<&str>,
    ) -> Containers {
        let mut out = Containers { sidecars: Vec::new(), depends_on: BTreeMap::new(), logging: None, references: Vec::new() };
        let mut ports: BTreeMap<u16, String> = port.map(|p| (p.get(), own.to_string())).into_iter().collect();
        for (name, sc) in &raw.sidecars {
            let p = format!("{path}.sidecars.{name}");
            if let Err(m) = checks::dns_label(name, 64) {
                self.err(&p, format!("sidecar name `{name}` {m}"));
                continue;
            }
            if name == own.as_str() {
                self.err(&p, format!("`{name}` is the name of the task's own container")).hint("give the sidecar another name");
                continue;
            }
            let sidecar = self.sidecar(&p, name, sc, names, &mut out.references);
            if let Some(port) = sidecar.port {
                if let Some(other) = ports.insert(port.get(), name.clone()) {
                    self.err(
                        &format!("{p}.port"),
                        format!("port {} is `{other}`'s too: containers of a task share one network", port.get()),
                    );
                }
            }
            out.sidecars.push(sidecar);
        }
        out.depends_on = self.depends_on(path, &raw.depends_on, own.as_str(), &out.sidecars);
        self.no_cycle(path, own.as_str(), &out.depends_on, &out.sidecars);
        self.shares(path, (cpu, memory), &out.sidecars);
        let routers: Vec<&str> = out.sidecars.iter().filter(|s| s.firelens.is_some()).map(|s| s.name.as_str()).collect();
        if routers.len() > 1 {
            self.err(&format!("{path}.sidecars"), format!("{} are all FireLens log routers: a task has one", routers.join(", ")));
        }
        out.logging = raw.logging.as_ref().map(|l| l.options.clone());
        for (k, v) in out.logging.iter().flatten() {
            if let Some(why) = plaintext::plaintext_secret(k, v) {
                self.err(&format!("{path}.logging.options.{k}"), format!("looks like a secret in plain text: {why}"))
                    .hint("have the router read it from its own configuration or environment (a sidecar's `secrets:`)");
            }
        }
        if out.logging.is_some() && routers.is_empty() {
            self.err(&format!("{path}.logging"), "`logging` sends logs through a FireLens log router, and no sidecar is one")
                .hint("add a sidecar with `firelens: fluentbit` (for example the aws-for-fluent-bit image)");
        }
        out
    }

    fn sidecar(
        &mut self,
        p: &str,
        name: &str,
        sc: &types::Sidecar,
        names: &BTreeSet<&str>,
        references: &mut Vec<ServiceName>,
    ) -> model::Sidecar {
        // A job's images are existing ones (or a service's): the same goes for its sidecars.
        let pushed = matches!(&sc.image, Some(types::Image::Source(s)) if s.build.is_some() || s.oci.is_some() || s.archive.is_some());
        let image = if pushed && p.starts_with("jobs.") {
            self.err(
                &format!("{p}.image"),
                "a job's sidecar runs an existing image: `repository:tag`, `repository@sha256:…` or `{ uri: … }`",
            )
            .hint("build it as a service's sidecar image, or push it (`ecship push`, or your registry) and name it by URI");
            model::Image::Uri { uri: String::new(), credentials: None }
        } else {
            self.image(p, sc.image.as_ref())
        };
        if let Some(cmd) = &sc.command {
            if cmd.is_empty() || cmd.iter().any(String::is_empty) {
                self.err(&format!("{p}.command"), "a command needs at least one word and no empty ones");
            }
            self.command_secrets(&format!("{p}.command"), cmd);
        }
        let (env, refs) = self.env(p, &sc.env, &sc.secrets, names);
        references.extend(refs);
        let health_check = sc.health_check.as_ref().map(|h| self.container_health(&format!("{p}.health_check"), h));
        model::Sidecar {
            name: name.to_string(),
            image,
            command: sc.command.clone(),
            env,
            secrets: self.secrets(p, &sc.secrets),
            port: sc.port.map(|n| self.port(&format!("{p}.port"), n)),
            essential: sc.essential.unwrap_or(true),
            depends_on: sc.depends_on.iter().map(|(k, c)| (k.clone(), condition(*c))).collect(),
            health_check,
            cpu: sc.cpu,
            memory: sc.memory,
            firelens: sc.firelens.map(|f| match f {
                types::Firelens::Fluentbit => model::Firelens::Fluentbit,
                types::Firelens::Fluentd => model::Firelens::Fluentd,
            }),
        }
    }

    fn container_health(&mut self, p: &str, h: &types::ContainerHealthCheck) -> model::ContainerHealth {
        if !matches!(h.command.first().map(String::as_str), Some("CMD" | "CMD-SHELL")) || h.command.len() < 2 {
            self.err(&format!("{p}.command"), "a health check command starts with CMD or CMD-SHELL and has something to run")
                .hint(r#"e.g. ["CMD-SHELL", "curl -f http://localhost:2020/ || exit 1"]"#);
        }
        self.command_secrets(&format!("{p}.command"), &h.command);
        let retries = h.retries.unwrap_or(3);
        if !(1..=10).contains(&retries) {
            self.err(&format!("{p}.retries"), format!("{retries} is out of range: use 1 to 10"));
        }
        model::ContainerHealth {
            command: h.command.clone(),
            interval: self.duration(&format!("{p}.interval"), h.interval.as_deref(), 30, 5, 300),
            timeout: self.duration(&format!("{p}.timeout"), h.timeout.as_deref(), 5, 2, 60),
            retries,
            grace: self.duration(&format!("{p}.grace"), h.grace.as_deref(), 0, 0, 300),
        }
    }

    /// The own container's `depends_on`, and each sidecar's: every name a container of the
    /// task, not itself; `HEALTHY` only on one with a health check.
    fn depends_on(
        &mut self,
        path: &str,
        own_raw: &BTreeMap<String, types::DependsOn>,
        own: &str,
        sidecars: &[model::Sidecar],
    ) -> BTreeMap<String, model::DependsOn> {
        let known: Vec<&str> = std::iter::once(own).chain(sidecars.iter().map(|s| s.name.as_str())).collect();
        let own_deps: BTreeMap<String, model::DependsOn> = own_raw.iter().map(|(k, c)| (k.clone(), condition(*c))).collect();
        let all = std::iter::once((format!("{path}.depends_on"), own, &own_deps))
            .chain(sidecars.iter().map(|s| (format!("{path}.sidecars.{}.depends_on", s.name), s.name.as_str(), &s.depends_on)));
        for (p, from, deps) in all.collect::<Vec<_>>() {
            for (to, cond) in deps {
                let dp = format!("{p}.{to}");
                if to == from {
                    self.err(&dp, format!("`{from}` cannot wait for itself"));
                } else if !known.contains(&to.as_str()) {
                    let hint = did_you_mean(to, known.iter().copied())
                        .map_or_else(|| format!("the task's containers are: {}", known.join(", ")), |s| format!("did you mean `{s}`?"));
                    self.err(&dp, format!("the task has no container `{to}`")).hint(hint);
                } else if *cond == model::DependsOn::Healthy && !sidecars.iter().any(|s| &s.name == to && s.health_check.is_some()) {
                    self.err(&dp, format!("`{to}` has no health check, so it never becomes HEALTHY"))
                        .hint("give it a `health_check`, or wait for START instead");
                }
            }
        }
        own_deps
    }

    /// A task whose containers wait for each other in a circle never starts.
    fn no_cycle(&mut self, path: &str, own: &str, own_deps: &BTreeMap<String, model::DependsOn>, sidecars: &[model::Sidecar]) {
        let edges: BTreeMap<&str, Vec<&str>> = std::iter::once((own, own_deps.keys().map(String::as_str).collect()))
            .chain(sidecars.iter().map(|s| (s.name.as_str(), s.depends_on.keys().map(String::as_str).collect())))
            .collect();
        if let Some(cycle) = find_cycle(&edges) {
            self.err(&format!("{path}.depends_on"), format!("the containers wait for each other in a circle: {}", cycle.join(" → ")))
                .hint("remove one of these `depends_on` entries");
        }
    }

    /// Sidecars' CPU and memory must leave some of the task's for its own container.
    fn shares(&mut self, path: &str, (cpu, memory): (model::Cpu, model::MemoryMib), sidecars: &[model::Sidecar]) {
        let used_cpu: u32 = sidecars.iter().filter_map(|s| s.cpu).sum();
        let used_mem: u32 = sidecars.iter().filter_map(|s| s.memory).sum();
        if used_cpu >= cpu.get() {
            self.err(
                &format!("{path}.sidecars"),
                format!("the sidecars reserve {used_cpu} CPU units of the task's {}: none is left for its own container", cpu.get()),
            )
            .hint("lower the sidecars' `cpu`, or raise the task's");
        }
        if used_mem >= memory.get() {
            self.err(
                &format!("{path}.sidecars"),
                format!("the sidecars may use {used_mem} MiB of the task's {} MiB: none is left for its own container", memory.get()),
            )
            .hint("lower the sidecars' `memory`, or raise the task's");
        }
    }
}

fn condition(c: types::DependsOn) -> model::DependsOn {
    match c {
        types::DependsOn::Start => model::DependsOn::Start,
        types::DependsOn::Complete => model::DependsOn::Complete,
        types::DependsOn::Success => model::DependsOn::Success,
        types::DependsOn::Healthy => model::DependsOn::Healthy,
    }
}

/// A cycle in `edges` (container → the containers it waits for), as the names around it
/// with the first repeated at the end.
fn find_cycle<'a>(edges: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(i) = stack.iter().position(|n| *n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[cfg(test)]
mod tests {
    use super::find_cycle;
    use std::collections::BTreeMap;

    #[test]
    fn cycles_are_found_with_their_path() {
        let edges: BTreeMap<&str, Vec<&str>> = [("app", vec!["proxy"]), ("proxy", vec!["init"]), ("init", vec![])].into_iter().collect();
        assert_eq!(find_cycle(&edges), None);
        let edges: BTreeMap<&str, Vec<&str>> =
            [("app", vec!["proxy"]), ("proxy", vec!["init"]), ("init", vec!["proxy"])].into_iter().collect();
        assert_eq!(find_cycle(&edges), Some(vec!["proxy", "init", "proxy"]));
    }
}
