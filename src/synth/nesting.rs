//! Splitting a template too large for one stack. CloudFormation takes 500 resources a stack;
//! a platform of 100 services needs more. The shared infrastructure — network, cluster, load
//! balancers, roles, logs — and every service's security group (and the rules between them)
//! stay in the root stack; each service's other resources (target groups, rules, task role,
//! repository) live in the root or in one nested stack, `Services1`, `Services2`, ….
//!
//! Where a service lives is sticky: a deployed service stays where it is, so growing never
//! moves anything (a moved target group or rule would be replaced, and its traffic cut).
//! A spec that fits in one stack keeps its one stack; a new service goes to the root while
//! the root has room, else to the first nested stack with room, else to a new one. Budgets
//! keep every stack well under the limits — resources, and the dynamic references test rules
//! hold (60 a template).
//!
//! A nested stack reads what it needs of the root (the VPC, a listener, a security group) as
//! parameters; the root reads what it needs of a nested stack (a repository's ARN, for the
//! execution role) from its outputs. Nested stacks never refer to each other.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::ids::ServiceIds;
use super::limits::{dynamic_references, MAX_DYNAMIC_REFERENCES};
use super::template::Parameter;
use super::{Expr, Output, Resource, Template};
use crate::model::{Colour, Model, ServiceName};

/// A flat template with at most this many resources stays one stack (unless a service of it
/// already lives in a nested stack).
pub const SINGLE_STACK_RESOURCES: usize = 400;
/// How full the root may grow with services' resources, and each nested stack.
pub const ROOT_BUDGET: usize = 350;
pub const NESTED_BUDGET: usize = 150;
/// How many dynamic references (test rules) the services of one stack may hold (CloudFormation
/// resolves 60 a template).
pub const REFERENCE_BUDGET: usize = 50;
/// A nested stack's template stays under this many bytes (CloudFormation takes 1 MB).
pub const NESTED_BYTES: usize = 400_000;
pub const NESTED_TYPE: &str = "AWS::CloudFormation::Stack";

/// Where a service's resources live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slot {
    Root,
    /// The nested stack `Services<N>`.
    Nested(u32),
}

impl Slot {
    /// The logical id of its nested stack in the root.
    pub fn logical_id(self) -> Option<String> {
        match self {
            Slot::Root => None,
            Slot::Nested(n) => Some(format!("Services{n}")),
        }
    }

    /// The slot a nested stack's logical id names.
    pub fn of_logical_id(id: &str) -> Option<Slot> {
        id.strip_prefix("Services")?.parse().ok().map(Slot::Nested)
    }
}

/// Where every service lives.
pub type Placement = BTreeMap<ServiceName, Slot>;

/// The root template and the nested ones, by logical id (`Services1` …).
#[derive(Debug, Clone, PartialEq)]
pub struct Stacks {
    pub root: Template,
    pub nested: BTreeMap<String, Template>,
}

/// The logical ids of a service's resources that may live in a nested stack (all but its
/// security group and the ingress rules between services, which stay in the root), and its
/// output.
pub fn movable_ids(model: &Model, name: &ServiceName) -> Vec<String> {
    let Some(svc) = model.tasks().find(|t| &t.name == name) else { return Vec::new() };
    let ids = ServiceIds::new(&name.logical());
    let mut out = vec![ids.target_group(), ids.green_target_group(), ids.task_role(), ids.repository()];
    out.extend((0..svc.routes.len()).map(|i| ids.rule(i)));
    out.extend([Colour::Blue, Colour::Green].map(|c| ids.test_rule(c.name())));
    // Its signals: its alarms, a job's rule on failed runs.
    out.extend(crate::model::AlarmKind::ALL.map(|k| ids.alarm(k.key())));
    out.extend([ids.alarm(crate::model::signals::JOB_FAILED), ids.failed_rule()]);
    out
}

