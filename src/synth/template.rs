//! CloudFormation as typed data: a template of resources and outputs whose values are
//! `Expr`s — literals or intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, …).
//!
//! Maps are `BTreeMap`s and nothing reads a clock or a random source, so the same model
//! always serialises to the same bytes.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// A CloudFormation value.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Expr>),
    Map(BTreeMap<String, Expr>),
    Ref(String),
    GetAtt(String, String),
    Sub(String),
    Join(String, Vec<Expr>),
    Select(u32, Box<Expr>),
    /// `Fn::GetAZs ""`: the region's availability zones.
    GetAzs,
    /// An intrinsic already in its JSON form (a rewritten reference of a nested stack).
    Raw(serde_json::Value),
}

impl Expr {
    pub fn reference(logical_id: &str) -> Self {
        Expr::Ref(logical_id.to_string())
    }
    pub fn att(logical_id: &str, attribute: &str) -> Self {
        Expr::GetAtt(logical_id.to_string(), attribute.to_string())
    }
    pub fn sub(text: impl Into<String>) -> Self {
        Expr::Sub(text.into())
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::Str(s.to_string())
    }
}
impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::Str(s)
    }
}
impl From<&String> for Expr {
    fn from(s: &String) -> Self {
        Expr::Str(s.clone())
    }
}
impl From<u32> for Expr {
    fn from(n: u32) -> Self {
        Expr::Int(i64::from(n))
    }
}
impl From<u16> for Expr {
    fn from(n: u16) -> Self {
        Expr::Int(i64::from(n))
    }
}
impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn single<S: Serializer, V: Serialize + ?Sized>(s: S, key: &str, value: &V) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(key, value)?;
            m.end()
        }
        match self {
            Expr::Str(v) => s.serialize_str(v),
            Expr::Int(n) => s.serialize_i64(*n),
            Expr::Bool(b) => s.serialize_bool(*b),
            Expr::List(items) => items.serialize(s),
            Expr::Map(map) => map.serialize(s),
            Expr::Ref(id) => single(s, "Ref", id),
            Expr::GetAtt(id, attr) => single(s, "Fn::GetAtt", &[id, attr]),
            Expr::Sub(text) => single(s, "Fn::Sub", text),
            Expr::Join(sep, items) => single(s, "Fn::Join", &(sep, items)),
            Expr::Select(i, list) => single(s, "Fn::Select", &(i.to_string(), list)),
            Expr::GetAzs => single(s, "Fn::GetAZs", ""),
            Expr::Raw(v) => v.serialize(s),
        }
    }
}

/// A resource type's properties, serialised in CloudFormation's PascalCase.
pub trait Properties: Serialize {
    const TYPE: &'static str;
}

/// What CloudFormation does with a resource it deletes (`DeletionPolicy`) or replaces
/// (`UpdateReplacePolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Policy {
    /// Left in the account, no longer part of the stack.
    Retain,
    /// A final snapshot taken, then deleted (databases).
    Snapshot,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub properties: serde_json::Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_replace_policy: Option<Policy>,
}

impl Resource {
    /// A resource of `props`' type. One that holds data (`resources::HOLDS_DATA`) is kept
    /// when the stack deletes or replaces it: only an explicit `--allow-data-loss` or
    /// `--delete-data` deletes it, through its own API.
    pub fn new<P: Properties>(props: P) -> Self {
        // Properties are structs of strings, numbers and Exprs: serialising cannot fail.
        let properties = serde_json::to_value(&props).unwrap_or(serde_json::Value::Null);
        let keep = super::resources::holds_data(P::TYPE).then_some(Policy::Retain);
        let replace = keep.map(|k| if super::resources::snapshots_on_replace(P::TYPE) { Policy::Snapshot } else { k });
        Self { kind: P::TYPE, properties, depends_on: Vec::new(), deletion_policy: keep, update_replace_policy: replace }
    }

    /// A resource whose properties are already JSON (a nested stack).
    pub fn raw(kind: &'static str, properties: serde_json::Value) -> Self {
        Self { kind, properties, depends_on: Vec::new(), deletion_policy: None, update_replace_policy: None }
    }

    /// Kept when the stack deletes or replaces it, though it holds no data itself (the key
    /// that data is encrypted with).
    pub fn retained(mut self) -> Self {
        self.deletion_policy = Some(Policy::Retain);
        self.update_replace_policy = Some(Policy::Retain);
        self
    }

    pub fn depends_on(mut self, logical_id: &str) -> Self {
        self.depends_on.push(logical_id.to_string());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    pub description: String,
    pub value: Expr,
}

/// A template parameter (nested stacks take the root's values this way).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    #[serde(rename = "AWSTemplateFormatVersion")]
    pub format_version: &'static str,
    #[serde(rename = "Description")]
    pub description: String,
    #[serde(rename = "Parameters", skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Parameter>,
    #[serde(rename = "Resources")]
    pub resources: BTreeMap<String, Resource>,
    #[serde(rename = "Outputs")]
    pub outputs: BTreeMap<String, Output>,
    /// Logical ids or output names added twice (two service names that map to the same
    /// id); the pipeline refuses a template with any.
    #[serde(skip)]
    pub conflicts: Vec<String>,
}

impl Template {
    pub fn new(description: String) -> Self {
        Self {
            format_version: "2010-09-09",
            description,
            parameters: BTreeMap::new(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            conflicts: Vec::new(),
        }
    }

    pub fn add(&mut self, logical_id: impl Into<String>, resource: Resource) {
        let id = logical_id.into();
        if self.resources.insert(id.clone(), resource).is_some() {
            self.conflicts.push(id);
        }
    }

    pub fn output(&mut self, name: impl Into<String>, description: impl Into<String>, value: Expr) {
        let name = name.into();
        if self.outputs.insert(name.clone(), Output { description: description.into(), value }).is_some() {
            self.conflicts.push(name);
        }
    }

    /// Pretty JSON, the form `render` shows.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Compact JSON, the form sent to CloudFormation (and measured against its size limit).
    pub fn to_json_compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// YAML for people: strings a YAML 1.1 reader would retype are quoted.
    pub fn to_yaml(&self) -> String {
        super::yaml::to_yaml(&serde_json::to_value(self).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intrinsics_serialise_in_cloudformation_form() {
        let e = Expr::List(vec![
            Expr::reference("Vpc"),
            Expr::att("Lb", "DNSName"),
            Expr::sub("http://${Lb.DNSName}"),
            Expr::Join(",".into(), vec!["a".into(), Expr::reference("B")]),
            Expr::Select(1, Box::new(Expr::GetAzs)),
        ]);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"[{"Ref":"Vpc"},{"Fn::GetAtt":["Lb","DNSName"]},{"Fn::Sub":"http://${Lb.DNSName}"},{"Fn::Join":[",",["a",{"Ref":"B"}]]},{"Fn::Select":["1",{"Fn::GetAZs":""}]}]"#
        );
    }
}
