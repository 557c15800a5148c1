//! ELBv2 through its API: load balancers and target groups tagged for a stack (what a
//! teardown must not leave behind).

use aws_sdk_elasticloadbalancingv2::Client;

use super::{classify, Aws, AwsError};
use crate::workload::STACK_TAG;

pub struct Elbv2 {
    client: Client,
}

impl Elbv2 {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.elbv2() }
    }

    /// ARNs of load balancers and target groups whose `ecship:stack` tag is `stack`.
    pub async fn tagged(&self, stack: &str) -> Result<Vec<String>, AwsError> {
        let mut arns = Vec::new();
        let mut lbs = self.client.describe_load_balancers().into_paginator().send();
        while let Some(page) = lbs.next().await {
            arns.extend(
                page.map_err(|e| classify("DescribeLoadBalancers", e))?
                    .load_balancers()
                    .iter()
                    .filter_map(|l| l.load_balancer_arn())
                    .map(str::to_string),
            );
        }
        let mut tgs = self.client.describe_target_groups().into_paginator().send();
        while let Some(page) = tgs.next().await {
            arns.extend(
                page.map_err(|e| classify("DescribeTargetGroups", e))?
                    .target_groups()
                    .iter()
                    .filter_map(|t| t.target_group_arn())
                    .map(str::to_string),
            );
        }
        let mut out = Vec::new();
        // DescribeTags takes 20 ARNs a call.
        for batch in arns.chunks(20) {
            let described = self
                .client
                .describe_tags()
                .set_resource_arns(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| classify("DescribeTags", e))?;
            for d in described.tag_descriptions() {
                if d.tags().iter().any(|t| t.key() == Some(STACK_TAG) && t.value() == Some(stack)) {
                    out.extend(d.resource_arn().map(str::to_string));
                }
            }
        }
        Ok(out)
    }
}