/// Where each service goes, given where the deployed ones are (`deployed`): a stack has room
/// for a service while both its resources and its dynamic references (one per test rule)
/// stay within budget.
pub fn place(model: &Model, flat: &Template, deployed: &Placement) -> Placement {
    // Each service's movable resources: how many, and their dynamic references.
    let sizes: BTreeMap<&ServiceName, (usize, usize)> = model
        .tasks()
        .map(|t| {
            let ids: Vec<String> = movable_ids(model, &t.name).into_iter().filter(|id| flat.resources.contains_key(id)).collect();
            let refs = ids.iter().filter_map(|id| flat.resources.get(id)).map(dynamic_references).sum();
            (&t.name, (ids.len(), refs))
        })
        .collect();
    let nested_before = deployed.values().any(|s| *s != Slot::Root);
    let all_refs = dynamic_references(&flat.resources);
    if flat.resources.len() <= SINGLE_STACK_RESOURCES && all_refs <= MAX_DYNAMIC_REFERENCES && !nested_before {
        return model.tasks().map(|t| (t.name.clone(), Slot::Root)).collect();
    }
    let size = |n: &ServiceName| sizes.get(n).copied().unwrap_or_default();
    let (moving, moving_refs) = sizes.values().fold((0, 0), |(a, b), (n, r)| (a + n, b + r));
    let mut fill: BTreeMap<Slot, (usize, usize)> = BTreeMap::from([(Slot::Root, (flat.resources.len() - moving, all_refs - moving_refs))]);
    let mut out = Placement::new();
    // Deployed services stay where they are.
    for name in model.tasks().map(|t| &t.name) {
        if let Some(slot) = deployed.get(name) {
            let (n, r) = size(name);
            let used = fill.entry(*slot).or_default();
            *used = (used.0 + n, used.1 + r);
            out.insert(name.clone(), *slot);
        }
    }
    let new: Vec<&ServiceName> = model.tasks().map(|t| &t.name).filter(|n| !out.contains_key(*n)).collect();
    for name in new {
        let (n, r) = size(name);
        let room = |slot: &Slot, (used, refs): (usize, usize)| {
            used + n <= if *slot == Slot::Root { ROOT_BUDGET } else { NESTED_BUDGET } && refs + r <= REFERENCE_BUDGET
        };
        let slot = fill.iter().find(|(slot, used)| room(slot, **used)).map(|(slot, _)| *slot).unwrap_or_else(|| {
            let next = (1..).find(|k| !fill.contains_key(&Slot::Nested(*k))).unwrap_or(1);
            Slot::Nested(next)
        });
        let used = fill.entry(slot).or_default();
        *used = (used.0 + n, used.1 + r);
        out.insert(name.clone(), slot);
    }
    out
}

/// Split `flat` as `placement` says. `url` gives each nested template's URL (where it is
/// uploaded). Everything in the root: the flat template as it is.
pub fn split(model: &Model, flat: &Template, placement: &Placement, url: &dyn Fn(&str, &Template) -> String) -> Stacks {
    let mut home: BTreeMap<String, String> = BTreeMap::new();
    for (name, slot) in placement {
        let Some(stack) = slot.logical_id() else { continue };
        for id in movable_ids(model, name) {
            home.insert(id, stack.clone());
        }
    }
    if home.is_empty() {
        return Stacks { root: flat.clone(), nested: BTreeMap::new() };
    }
    let mut root = Template {
        format_version: flat.format_version,
        description: flat.description.clone(),
        parameters: flat.parameters.clone(),
        resources: BTreeMap::new(),
        outputs: BTreeMap::new(),
        conflicts: flat.conflicts.clone(),
    };
    let mut nested: BTreeMap<String, Nested> = BTreeMap::new();
    for (id, resource) in &flat.resources {
        match home.get(id) {
            Some(stack) => nested.entry(stack.clone()).or_default().resources.push((id.clone(), resource.clone())),
            None => {
                root.resources.insert(id.clone(), resource.clone());
            }
        }
    }
    for (name, output) in &flat.outputs {
        let stack = expr_refs(&output.value).iter().find_map(|id| home.get(id)).cloned();
        match stack {
            Some(stack) => nested.entry(stack).or_default().outputs.push((name.clone(), output.clone())),
            None => {
                root.outputs.insert(name.clone(), output.clone());
            }
        }
    }
    // The root's references into nested stacks go through their outputs.
    let mut exports: BTreeMap<String, BTreeSet<(String, Option<String>)>> = BTreeMap::new();
    for resource in root.resources.values_mut() {
        rewrite_value(&mut resource.properties, &mut |id, attr| {
            let stack = home.get(id)?;
            exports.entry(stack.clone()).or_default().insert((id.to_string(), attr.map(str::to_string)));
            Some(serde_json::json!({ "Fn::GetAtt": [stack, format!("Outputs.{}", export_name(id, attr))] }))
        });
    }
    let mut templates = BTreeMap::new();
    for (stack, parts) in nested {
        let (template, parameters) = parts.template(flat, &home, exports.remove(&stack).unwrap_or_default());
        let properties = serde_json::json!({ "TemplateURL": url(&stack, &template), "Parameters": parameters });
        root.resources.insert(stack.clone(), Resource::raw(NESTED_TYPE, properties));
        templates.insert(stack, template);
    }
    Stacks { root, nested: templates }
}

