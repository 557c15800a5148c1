//! The compile pipeline every command starts with: load → validate → synthesise.

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::storage::FoundDb;
use crate::model::Model;
use crate::spec::{self, Diagnostic, Diagnostics, LoadError, LoadOptions, Loaded};
use crate::synth::nesting::{self, Placement, Stacks};
use crate::synth::{self, Limit, Template};

pub struct Compiled {
    pub loaded: Loaded,
    pub model: Model,
    /// Everything the spec renders to, as one template.
    pub template: Template,
    /// The same as a new stack deploys it: one stack, or a root and nested stacks when it is
    /// too large for one (`synth::nesting`).
    pub fresh: Stacks,
    /// CloudFormation limits a template of `fresh` breaks. `validate` and `deploy` refuse
    /// them; `render` shows the template anyway and warns.
    pub limits: Vec<Limit>,
}

impl Compiled {
    /// The limits as located problems of the spec file.
    pub fn limit_diagnostics(&self) -> Diagnostics {
        let problems = self
            .limits
            .iter()
            .map(|l| {
                Diagnostic::new("", l.message())
                    .hint("a root stack keeps every service's security group: split the services over two specs (stacks), or use fewer routes and services per stack")
            })
            .collect();
        Diagnostics::new(&self.loaded.file, problems)
    }
}

pub fn compile(path: &Path, opts: &LoadOptions) -> Result<Compiled, LoadError> {
    compile_loaded(spec::load(path, opts)?)
}

/// The same for a spec's text, named `file` in its problems.
pub fn compile_str(text: &str, file: &Path, opts: &LoadOptions) -> Result<Compiled, LoadError> {
    compile_loaded(spec::load_str(text, file, opts).map_err(LoadError::Invalid)?)
}

fn compile_loaded(loaded: Loaded) -> Result<Compiled, LoadError> {
    let model = spec::validate(&loaded).map_err(LoadError::Invalid)?;
    compile_model(loaded, model)
}

/// The same spec with images given on the command line (`--image`): the execution role may
/// pull them too.
pub fn with_pulls(c: Compiled, images: impl IntoIterator<Item = String>) -> Result<Compiled, LoadError> {
    let mut pulls: Vec<String> = images.into_iter().collect();
    pulls.sort();
    pulls.dedup();
    if pulls == c.model.pulls {
        return Ok(c);
    }
    let model = Model { pulls, ..c.model };
    compile_model(c.loaded, model)
}

/// The same spec with the hosted zones its domains give by name set to their ids (`ids`, by
/// zone name, as `ops::zones::look_up` finds them).
pub fn with_zones(c: Compiled, ids: &BTreeMap<String, String>) -> Result<Compiled, LoadError> {
    if ids.is_empty() {
        return Ok(c);
    }
    let mut model = c.model;
    for zone in model.load_balancers.values_mut().filter_map(|lb| lb.domain.as_mut()).map(|d| &mut d.zone) {
        if let Some(id) = zone.to_look_up().and_then(|name| ids.get(name)) {
            zone.id = Some(id.clone());
        }
    }
    compile_model(c.loaded, model)
}

/// Synthesise `model` (of the spec `loaded`; a preview's model too).
pub fn compile_model(loaded: Loaded, model: Model) -> Result<Compiled, LoadError> {
    let template = synth::synth(&model);
    if !template.conflicts.is_empty() {
        let problems = template
            .conflicts
            .iter()
            .map(|id| {
                Diagnostic::new("services", format!("two services would share the CloudFormation id `{id}`"))
                    .hint("rename one: a service name must not be another's name plus a word ecship appends (e.g. `web` with blue/green and `web-green`)")
                    .at(loaded.locate("services"))
            })
            .collect();
        return Err(LoadError::Invalid(Diagnostics::new(&loaded.file, problems)));
    }
    let placement = nesting::place(&model, &template, &Placement::new());
    let fresh = nesting::split(&model, &template, &placement, &|name, _| placeholder_url(&model, name));
    let mut limits = synth::check_limits(&fresh.root, "the template");
    for (name, t) in &fresh.nested {
        limits.extend(synth::check_limits(t, &format!("nested stack {name}")));
    }
    Ok(Compiled { loaded, model, template, fresh, limits })
}

/// Where a nested template of a stack not yet deployed goes: the asset bucket is known only
/// once AWS is asked, so `render` shows this.
pub fn placeholder_url(model: &Model, nested: &str) -> String {
    format!("https://ecship-assets-ACCOUNT-REGION.s3.amazonaws.com/stacks/{}/templates/{nested}.json", model.stack)
}

/// What checking one environment a spec declares found.
#[derive(Debug, Clone)]
pub struct EnvironmentCheck {
    pub env: String,
    /// Its problems that the base spec does not have.
    pub problems: Vec<Diagnostic>,
    /// Variables its overrides use that this process does not set: the values that use them
    /// are checked when it is deployed.
    pub unset_vars: Vec<String>,
}

/// Every environment the spec at `path` declares, compiled in turn: for each, the problems
/// the base spec (whose problems are `base`) does not have. A problem in a value the
/// environment sets is named there (`environments.prod.services.web.cpu`); one that shows
/// only with its overrides says so.
pub fn check_environments(
    path: &Path,
    vars: &dyn Fn(&str) -> Option<String>,
    base: &[Diagnostic],
) -> Result<Vec<EnvironmentCheck>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read { path: path.to_path_buf(), source })?;
    let mut out = Vec::new();
    for env in spec::environment_names(&text) {
        let (problems, deferred) = match spec::load(path, &LoadOptions { env: Some(&env), vars, defer_unset_vars: true }) {
            Ok(loaded) => {
                let deferred = loaded.deferred.clone();
                match compile_loaded(loaded) {
                    Ok(c) => (c.limit_diagnostics().problems, deferred),
                    Err(LoadError::Invalid(d)) => (d.problems, deferred),
                    Err(e) => return Err(e),
                }
            }
            Err(LoadError::Invalid(d)) => (d.problems, Vec::new()),
            Err(e) => return Err(e),
        };
        let problems = problems
            .into_iter()
            .filter(|d| !base.iter().any(|b| b.path == d.path && b.message == d.message))
            .map(|mut d| {
                if !d.path.starts_with("environments.") {
                    d.message = format!("{} (with the overrides of environment `{env}`)", d.message);
                }
                d
            })
            .collect();
        let mut unset_vars: Vec<String> = deferred.into_iter().map(|(_, name)| name).collect();
        unset_vars.sort();
        unset_vars.dedup();
        out.push(EnvironmentCheck { env, problems, unset_vars });
    }
    Ok(out)
}

/// `${VAR}` values from the process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The same spec with its adopted databases as RDS describes them (`found`, by entry name,
/// as `ops::databases::look_up` finds them).
pub fn with_databases(c: Compiled, found: BTreeMap<String, FoundDb>) -> Result<Compiled, LoadError> {
    if found.is_empty() {
        return Ok(c);
    }
    let mut model = c.model;
    for (name, db) in found {
        if let Some(s) = model.storage.get_mut(&name) {
            s.found = Some(db);
        }
    }
    compile_model(c.loaded, model)
}
