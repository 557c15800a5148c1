//! CloudFormation logical ids. Stack-wide ones are constants; a service's are prefixed
//! `Svc` + its CamelCase name, so no service name can collide with a stack-wide id.

pub const VPC: &str = "Vpc";
pub const INTERNET_GATEWAY: &str = "InternetGateway";
pub const GATEWAY_ATTACHMENT: &str = "InternetGatewayAttachment";
pub const PUBLIC_ROUTE_TABLE: &str = "PublicRouteTable";
pub const CLUSTER: &str = "Cluster";
pub const LOG_GROUP: &str = "LogGroup";
pub const NAMESPACE: &str = "ServiceConnectNamespace";
pub const LB: &str = "LoadBalancer";
pub const LB_SECURITY_GROUP: &str = "LoadBalancerSecurityGroup";
pub const HTTP_LISTENER: &str = "HttpListener";
pub const HTTPS_LISTENER: &str = "HttpsListener";
pub const EXECUTION_ROLE: &str = "ExecutionRole";

pub fn public_subnet(i: usize) -> String {
    format!("PublicSubnet{}", i + 1)
}
pub fn private_subnet(i: usize) -> String {
    format!("PrivateSubnet{}", i + 1)
}

/// Ids of one service's resources.
pub struct ServiceIds {
    prefix: String,
}

impl ServiceIds {
    pub fn new(service_logical: &str) -> Self {
        Self { prefix: format!("Svc{service_logical}") }
    }
    pub fn security_group(&self) -> String {
        format!("{}SecurityGroup", self.prefix)
    }
    /// The service's target group; the blue one of a canary or blue/green service.
    pub fn target_group(&self) -> String {
        format!("{}TargetGroup", self.prefix)
    }
    pub fn green_target_group(&self) -> String {
        format!("{}GreenTargetGroup", self.prefix)
    }
    pub fn rule(&self, route_index: usize) -> String {
        format!("{}Rule{}", self.prefix, route_index + 1)
    }
    /// The rule `X-Ecship-Colour: NAME-COLOUR` reaches a colour by.
    pub fn test_rule(&self, colour: &str) -> String {
        let mut c = colour.chars();
        let capital: String = c.next().map(|f| f.to_ascii_uppercase()).into_iter().chain(c).collect();
        format!("{}{capital}TestRule", self.prefix)
    }
    pub fn task_role(&self) -> String {
        format!("{}TaskRole", self.prefix)
    }
    pub fn repository(&self) -> String {
        format!("{}Repository", self.prefix)
    }
    /// Ingress to this service from another one that calls it.
    pub fn ingress_from(&self, caller_logical: &str) -> String {
        format!("{}From{caller_logical}Ingress", self.prefix)
    }
    /// The service's one output: `Svc<Name>`.
    pub fn output(&self) -> String {
        self.prefix.clone()
    }
}