impl Stacks {
    /// Give each nested stack the URL its template is read from (`url`: where it is uploaded).
    pub fn locate(&mut self, url: &dyn Fn(&str, &Template) -> String) {
        for (name, t) in &self.nested {
            if let Some(props) = self.root.resources.get_mut(name).and_then(|r| r.properties.as_object_mut()) {
                props.insert("TemplateURL".into(), Value::String(url(name, t)));
            }
        }
    }
}

/// A nested stack's share of the flat template, before its references are rewritten.
#[derive(Default)]
struct Nested {
    resources: Vec<(String, Resource)>,
    outputs: Vec<(String, Output)>,
}

impl Nested {
    /// Its template, and the parameters the root passes it (`P…` → the root's intrinsic).
    fn template(
        self,
        flat: &Template,
        home: &BTreeMap<String, String>,
        exports: BTreeSet<(String, Option<String>)>,
    ) -> (Template, BTreeMap<String, Value>) {
        let mut t = Template::new(format!("{} — services' resources", flat.description.split(':').next().unwrap_or("ecship stack")));
        let mut parameters: BTreeMap<String, Value> = BTreeMap::new();
        let mut to_parameter = |id: &str, attr: Option<&str>| -> Option<Value> {
            if home.contains_key(id) {
                return None;
            }
            let name = parameter_name(id, attr);
            let from = match attr {
                None => serde_json::json!({ "Ref": id }),
                Some(a) => serde_json::json!({ "Fn::GetAtt": [id, a] }),
            };
            parameters.insert(name.clone(), from);
            Some(serde_json::json!({ "Ref": name }))
        };
        for (id, mut resource) in self.resources {
            rewrite_value(&mut resource.properties, &mut to_parameter);
            // Ordering on the root's resources is the parameters' to give.
            resource.depends_on.retain(|d| home.contains_key(d));
            t.resources.insert(id, resource);
        }
        for (name, mut output) in self.outputs {
            output.value = rewrite_expr(output.value, &mut to_parameter);
            t.outputs.insert(name, output);
        }
        for (id, attr) in exports {
            let value = match &attr {
                None => Expr::reference(&id),
                Some(a) => Expr::att(&id, a),
            };
            t.outputs.insert(export_name(&id, attr.as_deref()), Output { description: format!("{id} for the root stack"), value });
        }
        for name in parameters.keys() {
            t.parameters.insert(name.clone(), Parameter { kind: "String", description: "From the root stack".into() });
        }
        (t, parameters)
    }
}

/// `P` + the id (+ the attribute): the parameter carrying a root value.
fn parameter_name(id: &str, attr: Option<&str>) -> String {
    format!("P{id}{}", attr.unwrap_or("").replace('.', ""))
}

