//! Reading a spec file: size and nesting limits, YAML, `${VAR}` interpolation, shape check
//! against the schema, `--env` overrides.
//!
//! The only file that parses YAML: the document becomes a plain `serde_json::Value` tree
//! here (YAML tags and non-text keys are refused), so swapping the YAML crate touches this
//! file and `positions` (line:column markers) alone.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::diagnostic::{did_you_mean, Diagnostic, Diagnostics, Location};
use super::interpolate::{interpolate, Interpolation};
use super::positions::{LazyPositions, Locator};
use super::structure::{apply, prune, Walker};
use super::types::Spec;

/// Larger files are refused before parsing: no real stack comes close.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;
/// Deeper flow nesting (`[[[[…`) is refused before parsing: the YAML parser takes time
/// quadratic in nesting depth, and a spec needs fewer than ten levels.
pub const MAX_NESTING: usize = 64;

pub struct LoadOptions<'a> {
    /// The environment whose overrides apply (`--env`).
    pub env: Option<&'a str>,
    /// Where `${VAR}` values come from; the process environment in the CLI.
    pub vars: &'a dyn Fn(&str) -> Option<String>,
    /// Variables the environment's overrides name but this process does not set are left
    /// to the deploy that sets them: not a problem, and the values that use them are not
    /// checked (`validate` checking every environment from CI).
    pub defer_unset_vars: bool,
}

/// A parsed spec, with what is needed to point back into its file.
#[derive(Debug)]
pub struct Loaded {
    pub spec: Spec,
    pub file: PathBuf,
    pub env: Option<String>,
    positions: LazyPositions,
    /// Shape problems already found; validation adds its own and reports them together.
    pub(crate) problems: Vec<Diagnostic>,
    /// Values of the environment's overrides that use a variable not set here (with
    /// `defer_unset_vars`): `environments.ENV.PATH` and the variable's name.
    pub deferred: Vec<(String, String)>,
    /// Values that name a variable that is not set (each already a problem), the same way.
    unset: Vec<(String, String)>,
}

impl Loaded {
    /// Where the value at `path` (of the merged spec) was written: in the environment's
    /// overrides when it came from there, else in the base.
    pub fn locate(&self, path: &str) -> Option<Location> {
        Locator { positions: &self.positions, env: self.env.as_deref() }.value(path)
    }

    /// Problems of the merged spec, each named where the user wrote it: a value the
    /// environment's overrides set is `environments.ENV.PATH`.
    pub(crate) fn label(&self, problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let mut problems = label(problems, &self.positions, self.env.as_deref());
        problems.retain(|d| !deferred(&self.deferred, &d.path));
        problems
    }

    /// Whether the value at `path` (as `label` names it) names a variable that is not set:
    /// that is its problem, not what the unexpanded text reads as.
    pub(crate) fn uses_unset_var(&self, path: &str) -> bool {
        deferred(&self.unset, path)
    }

    /// The directory relative paths in the spec (build contexts, layouts) start from.
    pub fn base_dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is {size} bytes; specs larger than {MAX_SPEC_BYTES} bytes are refused")]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{0}")]
    Invalid(Diagnostics),
}

