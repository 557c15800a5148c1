//! `${VAR}` and `${VAR:-default}` from the process environment, inside string values.
//!
//! `$${` writes a literal `${`. Names with a dot (`${service.web.url}`) are references
//! between services, left for validation to resolve. A value that is exactly one `${VAR}`
//! is re-read as a scalar, so `count: ${COUNT}` becomes a number.

use serde_json::Value;

use super::diagnostic::Diagnostic;

/// Replace variables in every string of `value`, in place. Problems name their path.
pub fn interpolate(value: &mut Value, lookup: &dyn Fn(&str) -> Option<String>, path: &str, out: &mut Vec<Diagnostic>) {
    match value {
        Value::String(s) => {
            if !s.contains('$') {
                return;
            }
            match expand(s, lookup) {
                Ok(Expanded { text, whole_var }) => {
                    *value = if whole_var { reparse(&text) } else { Value::String(text) };
                }
                Err(e) => out.push(e.into_diagnostic(path)),
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate(item, lookup, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let child = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
                interpolate(v, lookup, &child, out);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A number or boolean substituted for a whole value keeps that type; anything else is text.
fn reparse(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<u64>().map(Value::from))
            .ok()
            .or_else(|| text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number))
            .unwrap_or_else(|| Value::String(text.to_string())),
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
    fn a_whole_variable_keeps_its_yaml_type() {
        let mut v = serde_json::json!({ "count": "${COUNT}", "name": "n${COUNT}" });
        let mut problems = vec![];
        interpolate(&mut v, &env, "", &mut problems);
        assert!(problems.is_empty());
        assert_eq!(v["count"], serde_json::json!(3));
        assert_eq!(v["name"], Value::String("n3".into()));
    }
}
