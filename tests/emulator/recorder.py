"""Patch 80: a record of every AWS API call that reaches the emulator, as IAM names it.

AWS authorises each request as an action `service:Operation` on the resource the request
names (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
which CloudTrail records as `eventSource`/`eventName`
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
moto keeps no such record. Here, when `EMULATOR_RECORD_CALLS` names a file, every request
appends one line to it: `PREFIX:Operation<TAB>RESOURCE`, where PREFIX is the service's IAM
prefix (its SigV4 signing name, but `monitoring` is `cloudwatch`), Operation is the API
operation (from `X-Amz-Target`, the query `Action`, the RPC v2 CBOR path, or the REST
operation whose method and URI match, from botocore's service models), and RESOURCE is the
ARN of the resource the request names where it names one (by ARN, or by name: a
CloudFormation stack, an ECS cluster, service, task or task-definition family, an ECR
repository, a log group, an S3 bucket or object, a schedule), else `-`. The tests compare
these lines with the IAM policy ecship prints (`ecship iam-policy`).
"""

import io
import json
import os
import re
import threading
import urllib.parse
from typing import Any, Callable

import botocore.loaders
import cbor2
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

VAR = "EMULATOR_RECORD_CALLS"
ACCOUNT = "123456789012"

# SigV4 signing name -> IAM prefix, where they differ.
_PREFIX = {"monitoring": "cloudwatch"}
# SigV4 signing name -> botocore's service name, for the REST protocols.
_REST_MODELS = {"scheduler": "scheduler", "elasticfilesystem": "efs", "s3": "s3", "route53": "route53"}

_lock = threading.Lock()
_routes: dict[str, list[tuple[str, re.Pattern, tuple[str, ...], tuple[str, ...], str]]] = {}


