"""Certificates and the edge through CloudFormation as AWS has them, which moto (5.2.5) does
not: patches 30 to 33 of tests/emulator/server.py, checked by tests/emulator/test_edge.py.

30. `AWS::CertificateManager::Certificate` is no CloudFormation type in moto: it is skipped
    without a word, and a `Ref` to it gives the logical id. Here it requests a certificate in
    moto's ACM backend (DomainName, SubjectAlternativeNames, Tags; `Ref` gives its ARN) and,
    as CloudFormation does for `DomainValidationOptions` that name a `HostedZoneId`, writes
    each name's validation CNAME (the record ACM's DescribeCertificate gives) into that zone.
    Deleting it deletes the certificate and leaves the CNAMEs in the zone, as AWS does.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-certificatemanager-certificate.html
    https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1603

31. ACM's DNS validation: moto turns a certificate from PENDING_VALIDATION to ISSUED after a
    fixed wait (60 s), whatever DNS holds. Here, as ACM does, a certificate is ISSUED once the
    validation CNAME of every name it covers is in a hosted zone of the account, and stays
    PENDING_VALIDATION until then.
    https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html

32. `AWS::WAFv2::WebACL` and `AWS::WAFv2::WebACLAssociation` are no CloudFormation types in
    moto (skipped without a word). Here they create, as CloudFormation does, a web ACL in
    moto's WAFv2 backend (Name, Scope, DefaultAction, Rules, VisibilityConfig, Description,
    Tags; `Ref` gives `NAME|ID|SCOPE`, `Fn::GetAtt` Arn and Id) and its association with a
    resource (GetWebACLForResource then names it); deleting them disassociates, then deletes.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-wafv2-webacl.html
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-wafv2-webaclassociation.html

33. CloudFormation updates a resource whose reference to a replaced resource changed; moto
    updates only resources whose own template text changed, so a listener naming a
    certificate by `Ref` kept the ARN of the one deleted. Here, as on AWS, when an update
    replaces a certificate, the listeners that served the old one serve the new one before
    the old one is deleted.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
"""

from typing import Any

from moto.acm.models import CertBundle, acm_backends
from moto.core.common_models import CloudFormationModel
from moto.elbv2.models import elbv2_backends
from moto.route53.models import route53_backends
from moto.utilities.utils import get_partition
from moto.wafv2.models import wafv2_backends


def _zones(account_id: str, region_name: str) -> Any:
    return route53_backends[account_id][get_partition(region_name)]


def _name(record: str) -> str:
    return record.rstrip(".").lower()


def _validation_records(cert: CertBundle) -> list[dict]:
    """The CNAME ACM asks for, per name the certificate covers."""
    options = cert.describe()["Certificate"].get("DomainValidationOptions", [])
    return [{"DomainName": o["DomainName"], **o["ResourceRecord"]} for o in options]


def validated(cert: CertBundle) -> bool:
    """Whether every name's validation CNAME is in a hosted zone of the certificate's account."""
    _, _, _, region_name, account_id, _ = cert.arn.split(":", 5)
    records = {(_name(r.name), r.type) for z in _zones(account_id, region_name).zones.values() for r in z.rrsets}
    return all((_name(v["Name"]), "CNAME") in records for v in _validation_records(cert))


_original_check = CertBundle.check


def _check(self: CertBundle) -> None:
    # Expiry as moto has it; validation as ACM does it, by DNS, never by a timer.
    status = self.status
    _original_check(self)
    if self.status == "ISSUED" and status == "PENDING_VALIDATION":
        self.status = status
    if self.status == "PENDING_VALIDATION" and self.type == "AMAZON_ISSUED" and validated(self):
        self.status = "ISSUED"


class _StackResource:
    """What the types below share: made by CloudFormation, deleted through `delete` (stack
    deletion calls it on the instance created), the attributes `ATTRS` names."""

    ATTRS: tuple = ()

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRS

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> None:
        return None

    def is_created(self) -> bool:
        return True


