"""Secrets in CloudFormation as AWS has them, which moto (5.2.5) does not: patches 16 and 17 of
tests/emulator/server.py, checked by tests/emulator/test_server.py.

16. `AWS::SecretsManager::Secret` is no CloudFormation type in moto: it is skipped without a
    word, and a `Ref` to it gives the logical id. Here it creates a secret in moto's Secrets
    Manager backend, as AWS does: its value is `SecretString`, or one Secrets Manager generates
    from `GenerateSecretString` (PasswordLength, ExcludeCharacters, ExcludeNumbers,
    ExcludePunctuation, ExcludeUppercase, ExcludeLowercase, IncludeSpace,
    RequireEachIncludedType; SecretStringTemplate with GenerateStringKey for a JSON secret);
    it is named `Name`, or `STACK-LOGICALID-SUFFIX` without one; `Ref` gives its ARN and
    `Fn::GetAtt [S, Id]` too; an update keeps the value generated at creation (AWS generates
    once); deleting the stack (or the resource) deletes the secret at once, as CloudFormation
    does (ForceDeleteWithoutRecovery: no recovery window).

17. Dynamic references: moto leaves `{{resolve:secretsmanager:…}}` in a resource's properties
    as text. Here, as CloudFormation does, each
    `{{resolve:secretsmanager:SECRET-ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]]}}`
    in a resource's properties — anywhere in a string, once intrinsics such as `Fn::Join` and
    `Fn::Sub` have built it — is replaced by the secret's value (SECRET-ID a name or an ARN)
    when the resource is created or updated. GetTemplate still returns the template as sent,
    with the reference. A reference to a secret that does not exist fails the resource (moto
    then answers HTTP 500, as it does for any resource that fails). Only `secretsmanager`
    references are resolved: ecship's templates hold no other.

AWS's documentation of what is reproduced: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-secretsmanager-secret.html
(16) and https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html (17).
"""

import json
import re
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.utils import random_password

REFERENCE = re.compile(r"\{\{resolve:secretsmanager:(.+?)\}\}")


class CfnSecret(CloudFormationModel):
    """AWS::SecretsManager::Secret, backed by moto's Secrets Manager backend."""

    # moto files model classes by the service named in their module path.
    __module__ = "moto.secretsmanager.models"

    def __init__(self, arn: str, name: str) -> None:
        self.arn = arn
        self.name = name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "CfnSecret":
        props = cloudformation_json.get("Properties", {})
        backend = secretsmanager_backends[account_id][region_name]
        value = props.get("SecretString")
        if value is None:
            value = generated(props.get("GenerateSecretString", {}))
        created = backend.create_secret(
            name=resource_name,
            secret_string=value,
            secret_binary=None,
            description=props.get("Description"),
            tags=props.get("Tags", []),
            kms_key_id=props.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return cls(json.loads(created)["ARN"], resource_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: "CfnSecret", new_resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> "CfnSecret":
        # The value generated at creation stays; a new Description reaches the secret.
        props = cloudformation_json.get("Properties", {})
        secret = secretsmanager_backends[account_id][region_name].secrets.get(original_resource.arn)
        if secret is not None and "Description" in props:
            secret.description = props["Description"]
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> None:
        # Stack deletion calls `delete` on the created instance; nothing reaches this.
        return None

    def delete(self, account_id: str, region_name: str) -> None:
        secretsmanager_backends[account_id][region_name].delete_secret(self.arn, None, True)

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.arn
        raise NotImplementedError(f"{attribute_name} of a secret")

    def is_created(self) -> bool:
        return True


def generated(spec: dict) -> str:
    """A value as Secrets Manager generates it from `GenerateSecretString`."""
    password = random_password(
        int(spec.get("PasswordLength", 32)),
        spec.get("ExcludeCharacters", ""),
        bool(spec.get("ExcludeNumbers", False)),
        bool(spec.get("ExcludePunctuation", False)),
        bool(spec.get("ExcludeUppercase", False)),
        bool(spec.get("ExcludeLowercase", False)),
        bool(spec.get("IncludeSpace", False)),
        bool(spec.get("RequireEachIncludedType", True)),
    )
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if template and key:
        document = json.loads(template)
        document[key] = password
        return json.dumps(document)
    return password


def secret_value(reference: str, account_id: str, region_name: str) -> str:
    """The value `SECRET-ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]]` names."""
    parts = reference.split(":")
    # An ARN has seven colon-separated parts of its own.
    split_at = 7 if reference.startswith("arn:") else 1
    secret_id, rest = ":".join(parts[:split_at]), parts[split_at:] + [""] * 4
    kind, json_key, version_stage, version_id = rest[:4]
    if kind not in ("", "SecretString"):
        raise ValueError(f"dynamic reference {{{{resolve:secretsmanager:{reference}}}}}: only SecretString is supported")
    answer = secretsmanager_backends[account_id][region_name].get_secret_value(secret_id, version_id or None, version_stage or None)
    value = answer["SecretString"]
    return str(json.loads(value)[json_key]) if json_key else value


def resolved(value: Any, account_id: str, region_name: str) -> Any:
    """`value` with every secretsmanager dynamic reference replaced by what it names."""
    if isinstance(value, dict):
        return {k: resolved(v, account_id, region_name) for k, v in value.items()}
    if isinstance(value, list):
        return [resolved(v, account_id, region_name) for v in value]
    if isinstance(value, str) and "{{resolve:" in value:
        return REFERENCE.sub(lambda m: secret_value(m.group(1), account_id, region_name), value)
    return value


_original_parse_resource = parsing.parse_resource


def _parse_resource(resource_json: dict, resources_map: Any) -> Any:
    parsed = _original_parse_resource(resource_json, resources_map)
    if not parsed:
        return parsed
    resource_class, cleaned, resource_type = parsed
    if "Properties" in cleaned:
        account_id, region_name = resources_map._account_id, resources_map._region_name
        cleaned = {**cleaned, "Properties": resolved(cleaned["Properties"], account_id, region_name)}
    return resource_class, cleaned, resource_type


def install() -> None:
    # Importing CfnSecret registered it with moto's CloudFormation (a subclass of its model).
    parsing.parse_resource = _parse_resource
