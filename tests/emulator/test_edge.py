"""Checks for patches 30 to 33 (tests/emulator/edge.py) against a running emulator.

Run: .venv/bin/python -m unittest discover -s tests/emulator   (scripts/test does)
"""

import json
import unittest

import test_server


def certificate(zone_id: str | None, names: list[str]) -> dict:
    props: dict = {"DomainName": names[0], "SubjectAlternativeNames": names[1:], "ValidationMethod": "DNS"}
    if zone_id:
        props["DomainValidationOptions"] = [{"DomainName": n, "HostedZoneId": zone_id} for n in names]
    return {
        "Resources": {"Cert": {"Type": "AWS::CertificateManager::Certificate", "Properties": props}},
        "Outputs": {"Arn": {"Value": {"Ref": "Cert"}}},
    }


class EdgeTest(test_server.RunningEmulator):
    """Against an emulator of its own, without test_server's checks."""

    def zone(self, name: str) -> str:
        r53 = self.client("route53")
        zone = r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
        return zone.split("/")[-1]

    def stack(self, name: str, template: dict) -> dict:
        cfn = self.client("cloudformation")
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
        return {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=name)["Stacks"][0].get("Outputs", [])}

    def records(self, zone_id: str) -> set:
        sets = self.client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
        return {(r["Name"].rstrip("."), r["Type"]) for r in sets}

    def test_a_certificate_validated_through_its_zone_is_issued_and_leaves_its_records(self) -> None:
        zone_id = self.zone("shop.test")
        arn = self.stack("cert-dns", certificate(zone_id, ["api.shop.test", "www.shop.test"]))["Arn"]
        acm = self.client("acm")
        cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        self.assertEqual(cert["Status"], "ISSUED")
        self.assertIn("www.shop.test", cert["SubjectAlternativeNames"])
        validation = {o["ResourceRecord"]["Name"].rstrip(".") for o in cert["DomainValidationOptions"]}
        self.assertEqual(validation, {n for n, t in self.records(zone_id) if t == "CNAME"})
        self.client("cloudformation").delete_stack(StackName="cert-dns")
        with self.assertRaises(acm.exceptions.ResourceNotFoundException):
            acm.describe_certificate(CertificateArn=arn)
        # As on AWS, the validation records stay in the zone.
        self.assertTrue(any(t == "CNAME" for _, t in self.records(zone_id)))

    def test_a_certificate_waits_for_its_validation_records(self) -> None:
        arn = self.stack("cert-pending", certificate(None, ["pending.nowhere.test"]))["Arn"]
        acm = self.client("acm")
        cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        self.assertEqual(cert["Status"], "PENDING_VALIDATION")
        record = cert["DomainValidationOptions"][0]["ResourceRecord"]
        zone_id = self.zone("nowhere.test")
        self.client("route53").change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": record["Name"], "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": record["Value"]}]}}]},
        )
        self.assertEqual(acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"], "ISSUED")
        self.client("cloudformation").delete_stack(StackName="cert-pending")

    def load_balancer(self, name: str, net: int) -> str:
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock=f"10.{net}.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{net}.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
            for i, z in ((1, "a"), (2, "b"))
        ]
        return self.client("elbv2").create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]

    def test_a_listener_moves_to_the_certificate_an_update_replaces(self) -> None:
        zone_id = self.zone("move.test")
        lb = self.load_balancer("move-lb", 8)
        template = certificate(zone_id, ["a.move.test"])
        template["Resources"]["Https"] = {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Properties": {
                "LoadBalancerArn": lb,
                "Port": 443,
                "Protocol": "HTTPS",
                "Certificates": [{"CertificateArn": {"Ref": "Cert"}}],
                "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
            },
        }
        old = self.stack("move", template)["Arn"]
        template["Resources"]["Cert"] = certificate(zone_id, ["a.move.test", "b.move.test"])["Resources"]["Cert"]
        cfn = self.client("cloudformation")
        cfn.update_stack(StackName="move", TemplateBody=json.dumps(template))
        new = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="move")["Stacks"][0]["Outputs"]}["Arn"]
        self.assertNotEqual(old, new)
        listener = self.client("elbv2").describe_listeners(LoadBalancerArn=lb)["Listeners"][0]
        self.assertEqual([c["CertificateArn"] for c in listener["Certificates"]], [new])
        acm = self.client("acm")
        with self.assertRaises(acm.exceptions.ResourceNotFoundException):
            acm.describe_certificate(CertificateArn=old)
        cfn.delete_stack(StackName="move")

    def test_a_web_acl_is_created_associated_and_deleted_with_its_stack(self) -> None:
        lb = self.load_balancer("waf-lb", 9)
        visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
        rule = {
            "Name": "common",
            "Priority": 0,
            "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
            "VisibilityConfig": visibility,
        }
        template = {
            "Resources": {
                "Acl": {
                    "Type": "AWS::WAFv2::WebACL",
                    "Properties": {"Name": "edge-acl", "Scope": "REGIONAL", "DefaultAction": {"Allow": {}}, "Rules": [rule], "VisibilityConfig": visibility},
                },
                "Assoc": {"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {"ResourceArn": lb, "WebACLArn": {"Fn::GetAtt": ["Acl", "Arn"]}}},
            },
            "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Acl", "Arn"]}}, "Ref": {"Value": {"Ref": "Acl"}}},
        }
        outputs = self.stack("waf", template)
        self.assertTrue(outputs["Ref"].startswith("edge-acl|") and outputs["Ref"].endswith("|REGIONAL"), outputs)
        waf = self.client("wafv2")
        acl = waf.get_web_acl_for_resource(ResourceArn=lb)["WebACL"]
        self.assertEqual((acl["ARN"], acl["Rules"][0]["Name"]), (outputs["Arn"], "common"))
        self.client("cloudformation").delete_stack(StackName="waf")
        self.assertNotIn("WebACL", waf.get_web_acl_for_resource(ResourceArn=lb))
        self.assertEqual(waf.list_web_acls(Scope="REGIONAL")["WebACLs"], [])


if __name__ == "__main__":
    unittest.main()
