"""One-off ECS tasks for the emulator (RunTask): what ECS does and stock moto does not.

Stock moto (5.2.5) answers RunTask with HTTP 500 unless every container declares its own
`memory` (Fargate task definitions give it at the task level), and the task it starts never
stops on its own: it runs until StopTask, and then reports no exit code, no stop code and no
times, and no log line is ever written. Here, as on ECS with the awslogs driver:

- RunTask accepts a task definition whose memory is given at the task level, in a VPC
  without DNS hostnames (its network interface then has no private DNS name, as on AWS).
- A task started by RunTask runs for `EMULATOR_TASK_SECONDS` (default 1) seconds, then stops
  on its own: STOPPED, stop code EssentialContainerExited, stop reason "Essential container
  in task exited", its container's exit code `EMULATOR_TASK_EXIT` (default 0), startedAt and
  stoppedAt set.
- When the task definition's container has an awslogs log configuration, the lines of
  `EMULATOR_TASK_LOG` (separated by newlines) go to the stream `PREFIX/CONTAINER/TASK_ID` of
  its log group as the task runs: spread evenly over its seconds, the last just before it
  stops.
- StopTask of a task still running stops it as ECS does: stop code UserInitiated, the
  container's exit code 137 (killed), the reason given.

The three variables are read from the container's environment in the task definition, with
RunTask's container overrides taking precedence, so one task definition can be run to
succeed or fail. They mean nothing to production code.

AWS's documentation of what is reproduced: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html (stop codes),
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html (the stream `PREFIX/CONTAINER/TASK_ID`).
"""

import threading
import time
import types
from typing import Any

from moto.core.utils import utcnow
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.logs.models import logs_backends

EXIT_VARIABLE = "EMULATOR_TASK_EXIT"
SECONDS_VARIABLE = "EMULATOR_TASK_SECONDS"
LOG_VARIABLE = "EMULATOR_TASK_LOG"

_original_requirements = EC2ContainerServiceBackend._calculate_task_resource_requirements
_original_run_task = EC2ContainerServiceBackend.run_task
_original_stop_task = EC2ContainerServiceBackend.stop_task
_lock = threading.Lock()


def _requirements(task_definition: Any) -> dict[str, Any]:
    """The task's memory stands for a container's that gives none (Fargate)."""
    memory = int(task_definition.memory or 0) if getattr(task_definition, "memory", None) else 0
    containers = [
        c if (c.get("memory") or c.get("memoryReservation") or c.get("Memory") or c.get("MemoryReservation")) else dict(c, memory=memory)
        for c in task_definition.container_definitions
    ]
    return _original_requirements(types.SimpleNamespace(container_definitions=containers))


def _variables(task_definition: Any, overrides: dict | None) -> tuple[dict[str, str], dict]:
    """The essential container's environment (overrides first) and its definition."""
    container = task_definition.container_definitions[0]
    env = {e.get("name"): e.get("value", "") for e in container.get("environment") or []}
    for o in (overrides or {}).get("containerOverrides") or []:
        if o.get("name") == container.get("name"):
            env.update({e.get("name"): e.get("value", "") for e in o.get("environment") or []})
    return env, container


def _write(account: str, region: str, group: str, stream: str, line: str) -> None:
    backend = logs_backends[account][region]
    if group not in backend.groups:
        return
    if stream not in backend.groups[group].streams:
        backend.create_log_stream(group, stream)
    backend.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])


def _stop(task: Task, exit_code: int, stop_code: str, reason: str) -> None:
    with _lock:
        if task.last_status == "STOPPED":
            return
        for container in task.containers:
            container.exitCode = exit_code
            container.last_status = "STOPPED"
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stop_code = stop_code
        task.stopped_reason = reason
        task.stopped_at = utcnow()


def _lifecycle(backend: EC2ContainerServiceBackend, task: Task, task_definition: Any, overrides: dict | None) -> None:
    env, container = _variables(task_definition, overrides)
    seconds = float(env.get(SECONDS_VARIABLE, "1") or 1)
    code = int(env.get(EXIT_VARIABLE, "0") or 0)
    lines = [line for line in env.get(LOG_VARIABLE, "").split("\n") if line]
    log = container.get("logConfiguration") or {}
    options = log.get("options") or {}
    stream = None
    if log.get("logDriver") == "awslogs" and options.get("awslogs-group"):
        stream = (options["awslogs-group"], f"{options.get('awslogs-stream-prefix', 'ecs')}/{container.get('name')}/{task.id}")

    def run() -> None:
        step = seconds / (len(lines) + 1)
        for line in lines:
            time.sleep(step)
            if task.last_status == "STOPPED":
                return
            if stream:
                _write(backend.account_id, task.region_name, stream[0], stream[1], line)
        time.sleep(step)
        _stop(task, code, "EssentialContainerExited", "Essential container in task exited")

    threading.Thread(target=run, daemon=True).start()


def _run_task(self: EC2ContainerServiceBackend, cluster_str: str, task_definition_str: str, count: int, overrides: Any, *args: Any, **kwargs: Any) -> list[Task]:
    tasks = _original_run_task(self, cluster_str, task_definition_str, count, overrides, *args, **kwargs)
    task_definition = self.describe_task_definition(task_definition_str)
    for task in tasks:
        # A one-off task moves on its own clock, not one step per DescribeTasks.
        task.status = "RUNNING"
        task.advance = lambda: None  # type: ignore[method-assign]
        task.started_at = utcnow()
        task.stop_code = None
        _lifecycle(self, task, task_definition, overrides)
    return tasks


def _stop_task(self: EC2ContainerServiceBackend, cluster_str: str, task_str: str, reason: str) -> Task:
    for tasks in self.tasks.values():
        for arn, task in tasks.items():
            if arn.endswith(task_str.split("/")[-1]) and task.last_status != "STOPPED":
                _stop(task, 137, "UserInitiated", reason or "Task stopped by user")
                return task
    return _original_stop_task(self, cluster_str, task_str, reason)


def install() -> None:
    NetworkInterface.private_dns_name = None  # type: ignore[attr-defined]
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(_requirements)  # type: ignore[method-assign]
    EC2ContainerServiceBackend.run_task = _run_task  # type: ignore[method-assign]
    EC2ContainerServiceBackend.stop_task = _stop_task  # type: ignore[method-assign]