/// `Export` + the id (+ the attribute): the output carrying a nested value to the root.
fn export_name(id: &str, attr: Option<&str>) -> String {
    format!("{EXPORT_PREFIX}{id}{}", attr.unwrap_or("").replace('.', ""))
}

/// Outputs a nested stack has for the root only.
pub const EXPORT_PREFIX: &str = "Export";

/// The resources an expression refers to.
fn expr_refs(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    let value = serde_json::to_value(e).unwrap_or(Value::Null);
    collect_refs(&value, &mut out);
    out
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    let mut v = v.clone();
    rewrite_value(&mut v, &mut |id, _| {
        out.push(id.to_string());
        None
    });
}

fn rewrite_expr(e: Expr, f: &mut dyn FnMut(&str, Option<&str>) -> Option<Value>) -> Expr {
    let mut value = serde_json::to_value(&e).unwrap_or(Value::Null);
    rewrite_value(&mut value, f);
    Expr::Raw(value)
}

/// Replace each `Ref`, `Fn::GetAtt` and `${…}` of `Fn::Sub` (pseudo-parameters aside) for
/// which `f` gives a value. In a `Sub`, a replaced `${X}` or `${X.A}` becomes a variable of
/// the `Sub` bound to that value.
fn rewrite_value(v: &mut Value, f: &mut dyn FnMut(&str, Option<&str>) -> Option<Value>) {
    match v {
        Value::Object(map) if map.len() == 1 => {
            if let Some(Value::String(id)) = map.get("Ref") {
                if !id.starts_with("AWS::") {
                    if let Some(new) = f(&id.clone(), None) {
                        *v = new;
                    }
                }
                return;
            }
            if let Some(Value::Array(parts)) = map.get("Fn::GetAtt") {
                if let [Value::String(id), Value::String(attr)] = parts.as_slice() {
                    if let Some(new) = f(&id.clone(), Some(&attr.clone())) {
                        *v = new;
                    }
                }
                return;
            }
            if let Some(Value::String(text)) = map.get("Fn::Sub") {
                let (text, bindings) = rewrite_sub(text, f);
                if !bindings.is_empty() {
                    *v = serde_json::json!({ "Fn::Sub": [text, bindings] });
                }
                return;
            }
            map.values_mut().for_each(|x| rewrite_value(x, f));
        }
        Value::Object(map) => map.values_mut().for_each(|x| rewrite_value(x, f)),
        Value::Array(items) => items.iter_mut().for_each(|x| rewrite_value(x, f)),
        _ => {}
    }
}

