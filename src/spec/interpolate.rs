//! `${VAR}` and `${VAR:-default}` from the process environment, inside string values.
//!
//! `$${` writes a literal `${`. Names with a dot (`${service.web.url}`) are references
//! between services, left for validation to resolve. Results are always text; the paths of
//! values that were exactly one `${VAR}` are recorded, so the shape check can read
//! `count: ${COUNT}` as a number where the schema wants one — and only there.

use std::collections::HashSet;

use serde_json::Value;

use super::diagnostic::Diagnostic;

/// Replace variables in every string of `value`, in place. Problems name their path.
pub struct Interpolation<'a> {
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
    pub problems: Vec<Diagnostic>,
    /// Paths whose whole value was one `${VAR}`.
    pub whole_vars: HashSet<String>,
    /// Paths that name a variable that is not set, with its name (also in `problems`).
    pub unset: Vec<(String, String)>,
}

pub fn interpolate(value: &mut Value, cx: &mut Interpolation, path: &str) {
    match value {
        Value::String(s) => {
            if !s.contains('$') {
                return;
            }
            match expand(s, cx.lookup) {
                Ok(Expanded { text, whole_var }) => {
                    if whole_var {
                        cx.whole_vars.insert(path.to_string());
                    }
                    *value = Value::String(text);
                }
                Err(e) => {
                    if let InterpolationError::Unset(name) = &e {
                        cx.unset.push((path.to_string(), name.clone()));
                    }
                    cx.problems.push(e.into_diagnostic(path));
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate(item, cx, &format!("{path}[{i}]"));
            }
        }
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let child = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
                interpolate(v, cx, &child);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[derive(Debug, PartialEq)]
pub struct Expanded {
    pub text: String,
    /// The input was exactly one `${VAR}` (so its type may be re-read).
    pub whole_var: bool,
}

#[derive(Debug, PartialEq)]
pub enum InterpolationError {
    Unset(String),
    Unterminated,
    BadName(String),
}

impl InterpolationError {
    fn into_diagnostic(self, path: &str) -> Diagnostic {
        match self {
            Self::Unset(name) => Diagnostic::new(path, format!("environment variable `{name}` is not set"))
                .hint(format!("export {name}=…, or give a default: ${{{name}:-value}}")),
            Self::Unterminated => Diagnostic::new(path, "`${` is not closed by `}`").hint("write `$${` for a literal `${`"),
            Self::BadName(name) => Diagnostic::new(path, format!("`${{{name}}}` is not a valid variable name"))
                .hint("names are letters, digits and `_`, e.g. ${IMAGE_TAG}; references look like ${service.NAME.url}"),
        }
    }
}

pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Expanded, InterpolationError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    let mut vars = 0;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
            continue;
        }
        let Some(body_start) = after.strip_prefix("${") else {
            out.push('$');
            rest = &after[1..];
            continue;
        };
        let end = body_start.find('}').ok_or(InterpolationError::Unterminated)?;
        let body = &body_start[..end];
        rest = &body_start[end + 1..];
        let (name, default) = match body.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (body, None),
        };
        if name.contains('.') && default.is_none() {
            // A reference between services: kept verbatim for validation.
            out.push_str("${");
            out.push_str(body);
            out.push('}');
            continue;
        }
        if !is_var_name(name) {
            return Err(InterpolationError::BadName(body.to_string()));
        }
        vars += 1;
        match (lookup(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(InterpolationError::Unset(name.to_string())),
        }
    }
    out.push_str(rest);
    let trimmed = input.trim();
    let whole_var = vars == 1 && trimmed.starts_with("${") && trimmed.ends_with('}') && trimmed.matches("${").count() == 1;
    Ok(Expanded { text: out, whole_var })
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TAG" => Some("v1".into()),
            "COUNT" => Some("3".into()),
            _ => None,
        }
    }

    fn ok(s: &str) -> String {
        expand(s, &env).map(|e| e.text).unwrap_or_else(|e| format!("ERR {e:?}"))
    }

    #[test]
    fn expands_variables_defaults_and_escapes() {
        let cases = [
            ("repo:${TAG}", "repo:v1"),
            ("${MISSING:-fallback}", "fallback"),
            ("${TAG:-x}-${MISSING:-}", "v1-"),
            ("cost $5", "cost $5"),
            ("$${TAG}", "${TAG}"),
            ("${service.web.url}/x", "${service.web.url}/x"),
        ];
        for (input, want) in cases {
            assert_eq!(ok(input), want, "{input}");
        }
    }

    #[test]
    fn reports_unset_unterminated_and_bad_names() {
        assert_eq!(expand("${NOPE}", &env), Err(InterpolationError::Unset("NOPE".into())));
        assert_eq!(expand("a ${TAG", &env), Err(InterpolationError::Unterminated));
        assert_eq!(expand("${1X}", &env), Err(InterpolationError::BadName("1X".into())));
    }

    #[test]
    fn whole_variables_are_recorded_and_stay_text() {
        let mut v = serde_json::json!({ "count": "${COUNT}", "name": "n${COUNT}" });
        let mut cx = Interpolation { lookup: &env, problems: vec![], whole_vars: HashSet::new(), unset: vec![] };
        interpolate(&mut v, &mut cx, "");
        assert!(cx.problems.is_empty());
        assert_eq!(v["count"], "3");
        assert_eq!(v["name"], "n3");
        assert_eq!(cx.whole_vars, HashSet::from(["count".to_string()]));
    }
}
