//! Rules for one service: size, health check, subnets, permissions, autoscaling; and the
//! order in which the other rule files (image, env, routes, deploy) run.

use std::collections::{BTreeMap, BTreeSet};

use super::checks;
use super::Ctx;
use crate::model::{self, fargate, LbName, Network, ServiceName, SubnetKind};
use crate::spec::types::{self, SubnetKind as Subnets};

impl Ctx<'_> {
    pub(super) fn services(
        &mut self,
        network: &Option<Network>,
        lbs: &BTreeMap<LbName, model::LoadBalancer>,
    ) -> BTreeMap<ServiceName, model::Service> {
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
            let mut svc = self.service(&path, svc_name.clone(), raw, network, &names);
            svc.load_balancer = self.service_load_balancer(&path, raw, lbs);
            out.insert(svc_name, svc);
        }
        self.assign_priorities(&mut out);
        self.check_references(&out);
        out
    }

    pub(super) fn service(
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
        // An autoscaled service without a count starts at its minimum (at least one task).
        let count = raw.count.unwrap_or_else(|| raw.autoscaling.as_ref().map_or(1, |a| a.min.clamp(1, a.max.max(1))));
        if count > 5000 {
            self.err(&format!("{path}.count"), format!("{count} tasks: a service runs at most 5000"));
        }
        if let Some(cmd) = &raw.command {
            if cmd.is_empty() || cmd.iter().any(String::is_empty) {
                self.err(&format!("{path}.command"), "a command needs at least one word and no empty ones");
            }
            self.command_secrets(&format!("{path}.command"), cmd);
        }
        let (env, mut references) = self.env(path, &raw.env, &raw.secrets, names);
        let secrets = self.secrets(path, &raw.secrets);
        let containers = self.containers(path, raw, &name, (cpu, memory), port, names);
        references.extend(containers.references);
        references.sort();
        references.dedup();
        let routes = self.routes(path, raw, port);
        if raw.health_check.is_some() && raw.routes.is_empty() {
            self.err(&format!("{path}.health_check"), "health_check configures the load balancer's probe, and this service has no routes")
                .hint("add `routes:`, or remove `health_check:`");
        }
        let health_check = self.health_check(path, raw.health_check.as_ref());
        let subnets = self.subnets(path, raw, network);
        let drain = self.duration(&format!("{path}.drain"), raw.drain.as_deref(), 30, 0, 3600);
        let permissions = self.permissions(path, &raw.permissions);
        let mut deploy = self.deploy(path, raw, count);
        let alarms = self.service_alarms(path, raw);
        self.auto_alarms(path, &mut deploy.alarms, &alarms, name.as_str());
        let autoscaling = self.autoscaling(path, raw, count);
        let (platform, storage, capacity) = self.task_shape(path, raw);
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
            load_balancer: None,
            subnets,
            drain,
            permissions,
            deploy,
            autoscaling,
            alarms,
            references,
            test_rules: None,
            exec: raw.exec.unwrap_or(false),
            platform,
            storage,
            capacity,
            sidecars: containers.sidecars,
            depends_on: containers.depends_on,
            logging: containers.logging,
            volumes: self.volumes(path, &raw.volumes),
            uses: self.uses(path, raw),
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

    /// Platform, storage and capacity: Fargate Spot runs no arm64 tasks.
    fn task_shape(&mut self, path: &str, raw: &types::Service) -> (model::Platform, Option<u32>, Vec<model::CapacityItem>) {
        let platform = match raw.platform {
            Some(types::Platform::Arm64) => model::Platform::Arm64,
            Some(types::Platform::X86_64) | None => model::Platform::X86_64,
        };
        if let Some(gib) = raw.storage.filter(|g| !(21..=200).contains(g)) {
            self.err(&format!("{path}.storage"), format!("{gib} GiB is out of range: Fargate takes 21 to 200 GiB (20 without `storage`)"));
        }
        let p = format!("{path}.capacity");
        let capacity = self.capacity(&p, raw.capacity.as_ref());
        let spot = capacity.iter().any(|c| c.provider == "FARGATE_SPOT" && (c.weight > 0 || c.base > 0));
        if spot && platform == model::Platform::Arm64 {
            self.err(&p, "Fargate Spot runs no arm64 tasks")
                .hint("run arm64 tasks on Fargate (no `capacity:`), or use `platform: x86_64` for Spot");
        }
        (platform, raw.storage, capacity)
    }

    /// `capacity:` at `p`, as ECS's capacity provider strategy.
    pub(super) fn capacity(&mut self, p: &str, capacity: Option<&types::Capacity>) -> Vec<model::CapacityItem> {
        match capacity {
            None => Vec::new(),
            Some(types::Capacity::Spot(s)) => {
                if s.spot > 100 {
                    self.err(&format!("{p}.spot"), format!("{}% is out of range: use 0 to 100", s.spot));
                }
                let spot = s.spot.min(100);
                let base = s.base.unwrap_or(0);
                let mut items = Vec::new();
                if spot < 100 || base > 0 {
                    items.push(model::CapacityItem { provider: "FARGATE".into(), base, weight: 100 - spot });
                }
                if spot > 0 {
                    items.push(model::CapacityItem { provider: "FARGATE_SPOT".into(), base: 0, weight: spot });
                }
                items
            }
            Some(types::Capacity::Providers(list)) => self.providers(p, list),
        }
    }

    fn providers(&mut self, p: &str, list: &[types::CapacityProvider]) -> Vec<model::CapacityItem> {
        let items: Vec<model::CapacityItem> = list
            .iter()
            .map(|c| model::CapacityItem {
                provider: match c.provider {
                    types::ProviderName::Fargate => "FARGATE".into(),
                    types::ProviderName::FargateSpot => "FARGATE_SPOT".into(),
                },
                base: c.base.unwrap_or(0),
                weight: c.weight.unwrap_or(1),
            })
            .collect();
        if items.is_empty() {
            self.err(p, "name at least one capacity provider, or leave `capacity:` out");
        }
        let names: BTreeSet<&str> = items.iter().map(|c| c.provider.as_str()).collect();
        if names.len() != items.len() {
            self.err(p, "each capacity provider may be named once");
        }
        if items.iter().filter(|c| c.base > 0).count() > 1 {
            self.err(p, "only one capacity provider may have a base");
        }
        if !items.is_empty() && items.iter().all(|c| c.weight == 0) {
            self.err(p, "at least one capacity provider needs a weight above 0");
        }
        for (i, c) in items.iter().enumerate() {
            if c.weight > 1000 || c.base > 100_000 {
                self.err(&format!("{p}[{i}]"), "weights go up to 1000 and bases up to 100000");
            }
        }
        items
    }

    fn subnets(&mut self, path: &str, raw: &types::Service, network: &Option<Network>) -> SubnetKind {
        let private_ok = network.as_ref().is_none_or(Network::has_private_subnets);
        match raw.subnets {
            Some(Subnets::Private) if !private_ok => {
                self.err(&format!("{path}.subnets"), "private subnets need NAT to pull images and ship logs, and this network has none")
                    .hint("set network.nat to single or per_az, or use subnets: public");
                SubnetKind::Private
            }
            Some(Subnets::Public) if matches!(network, Some(Network::Existing { public_subnets, .. }) if public_subnets.is_empty()) => {
                self.err(&format!("{path}.subnets"), "this network lists no public subnets")
                    .hint("add network.public_subnets, or use subnets: private");
                SubnetKind::Public
            }
            Some(Subnets::Private) => SubnetKind::Private,
            Some(Subnets::Public) => SubnetKind::Public,
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
                let valid = a == "*"
                    || a.split_once(':').is_some_and(|(svc, act)| {
                        !svc.is_empty()
                            && svc.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                            && !act.is_empty()
                            && act.chars().all(|c| c.is_ascii_alphanumeric() || c == '*')
                    });
                if !valid {
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
            if !perm.allow_wildcard.unwrap_or(false) {
                self.wildcards(&p, perm);
            }
        }
        raw.iter().map(|p| model::Permission { actions: p.actions.clone(), resources: p.resources.clone() }).collect()
    }

    /// Least privilege: an action `*`, or a whole service (`s3:*`) on every resource, is
    /// refused unless the permission says `allow_wildcard: true`.
    fn wildcards(&mut self, p: &str, perm: &types::Permission) {
        let everywhere = perm.resources.iter().any(|r| r == "*");
        for (j, a) in perm.actions.iter().enumerate() {
            let what = match a.split_once(':') {
                None if a == "*" => "every action of every AWS service".to_string(),
                Some((svc, "*")) if everywhere => format!("every {svc} action on every resource (`*`)"),
                _ => continue,
            };
            self.err(&format!("{p}.actions[{j}]"), format!("`{a}` allows {what}: a task role gets only what it needs"))
                .hint("name the actions and the resources' ARNs it needs (e.g. s3:GetObject on arn:aws:s3:::bucket/*), or set `allow_wildcard: true` on this permission to grant it on purpose");
        }
    }

    fn autoscaling(&mut self, path: &str, raw: &types::Service, count: u32) -> Option<model::Autoscaling> {
        let a = raw.autoscaling.as_ref()?;
        Some(self.autoscaling_of(path, a, raw.count.map(|_| count), !raw.routes.is_empty()))
    }

    /// `autoscaling:` at `path`, with the `count` a spec gives beside it, for a service with
    /// routes or without.
    pub(super) fn autoscaling_of(&mut self, path: &str, a: &types::Autoscaling, count: Option<u32>, routed: bool) -> model::Autoscaling {
        let p = format!("{path}.autoscaling");
        if a.min > a.max {
            self.err(&p, format!("min ({}) is above max ({})", a.min, a.max));
        }
        if a.max > 5000 {
            self.err(&format!("{p}.max"), "a service runs at most 5000 tasks");
        }
        if let Some(count) = count.filter(|c| *c < a.min || *c > a.max) {
            self.err(&format!("{path}.count"), format!("count {count} is outside autoscaling's {}–{}", a.min, a.max));
        }
        if a.cpu.is_none() && a.memory.is_none() && a.requests.is_none() && a.schedule.is_empty() {
            self.err(&p, "no metric and no schedule to scale on")
                .hint("set cpu: 70, memory: 80 (target utilisation, percent), requests: 1000 (per task per minute) or a schedule");
        }
        if let Some(r) = a.requests {
            if !routed {
                self.err(&format!("{p}.requests"), "scaling on requests needs the load balancer's count: this service has no routes");
            } else if r == 0 || r > 1_000_000 {
                self.err(&format!("{p}.requests"), format!("{r} requests per task per minute is out of range: use 1 to 1000000"));
            }
        }
        let schedule = self.scheduled_scaling(&p, a);
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
        model::Autoscaling { min: a.min, max: a.max, cpu, memory, requests: a.requests, schedule }
    }

    fn scheduled_scaling(&mut self, p: &str, a: &types::Autoscaling) -> Vec<model::ScheduledScaling> {
        let mut out = Vec::new();
        for (i, s) in a.schedule.iter().enumerate() {
            let here = format!("{p}.schedule[{i}]");
            if let Err(m) = checks::schedule_expression(&s.cron) {
                self.err(&format!("{here}.cron"), m);
            }
            if let Some(tz) = &s.timezone {
                if let Err(m) = checks::timezone(tz) {
                    self.err(&format!("{here}.timezone"), m);
                }
            }
            match (s.min, s.max) {
                (None, None) => {
                    self.err(&here, "a scheduled change needs min, max or both");
                }
                (Some(min), Some(max)) if min > max => {
                    self.err(&here, format!("min ({min}) is above max ({max})"));
                }
                _ => {}
            }
            if s.min.into_iter().chain(s.max).any(|n| n > 5000) {
                self.err(&here, "a service runs at most 5000 tasks");
            }
            out.push(model::ScheduledScaling { expression: s.cron.clone(), timezone: s.timezone.clone(), min: s.min, max: s.max });
        }
        out
    }
}
