"""ECS's native blue/green, canary and linear deployments for the emulator.

Stock moto (5.2.5) keeps `deploymentConfiguration.strategy` and the load balancer's
`advancedConfiguration` as given, but never runs them: it has no service deployments, no
lifecycle stages and no ListServiceDeployments, DescribeServiceDeployments,
DescribeServiceRevisions, StopServiceDeployment or ContinueServiceDeployment. Here, as on ECS, a service whose strategy
is BLUE_GREEN, CANARY or LINEAR runs each new deployment as a service deployment:

- SCALE_UP: the new revision starts (`EMULATOR_DEPLOY_SECONDS`). A task definition with
  `EMULATOR_TASK_FAILURE` stops its tasks here (as ecs_deployments.py reports them) and, after
  `EMULATOR_BREAKER_SECONDS`, the circuit breaker rolls the deployment back.
- TEST_TRAFFIC_SHIFT → POST_TEST_TRAFFIC_SHIFT: the test listener rule forwards to the
  alternate target group. A PAUSE hook at POST_TEST_TRAFFIC_SHIFT waits there (AWAITING_ACTION)
  for ContinueServiceDeployment, or its timeout and timeout action.
- PRODUCTION_TRAFFIC_SHIFT: the production rule's weights move to the alternate target group —
  at once (BLUE_GREEN), canaryPercent then the rest after canaryBakeTimeInMinutes (CANARY), or
  stepPercent more every stepBakeTimeInMinutes (LINEAR).
- BAKE_TIME for bakeTimeInMinutes, then CLEAN_UP and SUCCESSFUL: the old revision's tasks go.
- An alarm of `deploymentConfiguration.alarms` (with rollback) going to ALARM after the
  deployment started, StopServiceDeployment(ROLLBACK), a hook answered ROLLBACK or the circuit
  breaker roll back: both rules forward to the old target group again at once and the service
  returns to the previous task definition (ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL).
  A first deployment has nothing to roll back to: it is STOPPED.

A minute of bake or hook timeout lasts `EMULATOR_MINUTE_SECONDS` (default 1) seconds, so a
test can bake "5 minutes" in five seconds. A service's first deployment goes straight from
SCALE_UP to SUCCESSFUL (there is no traffic to move). Like ecs_deployments.py, deployments
progress when someone reads them.

AWS's documentation of what is reproduced: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/pause-lifecycle-hooks.html and
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html (lifecycle stages).
"""

import copy
import os
import random
from datetime import timedelta
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import ECSException, ServiceNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend, Service, ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.models import elbv2_backends

import ecs_deployments as plain

NATIVE = {"BLUE_GREEN", "CANARY", "LINEAR"}
MINUTE = float(os.environ.get("EMULATOR_MINUTE_SECONDS", "1"))
PAUSE_STAGE = "POST_TEST_TRAFFIC_SHIFT"
UNDER_WAY = {"PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "STOP_REQUESTED"}


class Conflict(ECSException):
    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


class NotFound(ECSException):
    def __init__(self, message: str) -> None:
        super().__init__("ServiceDeploymentNotFoundException", message)


def native(service: Service) -> bool:
    return ((getattr(service, "deployment_configuration", None) or {}).get("strategy") or "ROLLING") in NATIVE


def _all(backend: EC2ContainerServiceBackend) -> dict[str, dict]:
    return backend.__dict__.setdefault("_service_deployments", {})


def _seconds(minutes: Any) -> timedelta:
    return timedelta(seconds=float(minutes or 0) * MINUTE)


def start(backend: EC2ContainerServiceBackend, service: Service, previous: str | None) -> None:
    """A service deployment for the deployment ecs_deployments just started on `service`."""
    now = utcnow()
    for sd in _all(backend).values():
        if sd["service"] == service.arn and sd["status"] in UNDER_WAY:
            sd.update(status="STOPPED", statusReason="A newer deployment of the service started.", finishedAt=now)
    lb = (service.load_balancers or [{}])[0] or {}
    advanced = lb.get("advancedConfiguration") or {}
    ident = f"{random.getrandbits(64):016x}"
    base = f"arn:aws:ecs:{service.region_name}:{backend.account_id}"
    sd = {
        "arn": f"{base}:service-deployment/{service.cluster_name}/{service.name}/{ident}",
        "service": service.arn,
        "cluster": service.cluster_arn,
        "createdAt": now,
        "at": now,
        "status": "IN_PROGRESS",
        "statusReason": None,
        "stage": "SCALE_UP",
        "deployment": service.deployments[0],
        "taskDefinition": service.task_definition,
        "previous": previous,
        "revision": f"{base}:service-revision/{service.cluster_name}/{service.name}/{ident}",
        "config": copy.deepcopy(getattr(service, "deployment_configuration", None) or {}),
        "old": lb.get("targetGroupArn"),
        "new": advanced.get("alternateTargetGroupArn") if previous else lb.get("targetGroupArn"),
        "rules": [r for r in (advanced.get("productionListenerRule"), advanced.get("testListenerRule")) if r],
        "test": advanced.get("testListenerRule"),
        "share": 0,
        "testShare": 0,
        "hook": None,
        "rollback": None,
    }
    _all(backend)[sd["arn"]] = sd


def _service(backend: EC2ContainerServiceBackend, sd: dict) -> Service | None:
    return next((s for s in backend.services.values() if s.arn == sd["service"]), None)


def _forward(backend: EC2ContainerServiceBackend, rule: str, weights: dict[str, int]) -> None:
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items() if arn]
    elbv2.modify_rule(rule, [], [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}])


