//! Progress of long-running commands, three ways over the same events: indicatif spinners
//! on a terminal, plain timestamped lines when not a terminal (or `CI` is set), JSON lines
//! with `--output json`. Progress goes to stderr, except JSON lines, which are the output.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::crowd::{Crowd, Place};
use crate::events::{BlobState, Event, ImageResult, Reporter, ServiceStep};
use crate::human::{mib, plural};

/// The reporter for this run: JSON lines, a terminal, or plain lines. Shared, so that AWS
/// access can tell it of calls waiting to be retried (`Aws::report_to`).
pub fn reporter(json: bool) -> Arc<dyn Reporter> {
    if json {
        return Arc::new(JsonLines);
    }
    if io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
        return Arc::new(Terminal::new());
    }
    Arc::new(Plain)
}

/// Whether a person can answer questions (stdin and stderr are terminals, not CI).
pub fn interactive() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// Ask on stderr, read one line from stdin: the index of the choice it names (any of its
/// words, case-insensitive), or `None` for anything else.
pub fn choose(question: &str, choices: &[&[&str]]) -> Option<usize> {
    let mut stderr = io::stderr().lock();
    let _ = write!(stderr, "{question} ");
    let _ = stderr.flush();
    let mut line = String::new();
    io::stdin().read_line(&mut line).ok()?;
    let given = line.trim();
    choices.iter().position(|words| words.iter().any(|w| w.eq_ignore_ascii_case(given)))
}

/// Ask on stderr, read one line from stdin; true when it is `answer` (case-insensitive for y/yes).
pub fn ask(question: &str, expected: &[&str]) -> bool {
    let mut stderr = io::stderr().lock();
    let _ = write!(stderr, "{question} ");
    let _ = stderr.flush();
    let mut line = String::new();
    if io::stdin().read_line(&mut line).is_err() {
        return false;
    }
    let given = line.trim();
    expected.iter().any(|e| *e == given || (e.len() <= 3 && e.eq_ignore_ascii_case(given)))
}

