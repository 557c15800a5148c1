"""Patch 18: CloudFormation takes time, as on AWS.

moto's CloudFormation creates a whole stack inside the CreateStack call: a stack holding a
VPC, a NAT gateway and a load balancer is CREATE_COMPLETE before the call answers. On AWS
each resource is created and then stabilised — CloudFormation waits until the service
reports it ready (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-resource-configuration-complete.html),
so a load balancer takes its `provisioning` state to `active`
(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerState.html),
a NAT gateway `pending` to `available` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGateway.html),
a Route 53 change 60 seconds to reach every name server
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-delete.html) —
and it creates resources in parallel, each once those it refers to (`Ref`, `Fn::GetAtt`,
`Fn::Sub`, `DependsOn`) are complete
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html).

With `EMULATOR_PROVISION_SCALE=S` (S > 0), a stack created or updated here stays
`CREATE_IN_PROGRESS` / `UPDATE_IN_PROGRESS` for S times the longest chain of dependent
resources it creates or changes, each taking the seconds `SECONDS` gives its type on AWS, and
its final event is dated then (DescribeStackEvents shows no event before its time). A nested
stack takes its own chain. Deleting stays immediate. S is the emulator's time scale: with
`EMULATOR_DEPLOY_SECONDS=0.5` standing for an ECS rollout of 50 seconds, S = 0.01 puts
CloudFormation on the same clock. Unset or 0 (the tests' default), stacks complete at once,
as in stock moto.

AWS publishes no provisioning times: `SECONDS` holds round, typical figures for a create —
minutes for the types whose documented states above take minutes, seconds for those whose
create is one API call and a short consistency wait. They are what `scripts/bench previews`
rests on, and docs/benchmarks.md says so.
"""

import copy
import datetime
import os
import re
import time
from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.core.utils import utcnow

VAR = "EMULATOR_PROVISION_SCALE"

# Typical seconds from CREATE_IN_PROGRESS to CREATE_COMPLETE on AWS, by resource type.
SECONDS: dict[str, float] = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": 180,  # provisioning -> active
    "AWS::EC2::NatGateway": 100,  # pending -> available
    "AWS::RDS::DBInstance": 600,  # creating -> available
    "AWS::RDS::DBCluster": 600,
    "AWS::CertificateManager::Certificate": 120,  # PENDING_VALIDATION -> ISSUED (DNS)
    "AWS::Route53::RecordSet": 60,  # PENDING -> INSYNC
    "AWS::EC2::VPC": 15,
    "AWS::EC2::InternetGateway": 15,
    "AWS::EC2::VPCGatewayAttachment": 15,
    "AWS::IAM::Role": 15,  # IAM's eventual consistency
    "AWS::IAM::Policy": 15,
    "AWS::DynamoDB::Table": 10,  # CREATING -> ACTIVE
    "AWS::EC2::Subnet": 5,
    "AWS::EC2::RouteTable": 5,
    "AWS::EC2::Route": 5,
    "AWS::EC2::SubnetRouteTableAssociation": 5,
    "AWS::EC2::EIP": 5,
    "AWS::EC2::SecurityGroup": 5,
    "AWS::ECS::Cluster": 5,
}
# Every other type: one API call and a short consistency wait.
DEFAULT_SECONDS = 2.0
NESTED = "AWS::CloudFormation::Stack"


def scale() -> float:
    try:
        return max(float(os.environ.get(VAR, "0")), 0.0)
    except ValueError:
        return 0.0


