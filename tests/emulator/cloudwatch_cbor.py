"""CloudWatch over the Smithy RPC v2 CBOR protocol, for the emulator.

The AWS SDKs for Rust (aws-sdk-cloudwatch 1.100 and later) call CloudWatch with Smithy's
RPC v2 CBOR protocol: `POST /service/GraniteServiceVersion20100801/operation/OPERATION`, a
CBOR map in, a CBOR map out, timestamps as CBOR tag 1 (seconds since the epoch), errors as
a map with `__type`. Stock moto (5.2.5) speaks only CloudWatch's query protocol and answers
that path with 404. Here the operations ecship and its tests use — DescribeAlarms,
PutMetricAlarm, SetAlarmState, DeleteAlarms — are served from moto's own CloudWatch backend,
so an alarm set by a test (SetAlarmState) is the alarm a rollout reads.

AWS's documentation of what is reproduced: https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html
(the protocol, which CloudWatch's model lists first) and
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html.
"""

import datetime
from typing import Any, Callable

import cbor2
import moto.cloudwatch.urls
from moto.cloudwatch.models import Alarm, CloudWatchBackend, cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID

PATH = "{0}/service/GraniteServiceVersion20100801/operation/(?P<operation>[A-Za-z]+)$"
_HEADERS = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}


def _time(value: datetime.datetime | None) -> Any:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return cbor2.CBORTag(1, value.timestamp())


def _alarm(a: Alarm) -> dict:
    out = {
        "AlarmName": a.name,
        "AlarmArn": a.alarm_arn,
        "StateValue": a.state_value,
        "StateReason": a.state_reason,
        "StateUpdatedTimestamp": _time(a.state_updated_timestamp),
        "ActionsEnabled": bool(a.actions_enabled),
    }
    if a.rule is not None:
        out["AlarmRule"] = a.rule
        return out
    out.update({
        "Namespace": a.namespace,
        "MetricName": a.metric_name,
        "Statistic": a.statistic,
        "Period": a.period,
        "EvaluationPeriods": a.evaluation_periods,
        "Threshold": a.threshold,
        "ComparisonOperator": a.comparison_operator,
    })
    return {k: v for k, v in out.items() if v is not None}


def _describe_alarms(backend: CloudWatchBackend, body: dict) -> dict:
    names = body.get("AlarmNames") or []
    alarms = list(backend.get_alarms_by_alarm_names(names) if names else backend.describe_alarms())
    types = body.get("AlarmTypes") or ["MetricAlarm"]
    return {
        "MetricAlarms": [_alarm(a) for a in alarms if a.rule is None] if "MetricAlarm" in types else [],
        "CompositeAlarms": [_alarm(a) for a in alarms if a.rule is not None] if "CompositeAlarm" in types else [],
    }


def _put_metric_alarm(backend: CloudWatchBackend, body: dict) -> dict:
    backend.put_metric_alarm(
        name=body["AlarmName"],
        namespace=body.get("Namespace"),
        metric_name=body.get("MetricName"),
        comparison_operator=body.get("ComparisonOperator"),
        evaluation_periods=body.get("EvaluationPeriods"),
        period=body.get("Period"),
        threshold=body.get("Threshold"),
        statistic=body.get("Statistic"),
        description=body.get("AlarmDescription"),
        dimensions=body.get("Dimensions") or [],
        alarm_actions=body.get("AlarmActions") or [],
    )
    return {}


def _set_alarm_state(backend: CloudWatchBackend, body: dict) -> dict:
    backend.set_alarm_state(body["AlarmName"], body.get("StateReason", ""), body.get("StateReasonData"), body["StateValue"])
    return {}


def _delete_alarms(backend: CloudWatchBackend, body: dict) -> dict:
    backend.delete_alarms(body.get("AlarmNames") or [])
    return {}


OPERATIONS: dict[str, Callable[[CloudWatchBackend, dict], dict]] = {
    "DescribeAlarms": _describe_alarms,
    "PutMetricAlarm": _put_metric_alarm,
    "SetAlarmState": _set_alarm_state,
    "DeleteAlarms": _delete_alarms,
}


def _region(headers: dict) -> str:
    """The region of the request's SigV4 credential scope (`Credential=KEY/DATE/REGION/…`)."""
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scope = auth.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    return scope[2] if len(scope) > 2 else "us-east-1"


def _error(status: int, kind: str, message: str) -> tuple:
    return status, _HEADERS, cbor2.dumps({"__type": f"com.amazonaws.cloudwatch#{kind}", "message": message})


def serve(request: Any, full_url: str, headers: dict) -> tuple:
    operation = full_url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    handler = OPERATIONS.get(operation)
    if handler is None:
        return _error(400, "UnknownOperationException", f"the emulator does not serve CloudWatch {operation} over RPC v2 CBOR")
    body = cbor2.loads(request.data) if request.data else {}
    backend = cloudwatch_backends[DEFAULT_ACCOUNT_ID][_region(headers)]
    try:
        return 200, _HEADERS, cbor2.dumps(handler(backend, body))
    except Exception as e:  # moto's own errors carry a code and a message
        code = getattr(e, "error_type", None) or getattr(e, "code", None) or type(e).__name__
        return _error(400, str(code), getattr(e, "message", None) or str(e))


def install() -> None:
    moto.cloudwatch.urls.url_paths[PATH] = serve
