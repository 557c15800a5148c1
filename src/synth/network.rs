//! The VPC: public subnets behind an internet gateway, private subnets behind NAT (one
//! gateway, or one per zone), route tables — or an existing VPC's ids passed through.

use super::ids;
use super::resources::{Eip, GatewayAttachment, InternetGateway, NatGateway, Route, RouteTable, Subnet, SubnetRouteTableAssociation, Vpc};
use super::{Cx, Expr, Resource, Template};
use crate::model::{Nat, Network};

/// What later builders need of the network.
pub struct Net {
    pub vpc_id: Expr,
    pub public_subnets: Vec<Expr>,
    pub private_subnets: Vec<Expr>,
    /// The VPC's CIDR when ecship creates it (an internal load balancer admits only it).
    pub cidr: Option<String>,
}

pub fn add(cx: &Cx, t: &mut Template) -> Net {
    let net = match &cx.model.network {
        Network::Existing { vpc_id, public_subnets, private_subnets } => Net {
            vpc_id: vpc_id.into(),
            public_subnets: public_subnets.iter().map(Expr::from).collect(),
            private_subnets: private_subnets.iter().map(Expr::from).collect(),
            cidr: None,
        },
        Network::Managed { cidr, zones, nat } => managed(cx, t, &cidr.to_string(), zones, *nat),
    };
    t.output("VpcId", "VPC of the stack", net.vpc_id.clone());
    t.output("PublicSubnetIds", "Public subnets, comma-separated", Expr::Join(",".into(), net.public_subnets.clone()));
    if !net.private_subnets.is_empty() {
        t.output("PrivateSubnetIds", "Private subnets, comma-separated", Expr::Join(",".into(), net.private_subnets.clone()));
    }
    net
}

fn managed(cx: &Cx, t: &mut Template, cidr: &str, zones: &[crate::model::Zone], nat: Nat) -> Net {
    let vpc = Expr::reference(ids::VPC);
    t.add(
        ids::VPC,
        Resource::new(Vpc { cidr_block: cidr.into(), enable_dns_hostnames: true, enable_dns_support: true, tags: cx.named_tags("vpc") }),
    );
    t.add(ids::INTERNET_GATEWAY, Resource::new(InternetGateway { tags: cx.named_tags("igw") }));
    t.add(
        ids::GATEWAY_ATTACHMENT,
        Resource::new(GatewayAttachment { vpc_id: vpc.clone(), internet_gateway_id: Expr::reference(ids::INTERNET_GATEWAY) }),
    );
    t.add(ids::PUBLIC_ROUTE_TABLE, Resource::new(RouteTable { vpc_id: vpc.clone(), tags: cx.named_tags("public") }));
    t.add(
        "PublicDefaultRoute",
        Resource::new(Route {
            route_table_id: Expr::reference(ids::PUBLIC_ROUTE_TABLE),
            destination_cidr_block: "0.0.0.0/0".into(),
            gateway_id: Some(Expr::reference(ids::INTERNET_GATEWAY)),
            nat_gateway_id: None,
        })
        .depends_on(ids::GATEWAY_ATTACHMENT),
    );
    let mut public = Vec::new();
    let mut private = Vec::new();
    for (i, zone) in zones.iter().enumerate() {
        let az = Expr::Select(i as u32, Box::new(Expr::GetAzs));
        let id = ids::public_subnet(i);
        t.add(
            &id,
            Resource::new(Subnet {
                vpc_id: vpc.clone(),
                cidr_block: zone.public.to_string(),
                availability_zone: az.clone(),
                map_public_ip_on_launch: true,
                tags: cx.named_tags(&format!("public-{}", i + 1)),
            }),
        );
        associate(t, &id, ids::PUBLIC_ROUTE_TABLE);
        public.push(Expr::reference(&id));
        let Some(private_cidr) = zone.private else { continue };
        // NAT in this zone's public subnet: every zone's with per_az, the first's with single.
        if nat == Nat::PerAz || i == 0 {
            nat_gateway(cx, t, i, &id);
        }
        let nat_index = if nat == Nat::PerAz { i } else { 0 };
        private.push(private_subnet(cx, t, i, &vpc, az, &private_cidr.to_string(), nat_index));
    }
    Net { vpc_id: vpc, public_subnets: public, private_subnets: private, cidr: Some(cidr.to_string()) }
}

/// A NAT gateway (and its Elastic IP) in zone `i`'s public subnet.
fn nat_gateway(cx: &Cx, t: &mut Template, i: usize, public_subnet: &str) {
    let eip = format!("NatEip{}", i + 1);
    t.add(&eip, Resource::new(Eip { domain: "vpc", tags: cx.named_tags(&format!("nat-{}", i + 1)) }).depends_on(ids::GATEWAY_ATTACHMENT));
    t.add(
        format!("NatGateway{}", i + 1),
        Resource::new(NatGateway {
            allocation_id: Expr::att(&eip, "AllocationId"),
            subnet_id: Expr::reference(public_subnet),
            tags: cx.named_tags(&format!("nat-{}", i + 1)),
        }),
    );
}

/// Zone `i`'s private subnet, with a route table whose default route goes through the NAT
/// gateway of zone `nat_index`.
fn private_subnet(cx: &Cx, t: &mut Template, i: usize, vpc: &Expr, az: Expr, cidr: &str, nat_index: usize) -> Expr {
    let pid = ids::private_subnet(i);
    let table = format!("PrivateRouteTable{}", i + 1);
    t.add(
        &pid,
        Resource::new(Subnet {
            vpc_id: vpc.clone(),
            cidr_block: cidr.to_string(),
            availability_zone: az,
            map_public_ip_on_launch: false,
            tags: cx.named_tags(&format!("private-{}", i + 1)),
        }),
    );
    t.add(&table, Resource::new(RouteTable { vpc_id: vpc.clone(), tags: cx.named_tags(&format!("private-{}", i + 1)) }));
    t.add(
        format!("PrivateDefaultRoute{}", i + 1),
        Resource::new(Route {
            route_table_id: Expr::reference(&table),
            destination_cidr_block: "0.0.0.0/0".into(),
            gateway_id: None,
            nat_gateway_id: Some(Expr::reference(&format!("NatGateway{}", nat_index + 1))),
        }),
    );
    associate(t, &pid, &table);
    Expr::reference(&pid)
}

fn associate(t: &mut Template, subnet: &str, table: &str) {
    t.add(
        format!("{subnet}RouteTableAssociation"),
        Resource::new(SubnetRouteTableAssociation { subnet_id: Expr::reference(subnet), route_table_id: Expr::reference(table) }),
    );
}