/// One line of text for an event.
pub fn line(e: &Event) -> String {
    match e {
        Event::Step { message } => message.clone(),
        Event::StackEvent { logical_id, resource_type, status, reason } => {
            let reason = reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            format!("  {logical_id} ({resource_type}) {status}{reason}")
        }
        Event::Stack { stack, result } => format!("  stack {stack}: {result}"),
        Event::TaskDefinition { service, revision, registered } => {
            format!("  {service}: task definition {revision}{}", if *registered { " registered" } else { " (unchanged)" })
        }
        Event::Service { service, action } => format!(
            "  {service}: {}",
            match action {
                ServiceStep::Create => "creating the service",
                ServiceStep::Update => "updating the service",
                ServiceStep::Remove => "removing the service",
                ServiceStep::Unchanged => "service unchanged",
            }
        ),
        Event::Progress { service, running, desired, deployments, rollout } => format!(
            "  {service}: {running}/{desired} running, {deployments} deployment{}{}",
            plural(*deployments),
            rollout.as_deref().map(|r| format!(", {}", r.to_lowercase().replace('_', " "))).unwrap_or_default()
        ),
        Event::ServiceMessage { service, message } => format!("  {service}: ecs: {message}"),
        Event::Rollout { service, outcome, detail } => {
            format!("  {service}: {outcome}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())
        }
        Event::Removed { kind, name } => format!("  removed {kind} {name}"),
        Event::Warning { message } => format!("warning: {message}"),
        Event::Waiting { operation, reason, attempt, attempts, within_ms } => format!(
            "  waiting: {operation} {reason} (attempt {attempt} of {attempts}); trying again within {}",
            humantime::format_duration(Duration::from_millis(*within_ms))
        ),
        Event::TaskLog { task, line } => format!("  {task} | {line}"),
        Event::Traffic { service, blue, green } => format!("  {service}: traffic blue {blue} % / green {green} %"),
        Event::Image { service, reference, digest, result } => match result {
            ImageResult::Present => format!("  {service}: {reference} is in the registry ({digest})"),
            ImageResult::Pushed => format!("  {service}: pushed {reference} ({digest})"),
        },
        Event::Blob { service, digest, size, state } => format!("  {service}: blob {} ({}) {state}", short(digest), mib(*size)),
        Event::BlobProgress { service, digest, sent, size } => {
            format!("  {service}: blob {} {} of {}", short(digest), mib(*sent), mib(*size))
        }
    }
}

fn short(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.get(..12).unwrap_or(hex)
}

struct JsonLines;

impl Reporter for JsonLines {
    fn event(&self, e: &Event) {
        if matches!(e, Event::BlobProgress { .. }) {
            return;
        }
        if let Ok(text) = serde_json::to_string(e) {
            let _ = writeln!(io::stdout().lock(), "{text}");
        }
    }
}

struct Plain;

impl Reporter for Plain {
    fn event(&self, e: &Event) {
        // Blob progress is for terminals; a log gets the start and end of each blob.
        if matches!(e, Event::BlobProgress { .. }) {
            return;
        }
        let now = humantime::format_rfc3339_seconds(SystemTime::now());
        let _ = writeln!(io::stderr().lock(), "{now} {}", line(e));
    }
}

/// Spinners for services being rolled out — or, for a crowd of them, one summary line —
/// and byte bars for blob uploads; every other event is a line above them.
struct Terminal {
    multi: MultiProgress,
    spinners: Mutex<BTreeMap<String, ProgressBar>>,
    transfers: Mutex<BTreeMap<String, ProgressBar>>,
    crowd: Mutex<(Crowd, Option<ProgressBar>)>,
}

impl Terminal {
    fn new() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            spinners: Mutex::new(BTreeMap::new()),
            transfers: Mutex::new(BTreeMap::new()),
            crowd: Mutex::new((Crowd::default(), None)),
        }
    }

    fn spinner(&self, prefix: &str) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("  {spinner} {prefix}: {msg} ({elapsed})").unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(prefix.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    fn bar(&self, service: &str) -> Option<ProgressBar> {
        let mut bars = self.spinners.lock().ok()?;
        Some(bars.entry(service.to_string()).or_insert_with(|| self.spinner(service)).clone())
    }

    /// A byte-count bar for one blob's upload.
    fn transfer(&self, service: &str, digest: &str, size: u64) -> Option<ProgressBar> {
        let mut bars = self.transfers.lock().ok()?;
        let bar = bars.entry(format!("{service} {digest}")).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new(size));
            bar.set_style(
                ProgressStyle::with_template("  {prefix} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_prefix(format!("{service}: blob {}", short(digest)));
            bar
        });
        Some(bar.clone())
    }

    /// Fold an event into the summary line, which replaces the services' spinners.
    fn summarise(&self, crowd: &mut (Crowd, Option<ProgressBar>)) {
        if let Ok(mut spinners) = self.spinners.lock() {
            for (_, bar) in std::mem::take(&mut *spinners) {
                bar.finish_and_clear();
            }
        }
        let summary = crowd.0.summary();
        let bar = crowd.1.get_or_insert_with(|| self.spinner("rollouts"));
        bar.set_message(summary);
    }

    fn blob(&self, e: &Event) -> bool {
        match e {
            Event::Blob { service, digest, size, state: BlobState::Uploading } => {
                if let Some(bar) = self.transfer(service, digest, *size) {
                    bar.set_position(0);
                }
            }
            Event::BlobProgress { service, digest, sent, size } => {
                if let Some(bar) = self.transfer(service, digest, *size) {
                    bar.set_position(*sent);
                }
            }
            Event::Blob { service, digest, state: BlobState::Uploaded, .. } => {
                if let Some(bar) = self.transfers.lock().ok().and_then(|mut b| b.remove(&format!("{service} {digest}"))) {
                    bar.finish_and_clear();
                }
                let _ = self.multi.println(line(e));
            }
            _ => return false,
        }
        true
    }
}

impl Reporter for Terminal {
    fn event(&self, e: &Event) {
        if self.blob(e) {
            return;
        }
        let Ok(mut crowd) = self.crowd.lock() else { return };
        match crowd.0.place(e) {
            Place::Spinner(service) => {
                if let Some(bar) = self.bar(&service) {
                    bar.set_message(line(e).trim_start().trim_start_matches(service.as_str()).trim_start_matches(": ").to_string());
                }
            }
            Place::Summary => self.summarise(&mut crowd),
            Place::Line => {
                if let Event::Rollout { service, .. } = e {
                    if let Some(bar) = self.spinners.lock().ok().and_then(|mut b| b.remove(service)) {
                        bar.finish_and_clear();
                    }
                }
                let _ = self.multi.println(line(e));
                if crowd.0.crowded() {
                    self.summarise(&mut crowd);
                }
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        for bars in [&self.spinners, &self.transfers] {
            if let Ok(bars) = bars.lock() {
                for bar in bars.values() {
                    bar.finish_and_clear();
                }
            }
        }
        if let Ok((crowd, Some(bar))) = self.crowd.lock().as_deref() {
            // The last count stays on screen.
            bar.finish_with_message(crowd.summary());
        }
    }
}
