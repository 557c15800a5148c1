//! EFS volumes the stack creates: per volume name an encrypted file system (backed up, kept
//! when the stack deletes or replaces it), a mount target in each zone the tasks run in, a
//! security group that admits NFS from exactly the tasks that mount it, and an access point
//! that gives every task the same owner. The file system's policy refuses every client that
//! does not encrypt in transit, lets exactly the task roles that mount it mount it, and only
//! those that mount it read-write write to it.
//! Existing file systems (`file_system: fs-…`) are the user's: nothing is created for them.

use super::ids::{ServiceIds, VolumeIds};
use super::network::Net;
use super::resources::{
    AccessPoint, BackupPolicy, CreationInfo, FileSystem, MountTarget, PolicyDocument, PosixUser, RootDirectory, SecurityGroup,
    SecurityGroupIngress, Statement, Tag,
};
use super::{Cx, Expr, Resource, Template};
use crate::model::Service;

/// The tag naming the volume a created file system is for.
pub const VOLUME_TAG: &str = "ecship:volume";

/// NFS, which EFS speaks.
const NFS: u32 = 2049;
/// The user and group every task acts as on a created file system (through its access point).
const OWNER: &str = "1000";

pub fn add(cx: &Cx, t: &mut Template, net: &Net) {
    for (name, tasks) in cx.model.created_volumes() {
        let ids = VolumeIds::new(name);
        let fs = ids.file_system();
        t.add(
            &fs,
            Resource::new(FileSystem {
                encrypted: true,
                performance_mode: "generalPurpose",
                throughput_mode: "elastic",
                backup_policy: Some(BackupPolicy { status: "ENABLED" }),
                file_system_policy: Some(policy(name, &tasks)),
                file_system_tags: volume_tags(cx, name),
            }),
        );
        let sg = ids.security_group();
        t.add(
            &sg,
            Resource::new(SecurityGroup {
                group_description: format!("ecship {}: EFS volume {name}", cx.model.stack),
                vpc_id: net.vpc_id.clone(),
                security_group_ingress: vec![],
                tags: cx.named_tags(&format!("volume-{name}")),
            }),
        );
        for task in &tasks {
            admit(t, &ids, task);
        }
        // One mount target per zone: the private subnets when the network has them (tasks in
        // the public ones reach them inside the VPC too).
        let subnets = if net.private_subnets.is_empty() { &net.public_subnets } else { &net.private_subnets };
        for (i, subnet) in subnets.iter().enumerate() {
            t.add(
                ids.mount_target(i),
                Resource::new(MountTarget {
                    file_system_id: Expr::reference(&fs),
                    subnet_id: subnet.clone(),
                    security_groups: vec![Expr::att(&sg, "GroupId")],
                }),
            );
        }
        t.add(
            ids.access_point(),
            Resource::new(AccessPoint {
                file_system_id: Expr::reference(&fs),
                posix_user: Some(PosixUser { uid: OWNER, gid: OWNER }),
                root_directory: Some(RootDirectory {
                    path: format!("/{name}"),
                    creation_info: CreationInfo { owner_uid: OWNER, owner_gid: OWNER, permissions: "755" },
                }),
                access_point_tags: cx.named_tags(&format!("volume-{name}")),
            }),
        );
        let output = vec!["file_system=".into(), Expr::reference(&fs), ";access_point=".into(), Expr::reference(&ids.access_point())];
        t.output(ids.output(), format!("EFS volume {name}"), Expr::Join(String::new(), output));
    }
}

/// The file system's tags: `ecship:volume` names the volume, so `destroy` can say which
/// volume's data a file system it keeps holds.
fn volume_tags(cx: &Cx, name: &str) -> Vec<Tag> {
    let mut tags = cx.named_tags(&format!("volume-{name}"));
    tags.push(Tag { key: VOLUME_TAG.into(), value: name.into() });
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    tags
}

/// The file system's own policy. With one, EFS authorizes a client only as it allows (and
/// the client's identity policy): a task role without `ClientWrite` here cannot write,
/// whatever else it holds, and a client that is no task role of the stack gets nothing.
/// https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
fn policy(volume: &str, tasks: &[&Service]) -> PolicyDocument {
    let role = |t: &&Service| Expr::att(&ServiceIds::new(&t.name.logical()).task_role(), "Arn");
    let writes = |t: &&&Service| t.volumes.iter().any(|m| m.volume == volume && !m.read_only);
    let principals = |roles: Vec<Expr>| Some(Expr::Map([("AWS".to_string(), Expr::List(roles))].into()));
    let condition =
        |key: &str, value: &str| Some(Expr::Map([("Bool".to_string(), Expr::Map([(key.to_string(), Expr::from(value))].into()))].into()));
    let through_mount_target = condition("elasticfilesystem:AccessedViaMountTarget", "true");
    let mut statement = vec![
        Statement {
            effect: "Deny",
            principal: Some(Expr::Map([("AWS".to_string(), Expr::from("*"))].into())),
            action: vec!["*".into()],
            resource: vec![],
            condition: condition("aws:SecureTransport", "false"),
        },
        Statement {
            effect: "Allow",
            principal: principals(tasks.iter().map(role).collect()),
            action: vec!["elasticfilesystem:ClientMount".into()],
            resource: vec![],
            condition: through_mount_target.clone(),
        },
    ];
    let writers: Vec<Expr> = tasks.iter().filter(writes).map(role).collect();
    if !writers.is_empty() {
        statement.push(Statement {
            effect: "Allow",
            principal: principals(writers),
            action: vec!["elasticfilesystem:ClientWrite".into()],
            resource: vec![],
            condition: through_mount_target,
        });
    }
    PolicyDocument { version: "2012-10-17", statement }
}

fn admit(t: &mut Template, ids: &VolumeIds, task: &Service) {
    admit_task(t, (ids.ingress_from(&task.name.logical()), Expr::att(&ids.security_group(), "GroupId")), task, NFS, "NFS");
}

/// A rule (`id`) of `group` (its id) admitting `task`'s security group on `port`.
pub(super) fn admit_task(t: &mut Template, (id, group): (String, Expr), task: &Service, port: u32, what: &str) {
    let from = ServiceIds::new(&task.name.logical()).security_group();
    t.add(
        id,
        Resource::new(SecurityGroupIngress {
            group_id: group,
            ip_protocol: "tcp",
            from_port: port,
            to_port: port,
            source_security_group_id: Expr::att(&from, "GroupId"),
            description: format!("{what} from {}", task.name),
        }),
    );
}

/// The ARN of a volume's file system, for the task role's `elasticfilesystem:Client*` grant.
pub fn file_system_arn(volume: &str, existing: Option<&str>) -> Expr {
    match existing {
        Some(id) => Expr::sub(format!("arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:file-system/{id}")),
        None => Expr::sub(format!(
            "arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:file-system/${{{}}}",
            VolumeIds::new(volume).file_system()
        )),
    }
}
