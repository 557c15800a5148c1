//! The template as YAML, for people to read and commit.
//!
//! Written from the JSON tree rather than by a YAML library: YAML 1.1 readers (cfn-lint,
//! and CloudFormation's own) take plain `yes`, `on`, `no` or `2024-01-01` as booleans and
//! dates, so any string that is not plainly a string is double-quoted (JSON escapes are valid
//! YAML). Intrinsics stay in their long form (`Fn::Sub:`), which every reader understands.

use std::fmt::Write;

use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => map(&mut out, m, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) {
    // A resource reads `Type` first, as in the JSON form; everything else is sorted.
    let resource = m.contains_key("Type") && m.contains_key("Properties");
    let entries = m.iter().filter(|(k, _)| resource && *k == "Type").chain(m.iter().filter(|(k, _)| !(resource && *k == "Type")));
    for (k, v) in entries {
        let _ = write!(out, "{:indent$}{}:", "", key(k));
        node(out, v, indent);
    }
}

/// After `key:` or `-`: a scalar on the same line, a collection below.
fn node(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            map(out, m, indent + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            for item in a {
                let _ = write!(out, "{:indent$}-", "");
                match item {
                    // A map in a list starts on the dash's line: `- Key: value`.
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        map(&mut inner, m, indent + 2);
                        out.push(' ');
                        out.push_str(inner.trim_start());
                    }
                    other => node(out, other, indent + 2),
                }
            }
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn key(k: &str) -> String {
    if plain(k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if plain(s) => s.clone(),
        Value::String(s) => quoted(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A string every YAML reader (1.1 and 1.2) takes as that same string when written plain.
fn plain(s: &str) -> bool {
    const WORDS: [&str; 12] = ["y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "nan", "inf"];
    let first = s.chars().next();
    first.is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./:@*?$".contains(c))
        && !s.contains(": ")
        && !s.ends_with(':')
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ambiguous_strings_are_quoted() {
        let v = json!({ "a": "yes", "b": "On", "c": "2024-01-01", "d": "10", "e": "plain-text", "f": "/path/*", "g": "", "h": "a: b", "i": "x #y" });
        let y = to_yaml(&v);
        assert_eq!(
            y,
            "a: \"yes\"\nb: \"On\"\nc: \"2024-01-01\"\nd: \"10\"\ne: plain-text\nf: /path/*\ng: \"\"\nh: \"a: b\"\ni: \"x #y\"\n"
        );
    }

    #[test]
    fn reads_back_as_the_same_tree() {
        let v = json!({ "Resources": { "R": { "Type": "AWS::X::Y", "Properties": { "L": [ { "Key": "k", "Value": "on" }, "s", 3, [], {} ], "E": {}, "B": true, "S": { "Fn::Sub": "http://${Lb.DNSName}:8443" } } } } });
        let back: Value = serde_yaml::from_str(&to_yaml(&v)).expect("valid YAML");
        assert_eq!(back, v);
    }
}
