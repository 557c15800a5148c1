"""Requests as AWS's API models see them: which operation, with which parameters (patch 60).

Every HTTP request reaching the emulator is taken apart here by its wire protocol, named by
its SigV4 signing name (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`), and checked by
tests/emulator/models.py. A request that breaks its operation's constraints is answered as
AWS answers it, HTTP 400 in the protocol's error shape, and never reaches moto:

| protocol | services (of those ecship calls) | parameters from | error code |
|---|---|---|---|
| JSON 1.0/1.1 | ECS, ECR, CloudWatch Logs, Application Auto Scaling, Secrets Manager, … | the JSON body; the operation from `X-Amz-Target` | ValidationException (SerializationException for a type) |
| query | CloudFormation, ELBv2, STS, IAM | the form body (`Member.member.N`, `Map.entry.N.key`) | ValidationError, in `<ErrorResponse>` |
| EC2 query | EC2 | the form body (`Name.N`, EC2's capitalised names) | MissingParameter / InvalidParameterValue, in `<Response><Errors>` |
| REST-JSON | Scheduler, EFS | the URI labels, query string, headers (by `location`) and the JSON body | ValidationException in `x-amzn-ErrorType` |
| RPC v2 CBOR | CloudWatch | the CBOR body; the operation from the path | ValidationException, as JSON |

A service that moved from the query protocol (`awsQueryCompatible` in its model: CloudWatch)
keeps its query error code in the JSON and CBOR protocols: ValidationError, in `__type` and
in the `x-amzn-query-error` header the SDKs read it from.
| REST-XML | S3 | the URI labels, query string and headers only (bodies are not read) | InvalidArgument, in `<Error>` |

The codes are AWS's own: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html
(ValidationError for query services), https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
(EC2's MissingParameter and InvalidParameterValue), https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
(S3's InvalidArgument), https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html (RPC v2 CBOR errors).

Not checked: the emulator's own endpoints (`/moto-api`, `/emulator/…`; the fault proxy's
`/__faults` never reaches it), requests of an unknown service or operation (moto answers
those itself), S3 bodies, and calls moto makes inside itself (CloudFormation creating
resources), which are no HTTP requests. `EMULATOR_CHECK_REQUESTS=0` in the emulator's
environment turns the checking off, for diagnosing only; `EMULATOR_CHECK_LOG=FILE` appends
each refusal, and each request no model could name (`unchecked: …`), to FILE (the emulators
the tests start inherit it), to see refusals a run recovered from.
"""

import io
import json
import os
import re
import urllib.parse
import uuid
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

import models

EXEMPT = ("/moto-api", "/emulator/", "/__faults")
_CBOR_PATH = re.compile(r"/service/[^/]+/operation/([A-Za-z0-9]+)$")


class Request:
    """What a request carries, read once from the WSGI environment."""

    def __init__(self, environ: dict) -> None:
        self.method = environ.get("REQUEST_METHOD", "GET")
        self.path = environ.get("PATH_INFO", "/")
        self.query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        self.headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                self.headers[key.replace("_", "-").lower()] = environ[key]
        self.body = b""

    def signing_name(self) -> str:
        credential = self.headers.get("authorization", "").split("Credential=", 1)[-1].split(",", 1)[0]
        scope = credential.split("/") if "/" in credential else self.query.get("X-Amz-Credential", [""])[0].split("/")
        return scope[3] if len(scope) > 3 else ""


def read_body(environ: dict) -> bytes:
    """The request's body, put back for moto to read."""
    stream = environ["wsgi.input"]
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        body = stream.read()
    else:
        body = stream.read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def enabled() -> bool:
    return os.environ.get("EMULATOR_CHECK_REQUESTS", "1") != "0"


def exempt(path: str) -> bool:
    return path.startswith(EXEMPT)


# -- which operation ----------------------------------------------------------------------


def identify(request: Request, models_: list[ServiceModel]) -> tuple[str, ServiceModel, OperationModel] | None:
    """The protocol, service and operation of a request, or None when no model knows it."""
    target = request.headers.get("x-amz-target")
    cbor = _CBOR_PATH.search(request.path)
    form = urllib.parse.parse_qs(request.body.decode("utf-8", "replace")) if _is_form(request) else {}
    for model in models_:
        protocol = model.metadata.get("protocol")
        if cbor:
            found = ("cbor", model, models.operation(model, cbor.group(1)))
        elif target and "." in target:
            prefix, name = target.rsplit(".", 1)
            found = ("json", model, models.operation(model, name) if prefix == model.metadata.get("targetPrefix") else None)
        elif "Action" in form or "Action" in request.query:
            action = (form.get("Action") or request.query["Action"])[0]
            version = (form.get("Version") or request.query.get("Version") or [model.api_version])[0]
            kind = "ec2" if protocol == "ec2" else "query"
            found = (kind, model, models.operation(model, action) if version == model.api_version else None)
        elif protocol in ("rest-json", "rest-xml"):
            found = (protocol, model, _rest_operation(model, request))
        else:
            continue
        if found[2] is not None:
            return found
    return None


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


