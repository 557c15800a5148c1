//! Shape checks of a YAML document against the spec's JSON Schema, reporting every problem.
//!
//! serde stops at the first unknown key or wrong type; this walker visits the whole document
//! and reports each one with its path and a did-you-mean. The schema is the one `ecship
//! schema` publishes, so editors and ecship agree on what is valid.

use serde_json::Value as Json;
use serde_json::Value;

use std::collections::HashSet;

use super::diagnostic::{did_you_mean, Diagnostic};
use super::positions::Locator;

pub struct Walker<'a> {
    root: &'a Json,
    at: Locator<'a>,
    /// Paths whose value was one `${VAR}`: text that may be read as a number or boolean.
    whole_vars: &'a HashSet<String>,
    pub problems: Vec<Diagnostic>,
    /// Values to replace before deserialising: `${VAR}` text read as the type the schema wants.
    pub coercions: Vec<(Vec<Seg>, Value)>,
    /// Where the problems are, as key/index paths, so the caller can prune them and still
    /// validate the rest of the document.
    pub bad: Vec<Vec<Seg>>,
    segs: Vec<Seg>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl<'a> Walker<'a> {
    pub fn new(root: &'a Json, at: Locator<'a>, whole_vars: &'a HashSet<String>) -> Self {
        Self { root, at, whole_vars, problems: Vec::new(), coercions: Vec::new(), bad: Vec::new(), segs: Vec::new() }
    }

    fn sub(&self) -> Self {
        Self {
            root: self.root,
            at: self.at,
            whole_vars: self.whole_vars,
            problems: Vec::new(),
            coercions: Vec::new(),
            bad: Vec::new(),
            segs: self.segs.clone(),
        }
    }

    /// Check `value` against the root schema.
    pub fn check_root(&mut self, value: &Value) {
        self.check(value, self.root, "");
    }

    fn resolve(&self, mut schema: &'a Json) -> &'a Json {
        // `#/$defs/Name` references only; schemars emits nothing else.
        for _ in 0..32 {
            let Some(r) = schema.get("$ref").and_then(Json::as_str) else { break };
            let Some(name) = r.strip_prefix("#/$defs/") else { break };
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(s) => schema = s,
                None => break,
            }
        }
        schema
    }

    fn problem(&mut self, path: &str, message: String, hint: Option<String>) {
        let mut d = Diagnostic::new(path, message).at(self.at.value(path));
        d.hint = hint;
        self.problems.push(d);
        self.bad.push(self.segs.clone());
    }

    fn check(&mut self, value: &Value, schema: &'a Json, path: &str) {
        let schema = self.resolve(schema);
        // In environment overrides, `null` as a map value removes the key.
        if value.is_null() && path.starts_with("environments.") && !path.ends_with(']') {
            return;
        }
        if let Some(variants) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Json::as_array) {
            self.check_variants(value, variants, path);
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Json::as_array) {
            self.check_enum(value, allowed, path);
            return;
        }
        let types = schema_types(schema);
        if let (Value::String(text), false) = (value, types.is_empty() || types.contains(&"string")) {
            if self.scalar_from_text(text, &types, schema, path) {
                return;
            }
        }
        if !types.is_empty() && !types.iter().any(|t| kind_matches(value, t)) {
            let expected =
                types.iter().filter(|t| types.len() == 1 || **t != "null").map(|t| type_phrase(t)).collect::<Vec<_>>().join(" or ");
            self.problem(path, format!("expected {expected}, found {}", value_phrase(value)), None);
            return;
        }
        match value {
            Value::Object(map) => self.check_map(map, schema, path),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.segs.push(Seg::Index(i));
                        self.check(item, item_schema, &format!("{path}[{i}]"));
                        self.segs.pop();
                    }
                }
            }
            Value::Number(n) => self.check_bounds(n, schema, path),
            _ => {}
        }
    }

    fn check_variants(&mut self, value: &Value, variants: &'a [Json], path: &str) {
        // The common case (an optional field: `T` or null) has one candidate: check in place.
        let mut fitting = variants.iter().map(|v| self.resolve(v)).filter(|v| variant_accepts_kind(v, value));
        if let (Some(only), None) = (fitting.next(), fitting.next()) {
            self.check(value, only, path);
            return;
        }
        let mut best: Option<(Vec<Diagnostic>, Vec<Vec<Seg>>)> = None;
        let mut any_kind_matched = false;
        for v in variants {
            let resolved = self.resolve(v);
            if !variant_accepts_kind(resolved, value) {
                continue;
            }
            any_kind_matched = true;
            let mut sub = self.sub();
            sub.check(value, resolved, path);
            if sub.problems.is_empty() {
                self.coercions.extend(sub.coercions);
                return;
            }
            if best.as_ref().is_none_or(|(b, _)| sub.problems.len() < b.len()) {
                best = Some((sub.problems, sub.bad));
            }
        }
        match best {
            Some((problems, bad)) if any_kind_matched => {
                self.problems.extend(problems);
                self.bad.extend(bad);
            }
            _ => {
                let expected: Vec<String> = variants
                    .iter()
                    .map(|v| self.resolve(v))
                    .flat_map(|v| schema_types(v).into_iter().map(|t| type_phrase(t).to_string()))
                    .filter(|p| *p != "nothing")
                    .collect();
                let expected = dedup(expected).join(" or ");
                self.problem(path, format!("expected {expected}, found {}", value_phrase(value)), None);
            }
        }
    }

    /// Text where the schema wants a number or boolean: a `${VAR}` value is read as one; text
    /// still holding `${` (in an environment not selected now) is checked when selected.
    /// Returns whether the value is settled (accepted, or reported here).
    fn scalar_from_text(&mut self, text: &str, types: &[&str], schema: &Json, path: &str) -> bool {
        if text.contains("${") {
            return true;
        }
        if !self.whole_vars.contains(path) {
            return false;
        }
        let parsed = types.iter().find_map(|t| match *t {
            "integer" => text.parse::<i64>().ok().map(Value::from).or_else(|| text.parse::<u64>().ok().map(Value::from)),
            "number" => text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number),
            "boolean" => text.parse::<bool>().ok().map(Value::Bool),
            _ => None,
        });
        match parsed {
            Some(v) => {
                if let Value::Number(n) = &v {
                    self.check_bounds(n, schema, path);
                }
                self.coercions.push((self.segs.clone(), v));
            }
            None => {
                let expected = types.iter().filter(|t| **t != "null").map(|t| type_phrase(t)).collect::<Vec<_>>().join(" or ");
                self.problem(path, format!("expected {expected}, but the environment variable gives other text"), None);
            }
        }
        true
    }

    fn check_enum(&mut self, value: &Value, allowed: &[Json], path: &str) {
        let names: Vec<&str> = allowed.iter().filter_map(Json::as_str).collect();
        let given = match value {
            Value::String(s) => s.as_str(),
            Value::Null if allowed.iter().any(Json::is_null) => return,
            other => {
                let msg = format!("expected one of {}, found {}", names.join(", "), value_phrase(other));
                self.problem(path, msg, None);
                return;
            }
        };
        if names.contains(&given) {
            return;
        }
        let hint = did_you_mean(given, names.iter().copied()).map(|s| format!("did you mean `{s}`?"));
        self.problem(path, format!("`{given}` is not one of {}", names.join(", ")), hint);
    }

    fn check_map(&mut self, map: &serde_json::Map<String, Value>, schema: &'a Json, path: &str) {
        let props = schema.get("properties").and_then(Json::as_object);
        let extra = schema.get("additionalProperties");
        let before = self.problems.len();
        for (key, v) in map {
            let child = join(path, key);
            self.segs.push(Seg::Key(key.to_string()));
            self.check_entry(key, v, &child, props, extra);
            self.segs.pop();
        }
        // A misspelt key (`servics`) is reported with its did-you-mean; not also as missing.
        let suggested: HashSet<String> = self.problems[before..]
            .iter()
            .filter_map(|d| d.hint.as_deref()?.strip_prefix("did you mean `")?.strip_suffix("`?").map(str::to_string))
            .collect();
        let required = schema.get("required").and_then(Json::as_array).into_iter().flatten();
        for key in required.filter_map(Json::as_str).filter(|k| !suggested.contains(*k)) {
            if !map.contains_key(key) {
                self.problem(path, format!("missing required key `{key}`"), None);
            }
        }
    }

    fn check_entry(
        &mut self,
        key: &str,
        v: &Value,
        child: &str,
        props: Option<&'a serde_json::Map<String, Json>>,
        extra: Option<&'a Json>,
    ) {
        {
            if let Some(s) = props.and_then(|p| p.get(key)) {
                self.check(v, s, child);
                return;
            }
            match extra {
                Some(Json::Bool(false)) => {
                    let known: Vec<&str> = props.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
                    let hint = match did_you_mean(key, known.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("known keys here: {}", known.join(", ")),
                    };
                    let mut d = Diagnostic::new(child, format!("unknown key `{key}`")).hint(hint);
                    d.location = self.at.key(child);
                    self.problems.push(d);
                    self.bad.push(self.segs.clone());
                }
                Some(s @ Json::Object(_)) => self.check(v, s, child),
                _ => {}
            }
        }
    }

    fn check_bounds(&mut self, n: &serde_json::Number, schema: &Json, path: &str) {
        let Some(x) = n.as_f64() else { return };
        let min = schema.get("minimum").and_then(Json::as_f64);
        // Unsigned fields carry only `minimum: 0`; their width is in `format`.
        let width = match schema.get("format").and_then(Json::as_str) {
            Some("uint8") => Some(f64::from(u8::MAX)),
            Some("uint16") => Some(f64::from(u16::MAX)),
            Some("uint32") => Some(f64::from(u32::MAX)),
            _ => None,
        };
        let max = schema.get("maximum").and_then(Json::as_f64).or(width);
        let range = match (min, max) {
            (Some(a), Some(b)) if x < a || x > b => format!("between {a} and {b}"),
            (Some(a), None) if x < a => format!("at least {a}"),
            (None, Some(b)) if x > b => format!("at most {b}"),
            _ => return,
        };
        self.problem(path, format!("{n} is out of range: must be {range}"), None);
    }
}

