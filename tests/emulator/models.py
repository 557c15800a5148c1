"""AWS's own API models as the judge of every request the emulator receives (patch 60).

botocore ships the models the AWS SDKs are generated from (`botocore/data/SERVICE/VERSION/
service-2.json`). moto accepts much that AWS refuses; here a request's parameters, once
decoded from the wire (tests/emulator/wire.py), are checked against its operation's input
shape the way AWS's front end checks them before the service sees the request
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html: "The input
fails to satisfy the constraints specified by an AWS service"), and every violation is named
with its member path and constraint in AWS's words:

    1 validation error detected: Value null at 'volumes.1.member.efsVolumeConfiguration.fileSystemId'
    failed to satisfy constraint: Member must not be null

Checked, at every nesting level: required members (`Member must not be null`), enums, the
length of strings and blobs, the value of numbers, the size of lists and maps (`min`/`max`),
string patterns, types (a string where a number belongs, a list where a structure does), and
that a union sets exactly one member. A pattern must match the whole value, as AWS's front end
matches it (CloudFormation refuses the stack name `my_stack`, "alphanumeric characters and
hyphens": https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html);
patterns are Java's, compiled by the `regex` module (which knows Java's `\\p{L}` classes) with
Java's UTF-16 surrogate-pair ranges rewritten as code points; one that still does not compile
is skipped and listed by `skipped_patterns()` (none of the services ecship calls has one).
Beside the model, a few limits AWS states only in its API reference's prose (ECS's
DescribeServices takes at most 10 services) are checked the same way: `PROSE_LIMITS` (patch
61). Members the model does not know are left alone, as AWS's JSON services ignore them. A
member the model marks sensitive (a secret's value) is named without its value.
"""

import base64
import datetime
import functools
from typing import Any

import botocore.session
import regex
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationNotFoundError, ServiceModel, Shape

# A request's SigV4 signing name -> the botocore services signing with it.
_SIGNING = {
    "elasticloadbalancing": ("elbv2", "elb"),
    "monitoring": ("cloudwatch",),
    "elasticfilesystem": ("efs",),
    "tagging": ("resourcegroupstaggingapi",),
    "states": ("stepfunctions",),
}

_session = botocore.session.get_session()
_skipped: set[str] = set()


@functools.lru_cache(maxsize=None)
def service(name: str) -> ServiceModel | None:
    try:
        return _session.get_service_model(name)
    except UnknownServiceError:
        return None


def services_signing_as(signing_name: str) -> list[ServiceModel]:
    found = (service(name) for name in _SIGNING.get(signing_name, (signing_name,)))
    return [m for m in found if m is not None]


def operation(model: ServiceModel, name: str) -> Any:
    try:
        return model.operation_model(name)
    except OperationNotFoundError:
        return None


def skipped_patterns() -> list[str]:
    """The patterns met so far that could not be compiled, so were not checked."""
    return sorted(_skipped)


# Java's way of writing "every code point above U+FFFF" in a character class.
_SURROGATES = r"\uD800\uDC00-\uDBFF\uDFFF"


@functools.lru_cache(maxsize=None)
def _pattern(text: str) -> regex.Pattern | None:
    try:
        return regex.compile(text.replace(_SURROGATES, r"\U00010000-\U0010FFFF"))
    except regex.error:
        _skipped.add(text)
        return None


class TypeMismatch(str):
    """A violation of a member's type (AWS's JSON protocols call it a SerializationException)."""


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    if isinstance(value, list):
        return "'[" + ", ".join(str(v) for v in value) + "]'"
    return f"'{value}'"


def _number(n: Any) -> str:
    return str(int(n)) if float(n).is_integer() else str(n)


def _violation(value: Any, path: str, constraint: str) -> str:
    return f"Value {_value(value)} at '{path}' failed to satisfy constraint: {constraint}"


def _mismatch(value: Any, path: str, kind: str) -> TypeMismatch:
    return TypeMismatch(_violation(value, path, f"Member must be of type {kind}"))


def _join(path: str, name: str) -> str:
    # AWS names a member by its name with the first letter lowered, lists' items `N.member`.
    name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


_TYPES = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "timestamp": (int, float, str, datetime.datetime),
    "blob": (str, bytes),
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
}


def check(shape: Shape | None, value: Any, unread: set[str] = frozenset()) -> list[str]:
    """Every violation of `shape`'s constraints by `value` (a request's decoded parameters);
    the top-level members named in `unread` were sent where the decoder does not look."""
    out: list[str] = []
    if shape is not None:
        _check(shape, value, "", out, unread)
    return out


