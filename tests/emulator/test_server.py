"""Checks for the emulator's patches (tests/emulator/server.py) against a running server.

Run: .venv/bin/python -m unittest discover -s tests/emulator   (scripts/test does)
"""

import datetime
import email.utils
import json
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY_SECONDS = 0.3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningEmulator(unittest.TestCase):
    """A fresh emulator server for a test class (tests/emulator/server.py on a free port)."""

    @classmethod
    def setUpClass(cls) -> None:
        port = free_port()
        cls.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "EMULATOR_DEPLOY_SECONDS": str(DEPLOY_SECONDS)}
        cls.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "server.py"), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{cls.url}/moto-api/config", timeout=1)
                break
            except OSError:
                if cls.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"emulator did not start: {cls.proc.stderr.read().decode() if cls.proc.stderr else ''}")
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.proc.terminate()
        cls.proc.wait(timeout=10)

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


class EmulatorTest(RunningEmulator):
    def test_http_namespace_is_created_reported_and_deleted(self) -> None:
        template = {
            "Resources": {"Ns": {"Type": "AWS::ServiceDiscovery::HttpNamespace", "Properties": {"Name": "demo.internal", "Description": "d"}}},
            "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Ns", "Arn"]}}, "Id": {"Value": {"Ref": "Ns"}}},
        }
        cfn, sd = self.client("cloudformation"), self.client("servicediscovery")
        cfn.create_stack(StackName="ns", TemplateBody=json.dumps(template))
        stack = cfn.describe_stacks(StackName="ns")["Stacks"][0]
        self.assertEqual(stack["StackStatus"], "CREATE_COMPLETE")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        namespaces = sd.list_namespaces()["Namespaces"]
        self.assertEqual([(n["Name"], n["Type"]) for n in namespaces], [("demo.internal", "HTTP")])
        self.assertEqual(outputs, {"Arn": namespaces[0]["Arn"], "Id": namespaces[0]["Id"]})
        cfn.delete_stack(StackName="ns")
        self.assertEqual(sd.list_namespaces()["Namespaces"], [])

    def test_an_efs_access_point_is_referenced_by_its_id(self) -> None:
        template = {
            "Resources": {
                "Fs": {"Type": "AWS::EFS::FileSystem", "Properties": {"Encrypted": True}},
                "Ap": {"Type": "AWS::EFS::AccessPoint", "Properties": {"FileSystemId": {"Ref": "Fs"}}},
            },
            "Outputs": {"Fs": {"Value": {"Ref": "Fs"}}, "Ap": {"Value": {"Ref": "Ap"}}},
        }
        cfn, efs = self.client("cloudformation"), self.client("efs")
        cfn.create_stack(StackName="efs", TemplateBody=json.dumps(template))
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="efs")["Stacks"][0]["Outputs"]}
        points = efs.describe_access_points(FileSystemId=outputs["Fs"])["AccessPoints"]
        self.assertEqual([p["AccessPointId"] for p in points], [outputs["Ap"]])
        self.assertTrue(outputs["Ap"].startswith("fsap-"), outputs)
        cfn.delete_stack(StackName="efs")
        self.assertEqual(efs.describe_file_systems()["FileSystems"], [])

    def test_a_retained_resource_removed_by_an_update_stays(self) -> None:
        kept = {"Type": "AWS::EFS::FileSystem", "DeletionPolicy": "Retain", "Properties": {"Encrypted": True}}
        gone = {"Type": "AWS::EFS::FileSystem", "Properties": {"Encrypted": True}}
        first = {"Resources": {"Kept": kept, "Gone": gone}, "Outputs": {"Kept": {"Value": {"Ref": "Kept"}}}}
        cfn, efs = self.client("cloudformation"), self.client("efs")
        cfn.create_stack(StackName="retain", TemplateBody=json.dumps(first))
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="retain")["Stacks"][0]["Outputs"]}
        self.assertEqual(len(efs.describe_file_systems()["FileSystems"]), 2)
        cfn.update_stack(StackName="retain", TemplateBody=json.dumps({"Resources": {"Other": gone}}))
        ids = {f["FileSystemId"] for f in efs.describe_file_systems()["FileSystems"]}
        self.assertIn(outputs["Kept"], ids, "the retained file system left the stack and stayed")
        self.assertEqual(len(ids), 2, "the other one was deleted, and a new one created")
        cfn.delete_stack(StackName="retain")
        efs.delete_file_system(FileSystemId=outputs["Kept"])
        self.assertEqual(efs.describe_file_systems()["FileSystems"], [])

    def test_a_bucket_of_another_account_refuses_requests_expecting_this_one(self) -> None:
        creds = self.client("sts").assume_role(RoleArn="arn:aws:iam::111111111111:role/other", RoleSessionName="other")["Credentials"]
        other = boto3.client(
            "s3", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"],
        )
        other.create_bucket(Bucket="theirs")
        s3 = self.client("s3")
        s3.create_bucket(Bucket="ours")
        s3.head_bucket(Bucket="ours", ExpectedBucketOwner="123456789012")
        s3.head_bucket(Bucket="theirs")
        for call in (
            lambda: s3.head_bucket(Bucket="theirs", ExpectedBucketOwner="123456789012"),
            lambda: s3.put_object(Bucket="theirs", Key="k", Body=b"x", ExpectedBucketOwner="123456789012"),
        ):
            with self.assertRaises(Exception) as refused:
                call()
            self.assertIn("403", str(refused.exception) + str(getattr(refused.exception, "response", "")))

    def test_nested_stacks_update_in_place_give_their_outputs_and_are_told_of(self) -> None:
        s3, cfn = self.client("s3"), self.client("cloudformation")
        s3.create_bucket(Bucket="templates")

        def nested(description: str) -> str:
            body = {
                "Parameters": {"PName": {"Type": "String"}},
                "Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": description}}},
                "Outputs": {"SgId": {"Value": {"Fn::GetAtt": ["Sg", "GroupId"]}}, "Name": {"Value": {"Ref": "PName"}}},
            }
            key = f"{description}.json"
            s3.put_object(Bucket="templates", Key=key, Body=json.dumps(body).encode())
            return f"https://templates.s3.us-east-1.amazonaws.com/{key}"

        def root(url: str) -> str:
            return json.dumps({
                "Resources": {"Inner": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url, "Parameters": {"PName": "from-root"}}}},
                "Outputs": {"InnerSg": {"Value": {"Fn::GetAtt": ["Inner", "Outputs.SgId"]}}, "InnerName": {"Value": {"Fn::GetAtt": ["Inner", "Outputs.Name"]}}},
            })

        cfn.create_stack(StackName="outer", TemplateBody=root(nested("one")))
        resources = cfn.list_stack_resources(StackName="outer")["StackResourceSummaries"]
        inner_id = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::CloudFormation::Stack"][0]
        inner = cfn.describe_stacks(StackName=inner_id)["Stacks"][0]
        sg = {o["OutputKey"]: o["OutputValue"] for o in inner["Outputs"]}["SgId"]
        outer = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="outer")["Stacks"][0]["Outputs"]}
        self.assertEqual(outer, {"InnerSg": sg, "InnerName": "from-root"})
        told = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in cfn.describe_stack_events(StackName="outer")["StackEvents"] if e["LogicalResourceId"] == "Inner"]
        self.assertIn(("Inner", "CREATE_COMPLETE"), told)

        cfn.update_stack(StackName="outer", TemplateBody=root(nested("two")))
        resources = cfn.list_stack_resources(StackName="outer")["StackResourceSummaries"]
        self.assertEqual([r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::CloudFormation::Stack"], [inner_id], "the same stack, updated")
        updated = cfn.describe_stacks(StackName=inner_id)["Stacks"][0]
        self.assertEqual(updated["StackStatus"], "UPDATE_COMPLETE")
        told = [e["ResourceStatus"] for e in cfn.describe_stack_events(StackName="outer")["StackEvents"] if e["LogicalResourceId"] == "Inner"]
        self.assertIn("UPDATE_COMPLETE", told)

        # A resource asking to fail: the nested stack and its parent roll back, and say why.
        before = cfn.get_template(StackName="outer")["TemplateBody"]
        outputs = lambda: {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=inner_id)["Stacks"][0]["Outputs"]}
        sg_before = outputs()["SgId"]
        cfn.update_stack(StackName="outer", TemplateBody=root(nested("three emulator-resource-failure")))
        self.assertEqual(cfn.describe_stacks(StackName="outer")["Stacks"][0]["StackStatus"], "UPDATE_ROLLBACK_COMPLETE")
        self.assertEqual(cfn.describe_stacks(StackName=inner_id)["Stacks"][0]["StackStatus"], "UPDATE_ROLLBACK_COMPLETE")
        self.assertEqual(json.dumps(cfn.get_template(StackName="outer")["TemplateBody"]), json.dumps(before), "the parent's template is the one before")
        inner_failures = [(e["LogicalResourceId"], e["ResourceStatusReason"]) for e in cfn.describe_stack_events(StackName=inner_id)["StackEvents"] if e["ResourceStatus"] == "UPDATE_FAILED"]
        self.assertEqual(len(inner_failures), 1, inner_failures)
        self.assertEqual(inner_failures[0][0], "Sg")
        self.assertIn("emulator-resource-failure", inner_failures[0][1])
        outer_events = cfn.describe_stack_events(StackName="outer")["StackEvents"]
        failed = [e for e in outer_events if e["ResourceStatus"] == "UPDATE_FAILED"]
        inner_arn = cfn.describe_stacks(StackName=inner_id)["Stacks"][0]["StackId"]
        self.assertEqual([(e["LogicalResourceId"], e["PhysicalResourceId"]) for e in failed], [("Inner", inner_arn)])
        self.assertIn("UPDATE_ROLLBACK_COMPLETE", [e["ResourceStatus"] for e in outer_events if e["LogicalResourceId"] == "outer"])
        # As on AWS, the parent tells of the nested update before the nested stack's events.
        told = max(e["Timestamp"] for e in outer_events if e["LogicalResourceId"] == "Inner" and e["ResourceStatus"] == "UPDATE_IN_PROGRESS")
        inner_failed = min(e["Timestamp"] for e in cfn.describe_stack_events(StackName=inner_id)["StackEvents"] if e["ResourceStatus"] == "UPDATE_FAILED")
        self.assertLessEqual(told, inner_failed)
        self.assertEqual(outputs()["SgId"], sg_before, "the nested stack kept its resources")

        cfn.delete_stack(StackName="outer")
        names = [s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
        self.assertEqual(names, [], "deleting the root deletes the nested stack")

    def test_a_deregistered_scalable_target_takes_its_policies_and_actions_with_it(self) -> None:
        ecs, aas = self.client("ecs"), self.client("application-autoscaling")
        ecs.create_cluster(clusterName="scaled")
        ecs.register_task_definition(family="scaled-web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 512}])
        ecs.create_service(cluster="scaled", serviceName="web", taskDefinition="scaled-web", desiredCount=1)
        target = {"ServiceNamespace": "ecs", "ResourceId": "service/scaled/web", "ScalableDimension": "ecs:service:DesiredCount"}
        aas.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
        aas.put_scaling_policy(
            **target,
            PolicyName="cpu",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={"TargetValue": 60.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}},
        )
        aas.put_scheduled_action(**target, ScheduledActionName="night", Schedule="cron(0 22 * * ? *)", ScalableTargetAction={"MinCapacity": 1})
        aas.deregister_scalable_target(**target)
        self.assertEqual(aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId="service/scaled/web")["ScalingPolicies"], [])
        self.assertEqual(aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId="service/scaled/web")["ScheduledActions"], [])
        with self.assertRaises(Exception) as missing:
            aas.deregister_scalable_target(**target)
        self.assertIn("ObjectNotFoundException", str(missing.exception))

    def test_a_repeated_client_request_token_is_the_same_request(self) -> None:
        cfn = self.client("cloudformation")
        template = json.dumps({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "d"}}}})
        first = cfn.create_stack(StackName="tok", TemplateBody=template, ClientRequestToken="t1")
        again = cfn.create_stack(StackName="tok", TemplateBody=template, ClientRequestToken="t1")
        self.assertEqual(first["StackId"], again["StackId"])
        with self.assertRaises(cfn.exceptions.AlreadyExistsException):
            cfn.create_stack(StackName="tok", TemplateBody=template, ClientRequestToken="t2")
        cfn.delete_stack(StackName="tok", ClientRequestToken="t3")
        cfn.delete_stack(StackName="tok", ClientRequestToken="t3")

    def test_deleting_a_stack_leaves_nothing_behind(self) -> None:
        ref = lambda name: {"Ref": name}  # noqa: E731
        resources = {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.7.0.0/16"}},
            "Igw": {"Type": "AWS::EC2::InternetGateway"},
            "Attach": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {"VpcId": ref("Vpc"), "InternetGatewayId": ref("Igw")}},
            "Public": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": ref("Vpc"), "CidrBlock": "10.7.0.0/24"}},
            "Private": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": ref("Vpc"), "CidrBlock": "10.7.1.0/24"}},
            "PublicRt": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
            "PublicRoute": {"Type": "AWS::EC2::Route", "DependsOn": "Attach", "Properties": {"RouteTableId": ref("PublicRt"), "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": ref("Igw")}},
            "PublicAssoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {"SubnetId": ref("Public"), "RouteTableId": ref("PublicRt")}},
            "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
            "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}, "SubnetId": ref("Public")}},
            "PrivateRt": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
            "PrivateRoute": {"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": ref("PrivateRt"), "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": ref("Nat")}},
            "PrivateAssoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {"SubnetId": ref("Private"), "RouteTableId": ref("PrivateRt")}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "s", "VpcId": ref("Vpc")}},
            "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": 80, "Protocol": "HTTP", "TargetType": "ip", "VpcId": ref("Vpc")}},
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "leak-test"}},
        }
        cfn, ec2, elb, ecs = self.client("cloudformation"), self.client("ec2"), self.client("elbv2"), self.client("ecs")
        cfn.create_stack(StackName="leaks", TemplateBody=json.dumps({"Resources": resources, "Outputs": {"Vpc": {"Value": ref("Vpc")}}}))
        vpc = cfn.describe_stacks(StackName="leaks")["Stacks"][0]["Outputs"][0]["OutputValue"]
        cfn.delete_stack(StackName="leaks")
        self.assertNotIn(vpc, [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]])
        self.assertEqual(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], [])
        self.assertEqual([n["State"] for n in ec2.describe_nat_gateways()["NatGateways"]], ["deleted"])
        self.assertEqual(ec2.describe_addresses()["Addresses"], [])
        self.assertEqual(ec2.describe_network_interfaces()["NetworkInterfaces"], [])
        attached = [a["VpcId"] for i in ec2.describe_internet_gateways()["InternetGateways"] for a in i.get("Attachments", [])]
        self.assertNotIn(vpc, attached)
        self.assertEqual([t["VpcId"] for t in elb.describe_target_groups()["TargetGroups"]], [])
        self.assertEqual([c["status"] for c in ecs.describe_clusters(clusters=["leak-test"])["clusters"]], ["INACTIVE"])

    def test_a_stack_secret_is_generated_kept_resolved_into_a_listener_rule_and_deleted(self) -> None:
        ref = lambda name: {"Ref": name}  # noqa: E731
        header = lambda prefix: {"Fn::Join": ["", [f"{prefix}.{{{{resolve:secretsmanager:", ref("Secret"), ":SecretString}}"]]}  # noqa: E731
        rule = lambda priority, prefix: {  # noqa: E731
            "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Properties": {
                "ListenerArn": ref("Listener"),
                "Priority": priority,
                "Conditions": [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Ecship-Colour", "Values": [header(prefix)]}}],
                "Actions": [{"Type": "forward", "TargetGroupArn": ref("Tg")}],
            },
        }
        resources = {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.6.0.0/16"}},
            "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": ref("Vpc"), "CidrBlock": "10.6.0.0/24", "AvailabilityZone": "us-east-1a"}},
            "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": ref("Vpc"), "CidrBlock": "10.6.1.0/24", "AvailabilityZone": "us-east-1b"}},
            "Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": [ref("SubnetA"), ref("SubnetB")]}},
            "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": 80, "Protocol": "HTTP", "TargetType": "ip", "VpcId": ref("Vpc")}},
            "Listener": {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {"LoadBalancerArn": ref("Lb"), "Port": 80, "Protocol": "HTTP", "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]},
            },
            "Secret": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {"Description": "d", "GenerateSecretString": {"PasswordLength": 32, "ExcludePunctuation": True}, "Tags": [{"Key": "ecship:stack", "Value": "sec"}]},
            },
            "Rule": rule(1, "web-green"),
        }
        template = {"Resources": resources, "Outputs": {"Secret": {"Value": ref("Secret")}, "Rule": {"Value": ref("Rule")}}}
        cfn, sm, elb = self.client("cloudformation"), self.client("secretsmanager"), self.client("elbv2")
        cfn.create_stack(StackName="sec", TemplateBody=json.dumps(template))
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="sec")["Stacks"][0]["Outputs"]}
        self.assertTrue(outputs["Secret"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:"), outputs)
        value = sm.get_secret_value(SecretId=outputs["Secret"])["SecretString"]
        self.assertEqual(len(value), 32)
        self.assertTrue(value.isalnum(), "no punctuation")

        def matched(arn: str) -> str:
            conditions = elb.describe_rules(RuleArns=[arn])["Rules"][0]["Conditions"]
            return conditions[0]["HttpHeaderConfig"]["Values"][0]

        self.assertEqual(matched(outputs["Rule"]), f"web-green.{value}", "the reference is resolved into the rule")
        self.assertIn("{{resolve:secretsmanager:", json.dumps(cfn.get_template(StackName="sec")["TemplateBody"]), "the template keeps the reference")
        # An update keeps the value, and resolves it into a rule it changes or adds.
        resources["Rule"] = rule(1, "web-blue")
        resources["Other"] = rule(2, "web-next")
        template["Outputs"]["Other"] = {"Value": ref("Other")}
        cfn.update_stack(StackName="sec", TemplateBody=json.dumps(template))
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="sec")["Stacks"][0]["Outputs"]}
        self.assertEqual(sm.get_secret_value(SecretId=outputs["Secret"])["SecretString"], value, "generated once")
        self.assertEqual(matched(outputs["Rule"]), f"web-blue.{value}")
        self.assertEqual(matched(outputs["Other"]), f"web-next.{value}")
        # Deleting the stack deletes the secret at once (no recovery window).
        cfn.delete_stack(StackName="sec")
        self.assertEqual([s["ARN"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]], [])

    def test_a_dynamic_reference_names_a_secret_by_name_or_arn_and_a_json_key(self) -> None:
        sm, cfn, logs = self.client("secretsmanager"), self.client("cloudformation"), self.client("logs")
        arn = sm.create_secret(Name="db", SecretString=json.dumps({"password": "p4ss", "user": "u"}))["ARN"]
        group = lambda name: {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": name}}  # noqa: E731
        resources = {
            "ByName": group("/by-name/{{resolve:secretsmanager:db:SecretString:password}}"),
            "ByArn": group(f"/by-arn/{{{{resolve:secretsmanager:{arn}:SecretString:user}}}}"),
        }
        cfn.create_stack(StackName="refs", TemplateBody=json.dumps({"Resources": resources}))
        names = {g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/by-")["logGroups"]}
        self.assertEqual(names, {"/by-name/p4ss", "/by-arn/u"})
        cfn.delete_stack(StackName="refs")
        sm.delete_secret(SecretId="db", ForceDeleteWithoutRecovery=True)

    def _ecs_service(self, cluster: str) -> tuple:
        ecs, ec2 = self.client("ecs"), self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName=cluster, Description="s", VpcId=vpc)["GroupId"]
        ecs.create_cluster(clusterName=cluster)

        def revision(env: list) -> str:
            container = {"name": "app", "image": "nginx:1", "memory": 512, "environment": env}
            return ecs.register_task_definition(family=cluster, containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]

        network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}}
        return ecs, revision, network

    def _one_off(self, env: list, log: bool) -> tuple:
        ecs, ec2, logs = self.client("ecs"), self.client("ec2"), self.client("logs")
        vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.0.0/24")["Subnet"]["SubnetId"]
        ecs.create_cluster(clusterName="jobs")
        container = {"name": "migrate", "image": "app:1", "environment": env}
        if log:
            logs.create_log_group(logGroupName="/jobs")
            container["logConfiguration"] = {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/jobs", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "migrate"},
            }
        revision = ecs.register_task_definition(
            family="jobs-migrate", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512", containerDefinitions=[container]
        )["taskDefinition"]["taskDefinitionArn"]
        network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": []}}
        task = ecs.run_task(cluster="jobs", taskDefinition=revision, launchType="FARGATE", networkConfiguration=network)["tasks"][0]
        return ecs, logs, task

    def test_one_off_task_runs_writes_its_log_and_stops_with_its_exit_code(self) -> None:
        env = [{"name": "EMULATOR_TASK_EXIT", "value": "3"}, {"name": "EMULATOR_TASK_SECONDS", "value": "0.6"}, {"name": "EMULATOR_TASK_LOG", "value": "one\ntwo"}]
        ecs, logs, task = self._one_off(env, log=True)
        self.assertEqual(ecs.describe_tasks(cluster="jobs", tasks=[task["taskArn"]])["tasks"][0]["lastStatus"], "RUNNING")
        time.sleep(1.0)
        done = ecs.describe_tasks(cluster="jobs", tasks=[task["taskArn"]])["tasks"][0]
        self.assertEqual(done["lastStatus"], "STOPPED")
        self.assertEqual(done["containers"][0]["exitCode"], 3)
        self.assertEqual(done["stopCode"], "EssentialContainerExited")
        self.assertIn("stoppedAt", done)
        stream = f"migrate/migrate/{task['taskArn'].split('/')[-1]}"
        events = logs.get_log_events(logGroupName="/jobs", logStreamName=stream)["events"]
        self.assertEqual([e["message"] for e in events], ["one", "two"])

    def test_filter_log_events_takes_a_stream_prefix_and_interleaves(self) -> None:
        logs = self.client("logs")
        logs.create_log_group(logGroupName="/mixed")
        now = int(time.time() * 1000)
        for stream, times in [("web/web/1", [1, 3]), ("worker/worker/2", [2, 4]), ("webhook/webhook/3", [5])]:
            logs.create_log_stream(logGroupName="/mixed", logStreamName=stream)
            logs.put_log_events(logGroupName="/mixed", logStreamName=stream, logEvents=[{"timestamp": now + t, "message": f"{stream} {t}"} for t in times])
        every = logs.filter_log_events(logGroupName="/mixed")["events"]
        self.assertEqual([e["message"].split()[1] for e in every], ["1", "2", "3", "4", "5"])
        web = logs.filter_log_events(logGroupName="/mixed", logStreamNamePrefix="web/")["events"]
        self.assertEqual([e["logStreamName"] for e in web], ["web/web/1", "web/web/1"])
        self.assertEqual(logs.filter_log_events(logGroupName="/mixed", logStreamNamePrefix="none/")["events"], [])

    def test_capacity_providers_come_from_the_template_and_bind_the_strategy(self) -> None:
        cfn, ecs, ec2 = self.client("cloudformation"), self.client("ecs"), self.client("ec2")
        template = {"Resources": {"C": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "spot", "CapacityProviders": ["FARGATE", "FARGATE_SPOT"]}}}}
        cfn.create_stack(StackName="spot", TemplateBody=json.dumps(template))
        ecs.create_cluster(clusterName="plain")
        vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.0.0/24")["Subnet"]["SubnetId"]
        revision = ecs.register_task_definition(family="spot", containerDefinitions=[{"name": "app", "image": "nginx:1", "memory": 512}])
        arn = revision["taskDefinition"]["taskDefinitionArn"]
        network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": []}}
        strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
        with self.assertRaises(Exception) as refused:
            ecs.create_service(cluster="plain", serviceName="web", taskDefinition=arn, desiredCount=1, capacityProviderStrategy=strategy, networkConfiguration=network)
        self.assertIn("not associated with the cluster", str(refused.exception))
        ecs.create_service(cluster="spot", serviceName="web", taskDefinition=arn, desiredCount=1, capacityProviderStrategy=strategy, networkConfiguration=network)
        self.assertEqual(self._settled(ecs, "spot", "web")["capacityProviderStrategy"], strategy)
        back = [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
        ecs.update_service(cluster="spot", service="web", capacityProviderStrategy=back, forceNewDeployment=True)
        service = ecs.describe_services(cluster="spot", services=["web"])["services"][0]
        self.assertEqual(service["capacityProviderStrategy"], back)
        self.assertEqual(len(service["deployments"]), 2, "a new deployment started")
        ecs.delete_service(cluster="spot", service="web", force=True)
        cfn.delete_stack(StackName="spot")

    def test_stop_task_kills_a_running_one_off_task(self) -> None:
        ecs, _, task = self._one_off([{"name": "EMULATOR_TASK_SECONDS", "value": "30"}], log=False)
        ecs.stop_task(cluster="jobs", task=task["taskArn"], reason="too slow")
        done = ecs.describe_tasks(cluster="jobs", tasks=[task["taskArn"]])["tasks"][0]
        self.assertEqual((done["lastStatus"], done["stopCode"], done["containers"][0]["exitCode"]), ("STOPPED", "UserInitiated", 137))
        self.assertEqual(done["stoppedReason"], "too slow")

    def _settled(self, ecs, cluster: str, name: str) -> dict:
        time.sleep(DEPLOY_SECONDS + 0.2)
        return ecs.describe_services(cluster=cluster, services=[name])["services"][0]

    def test_deployments_replace_each_other_and_complete(self) -> None:
        ecs, revision, network = self._ecs_service("deploys")
        first, second = revision([]), revision([{"name": "A", "value": "2"}])
        config = {"minimumHealthyPercent": 50, "maximumPercent": 100, "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
        ecs.create_service(
            cluster="deploys", serviceName="web", taskDefinition="deploys:1", desiredCount=2, launchType="FARGATE",
            networkConfiguration=network, deploymentConfiguration=config,
        )
        service = ecs.describe_services(cluster="deploys", services=["web"])["services"][0]
        self.assertEqual([(d["status"], d["rolloutState"], d["taskDefinition"]) for d in service["deployments"]], [("PRIMARY", "IN_PROGRESS", first)])
        self.assertEqual(service["runningCount"], 0)
        self.assertEqual(service["deploymentConfiguration"], config)
        self.assertEqual(service["healthCheckGracePeriodSeconds"], 0, "ECS fills in 0 when none is given")
        service = self._settled(ecs, "deploys", "web")
        self.assertEqual([(d["rolloutState"], d["runningCount"]) for d in service["deployments"]], [("COMPLETED", 2)])
        self.assertEqual(service["runningCount"], 2)
        self.assertIn("has reached a steady state", service["events"][0]["message"])

        ecs.update_service(cluster="deploys", service="web", taskDefinition=second)
        service = ecs.describe_services(cluster="deploys", services=["web"])["services"][0]
        self.assertEqual([(d["status"], d["taskDefinition"]) for d in service["deployments"]], [("PRIMARY", second), ("ACTIVE", first)])
        service = self._settled(ecs, "deploys", "web")
        self.assertEqual([(d["status"], d["rolloutState"], d["taskDefinition"]) for d in service["deployments"]], [("PRIMARY", "COMPLETED", second)])

        ecs.update_service(cluster="deploys", service="web", desiredCount=3)
        service = ecs.describe_services(cluster="deploys", services=["web"])["services"][0]
        self.assertEqual((len(service["deployments"]), service["runningCount"]), (1, 3))

    def test_failing_tasks_stop_with_their_reason_and_roll_back(self) -> None:
        ecs, revision, network = self._ecs_service("fails")
        good, bad = revision([]), revision([{"name": "EMULATOR_TASK_FAILURE", "value": "Essential container in task exited: exit 3"}])
        config = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
        ecs.create_service(
            cluster="fails", serviceName="web", taskDefinition=good, desiredCount=2, launchType="FARGATE",
            networkConfiguration=network, deploymentConfiguration=config,
        )
        self._settled(ecs, "fails", "web")
        ecs.update_service(cluster="fails", service="web", taskDefinition=bad)
        service = self._settled(ecs, "fails", "web")
        states = [(d["status"], d["rolloutState"], d["taskDefinition"]) for d in service["deployments"]]
        self.assertEqual(states, [("PRIMARY", "IN_PROGRESS", good), ("ACTIVE", "FAILED", bad)])
        self.assertTrue(any("rolling back" in e["message"] for e in service["events"]))
        stopped = ecs.list_tasks(cluster="fails", desiredStatus="STOPPED")["taskArns"]
        self.assertEqual(len(stopped), 2)
        tasks = ecs.describe_tasks(cluster="fails", tasks=stopped)["tasks"]
        self.assertEqual({(t["stoppedReason"], t["taskDefinitionArn"], t["group"], t["lastStatus"]) for t in tasks},
                         {("Essential container in task exited: exit 3", bad, "service:web", "STOPPED")})
        service = self._settled(ecs, "fails", "web")
        self.assertEqual([(d["rolloutState"], d["taskDefinition"]) for d in service["deployments"]], [("COMPLETED", good)])

    def test_failed_tasks_are_counted_before_the_circuit_breaker_trips(self) -> None:
        ecs, revision, network = self._ecs_service("breaker")
        good = revision([])
        bad = revision([{"name": "EMULATOR_TASK_FAILURE", "value": "CannotPullContainerError"}, {"name": "EMULATOR_BREAKER_SECONDS", "value": "1"}])
        config = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
        ecs.create_service(
            cluster="breaker", serviceName="web", taskDefinition=good, desiredCount=2, launchType="FARGATE",
            networkConfiguration=network, deploymentConfiguration=config,
        )
        self._settled(ecs, "breaker", "web")
        ecs.update_service(cluster="breaker", service="web", taskDefinition=bad)
        service = self._settled(ecs, "breaker", "web")
        primary = service["deployments"][0]
        self.assertEqual((primary["rolloutState"], primary["failedTasks"], primary["taskDefinition"]), ("IN_PROGRESS", 2, bad))
        self.assertEqual(len(ecs.list_tasks(cluster="breaker", desiredStatus="STOPPED")["taskArns"]), 2)
        time.sleep(1.0)
        service = ecs.describe_services(cluster="breaker", services=["web"])["services"][0]
        self.assertIn(("ACTIVE", "FAILED", bad), [(d["status"], d["rolloutState"], d["taskDefinition"]) for d in service["deployments"]])
        self.assertEqual(len(ecs.list_tasks(cluster="breaker", desiredStatus="STOPPED")["taskArns"]), 2, "no more stopped tasks when it trips")

    def test_running_tasks_are_targets_healthy_or_unhealthy_on_demand(self) -> None:
        ecs, revision, network = self._ecs_service("targets")
        elb = self.client("elbv2")
        vpc = self.client("ec2").describe_subnets(SubnetIds=network["awsvpcConfiguration"]["subnets"])["Subnets"][0]["VpcId"]
        tg = elb.create_target_group(Name="targets", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        good, sick = revision([]), revision([{"name": "EMULATOR_TARGET_HEALTH", "value": "unhealthy"}])
        lbs = [{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}]
        ecs.create_service(
            cluster="targets", serviceName="web", taskDefinition=good, desiredCount=2, launchType="FARGATE",
            networkConfiguration=network, loadBalancers=lbs,
        )
        states = lambda: sorted(d["TargetHealth"]["State"] for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"])
        self.assertEqual(states(), [], "no task runs yet")
        self._settled(ecs, "targets", "web")
        self.assertEqual(states(), ["healthy", "healthy"])
        ecs.update_service(cluster="targets", service="web", taskDefinition=sick)
        self._settled(ecs, "targets", "web")
        self.assertEqual(states(), ["unhealthy", "unhealthy"])
        ecs.update_service(cluster="targets", service="web", desiredCount=0)
        self.assertEqual(states(), [])

    def _native(self, cluster: str) -> tuple:
        """A service ECS rolls out natively (blue/green, paused after test traffic), and a
        reader of its rules' weights on the (blue, green) target groups."""
        ecs, revision, network = self._ecs_service(cluster)
        elb = self.client("elbv2")
        subnet = network["awsvpcConfiguration"]["subnets"][0]
        vpc = self.client("ec2").describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
        other = self.client("ec2").create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
        lb = elb.create_load_balancer(Name=cluster, Subnets=[subnet, other])["LoadBalancers"][0]["LoadBalancerArn"]
        tgs = [
            elb.create_target_group(Name=f"{cluster}-{c}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
            for c in ("blue", "green")
        ]
        forward = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tgs[0], "Weight": 100}, {"TargetGroupArn": tgs[1], "Weight": 0}]}}
        listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[forward])["Listeners"][0]["ListenerArn"]
        path = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]
        header = [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Test", "Values": ["1"]}}]
        prod = elb.create_rule(ListenerArn=listener, Priority=10, Conditions=path, Actions=[forward])["Rules"][0]["RuleArn"]
        test = elb.create_rule(ListenerArn=listener, Priority=1, Conditions=header, Actions=[forward])["Rules"][0]["RuleArn"]
        advanced = {"alternateTargetGroupArn": tgs[1], "productionListenerRule": prod, "testListenerRule": test, "roleArn": "arn:aws:iam::123456789012:role/ecs"}
        lbs = [{"targetGroupArn": tgs[0], "containerName": "app", "containerPort": 80, "advancedConfiguration": advanced}]
        hook = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}
        config = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": [hook]}
        ecs.create_service(
            cluster=cluster, serviceName="web", taskDefinition=revision([]), desiredCount=2, launchType="FARGATE",
            networkConfiguration=network, loadBalancers=lbs, deploymentConfiguration=config,
        )
        # The load balancer's parts go again: other tests count what is left.
        for tg in tgs:
            self.addCleanup(elb.delete_target_group, TargetGroupArn=tg)
        self.addCleanup(elb.delete_load_balancer, LoadBalancerArn=lb)
        self.addCleanup(elb.delete_listener, ListenerArn=listener)
        for rule in (prod, test):
            self.addCleanup(elb.delete_rule, RuleArn=rule)
        self.addCleanup(ecs.delete_service, cluster=cluster, service="web", force=True)

        def weights(rule: str) -> tuple:
            groups = elb.describe_rules(RuleArns=[rule])["Rules"][0]["Actions"][0]["ForwardConfig"]["TargetGroups"]
            return tuple(next(int(g["Weight"]) for g in groups if g["TargetGroupArn"] == tg) for tg in tgs)

        return ecs, revision, weights, prod, test

    def _latest(self, ecs, cluster: str) -> dict:
        briefs = ecs.list_service_deployments(cluster=cluster, service="web")["serviceDeployments"]
        arn = max(briefs, key=lambda b: b["createdAt"])["serviceDeploymentArn"]
        return ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def test_a_native_blue_green_deployment_pauses_after_test_traffic_then_moves_production(self) -> None:
        ecs, revision, weights, prod, test = self._native("native")
        time.sleep(DEPLOY_SECONDS + 0.2)
        self.assertEqual(self._latest(ecs, "native")["status"], "SUCCESSFUL", "a first deployment has no traffic to move")
        second = revision([{"name": "V", "value": "2"}])
        ecs.update_service(cluster="native", service="web", taskDefinition=second)
        started = self._latest(ecs, "native")
        self.assertEqual(started["lifecycleStage"], "SCALE_UP")
        target = ecs.describe_service_revisions(serviceRevisionArns=[started["targetServiceRevision"]["arn"]])["serviceRevisions"][0]
        self.assertEqual(target["taskDefinition"], second, "the revision it rolls out")
        time.sleep(DEPLOY_SECONDS + 0.2)
        paused = self._latest(ecs, "native")
        self.assertEqual((paused["status"], paused["lifecycleStage"]), ("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT"))
        hook = paused["lifecycleHookDetails"][0]
        self.assertEqual((hook["targetType"], hook["status"]), ("PAUSE", "AWAITING_ACTION"))
        self.assertEqual((weights(test), weights(prod)), ((0, 100), (100, 0)), "test traffic moved, production not")
        ecs.continue_service_deployment(serviceDeploymentArn=paused["serviceDeploymentArn"], hookId=hook["hookId"], action="CONTINUE")
        done = self._latest(ecs, "native")
        self.assertEqual(done["status"], "SUCCESSFUL")
        self.assertEqual(done["targetServiceRevision"]["requestedProductionTrafficWeight"], 100.0)
        self.assertEqual(weights(prod), (0, 100))

    def test_a_stopped_native_deployment_rolls_back_at_once(self) -> None:
        ecs, revision, weights, prod, test = self._native("stopped")
        first = revision([])
        time.sleep(DEPLOY_SECONDS + 0.2)
        ecs.update_service(cluster="stopped", service="web", taskDefinition=revision([{"name": "V", "value": "2"}]))
        time.sleep(DEPLOY_SECONDS + 0.2)
        arn = self._latest(ecs, "stopped")["serviceDeploymentArn"]
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        self.assertEqual(self._latest(ecs, "stopped")["status"], "ROLLBACK_IN_PROGRESS")
        self.assertEqual((weights(test), weights(prod)), ((100, 0), (100, 0)))
        time.sleep(DEPLOY_SECONDS + 0.2)
        back = self._latest(ecs, "stopped")
        self.assertEqual(back["status"], "ROLLBACK_SUCCESSFUL")
        self.assertIn("StopServiceDeployment", back["rollback"]["reason"])
        service = ecs.describe_services(cluster="stopped", services=["web"])["services"][0]
        self.assertEqual(service["taskDefinition"].rsplit(":", 1)[0], first.rsplit(":", 1)[0])
        self.assertEqual([d["rolloutState"] for d in service["deployments"]], ["COMPLETED"])
        with self.assertRaises(ecs.exceptions.ClientError) as e:
            ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        self.assertEqual(e.exception.response["Error"]["Code"], "ConflictException")

    def test_a_cluster_with_active_services_cannot_be_deleted(self) -> None:
        ecs, revision, network = self._ecs_service("busy")
        revision([])
        ecs.create_service(cluster="busy", serviceName="web", taskDefinition="busy:1", desiredCount=1, launchType="FARGATE", networkConfiguration=network)
        with self.assertRaises(ecs.exceptions.ClientError) as refused:
            ecs.delete_cluster(cluster="busy")
        self.assertEqual(refused.exception.response["Error"]["Code"], "ClusterContainsServicesException")
        ecs.delete_service(cluster="busy", service="web", force=True)
        ecs.delete_cluster(cluster="busy")
        self.assertEqual(ecs.describe_services(cluster="busy", services=["web"])["failures"][0]["reason"], "MISSING")


    def cbor(self, operation: str, body: dict) -> tuple[int, dict]:
        """Patch 12: CloudWatch's operation over Smithy RPC v2 CBOR, as the Rust SDK sends it."""
        import cbor2

        request = urllib.request.Request(
            f"{self.url}/service/GraniteServiceVersion20100801/operation/{operation}",
            data=cbor2.dumps(body),
            method="POST",
            headers={
                "Content-Type": "application/cbor",
                "Accept": "application/cbor",
                "smithy-protocol": "rpc-v2-cbor",
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261202/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, cbor2.loads(answer.read())
        except urllib.error.HTTPError as e:
            return e.code, cbor2.loads(e.read())

    def test_an_alarm_set_by_a_test_is_read_back_with_its_state_and_when_it_changed(self) -> None:
        put = {
            "AlarmName": "cbor-5xx",
            "Namespace": "AWS/ApplicationELB",
            "MetricName": "HTTPCode_Target_5XX_Count",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 10.0,
            "ComparisonOperator": "GreaterThanThreshold",
        }
        self.assertEqual(self.cbor("PutMetricAlarm", put), (200, {}))
        status, first = self.cbor("DescribeAlarms", {"AlarmNames": ["cbor-5xx", "missing"], "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]})
        self.assertEqual(status, 200)
        self.assertEqual([(a["AlarmName"], a["StateValue"]) for a in first["MetricAlarms"]], [("cbor-5xx", "OK")])
        self.assertEqual(first["CompositeAlarms"], [])
        before = first["MetricAlarms"][0]["StateUpdatedTimestamp"]
        self.assertIsInstance(before, datetime.datetime, "a timestamp is a CBOR timestamp (tag 1)")
        time.sleep(0.01)
        self.assertEqual(self.cbor("SetAlarmState", {"AlarmName": "cbor-5xx", "StateValue": "ALARM", "StateReason": "5xx up"}), (200, {}))
        _, after = self.cbor("DescribeAlarms", {"AlarmNames": ["cbor-5xx"], "AlarmTypes": ["MetricAlarm"]})
        alarm = after["MetricAlarms"][0]
        self.assertEqual((alarm["StateValue"], alarm["StateReason"]), ("ALARM", "5xx up"))
        self.assertGreater(alarm["StateUpdatedTimestamp"], before)
        # The same alarm over the query protocol (boto3): one backend.
        self.assertEqual(self.client("cloudwatch").describe_alarms(AlarmNames=["cbor-5xx"])["MetricAlarms"][0]["StateValue"], "ALARM")

    def test_an_operation_not_served_answers_an_error_in_cbor(self) -> None:
        now = datetime.datetime.now(datetime.timezone.utc)
        # A request AWS's model accepts (patch 60 refuses an empty one before it gets here).
        query = {"MetricDataQueries": [{"Id": "m1", "Expression": "1"}], "StartTime": now - datetime.timedelta(minutes=5), "EndTime": now}
        status, body = self.cbor("GetMetricData", query)
        self.assertEqual(status, 400)
        self.assertTrue(body["__type"].endswith("#UnknownOperationException"), body)

    def advance(self, seconds: float) -> float:
        request = urllib.request.Request(f"{self.url}/emulator/clock", data=json.dumps({"advance": seconds}).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())["offset"]

    def test_a_test_moves_the_clock_the_date_header_and_new_repositories_are_told_on(self) -> None:
        ecr = self.client("ecr")
        real = time.time()
        offset = self.advance(600)
        try:
            self.assertEqual(offset, 600)
            made = ecr.create_repository(repositoryName="clock/moved")
            date = made["ResponseMetadata"]["HTTPHeaders"]["date"]
            told = email.utils.parsedate_to_datetime(date).timestamp()
            self.assertAlmostEqual(told - real, 600, delta=5, msg=date)
            created = made["repository"]["createdAt"].timestamp()
            self.assertAlmostEqual(created - real, 600, delta=5)
            described = ecr.describe_repositories(repositoryNames=["clock/moved"])["repositories"][0]["createdAt"].timestamp()
            self.assertEqual(described, created)
        finally:
            self.assertEqual(self.advance(-600), 0)
            ecr.delete_repository(repositoryName="clock/moved", force=True)
        date = ecr.describe_repositories()["ResponseMetadata"]["HTTPHeaders"]["date"]
        self.assertAlmostEqual(email.utils.parsedate_to_datetime(date).timestamp(), time.time(), delta=5, msg="moved back")


if __name__ == "__main__":
    unittest.main()