def references(value: Any) -> set[str]:
    """The logical ids a resource's properties name: `Ref`, `Fn::GetAtt`, `Fn::Sub`."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                out.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(target, str):
                    out.add(target.split(".", 1)[0])
            elif key == "Fn::Sub":
                text, names = (inner[0], inner[1]) if isinstance(inner, list) and len(inner) == 2 else (inner, {})
                if isinstance(text, str):
                    out |= {m.split(".", 1)[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)} - set(names or {})
                out |= references(names)
            else:
                out |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            out |= references(inner)
    return out


def chain(resources: dict[str, Any], touched: set[str], seconds: dict[str, float]) -> float:
    """Seconds until the last of `touched` is complete, each starting once every resource it
    depends on is: the longest chain of dependent resources, untouched ones taking none.
    `seconds` overrides a resource's time by logical id (a nested stack's own chain)."""
    done: dict[str, float] = {}

    def finish(logical_id: str, path: frozenset[str]) -> float:
        if logical_id in done:
            return done[logical_id]
        resource = resources.get(logical_id)
        if not isinstance(resource, dict) or logical_id in path:
            return 0.0
        depends = resource.get("DependsOn", [])
        deps = references(resource.get("Properties", {})) | ({depends} if isinstance(depends, str) else set(depends))
        start = max((finish(d, path | {logical_id}) for d in deps if d in resources), default=0.0)
        own = 0.0
        if logical_id in touched:
            own = seconds.get(logical_id, SECONDS.get(resource.get("Type", ""), DEFAULT_SECONDS))
        done[logical_id] = start + own
        return done[logical_id]

    return max((finish(r, frozenset()) for r in resources), default=0.0)


def _resources(stack: Stack) -> dict[str, Any]:
    resources = stack.template_dict.get("Resources", {}) if isinstance(stack.template_dict, dict) else {}
    return resources if isinstance(resources, dict) else {}


def _nested_seconds(stack: Stack, resources: dict[str, Any]) -> dict[str, float]:
    """Each nested stack's own chain, as it took it in this operation."""
    parsed = getattr(stack.resource_map, "_parsed_resources", {})
    return {
        logical_id: getattr(parsed.get(logical_id), "_provision_seconds", 0.0)
        for logical_id, r in resources.items()
        if isinstance(r, dict) and r.get("Type") == NESTED
    }


def _busy(stack: Stack, seconds: float, status: str, events_before: int) -> None:
    """The stack reports `status` for `seconds` of scaled time, and the operation's final
    event is dated when that ends."""
    stack._provision_seconds = seconds
    wait = seconds * scale()
    if wait <= 0:
        return
    stack.__dict__["_busy_until"] = time.time() + wait
    stack.__dict__["_busy_status"] = status
    later = datetime.timedelta(seconds=wait)
    final = [e for e in stack.events[events_before:] if e.logical_resource_id == stack.name and not e.resource_status.endswith("_IN_PROGRESS")]
    for event in final[-1:]:
        event.timestamp = event.timestamp + later


def _status(self: Stack) -> str:
    until = self.__dict__.get("_busy_until")
    if until is not None and time.time() < until:
        return self.__dict__["_busy_status"]
    return self.__dict__.get("_status", "")


def _set_status(self: Stack, value: str) -> None:
    self.__dict__["_status"] = value
    self.__dict__.pop("_busy_until", None)


def install() -> None:
    """Patch 18, when `EMULATOR_PROVISION_SCALE` is above 0. Install after the patches that
    replace `Stack.update` (server.py's 6 and 7): this wraps theirs."""
    if scale() <= 0:
        return
    Stack.status = property(_status, _set_status)  # type: ignore[assignment]
    original_create = Stack.create_resources
    original_update = Stack.update
    original_events = CloudFormationBackend.describe_stack_events

    def create_resources(self: Stack) -> None:
        before = len(self.events)
        original_create(self)
        resources = _resources(self)
        seconds = chain(resources, set(resources), _nested_seconds(self, resources))
        if self.__dict__.get("_status") == "CREATE_COMPLETE":
            _busy(self, seconds, "CREATE_IN_PROGRESS", before)

    def update(self: Stack, *args: Any, **kwargs: Any) -> None:
        old = copy.deepcopy(_resources(self))
        before = len(self.events)
        # A nested stack this update leaves alone takes no time in it.
        for child in getattr(self.resource_map, "_parsed_resources", {}).values():
            if isinstance(child, Stack):
                child._provision_seconds = 0.0
        original_update(self, *args, **kwargs)
        if self.__dict__.get("_status") != "UPDATE_COMPLETE":
            return
        resources = _resources(self)
        touched = {r for r, body in resources.items() if body != old.get(r)}
        nested = _nested_seconds(self, resources)
        touched |= {r for r, s in nested.items() if s > 0}
        _busy(self, chain(resources, touched, nested), "UPDATE_IN_PROGRESS", before)

    def describe_stack_events(self: CloudFormationBackend, stack_name: str) -> list:
        now = utcnow()
        return [e for e in original_events(self, stack_name) if e.timestamp <= now]

    Stack.create_resources = create_resources  # type: ignore[method-assign]
    Stack.update = update  # type: ignore[method-assign]
    CloudFormationBackend.describe_stack_events = describe_stack_events  # type: ignore[method-assign]