def _shift(backend: EC2ContainerServiceBackend, sd: dict, rules: list[str], share: int) -> None:
    if sd["old"] == sd["new"]:
        return
    for rule in rules:
        _forward(backend, rule, {sd["old"]: 100 - share, sd["new"]: share})


def _pause_hook(sd: dict) -> dict | None:
    for hook in sd["config"].get("lifecycleHooks") or []:
        if hook.get("targetType") == "PAUSE" and PAUSE_STAGE in (hook.get("lifecycleStages") or []):
            return hook
    return None


def _tripped_alarm(backend: EC2ContainerServiceBackend, sd: dict) -> str | None:
    alarms = sd["config"].get("alarms") or {}
    if not (alarms.get("enable") and alarms.get("rollback")):
        return None
    known = cloudwatch_backends[backend.account_id][backend.region_name].alarms
    for name in alarms.get("alarmNames") or []:
        alarm = known.get(name)
        if alarm is not None and alarm.state_value == "ALARM" and alarm.state_updated_timestamp > sd["createdAt"]:
            return name
    return None


def roll_back(backend: EC2ContainerServiceBackend, sd: dict, reason: str) -> None:
    service = _service(backend, sd)
    now = utcnow()
    if service is None or sd["previous"] is None:
        sd.update(status="STOPPED", statusReason=f"{reason} There is no earlier revision to roll back to.", finishedAt=now)
        sd["deployment"]["rolloutState"] = "FAILED"
        sd["deployment"]["rolloutStateReason"] = reason
        return
    _shift(backend, sd, sd["rules"], 0)
    sd["share"] = sd["testShare"] = 0
    sd.update(status="ROLLBACK_IN_PROGRESS", statusReason=reason, at=now)
    sd["rollback"] = {"reason": reason, "startedAt": now, "serviceRevisionArn": sd["revision"] + "-previous"}
    sd["deployment"]["rolloutState"] = "FAILED"
    sd["deployment"]["rolloutStateReason"] = reason
    service.task_definition = sd["previous"]
    plain._start(service, sd["previous"])
    sd["back"] = service.deployments[0]
    plain._event(service, f"(service-deployment {sd['arn']}) rolling back: {reason}")


