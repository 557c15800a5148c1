"""ECS service deployments for the emulator: what ECS does and stock moto does not.

Stock moto (5.2.5) keeps one PRIMARY deployment IN_PROGRESS forever, adds no deployment when
UpdateService changes the task definition, drops `deploymentConfiguration` and writes no
service events, so a rollout can never finish or fail. Here, as on ECS:

- CreateService starts a PRIMARY deployment IN_PROGRESS with no running tasks; UpdateService
  with another task definition, network, load balancers or Service Connect settings (or
  forceNewDeployment) starts a new PRIMARY one and turns the previous PRIMARY into ACTIVE.
- `EMULATOR_DEPLOY_SECONDS` (default 1) after it started, a deployment completes: running =
  desired, older deployments drained, "has reached a steady state" in the service's events.
- A task definition whose container environment has `EMULATOR_TASK_FAILURE=<reason>` never
  starts: its deployment turns FAILED with STOPPED tasks carrying `<reason>` as their stop
  reason (ListTasks desiredStatus=STOPPED finds them), and, when the deployment circuit
  breaker has rollback on and an older deployment exists, ECS rolls back to it. With
  `EMULATOR_BREAKER_SECONDS=<n>` as well, the tasks stop first and the deployment stays
  IN_PROGRESS (its failedTasks counted) for n seconds before the circuit breaker trips, as
  ECS's does after enough failed tasks.
- CreateService and UpdateService keep the deployment configuration, health-check grace
  period, Service Connect configuration, capacity provider strategy and the other settings
  they are given; a strategy naming a provider the cluster is not associated with is refused
  (InvalidParameterException), and a CloudFormation cluster is associated with the
  `CapacityProviders` its template names. A service
  created without a grace period reports 0, as ECS does (with or without a load balancer).
- DeleteCluster refuses while the cluster has ACTIVE services (ClusterContainsServicesException)
  and removes its INACTIVE services and STOPPED tasks with it.
- Running tasks of a service behind a target group are that group's targets
  (DescribeTargetHealth), healthy — or unhealthy, with reason Target.ResponseCodeMismatch, when
  the task definition's container environment has `EMULATOR_TARGET_HEALTH=unhealthy`.

AWS's documentation of what is reproduced: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
(rolling deployments), https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
(the circuit breaker), https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
(PRIMARY and ACTIVE deployments, rolloutState), https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html
(ClusterContainsServicesException), https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
(target health and its reasons).

Deployments progress when they are read (DescribeServices), which is when anyone can see it.
"""

import os
import random
from datetime import timedelta
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import Cluster, Container, EC2ContainerServiceBackend, Service, Task, ecs_backends
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal.managed_state_model import ManagedState

import ecs_native

DEPLOY_SECONDS = float(os.environ.get("EMULATOR_DEPLOY_SECONDS", "1"))
FAILURE_VARIABLE = "EMULATOR_TASK_FAILURE"
HEALTH_VARIABLE = "EMULATOR_TARGET_HEALTH"
BREAKER_VARIABLE = "EMULATOR_BREAKER_SECONDS"

# CreateService parameters stock moto drops, kept on the service as the API returns them.
_KEPT = [
    "deploymentConfiguration",
    "healthCheckGracePeriodSeconds",
    "serviceConnectConfiguration",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
    "capacityProviderStrategy",
]


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _deployment(service: Service, task_definition: str) -> dict:
    deployment_id = f"ecs-svc/{random.randint(0, 10**19)}"
    now = utcnow()
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": service.desired_count,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformFamily": "Linux",
        "networkConfiguration": service.network_configuration or None,
        # ECS reports Service Connect settings per deployment.
        "serviceConnectConfiguration": getattr(service, "service_connect_configuration", None),
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }


def _event(service: Service, message: str) -> None:
    service.events.insert(0, {"id": str(random.getrandbits(64)), "createdAt": utcnow(), "message": f"(service {service.name}) {message}"})


