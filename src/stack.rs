//! The compile pipeline every command starts with: load → validate → synthesise.

use std::path::Path;

use crate::model::Model;
use crate::spec::{self, Diagnostic, Diagnostics, LoadError, LoadOptions, Loaded};
use crate::synth::{self, Limit, Template};

pub struct Compiled {
    pub loaded: Loaded,
    pub model: Model,
    pub template: Template,
    /// CloudFormation limits the template breaks. `validate` and `deploy` refuse them;
    /// `render` shows the template anyway and warns.
    pub limits: Vec<Limit>,
}

impl Compiled {
    /// The limits as located problems of the spec file.
    pub fn limit_diagnostics(&self) -> Diagnostics {
        let problems = self
            .limits
            .iter()
            .map(|l| Diagnostic::new("", l.message()).hint("split the stack into smaller ones, or use fewer routes and services per stack"))
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
    let limits = synth::check_limits(&template);
    Ok(Compiled { loaded, model, template, limits })
}

/// `${VAR}` values from the process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
