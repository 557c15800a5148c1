"""The local AWS emulator for ecship's tests: moto's server, plus what moto lacks.

Usage: python tests/emulator/server.py PORT   (ready when GET /moto-api/config answers)

Stock moto (5.2.5) falls short of AWS in ways that would otherwise force production code to
bend. Each patch below is the smallest that makes moto behave like AWS for what ecship
uses, citing the AWS documentation of the behaviour it reproduces; tests/emulator/test_*.py
check every one of them.

1. CloudFormation has no `AWS::ServiceDiscovery::HttpNamespace` (the Service Connect
   namespace ecship's templates declare when services call each other): moto skips the type,
   and a template reading `Fn::GetAtt [Ns, Arn]` gets HTTP 500 from CreateStack. Here the
   type creates, reports and deletes a namespace in moto's own Cloud Map backend, with the
   attributes AWS documents: Ref = the namespace id, GetAtt Arn and Id.
   (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-servicediscovery-httpnamespace.html)

2. Deleting a stack, or removing resources from it in an update, leaks what moto's
   CloudFormation cannot delete — listener rules, target groups, the ECS
   cluster, NAT gateways (and their network interfaces), the internet gateway's attachment,
   route tables, Elastic IPs — and then fails on the VPC with `DependencyViolation` while the
   stack itself vanishes. Here those types get the deletes AWS performs (a deleted cluster
   turns INACTIVE and a NAT gateway `deleted`, as on AWS), and moto's own retrying delete
   passes put them in dependency order.
   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-console-delete-stack.html: deleting a stack deletes all its resources;
   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks.html: an update deletes the resources it removes)

3. ECS deployments never progress in stock moto. tests/emulator/ecs_deployments.py adds what
   ECS does: deployments that replace each other and complete after a short, configurable
   time, and tasks that fail on demand with stop reasons, rolled back by the circuit breaker.
   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html,
   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html)

4. CloudFormation ignores `ClientRequestToken`: a CreateStack sent again after its answer
   was lost fails with AlreadyExistsException, and an UpdateStack sent again starts another
   update. Here, as on AWS, a create, update or delete repeating the token of one already
   accepted for that stack answers as the first did, and does nothing more.
   (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html, ClientRequestToken: "A unique identifier for this
   CreateStack request … so that CloudFormation knows that you're not attempting to create a
   stack with the same name"; the same in API_UpdateStack.html and API_DeleteStack.html)

5. S3 ignores `ExpectedBucketOwner`: a request naming the account that must own a bucket
   is served whoever owns it. Here, as on AWS, a bucket another account owns answers 403
   AccessDenied to such a request (the asset bucket's guard against a bucket of the same
   name elsewhere).
   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html)

6. Nested stacks (`AWS::CloudFormation::Stack`): moto replaces one on every update of its
   parent (deletes it with all its resources and creates it anew under another name), has
   no `Fn::GetAtt [Nested, Outputs.NAME]`, and writes nothing about it in the parent's
   events. Here, as on AWS, an update of the parent updates the nested stack in place (from
   its TemplateURL and Parameters), `Outputs.NAME` reads its outputs, and the parent's
   events tell of the nested stack (logical id, stack id, CREATE_/UPDATE_ IN_PROGRESS and
   COMPLETE).
   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-nested-stacks.html,
   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stack.html: GetAtt Outputs.NestedStackOutputName)

7. Resources never fail in moto's CloudFormation, so a failed update cannot be seen. Here a
   nested stack's update fails on demand, as AWS reports it: when a resource of its new
   template carries `emulator-resource-failure` in a property, nothing of the nested stack
   changes, its events tell of that resource UPDATE_FAILED with a reason and of the nested
   stack rolled back (UPDATE_ROLLBACK_COMPLETE), and the parent's events tell of the nested
   stack UPDATE_FAILED and of the parent rolled back, which it then is: its template is the
   one before the update (other changes of the same update are not undone: tests that fail
   an update change only the failing resource).
   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks.html: a failed update rolls back to the last
   working state; https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackEvents.html for the events)

8. Application Auto Scaling: deregistering a scalable target leaves its scaling policies
   and scheduled actions behind (they come back when the target is registered again), and
   deregistering one that does not exist answers ValidationException. Here, as on AWS, the
   target's policies (with their alarms) and scheduled actions go with it, and a missing
   one answers ObjectNotFoundException.
   (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html:
   "Deregistering a scalable target deletes the scaling policies and the scheduled actions that are
   associated with it"; ObjectNotFoundException is among its errors)

9. One-off tasks (RunTask) fail with HTTP 500 when memory is given at the task level, never
   stop on their own and write no log lines. tests/emulator/ecs_tasks.py gives them ECS's
   lifecycle: a run of a few seconds, an exit code, log lines in the awslogs stream, and
   StopTask as ECS reports it (`EMULATOR_TASK_EXIT`, `EMULATOR_TASK_SECONDS`,
   `EMULATOR_TASK_LOG` in the container's environment).
   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html,
   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html,
   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html)

10. CloudWatch Logs' FilterLogEvents ignores `logStreamNamePrefix` (every stream of the
    group answers) and, unless asked with the deprecated `interleaved`, returns events
    stream by stream. Here, as on AWS, only streams with the prefix answer, and events come
    in time order across streams.
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html:
    logStreamNamePrefix, and `interleaved` deprecated because results are always interleaved)

11. CloudFormation's `Ref` of an `AWS::EFS::AccessPoint` gives the Python object's text
    (`<moto.efs.models.AccessPoint object at …>`) instead of the access point id. Here it
    gives the id (`fsap-…`), as on AWS.
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-efs-accesspoint.html: Ref returns the access point ID)

12. CloudWatch answers only its query protocol; the AWS SDK for Rust calls it over Smithy's
    RPC v2 CBOR protocol (and gets 404). tests/emulator/cloudwatch_cbor.py serves the alarm
    operations over it from moto's own backend, so a test's SetAlarmState is what a rollout
    reads.
    (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html, the protocol CloudWatch's
    model lists first: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/Welcome.html)

13. ECS's native blue/green, canary and linear deployments (`deploymentConfiguration.strategy`
    with the load balancer's `advancedConfiguration`) never run in moto, which has no service
    deployments at all. tests/emulator/ecs_native.py runs them through their lifecycle stages,
    moving the listener rules' weights, pausing at PAUSE hooks, rolling back on
    StopServiceDeployment, alarms and the circuit breaker, and serves
    List/DescribeServiceDeployments, StopServiceDeployment and ContinueServiceDeployment.
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html,
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/pause-lifecycle-hooks.html)

14. A resource removed from a stack by an update is deleted even when its template says
    `DeletionPolicy: Retain` (moto honours the policy only when the whole stack is deleted).
    Here, as on AWS, it is kept: it leaves the stack and stays in its service (an EFS file
    system ecship keeps with its data).
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html: "This capability also applies to
    stack update operations that lead to resources being deleted from stacks")

15. AWS's clock cannot be moved, so a test cannot show a lock going stale without waiting for
    it. Here `POST /emulator/clock` with `{"advance": SECONDS}` moves the emulator's clock
    forward (or back, with a negative number) and answers `{"offset": SECONDS}`: the `Date`
    header of every answer and the creation time of new ECR repositories (what ecship's
    stack lock is judged by) are told on the moved clock, as if that much time had passed
    on AWS's side. Nothing else reads it.
    (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Repository.html: createdAt;
    every AWS answer carries the service's `Date`: https://www.rfc-editor.org/rfc/rfc9110#section-6.6.1)

16. CloudFormation has no `AWS::SecretsManager::Secret` (the test-route secret ecship's
    templates declare for test rules): moto skips the type. tests/emulator/cfn_secrets.py
    creates, keeps and deletes it in moto's Secrets Manager backend, with a value generated
    from `GenerateSecretString` as AWS does; Ref = its ARN.
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-secretsmanager-secret.html)

17. CloudFormation's dynamic references (`{{resolve:secretsmanager:…}}`, which the test rules'
    header values hold) reach moto's resources as text. tests/emulator/cfn_secrets.py resolves
    them into a resource's properties when it is created or updated, as AWS does; GetTemplate
    still gives the reference.
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html)

18. moto's CloudFormation creates a whole stack within the CreateStack call; on AWS each
    resource is created and stabilised, in dependency order, and a stack with a load balancer
    or a NAT gateway takes minutes. tests/emulator/provisioning.py keeps a stack
    `*_IN_PROGRESS` for the longest chain of dependent resources it creates or changes, each
    taking its type's typical time on AWS times `EMULATOR_PROVISION_SCALE` (off unless set
    above 0: the benchmarks set it; provisioning.py cites the AWS pages it rests on).

30.-33. Certificates and the edge: tests/emulator/edge.py gives CloudFormation
    `AWS::CertificateManager::Certificate` (its DNS validation records written into the
    hosted zone), ACM's validation by DNS (ISSUED once every name's validation record is in
    a zone, never after a timer), `AWS::WAFv2::WebACL` with `AWS::WAFv2::WebACLAssociation`
    in moto's WAFv2 backend, and listeners moved to a certificate an update replaced
    (edge.py cites the AWS page each of them reproduces).

45. A certificate added to a listener: tests/emulator/preview_edge.py gives CloudFormation
    `AWS::ElasticLoadBalancingV2::ListenerCertificate` (the listener serves its certificates
    until it is deleted; preview_edge.py cites the AWS page it reproduces).

50–53. A stack's signals: target groups' `TargetGroupFullName` (the dimension of their
    CloudWatch metrics), and `AWS::CloudWatch::Alarm`, `AWS::SNS::Subscription` and
    `AWS::SNS::TopicPolicy`, which moto's CloudFormation skips. tests/emulator/signals.py puts
    them in moto's ELBv2, CloudWatch and SNS backends, as AWS does (signals.py cites the AWS
    page each of them reproduces).

60. moto accepts requests AWS refuses: an enum value AWS does not know, a string over its
    length limit, a list too long, a member missing in a nested structure. Here every request
    is first checked against its operation's input shape in AWS's own API models (botocore's
    `service-2.json`, the models the SDKs are generated from): tests/emulator/wire.py reads it
    in its wire protocol, tests/emulator/models.py judges it, and a violation is answered
    HTTP 400 in the protocol's error shape, naming the member path and the constraint, as
    AWS's front end does (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html:
    ValidationException; https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html:
    ValidationError). `EMULATOR_CHECK_REQUESTS=0` turns it off, for diagnosing only.

61. The models leave out limits AWS states only in its API reference's prose: ECS's
    DescribeServices takes at most 10 services, DescribeTasks and DescribeClusters 100,
    DeleteTaskDefinitions 10, ELBv2's DescribeTags 20 resources. moto takes any number. Here
    a request over one is refused as patch 60 refuses it (`models.PROSE_LIMITS` cites the page
    of each: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html,
    https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html, …).

80. moto keeps no record of the calls it serves. tests/emulator/recorder.py appends each
    request's IAM action and the resource it names to the file `EMULATOR_RECORD_CALLS`
    names, as AWS authorises it and CloudTrail records it, for the tests of ecship's IAM
    policy.

20. CloudFormation's `AWS::RDS::DBInstance` ignores `VPCSecurityGroups`,
    `ManageMasterUserPassword`, `DeletionProtection` and `DBClusterIdentifier`, defaults every
    engine to port 3306 and has no `Fn::GetAtt [Db, MasterUserSecret.SecretArn]`.
    tests/emulator/storage.py gives the instance what the template says, RDS's own secret
    for its master password, and that attribute.

21. CloudFormation has no `AWS::RDS::DBCluster` (an Aurora Serverless v2 cluster): moto skips
    the type. tests/emulator/storage.py creates, reports and deletes it in moto's RDS backend,
    with its endpoint, port and master-user secret as `Fn::GetAtt` attributes.

24. CloudFormation's `AWS::KMS::Key` passes the template's `Key`/`Value` tags to KMS, which
    reads `TagKey`/`TagValue`: the key is silently not created and `Fn::GetAtt [Key, Arn]`
    fails the stack. tests/emulator/storage.py gives KMS the tags (and the key policy as
    text) as it takes them.

25. CloudFormation's `AWS::EC2::SecurityGroupIngress` is never deleted: a rule in a group the
    stack does not own stays after the stack. tests/emulator/storage.py revokes it, as AWS
    does. (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-console-delete-stack.html)

Known and not yet patched: change sets carry no property details.
"""