def _scope(environ: dict) -> tuple[str, str]:
    """The region and signing name of the request's SigV4 credential scope."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    scope = auth.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    return (scope[2], scope[3]) if len(scope) > 3 else ("us-east-1", "")


def _uri_pattern(uri: str) -> tuple[re.Pattern, tuple[str, ...]]:
    """A REST operation's `requestUri` (`/{Bucket}/{Key+}?uploads`) as a path regex and the
    query keys it requires."""
    path, _, query = uri.partition("?")
    parts = re.split(r"(\{[A-Za-z0-9]+\+?\})", path)
    regex = ""
    for part in parts:
        if part.startswith("{"):
            name = part.strip("{}+")
            regex += f"(?P<{name}>.+)" if part.endswith("+}") else f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    keys = tuple(k.split("=", 1)[0] for k in query.split("&") if k)
    return re.compile(f"^{regex}/?$"), keys


def _required_headers(model: dict, op: dict) -> tuple[str, ...]:
    """The headers an operation's input requires (CopyObject's `x-amz-copy-source`: what tells
    it from PutObject on the same method and URI)."""
    shape = model["shapes"].get(op.get("input", {}).get("shape", ""), {})
    members = shape.get("members", {})
    return tuple(
        members[m]["locationName"].lower() for m in shape.get("required", []) if members.get(m, {}).get("location") == "header"
    )


def _rest_routes(signing: str) -> list[tuple[str, re.Pattern, tuple[str, ...], tuple[str, ...], str]]:
    if signing not in _routes:
        model = botocore.loaders.create_loader().load_service_model(_REST_MODELS[signing], "service-2")
        routes = []
        for name, op in model["operations"].items():
            regex, keys = _uri_pattern(op["http"]["requestUri"])
            routes.append((op["http"]["method"], regex, keys, _required_headers(model, op), name))
        # The most specific first: more required query keys and headers, then a longer literal URI.
        routes.sort(key=lambda r: (-len(r[2]) - len(r[3]), -len(r[1].pattern.replace("[^/]+", "").replace(".+", ""))))
        _routes[signing] = routes
    return _routes[signing]


def _rest_operation(signing: str, environ: dict, query: dict) -> tuple[str, dict]:
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
    for verb, regex, keys, headers, name in _rest_routes(signing):
        match = regex.match(path)
        present = all(f"HTTP_{h.upper().replace('-', '_')}" in environ for h in headers)
        if verb == method and match and present and all(k in query for k in keys):
            return name, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
    return "Unknown", {}


def _params(environ: dict, body: bytes) -> dict:
    kind = environ.get("CONTENT_TYPE", "")
    if "json" in kind and body:
        try:
            value = json.loads(body)
            return value if isinstance(value, dict) else {}
        except ValueError:
            return {}
    if "cbor" in kind and body:
        value = cbor2.loads(body)
        return value if isinstance(value, dict) else {}
    if "x-www-form-urlencoded" in kind:
        return {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(errors="replace")).items()}
    return {}


def operation(environ: dict, body: bytes) -> tuple[str, str, dict]:
    """(IAM prefix, operation, parameters) of one request."""
    region, signing = _scope(environ)
    prefix = _PREFIX.get(signing, signing)
    query = {k: v[0] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
    params = {**query, **_params(environ, body), "__region": region}
    target = environ.get("HTTP_X_AMZ_TARGET")
    path = environ.get("PATH_INFO", "")
    if target:
        return prefix, target.rsplit(".", 1)[-1], params
    if "Action" in params:
        return prefix, params["Action"], params
    if "/operation/" in path:
        return prefix, path.rstrip("/").rsplit("/", 1)[-1], params
    if signing in _REST_MODELS:
        name, found = _rest_operation(signing, environ, query)
        return prefix, name, {**params, **found}
    return prefix, "Unknown", params


def _name(value: Any) -> str:
    """The name in a name-or-ARN parameter (`arn:…:cluster/NAME` → NAME)."""
    text = str(value or "")
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text


def _ecs(region: str, op: str, p: dict) -> str:
    base = f"arn:aws:ecs:{region}:{ACCOUNT}"
    cluster = _name(p.get("cluster") or "default")
    services = p.get("services") or [p.get("service") or p.get("serviceName")]
    tasks = p.get("tasks") or [p.get("task")]
    if op in ("RunTask", "RegisterTaskDefinition", "DescribeTaskDefinition", "DeregisterTaskDefinition"):
        family = _name(p.get("taskDefinition") or p.get("family"))
        return f"{base}:task-definition/{family if ':' in family else family + ':*'}" if family else "-"
    if len(services) == 1 and services[0]:
        return f"{base}:service/{cluster}/{_name(services[0])}"
    if op in ("DescribeTasks", "StopTask") and len(tasks) == 1 and tasks[0]:
        return f"{base}:task/{cluster}/{_name(tasks[0])}"
    clusters = p.get("clusters") or []
    if op == "DescribeClusters" and len(clusters) == 1:
        return f"{base}:cluster/{_name(clusters[0])}"
    return "-"


# Parameters that name their resource by ARN (ELBv2's, tagging calls').
_ARN_PARAMS = ("resourceArn", "ResourceArn", "RuleArn", "RuleArns.member.1", "TargetGroupArn", "ListenerArn", "LoadBalancerArn")


def _resource(prefix: str, op: str, p: dict) -> str:
    region = p.get("__region", "us-east-1")
    named = next((p[k] for k in _ARN_PARAMS if isinstance(p.get(k), str) and p[k].startswith("arn:")), None)
    if named and not (op == "DescribeRules" and "RuleArns.member.2" in p):
        return named
    if prefix == "logs" and p.get("logGroupName"):
        stream = f":log-stream:{p['logStreamName']}" if p.get("logStreamName") else ""
        return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{p['logGroupName']}{stream}"
    if prefix == "cloudformation" and p.get("StackName"):
        name = p["StackName"]
        return name if name.startswith("arn:") else f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{name}/*"
    if prefix == "ecs":
        return _ecs(region, op, p)
    if prefix == "ecr" and p.get("repositoryName"):
        return f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{p['repositoryName']}"
    if prefix == "s3" and p.get("Bucket"):
        key = p.get("Key")
        return f"arn:aws:s3:::{p['Bucket']}" + (f"/{key}" if key else "")
    if prefix == "scheduler" and op.endswith("ScheduleGroup") and p.get("Name"):
        return f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule-group/{p['Name']}"
    if prefix == "scheduler" and op.endswith("Schedule") and p.get("Name"):
        return f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule/{p.get('GroupName') or p.get('groupName') or 'default'}/{p['Name']}"
    return "-"


def record_line(environ: dict, body: bytes) -> str:
    prefix, op, params = operation(environ, body)
    return f"{prefix}:{op}\t{_resource(prefix, op, params)}"


def _recording(original: Callable) -> Callable:
    def dispatch(self: Any, environ: dict, start_response: Any) -> Any:
        path = os.environ.get(VAR)
        if not path or environ.get("PATH_INFO", "").startswith(("/moto-api", "/emulator/")):
            return original(self, environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        line = record_line(environ, body)
        with _lock, open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        return original(self, environ, start_response)

    return dispatch


def install() -> None:
    DomainDispatcherApplication.__call__ = _recording(DomainDispatcherApplication.__call__)  # type: ignore[method-assign]