def _advance(backend: EC2ContainerServiceBackend, sd: dict) -> None:
    """Move `sd` through every stage whose time has come."""
    now = utcnow()
    step = timedelta(seconds=plain.DEPLOY_SECONDS)
    while True:
        stage, elapsed = sd["stage"], now - sd["at"]
        if sd["status"] == "ROLLBACK_IN_PROGRESS":
            if elapsed >= step:
                sd.update(status="ROLLBACK_SUCCESSFUL", finishedAt=now)
                service = _service(backend, sd)
                if service is not None:
                    plain._complete(service, sd["back"])
            return
        if sd["status"] != "IN_PROGRESS":
            return
        alarm = _tripped_alarm(backend, sd)
        if alarm is not None:
            roll_back(backend, sd, f"CloudWatch alarm {alarm} went to ALARM during the deployment.")
            return
        if stage == "SCALE_UP":
            if elapsed < step:
                return
            reason = plain._failure(backend, sd["taskDefinition"])
            if reason is not None:
                service = _service(backend, sd)
                if service is not None:
                    plain._tasks_fail(backend, service, sd["deployment"], reason)
                breaker = float(plain._environment(backend, sd["taskDefinition"], plain.BREAKER_VARIABLE) or 0)
                if elapsed >= step + timedelta(seconds=breaker):
                    roll_back(backend, sd, "ECS deployment circuit breaker: tasks failed to start.")
                return
            if sd["previous"] is None:
                sd["stage"] = "CLEAN_UP"
            else:
                sd["testShare"] = 100
                _shift(backend, sd, [sd["test"]] if sd["test"] else [], 100)
                sd["stage"] = PAUSE_STAGE
            sd["at"] += step
        elif stage == PAUSE_STAGE:
            hook = _pause_hook(sd)
            if hook is not None and (sd["hook"] is None or sd["hook"]["status"] == "AWAITING_ACTION"):
                timeout = hook.get("timeoutConfiguration") or {}
                if sd["hook"] is None:
                    sd["hook"] = {
                        "hookId": f"hook-{random.getrandbits(32):08x}",
                        "targetType": "PAUSE",
                        "status": "AWAITING_ACTION",
                        "expiresAt": sd["at"] + _seconds(timeout.get("timeoutInMinutes") or 60),
                        "timeoutAction": timeout.get("action") or "ROLLBACK",
                    }
                if now < sd["hook"]["expiresAt"]:
                    return
                sd["hook"]["status"] = "TIMED_OUT"
                if sd["hook"]["timeoutAction"] == "ROLLBACK":
                    roll_back(backend, sd, "The lifecycle hook timed out.")
                    return
            sd["stage"] = "PRODUCTION_TRAFFIC_SHIFT"
            sd["at"] = max(sd["at"], now) if sd["hook"] else sd["at"]
            _first_share(backend, sd)
        elif stage == "PRODUCTION_TRAFFIC_SHIFT":
            if sd["share"] < 100:
                every = _share_bake(sd)
                if elapsed < every:
                    return
                sd["at"] += every
                _next_share(backend, sd)
                continue
            sd["stage"] = "BAKE_TIME"
        elif stage == "BAKE_TIME":
            bake = _seconds(sd["config"].get("bakeTimeInMinutes"))
            if elapsed < bake:
                return
            sd["at"] += bake
            sd["stage"] = "CLEAN_UP"
        elif stage == "CLEAN_UP":
            sd.update(status="SUCCESSFUL", finishedAt=now)
            service = _service(backend, sd)
            if service is not None:
                plain._complete(service, sd["deployment"])
            return
        else:
            return


def _share_bake(sd: dict) -> timedelta:
    strategy = sd["config"].get("strategy")
    if strategy == "CANARY":
        return _seconds((sd["config"].get("canaryConfiguration") or {}).get("canaryBakeTimeInMinutes"))
    if strategy == "LINEAR":
        return _seconds((sd["config"].get("linearConfiguration") or {}).get("stepBakeTimeInMinutes"))
    return timedelta(0)


def _first_share(backend: EC2ContainerServiceBackend, sd: dict) -> None:
    strategy = sd["config"].get("strategy")
    if strategy == "CANARY":
        share = int(float((sd["config"].get("canaryConfiguration") or {}).get("canaryPercent") or 100))
    elif strategy == "LINEAR":
        share = int(float((sd["config"].get("linearConfiguration") or {}).get("stepPercent") or 100))
    else:
        share = 100
    sd["share"] = min(100, share)
    _shift(backend, sd, [sd["rules"][0]] if sd["rules"] else [], sd["share"])


def _next_share(backend: EC2ContainerServiceBackend, sd: dict) -> None:
    if sd["config"].get("strategy") == "LINEAR":
        step = int(float((sd["config"].get("linearConfiguration") or {}).get("stepPercent") or 100))
        sd["share"] = min(100, sd["share"] + step)
    else:
        sd["share"] = 100
    _shift(backend, sd, [sd["rules"][0]] if sd["rules"] else [], sd["share"])


def advance(backend: EC2ContainerServiceBackend, service: Service) -> None:
    for sd in list(_all(backend).values()):
        if sd["service"] == service.arn:
            _advance(backend, sd)


def _brief(sd: dict) -> dict:
    return {
        "serviceDeploymentArn": sd["arn"],
        "serviceArn": sd["service"],
        "clusterArn": sd["cluster"],
        "createdAt": sd["createdAt"],
        "startedAt": sd["createdAt"],
        "finishedAt": sd.get("finishedAt"),
        "targetServiceRevisionArn": sd["revision"],
        "status": sd["status"],
        "statusReason": sd["statusReason"],
    }


def _full(sd: dict) -> dict:
    out = _brief(sd)
    del out["targetServiceRevisionArn"]
    deployment = sd["deployment"]
    out.update(
        {
            "lifecycleStage": sd["stage"],
            "deploymentConfiguration": sd["config"],
            "targetServiceRevision": {
                "arn": sd["revision"],
                "requestedTaskCount": deployment.get("desiredCount", 0),
                "runningTaskCount": deployment.get("runningCount", 0),
                "pendingTaskCount": deployment.get("pendingCount", 0),
                "requestedTestTrafficWeight": float(sd["testShare"]),
                "requestedProductionTrafficWeight": float(sd["share"]),
            },
            "lifecycleHookDetails": [sd["hook"]] if sd["hook"] else [],
        }
    )
    if sd["rollback"]:
        out["rollback"] = sd["rollback"]
    return out


