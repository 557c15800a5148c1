//! Jobs in a plan: each job's task definition (a new revision when it differs from the
//! family's latest) and its schedule (created, changed or deleted), and the `deploy.before`
//! steps a deploy runs before any service changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::desire::DesiredJob;
use super::services::{field_changes, task_def_changes, FieldChange, ServiceAction, ServiceChange};
use crate::model::{BeforeStep, Model};
use crate::observe::Observed;
use crate::workload::JobSchedule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobAction {
    /// A job not deployed before (no revision in its family).
    Create,
    Update,
    /// A scheduled job left the spec: its schedule is deleted.
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobChange {
    pub job: String,
    pub action: JobAction,
    /// A new task-definition revision is registered.
    pub new_revision: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_definition: Vec<FieldChange>,
    /// `schedule` and `timezone`, as EventBridge Scheduler holds them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<FieldChange>,
}

/// A one-off task a deploy runs after registering task definitions and before changing any
/// service (`deploy.before` of a service that gets a new revision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeforeRun {
    /// The service whose new revision asks for it.
    pub service: String,
    /// The job it runs, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// the command it runs on the service's new task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
}

impl BeforeRun {
    /// `run job migrate` / `run ./manage.py migrate on web's new task definition`.
    pub fn describe(&self) -> String {
        match (&self.job, &self.command) {
            (Some(job), _) => format!("run job {job} (for {}), wait for exit code 0", self.service),
            (None, Some(cmd)) => format!("run `{}` on {}'s new task definition, wait for exit code 0", cmd.join(" "), self.service),
            (None, None) => format!("run a task for {}", self.service),
        }
    }
}

/// The schedule's fields as the plan shows them.
fn schedule_fields(s: Option<&JobSchedule>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(s) = s {
        out.insert("schedule".to_string(), s.expression.clone());
        out.insert("timezone".to_string(), s.timezone.clone().unwrap_or_else(|| "UTC".into()));
    }
    out
}

/// Every job that changes, and scheduled jobs that left the spec.
pub fn changes(m: &Model, jobs: &[DesiredJob], observed: &Observed) -> Vec<JobChange> {
    let mut out = Vec::new();
    for d in jobs {
        let latest = observed.latest.get(&d.task_def.family);
        let new_revision = latest.is_none_or(|l| l.task_def != d.task_def);
        let task_definition = task_def_changes(latest.map(|l| &l.task_def), &d.task_def);
        let deployed = observed.schedules.get(d.name.as_str());
        let schedule = field_changes(&schedule_fields(deployed), &schedule_fields(d.schedule.as_ref()));
        if !new_revision && schedule.is_empty() {
            continue;
        }
        let action = if latest.is_none() { JobAction::Create } else { JobAction::Update };
        out.push(JobChange { job: d.name.to_string(), action, new_revision, task_definition, schedule });
    }
    for (name, deployed) in observed.schedules.iter().filter(|(n, _)| !m.jobs.keys().any(|j| j.as_str() == n.as_str())) {
        let schedule = field_changes(&schedule_fields(Some(deployed)), &BTreeMap::new());
        out.push(JobChange { job: name.clone(), action: JobAction::Delete, new_revision: false, task_definition: Vec::new(), schedule });
    }
    out
}

/// The `deploy.before` steps of services that get a new revision (or are created), in the
/// spec's order of services.
pub fn before_runs(m: &Model, services: &[ServiceChange]) -> Vec<BeforeRun> {
    let mut out = Vec::new();
    for svc in m.services.values().filter(|s| !s.deploy.before.is_empty()) {
        let names = super::ecs_names(svc);
        let changes = services.iter().any(|c| {
            names.contains(&c.service)
                && (c.action == ServiceAction::Create
                    || (c.action == ServiceAction::Update && (c.new_revision || !c.task_definition.is_empty())))
        });
        if !changes {
            continue;
        }
        for step in &svc.deploy.before {
            out.push(match step {
                BeforeStep::Run(job) => BeforeRun { service: svc.name.to_string(), job: Some(job.to_string()), command: None },
                BeforeStep::Command(cmd) => BeforeRun { service: svc.name.to_string(), job: None, command: Some(cmd.clone()) },
            });
        }
    }
    out
}
