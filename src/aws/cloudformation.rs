//! The infrastructure stack through CloudFormation: read it, create or update it from a
//! template, wait for it while passing its events on, and say why it failed.
//!
//! A template identical to the deployed one is a no-op without any write (compared with
//! `GetTemplate`, which returns the exact body sent; ecship renders byte-identically).
//! CloudFormation's own "No updates are to be performed" is a no-op too.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::error::SdkError;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, StackStatus, Tag};
use aws_sdk_cloudformation::Client;

use super::{classify, AwsError};

/// The resource type of a nested stack.
pub const NESTED_STACK: &str = "AWS::CloudFormation::Stack";

/// A deployed stack as plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct StackInfo {
    pub name: String,
    pub status: String,
    pub outputs: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    /// When it was created, in seconds since 1970.
    pub created: Option<u64>,
}

impl StackInfo {
    fn in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS")
    }

    /// Take in the outputs of its nested stacks (`skip`: a prefix of outputs meant only for
    /// the root), so what the services need reads as from one stack.
    pub fn merge_outputs(&mut self, nested: &[NestedStack], skip: &str) {
        for n in nested {
            for (k, v) in n.info.outputs.iter().filter(|(k, _)| !k.starts_with(skip)) {
                self.outputs.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A nested stack: its logical id in the root, and its state.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedStack {
    pub logical_id: String,
    /// Its stack id, which names it in every call.
    pub id: String,
    pub info: StackInfo,
}

/// One line of a stack's event stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StackEvent {
    pub id: String,
    /// The resource's logical id; `Services1/SvcWebTargetGroup` for one of a nested stack.
    pub logical_id: String,
    pub physical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
    /// When, in seconds since the epoch.
    pub at: f64,
}

/// A template to create or update a stack from: sent inline, or read by CloudFormation from
/// a URL it was uploaded to (`body` is what was uploaded).
#[derive(Debug, Clone, Copy)]
pub enum TemplateSource<'a> {
    Body(&'a str),
    Url { url: &'a str, body: &'a str },
}

impl<'a> TemplateSource<'a> {
    fn body(&self) -> &'a str {
        match self {
            TemplateSource::Body(b) | TemplateSource::Url { body: b, .. } => b,
        }
    }
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
    pub fn new(aws: &super::Aws) -> Self {
        Self { client: aws.cloudformation(), timeout: Duration::from_secs(3600) }
    }

    /// The stack, or `None` when it does not exist.
    pub async fn describe(&self, name: &str) -> Result<Option<StackInfo>, AwsError> {
        let out = match self.client.describe_stacks().stack_name(name).send().await {
            Ok(out) => out,
            Err(e) if missing(&e) => return Ok(None),
            Err(e) => return Err(classify(&format!("DescribeStacks {name}"), e)),
        };
        Ok(out.stacks().first().map(|s| StackInfo {
            name: s.stack_name().unwrap_or(name).to_string(),
            status: s.stack_status().map(|st| st.as_str().to_string()).unwrap_or_default(),
            outputs: s.outputs().iter().filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string()))).collect(),
            tags: s.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect(),
            created: s.creation_time().and_then(|t| u64::try_from(t.secs()).ok()),
        }))
    }

    /// The nested stacks of a stack that exist, described (concurrently).
    pub async fn nested_stacks(&self, name: &str) -> Result<Vec<NestedStack>, AwsError> {
        let ids = self.nested(name).await?;
        let described = futures_util::future::join_all(ids.iter().map(|(_, id)| self.describe(id))).await;
        let mut out = Vec::new();
        for ((logical_id, id), info) in ids.into_iter().zip(described) {
            if let Some(info) = info? {
                out.push(NestedStack { logical_id, id, info });
            }
        }
        Ok(out)
    }

    /// Stacks whose name starts with `prefix` and that are not deleted (a nested stack is
    /// named `ROOT-LOGICALID-SUFFIX`), with their status.
    pub async fn named_like(&self, prefix: &str) -> Result<Vec<(String, String)>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self.client.list_stacks().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("ListStacks", e))?;
            for s in page.stack_summaries() {
                let status = s.stack_status().map(|st| st.as_str()).unwrap_or("");
                if s.stack_name().is_some_and(|n| n.starts_with(prefix)) && status != StackStatus::DeleteComplete.as_str() {
                    out.push((s.stack_name().unwrap_or("").to_string(), status.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// The nested stacks of a stack: (logical id, stack id), from its resources.
    pub async fn nested(&self, name: &str) -> Result<Vec<(String, String)>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self.client.list_stack_resources().stack_name(name).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(p) => p,
                Err(e) if missing(&e) => return Ok(Vec::new()),
                Err(e) => return Err(classify(&format!("ListStackResources {name}"), e)),
            };
            for r in page.stack_resource_summaries() {
                if r.resource_type() == Some(NESTED_STACK) {
                    if let (Some(logical), Some(physical)) = (r.logical_resource_id(), r.physical_resource_id()) {
                        out.push((logical.to_string(), physical.to_string()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Each resource of a stack, logical id → physical id (none when there is no stack).
    pub async fn physical_ids(&self, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
        let mut out = BTreeMap::new();
        let mut pages = self.client.list_stack_resources().stack_name(name).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(p) => p,
                Err(e) if missing(&e) => return Ok(BTreeMap::new()),
                Err(e) => return Err(classify(&format!("ListStackResources {name}"), e)),
            };
            for r in page.stack_resource_summaries() {
                if let (Some(logical), Some(physical)) = (r.logical_resource_id(), r.physical_resource_id()) {
                    out.insert(logical.to_string(), physical.to_string());
                }
            }
        }
        Ok(out)
    }

    /// The deployed template body, or `None` when the stack does not exist.
    pub async fn template(&self, name: &str) -> Result<Option<String>, AwsError> {
        match self.client.get_template().stack_name(name).send().await {
            Ok(out) => Ok(out.template_body().map(str::to_string)),
            Err(e) if missing(&e) => Ok(None),
            Err(e) => Err(classify(&format!("GetTemplate {name}"), e)),
        }
    }

    /// Create the stack, or update it to `body`, and wait for it; `on_event` sees each new
    /// stack event as it arrives.
    pub async fn apply(
        &self,
        name: &str,
        template: TemplateSource<'_>,
        tags: &BTreeMap<String, String>,
        on_event: &mut dyn FnMut(&StackEvent),
    ) -> Result<Applied, AwsError> {
        let (body, url) = match template {
            TemplateSource::Body(b) => (Some(b), None),
            TemplateSource::Url { url, .. } => (None, Some(url)),
        };
        let tags: Vec<Tag> = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        let stuck = |status: &str, hint| Err(AwsError::StackStuck { stack: name.to_string(), status: status.to_string(), hint });
        let exists = match self.describe(name).await? {
            None => false,
            Some(s) if s.status == "REVIEW_IN_PROGRESS" => return Err(AwsError::StackInReview { stack: name.to_string() }),
            Some(s) if s.in_progress() => return Err(AwsError::StackBusy { stack: name.to_string(), status: s.status }),
            Some(s) if s.status == "ROLLBACK_COMPLETE" || s.status == "CREATE_FAILED" || s.status == "ROLLBACK_FAILED" => {
                return stuck(&s.status, "it never finished creating and can only be deleted — run `ecship destroy`, then deploy again");
            }
            Some(s) if s.status == "DELETE_FAILED" => return stuck(&s.status, "run `ecship destroy` again to finish deleting it"),
            Some(s) if s.status == "UPDATE_ROLLBACK_FAILED" => {
                return stuck(&s.status, "continue the rollback in the CloudFormation console (ContinueUpdateRollback), then deploy again");
            }
            Some(_) => true,
        };
        let since = self.newest_event(name).await?;
        let applied = if exists {
            // A settled stack (CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE) with
            // the same template (tags are part of it) needs nothing: no write at all.
            if self.template(name).await?.as_deref() == Some(template.body()) {
                return Ok(Applied::NoChanges);
            }
            let sent = self
                .client
                .update_stack()
                .stack_name(name)
                .set_template_body(body.map(str::to_string))
                .set_template_url(url.map(str::to_string))
                .capabilities(Capability::CapabilityIam)
                .set_tags(Some(tags))
                .client_request_token(super::client_token())
                .send()
                .await;
            match sent {
                Ok(_) => Applied::Updated,
                Err(e) if e.message().is_some_and(|m| m.contains("No updates are to be performed")) => return Ok(Applied::NoChanges),
                Err(e) => return Err(classify(&format!("UpdateStack {name}"), e)),
            }
        } else {
            let sent = self
                .client
                .create_stack()
                .stack_name(name)
                .set_template_body(body.map(str::to_string))
                .set_template_url(url.map(str::to_string))
                .capabilities(Capability::CapabilityIam)
                .set_tags(Some(tags))
                .client_request_token(super::client_token())
                .send()
                .await;
            sent.map_err(|e| classify(&format!("CreateStack {name}"), e))?;
            Applied::Created
        };
        let (final_status, events) = self.wait(name, since, on_event).await?;
        let ok = match applied {
            Applied::Created => final_status == StackStatus::CreateComplete.as_str(),
            _ => final_status == StackStatus::UpdateComplete.as_str(),
        };
        if ok {
            return Ok(applied);
        }
        Err(AwsError::StackFailed { stack: name.to_string(), status: final_status, failures: failures(&events) })
    }

    /// Set the stack's tags (its template as it is: `UsePreviousTemplate`) and wait for it.
    pub async fn retag(&self, name: &str, tags: &BTreeMap<String, String>, on_event: &mut dyn FnMut(&StackEvent)) -> Result<(), AwsError> {
        let since = self.newest_event(name).await?;
        let tags: Vec<Tag> = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        self.client
            .update_stack()
            .stack_name(name)
            .use_previous_template(true)
            .capabilities(Capability::CapabilityIam)
            .set_tags(Some(tags))
            .client_request_token(super::client_token())
            .send()
            .await
            .map_err(|e| classify(&format!("UpdateStack {name}"), e))?;
        let (status, events) = self.wait(name, since, on_event).await?;
        if status == StackStatus::UpdateComplete.as_str() {
            return Ok(());
        }
        Err(AwsError::StackFailed { stack: name.to_string(), status, failures: failures(&events) })
    }

    /// Delete the stack and wait for it, passing its events on. `Ok(false)` when there was
    /// no stack.
    pub async fn delete(&self, name: &str, on_event: &mut dyn FnMut(&StackEvent)) -> Result<bool, AwsError> {
        let Some(stack) = self.describe(name).await? else { return Ok(false) };
        if stack.in_progress() && stack.status != StackStatus::DeleteInProgress.as_str() {
            return Err(AwsError::StackBusy { stack: name.to_string(), status: stack.status });
        }
        let since = self.newest_event(name).await?;
        if stack.status != StackStatus::DeleteInProgress.as_str() {
            self.client
                .delete_stack()
                .stack_name(name)
                .client_request_token(super::client_token())
                .send()
                .await
                .map_err(|e| classify(&format!("DeleteStack {name}"), e))?;
        }
        let (status, events) = self.wait(name, since, on_event).await?;
        if status == StackStatus::DeleteComplete.as_str() {
            return Ok(true);
        }
        Err(AwsError::StackFailed { stack: name.to_string(), status, failures: failures(&events) })
    }

    /// Mark every resource of the given types `DeletionPolicy: Retain` in the deployed
    /// template (an update with no other change), so deleting the stack keeps them.
    /// Returns how many resources it marked.
    pub async fn retain(&self, name: &str, types: &[&str], on_event: &mut dyn FnMut(&StackEvent)) -> Result<usize, AwsError> {
        let Some(body) = self.template(name).await? else { return Ok(0) };
        let mut doc: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| AwsError::Other(format!("the template of stack {name} is not JSON: {e}")))?;
        let mut marked = 0;
        if let Some(resources) = doc.get_mut("Resources").and_then(|r| r.as_object_mut()) {
            for resource in resources.values_mut() {
                let wanted = resource.get("Type").and_then(|t| t.as_str()).is_some_and(|t| types.contains(&t));
                if wanted && resource.get("DeletionPolicy").and_then(|p| p.as_str()) != Some("Retain") {
                    resource["DeletionPolicy"] = "Retain".into();
                    marked += 1;
                }
            }
        }
        if marked == 0 {
            return Ok(0);
        }
        let since = self.newest_event(name).await?;
        self.client
            .update_stack()
            .stack_name(name)
            .template_body(doc.to_string())
            .capabilities(Capability::CapabilityIam)
            .client_request_token(super::client_token())
            .send()
            .await
            .map_err(|e| classify(&format!("UpdateStack {name}"), e))?;
        let (status, events) = self.wait(name, since, on_event).await?;
        if status != StackStatus::UpdateComplete.as_str() {
            return Err(AwsError::StackFailed { stack: name.to_string(), status, failures: failures(&events) });
        }
        Ok(marked)
    }

    /// Poll until the stack leaves `*_IN_PROGRESS`, passing on the events after `since`;
    /// returns the final status and every event of this operation.
    async fn wait(
        &self,
        name: &str,
        mut since: Option<String>,
        on_event: &mut dyn FnMut(&StackEvent),
    ) -> Result<(String, Vec<StackEvent>), AwsError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(500);
        let mut all = Vec::new();
        let mut nested = Nested::default();
        loop {
            let status = self.describe(name).await?.map(|s| s.status);
            // Events after the status, so none written before the final status is missed.
            let fresh = self.events_since(name, since.as_deref(), None).await?;
            if let Some(last) = fresh.last() {
                since = Some(last.id.clone());
            }
            nested.discover(&fresh);
            let inner = self.nested_events(&mut nested).await?;
            // One story, in the order it happened, root and nested stacks together.
            let start = all.len();
            all.extend(fresh);
            all.extend(inner);
            all[start..].sort_by(|a, b| a.at.total_cmp(&b.at));
            for e in &all[start..] {
                on_event(e);
            }
            match status {
                Some(s) if s.ends_with("_IN_PROGRESS") => {}
                Some(s) => return Ok((s, all)),
                None => return Ok(("DELETE_COMPLETE".into(), all)),
            }
            if started.elapsed() > self.timeout {
                return Err(AwsError::Timeout { what: format!("stack {name}"), waited: started.elapsed() });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// New events of the nested stacks being followed, named with their stack.
    async fn nested_events(&self, nested: &mut Nested) -> Result<Vec<StackEvent>, AwsError> {
        let mut out = Vec::new();
        for (id, followed) in &mut nested.stacks {
            let fresh = self.events_since(id, followed.since.as_deref(), Some(followed.after)).await?;
            if let Some(last) = fresh.last() {
                followed.since = Some(last.id.clone());
            }
            // The nested stack's own status lines are the root's to tell.
            out.extend(
                fresh
                    .into_iter()
                    .filter(|e| e.resource_type != NESTED_STACK)
                    .map(|e| StackEvent { logical_id: format!("{}/{}", followed.logical_id, e.logical_id), ..e }),
            );
        }
        Ok(out)
    }

    /// The id of the stack's newest event, if it has any.
    async fn newest_event(&self, name: &str) -> Result<Option<String>, AwsError> {
        match self.client.describe_stack_events().stack_name(name).send().await {
            Ok(page) => Ok(page.stack_events().first().and_then(|e| e.event_id()).map(str::to_string)),
            Err(e) if missing(&e) => Ok(None),
            Err(e) => Err(classify(&format!("DescribeStackEvents {name}"), e)),
        }
    }

    /// Events newer than the event `since` (all of them without it), oldest first. The API
    /// lists newest first, so paging stops at `since` instead of reading the whole history.
    async fn events_since(&self, name: &str, since: Option<&str>, after: Option<f64>) -> Result<Vec<StackEvent>, AwsError> {
        let mut pages = self.client.describe_stack_events().stack_name(name).into_paginator().send();
        let mut out = Vec::new();
        'pages: while let Some(page) = pages.next().await {
            let page = match page {
                Ok(p) => p,
                Err(e) if missing(&e) => break,
                Err(e) => return Err(classify(&format!("DescribeStackEvents {name}"), e)),
            };
            for e in page.stack_events() {
                let at = e.timestamp().map_or(0.0, |t| t.as_secs_f64());
                if (since.is_some() && e.event_id() == since) || after.is_some_and(|a| at < a) {
                    break 'pages;
                }
                out.push(StackEvent {
                    id: e.event_id().unwrap_or("").to_string(),
                    logical_id: e.logical_resource_id().unwrap_or("").to_string(),
                    physical_id: e.physical_resource_id().unwrap_or("").to_string(),
                    resource_type: e.resource_type().unwrap_or("").to_string(),
                    status: e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    reason: e.resource_status_reason().map(str::to_string),
                    at,
                });
            }
        }
        out.reverse();
        Ok(out)
    }
}

/// Nested stacks whose events a wait passes on with the root's: found by the root's events
/// about them, followed from then on.
#[derive(Default)]
struct Nested {
    /// By stack id.
    stacks: BTreeMap<String, Followed>,
}

struct Followed {
    logical_id: String,
    since: Option<String>,
    /// Events older than the root's first word about the nested stack in this operation
    /// belong to earlier ones.
    after: f64,
}

impl Nested {
    fn discover(&mut self, root_events: &[StackEvent]) {
        for e in root_events.iter().filter(|e| e.resource_type == NESTED_STACK && !e.physical_id.is_empty()) {
            self.stacks.entry(e.physical_id.clone()).or_insert_with(|| Followed {
                logical_id: e.logical_id.clone(),
                since: None,
                after: e.at - 1.0,
            });
        }
    }
}

/// A ValidationError saying the stack does not exist.
fn missing<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.code() == Some("ValidationError") && e.message().is_some_and(|m| m.contains("does not exist"))
}

/// The failed resources of one operation and their reasons, one per line: the causes (a
/// resource, in a nested stack named `Nested/Resource`) before the nested stacks that failed
/// because of them.
fn failures(events: &[StackEvent]) -> String {
    let failed = events.iter().filter(|e| e.status.ends_with("_FAILED"));
    let (stacks, causes): (Vec<&StackEvent>, Vec<&StackEvent>) = failed.partition(|e| e.resource_type == NESTED_STACK);
    causes
        .into_iter()
        .chain(stacks)
        .map(|e| format!("\n  {} ({}): {}: {}", e.logical_id, e.resource_type, e.status, e.reason.as_deref().unwrap_or("")))
        .collect()
}