def _find(backend: EC2ContainerServiceBackend, arn: str) -> dict:
    sd = _all(backend).get(arn)
    if sd is None:
        raise NotFound(f"Service deployment {arn} not found.")
    service = _service(backend, sd)
    if service is not None:
        advance(backend, service)
    return sd


def _list_service_deployments(self: EC2ContainerServiceResponse) -> Any:
    cluster = self._get_param("cluster", "default")
    name = self._get_param("service").split("/")[-1]
    service = self.ecs_backend.services.get(f"{cluster.split('/')[-1]}:{name}")
    if service is None:
        raise ServiceNotFoundException()
    advance(self.ecs_backend, service)
    wanted = set(self._get_param("status") or [])
    found = [_brief(sd) for sd in _all(self.ecs_backend).values() if sd["service"] == service.arn and (not wanted or sd["status"] in wanted)]
    found.sort(key=lambda b: b["createdAt"], reverse=True)
    return ActionResult({"serviceDeployments": found})


def _describe_service_deployments(self: EC2ContainerServiceResponse) -> Any:
    found, failures = [], []
    for arn in self._get_param("serviceDeploymentArns") or []:
        try:
            found.append(_full(_find(self.ecs_backend, arn)))
        except NotFound:
            failures.append({"arn": arn, "reason": "MISSING"})
    return ActionResult({"serviceDeployments": found, "failures": failures})


def _describe_service_revisions(self: EC2ContainerServiceResponse) -> Any:
    """The revisions service deployments roll out (and roll back to)."""
    revisions: dict[str, dict] = {}
    for sd in _all(self.ecs_backend).values():
        for arn, task_definition in ((sd["revision"], sd["taskDefinition"]), (sd["revision"] + "-previous", sd["previous"])):
            if task_definition:
                revisions[arn] = {"serviceRevisionArn": arn, "serviceArn": sd["service"], "clusterArn": sd["cluster"], "taskDefinition": task_definition, "createdAt": sd["createdAt"]}
    found, failures = [], []
    for arn in self._get_param("serviceRevisionArns") or []:
        if arn in revisions:
            found.append(revisions[arn])
        else:
            failures.append({"arn": arn, "reason": "MISSING"})
    return ActionResult({"serviceRevisions": found, "failures": failures})


def _stop_service_deployment(self: EC2ContainerServiceResponse) -> Any:
    sd = _find(self.ecs_backend, self._get_param("serviceDeploymentArn"))
    if sd["status"] != "IN_PROGRESS":
        raise Conflict(f"The service deployment is {sd['status']}, not IN_PROGRESS.")
    if (self._get_param("stopType") or "ROLLBACK") == "ROLLBACK":
        roll_back(self.ecs_backend, sd, "Service deployment rolled back because of a StopServiceDeployment request.")
    else:
        sd.update(status="STOPPED", statusReason="Stopped by a StopServiceDeployment request.", finishedAt=utcnow())
    return ActionResult({"serviceDeploymentArn": sd["arn"]})


def _continue_service_deployment(self: EC2ContainerServiceResponse) -> Any:
    sd = _find(self.ecs_backend, self._get_param("serviceDeploymentArn"))
    hook = sd["hook"]
    if sd["status"] != "IN_PROGRESS" or hook is None or hook["status"] != "AWAITING_ACTION" or hook["hookId"] != self._get_param("hookId"):
        raise Conflict("No lifecycle hook of the service deployment awaits that action.")
    if self._get_param("action") == "ROLLBACK":
        hook["status"] = "FAILED"
        roll_back(self.ecs_backend, sd, "Rolled back at a lifecycle hook (ContinueServiceDeployment).")
    else:
        hook["status"] = "SUCCEEDED"
        _advance(self.ecs_backend, sd)
    return ActionResult({"serviceDeploymentArn": sd["arn"]})


def install() -> None:
    EC2ContainerServiceResponse.list_service_deployments = _list_service_deployments  # type: ignore[attr-defined]
    EC2ContainerServiceResponse.describe_service_deployments = _describe_service_deployments  # type: ignore[attr-defined]
    EC2ContainerServiceResponse.describe_service_revisions = _describe_service_revisions  # type: ignore[attr-defined]
    EC2ContainerServiceResponse.stop_service_deployment = _stop_service_deployment  # type: ignore[attr-defined]
    EC2ContainerServiceResponse.continue_service_deployment = _continue_service_deployment  # type: ignore[attr-defined]