def _template(uri: str) -> tuple[re.Pattern, dict[str, str]]:
    path, _, literal = uri.partition("?")
    pattern = re.sub(
        r"\\\{([A-Za-z0-9_]+)(\\\+)?\\\}",
        lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",
        re.escape(path.rstrip("/") or "/"),
    )
    required = dict(urllib.parse.parse_qsl(literal, keep_blank_values=True))
    return re.compile(f"^{pattern}/?$"), required


def _rest_operation(model: ServiceModel, request: Request) -> OperationModel | None:
    """The operation whose HTTP binding matches the request best (literal query keys first)."""
    best, score = None, -1
    for name in model.operation_names:
        op = model.operation_model(name)
        if op.http.get("method") != request.method:
            continue
        pattern, literal = _template(op.http.get("requestUri", "/"))
        if pattern.match(request.path.rstrip("/") or "/") is None or any(k not in request.query for k in literal):
            continue
        if not _bound_members_sent(op, request):
            continue
        rank = len(literal) * 1000 + len(pattern.pattern)
        if rank > score:
            best, score = op, rank
    return best


def _bound_members_sent(op: OperationModel, request: Request) -> bool:
    """Whether the request sends the required headers and query keys (S3's CopyObject is
    PutObject's method and path with `x-amz-copy-source`)."""
    shape = op.input_shape
    for name in shape.required_members if shape is not None else ():
        where, wire = shape.members[name].serialization.get("location"), shape.members[name].serialization.get("name", name)
        if (where == "header" and wire.lower() not in request.headers) or (where == "querystring" and wire not in request.query):
            return False
    return True


# -- with which parameters ----------------------------------------------------------------


def parameters(protocol: str, op: OperationModel, request: Request) -> dict:
    shape = op.input_shape
    if shape is None:
        return {}
    if protocol == "json":
        return json.loads(request.body or b"{}")
    if protocol == "cbor":
        return cbor2.loads(request.body) if request.body else {}
    if protocol in ("query", "ec2"):
        form = urllib.parse.parse_qs(request.body.decode(), keep_blank_values=True) if _is_form(request) else request.query
        return _from_query(shape, {k: v[0] for k, v in form.items()}, "", protocol == "ec2") or {}
    return _from_rest(protocol, op, request)


def scalar(shape: Shape, text: str) -> Any:
    """A value sent as text, as its shape's type; text that is no such value stays text."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def _query_name(shape: Shape, default: str, ec2: bool) -> str:
    if ec2 and "queryName" in shape.serialization:
        return shape.serialization["queryName"]
    name = shape.serialization.get("name")
    if name is None:
        return default
    return name[:1].upper() + name[1:] if ec2 else name


def _from_query(shape: Shape, form: dict, key: str, ec2: bool) -> Any:
    """The value at `key` of a query protocol's flattened form, or None when none was sent."""
    kind = shape.type_name
    if kind == "structure":
        found = {}
        for name, member in shape.members.items():
            wire = _query_name(member, name, ec2)
            value = _from_query(member, form, f"{key}.{wire}" if key else wire, ec2)
            if value is not None:
                found[name] = value
        return found if found or not key else None
    if kind == "list":
        return _query_list(shape, form, key, ec2)
    if kind == "map":
        return _query_map(shape, form, key)
    return scalar(shape, form[key]) if key in form else None


def _query_list(shape: Shape, form: dict, key: str, ec2: bool) -> list | None:
    if form.get(key) == "":
        return []
    if ec2 or shape.serialization.get("flattened"):
        prefix = key
        if not ec2 and shape.member.serialization.get("name"):
            prefix = ".".join(key.split(".")[:-1] + [shape.member.serialization["name"]])
    else:
        prefix = f"{key}.{shape.member.serialization.get('name', 'member')}"
    items = []
    while True:
        item = _from_query(shape.member, form, f"{prefix}.{len(items) + 1}", ec2)
        if item is None:
            return items or None
        items.append(item)


def _query_map(shape: Shape, form: dict, key: str) -> dict | None:
    prefix = key if shape.serialization.get("flattened") else f"{key}.entry"
    key_name, value_name = shape.key.serialization.get("name", "key"), shape.value.serialization.get("name", "value")
    found: dict = {}
    while f"{prefix}.{len(found) + 1}.{key_name}" in form:
        n = len(found) + 1
        found[form[f"{prefix}.{n}.{key_name}"]] = _from_query(shape.value, form, f"{prefix}.{n}.{value_name}", False)
    return found or None


