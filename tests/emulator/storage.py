"""RDS and KMS keys in CloudFormation as AWS has them, which moto (5.2.5) does not: patches 20,
21, 24 and 25 of tests/emulator/server.py, checked by tests/emulator/test_storage.py.

20. `AWS::RDS::DBInstance` from a template: moto reads `VpcSecurityGroupIds` (the property is
    `VPCSecurityGroups`), defaults the port to 3306 whatever the engine, ignores
    `ManageMasterUserPassword`, `DeletionProtection` and `DBClusterIdentifier`, and has no
    `Fn::GetAtt [Db, MasterUserSecret.SecretArn]`. Here, as AWS documents for the type
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-rds-dbinstance.html),
    the security groups are the instance's, the port is the engine's (5432 for PostgreSQL),
    `ManageMasterUserPassword: true` has RDS keep the master password in a Secrets Manager
    secret of its own (`rds!db-…`) whose ARN `MasterUserSecret.SecretArn` gives, deletion
    protection is on when asked (DeleteDBInstance then refuses until it is turned off), and
    an instance with `DBClusterIdentifier` joins that Aurora cluster.

21. `AWS::RDS::DBCluster` is no CloudFormation type in moto: it is skipped without a word, and
    `Fn::GetAtt` on it fails the stack. Here it creates the cluster in moto's RDS backend
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-rds-dbcluster.html):
    engine and version, `DatabaseName`, `MasterUsername`, `ManageMasterUserPassword`,
    `ServerlessV2ScalingConfiguration`, subnet group, security groups, encryption, backups and
    deletion protection; `Ref` gives its identifier and `Fn::GetAtt` `Endpoint.Address`,
    `Endpoint.Port` and `MasterUserSecret.SecretArn`; deleting it with its stack deletes it
    (unless protected or kept by `DeletionPolicy: Retain`).

24. `AWS::KMS::Key` from a template: moto hands the template's `Tags` (`Key`/`Value`, as
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-key.html
    gives them) to KMS's CreateKey, which reads `TagKey`/`TagValue`: the key fails silently and
    every `Fn::GetAtt [Key, Arn]` fails the stack. Here the tags are given as KMS takes them
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_Tag.html) and the key policy, an
    object in the template, as the JSON text KMS keeps.

25. `AWS::EC2::SecurityGroupIngress` outlives its stack: moto's model has no delete, so the
    rule it added to a group the stack does not own (an adopted database's) stays when the
    stack is deleted or the rule removed from it. Here, as AWS deletes every resource of a
    deleted stack (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-console-delete-stack.html)
    and the rule is the resource
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroupingress.html),
    deleting it revokes exactly that rule from its group.
"""

import json
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroupIngress
from moto.kms.models import Key
from moto.rds.models import DBInstance, rds_backends
from moto.core.common_models import CloudFormationModel

SECRET_ARN = "MasterUserSecret.SecretArn"


def _name(value: Any) -> Any:
    """A `Ref` to a moto resource resolves to the object: its name, or the value as given."""
    return getattr(value, "name", value)


