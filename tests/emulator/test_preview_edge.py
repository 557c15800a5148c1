"""Checks for patch 45 (tests/emulator/preview_edge.py) against a running emulator.

Run: .venv/bin/python -m unittest discover -s tests/emulator   (scripts/test does)
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_server  # noqa: E402


def listener_certificate(listener_arn: str, certificate_arn: str) -> dict:
    props = {"ListenerArn": listener_arn, "Certificates": [{"CertificateArn": certificate_arn}]}
    return {"Resources": {"Extra": {"Type": "AWS::ElasticLoadBalancingV2::ListenerCertificate", "Properties": props}}}


class ListenerCertificateTest(test_server.RunningEmulator):

    def https_listener(self, own: str) -> str:
        ec2, elb = self.client("ec2"), self.client("elbv2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
            for i, z in enumerate("ab")
        ]
        lb = elb.create_load_balancer(Name="preview-edge", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        listener = elb.create_listener(
            LoadBalancerArn=lb,
            Protocol="HTTPS",
            Port=443,
            Certificates=[{"CertificateArn": own}],
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
        )
        return listener["Listeners"][0]["ListenerArn"]

    def served(self, listener: str) -> set:
        certs = self.client("elbv2").describe_listener_certificates(ListenerArn=listener)["Certificates"]
        return {c["CertificateArn"] for c in certs}

    def test_a_listener_certificate_is_served_until_its_stack_is_deleted_and_the_listeners_own_stays(self) -> None:
        acm, cfn = self.client("acm"), self.client("cloudformation")
        own = acm.request_certificate(DomainName="shop.test")["CertificateArn"]
        extra = acm.request_certificate(DomainName="pr-1.preview.shop.test")["CertificateArn"]
        listener = self.https_listener(own)
        before = self.served(listener)
        cfn.create_stack(StackName="listener-cert", TemplateBody=json.dumps(listener_certificate(listener, extra)))
        self.assertEqual(self.served(listener), before | {extra})
        cfn.delete_stack(StackName="listener-cert")
        self.assertEqual(self.served(listener), before)
        self.assertNotIn(extra, self.served(listener))


if __name__ == "__main__":
    unittest.main()