def _from_rest(protocol: str, op: OperationModel, request: Request) -> dict:
    shape = op.input_shape
    labels = _template(op.http.get("requestUri", "/"))[0].match(request.path.rstrip("/") or "/")
    found: dict = {}
    body_members = []
    for name, member in shape.members.items():
        where, wire = member.serialization.get("location"), member.serialization.get("name", name)
        if where == "uri" and labels is not None and labels.groupdict().get(wire) is not None:
            found[name] = scalar(member, urllib.parse.unquote(labels.group(wire)))
        elif where == "querystring":
            _rest_query(member, wire, request, found, name)
        elif where == "header" and wire.lower() in request.headers:
            found[name] = _header(member, request.headers[wire.lower()])
        elif where == "headers":
            prefix = wire.lower()
            pairs = {k[len(prefix):]: v for k, v in request.headers.items() if k.startswith(prefix)}
            found[name] = pairs or None
        elif where is None:
            body_members.append(name)
    payload = shape.serialization.get("payload")
    if protocol == "rest-xml" or (payload and shape.members[payload].type_name != "structure"):
        return found  # S3's bodies and raw payloads are not read
    body = json.loads(request.body or b"{}")
    found.update({payload: body} if payload else {k: body.get(k) for k in body_members})
    return found


def _unread(protocol: str, op: OperationModel) -> set[str]:
    """The members of a request's body this module does not read (S3's, raw payloads)."""
    shape = op.input_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    if shape is None or protocol not in ("rest-json", "rest-xml"):
        return set()
    if protocol == "rest-json" and not (payload and shape.members[payload].type_name != "structure"):
        return set()
    return {name for name, m in shape.members.items() if m.serialization.get("location") is None}


def _header(member: Shape, text: str) -> Any:
    if member.type_name == "list":
        return [scalar(member.member, part.strip()) for part in text.split(",")]
    return scalar(member, text)


def _rest_query(member: Shape, wire: str, request: Request, found: dict, name: str) -> None:
    if member.type_name == "map":
        found[name] = {k: v[0] for k, v in request.query.items()} or None
    elif member.type_name == "list" and wire in request.query:
        found[name] = [scalar(member.member, v) for v in request.query[wire]]
    elif wire in request.query:
        found[name] = scalar(member, request.query[wire][0])


# -- the answer -----------------------------------------------------------------------------


def refusal(protocol: str, model: ServiceModel, violations: list[str]) -> tuple[str, list, bytes]:
    """AWS's answer to a request that breaks its operation's constraints: status, headers, body."""
    text = models.message(violations)
    mismatch = any(isinstance(v, models.TypeMismatch) for v in violations)
    if protocol in ("json", "rest-json", "cbor"):
        code = "SerializationException" if mismatch else "ValidationException"
        extra = [("x-amzn-ErrorType", code)]
        if "awsQueryCompatible" in model.metadata:
            # A service moved from the query protocol (CloudWatch) keeps its query error codes.
            code = "ValidationError"
            extra = [("x-amzn-query-error", f"{code};Sender")]
        if protocol == "cbor":
            return _answer("application/cbor", cbor2.dumps({"__type": code, "message": text}), extra + [("smithy-protocol", "rpc-v2-cbor")])
        kind = "application/x-amz-json-" + model.metadata.get("jsonVersion", "1.1") if protocol == "json" else "application/json"
        return _answer(kind, json.dumps({"__type": code, "message": text}).encode(), extra)
    request_id = str(uuid.uuid4())
    if protocol == "ec2":
        code = "MissingParameter" if all(v.endswith("Member must not be null") for v in violations) else "InvalidParameterValue"
        xml = f"<Response><Errors><Error><Code>{code}</Code><Message>{_xml(text)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
    elif protocol == "query":
        ns = f"https://{model.endpoint_prefix}.amazonaws.com/doc/{model.api_version}/"
        xml = (
            f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>ValidationError</Code>'
            f"<Message>{_xml(text)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        xml = f"<Error><Code>InvalidArgument</Code><Message>{_xml(text)}</Message><RequestId>{request_id}</RequestId></Error>"
    return _answer("text/xml", xml.encode(), [])


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _answer(content_type: str, body: bytes, extra: list) -> tuple[str, list, bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))] + extra
    return "400 Bad Request", headers, body


def judge(environ: dict) -> tuple[str, list, bytes] | None:
    """The refusal of a request that breaks its operation's constraints, else None."""
    request = Request(environ)
    if exempt(request.path):
        return None
    candidates = models.services_signing_as(request.signing_name())
    if not candidates:
        _log(f"unchecked: {request.signing_name() or 'unsigned'} {request.method} {request.path}")
        return None
    if request.signing_name() != "s3":
        request.body = read_body(environ)
    found = identify(request, candidates)
    if found is None:
        _log(f"unchecked: {request.signing_name()} {request.method} {request.path} {request.headers.get('x-amz-target', '')}")
        return None
    protocol, model, op = found
    try:
        params = parameters(protocol, op, request)
    except (ValueError, cbor2.CBORDecodeError):
        return None  # a body the service cannot read at all is moto's to answer
    unread = _unread(protocol, op)
    violations = models.check(op.input_shape, params, unread) + models.prose_limits(model.service_name, op.name, params)
    if not violations:
        return None
    _log(f"{model.service_name} {op.name}: {models.message(violations)}")
    return refusal(protocol, model, violations)


def _log(line: str) -> None:
    path = os.environ.get("EMULATOR_CHECK_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")