/// Replace the values at `paths`.
pub fn apply(doc: &mut Value, coercions: Vec<(Vec<Seg>, Value)>) {
    for (path, value) in coercions {
        if let Some(slot) = walk_mut(doc, &path) {
            *slot = value;
        }
    }
}

/// Remove the values at `paths` (innermost first), so the rest of a document with shape
/// problems can still be read and validated.
pub fn prune(doc: &mut Value, mut paths: Vec<Vec<Seg>>) {
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for path in paths {
        let Some((last, parents)) = path.split_last() else {
            *doc = Value::Null;
            continue;
        };
        let Some(node) = walk_mut(doc, parents) else { continue };
        match (last, node) {
            (Seg::Key(k), Value::Object(m)) => {
                m.remove(k.as_str());
            }
            // Keep indexes stable for the other paths: blank the item instead of removing it.
            (Seg::Index(i), Value::Array(s)) => {
                if let Some(item) = s.get_mut(*i) {
                    *item = Value::Null;
                }
            }
            _ => {}
        }
    }
}

fn walk_mut<'v>(mut node: &'v mut Value, segs: &[Seg]) -> Option<&'v mut Value> {
    for seg in segs {
        node = match (seg, node) {
            (Seg::Key(k), Value::Object(m)) => m.get_mut(k.as_str())?,
            (Seg::Index(i), Value::Array(s)) => s.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|s| seen.insert(s.clone()));
    v
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn schema_types(schema: &Json) -> Vec<&str> {
    match schema.get("type") {
        Some(Json::String(s)) => vec![s.as_str()],
        Some(Json::Array(a)) => a.iter().filter_map(Json::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ if schema.get("enum").is_some() => vec!["string"],
        _ => vec![],
    }
}

fn variant_accepts_kind(schema: &Json, value: &Value) -> bool {
    let types = schema_types(schema);
    types.is_empty() || types.iter().any(|t| kind_matches(value, t))
}

fn kind_matches(value: &Value, ty: &str) -> bool {
    match (ty, value) {
        ("null", Value::Null) => true,
        ("boolean", Value::Bool(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("number", Value::Number(_)) => true,
        ("string", Value::String(_)) => true,
        ("array", Value::Array(_)) => true,
        ("object", Value::Object(_)) => true,
        _ => false,
    }
}

fn type_phrase(ty: &str) -> &'static str {
    match ty {
        "null" => "nothing",
        "boolean" => "true or false",
        "integer" => "a whole number",
        "number" => "a number",
        "string" => "text",
        "array" => "a list",
        "object" => "a map",
        _ => "a value",
    }
}

fn value_phrase(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "text".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}