import datetime
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.cloudformation import parsing
from moto.cloudformation.models import Event as CfnEvent
from moto.cloudformation.models import Stack, cloudformation_backends
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudformation.utils import get_stack_from_s3_url
from moto.utilities.utils import get_partition
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import JsonRESTError
from moto.ec2.models import ec2_backends
from moto.efs.models import AccessPoint as EfsAccessPoint
from moto.ecs.models import ecs_backends
from moto.logs.responses import LogsResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
import moto.ecr.models
from moto.elbv2.models import elbv2_backends
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.models import s3_backends
from moto.s3.responses import S3Response
from moto.servicediscovery.models import servicediscovery_backends

import cfn_secrets
import cloudwatch_cbor
import ecs_deployments
import edge
import preview_edge
import provisioning
import ecs_native
import ecs_tasks
import recorder
import wire
import signals
import storage


class HttpNamespace(CloudFormationModel):
    """AWS::ServiceDiscovery::HttpNamespace, backed by moto's servicediscovery backend."""

    # moto files model classes by the service named in their module path.
    __module__ = "moto.servicediscovery.models"

    def __init__(self, namespace: Any, account_id: str, region_name: str) -> None:
        self.namespace = namespace
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ServiceDiscovery::HttpNamespace"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "Id")

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "HttpNamespace":
        props = cloudformation_json.get("Properties", {})
        backend = servicediscovery_backends[account_id][region_name]
        operation_id = backend.create_http_namespace(
            name=props.get("Name", resource_name),
            creator_request_id=None,
            description=props.get("Description"),
            tags=props.get("Tags", []),
        )
        namespace_id = backend.get_operation(operation_id).targets["NAMESPACE"]
        return cls(backend.namespaces[namespace_id], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: "HttpNamespace", new_resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> "HttpNamespace":
        # Name is immutable on AWS (a change replaces the resource); Description and Tags are not compared.
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> None:
        # Stack deletion calls `delete` on the created instance; nothing reaches this.
        return None

    def delete(self, account_id: str, region_name: str) -> None:
        servicediscovery_backends[account_id][region_name].namespaces.pop(self.namespace.id, None)

    @property
    def physical_resource_id(self) -> str:
        return self.namespace.id

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return {"Arn": self.namespace.arn, "Id": self.namespace.id}[attribute_name]

    def is_created(self) -> bool:
        return True


def _delete_nat_gateway(nat: Any, ec2: Any) -> None:
    ec2.delete_nat_gateway(nat.id)
    # AWS removes the gateway's network interface with it; moto leaves it in the subnet.
    eni = getattr(nat, "_eni", None)
    if eni is not None and eni.id in ec2.enis:
        ec2.delete_network_interface(eni.id)


# Resource type -> how AWS deletes it, given moto's model object and the region's backends.
# A delete that raises (a dependency still there) is retried by moto in a later pass.
_DELETES = {
    "AWS::ElasticLoadBalancingV2::TargetGroup": lambda r, a, g: elbv2_backends[a][g].delete_target_group(r.arn),
    "AWS::ElasticLoadBalancingV2::ListenerRule": lambda r, a, g: elbv2_backends[a][g].delete_rule(r.arn),
    "AWS::ECS::Cluster": lambda r, a, g: ecs_backends[a][g].delete_cluster(r.name),
    "AWS::EC2::NatGateway": lambda r, a, g: _delete_nat_gateway(r, ec2_backends[a][g]),
    "AWS::EC2::VPCGatewayAttachment": lambda r, a, g: ec2_backends[a][g].detach_internet_gateway(r.gateway_id, r.vpc_id),
    "AWS::EC2::InternetGateway": lambda r, a, g: ec2_backends[a][g].delete_internet_gateway(r.id),
    "AWS::EC2::RouteTable": lambda r, a, g: ec2_backends[a][g].delete_route_table(r.id),
    "AWS::EC2::EIP": lambda r, a, g: ec2_backends[a][g].release_address(allocation_id=r.allocation_id),
}

_original_delete_resource = parsing.ResourceMap._delete_resource


def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict) -> None:
    # Patch 14: a retained resource leaves the stack and stays.
    if resource_json.get("DeletionPolicy") == "Retain":
        return
    delete = _DELETES.get(resource_json.get("Type", ""))
    if delete is None:
        _original_delete_resource(self, parsed_resource, resource_json)
    else:
        delete(parsed_resource, self._account_id, self._region_name)


