//! `action.yml`'s composite steps run in order, as GitHub's runner runs them: inputs with their
//! defaults, `if:` and `${{ … }}` evaluated (tests/common/expressions.rs), each `shell: bash`
//! step run by bash as GitHub runs it (`bash --noprofile --norc -eo pipefail FILE`) with the
//! environment GitHub gives (`GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH`,
//! `GITHUB_STEP_SUMMARY` fresh for each step; `GITHUB_ACTION_PATH`, `RUNNER_*`, the event file),
//! and the files each step writes read back into outputs, environment, PATH and the job
//! summary. A `uses:` step cannot run here: `actions/cache` is played by `Cache` (a miss, its
//! path saved after a successful job as the action's post step does; a hit, its path restored)
//! and any other panics.
//! <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands>

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::{json, Value};

use super::expressions::{condition, interpolate, Status};

#[derive(Deserialize)]
struct ActionFile {
    inputs: BTreeMap<String, Input>,
    outputs: BTreeMap<String, Output>,
    runs: Runs,
}

#[derive(Deserialize)]
struct Input {
    default: Option<String>,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
struct Output {
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Runs {
    using: String,
    steps: Vec<StepDef>,
}

/// Every key a step may have that this runner honours; another one fails the parse rather than
/// being ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepDef {
    name: String,
    id: Option<String>,
    #[serde(rename = "if")]
    if_: Option<String>,
    shell: Option<String>,
    run: Option<String>,
    uses: Option<String>,
    #[serde(default)]
    with: BTreeMap<String, String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
}

/// What actions/cache holds between jobs: a path's content by key.
#[derive(Default)]
pub struct Cache {
    pub entries: BTreeMap<String, (PathBuf, PathBuf)>,
    dir: Option<tempfile::TempDir>,
}

impl Cache {
    fn save(&mut self, key: &str, path: &Path) {
        let dir = self.dir.get_or_insert_with(|| tempfile::tempdir().expect("a cache dir"));
        let copy = dir.path().join(format!("entry-{}", self.entries.len()));
        copy_dir(path, &copy);
        self.entries.insert(key.to_string(), (path.to_path_buf(), copy));
    }

    /// The saved copy of an entry, to tamper with.
    pub fn stored(&self, key: &str) -> &Path {
        &self.entries.get(key).unwrap_or_else(|| panic!("no cache entry {key}: {:?}", self.entries.keys())).1
    }
}

/// A GitHub-hosted job around the action: its workspace, event and caller environment.
pub struct Job {
    pub action_dir: PathBuf,
    pub workspace: PathBuf,
    /// `RUNNER_TEMP` and `RUNNER_TOOL_CACHE` live here, emptied before each run (a fresh VM).
    pub runner_dir: PathBuf,
    /// The workflow's environment and what the runner sets (PATH, HOME, AWS_*, …).
    pub env: BTreeMap<String, String>,
    /// The `github` context: repository, event_name, event, token, action_ref, …
    pub github: Value,
    pub cache: Cache,
}

/// How one step went.
#[derive(Debug)]
pub struct StepRun {
    pub name: String,
    pub ran: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// How the action went: each step, its outputs and the job summary it wrote.
#[derive(Debug)]
pub struct ActionRun {
    pub steps: Vec<StepRun>,
    pub outputs: BTreeMap<String, String>,
    pub step_outputs: BTreeMap<String, BTreeMap<String, String>>,
    pub summary: String,
    pub failed: bool,
}

impl ActionRun {
    pub fn step(&self, name: &str) -> &StepRun {
        self.steps.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no step {name}: {self}"))
    }
}

impl std::fmt::Display for ActionRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for s in &self.steps {
            writeln!(f, "--- {} (ran: {}, exit: {:?})\n{}{}", s.name, s.ran, s.code, s.stdout, s.stderr)?;
        }
        write!(f, "outputs: {:?}\nsummary:\n{}", self.outputs, self.summary)
    }
}