/// `${X}` / `${X.A}` in a `Sub` text, rewritten to variables where `f` gives a value.
fn rewrite_sub(text: &str, f: &mut dyn FnMut(&str, Option<&str>) -> Option<Value>) -> (String, serde_json::Map<String, Value>) {
    let mut out = String::new();
    let mut bindings = serde_json::Map::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return (out, bindings);
        };
        let name = &after[..end];
        let (id, attr) = match name.split_once('.') {
            Some((i, a)) => (i, Some(a)),
            None => (name, None),
        };
        let replaced = (!name.starts_with("AWS::") && !name.starts_with('!')).then(|| f(id, attr)).flatten();
        match replaced {
            Some(value) => {
                let var = format!("V{}", name.replace('.', ""));
                out.push_str(&format!("${{{var}}}"));
                bindings.insert(var, value);
            }
            None => out.push_str(&format!("${{{name}}}")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    (out, bindings)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::spec::{load_str, validate, LoadOptions};

    fn model(n: usize) -> Model {
        model_with(n, "")
    }

    /// `n` services, each with `extra` (YAML lines of a service).
    fn model_with(n: usize, extra: &str) -> Model {
        let mut spec = String::from("stack: big\nload_balancer: { public: true }\nquotas: { rules_per_load_balancer: 300, target_groups_per_load_balancer: 300 }\nservices:\n");
        for i in 0..n {
            spec.push_str(&format!(
                "  s{i:03}:\n    image: registry.example/s{i:03}:v1\n    port: 80\n    routes: [ {{ path: \"/s{i:03}/*\" }} ]\n{extra}"
            ));
            if i % 5 == 0 && i + 1 < n {
                spec.push_str(&format!("    env: {{ NEXT: \"${{service.s{:03}.url}}\" }}\n", i + 1));
            }
        }
        let opts = LoadOptions { env: None, vars: &|_| None, defer_unset_vars: false };
        validate(&load_str(&spec, Path::new("big.yaml"), &opts).expect("loads")).expect("valid")
    }

    fn url(stack: &str, _: &Template) -> String {
        format!("https://bucket.s3.us-east-1.amazonaws.com/{stack}.json")
    }

    /// Every `Ref`/`GetAtt` target of a template: its resources, parameters, or (in the root)
    /// a nested stack's output.
    fn dangling(t: &Template, nested: &BTreeMap<String, Template>) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |id: &str, attr: Option<&str>| {
            let known = t.resources.contains_key(id) || t.parameters.contains_key(id);
            let output = attr.and_then(|a| a.strip_prefix("Outputs.")).map(|o| nested.get(id).is_some_and(|n| n.outputs.contains_key(o)));
            if !known || output == Some(false) {
                out.push(format!("{id}.{}", attr.unwrap_or("")));
            }
            None
        };
        for r in t.resources.values() {
            let mut v = r.properties.clone();
            rewrite_value(&mut v, &mut check);
        }
        for o in t.outputs.values() {
            let _ = rewrite_expr(o.value.clone(), &mut check);
        }
        out
    }

    #[test]
    fn a_spec_that_fits_keeps_one_stack() {
        let m = model(20);
        let flat = crate::synth::synth(&m);
        let placement = place(&m, &flat, &Placement::new());
        assert!(placement.values().all(|s| *s == Slot::Root));
        assert_eq!(split(&m, &flat, &placement, &url), Stacks { root: flat, nested: BTreeMap::new() });
    }

    #[test]
    fn a_large_spec_is_split_under_the_budgets_with_every_reference_resolved() {
        let m = model(150);
        let flat = crate::synth::synth(&m);
        assert!(flat.resources.len() > 500, "{} resources in one stack would be too many", flat.resources.len());
        let placement = place(&m, &flat, &Placement::new());
        let stacks = split(&m, &flat, &placement, &url);
        assert!(stacks.root.resources.len() <= ROOT_BUDGET + stacks.nested.len(), "root: {}", stacks.root.resources.len());
        assert!(!stacks.nested.is_empty());
        for (name, t) in &stacks.nested {
            assert!(t.resources.len() <= NESTED_BUDGET, "{name}: {}", t.resources.len());
            assert!(t.to_json_compact().len() <= NESTED_BYTES, "{name}");
            assert_eq!(dangling(t, &BTreeMap::new()), Vec::<String>::new(), "{name}");
        }
        assert_eq!(dangling(&stacks.root, &stacks.nested), Vec::<String>::new(), "root");
        // Every resource of the flat template is in exactly one stack.
        let mut all: Vec<&String> = stacks.root.resources.keys().filter(|k| Slot::of_logical_id(k).is_none()).collect();
        all.extend(stacks.nested.values().flat_map(|t| t.resources.keys()));
        all.sort();
        assert_eq!(all, flat.resources.keys().collect::<Vec<_>>());
        // Security groups stay in the root; each service's output is where its resources are.
        for (name, slot) in &placement {
            let ids = ServiceIds::new(&name.logical());
            assert!(stacks.root.resources.contains_key(&ids.security_group()), "{name}");
            let home = slot.logical_id().map_or(&stacks.root, |s| &stacks.nested[&s]);
            assert!(home.resources.contains_key(&ids.task_role()) && home.outputs.contains_key(&ids.output()), "{name}");
        }
    }

    #[test]
    fn a_large_stack_with_signals_keeps_each_service_alarms_beside_its_target_groups() {
        let mut m = model_with(90, "    deploy: { strategy: canary }\n");
        m.signals = Some(crate::model::Signals {
            notify: crate::model::signals::Notify { email: vec!["a@example.com".into()], topic: None, slack: None },
            dashboard: true,
        });
        for svc in m.services.values_mut() {
            svc.alarms = crate::model::AlarmKind::ALL
                .iter()
                .map(|k| crate::model::Alarm { kind: *k, threshold: crate::model::signals::Threshold::Count(1) })
                .collect();
        }
        let flat = crate::synth::synth(&m);
        let placement = place(&m, &flat, &Placement::new());
        let stacks = split(&m, &flat, &placement, &url);
        assert!(!stacks.nested.is_empty());
        for (name, t) in &stacks.nested {
            assert!(t.resources.len() <= NESTED_BUDGET, "{name}: {}", t.resources.len());
            assert_eq!(dangling(t, &BTreeMap::new()), Vec::<String>::new(), "{name}");
        }
        assert_eq!(dangling(&stacks.root, &stacks.nested), Vec::<String>::new(), "root");
        for (name, slot) in &placement {
            let ids = ServiceIds::new(&name.logical());
            let home = slot.logical_id().map_or(&stacks.root, |s| &stacks.nested[&s]);
            assert!(home.resources.contains_key(&ids.target_group()) && home.resources.contains_key(&ids.alarm("errors_5xx")), "{name}");
        }
    }

    #[test]
    fn growing_never_moves_a_deployed_service() {
        let before = model(120);
        let placed = place(&before, &crate::synth::synth(&before), &Placement::new());
        let after = model(140);
        let again = place(&after, &crate::synth::synth(&after), &placed);
        for (name, slot) in &placed {
            assert_eq!(again.get(name), Some(slot), "{name} stays");
        }
        // A stack deployed nested stays nested even once small again.
        let small = model(10);
        let deployed: Placement = small.services.keys().map(|n| (n.clone(), Slot::Nested(1))).collect();
        assert!(place(&small, &crate::synth::synth(&small), &deployed).values().all(|s| *s == Slot::Nested(1)));
    }

    #[test]
    fn test_rules_spread_over_stacks_within_cloudformation_s_60_dynamic_references() {
        // 40 blue/green services: under 400 resources, but 80 test rules, each holding a
        // dynamic reference to the test-route secret.
        let m = model_with(40, "    deploy: { strategy: blue_green, blue_green: { bake: 1m } }\n");
        let flat = crate::synth::synth(&m);
        assert!(flat.resources.len() <= SINGLE_STACK_RESOURCES, "{}", flat.resources.len());
        assert_eq!(dynamic_references(&flat.resources), 80);
        let stacks = split(&m, &flat, &place(&m, &flat, &Placement::new()), &url);
        assert!(!stacks.nested.is_empty(), "one stack would hold too many");
        assert!(dynamic_references(&stacks.root.resources) <= REFERENCE_BUDGET);
        for (name, t) in &stacks.nested {
            assert!(dynamic_references(&t.resources) <= REFERENCE_BUDGET, "{name}");
            assert_eq!(dangling(t, &BTreeMap::new()), Vec::<String>::new(), "{name}: the secret's ARN comes as a parameter");
        }
        assert!(crate::synth::check_limits(&stacks.root, "root").is_empty());
    }

    #[test]
    fn sub_references_become_bound_variables() {
        let (text, bindings) = rewrite_sub("arn:${AWS::Partition}:logs:${LogGroup}:*:${Lb.DNSName}", &mut |id, attr| {
            (id == "LogGroup").then(|| serde_json::json!({ "Ref": format!("P{id}{}", attr.unwrap_or("")) }))
        });
        assert_eq!(text, "arn:${AWS::Partition}:logs:${VLogGroup}:*:${Lb.DNSName}");
        assert_eq!(Value::Object(bindings), serde_json::json!({ "VLogGroup": { "Ref": "PLogGroup" } }));
    }
}