def _start(service: Service, task_definition: str) -> None:
    for d in service.deployments:
        if d["status"] == "PRIMARY":
            d["status"] = "ACTIVE"
    service.deployments.insert(0, _deployment(service, task_definition))


def _failure(backend: EC2ContainerServiceBackend, arn: str) -> str | None:
    try:
        task_definition = backend.describe_task_definition(arn)
    except Exception:  # deregistered and deleted meanwhile
        return None
    for container in task_definition.container_definitions:
        for variable in container.get("environment") or []:
            if variable.get("name") == FAILURE_VARIABLE:
                return variable.get("value") or "Essential container in task exited"
    return None


def _stopped_task(backend: EC2ContainerServiceBackend, service: Service, deployment: dict, reason: str) -> Task:
    """A task that started and stopped, as ListTasks and DescribeTasks report it."""
    task = Task.__new__(Task)
    ManagedState.__init__(task, model_name="ecs::task", transitions=[("STOPPED", "STOPPED")])
    task_definition = backend.describe_task_definition(deployment["taskDefinition"])
    task.id = f"{random.getrandbits(128):032x}"
    task.cluster_name = service.cluster_name
    task.cluster_arn = service.cluster_arn
    task.container_instance_arn = None
    task.desired_status = "STOPPED"
    task.task_definition_arn = task_definition.arn
    task.overrides = {}
    container = Container(task_definition)
    container.last_status = "STOPPED"
    container.exitCode = 1
    container.reason = reason
    task.containers = [container]
    task.started_by = deployment["id"]
    task.tags = []
    task.launch_type = "FARGATE"
    task.capacity_provider_name = None
    task.platform_version = None
    task.stopped_reason = reason
    task.stop_code = "EssentialContainerExited"
    # It stopped as the deployment reached it, whenever someone looks.
    task.started_at = deployment["createdAt"] + timedelta(seconds=DEPLOY_SECONDS)
    task.stopped_at = task.started_at
    task.resource_requirements = None
    task.region_name = service.region_name
    task._account_id = backend.account_id
    task._backend = backend
    task.attachments = []
    task.group = f"service:{service.name}"
    task.network_configuration = service.network_configuration or None
    return task


def _tasks_fail(backend: EC2ContainerServiceBackend, service: Service, deployment: dict, reason: str) -> None:
    """The new tasks stop, as ECS reports them; the deployment stays IN_PROGRESS."""
    if deployment.get("failedTasks"):
        return
    tasks = backend.tasks.setdefault(service.cluster_name, {})
    for _ in range(max(1, min(service.desired_count, 3))):
        task = _stopped_task(backend, service, deployment, reason)
        tasks[task.task_arn] = task
        _event(service, f"has stopped 1 running tasks: (task {task.id}).")
    deployment["failedTasks"] = max(1, min(service.desired_count, 3))


