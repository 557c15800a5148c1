//! Step 8 of a deploy: revision hygiene. After a successful deploy, each family that got a
//! new revision keeps its newest `deploy.keep_revisions`; older ones are deregistered and
//! deleted (ten a call, across families). A revision any service runs is never touched. Best
//! effort: the deploy itself succeeded, and what is left is pruned by the next one (a
//! revision an interrupted run deregistered but did not delete stays INACTIVE, invisible to
//! ECS, until `destroy` deletes every revision of the stack). One list call per family: a
//! family's revisions cannot be listed with another's.

use std::collections::BTreeSet;

use futures_util::future::join_all;

use crate::aws::ecs::Ecs;
use crate::aws::AwsError;
use crate::events::{Event, Reporter};
use crate::human::plural;
use crate::workload::revision_name;

/// Prune the given families (with how many revisions each keeps) concurrently; returns the
/// revisions deleted, as `family:revision`.
pub async fn revisions(ecs: &Ecs, families: &[(String, u32)], in_use: &BTreeSet<String>, r: &dyn Reporter) -> Vec<String> {
    let done = join_all(families.iter().map(|(family, keep)| family_revisions(ecs, family, *keep, in_use))).await;
    let mut deregistered = Vec::new();
    for (done, (family, keep)) in done.into_iter().zip(families) {
        let old = match done {
            Ok(old) => old,
            Err(e) => {
                r.event(&Event::Warning {
                    message: format!("revisions: old revisions of {family} were not pruned ({e}); the next deploy tries again"),
                });
                continue;
            }
        };
        if !old.is_empty() {
            r.event(&Event::Step {
                message: format!("revisions: {} old revision{} of {family} deleted, the last {keep} kept", old.len(), plural(old.len())),
            });
        }
        deregistered.extend(old);
    }
    if let Err(e) = ecs.delete_task_definitions(&deregistered).await {
        r.event(&Event::Warning { message: format!("revisions: deregistered revisions were not deleted ({e}); `destroy` deletes them") });
    }
    deregistered.iter().map(|a| revision_name(a).to_string()).collect()
}

/// Deregister the family's revisions past the newest `keep`; returns them.
async fn family_revisions(ecs: &Ecs, family: &str, keep: u32, in_use: &BTreeSet<String>) -> Result<Vec<String>, AwsError> {
    let old = prunable(&ecs.revisions(family, true).await?, keep as usize, in_use);
    for arn in &old {
        ecs.deregister(arn).await?;
    }
    Ok(old)
}

/// The revisions of one family (ARNs, any order) to deregister: all but the `keep` newest,
/// and never one in use.
fn prunable(revisions: &[String], keep: usize, in_use: &BTreeSet<String>) -> Vec<String> {
    let number = |arn: &str| revision_name(arn).rsplit_once(':').and_then(|(_, n)| n.parse::<u32>().ok()).unwrap_or(u32::MAX);
    let mut sorted: Vec<&String> = revisions.iter().collect();
    sorted.sort_by_key(|a| std::cmp::Reverse(number(a)));
    sorted.into_iter().skip(keep).filter(|a| !in_use.contains(*a)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_keeps_the_newest_revisions_and_any_in_use() {
        let arn = |n: u32| format!("arn:aws:ecs:us-east-1:1:task-definition/s-web:{n}");
        let all: Vec<String> = [3, 1, 12, 2, 11, 10].into_iter().map(arn).collect();
        let none = BTreeSet::new();
        assert_eq!(prunable(&all, 3, &none), vec![arn(3), arn(2), arn(1)], "by number, not by text or order");
        assert_eq!(prunable(&all, 10, &none), Vec::<String>::new());
        let running = BTreeSet::from([arn(2)]);
        assert_eq!(prunable(&all, 3, &running), vec![arn(3), arn(1)], "a revision a service runs stays");
    }
}
