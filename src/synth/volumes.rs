//! EFS volumes the stack creates: per volume name an encrypted file system (backed up), a
//! mount target in each zone the tasks run in, a security group that admits NFS from exactly
//! the tasks that mount it, and an access point that gives every task the same owner.
//! Existing file systems (`file_system: fs-…`) are the user's: nothing is created for them.

use super::ids::{ServiceIds, VolumeIds};
use super::network::Net;
use super::resources::{
    AccessPoint, BackupPolicy, CreationInfo, FileSystem, MountTarget, PosixUser, RootDirectory, SecurityGroup, SecurityGroupIngress,
};
use super::{Cx, Expr, Resource, Template};
use crate::model::Service;

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
                file_system_tags: cx.named_tags(&format!("volume-{name}")),
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

fn admit(t: &mut Template, ids: &VolumeIds, task: &Service) {
    let from = ServiceIds::new(&task.name.logical()).security_group();
    t.add(
        ids.ingress_from(&task.name.logical()),
        Resource::new(SecurityGroupIngress {
            group_id: Expr::att(&ids.security_group(), "GroupId"),
            ip_protocol: "tcp",
            from_port: NFS,
            to_port: NFS,
            source_security_group_id: Expr::att(&from, "GroupId"),
            description: format!("NFS from {}", task.name),
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
