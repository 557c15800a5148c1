//! Rules for `jobs:`: each is checked as a service's task would be (image, size, command,
//! env, secrets, subnets, permissions), plus its schedule, time zone and timeout; a job's
//! name must not be a service's, and a job may take the image of a service.

use std::collections::{BTreeMap, BTreeSet};

use super::checks;
use super::Ctx;
use crate::model::{self, Network, ServiceName};
use crate::spec::types;

impl Ctx<'_> {
    pub(super) fn jobs(
        &mut self,
        network: &Option<Network>,
        services: &BTreeMap<ServiceName, model::Service>,
    ) -> BTreeMap<ServiceName, model::Job> {
        let spec = self.loaded.spec.clone();
        let names: BTreeSet<&str> = spec.services.keys().map(String::as_str).collect();
        let mut out = BTreeMap::new();
        for (name, raw) in &spec.jobs {
            let path = format!("jobs.{name}");
            if let Err(m) = checks::dns_label(name, 32) {
                self.err(&path, format!("job name `{name}` {m}"));
                continue;
            }
            if spec.services.contains_key(name) {
                self.err(&path, format!("`{name}` is a service's name too: a job and a service must have different names"))
                    .hint(format!("rename the job, e.g. `{name}-job`"));
                continue;
            }
            let job_name = ServiceName::new_unchecked(name.clone());
            if services.keys().any(|s| s.logical() == job_name.logical()) {
                self.err(&path, format!("job `{name}` and a service map to the same CloudFormation id `{}`", job_name.logical()));
                continue;
            }
            let (image, image_of) = self.job_image(&path, raw, services);
            let as_service = types::Service {
                image,
                port: None,
                cpu: raw.cpu,
                memory: raw.memory,
                count: Some(0),
                command: raw.command.clone(),
                env: raw.env.clone(),
                secrets: raw.secrets.clone(),
                health_check: None,
                routes: Vec::new(),
                load_balancer: None,
                subnets: raw.subnets,
                drain: None,
                permissions: raw.permissions.clone(),
                deploy: Some(types::Deploy { strategy: Some(types::Strategy::Doubling), ..types::Deploy::default() }),
                autoscaling: None,
                alarms: None,
                exec: None,
                platform: raw.platform,
                storage: raw.storage,
                capacity: None,
                sidecars: raw.sidecars.clone(),
                depends_on: raw.depends_on.clone(),
                logging: raw.logging.clone(),
                volumes: raw.volumes.clone(),
                uses: raw.uses.clone(),
            };
            let mut task = self.service(&path, job_name.clone(), &as_service, network, &names);
            // A job's one alarm is on failed runs (synth::signals), not a service's.
            task.alarms.clear();
            if image_of.is_some() {
                task.image = model::Image::Uri { uri: String::new(), credentials: None };
            }
            let schedule = raw.schedule.as_ref().map(|expression| {
                if let Err(m) = checks::schedule_expression(expression) {
                    self.err(&format!("{path}.schedule"), m);
                }
                if let Some(tz) = &raw.timezone {
                    if let Err(m) = checks::timezone(tz) {
                        self.err(&format!("{path}.timezone"), m);
                    }
                }
                model::JobSchedule { expression: expression.clone(), timezone: raw.timezone.clone().filter(|z| z != "UTC") }
            });
            if raw.timezone.is_some() && raw.schedule.is_none() {
                self.err(&format!("{path}.timezone"), "a time zone needs a `schedule`");
            }
            let timeout = self.duration(&format!("{path}.timeout"), raw.timeout.as_deref(), 3600, 1, 7 * 86_400);
            out.insert(job_name, model::Job { task, image_of, schedule, timeout });
        }
        out
    }

    /// A job's image as a service's would be checked, or `{ service: NAME }`: the image a
    /// service of the stack runs. Images ecship builds or reads from disk are a service's.
    fn job_image(
        &mut self,
        path: &str,
        raw: &types::Job,
        services: &BTreeMap<ServiceName, model::Service>,
    ) -> (Option<types::Image>, Option<ServiceName>) {
        let Some(types::Image::Source(src)) = &raw.image else { return (raw.image.clone(), None) };
        if let Some(service) = &src.service {
            let others = src.build.is_some() || src.oci.is_some() || src.archive.is_some() || src.uri.is_some();
            if others {
                self.err(&format!("{path}.image"), "give `service` alone: the job runs that service's image");
            }
            return match services.keys().find(|k| k.as_str() == service) {
                Some(name) => (Some(types::Image::Uri("placeholder:job".into())), Some(name.clone())),
                None => {
                    let names: Vec<&str> = services.keys().map(ServiceName::as_str).collect();
                    let hint = crate::spec::diagnostic::did_you_mean(service, names.iter().copied())
                        .map_or_else(|| format!("the services are: {}", names.join(", ")), |s| format!("did you mean `{s}`?"));
                    self.err(&format!("{path}.image.service"), format!("there is no service `{service}`")).hint(hint);
                    (Some(types::Image::Uri("placeholder:job".into())), None)
                }
            };
        }
        if src.build.is_some() || src.oci.is_some() || src.archive.is_some() {
            self.err(&format!("{path}.image"), "a job runs an existing image: a URI, or the image of a service")
                .hint("build it as a service's image and give the job `image: { service: NAME }`, or push it and give its URI");
        }
        (raw.image.clone(), None)
    }
}