impl Job {
    /// Run the action with `with` as its inputs.
    pub fn run(&mut self, with: &[(&str, &str)]) -> ActionRun {
        let text = std::fs::read_to_string(self.action_dir.join("action.yml")).expect("action.yml");
        let action: ActionFile = serde_yaml::from_str(&text).expect("action.yml as this runner reads it");
        assert_eq!(action.runs.using, "composite");
        let temp = self.fresh_runner();
        let mut cx = json!({ "github": self.github, "runner": self.runner_context(), "steps": {}, "env": {} });
        cx["inputs"] = inputs(&action, with, &cx);
        let (mut env, mut path_prefix) = (self.env.clone(), Vec::<String>::new());
        let mut run =
            ActionRun { steps: Vec::new(), outputs: BTreeMap::new(), step_outputs: BTreeMap::new(), summary: String::new(), failed: false };
        let mut saves = Vec::new();
        for (n, step) in action.runs.steps.iter().enumerate() {
            let status = if run.failed { Status::Failure } else { Status::Success };
            if !condition(step.if_.as_deref().unwrap_or("success()"), &cx, status) {
                run.steps.push(StepRun { name: step.name.clone(), ran: false, code: None, stdout: String::new(), stderr: String::new() });
                continue;
            }
            let files = StepFiles::new(&temp, n);
            let (outputs, result) = match (&step.uses, &step.run) {
                (Some(uses), None) => self.uses(uses, step, &cx, &mut saves),
                (None, Some(script)) => {
                    assert_eq!(step.shell.as_deref(), Some("bash"), "{}: composite run steps name their shell", step.name);
                    let mut step_env = env.clone();
                    for (k, v) in &step.env {
                        step_env.insert(k.clone(), interpolate(v, &cx));
                    }
                    let result = self.bash(&step.name, &interpolate(script, &cx), &step_env, &path_prefix, &files);
                    run.summary.push_str(&std::fs::read_to_string(&files.summary).unwrap_or_default());
                    env.extend(read_pairs(&files.env));
                    path_prefix.splice(0..0, read_lines(&files.path).into_iter().rev());
                    (read_pairs(&files.output), result)
                }
                _ => panic!("{}: a step either runs a script or uses an action", step.name),
            };
            run.failed |= result.code != Some(0);
            if let Some(id) = &step.id {
                let outcome = if result.code == Some(0) { "success" } else { "failure" };
                cx["steps"][id] = json!({ "outputs": outputs, "outcome": outcome, "conclusion": outcome });
                run.step_outputs.insert(id.clone(), outputs);
            }
            run.steps.push(result);
        }
        if !run.failed {
            // actions/cache's post step (`post-if: success()`): save what a miss left to save.
            for (key, path) in saves {
                self.cache.save(&key, &path);
            }
        }
        for (name, output) in &action.outputs {
            run.outputs.insert(name.clone(), interpolate(&output.value, &cx));
        }
        run
    }

    /// A new runner: `RUNNER_TEMP` and `RUNNER_TOOL_CACHE` empty, as on a fresh VM.
    fn fresh_runner(&self) -> PathBuf {
        let _ = std::fs::remove_dir_all(&self.runner_dir);
        for d in ["temp", "tool-cache", "files"] {
            std::fs::create_dir_all(self.runner_dir.join(d)).expect("runner dirs");
        }
        self.runner_dir.join("files")
    }

    fn runner_context(&self) -> Value {
        let (os, arch) = runner_os_arch();
        json!({
            "os": os, "arch": arch, "name": "GitHub Actions 1",
            "temp": self.runner_dir.join("temp"), "tool_cache": self.runner_dir.join("tool-cache"),
        })
    }

    /// `uses:` steps this runner can stand in for.
    fn uses(&self, uses: &str, step: &StepDef, cx: &Value, saves: &mut Vec<(String, PathBuf)>) -> (BTreeMap<String, String>, StepRun) {
        assert!(
            uses.starts_with("actions/cache@"),
            "{}: the test runner cannot run `uses: {uses}`; add a stand-in to tests/common/action_runner.rs",
            step.name
        );
        let key = interpolate(step.with.get("key").expect("a cache key"), cx);
        let path = PathBuf::from(interpolate(step.with.get("path").expect("a cache path"), cx));
        let hit = match self.cache.entries.get(&key) {
            Some((saved_from, copy)) => {
                assert_eq!(saved_from, &path, "actions/cache restores a key to the path it was saved from");
                copy_dir(copy, &path);
                true
            }
            None => {
                saves.push((key.clone(), path));
                false
            }
        };
        let outputs = BTreeMap::from([("cache-hit".to_string(), hit.to_string())]);
        let log = format!("cache {key}: {}\n", if hit { "hit, restored" } else { "miss" });
        (outputs, StepRun { name: step.name.clone(), ran: true, code: Some(0), stdout: log, stderr: String::new() })
    }

