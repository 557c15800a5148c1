"""Checks for the emulator's RDS, KMS and security group rule patches (20, 21, 24 and 25, tests/emulator/storage.py) against a
running server.

Run: .venv/bin/python -m unittest discover -s tests/emulator
"""

import json
import unittest

import test_server


def network() -> dict:
    ref = lambda name: {"Ref": name}  # noqa: E731
    return {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.7.0.0/16"}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": ref("Vpc"), "CidrBlock": "10.7.0.0/24", "AvailabilityZone": "us-east-1a"}},
        "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": ref("Vpc"), "CidrBlock": "10.7.1.0/24", "AvailabilityZone": "us-east-1b"}},
        "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "db", "VpcId": ref("Vpc")}},
        "Subnets": {
            "Type": "AWS::RDS::DBSubnetGroup",
            "Properties": {"DBSubnetGroupDescription": "db", "SubnetIds": [ref("SubnetA"), ref("SubnetB")]},
        },
    }


class StorageTest(test_server.RunningEmulator):
    """Against an emulator of its own, without test_server's checks."""

    def test_an_instance_gets_its_security_groups_engine_port_protection_and_rds_secret(self) -> None:
        resources = network()
        resources["Db"] = {
            "Type": "AWS::RDS::DBInstance",
            "DeletionPolicy": "Retain",
            "Properties": {
                "Engine": "postgres",
                "EngineVersion": "17.6",
                "DBInstanceClass": "db.t4g.small",
                "AllocatedStorage": "20",
                "DBName": "main_db",
                "MasterUsername": "ecship",
                "ManageMasterUserPassword": True,
                "DeletionProtection": True,
                "DBSubnetGroupName": {"Ref": "Subnets"},
                "VPCSecurityGroups": [{"Fn::GetAtt": ["Group", "GroupId"]}],
            },
        }
        outputs = {
            "Host": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}},
            "Port": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Port"]}},
            "Secret": {"Value": {"Fn::GetAtt": ["Db", "MasterUserSecret.SecretArn"]}},
            "Group": {"Value": {"Fn::GetAtt": ["Group", "GroupId"]}},
        }
        cfn, rds, sm = self.client("cloudformation"), self.client("rds"), self.client("secretsmanager")
        cfn.create_stack(StackName="rds-one", TemplateBody=json.dumps({"Resources": resources, "Outputs": outputs}))
        out = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="rds-one")["Stacks"][0]["Outputs"]}
        self.assertEqual(out["Port"], "5432")
        self.assertIn(":secret:rds!db-", out["Secret"])
        secret = json.loads(sm.get_secret_value(SecretId=out["Secret"])["SecretString"])
        self.assertEqual(set(secret), {"username", "password"})
        db = next(d for d in rds.describe_db_instances()["DBInstances"] if d["Endpoint"]["Address"] == out["Host"])
        self.assertEqual([g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]], [out["Group"]])
        self.assertEqual(db["MasterUserSecret"]["SecretArn"], out["Secret"])
        self.assertTrue(db["DeletionProtection"])
        with self.assertRaises(rds.exceptions.ClientError):
            rds.delete_db_instance(DBInstanceIdentifier=db["DBInstanceIdentifier"], SkipFinalSnapshot=True)
        # Kept by its stack (DeletionPolicy: Retain), deleted once its protection is off.
        cfn.delete_stack(StackName="rds-one")
        rds.modify_db_instance(DBInstanceIdentifier=db["DBInstanceIdentifier"], DeletionProtection=False, ApplyImmediately=True)
        rds.delete_db_instance(DBInstanceIdentifier=db["DBInstanceIdentifier"], FinalDBSnapshotIdentifier="final")
        self.assertEqual([s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]], ["final"])

    def test_an_aurora_cluster_is_created_with_its_instance_reported_and_deleted(self) -> None:
        resources = network()
        resources["Cluster"] = {
            "Type": "AWS::RDS::DBCluster",
            "Properties": {
                "Engine": "aurora-postgresql",
                "EngineVersion": "17.6",
                "DatabaseName": "reports",
                "MasterUsername": "ecship",
                "ManageMasterUserPassword": True,
                "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 8},
                "DBSubnetGroupName": {"Ref": "Subnets"},
                "VpcSecurityGroupIds": [{"Fn::GetAtt": ["Group", "GroupId"]}],
                "StorageEncrypted": True,
            },
        }
        resources["Instance"] = {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"Engine": "aurora-postgresql", "DBInstanceClass": "db.serverless", "DBClusterIdentifier": {"Ref": "Cluster"}},
        }
        outputs = {
            "Id": {"Value": {"Ref": "Cluster"}},
            "Host": {"Value": {"Fn::GetAtt": ["Cluster", "Endpoint.Address"]}},
            "Port": {"Value": {"Fn::GetAtt": ["Cluster", "Endpoint.Port"]}},
            "Secret": {"Value": {"Fn::GetAtt": ["Cluster", "MasterUserSecret.SecretArn"]}},
        }
        cfn, rds = self.client("cloudformation"), self.client("rds")
        cfn.create_stack(StackName="aurora", TemplateBody=json.dumps({"Resources": resources, "Outputs": outputs}))
        out = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="aurora")["Stacks"][0]["Outputs"]}
        cluster = rds.describe_db_clusters(DBClusterIdentifier=out["Id"])["DBClusters"][0]
        self.assertEqual((cluster["Endpoint"], out["Port"]), (out["Host"], "5432"))
        self.assertEqual(cluster["MasterUserSecret"]["SecretArn"], out["Secret"])
        self.assertEqual([m["IsClusterWriter"] for m in cluster["DBClusterMembers"]], [True])
        cfn.delete_stack(StackName="aurora")
        self.assertEqual([c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"] if c["DBClusterIdentifier"] == out["Id"]], [])


    def test_a_kms_key_from_a_template_has_its_tags_and_an_arn_a_bucket_names(self) -> None:
        resources = {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "Description": "sealed",
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                    "Tags": [{"Key": "ecship:stack", "Value": "kms-one"}],
                },
            },
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}
                        ]
                    }
                },
            },
        }
        outputs = {"Key": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}, "Bucket": {"Value": {"Ref": "Bucket"}}}
        cfn, kms, s3 = self.client("cloudformation"), self.client("kms"), self.client("s3")
        cfn.create_stack(StackName="kms-one", TemplateBody=json.dumps({"Resources": resources, "Outputs": outputs}))
        out = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="kms-one")["Stacks"][0]["Outputs"]}
        tags = kms.list_resource_tags(KeyId=out["Key"])["Tags"]
        self.assertEqual(tags, [{"TagKey": "ecship:stack", "TagValue": "kms-one"}])
        self.assertEqual(json.loads(kms.get_key_policy(KeyId=out["Key"], PolicyName="default")["Policy"])["Version"], "2012-10-17")
        rule = s3.get_bucket_encryption(Bucket=out["Bucket"])["ServerSideEncryptionConfiguration"]["Rules"][0]
        self.assertEqual(rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"], out["Key"])
        cfn.delete_stack(StackName="kms-one")

    def test_a_rule_in_a_group_outside_the_stack_goes_with_the_stack(self) -> None:
        ec2, cfn = self.client("ec2"), self.client("cloudformation")
        theirs = ec2.create_security_group(GroupName="outside", Description="not the stack's")["GroupId"]
        resources = {
            "Tasks": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "tasks"}},
            "Admit": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": theirs,
                    "IpProtocol": "tcp",
                    "FromPort": 5432,
                    "ToPort": 5432,
                    "SourceSecurityGroupId": {"Fn::GetAtt": ["Tasks", "GroupId"]},
                    "Description": "database from api",
                },
            },
        }
        cfn.create_stack(StackName="admit", TemplateBody=json.dumps({"Resources": resources}))
        rules = lambda: [p["FromPort"] for p in ec2.describe_security_groups(GroupIds=[theirs])["SecurityGroups"][0]["IpPermissions"]]  # noqa: E731
        self.assertEqual(rules(), [5432])
        cfn.delete_stack(StackName="admit")
        self.assertEqual(rules(), [])
        self.assertEqual(len(ec2.describe_security_groups(GroupIds=[theirs])["SecurityGroups"]), 1, "the group itself stays")


if __name__ == "__main__":
    unittest.main()