parsing.ResourceMap._delete_resource = _delete_resource

# (action, stack name, ClientRequestToken) -> the first answer.
_answered: dict = {}


def _idempotent(action: str, original: Any) -> Any:
    def handler(self: Any) -> Any:
        token = self._get_param("ClientRequestToken")
        key = (action, self._get_param("StackName"), token)
        if token and key in _answered:
            return _answered[key]
        result = original(self)
        if token:
            _answered[key] = result
        return result

    return handler


for _action in ("create_stack", "update_stack", "delete_stack"):
    setattr(CloudFormationResponse, _action, _idempotent(_action, getattr(CloudFormationResponse, _action)))
ecs_deployments.install()
ecs_native.install()
ecs_tasks.install()
cloudwatch_cbor.install()
cfn_secrets.install()
edge.install()
preview_edge.install()
signals.install()
storage.install()


def _owner_checked(original: Any) -> Any:
    def handler(self: Any, request: Any, full_url: str) -> Any:
        expected = request.headers.get("x-amz-expected-bucket-owner")
        bucket = self.parse_bucket_name_from_url(request, full_url)
        owner = s3_backends.bucket_accounts.get(bucket)
        if expected and owner is not None and owner[1] != expected:
            raise S3AccessDeniedError()
        return original(self, request, full_url)

    return handler