pub fn load(path: &Path, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let read_err = |source| LoadError::Read { path: path.to_path_buf(), source };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_SPEC_BYTES {
        return Err(LoadError::TooLarge { path: path.to_path_buf(), size });
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    load_str(&text, path, opts).map_err(LoadError::Invalid)
}

pub fn load_str(text: &str, file: &Path, opts: &LoadOptions) -> Result<Loaded, Diagnostics> {
    let fail = |problems| Diagnostics::new(file, problems);
    if text.len() as u64 > MAX_SPEC_BYTES {
        let msg = format!("the spec is {} bytes; larger than {MAX_SPEC_BYTES} bytes is refused", text.len());
        return Err(fail(vec![Diagnostic::new("", msg)]));
    }
    if let Some(line) = too_deep(text) {
        let msg = format!("the spec nests `[` or `{{` more than {MAX_NESTING} levels deep");
        return Err(fail(vec![Diagnostic::new("", msg).at(Some(Location { line, column: 1 }))]));
    }
    let positions = LazyPositions::new(text);
    let mut problems = Vec::new();
    let mut doc = match parse(text, &mut problems) {
        Ok(doc) => doc,
        Err(e) => return Err(fail(vec![yaml_error(&e)])),
    };
    if doc.is_null() && problems.is_empty() {
        let d = Diagnostic::new("", "the spec is empty").hint("start with `stack: NAME` and a `services:` map");
        return Err(fail(vec![d]));
    }
    let env = opts.env.map(str::to_string);

    let (mut vars, deferred) = variables(&mut doc, env.as_deref(), opts);
    // A value naming an unset variable is reported as that, not also as what it reads as.
    let unset = vars.unset.clone();
    problems.append(&mut vars.problems);
    for p in &mut problems {
        p.location = positions.get().value(&p.path);
    }

    // Shape: the whole document (every environment), then — with `--env` — the merged one.
    let schema = super::schema();
    let base = Locator { positions: &positions, env: None };
    let mut walker = Walker::new(&schema, base, &vars.whole_vars);
    walker.check_root(&doc);
    problems.extend(walker.problems);
    apply(&mut doc, walker.coercions);
    // Drop what is malformed and read the rest, so validation can report its problems too.
    prune(&mut doc, walker.bad);
    if let Some(name) = &env {
        problems.extend(undeclared_overrides(&mut doc, name, &positions));
        if let Err(d) = apply_environment(&mut doc, name) {
            problems.push(d.at(positions.get().value("environments")));
            return Err(fail(problems));
        }
    }
    if let Value::Object(m) = &mut doc {
        m.remove("environments");
    }
    if let Some(name) = &env {
        let whole_vars =
            vars.whole_vars.iter().filter_map(|p| p.strip_prefix(&format!("environments.{name}.")).map(str::to_string)).collect();
        let mut merged = Walker::new(&schema, Locator { positions: &positions, env: Some(name) }, &whole_vars);
        merged.check_root(&doc);
        problems.extend(merged.problems);
        apply(&mut doc, merged.coercions);
        prune(&mut doc, merged.bad);
    }
    match serde_json::from_value::<Spec>(doc) {
        Ok(spec) => Ok(Loaded { spec, file: file.to_path_buf(), env, positions, problems, deferred, unset }),
        // Only reachable when a shape problem removed a required value: report those.
        Err(_) if !problems.is_empty() => {
            let mut problems = label(problems, &positions, env.as_deref());
            problems.retain(|d| !self::deferred(&deferred, &d.path));
            Err(fail(problems))
        }
        Err(e) => Err(fail(vec![Diagnostic::new("", e.to_string())])),
    }
}

/// The names of the environments a spec's text declares, in file order of their names
/// (none when the text is not YAML: loading it says why).
pub fn environment_names(text: &str) -> Vec<String> {
    let Ok(serde_yaml::Value::Mapping(doc)) = serde_yaml::from_str::<serde_yaml::Value>(text) else { return Vec::new() };
    match doc.get("environments") {
        Some(serde_yaml::Value::Mapping(envs)) => envs.keys().filter_map(|k| k.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// Maps of named entries an environment may change or remove (`NAME: null`) but not add to:
/// a name the base spec does not declare is a typo until proven otherwise.
const DECLARED_IN_BASE: &[(&str, &str)] =
    &[("services", "service"), ("jobs", "job"), ("load_balancers", "load balancer"), ("storage", "storage entry")];

/// Entries `env` overrides that the base spec does not declare: reported at the override,
/// and dropped so the merged spec does not also report them as incomplete entries.
fn undeclared_overrides(doc: &mut Value, env: &str, positions: &LazyPositions) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for (section, what) in DECLARED_IN_BASE {
        let declared: Vec<String> = doc.get(*section).and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        let Some(overrides) = doc.pointer_mut(&format!("/environments/{env}/{section}")).and_then(Value::as_object_mut) else { continue };
        let undeclared: Vec<String> = overrides.keys().filter(|k| !declared.contains(k)).cloned().collect();
        for name in undeclared {
            let removal = overrides.remove(&name).is_some_and(|v| v.is_null());
            let path = format!("environments.{env}.{section}.{name}");
            let verb = if removal { "removes" } else { "overrides" };
            let message = format!("environment `{env}` {verb} {what} `{name}`, which the base spec does not declare");
            let hint = match did_you_mean(&name, declared.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "an environment changes or removes (`{name}: null`) the {section} the base spec declares; to run `{name}` in some environments only, declare it in the base `{section}:` and remove it with `{name}: null` where it should not run"
                ),
            };
            problems.push(Diagnostic::new(path.clone(), message).hint(hint).at(positions.get().key(&path)));
        }
    }
    problems
}

/// Name each problem where the user wrote it: a value `env`'s overrides set (exactly, or as
/// part of a list they replace) is `environments.ENV.PATH`, at that line.
fn label(problems: Vec<Diagnostic>, positions: &LazyPositions, env: Option<&str>) -> Vec<Diagnostic> {
    let Some(env) = env else { return problems };
    let index = positions.get();
    let overridden = |path: &str| {
        let exact = |p: &str| index.exact(&format!("environments.{env}.{p}")).is_some();
        // Maps merge key by key, lists are replaced whole: an item of a replaced list is the
        // environment's.
        exact(path) || ancestors(path).any(|p| p.ends_with(']') && exact(p))
    };
    problems
        .into_iter()
        .map(|mut d| {
            if !d.path.is_empty() && !d.path.starts_with("environments.") && overridden(&d.path) {
                d.path = format!("environments.{env}.{}", d.path);
            }
            d
        })
        .collect()
}

/// Whether a problem at `path` is in a value that uses a deferred variable.
fn deferred(deferred: &[(String, String)], path: &str) -> bool {
    deferred.iter().any(|(p, _)| path == p || path.starts_with(&format!("{p}.")) || path.starts_with(&format!("{p}[")))
}

/// `a.b[2].c` → `a.b[2]`, `a.b`, `a`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| p.rfind(['.', '[']).map(|cut| &p[..cut])).skip(1)
}

/// `${VAR}` in the base and the selected environment (other environments may name variables
/// that are only set where they are deployed), and the values left to the deploy with
/// `defer_unset_vars`.
fn variables<'a>(doc: &mut Value, env: Option<&str>, opts: &LoadOptions<'a>) -> (Interpolation<'a>, Vec<(String, String)>) {
    let mut vars = Interpolation { lookup: opts.vars, problems: Vec::new(), whole_vars: Default::default(), unset: Vec::new() };
    let mut envs = doc.as_object_mut().and_then(|m| m.remove("environments"));
    interpolate(doc, &mut vars, "");
    if let Some(name) = env {
        if let Some(overlay) = envs.as_mut().and_then(|e| e.get_mut(name)) {
            interpolate(overlay, &mut vars, &format!("environments.{name}"));
        }
    }
    if let (Some(m), Some(e)) = (doc.as_object_mut(), envs) {
        m.insert("environments".into(), e);
    }
    let deferred: Vec<(String, String)> = match env {
        Some(name) if opts.defer_unset_vars => {
            vars.unset.iter().filter(|(path, _)| path.starts_with(&format!("environments.{name}."))).cloned().collect()
        }
        _ => Vec::new(),
    };
    vars.problems.retain(|d| !deferred.iter().any(|(path, _)| *path == d.path));
    (vars, deferred)
}