def _instance_from_cloudformation_json(  # type: ignore[no-untyped-def]
    cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> DBInstance:
    props = cloudformation_json["Properties"]
    engine = props.get("Engine")
    cluster = props.get("DBClusterIdentifier")
    db_kwargs = {
        "db_instance_identifier": resource_name.replace("_", "-").lower(),
        "db_instance_class": props.get("DBInstanceClass"),
        "engine": engine,
        "engine_version": props.get("EngineVersion"),
        "db_name": props.get("DBName"),
        "db_subnet_group_name": _name(props.get("DBSubnetGroupName")),
        "vpc_security_group_ids": props.get("VPCSecurityGroups") or props.get("VpcSecurityGroupIds") or [],
        "port": int(props.get("Port") or DBInstance.default_port(engine)),
        "master_username": props.get("MasterUsername"),
        "master_user_password": props.get("MasterUserPassword"),
        "manage_master_user_password": str(props.get("ManageMasterUserPassword", "false")).lower() == "true",
        "deletion_protection": str(props.get("DeletionProtection", "false")).lower() == "true",
        "multi_az": props.get("MultiAZ"),
        "publicly_accessible": props.get("PubliclyAccessible"),
        "storage_encrypted": props.get("StorageEncrypted"),
        "storage_type": props.get("StorageType"),
        "backup_retention_period": props.get("BackupRetentionPeriod"),
        "copy_tags_to_snapshot": props.get("CopyTagsToSnapshot"),
        "tags": props.get("Tags"),
    }
    if cluster:
        db_kwargs["db_cluster_identifier"] = cluster
        for own in ("db_name", "master_username", "master_user_password", "manage_master_user_password", "storage_encrypted"):
            db_kwargs.pop(own, None)
    else:
        db_kwargs["allocated_storage"] = props.get("AllocatedStorage")
    return rds_backends[account_id][region_name].create_db_instance({k: v for k, v in db_kwargs.items() if v is not None})


_original_instance_attr = DBInstance.get_cfn_attribute


def _instance_has_cfn_attr(cls, attr: str) -> bool:  # type: ignore[no-untyped-def]
    return attr in ("Endpoint.Address", "Endpoint.Port", SECRET_ARN)


def _instance_attribute(self: DBInstance, attribute_name: str) -> Any:
    if attribute_name == SECRET_ARN:
        return self.master_user_secret.secret_arn
    return _original_instance_attr(self, attribute_name)


class CfnDbCluster(CloudFormationModel):
    """AWS::RDS::DBCluster, backed by moto's RDS backend."""

    # moto files model classes by the service named in their module path.
    __module__ = "moto.rds.models"

    def __init__(self, identifier: str, account_id: str, region_name: str) -> None:
        self.identifier = identifier
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DBClusterIdentifier"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::RDS::DBCluster"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Endpoint.Address", "Endpoint.Port", SECRET_ARN)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "CfnDbCluster":
        props = cloudformation_json.get("Properties", {})
        identifier = resource_name.replace("_", "-").lower()
        scaling = props.get("ServerlessV2ScalingConfiguration") or {}
        cluster_kwargs = {
            "db_cluster_identifier": identifier,
            "engine": props.get("Engine"),
            "engine_version": props.get("EngineVersion"),
            "database_name": props.get("DatabaseName"),
            "master_username": props.get("MasterUsername"),
            "master_user_password": props.get("MasterUserPassword"),
            "manage_master_user_password": str(props.get("ManageMasterUserPassword", "false")).lower() == "true",
            "db_subnet_group_name": _name(props.get("DBSubnetGroupName")),
            "vpc_security_group_ids": props.get("VpcSecurityGroupIds") or [],
            "storage_encrypted": str(props.get("StorageEncrypted", "false")).lower() == "true",
            "backup_retention_period": int(props.get("BackupRetentionPeriod", 1)),
            "deletion_protection": str(props.get("DeletionProtection", "false")).lower() == "true",
            "copy_tags_to_snapshot": props.get("CopyTagsToSnapshot"),
            "tags": props.get("Tags"),
        }
        if scaling:
            cluster_kwargs["serverless_v2_scaling_configuration"] = {
                "MinCapacity": float(scaling.get("MinCapacity", 0.5)),
                "MaxCapacity": float(scaling.get("MaxCapacity", 1)),
            }
        backend = rds_backends[account_id][region_name]
        backend.create_db_cluster({k: v for k, v in cluster_kwargs.items() if v is not None})
        return cls(identifier, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> None:
        # Stack deletion calls `delete` on the created instance; nothing reaches this.
        return None

    def delete(self, account_id: str, region_name: str) -> None:
        rds_backends[account_id][region_name].delete_db_cluster(self.identifier)

    @property
    def physical_resource_id(self) -> str:
        return self.identifier

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        cluster = rds_backends[self.account_id][self.region_name].clusters[self.identifier]
        if attribute_name == "Endpoint.Address":
            return cluster.endpoint
        if attribute_name == "Endpoint.Port":
            return cluster.port
        if attribute_name == SECRET_ARN:
            return cluster.master_user_secret.secret_arn
        raise NotImplementedError(f"{attribute_name} of a DB cluster")

    def is_created(self) -> bool:
        return True


_key_from_cloudformation_json = Key.create_from_cloudformation_json


def _kms_key_from_cloudformation_json(  # type: ignore[no-untyped-def]
    cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Key:
    properties = dict(cloudformation_json.get("Properties", {}))
    properties["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])]
    if not isinstance(properties.get("KeyPolicy"), str):
        properties["KeyPolicy"] = json.dumps(properties.get("KeyPolicy", {}))
    return _key_from_cloudformation_json(resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kwargs)


_ingress_from_cloudformation_json = SecurityGroupIngress.create_from_cloudformation_json


def _ingress_remembering_its_rule(  # type: ignore[no-untyped-def]
    cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
):
    backend = ec2_backends[account_id][region_name]
    properties = cloudformation_json["Properties"]
    before = set()
    if properties.get("GroupId"):
        group = backend.get_security_group_by_name_or_id(properties["GroupId"])
        before = {r.id for r in group.ingress_rules} if group else set()
    created = _ingress_from_cloudformation_json(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    created.rule_ids = [r.id for r in created.security_group.ingress_rules if r.id not in before]
    return created


def _revoke_ingress(self: SecurityGroupIngress, account_id: str, region_name: str) -> None:
    group = ec2_backends[account_id][region_name].get_security_group_by_name_or_id(self.security_group.id)
    if group is None:
        return  # deleted already, its rules with it
    mine = set(getattr(self, "rule_ids", []))
    group.ingress_rules = [r for r in group.ingress_rules if r.id not in mine]


def install() -> None:
    SecurityGroupIngress.create_from_cloudformation_json = classmethod(_ingress_remembering_its_rule)  # type: ignore[method-assign,assignment]
    SecurityGroupIngress.delete = _revoke_ingress  # type: ignore[attr-defined]
    Key.create_from_cloudformation_json = classmethod(_kms_key_from_cloudformation_json)  # type: ignore[method-assign,assignment]
    # Importing CfnDbCluster registered it with moto's CloudFormation (a subclass of its model).
    DBInstance.create_from_cloudformation_json = classmethod(_instance_from_cloudformation_json)  # type: ignore[method-assign,assignment]
    DBInstance.has_cfn_attr = classmethod(_instance_has_cfn_attr)  # type: ignore[method-assign,assignment]
    DBInstance.get_cfn_attribute = _instance_attribute  # type: ignore[method-assign]
