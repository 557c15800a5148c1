"""Checks for patch 60: requests judged by AWS's own API models (tests/emulator/models.py,
tests/emulator/wire.py) — each constraint kind on botocore's shapes, and each wire protocol
through a running emulator, refused and accepted.

Run: .venv/bin/python -m unittest discover -s tests/emulator   (scripts/test does)
"""

import io
import os
import sys
import unittest
import urllib.request
from unittest import mock

import boto3
import botocore.config
import cbor2
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import models  # noqa: E402 - the emulator's modules live beside, not in a package
import wire  # noqa: E402
from test_server import RunningEmulator  # noqa: E402


def shape(service: str, operation: str):
    return models.service(service).operation_model(operation).input_shape


CONTAINER = {"name": "web", "image": "nginx", "memory": 128}


class ConstraintTest(unittest.TestCase):
    """One constraint kind each, on the operation's own input shape from botocore."""

    def verdict(self, service: str, operation: str, params: dict) -> list:
        return models.check(shape(service, operation), params)

    def test_required_members_at_every_level(self) -> None:
        ok = {"family": "web", "containerDefinitions": [CONTAINER], "volumes": [{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]}
        self.assertEqual(self.verdict("ecs", "RegisterTaskDefinition", ok), [])
        nested = {**ok, "volumes": [{"name": "v", "efsVolumeConfiguration": {}}]}
        self.assertEqual(
            self.verdict("ecs", "RegisterTaskDefinition", nested),
            ["Value null at 'volumes.1.member.efsVolumeConfiguration.fileSystemId' failed to satisfy constraint: Member must not be null"],
        )
        self.assertEqual(len(self.verdict("ecs", "RegisterTaskDefinition", {"containerDefinitions": [CONTAINER]})), 1, "family")

    def test_enums(self) -> None:
        ok = {"family": "web", "containerDefinitions": [CONTAINER], "networkMode": "awsvpc"}
        self.assertEqual(self.verdict("ecs", "RegisterTaskDefinition", ok), [])
        [v] = self.verdict("ecs", "RegisterTaskDefinition", {**ok, "networkMode": "vpc"})
        self.assertIn("Value 'vpc' at 'networkMode' failed to satisfy constraint: Member must satisfy enum value set: [bridge, host, awsvpc, none]", v)

    def test_string_lengths(self) -> None:
        ok = {"StackName": "s", "RoleARN": "arn:aws:iam::123456789012:role/deploy"}
        self.assertEqual(self.verdict("cloudformation", "CreateStack", ok), [])
        [v] = self.verdict("cloudformation", "CreateStack", {**ok, "RoleARN": "arn:short"})
        self.assertIn("at 'roleARN' failed to satisfy constraint: Member must have length greater than or equal to 20", v)

    def test_numeric_ranges(self) -> None:
        ok = {"Name": "tg", "HealthCheckIntervalSeconds": 5}
        self.assertEqual(self.verdict("elbv2", "CreateTargetGroup", ok), [])
        [v] = self.verdict("elbv2", "CreateTargetGroup", {**ok, "HealthCheckIntervalSeconds": 301})
        self.assertIn("Value '301' at 'healthCheckIntervalSeconds' failed to satisfy constraint: Member must have value less than or equal to 300", v)

    def test_list_sizes(self) -> None:
        tags = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        self.assertEqual(self.verdict("cloudformation", "CreateStack", {"StackName": "s", "Tags": tags}), [])
        [v] = self.verdict("cloudformation", "CreateStack", {"StackName": "s", "Tags": tags + [{"Key": "k50", "Value": "v"}]})
        self.assertIn("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50", v)

    def test_map_sizes(self) -> None:
        self.assertEqual(self.verdict("logs", "CreateLogGroup", {"logGroupName": "g", "tags": {"a": "b"}}), [])
        [v] = self.verdict("logs", "CreateLogGroup", {"logGroupName": "g", "tags": {}})
        self.assertIn("at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1", v)

    def test_patterns_match_the_whole_value(self) -> None:
        ok = {"StackName": "s", "ClientRequestToken": "ecship-1"}
        self.assertEqual(self.verdict("cloudformation", "CreateStack", ok), [])
        [v] = self.verdict("cloudformation", "CreateStack", {**ok, "ClientRequestToken": "ecship_1"})
        self.assertIn("Value 'ecship_1' at 'clientRequestToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9][-a-zA-Z0-9]*", v)

    def test_javas_unicode_classes_and_surrogate_ranges_are_understood(self) -> None:
        tags = {"ecship:stack": "shop"}
        self.assertEqual(self.verdict("logs", "CreateLogGroup", {"logGroupName": "g", "tags": tags}), [])
        [v] = self.verdict("logs", "CreateLogGroup", {"logGroupName": "g", "tags": {"ecship:stack": "a|b"}})
        self.assertIn("Value 'a|b' at 'tags.ecship:stack.member'", v)
        target = {"ServiceNamespace": "ecs", "ResourceId": "service/c/s", "ScalableDimension": "ecs:service:DesiredCount"}
        self.assertEqual(self.verdict("application-autoscaling", "DeregisterScalableTarget", target), [])
        [v] = self.verdict("application-autoscaling", "DeregisterScalableTarget", {**target, "ResourceId": "service/\x01"})
        self.assertIn("at 'resourceId' failed to satisfy constraint: Member must satisfy regular expression pattern", v)
        self.assertEqual(models.skipped_patterns(), [])

    def test_types(self) -> None:
        [v] = self.verdict("ecs", "RegisterTaskDefinition", {"family": "web", "containerDefinitions": [CONTAINER], "cpu": 256})
        self.assertIsInstance(v, models.TypeMismatch)
        self.assertIn("Value '256' at 'cpu' failed to satisfy constraint: Member must be of type string", v)
        [v] = self.verdict("ecs", "RegisterTaskDefinition", {"family": "web", "containerDefinitions": [{**CONTAINER, "essential": "yes"}]})
        self.assertIn("at 'containerDefinitions.1.member.essential' failed to satisfy constraint: Member must be of type boolean", v)

    def test_unions_set_exactly_one_member(self) -> None:
        config = {"openSearchResourceConfig": {"dataSourceRoleArn": "arn:aws:iam::123456789012:role/r", "dashboardViewerPrincipals": [], "applicationArn": "a", "retentionDays": 1}}
        ok = {"integrationName": "i", "integrationType": "OPENSEARCH", "resourceConfig": config}
        self.assertEqual([v for v in self.verdict("logs", "PutIntegration", ok) if "resourceConfig" in v and "Union" in v], [])
        [v] = [v for v in self.verdict("logs", "PutIntegration", {**ok, "resourceConfig": {}}) if "Union" in v]
        self.assertIn("failed to satisfy constraint: Union must have exactly one member set", v)

    def test_limits_only_awss_prose_states(self) -> None:
        services = [f"s{i}" for i in range(10)]
        self.assertEqual(models.prose_limits("ecs", "DescribeServices", {"services": services}), [])
        [v] = models.prose_limits("ecs", "DescribeServices", {"services": services + ["s10"]})
        self.assertIn("at 'services' failed to satisfy constraint: Member must have length less than or equal to 10", v)
        [v] = models.prose_limits("elbv2", "DescribeTags", {"ResourceArns": ["arn"] * 21})
        self.assertIn("at 'resourceArns'", v)

    def test_a_sensitive_members_value_is_never_told(self) -> None:
        [v] = self.verdict("secretsmanager", "CreateSecret", {"Name": "s", "SecretString": "hunter2" * 10000})
        self.assertNotIn("hunter2", v)
        self.assertIn("Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536", v)

    def test_the_summary_counts_the_violations(self) -> None:
        self.assertEqual(models.message(["a"]), "1 validation error detected: a")
        self.assertEqual(models.message(["a", "b"]), "2 validation errors detected: a; b")


class QueryDecodingTest(unittest.TestCase):
    """The query protocols' flattened forms, read back into the shape's values."""

    def test_lists_and_maps_of_the_query_protocol(self) -> None:
        form = {"Name": "t", "Attributes.entry.1.key": "DisplayName", "Attributes.entry.1.value": "d", "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"}
        self.assertEqual(
            wire._from_query(shape("sns", "CreateTopic"), form, "", False),
            {"Name": "t", "Attributes": {"DisplayName": "d"}, "Tags": [{"Key": "k", "Value": "v"}]},
        )
        self.assertEqual(wire._from_query(shape("cloudformation", "CreateStack"), {"StackName": "s", "Capabilities": ""}, "", False), {"StackName": "s", "Capabilities": []})

    def test_ec2s_numbered_capitalised_names(self) -> None:
        form = {"Filter.1.Name": "vpc-id", "Filter.1.Value.1": "vpc-1", "Filter.1.Value.2": "vpc-2", "MaxResults": "10", "DryRun": "false"}
        self.assertEqual(
            wire._from_query(shape("ec2", "DescribeSubnets"), form, "", True),
            {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1", "vpc-2"]}], "MaxResults": 10, "DryRun": False},
        )

    def test_text_that_is_no_number_stays_text_and_is_refused(self) -> None:
        params = wire._from_query(shape("ec2", "DescribeSubnets"), {"MaxResults": "ten"}, "", True)
        [v] = models.check(shape("ec2", "DescribeSubnets"), params)
        self.assertIn("Value 'ten' at 'maxResults' failed to satisfy constraint: Member must be of type integer", v)

    def test_the_switch_turns_the_checking_off(self) -> None:
        self.assertTrue(wire.enabled())
        with mock.patch.dict(os.environ, {"EMULATOR_CHECK_REQUESTS": "0"}):
            self.assertFalse(wire.enabled())


LOOSE = botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1})


