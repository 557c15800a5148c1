//! GitHub Actions expressions (`${{ … }}` and `if:`), evaluated as GitHub's runner does, for
//! tests that run `action.yml`'s steps: literals, context paths (`inputs.github-token`,
//! `steps.run.outputs.exit-code`), `!`, `==`, `!=`, `&&`, `||`, parentheses and the status
//! functions. Comparisons follow GitHub's rules: strings compare ignoring case, and values of
//! different types are compared as numbers (`null` and `''` are both 0). Anything else panics,
//! naming what to add here, rather than being read wrongly.
//! <https://docs.github.com/en/actions/reference/workflows-and-actions/expressions>

#![allow(dead_code)]

use serde_json::Value;

/// How the steps before this one ended, for `success()`, `failure()` and `always()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    Failure,
}

/// `text` with every `${{ … }}` replaced by its value, as GitHub does in `env:`, `with:` and
/// `run:` before a step runs.
pub fn interpolate(text: &str, cx: &Value) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").unwrap_or_else(|| panic!("an unclosed expression in {text:?}")) + start;
        out.push_str(&to_text(&evaluate(&rest[start + 3..end], cx, Status::Success)));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A step's `if:`: with no status function, `success() && (…)` as GitHub reads it.
pub fn condition(text: &str, cx: &Value, status: Status) -> bool {
    let text = text.trim();
    let text = text.strip_prefix("${{").and_then(|t| t.strip_suffix("}}")).unwrap_or(text);
    let value = evaluate(text, cx, status);
    let has_status = ["success()", "failure()", "always()", "cancelled()"].iter().any(|f| text.contains(f));
    truthy(&value) && (has_status || status == Status::Success)
}

pub fn evaluate(text: &str, cx: &Value, status: Status) -> Value {
    let tokens = tokenize(text);
    let mut parser = Parser { tokens: &tokens, at: 0, cx, status, text };
    let value = parser.or();
    assert!(parser.at == tokens.len(), "unexpected {:?} in the expression {text:?}", tokens.get(parser.at));
    value
}

/// How GitHub writes a value into text: `null` as nothing, numbers and booleans as words.
pub fn to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) => "Array".into(),
        Value::Object(_) => "Object".into(),
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) if s.trim().is_empty() => 0.0,
        Value::String(s) => s.trim().parse().unwrap_or(f64::NAN),
        Value::Array(_) | Value::Object(_) => f64::NAN,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.to_lowercase() == y.to_lowercase(),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => std::ptr::eq(a, b),
        _ => number(a) == number(b),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Name(String),
    Str(String),
    Num(f64),
    Op(&'static str),
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                assert!(i < chars.len(), "an unclosed string in {text:?}");
                if chars[i] == '\'' && chars.get(i + 1) == Some(&'\'') {
                    s.push('\'');
                    i += 2;
                } else if chars[i] == '\'' {
                    i += 1;
                    break;
                } else {
                    s.push(chars[i]);
                    i += 1;
                }
            }
            out.push(Token::Str(s));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            out.push(Token::Num(s.parse().unwrap_or_else(|_| panic!("the number {s} in {text:?}"))));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '-') {
                i += 1;
            }
            out.push(Token::Name(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let op = ["==", "!=", "&&", "||"]
                .into_iter()
                .find(|o| *o == two)
                .or_else(|| ["!", "(", ")", ".", ","].into_iter().find(|o| o.starts_with(c)));
            let op = op.unwrap_or_else(|| panic!("{c:?} in {text:?}: tests/common/expressions.rs does not read it yet"));
            i += op.len();
            out.push(Token::Op(op));
        }
    }
    out
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    cx: &'a Value,
    status: Status,
    text: &'a str,
}

