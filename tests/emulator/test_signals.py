"""Checks for the signals patches (50–53, tests/emulator/signals.py) against a running server.

Run: .venv/bin/python -m unittest discover -s tests/emulator   (scripts/test does)
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_server  # noqa: E402

TEMPLATE = {
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}},
        "Group": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": 80, "Protocol": "HTTP", "TargetType": "ip", "VpcId": {"Ref": "Vpc"}}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "demo-signals"}},
        "Email": {"Type": "AWS::SNS::Subscription", "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "oncall@example.com"}},
        "Policy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": ["sns:Publish"], "Resource": {"Ref": "Topic"}}]}},
        },
        "Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": "demo-web-errors_5xx",
                "AlarmActions": [{"Ref": "Topic"}],
                "OKActions": [{"Ref": "Topic"}],
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": 5.0,
                "EvaluationPeriods": 1,
                "TreatMissingData": "notBreaching",
                "Metrics": [
                    {"Id": "e0", "ReturnData": False, "MetricStat": {"Period": 300, "Stat": "Sum", "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": [{"Name": "TargetGroup", "Value": {"Fn::GetAtt": ["Group", "TargetGroupFullName"]}}]}}},
                    {"Id": "share", "Expression": "100 * FILL(e0, 0)", "ReturnData": True},
                ],
            },
        },
    },
    "Outputs": {"AlarmArn": {"Value": {"Fn::GetAtt": ["Alarm", "Arn"]}}, "Full": {"Value": {"Fn::Sub": "${Group.TargetGroupFullName}"}}},
}


class SignalsTest(test_server.RunningEmulator):
    """Against an emulator of its own, without test_server's checks."""

    def test_alarms_subscriptions_and_topic_policies_come_and_go_with_their_stack(self) -> None:
        cfn, cw, sns, elb = self.client("cloudformation"), self.client("cloudwatch"), self.client("sns"), self.client("elbv2")
        cfn.create_stack(StackName="signals", TemplateBody=json.dumps(TEMPLATE))
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="signals")["Stacks"][0]["Outputs"]}
        # 50: the target group's full name is its ARN's last part.
        group_arn = elb.describe_target_groups()["TargetGroups"][0]["TargetGroupArn"]
        self.assertEqual(outputs["Full"], group_arn.split(":")[-1])
        self.assertTrue(outputs["Full"].startswith("targetgroup/"))
        # 51: the alarm with its metric math, threshold and actions.
        alarm = cw.describe_alarms(AlarmNames=["demo-web-errors_5xx"])["MetricAlarms"][0]
        topic = sns.list_topics()["Topics"][0]["TopicArn"]
        self.assertEqual(outputs["AlarmArn"], alarm["AlarmArn"])
        self.assertEqual((alarm["Threshold"], alarm["ComparisonOperator"]), (5.0, "GreaterThanThreshold"))
        self.assertEqual((alarm["AlarmActions"], alarm["OKActions"]), ([topic], [topic]))
        self.assertEqual(alarm["TreatMissingData"], "notBreaching")
        self.assertEqual([m["Id"] for m in alarm["Metrics"]], ["e0", "share"])
        dims = alarm["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"]
        self.assertEqual(dims, [{"Name": "TargetGroup", "Value": outputs["Full"]}])
        # 52: the e-mail subscription, waiting for its confirmation.
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual([(s["Protocol"], s["Endpoint"]) for s in subs], [("email", "oncall@example.com")])
        # 53: the topic's policy is the template's.
        policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
        self.assertEqual(policy["Statement"][0]["Principal"], {"Service": "events.amazonaws.com"})
        cfn.delete_stack(StackName="signals")
        self.assertEqual(cw.describe_alarms()["MetricAlarms"], [])
        self.assertEqual(sns.list_subscriptions()["Subscriptions"], [])
        self.assertEqual(sns.list_topics()["Topics"], [])

    def test_an_alarm_renamed_by_an_update_replaces_the_old_one(self) -> None:
        cfn, cw = self.client("cloudformation"), self.client("cloudwatch")
        cfn.create_stack(StackName="rename", TemplateBody=json.dumps(TEMPLATE))
        renamed = json.loads(json.dumps(TEMPLATE))
        renamed["Resources"]["Alarm"]["Properties"]["AlarmName"] = "demo-web-errors"
        renamed["Resources"]["Alarm"]["Properties"]["Threshold"] = 10.0
        cfn.update_stack(StackName="rename", TemplateBody=json.dumps(renamed))
        alarms = cw.describe_alarms()["MetricAlarms"]
        self.assertEqual([(a["AlarmName"], a["Threshold"]) for a in alarms], [("demo-web-errors", 10.0)])
        cfn.delete_stack(StackName="rename")
        self.assertEqual(cw.describe_alarms()["MetricAlarms"], [])


if __name__ == "__main__":
    unittest.main()
