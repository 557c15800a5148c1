"""Checks for patch 18 (tests/emulator/provisioning.py): stacks take the time AWS takes.

Run: .venv/bin/python -m unittest discover -s tests/emulator   (scripts/test does)
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import provisioning  # noqa: E402
import test_server  # noqa: E402

SCALE = 0.01


def network_and_load_balancer(log_retention: int = 7) -> dict:
    """A VPC, two subnets, a load balancer and its listener (15 + 5 + 180 + 2 seconds in a
    chain on AWS), a target group and a log group beside them."""
    subnet = lambda cidr, zone: {  # noqa: E731
        "Type": "AWS::EC2::Subnet",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr, "AvailabilityZone": zone},
    }
    return {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.7.0.0/16"}},
            "SubnetA": subnet("10.7.0.0/24", "us-east-1a"),
            "SubnetB": subnet("10.7.1.0/24", "us-east-1b"),
            "Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]}},
            "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": 80, "Protocol": "HTTP", "VpcId": {"Ref": "Vpc"}, "TargetType": "ip"}},
            "Listener": {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {
                    "LoadBalancerArn": {"Ref": "Lb"},
                    "Port": 80,
                    "Protocol": "HTTP",
                    "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}],
                },
            },
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": log_retention}},
        }
    }


class ChainTest(unittest.TestCase):
    def test_the_longest_chain_of_dependent_resources_is_the_stacks_time(self) -> None:
        resources = network_and_load_balancer()["Resources"]
        self.assertEqual(provisioning.chain(resources, set(resources), {}), 15 + 5 + 180 + 2)
        # Only what an operation touches takes time; what it depends on is already there.
        self.assertEqual(provisioning.chain(resources, {"Logs"}, {}), 2)
        self.assertEqual(provisioning.chain(resources, {"Tg", "Listener"}, {}), 2 + 2)

    def test_dependencies_come_from_ref_getatt_sub_and_depends_on(self) -> None:
        value = {
            "A": {"Ref": "Vpc"},
            "B": {"Fn::GetAtt": ["Lb", "DNSName"]},
            "C": {"Fn::GetAtt": "Role.Arn"},
            "D": {"Fn::Sub": "${Cluster}/${Service.Name}/${AWS::Region}/${!Literal}"},
            "E": {"Fn::Sub": ["${Local}-${Bucket}", {"Local": {"Ref": "Param"}}]},
        }
        self.assertEqual(provisioning.references(value), {"Vpc", "Lb", "Role", "Cluster", "Service", "AWS::Region", "Param", "Bucket"})
        resources = {
            "First": {"Type": "AWS::EC2::NatGateway"},
            "Second": {"Type": "AWS::ECS::Cluster", "DependsOn": "First"},
        }
        self.assertEqual(provisioning.chain(resources, set(resources), {}), 100 + 5)


class ProvisioningTest(test_server.RunningEmulator):
    @classmethod
    def setUpClass(cls) -> None:
        os.environ[provisioning.VAR] = str(SCALE)
        try:
            super().setUpClass()
        finally:
            del os.environ[provisioning.VAR]

    def wait(self, name: str) -> tuple[str, float]:
        """The stack's final status and the seconds it took to reach it."""
        cfn, started = self.client("cloudformation"), time.monotonic()
        while True:
            status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
            if not status.endswith("_IN_PROGRESS"):
                return status, time.monotonic() - started
            time.sleep(0.05)

    def test_a_stack_with_a_load_balancer_is_in_progress_for_its_chain_and_its_final_event_waits(self) -> None:
        cfn = self.client("cloudformation")
        cfn.create_stack(StackName="slow", TemplateBody=json.dumps(network_and_load_balancer()))
        self.assertEqual(cfn.describe_stacks(StackName="slow")["Stacks"][0]["StackStatus"], "CREATE_IN_PROGRESS")
        statuses = [e["ResourceStatus"] for e in cfn.describe_stack_events(StackName="slow")["StackEvents"] if e["LogicalResourceId"] == "slow"]
        self.assertEqual(statuses, ["CREATE_IN_PROGRESS"])
        status, took = self.wait("slow")
        expected = (15 + 5 + 180 + 2) * SCALE
        self.assertEqual(status, "CREATE_COMPLETE")
        self.assertGreater(took, expected - 0.3)
        self.assertLess(took, expected + 1.5)
        events = {e["ResourceStatus"]: e["Timestamp"] for e in cfn.describe_stack_events(StackName="slow")["StackEvents"] if e["LogicalResourceId"] == "slow"}
        self.assertAlmostEqual((events["CREATE_COMPLETE"] - events["CREATE_IN_PROGRESS"]).total_seconds(), expected, delta=0.3)

        # An update takes the time of what it changes: the log group, not the load balancer.
        cfn.update_stack(StackName="slow", TemplateBody=json.dumps(network_and_load_balancer(log_retention=14)))
        status, took = self.wait("slow")
        self.assertEqual(status, "UPDATE_COMPLETE")
        self.assertLess(took, 1.0)
        cfn.delete_stack(StackName="slow")

    def test_a_stack_of_a_target_group_and_a_log_group_completes_in_its_few_seconds(self) -> None:
        ec2, cfn = self.client("ec2"), self.client("cloudformation")
        vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
        template = {
            "Resources": {
                "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": 80, "Protocol": "HTTP", "VpcId": vpc, "TargetType": "ip"}},
                "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
            }
        }
        cfn.create_stack(StackName="quick", TemplateBody=json.dumps(template))
        status, took = self.wait("quick")
        self.assertEqual(status, "CREATE_COMPLETE")
        self.assertLess(took, 1.0)
        cfn.delete_stack(StackName="quick")


if __name__ == "__main__":
    unittest.main()