impl Parser<'_> {
    fn peek_op(&self, op: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Op(o)) if *o == op)
    }

    fn expect_op(&mut self, op: &str) {
        assert!(self.peek_op(op), "expected {op} at token {} of {:?}", self.at, self.text);
        self.at += 1;
    }

    /// `a || b` is `a` when truthy, else `b`.
    fn or(&mut self) -> Value {
        let mut left = self.and();
        while self.peek_op("||") {
            self.at += 1;
            let right = self.and();
            left = if truthy(&left) { left } else { right };
        }
        left
    }

    /// `a && b` is `a` when falsy, else `b`.
    fn and(&mut self) -> Value {
        let mut left = self.comparison();
        while self.peek_op("&&") {
            self.at += 1;
            let right = self.comparison();
            left = if truthy(&left) { right } else { left };
        }
        left
    }

    fn comparison(&mut self) -> Value {
        let left = self.unary();
        for (op, want) in [("==", true), ("!=", false)] {
            if self.peek_op(op) {
                self.at += 1;
                let right = self.unary();
                return Value::Bool(equal(&left, &right) == want);
            }
        }
        left
    }

    fn unary(&mut self) -> Value {
        if self.peek_op("!") {
            self.at += 1;
            return Value::Bool(!truthy(&self.unary()));
        }
        self.primary()
    }

    fn primary(&mut self) -> Value {
        let token = self.tokens.get(self.at).cloned().unwrap_or_else(|| panic!("the expression {:?} ends too soon", self.text));
        self.at += 1;
        match token {
            Token::Str(s) => Value::String(s),
            Token::Num(n) => serde_json::json!(n),
            Token::Op("(") => {
                let v = self.or();
                self.expect_op(")");
                v
            }
            Token::Name(name) if self.peek_op("(") => {
                self.expect_op("(");
                self.expect_op(")");
                Value::Bool(match name.as_str() {
                    "always" => true,
                    "success" => self.status == Status::Success,
                    "failure" => self.status == Status::Failure,
                    "cancelled" => false,
                    other => panic!("the function {other}() in {:?}: tests/common/expressions.rs does not know it yet", self.text),
                })
            }
            Token::Name(name) => self.path(&name),
            Token::Op(op) => panic!("unexpected {op} in {:?}", self.text),
        }
    }

    /// `true`, `false`, `null`, or a context path; a missing property is `null`.
    fn path(&mut self, first: &str) -> Value {
        match first {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            "null" => return Value::Null,
            _ => {}
        }
        let mut value = self.cx.get(first).unwrap_or_else(|| panic!("no context {first} in {:?}", self.text)).clone();
        while self.peek_op(".") {
            self.at += 1;
            let Some(Token::Name(key)) = self.tokens.get(self.at).cloned() else { panic!("a property name after . in {:?}", self.text) };
            self.at += 1;
            value = value.get(&key).cloned().unwrap_or(Value::Null);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_conditions_as_github_does() {
        let cx = serde_json::json!({
            "inputs": { "comment": "true", "github-token": "t1" },
            "github": { "token": "t1", "event_name": "pull_request" },
            "steps": { "run": { "outputs": { "exit-code": "2" } }, "none": { "outputs": {} } },
        });
        let ok = |t: &str| condition(t, &cx, Status::Success);
        assert!(ok("inputs.comment == 'TRUE'"));
        assert!(ok("steps.run.outputs.exit-code != ''"));
        assert!(!ok("steps.none.outputs.exit-code != ''"), "an output never written is null, and null == ''");
        assert!(ok("${{ inputs.github-token == github.token }}"));
        assert!(!ok("steps.cache.outputs.cache-hit == 'true'"));
        assert!(ok("steps.cache.outputs.cache-hit != 'true'"));
        assert!(!condition("inputs.comment == 'true'", &cx, Status::Failure), "success() is implied");
        assert!(condition("always() && inputs.comment == 'true'", &cx, Status::Failure));
        assert_eq!(interpolate("a ${{ steps.run.outputs.exit-code }} b ${{ steps.none.outputs.x }}c", &cx), "a 2 b c");
        assert_eq!(to_text(&evaluate("inputs.comment == 'true' && 'yes' || 'no'", &cx, Status::Success)), "yes");
    }
}