/// The line where flow nesting first exceeds `MAX_NESTING`, if it does. Brackets in quoted
/// strings and comments do not count. A linear scan, run before the parser; deliberately
/// simple — a quote opens only where a scalar can start and ends at its line's end at the
/// latest, so a stray `'` (`don't`) cannot hide what follows.
fn too_deep(text: &str) -> Option<usize> {
    let (mut depth, mut line) = (0usize, 1usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    let mut prev = '\n';
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            comment = false;
            quote = None;
            prev = c;
            continue;
        }
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if comment => {}
            None => match c {
                '\'' | '"' if matches!(prev, '\n' | ' ' | '\t' | ':' | '-' | '[' | '{' | ',') => quote = Some(c),
                '#' if matches!(prev, '\n' | ' ' | '\t') => comment = true,
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Some(line);
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = c;
    }
    None
}

fn yaml_error(e: &serde_yaml::Error) -> Diagnostic {
    let location = e.location().map(|l| Location { line: l.line(), column: l.column() });
    let msg = e.to_string();
    // serde_yaml appends " at line L column C"; the location is shown on its own line.
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    Diagnostic::new("", format!("invalid YAML: {msg}")).at(location)
}

/// YAML → a plain tree, through serde_yaml's own `Value` so that duplicate keys, tags and
/// merge keys are seen (deserialising straight to JSON values would keep the last of two
/// duplicate keys without a word).
fn parse(text: &str, problems: &mut Vec<Diagnostic>) -> Result<Value, serde_yaml::Error> {
    let mut yaml: serde_yaml::Value = serde_yaml::from_str(text)?;
    // `<<: *anchor` merge keys, as YAML 1.1 defines them.
    if let Err(e) = yaml.apply_merge() {
        problems.push(Diagnostic::new("", format!("invalid YAML merge key: {e}")));
    }
    Ok(plain(yaml, "", problems))
}

