//! No input makes loading or validation panic: arbitrary bytes, arbitrary YAML-ish text,
//! and random mutations of the example stacks.

use std::path::Path;

use ecship::spec::{load_str, validate, LoadOptions};
use proptest::prelude::*;

fn run(text: &str) {
    let opts = LoadOptions { env: Some("prod"), vars: &|_| None, defer_unset_vars: false };
    if let Ok(loaded) = load_str(text, Path::new("fuzz.yaml"), &opts) {
        if let Ok(model) = validate(&loaded) {
            let _ = ecship::synth::synth(&model).to_json();
        }
    }
    let opts = LoadOptions { env: None, vars: &|_| Some("1".into()), defer_unset_vars: false };
    if let Ok(loaded) = load_str(text, Path::new("fuzz.yaml"), &opts) {
        let _ = validate(&loaded);
    }
}

const MYSFITS: &str = include_str!("../stacks/mysfits.yaml");
const FORUM: &str = include_str!("../stacks/forum.yaml");

fn yamlish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "stack: ",
        "services:\n",
        "  web:\n",
        "    image: ",
        "nginx:1",
        "    port: ",
        "80",
        "-1",
        "99999999999999999999",
        "    routes: [",
        "{ path: /x }",
        "]",
        "    deploy: { strategy: canary, canary: { steps: [",
        "10, 50, 100",
        "] } }",
        "\n",
        "  ",
        ": ",
        "- ",
        "&a ",
        "*a",
        "!tag ",
        "${",
        "${X}",
        "}",
        "[",
        "{",
        "'",
        "\"",
        "~",
        "null",
        "environments:\n  prod:\n",
        "    env: { A: ",
        "${service.web.url}",
        "cpu: 256\n",
        "memory: 512\n",
        "\t",
        "#",
        "\u{0}",
        "é",
        "---\n",
    ]);
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC*") {
        run(&s);
    }

    #[test]
    fn yaml_like_text_never_panics(s in yamlish()) {
        run(&s);
    }

    #[test]
    fn mutated_example_stacks_never_panic(base in prop::sample::select(vec![MYSFITS, FORUM]), at in 0usize..4000, len in 0usize..40, insert in "[ -~\n]{0,12}") {
        let start = base.char_indices().map(|(i, _)| i).rfind(|i| *i <= at).unwrap_or(0);
        let end = base.char_indices().map(|(i, _)| i).find(|i| *i >= start + len).unwrap_or(base.len());
        let mutated = format!("{}{}{}", &base[..start], insert, &base[end..]);
        run(&mutated);
    }
}

#[test]
fn alias_bombs_and_deep_nesting_are_refused_quickly() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        bomb.push_str(&format!(
            "{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n",
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char
        ));
    }
    let started = std::time::Instant::now();
    run(&bomb);
    run(&format!("stack: x\nservices: {}{}", "[".repeat(100_000), "]".repeat(100_000)));
    run(&format!("stack: x\nservices: {}", "{a: ".repeat(50_000)));
    let block: String = (0..1000).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    run(&format!("stack: x\nservices:\n{block}"));
    // Generous bound: a linear-time refusal takes milliseconds; an expansion would take minutes.
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());
}
