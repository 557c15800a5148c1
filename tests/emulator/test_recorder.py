"""Checks for patch 80 (tests/emulator/recorder.py): each call is recorded as IAM names it.

Run: .venv/bin/python -m unittest discover -s tests/emulator
"""

import os
import tempfile
import unittest

import boto3
import cbor2

import recorder
import test_server


class RecorderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.dir = tempfile.TemporaryDirectory()
        cls.calls = os.path.join(cls.dir.name, "calls.txt")
        # The emulator the other self-tests start, told where to record.
        os.environ[recorder.VAR] = cls.calls
        try:
            test_server.EmulatorTest.setUpClass.__func__(cls)  # type: ignore[attr-defined]
        finally:
            del os.environ[recorder.VAR]

    @classmethod
    def tearDownClass(cls) -> None:
        test_server.EmulatorTest.tearDownClass.__func__(cls)  # type: ignore[attr-defined]
        cls.dir.cleanup()

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.url, region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")

    def lines(self) -> list[str]:
        with open(self.calls, encoding="utf-8") as f:
            return f.read().splitlines()

    def test_every_protocol_is_recorded_with_the_resource_it_names(self) -> None:
        open(self.calls, "w").close()
        ecs = self.client("ecs")
        ecs.create_cluster(clusterName="shop")
        ecs.describe_services(cluster="shop", services=["web"])
        self.client("cloudformation").list_stacks()
        try:
            self.client("cloudformation").describe_stacks(StackName="shop")
        except self.client("cloudformation").exceptions.ClientError:
            pass
        scheduler = self.client("scheduler")
        scheduler.create_schedule_group(Name="ecship-shop")
        s3 = self.client("s3")
        s3.create_bucket(Bucket="assets", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.list_object_versions(Bucket="assets", Prefix="stacks/shop/")
        s3.put_object(Bucket="assets", Key="stacks/shop/t.json", Body=b"{}")
        self.client("logs").create_log_group(logGroupName="/ecship/shop")
        self.assertEqual(
            self.lines(),
            [
                "ecs:CreateCluster\t-",
                "ecs:DescribeServices\tarn:aws:ecs:eu-west-1:123456789012:service/shop/web",
                "cloudformation:ListStacks\t-",
                "cloudformation:DescribeStacks\tarn:aws:cloudformation:eu-west-1:123456789012:stack/shop/*",
                "scheduler:CreateScheduleGroup\tarn:aws:scheduler:eu-west-1:123456789012:schedule-group/ecship-shop",
                "s3:CreateBucket\tarn:aws:s3:::assets",
                "s3:ListObjectVersions\tarn:aws:s3:::assets",
                "s3:PutObject\tarn:aws:s3:::assets/stacks/shop/t.json",
                "logs:CreateLogGroup\tarn:aws:logs:eu-west-1:123456789012:log-group:/ecship/shop",
            ],
        )

    def test_a_resource_named_by_arn_is_recorded_as_named(self) -> None:
        environ = {
            "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=x",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "REQUEST_METHOD": "POST",
        }
        rule = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3"
        body = f"Action=ModifyRule&Version=2015-12-01&RuleArn={rule}".encode()
        self.assertEqual(recorder.record_line(environ, body), f"elasticloadbalancing:ModifyRule\t{rule}")

    def test_cloudwatch_over_rpc_v2_cbor_is_named_by_its_path_and_monitoring_is_cloudwatch(self) -> None:
        environ = {
            "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x",
            "PATH_INFO": "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
            "CONTENT_TYPE": "application/cbor",
            "REQUEST_METHOD": "POST",
        }
        self.assertEqual(recorder.record_line(environ, cbor2.dumps({"AlarmNames": ["a"]})), "cloudwatch:DescribeAlarms\t-")

    def test_route53_over_rest_xml_is_named_by_its_method_and_uri(self) -> None:
        environ = {
            "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=x",
            "PATH_INFO": "/2013-04-01/hostedzonesbyname",
            "QUERY_STRING": "dnsname=example.com.",
            "REQUEST_METHOD": "GET",
        }
        self.assertEqual(recorder.record_line(environ, b""), "route53:ListHostedZonesByName\t-")


if __name__ == "__main__":
    unittest.main()