class ProtocolTest(RunningEmulator):
    """Each wire protocol through a running emulator: a request AWS refuses is refused in that
    protocol's error shape, and the same request put right goes through."""

    def loose(self, service: str):
        # botocore checks parameters itself; switched off, it sends what AWS would refuse.
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test", config=LOOSE)

    def refused(self, call, *args, **kwargs) -> dict:
        with self.assertRaises(ClientError) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        return caught.exception.response["Error"]

    def test_json(self) -> None:
        ecs = self.loose("ecs")
        error = self.refused(ecs.register_task_definition, family="web", containerDefinitions=[{**CONTAINER, "cpu": "1"}])
        self.assertEqual(error["Code"], "SerializationException")
        error = self.refused(ecs.register_task_definition, family="web", containerDefinitions=[CONTAINER], networkMode="vpc")
        self.assertEqual(error["Code"], "ValidationException")
        self.assertIn("'networkMode' failed to satisfy constraint: Member must satisfy enum value set", error["Message"])
        ecs.register_task_definition(family="web", containerDefinitions=[CONTAINER], networkMode="awsvpc")
        ecs.create_cluster(clusterName="default")
        error = self.refused(ecs.describe_services, cluster="default", services=[f"s{i}" for i in range(11)])
        self.assertIn("Member must have length less than or equal to 10", error["Message"])
        ecs.describe_services(cluster="default", services=[f"s{i}" for i in range(10)])

    def test_query(self) -> None:
        cfn = self.loose("cloudformation")
        error = self.refused(cfn.describe_stacks, StackName="s", NextToken="")
        self.assertEqual(error["Code"], "ValidationError")
        self.assertEqual(error["Type"], "Sender")
        self.assertIn("Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1", error["Message"])
        self.assertEqual(cfn.describe_stacks()["Stacks"], [])

    def test_ec2_query(self) -> None:
        ec2 = self.loose("ec2")
        error = self.refused(ec2.describe_subnets, MaxResults=4)
        self.assertEqual(error["Code"], "InvalidParameterValue")
        self.assertIn("at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 5", error["Message"])
        self.assertEqual(self.refused(ec2.delete_subnet)["Code"], "MissingParameter")
        ec2.describe_subnets(MaxResults=5, Filters=[{"Name": "vpc-id", "Values": ["vpc-1"]}])

    def test_rest_json_members_in_the_uri_the_query_and_the_body(self) -> None:
        scheduler = self.loose("scheduler")
        target = {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": "arn:aws:iam::123456789012:role/r"}
        error = self.refused(scheduler.create_schedule, Name="nightly run", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
        self.assertEqual(error["Code"], "ValidationException")
        self.assertIn("Value 'nightly run' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern", error["Message"])
        error = self.refused(scheduler.create_schedule, Name="nightly", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "SOMETIMES"}, Target={"Arn": target["Arn"]})
        self.assertIn("2 validation errors detected", error["Message"])
        self.assertIn("Value null at 'target.roleArn' failed to satisfy constraint: Member must not be null", error["Message"])
        scheduler.create_schedule(Name="nightly", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
        efs = self.loose("efs")
        self.assertIn("at 'maxItems'", self.refused(efs.describe_file_systems, MaxItems=0)["Message"])
        efs.describe_file_systems(MaxItems=1)

    def cbor(self, operation: str, body: dict) -> tuple:
        url = f"{self.url}/service/GraniteServiceVersion20100801/operation/{operation}"
        request = AWSRequest("POST", url, data=cbor2.dumps(body), headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
        SigV4Auth(Credentials("test", "test"), "monitoring", "us-east-1").add_auth(request)
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=request.body, headers=dict(request.headers)), timeout=5) as answer:
                return answer.status, dict(answer.headers), cbor2.loads(answer.read())
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), cbor2.loads(e.read())

    def test_rpc_v2_cbor(self) -> None:
        alarm = {"AlarmName": "", "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold", "MetricName": "m", "Namespace": "n", "Period": 60, "Statistic": "Average", "Threshold": 1.0}
        status, headers, body = self.cbor("PutMetricAlarm", alarm)
        self.assertEqual((status, body["__type"], headers["x-amzn-query-error"]), (400, "ValidationError", "ValidationError;Sender"))
        self.assertIn("Value '' at 'alarmName' failed to satisfy constraint: Member must have length greater than or equal to 1", body["message"])
        status, _, body = self.cbor("PutMetricAlarm", {**alarm, "AlarmName": "high", "Statistic": "Mean"})
        self.assertIn("at 'statistic' failed to satisfy constraint: Member must satisfy enum value set", body["message"])
        self.assertEqual(self.cbor("PutMetricAlarm", {**alarm, "AlarmName": "high"})[0], 200)

    def test_rest_xml_headers(self) -> None:
        s3 = self.loose("s3")
        s3.create_bucket(Bucket="models-check")
        error = self.refused(s3.put_object, Bucket="models-check", Key="k", Body=b"x", ServerSideEncryption="AES128")
        self.assertEqual(error["Code"], "InvalidArgument")
        self.assertIn("Value 'AES128' at 'serverSideEncryption' failed to satisfy constraint", error["Message"])
        s3.put_object(Bucket="models-check", Key="k", Body=b"x", ServerSideEncryption="AES256")
        s3.copy_object(Bucket="models-check", Key="k2", CopySource="models-check/k")

    def test_the_emulators_own_endpoints_are_not_judged(self) -> None:
        def environ(path: str) -> dict:
            body = b'{"family": "web", "containerDefinitions": [], "networkMode": "vpc"}'
            return {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": path,
                "CONTENT_LENGTH": str(len(body)),
                "CONTENT_TYPE": "application/x-amz-json-1.1",
                "HTTP_X_AMZ_TARGET": "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
                "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=0",
                "wsgi.input": io.BytesIO(body),
            }

        self.assertEqual(wire.judge(environ("/"))[0], "400 Bad Request")
        for path in ("/moto-api/reset", "/emulator/clock"):
            self.assertIsNone(wire.judge(environ(path)), path)
        request = environ("/")
        wire.judge(request)
        self.assertIn(b"vpc", request["wsgi.input"].read(), "the body is put back for moto")

if __name__ == "__main__":
    unittest.main()