/// YAML → a plain tree of maps with text keys, lists and scalars. What has no such form (a
/// tag, a list as a key, NaN) is reported at its path and left out.
fn plain(value: serde_yaml::Value, path: &str, problems: &mut Vec<Diagnostic>) -> Value {
    use serde_yaml::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::String(s) => Value::String(s),
        Y::Number(n) => {
            let number = if let Some(i) = n.as_i64() {
                Some(i.into())
            } else if let Some(u) = n.as_u64() {
                Some(u.into())
            } else {
                n.as_f64().and_then(serde_json::Number::from_f64)
            };
            number.map(Value::Number).unwrap_or_else(|| {
                problems.push(Diagnostic::new(path, format!("`{n}` is not a usable number")));
                Value::Null
            })
        }
        Y::Sequence(items) => {
            Value::Array(items.into_iter().enumerate().map(|(i, v)| plain(v, &format!("{path}[{i}]"), problems)).collect())
        }
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => {
                        let what = if other.is_null() { "an empty key" } else { "a key that is not text" };
                        problems.push(Diagnostic::new(path, format!("{what}: keys must be names")));
                        continue;
                    }
                };
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                out.insert(key, plain(v, &child, problems));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let msg = format!("YAML tags such as `{}` are not supported", t.tag);
            problems.push(Diagnostic::new(path, msg).hint("write the plain value; use ${VAR} to take it from the environment"));
            Value::Null
        }
    }
}

fn apply_environment(doc: &mut Value, name: &str) -> Result<(), Diagnostic> {
    let envs = doc.get("environments").and_then(Value::as_object);
    let names: Vec<&str> = envs.map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    let Some(overlay) = envs.and_then(|m| m.get(name)).cloned() else {
        let mut d = Diagnostic::new("environments", format!("no environment named `{name}`"));
        d.hint = Some(match did_you_mean(name, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if names.is_empty() => "this spec defines no `environments:`".into(),
            None => format!("defined: {}", names.join(", ")),
        });
        return Err(d);
    };
    merge(doc, overlay);
    Ok(())
}

/// Deep merge: maps merge key by key, `null` removes a key, anything else replaces.
fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => merge_maps(b, o),
        (b, o) => *b = o,
    }
}

fn merge_maps(base: &mut Map<String, Value>, overlay: Map<String, Value>) {
    for (k, v) in overlay {
        if v.is_null() {
            base.remove(&k);
            continue;
        }
        match base.get_mut(&k) {
            Some(existing) => merge(existing, v),
            None => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_found_outside_quotes_and_comments() {
        assert_eq!(too_deep(&"[".repeat(MAX_NESTING)), None);
        assert_eq!(too_deep(&format!("a: 1\nb: {}", "[".repeat(MAX_NESTING + 1))), Some(2));
        assert_eq!(too_deep(&format!("a: '{}'\n# {}\n", "[".repeat(100), "{".repeat(100))), None);
        assert_eq!(too_deep(&format!("a: \"{}\"", "{".repeat(100))), None);
        // A stray apostrophe or an escaped quote does not hide what follows.
        assert_eq!(too_deep(&format!("d: don't\ns: {}", "{a: ".repeat(100))), Some(2));
        assert_eq!(too_deep(&format!("d: \"a\\\" b\"\ns: {}", "[".repeat(100))), Some(2));
    }

    #[test]
    fn nesting_bombs_are_refused_with_a_location() {
        let opts = LoadOptions { env: None, vars: &|_| None, defer_unset_vars: false };
        let err = load_str(&format!("stack: x\nservices: {}", "{a: ".repeat(50_000)), Path::new("s.yaml"), &opts).expect_err("refused");
        assert_eq!(err.problems[0].location, Some(Location { line: 2, column: 1 }));
        assert!(err.problems[0].message.contains("more than 64 levels"));
    }
}
