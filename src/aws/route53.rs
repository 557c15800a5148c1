//! Route 53 through its API: a hosted zone's id from its name, for a domain the spec gives
//! by name (`load_balancer.domain.zone`). Records themselves are the stack's.

use aws_sdk_route53::Client;

use super::{classify, Aws, AwsError};

/// A hosted zone found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundZone {
    /// Its id without the `/hostedzone/` prefix, as CloudFormation takes it.
    pub id: String,
    pub private: bool,
}

pub struct Route53 {
    client: Client,
}

impl Route53 {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.route53() }
    }

    /// The hosted zones named `name` (public and private may share a name), in the order
    /// Route 53 lists them: `ListHostedZonesByName` starts at the name, so only its first
    /// page's leading entries can match.
    /// https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html
    pub async fn zones_named(&self, name: &str) -> Result<Vec<FoundZone>, AwsError> {
        let wanted = format!("{}.", name.trim_end_matches('.').to_ascii_lowercase());
        let page =
            self.client.list_hosted_zones_by_name().dns_name(&wanted).send().await.map_err(|e| classify("ListHostedZonesByName", e))?;
        Ok(page
            .hosted_zones()
            .iter()
            .filter(|z| z.name().eq_ignore_ascii_case(&wanted))
            .map(|z| FoundZone {
                id: z.id().trim_start_matches("/hostedzone/").to_string(),
                private: z.config().is_some_and(|c| c.private_zone()),
            })
            .collect())
    }
}
