//! `push`: build what needs building, make sure the stack has its repositories (a stack
//! never deployed gets one with only them), then push.

use super::interrupt::{until_interrupted, Ended};
use super::stack;
use crate::aws::cloudformation::{Stacks, TemplateSource};
use crate::aws::ecr::Ecr;
use crate::aws::Aws;
use crate::events::{Event, Reporter};
use crate::image::{self, ImageError, Pending, Pushed};
use crate::model::Model;

/// Push the pending images of `model`'s stack, until Ctrl-C.
pub async fn run(
    aws: &Aws,
    model: &Model,
    pending: Vec<Pending>,
    endpoint: Option<&str>,
    r: &dyn Reporter,
) -> Ended<Result<Vec<Pushed>, ImageError>> {
    until_interrupted(push(aws, model, pending, endpoint, r)).await
}

pub async fn push(
    aws: &Aws,
    model: &Model,
    mut pending: Vec<Pending>,
    endpoint: Option<&str>,
    r: &dyn Reporter,
) -> Result<Vec<Pushed>, ImageError> {
    let _built = image::build_all(model, &mut pending, r).await?;
    repositories(aws, model, &pending, r).await?;
    let target = image::login(aws, endpoint).await?;
    r.event(&Event::Step { message: format!("images: {} to {}", pending.len(), target.registry.endpoint()) });
    image::push_all(model, &target, &pending, r).await
}

/// The stack's repositories for `pending`: a stack with only them when there is no stack yet;
/// a deployed stack must have them already (`deploy` adds a new service's).
async fn repositories(aws: &Aws, model: &Model, pending: &[Pending], r: &dyn Reporter) -> Result<(), ImageError> {
    let stack = model.stack.as_str();
    if Stacks::new(aws).describe(stack).await?.is_none() {
        r.event(&Event::Step { message: format!("infrastructure: stack {stack} with its image repositories only") });
        let body = crate::synth::repositories(model).to_json_compact();
        stack::apply(aws, model, TemplateSource::Body(&body), &[], r).await?;
        return Ok(());
    }
    let existing = Ecr::new(aws).repositories(stack).await?;
    for p in pending {
        let Some(svc) = model.services.get(&p.service) else { continue };
        let repository = image::repository_name(model, svc, p.sidecar.as_deref());
        if !existing.contains(&repository) {
            return Err(ImageError::NoRepository { stack: stack.to_string(), service: svc.name.to_string(), repository });
        }
    }
    Ok(())
}
