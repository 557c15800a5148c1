//! The least-privilege IAM policy a CI role needs to run ecship's verbs on one stack
//! (`ecship iam-policy`): the calls ecship makes itself (`calls`), and those CloudFormation
//! makes with the caller's credentials for the resource types of the stack's templates
//! (`cloudformation`), scoped to the stack's names and ARNs (`Scope`). Pure: the model and
//! the synthesised templates in, a `Policy` out.
//!
//! Every statement's `Sid` says why it is there; a statement on `*` says why in `Why::Any`,
//! which `reasons` lists for the command to print beside the policy (IAM JSON has no place
//! for comments).
//! **Must not** call AWS or print.

mod calls;
mod cloudformation;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::Model;
use crate::synth::nesting::Stacks;

/// Which verbs the policy is for (`--for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbs {
    /// `deploy`, and `rollback` and `status`, which a deploy job runs too.
    Deploy,
    /// `plan`: reads only, for pull-request jobs.
    Plan,
    /// `destroy` (with the reads of the deployed stack every verb makes).
    Destroy,
    /// All of the above.
    All,
}

impl Verbs {
    fn covers(self, verb: Verb) -> bool {
        match self {
            Verbs::All => true,
            Verbs::Deploy => verb != Verb::Destroy,
            Verbs::Plan => verb == Verb::Plan,
            Verbs::Destroy => verb != Verb::Deploy,
        }
    }
}

/// What a call or a CloudFormation handler is needed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    /// Reads a plan needs (and so every verb).
    Plan,
    Deploy,
    Destroy,
}

/// Where the stack lives: the account and region its ARNs name, `*` where unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account: String,
    pub region: String,
    /// `--asset-bucket`, where it names one.
    pub asset_bucket: Option<String>,
}

impl Scope {
    /// `arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE`.
    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{resource}", self.region, self.account)
    }

    /// An ARN of a global service (IAM): no region.
    fn global_arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}::{}:{resource}", self.account)
    }
}

/// One statement: `Allow` these actions on these resources, maybe with a condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub sid: String,
    pub effect: &'static str,
    pub action: BTreeSet<String>,
    pub resource: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<serde_json::Value>,
}

/// An IAM policy document, serialised as IAM reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statements: Vec<Statement>,
    /// Why each statement on `*` is on `*`, by `Sid`.
    #[serde(skip)]
    pub reasons: BTreeMap<String, String>,
}

impl Policy {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A group of actions on the same resources, before it becomes a statement.
struct Grant {
    sid: String,
    actions: Vec<String>,
    resources: Vec<String>,
    condition: Option<serde_json::Value>,
    /// Why the resource is `*`, when it is.
    any: Option<&'static str>,
}

/// The model `--for preview` writes its policy for: every preview of the stack at once, made
/// as `preview::derive` makes one but named `*` (its stack `STACK-*`, its services
/// `*-SERVICE`), so that IAM's wildcards match each preview's names. `None` without `previews:`.
/// The environment's outputs and the rules' priorities are read at deploy: none here.
pub fn previews_model(parent: &Model) -> Option<Model> {
    let previews = parent.previews.as_ref()?;
    let none = BTreeMap::new();
    let d = crate::model::preview::Derive {
        name: "*",
        outputs: &none,
        priorities: &BTreeMap::new(),
        expires: String::new(),
        lb_urls: &BTreeMap::new(),
        lb_zones: &BTreeMap::new(),
    };
    Some(crate::model::preview::derive(parent, previews, &d))
}

/// The policy for `verbs` on the stack `model` describes and `stacks` synthesises.
pub fn policy(model: &Model, stacks: &Stacks, scope: &Scope, verbs: Verbs) -> Policy {
    let mut grants = calls::grants(model, stacks, scope, verbs);
    grants.extend(cloudformation::grants(model, stacks, scope, verbs));
    let mut merged: BTreeMap<String, Grant> = BTreeMap::new();
    for g in grants.into_iter().filter(|g| !g.actions.is_empty()) {
        match merged.get_mut(&g.sid) {
            Some(m) => {
                m.actions.extend(g.actions);
                m.resources.extend(g.resources);
            }
            None => {
                merged.insert(g.sid.clone(), g);
            }
        }
    }
    // An action a statement on `*` allows anyway needs no narrower statement: said once.
    let anywhere: BTreeSet<String> =
        merged.values().filter(|g| g.condition.is_none() && g.resource_list() == ["*"]).flat_map(|g| g.actions.clone()).collect();
    for g in merged.values_mut().filter(|g| g.condition.is_none() && g.resource_list() != ["*"]) {
        g.actions.retain(|a| !anywhere.contains(a));
    }
    merged.retain(|_, g| !g.actions.is_empty());
    let reasons = merged.values().filter_map(|g| g.any.map(|why| (g.sid.clone(), why.to_string()))).collect();
    let statements = merged
        .into_values()
        .map(|g| {
            let mut resource = g.resource_list();
            resource.dedup();
            Statement { sid: g.sid, effect: "Allow", action: g.actions.into_iter().collect(), resource, condition: g.condition }
        })
        .collect();
    Policy { version: "2012-10-17", statements, reasons }
}

impl Grant {
    fn resource_list(&self) -> Vec<String> {
        let mut r: Vec<String> = self.resources.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
        if r.iter().any(|x| x == "*") {
            r = vec!["*".into()];
        }
        r
    }
}

#[cfg(test)]
mod tests;
