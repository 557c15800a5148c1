"""A stack's signals in CloudFormation as AWS has them, which moto (5.2.5) does not: patches 50
to 53 of tests/emulator/server.py, checked by tests/emulator/test_signals.py.

50. `Fn::GetAtt [TargetGroup, TargetGroupFullName]` (and `${TG.TargetGroupFullName}` in
    `Fn::Sub`) fails in moto: its target groups have no CloudFormation attributes. Here they
    have those AWS documents: TargetGroupFullName (`targetgroup/NAME/ID`, the ARN's last
    part, the `TargetGroup` dimension of its CloudWatch metrics), TargetGroupName,
    TargetGroupArn and LoadBalancerArns.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-elasticloadbalancingv2-targetgroup.html#aws-resource-elasticloadbalancingv2-targetgroup-return-values

51. `AWS::CloudWatch::Alarm` is no CloudFormation type in moto: it is skipped without a word.
    Here it puts the alarm in moto's CloudWatch backend, with its metric-math `Metrics` (or
    one metric), threshold, comparison, periods, `AlarmActions`, `OKActions` and
    `TreatMissingData`; `Ref` gives its name and `Fn::GetAtt [A, Arn]` its ARN; an update puts
    it again (a new `AlarmName` replaces it, as on AWS); deleting it (or the stack) deletes
    the alarm.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-alarm.html

52. `AWS::SNS::Subscription` is no CloudFormation type in moto. Here it subscribes `Endpoint`
    with `Protocol` to `TopicArn` in moto's SNS backend (an e-mail subscription waits for its
    confirmation, `PendingConfirmation`, as on AWS); `Ref` gives the subscription's ARN; an
    update to another topic, protocol or endpoint replaces it; deleting it unsubscribes.
    Deleting the topic deletes its subscriptions (moto already does, as AWS does).
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-subscription.html

53. `AWS::SNS::TopicPolicy` is no CloudFormation type in moto. Here it sets the `Policy`
    attribute of each of its `Topics` (what GetTopicAttributes answers), and deleting it
    gives them back the default policy, as AWS does.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topicpolicy.html

`AWS::Chatbot::SlackChannelConfiguration` stays unpatched (moto has no Chatbot service): its
resource is skipped without a word; ecship reads nothing of it back.
"""

import json
from typing import Any

from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.elbv2.models import FakeTargetGroup
from moto.sns.models import sns_backends


def _props(cloudformation_json: dict) -> dict:
    return cloudformation_json.get("Properties", {})


# --- 50 ------------------------------------------------------------------------------------

TARGET_GROUP_ATTRIBUTES = ("TargetGroupFullName", "TargetGroupName", "TargetGroupArn", "LoadBalancerArns")


def _target_group_has_cfn_attr(cls: Any, attr: str) -> bool:
    return attr in TARGET_GROUP_ATTRIBUTES


def _target_group_attribute(self: FakeTargetGroup, attribute_name: str) -> Any:
    if attribute_name == "TargetGroupFullName":
        return self.arn.split(":")[-1]
    if attribute_name == "TargetGroupName":
        return self.name
    if attribute_name == "TargetGroupArn":
        return self.arn
    if attribute_name == "LoadBalancerArns":
        return list(self.load_balancer_arns)
    raise NotImplementedError(f"{attribute_name} of a target group")


# --- 51 ------------------------------------------------------------------------------------


def _metric(spec: dict) -> Metric:
    dims = [Dimension(d.get("Name"), d.get("Value")) for d in spec.get("Dimensions", [])]
    return Metric(spec.get("MetricName", ""), spec.get("Namespace", ""), dims)