class CfnCertificate(_StackResource, CloudFormationModel):
    """AWS::CertificateManager::Certificate, backed by moto's ACM backend."""

    # moto files model classes by the service named in their module path.
    __module__ = "moto.acm.models"
    ATTRS = ("Id",)

    def __init__(self, arn: str, account_id: str, region_name: str) -> None:
        self.arn = arn
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CertificateManager::Certificate"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "CfnCertificate":
        props = cloudformation_json.get("Properties", {})
        backend = acm_backends[account_id][region_name]
        arn = backend.request_certificate(
            domain_name=props["DomainName"],
            idempotency_token=None,
            subject_alt_names=props.get("SubjectAlternativeNames") or [],
            tags=props.get("Tags", []),
        )
        cert = backend.get_certificate(arn)
        zones = {o["DomainName"]: o["HostedZoneId"] for o in props.get("DomainValidationOptions", []) if "HostedZoneId" in o}
        for record in _validation_records(cert):
            zone_id = zones.get(record["DomainName"])
            if zone_id:
                _zones(account_id, region_name).get_hosted_zone(zone_id).upsert_rrset(
                    {"Name": record["Name"], "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": record["Value"]}]}
                )
        cert.check()
        return cls(arn, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: "CfnCertificate", new_resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> "CfnCertificate":
        # Every property but tags replaces the certificate: a new one, the listeners moved
        # to it, then the old one goes.
        new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        for lb in elbv2_backends[account_id][region_name].load_balancers.values():
            for listener in lb.listeners.values():
                listener.certificates = [new.arn if c == original_resource.arn else c for c in listener.certificates]
                if listener.certificate == original_resource.arn:
                    listener.certificate = new.arn
        original_resource.delete(account_id, region_name)
        return new

    def delete(self, account_id: str, region_name: str) -> None:
        backend = acm_backends[self.account_id][self.region_name]
        if self.arn in backend._certificates:
            backend.delete_certificate(self.arn)

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.arn
        raise NotImplementedError(f"{attribute_name} of a certificate")


class CfnWebAcl(_StackResource, CloudFormationModel):
    """AWS::WAFv2::WebACL, backed by moto's WAFv2 backend."""

    __module__ = "moto.wafv2.models"
    ATTRS = ("Arn", "Id")

    def __init__(self, acl: Any, account_id: str, region_name: str) -> None:
        self.acl = acl
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::WebACL"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "CfnWebAcl":
        props = cloudformation_json.get("Properties", {})
        acl = wafv2_backends[account_id][region_name].create_web_acl(
            name=props.get("Name", resource_name),
            visibility_config=props["VisibilityConfig"],
            default_action=props["DefaultAction"],
            scope=props["Scope"],
            description=props.get("Description"),
            tags=props.get("Tags", []),
            rules=props.get("Rules", []),
            association_config=None,
            captcha_config=None,
            challenge_config=None,
            custom_response_bodies=None,
            token_domains=None,
        )
        return cls(acl, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: "CfnWebAcl", new_resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> "CfnWebAcl":
        props = cloudformation_json.get("Properties", {})
        acl = original_resource.acl
        acl.update(
            default_action=props["DefaultAction"],
            rules=props.get("Rules", []),
            description=props.get("Description"),
            visibility_config=props["VisibilityConfig"],
            association_config=None,
            captcha_config=None,
            challenge_config=None,
            custom_response_bodies=None,
            token_domains=None,
        )
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        wafv2_backends[self.account_id][self.region_name].wacls.pop(self.acl.arn, None)

    @property
    def physical_resource_id(self) -> str:
        return f"{self.acl.name}|{self.acl.id}|REGIONAL"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return {"Arn": self.acl.arn, "Id": self.acl.id}[attribute_name]


class CfnWebAclAssociation(_StackResource, CloudFormationModel):
    """AWS::WAFv2::WebACLAssociation, backed by moto's WAFv2 backend."""

    __module__ = "moto.wafv2.models"

    def __init__(self, web_acl_arn: str, resource_arn: str, account_id: str, region_name: str) -> None:
        self.web_acl_arn = web_acl_arn
        self.resource_arn = resource_arn
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::WebACLAssociation"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "CfnWebAclAssociation":
        props = cloudformation_json.get("Properties", {})
        backend = wafv2_backends[account_id][region_name]
        backend.disassociate_web_acl(props["ResourceArn"])
        backend.associate_web_acl(props["WebACLArn"], props["ResourceArn"])
        return cls(props["WebACLArn"], props["ResourceArn"], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: "CfnWebAclAssociation", new_resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> "CfnWebAclAssociation":
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        wafv2_backends[self.account_id][self.region_name].disassociate_web_acl(self.resource_arn)

    @property
    def physical_resource_id(self) -> str:
        return f"{self.web_acl_arn}|{self.resource_arn}"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        raise NotImplementedError(attribute_name)


def install() -> None:
    # Importing the classes above registered them with moto's CloudFormation (subclasses of its model).
    CertBundle.check = _check
