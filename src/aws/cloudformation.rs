//! The infrastructure stack through CloudFormation: read it, create or update it from a
//! template, wait for it while passing its events on, and say why it failed.
//!
//! A template identical to the deployed one is a no-op without any write (compared with
//! `GetTemplate`, which returns the exact body sent; ecship renders byte-identically).
//! CloudFormation's own "No updates are to be performed" is a no-op too.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, StackStatus, Tag};
use aws_sdk_cloudformation::Client;

use super::{classify, AwsError};

/// A deployed stack as plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct StackInfo {
    pub name: String,
    pub status: String,
    pub outputs: BTreeMap<String, String>,
}

impl StackInfo {
    fn in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS")
    }
}

/// One line of a stack's event stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StackEvent {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Created,
    Updated,
    NoChanges,
}

pub struct Stacks {
    client: Client,
    /// Longest wait for one create or update.
    pub timeout: Duration,
}

impl Stacks {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self { client: Client::new(config), timeout: Duration::from_secs(3600) }
    }

    /// The stack, or `None` when it does not exist.
    pub async fn describe(&self, name: &str) -> Result<Option<StackInfo>, AwsError> {
        let out = match self.client.describe_stacks().stack_name(name).send().await {
            Ok(out) => out,
            // A missing stack is a ValidationError "Stack with id NAME does not exist".
            Err(e) if e.code() == Some("ValidationError") && e.message().is_some_and(|m| m.contains("does not exist")) => return Ok(None),
            Err(e) => return Err(classify(&format!("DescribeStacks {name}"), e)),
        };
        Ok(out.stacks().first().map(|s| StackInfo {
            name: s.stack_name().unwrap_or(name).to_string(),
            status: s.stack_status().map(|st| st.as_str().to_string()).unwrap_or_default(),
            outputs: s.outputs().iter().filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string()))).collect(),
        }))
    }

    /// The deployed template body, or `None` when the stack does not exist.
    pub async fn template(&self, name: &str) -> Result<Option<String>, AwsError> {
        match self.client.get_template().stack_name(name).send().await {
            Ok(out) => Ok(out.template_body().map(str::to_string)),
            Err(e) if e.code() == Some("ValidationError") => Ok(None),
            Err(e) => Err(classify(&format!("GetTemplate {name}"), e)),
        }
    }

    /// Create the stack, or update it to `body`, and wait for it; `on_event` sees each new
    /// stack event as it arrives.
    pub async fn apply(
        &self,
        name: &str,
        body: &str,
        tags: &BTreeMap<String, String>,
        on_event: &mut dyn FnMut(&StackEvent),
    ) -> Result<Applied, AwsError> {
        let tags: Vec<Tag> = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        let seen = self.event_count(name).await?;
        let applied = match self.describe(name).await? {
            Some(s) if s.in_progress() => {
                return Err(AwsError::Other(format!(
                    "stack {name} is busy ({}): another deploy or a rollback is running; wait for it, then run deploy again",
                    s.status
                )))
            }
            Some(s) if s.status == "ROLLBACK_COMPLETE" => {
                return Err(AwsError::Other(format!(
                    "stack {name} failed to create and was rolled back (ROLLBACK_COMPLETE): it can only be deleted — run `ecship destroy`, then deploy again"
                )))
            }
            Some(_) => {
                if self.template(name).await?.as_deref() == Some(body) {
                    return Ok(Applied::NoChanges);
                }
                let sent = self.client.update_stack().stack_name(name).template_body(body).capabilities(Capability::CapabilityIam).set_tags(Some(tags)).send().await;
                match sent {
                    Ok(_) => Applied::Updated,
                    Err(e) if e.message().is_some_and(|m| m.contains("No updates are to be performed")) => return Ok(Applied::NoChanges),
                    Err(e) => return Err(classify(&format!("UpdateStack {name}"), e)),
                }
            }
            None => {
                let sent = self.client.create_stack().stack_name(name).template_body(body).capabilities(Capability::CapabilityIam).set_tags(Some(tags)).send().await;
                sent.map_err(|e| classify(&format!("CreateStack {name}"), e))?;
                Applied::Created
            }
        };
        let final_status = self.wait(name, seen, on_event).await?;
        let ok = match applied {
            Applied::Created => final_status == StackStatus::CreateComplete.as_str(),
            _ => final_status == StackStatus::UpdateComplete.as_str(),
        };
        if ok {
            return Ok(applied);
        }
        let failures = self.failures(name).await?;
        Err(AwsError::Other(format!("stack {name} ended in {final_status}{}", failures)))
    }

    /// Poll until the stack leaves `*_IN_PROGRESS`, passing on events after the first `seen`.
    async fn wait(&self, name: &str, mut seen: usize, on_event: &mut dyn FnMut(&StackEvent)) -> Result<String, AwsError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(500);
        loop {
            let events = self.events(name).await?;
            for e in events.iter().skip(seen) {
                on_event(e);
            }
            seen = seen.max(events.len());
            match self.describe(name).await? {
                Some(s) if s.in_progress() => {}
                Some(s) => return Ok(s.status),
                None => return Ok("DELETED".into()),
            }
            if started.elapsed() > self.timeout {
                return Err(AwsError::Timeout { what: format!("stack {name}"), waited: started.elapsed() });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    async fn event_count(&self, name: &str) -> Result<usize, AwsError> {
        Ok(self.events(name).await?.len())
    }

    /// The stack's events, oldest first (empty for a stack that does not exist).
    async fn events(&self, name: &str) -> Result<Vec<StackEvent>, AwsError> {
        let mut pages = self.client.describe_stack_events().stack_name(name).into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(p) => p,
                Err(e) if e.code() == Some("ValidationError") => return Ok(Vec::new()),
                Err(e) => return Err(classify(&format!("DescribeStackEvents {name}"), e)),
            };
            out.extend(page.stack_events().iter().map(|e| StackEvent {
                logical_id: e.logical_resource_id().unwrap_or("").to_string(),
                resource_type: e.resource_type().unwrap_or("").to_string(),
                status: e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                reason: e.resource_status_reason().map(str::to_string),
            }));
        }
        // The API lists newest first.
        out.reverse();
        Ok(out)
    }

    /// The failed resources and their reasons, one per line, for an error message.
    async fn failures(&self, name: &str) -> Result<String, AwsError> {
        let lines: Vec<String> = self
            .events(name)
            .await?
            .into_iter()
            .filter(|e| e.status.ends_with("_FAILED"))
            .map(|e| format!("\n  {} ({}): {}: {}", e.logical_id, e.resource_type, e.status, e.reason.unwrap_or_default()))
            .collect();
        Ok(lines.concat())
    }
}