    fn bash(&self, name: &str, script: &str, env: &BTreeMap<String, String>, path_prefix: &[String], files: &StepFiles) -> StepRun {
        std::fs::write(&files.script, script).expect("write the step's script");
        let (os, arch) = runner_os_arch();
        let mut path: Vec<String> = path_prefix.to_vec();
        path.push(env.get("PATH").cloned().unwrap_or_default());
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&files.script)
            .current_dir(&self.workspace)
            .env_clear()
            .envs(env)
            .env("PATH", path.join(":"))
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true")
            .env("GITHUB_ACTION_PATH", &self.action_dir)
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_OUTPUT", &files.output)
            .env("GITHUB_ENV", &files.env)
            .env("GITHUB_PATH", &files.path)
            .env("GITHUB_STATE", &files.state)
            .env("GITHUB_STEP_SUMMARY", &files.summary)
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TEMP", self.runner_dir.join("temp"))
            .env("RUNNER_TOOL_CACHE", self.runner_dir.join("tool-cache"))
            .output()
            .unwrap_or_else(|e| panic!("bash runs ({e})"));
        StepRun {
            name: name.to_string(),
            ran: true,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The `RUNNER_OS` and `RUNNER_ARCH` GitHub would give on this machine.
pub fn runner_os_arch() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "macOS",
        other => panic!("no GitHub runner OS for {other}"),
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "X64",
        "aarch64" => "ARM64",
        other => panic!("no GitHub runner architecture for {other}"),
    };
    (os, arch)
}

/// The inputs context: what `with` gives, else each input's default (itself an expression).
fn inputs(action: &ActionFile, with: &[(&str, &str)], cx: &Value) -> Value {
    for (name, _) in with {
        assert!(action.inputs.contains_key(*name), "action.yml has no input {name}");
    }
    let mut out = serde_json::Map::new();
    for (name, input) in &action.inputs {
        let value = match with.iter().find(|(n, _)| n == name) {
            Some((_, v)) => (*v).to_string(),
            None => {
                assert!(!input.required, "the input {name} is required");
                interpolate(input.default.as_deref().unwrap_or(""), cx)
            }
        };
        out.insert(name.clone(), Value::String(value));
    }
    Value::Object(out)
}

/// The script a step runs and the files it writes to talk to the runner.
struct StepFiles {
    script: PathBuf,
    output: PathBuf,
    env: PathBuf,
    path: PathBuf,
    state: PathBuf,
    summary: PathBuf,
}

impl StepFiles {
    fn new(dir: &Path, n: usize) -> Self {
        let file = |kind: &str| {
            let p = dir.join(format!("{kind}-{n}"));
            std::fs::write(&p, "").expect("an empty file command");
            p
        };
        Self {
            script: dir.join(format!("step-{n}.sh")),
            output: file("output"),
            env: file("env"),
            path: file("path"),
            state: file("state"),
            summary: file("summary"),
        }
    }
}

/// `NAME=value` lines and `NAME<<DELIMITER` blocks, as GITHUB_OUTPUT and GITHUB_ENV hold them.
fn read_pairs(file: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        if let Some((name, delimiter)) = line.split_once("<<").filter(|(n, _)| !n.contains('=')) {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            out.insert(name.to_string(), value.join("\n"));
        } else {
            let (name, value) = line.split_once('=').unwrap_or_else(|| panic!("not NAME=value in {}: {line:?}", file.display()));
            out.insert(name.to_string(), value.to_string());
        }
    }
    out
}

fn read_lines(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file).unwrap_or_default().lines().filter(|l| !l.is_empty()).map(String::from).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("create a directory");
    for entry in std::fs::read_dir(from).expect("read a directory") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}