def _check(shape: Shape, value: Any, path: str, out: list, unread: set[str] = frozenset()) -> None:
    if shape.metadata.get("sensitive") and value is not None:
        # AWS names a sensitive member's violation without its value.
        found: list = []
        _judge(shape, value, path, found, unread)
        shown = f"Value {_value(value)} at"
        out.extend(type(v)(v.replace(shown, "Value at", 1)) for v in found)
        return
    _judge(shape, value, path, out, unread)


def _judge(shape: Shape, value: Any, path: str, out: list, unread: set[str]) -> None:
    kind = shape.type_name
    if kind == "structure" and shape.is_document_type:
        return
    wanted = _TYPES.get(kind, (object,))
    if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
        out.append(_mismatch(value, path, kind))
        return
    if kind == "structure":
        _structure(shape, value, path, out, unread)
    elif kind == "list":
        _size(shape, value, path, out)
        for i, item in enumerate(value, 1):
            _check(shape.member, item, f"{path}.{i}.member", out)
    elif kind == "map":
        _size(shape, value, path, out)
        for key, item in value.items():
            _check(shape.key, key, path, out)
            _check(shape.value, item, f"{path}.{key}.member", out)
    elif kind in ("string", "blob"):
        _text(shape, value, path, out)
    elif kind in ("integer", "long", "float", "double"):
        _range(shape, value, path, out)


def _structure(shape: Shape, value: dict, path: str, out: list, unread: set[str]) -> None:
    for name in shape.required_members:
        if value.get(name) is None and name not in unread:
            out.append(_violation(None, _join(path, name), "Member must not be null"))
    present = [name for name, v in value.items() if v is not None and name in shape.members]
    if shape.is_tagged_union and len(present) != 1:
        out.append(_violation(present, path or shape.name, "Union must have exactly one member set"))
    for name in present:
        _check(shape.members[name], value[name], _join(path, name), out)


def _size(shape: Shape, value: Any, path: str, out: list) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    shown = list(value) if isinstance(value, dict) else value
    if low is not None and len(value) < low:
        out.append(_violation(shown, path, f"Member must have length greater than or equal to {_number(low)}"))
    if high is not None and len(value) > high:
        out.append(_violation(shown, path, f"Member must have length less than or equal to {_number(high)}"))


def _text(shape: Shape, value: Any, path: str, out: list) -> None:
    if shape.type_name == "blob":
        _size(shape, value if isinstance(value, bytes) else _unbase64(value), path, out)
        return
    _size(shape, value, path, out)
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        out.append(_violation(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
    text = shape.metadata.get("pattern")
    compiled = _pattern(text) if text else None
    if compiled is not None and compiled.fullmatch(value) is None:
        out.append(_violation(value, path, f"Member must satisfy regular expression pattern: {text}"))


def _unbase64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return value.encode()


def _range(shape: Shape, value: Any, path: str, out: list) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        out.append(_violation(value, path, f"Member must have value greater than or equal to {_number(low)}"))
    if high is not None and value > high:
        out.append(_violation(value, path, f"Member must have value less than or equal to {_number(high)}"))


# Limits AWS states only in its API reference's prose, not in the model (patch 61): (service,
# operation) -> {member: most items}, each from the page cited.
PROSE_LIMITS = {
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html: "up to 10 services"
    ("ecs", "DescribeServices"): {"services": 10},
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html: "up to 100 task IDs"
    ("ecs", "DescribeTasks"): {"tasks": 100},
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeClusters.html: "up to 100 cluster names"
    ("ecs", "DescribeClusters"): {"clusters": 100},
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteTaskDefinitions.html: "up to 10 task definitions"
    ("ecs", "DeleteTaskDefinitions"): {"taskDefinitions": 10},
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html: "up to 20 resources"
    ("elbv2", "DescribeTags"): {"ResourceArns": 20},
}


def prose_limits(service_name: str, operation_name: str, params: dict) -> list[str]:
    """Violations of the limits AWS states only in prose (PROSE_LIMITS)."""
    out = []
    for name, most in PROSE_LIMITS.get((service_name, operation_name), {}).items():
        value = params.get(name) if isinstance(params, dict) else None
        if isinstance(value, list) and len(value) > most:
            out.append(_violation(value, _join("", name), f"Member must have length less than or equal to {most}"))
    return out


def message(violations: list[str]) -> str:
    """AWS's summary of a request's violations."""
    n = len(violations)
    return f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(violations)