def _queries(metrics: list) -> list:
    out = []
    for q in metrics:
        stat = q.get("MetricStat")
        metric_stat = None
        if stat:
            metric_stat = MetricStat(_metric(stat.get("Metric", {})), stat.get("Period"), stat.get("Stat"), stat.get("Unit"))
        out.append(
            MetricDataQuery(
                query_id=q.get("Id", ""),
                label=q.get("Label"),
                period=q.get("Period"),
                return_data=q.get("ReturnData", True),
                expression=q.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return out


class CfnAlarm(CloudFormationModel):
    """AWS::CloudWatch::Alarm, backed by moto's CloudWatch backend."""

    # moto files model classes by the service named in their module path.
    __module__ = "moto.cloudwatch.models"

    def __init__(self, name: str, arn: str) -> None:
        self.name = name
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "CfnAlarm":
        p = _props(cloudformation_json)
        name = p.get("AlarmName", resource_name)
        dims = [{"name": d.get("Name"), "value": d.get("Value")} for d in p.get("Dimensions", [])]
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=p.get("Namespace", ""),
            metric_name=p.get("MetricName", ""),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p.get("Period", 0)),
            threshold=float(p.get("Threshold", 0)),
            statistic=p.get("Statistic", ""),
            description=p.get("AlarmDescription", ""),
            dimensions=dims,
            alarm_actions=list(p.get("AlarmActions", [])),
            metric_data_queries=_queries(p.get("Metrics", [])) or None,
            datapoints_to_alarm=int(p["DatapointsToAlarm"]) if "DatapointsToAlarm" in p else None,
            extended_statistic=p.get("ExtendedStatistic"),
            ok_actions=list(p.get("OKActions", [])),
            insufficient_data_actions=list(p.get("InsufficientDataActions", [])),
            actions_enabled=bool(p.get("ActionsEnabled", True)),
            treat_missing_data=p.get("TreatMissingData"),
            tags=p.get("Tags"),
        )
        return cls(name, alarm.alarm_arn)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: "CfnAlarm", new_resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> "CfnAlarm":
        new_name = _props(cloudformation_json).get("AlarmName", new_resource_name)
        if new_name != original_resource.name:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.name])

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise NotImplementedError(f"{attribute_name} of an alarm")


# --- 52 ------------------------------------------------------------------------------------


class CfnSubscription(CloudFormationModel):
    """AWS::SNS::Subscription, backed by moto's SNS backend."""

    __module__ = "moto.sns.models"

    def __init__(self, arn: str, topic_arn: str, protocol: str, endpoint: str) -> None:
        self.arn = arn
        self.key = (topic_arn, protocol, endpoint)

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "CfnSubscription":
        p = _props(cloudformation_json)
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(p["TopicArn"], p["Endpoint"], p["Protocol"])
        if p["Protocol"] in ("email", "email-json"):
            # A person confirms it from the e-mail; until then AWS reports it pending.
            subscription.confirmed = False
            subscription.attributes["PendingConfirmation"] = "true"
        return cls(subscription.arn, p["TopicArn"], p["Protocol"], p["Endpoint"])

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: "CfnSubscription", new_resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> "CfnSubscription":
        p = _props(cloudformation_json)
        if (p["TopicArn"], p["Protocol"], p["Endpoint"]) == original_resource.key:
            return original_resource
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> None:
        sns_backends[account_id][region_name].unsubscribe(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        sns_backends[account_id][region_name].unsubscribe(self.arn)

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise NotImplementedError(f"{attribute_name} of a subscription")


# --- 53 ------------------------------------------------------------------------------------


class CfnTopicPolicy(CloudFormationModel):
    """AWS::SNS::TopicPolicy: the `Policy` attribute of its topics."""

    __module__ = "moto.sns.models"

    def __init__(self, topics: list, logical_id: str) -> None:
        self.topics = topics
        self.logical_id = logical_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "CfnTopicPolicy":
        p = _props(cloudformation_json)
        backend = sns_backends[account_id][region_name]
        for arn in p.get("Topics", []):
            backend.get_topic(arn).policy = json.dumps(p.get("PolicyDocument", {}))
        return cls(list(p.get("Topics", [])), resource_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: "CfnTopicPolicy", new_resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> "CfnTopicPolicy":
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> None:
        return None

    def delete(self, account_id: str, region_name: str) -> None:
        backend = sns_backends[account_id][region_name]
        for arn in self.topics:
            topic = backend.topics.get(arn)
            if topic is not None:
                topic._policy_json = topic._create_default_topic_policy(region_name, account_id, topic.name)

    @property
    def physical_resource_id(self) -> str:
        return self.logical_id


def install() -> None:
    # Importing the classes above registered them with moto's CloudFormation (subclasses of its model).
    FakeTargetGroup.has_cfn_attr = classmethod(_target_group_has_cfn_attr)  # type: ignore[method-assign,assignment]
    FakeTargetGroup.get_cfn_attribute = _target_group_attribute  # type: ignore[method-assign]