def _fail(backend: EC2ContainerServiceBackend, service: Service, deployment: dict, reason: str) -> None:
    _tasks_fail(backend, service, deployment, reason)
    deployment["rolloutState"] = "FAILED"
    deployment["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
    deployment["updatedAt"] = utcnow()
    _event(service, f"(deployment {deployment['id']}) deployment failed: tasks failed to start.")
    breaker = (getattr(service, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}
    previous = next((d for d in service.deployments if d is not deployment and d["rolloutState"] != "FAILED"), None)
    if breaker.get("rollback") and previous is not None:
        deployment["status"] = "ACTIVE"
        # The previous deployment's tasks carry on under the rollback deployment.
        service.deployments.remove(previous)
        service.task_definition = previous["taskDefinition"]
        _start(service, previous["taskDefinition"])
        _event(service, f"(deployment {deployment['id']}) rolling back to deployment {previous['id']}.")


def _complete(service: Service, deployment: dict) -> None:
    deployment["rolloutState"] = "COMPLETED"
    deployment["rolloutStateReason"] = f"ECS deployment {deployment['id']} completed."
    deployment["desiredCount"] = service.desired_count
    deployment["runningCount"] = service.desired_count
    deployment["pendingCount"] = 0
    deployment["updatedAt"] = utcnow()
    service.deployments = [deployment]
    service.running_count = service.desired_count
    service.pending_count = 0
    _event(service, f"(deployment {deployment['id']}) deployment completed.")
    _event(service, "has reached a steady state.")


def _progress(backend: EC2ContainerServiceBackend, service: Service) -> None:
    if service.status != "ACTIVE":
        return
    if ecs_native.native(service):
        ecs_native.advance(backend, service)
        return
    now = utcnow()
    for deployment in list(service.deployments):
        if deployment["status"] != "PRIMARY" or deployment["rolloutState"] != "IN_PROGRESS":
            continue
        if now - deployment["createdAt"] < timedelta(seconds=DEPLOY_SECONDS):
            continue
        reason = _failure(backend, deployment["taskDefinition"])
        if reason is None:
            _complete(service, deployment)
            continue
        breaker = float(_environment(backend, deployment["taskDefinition"], BREAKER_VARIABLE) or 0)
        if now - deployment["createdAt"] < timedelta(seconds=DEPLOY_SECONDS + breaker):
            _tasks_fail(backend, service, deployment, reason)
        else:
            _fail(backend, service, deployment, reason)


_original_create = EC2ContainerServiceResponse.create_service


def _create_service(self: EC2ContainerServiceResponse) -> Any:
    _check_capacity(self.ecs_backend, self._get_param("cluster", "default"), self._get_param("capacityProviderStrategy"))
    result = _original_create(self)
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    for name in _KEPT:
        value = self._get_param(name)
        if value is not None:
            setattr(service, _snake(name), value)
    if getattr(service, "health_check_grace_period_seconds", None) is None:
        service.health_check_grace_period_seconds = 0
    if service.task_definition:
        service.task_definition = self.ecs_backend.describe_task_definition(service.task_definition).arn
    service.running_count = 0
    service.pending_count = service.desired_count
    service.deployments = []
    _start(service, service.task_definition)
    if ecs_native.native(service):
        ecs_native.start(self.ecs_backend, service, None)
    return result


_original_update = EC2ContainerServiceBackend.update_service

# Settings whose change starts a new deployment, as a new task definition does. (The count,
# the deployment configuration and the grace period apply to the running deployment.)
_REDEPLOYED = ["network_configuration", "load_balancers", "service_connect_configuration", "capacity_provider_strategy"]


def _check_capacity(backend: EC2ContainerServiceBackend, cluster: str, strategy: list | None) -> None:
    """As on ECS, a strategy may name only providers associated with the cluster."""
    providers = backend._get_cluster(cluster).capacity_providers or []
    for item in strategy or []:
        if item.get("capacityProvider") not in providers:
            raise InvalidParameterException(
                f"The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. "
                f"Associate the capacity provider with the cluster or specify a valid capacity provider and try again."
            )


def _update_service(self: EC2ContainerServiceBackend, properties: dict[str, Any]) -> Service:
    cluster = properties.get("cluster", "default")
    service = self._get_service(cluster, properties["service"].split("/")[-1])
    before = service.task_definition
    settings = [getattr(service, name, None) for name in _REDEPLOYED]
    running = service.running_count
    new_deployment = bool(properties.get("force_new_deployment"))
    strategy = properties.get("capacity_provider_strategy")
    if strategy is not None:
        _check_capacity(self, cluster, strategy)
    service = _original_update(self, properties)
    if strategy is not None:
        # An empty strategy returns the service to its launch type.
        service.capacity_provider_strategy = strategy or None
    if properties.get("task_definition"):
        service.task_definition = self.describe_task_definition(properties["task_definition"]).arn
    # Stock moto claims every desired task runs at once; ECS starts them.
    service.running_count = running
    changed = settings != [getattr(service, name, None) for name in _REDEPLOYED]
    if service.task_definition != before or new_deployment or changed:
        _start(service, service.task_definition)
        if ecs_native.native(service):
            ecs_native.start(self, service, before)
    else:
        primary = service.deployments[0] if service.deployments else None
        if primary is not None and primary["rolloutState"] == "COMPLETED":
            primary["desiredCount"] = primary["runningCount"] = service.running_count = service.desired_count
    return service


_original_describe = EC2ContainerServiceBackend.describe_services


def _describe_services(self: EC2ContainerServiceBackend, cluster: str, names: list[str]) -> Any:
    services, failures = _original_describe(self, cluster, names)
    for service in services:
        _progress(self, service)
    return services, failures


_original_delete_cluster = EC2ContainerServiceBackend.delete_cluster


class ClusterContainsServices(ECSException):
    def __init__(self) -> None:
        super().__init__(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        )


def _delete_cluster(self: EC2ContainerServiceBackend, cluster_str: str) -> Any:
    name = cluster_str.split("/")[-1]
    if any(s.cluster_name == name and s.status == "ACTIVE" for s in self.services.values()):
        raise ClusterContainsServices()
    cluster = _original_delete_cluster(self, cluster_str)
    for key in [k for k, s in self.services.items() if s.cluster_name == cluster.name and s.status == "INACTIVE"]:
        del self.services[key]
    self.tasks.pop(cluster.name, None)
    return cluster


def _environment(backend: EC2ContainerServiceBackend, arn: str, name: str) -> str | None:
    definition = backend.describe_task_definition(arn)
    for container in definition.container_definitions:
        for pair in container.get("environment") or []:
            if pair.get("name") == name:
                return pair.get("value")
    return None


_original_target_health = ELBv2Backend.describe_target_health


def _describe_target_health(self: ELBv2Backend, target_group_arn: str, targets: list[dict[str, Any]]) -> list[FakeHealthStatus]:
    statuses = _original_target_health(self, target_group_arn, targets)
    backend = ecs_backends[self.account_id][self.region_name]
    for service in backend.services.values():
        if service.status != "ACTIVE" or not any(lb.get("targetGroupArn") == target_group_arn for lb in service.load_balancers or []):
            continue
        _progress(backend, service)
        unhealthy = _environment(backend, service.task_definition, HEALTH_VARIABLE) == "unhealthy"
        port = str((service.load_balancers[0] or {}).get("containerPort", 80))
        for i in range(service.running_count):
            target = f"10.0.{abs(hash(service.arn)) % 250}.{i + 1}"
            if unhealthy:
                statuses.append(FakeHealthStatus(target, port, port, "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed"))
            else:
                statuses.append(FakeHealthStatus(target, port, port, "healthy"))
    return statuses


_original_cluster_create = Cluster.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
_original_cluster_update = Cluster.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _cluster_create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Cluster:
    cluster = _original_cluster_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    cluster.capacity_providers = (cloudformation_json.get("Properties") or {}).get("CapacityProviders") or None
    return cluster


def _cluster_update(cls: Any, original: Cluster, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> Cluster:
    cluster = _original_cluster_update(cls, original, new_resource_name, cloudformation_json, account_id, region_name)
    cluster.capacity_providers = (cloudformation_json.get("Properties") or {}).get("CapacityProviders") or None
    return cluster


def install() -> None:
    Cluster.create_from_cloudformation_json = classmethod(_cluster_create)  # type: ignore[method-assign,assignment]
    Cluster.update_from_cloudformation_json = classmethod(_cluster_update)  # type: ignore[method-assign,assignment]
    ELBv2Backend.describe_target_health = _describe_target_health
    EC2ContainerServiceResponse.create_service = _create_service
    EC2ContainerServiceBackend.update_service = _update_service
    EC2ContainerServiceBackend.describe_services = _describe_services
    EC2ContainerServiceBackend.delete_cluster = _delete_cluster