S3Response._bucket_response = _owner_checked(S3Response._bucket_response)


def _event(stack: Stack, logical_id: str, physical_id: str, kind: str, status: str, reason: str | None = None) -> None:
    stack.events.append(
        CfnEvent(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id,
            resource_type=kind,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def _parent(nested: Stack) -> Stack | None:
    return cloudformation_backends[nested.account_id][nested.region_name].stacks.get(getattr(nested, "parent_id", None))


def _tell_parent(nested: Stack, logical_id: str, verb: str) -> None:
    """The parent's events about one of its nested stacks, as AWS writes them."""
    parent = _parent(nested)
    if parent is None:
        return
    for status in (f"{verb}_IN_PROGRESS", f"{verb}_COMPLETE"):
        _event(parent, logical_id, nested.stack_id, "AWS::CloudFormation::Stack", status)


FAILURE_MARKER = "emulator-resource-failure"


class _NestedUpdateFailed(Exception):
    def __init__(self, nested: Stack) -> None:
        super().__init__(f"nested stack {nested.name} failed to update")
        self.nested = nested


def _doomed(body: str) -> tuple[str, str] | None:
    """The logical id and type of the first resource of a template asking to fail."""
    try:
        resources = json.loads(body).get("Resources", {})
    except ValueError:
        return None
    for logical_id, resource in resources.items():
        if FAILURE_MARKER in json.dumps(resource.get("Properties", {})):
            return logical_id, resource.get("Type", "")
    return None


def _fail_nested_update(nested: Stack, logical_id: str, kind: str) -> None:
    """The nested stack's events of an update that failed on one resource and rolled back."""
    nested._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    physical = getattr(nested.resource_map._parsed_resources.get(logical_id), "physical_resource_id", "")
    _event(nested, logical_id, physical, kind, "UPDATE_IN_PROGRESS")
    reason = f"Resource handler returned message: \"Invalid request provided: {logical_id} ({FAILURE_MARKER})\" (HandlerErrorCode: InvalidRequest)"
    _event(nested, logical_id, physical, kind, "UPDATE_FAILED", reason)
    nested._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) failed to update: [{logical_id}]. ")
    nested._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    nested.status = "UPDATE_ROLLBACK_COMPLETE"


_original_nested_create = Stack.create_from_cloudformation_json.__func__


def _nested_create(cls: Any, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any) -> Stack:
    nested = _original_nested_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    nested.parent_id = kwargs.get("StackId")
    _tell_parent(nested, kwargs.get("LogicalId", resource_name), "CREATE")
    return nested


def _nested_update(
    cls: Any, original_resource: Stack, new_resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
) -> Stack:
    properties = cloudformation_json["Properties"]
    body = get_stack_from_s3_url(properties["TemplateURL"], account_id=account_id, partition=get_partition(region_name))
    parameters = properties.get("Parameters", {})
    if body == original_resource.template and parameters == original_resource.parameters:
        return original_resource
    doomed = _doomed(body)
    if doomed is not None:
        # moto retries a failed resource update: the events are written once.
        if original_resource.status != "UPDATE_ROLLBACK_COMPLETE" or getattr(original_resource, "failed_body", None) != body:
            original_resource.failed_body = body
            # As on AWS, the parent tells of the nested update before the nested stack's own
            # events (moto may take a while over its other resources before it gives up).
            parent = _parent(original_resource)
            if parent is not None:
                _event(parent, original_resource.logical_resource_id, original_resource.stack_id, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS")
            _fail_nested_update(original_resource, *doomed)
        raise _NestedUpdateFailed(original_resource)
    original_resource.update(body, parameters=parameters)
    original_resource.failed_body = None
    _tell_parent(original_resource, original_resource.logical_resource_id, "UPDATE")
    return original_resource


_original_update = Stack.update


def _update(self: Stack, template: str, *args: Any, **kwargs: Any) -> None:
    before = self.template
    try:
        _original_update(self, template, *args, **kwargs)
    except _NestedUpdateFailed as failed:
        nested, logical_id = failed.nested, failed.nested.logical_resource_id
        self.template = before
        self._parse_template()
        self.resource_map._template = self.template_dict
        self.resource_map._resource_json_map = self.template_dict["Resources"]
        kind = "AWS::CloudFormation::Stack"
        reason = f"Embedded stack {nested.stack_id} was not successfully updated. Currently, Embedded stack is in UPDATE_ROLLBACK_COMPLETE state."
        _event(self, logical_id, nested.stack_id, kind, "UPDATE_FAILED", reason)
        self._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) failed to update: [{logical_id}]. ")
        _event(self, logical_id, nested.stack_id, kind, "UPDATE_COMPLETE")
        self._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        self._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
        self.status = "UPDATE_ROLLBACK_COMPLETE"


def _nested_attribute(self: Stack, attribute: str) -> Any:
    if attribute.startswith("Outputs."):
        output = self.output_map.get(attribute[len("Outputs."):])
        if output is not None:
            return output.value
    raise NotImplementedError(f"{attribute} of a nested stack")


Stack.create_from_cloudformation_json = classmethod(_nested_create)
Stack.update_from_cloudformation_json = classmethod(_nested_update)
Stack.get_cfn_attribute = _nested_attribute
Stack.update = _update
S3Response._key_response = _owner_checked(S3Response._key_response)


_original_filter_log_events = LogsResponse.filter_log_events


def _set_param(self: LogsResponse, name: str, value: Any) -> None:
    if self.automated_parameter_parsing:
        self.params[name] = value
    else:
        body = json.loads(self.body or "{}")
        body[name] = value
        self.body = json.dumps(body)


def _filter_log_events(self: LogsResponse) -> str:
    prefix = self._get_param("logStreamNamePrefix")
    group = self.logs_backend.groups.get(self._get_param("logGroupName"))
    if prefix and group is not None:
        streams = [name for name in group.streams if name.startswith(prefix)]
        if not streams:
            return json.dumps({"events": [], "searchedLogStreams": []})
        _set_param(self, "logStreamNames", streams)
    _set_param(self, "interleaved", True)
    return _original_filter_log_events(self)


LogsResponse.filter_log_events = _filter_log_events


_original_deregister = ApplicationAutoscalingBackend.deregister_scalable_target


def _deregister(self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str) -> None:
    if not self._scalable_target_exists(r_id, dimension):
        raise JsonRESTError(
            "ObjectNotFoundException",
            f"No scalable target registered for service namespace: {namespace}, resource ID: {r_id}, scalable dimension: {dimension}",
        )
    _original_deregister(self, namespace, r_id, dimension)
    for key, policy in list(self.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
            policy.delete_alarms(self.account_id, self.region_name)
            del self.policies[key]
    self.scheduled_actions = [
        a for a in self.scheduled_actions if (a.service_namespace, a.resource_id, a.scalable_dimension) != (namespace, r_id, dimension)
    ]


ApplicationAutoscalingBackend.deregister_scalable_target = _deregister


# Patch 11: an EFS access point's Ref is its id.
EfsAccessPoint.physical_resource_id = property(lambda self: self.access_point_id)  # type: ignore[attr-defined]


# Patch 15: AWS's clock, moved by a test.
class Clock:
    """The emulator's clock: this machine's, plus an offset a test moves."""

    lock = threading.Lock()
    offset = 0.0

    @classmethod
    def now(cls) -> float:
        with cls.lock:
            return time.time() + cls.offset

    @classmethod
    def advance(cls, seconds: float) -> float:
        with cls.lock:
            cls.offset += seconds
            return cls.offset


_original_dispatch = DomainDispatcherApplication.__call__


def _dispatch(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO") != "/emulator/clock":
        # Patch 60: a request AWS's API model refuses never reaches moto.
        refused = wire.judge(environ) if wire.enabled() else None
        if refused is not None:
            status, headers, body = refused
            start_response(status, headers)
            return [body]
        return _original_dispatch(self, environ, start_response)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        offset = Clock.advance(float(json.loads(environ["wsgi.input"].read(length) or b"{}").get("advance", 0)))
        status, body = "200 OK", json.dumps({"offset": offset}).encode()
    except (ValueError, TypeError, AttributeError) as e:
        status, body = "400 Bad Request", json.dumps({"message": f"expected {{\"advance\": SECONDS}}: {e}"}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


DomainDispatcherApplication.__call__ = _dispatch  # type: ignore[method-assign]
provisioning.install()
recorder.install()
MotoRequestHandler.date_time_string = lambda self, timestamp=None: BaseHTTPRequestHandler.date_time_string(  # type: ignore[method-assign]
    self, Clock.now() if timestamp is None else timestamp
)
moto.ecr.models.utcnow = lambda: datetime.datetime.fromtimestamp(Clock.now(), datetime.timezone.utc).replace(tzinfo=None)  # type: ignore[attr-defined]


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: server.py PORT")
    from moto.server import main as moto_main

    moto_main(["-H", "127.0.0.1", "-p", sys.argv[1]])


if __name__ == "__main__":
    main()
