"""A certificate added to a listener through CloudFormation, as AWS has it and moto (5.2.5)
does not: patch 45 of tests/emulator/server.py, checked by tests/emulator/test_preview_edge.py.

45. `AWS::ElasticLoadBalancingV2::ListenerCertificate` is no CloudFormation type in moto: it
    is skipped without a word, so the listener never serves the certificate. Here, as
    CloudFormation does, it adds its certificates to the listener's certificate list in
    moto's ELBv2 backend (AddListenerCertificates; DescribeListenerCertificates then names
    them), an update replaces them with the new ones, and deleting it removes them from
    the listener (RemoveListenerCertificates), leaving the listener's own certificate.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticloadbalancingv2-listenercertificate.html
"""

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.elbv2.models import elbv2_backends

from edge import _StackResource


class CfnListenerCertificate(_StackResource, CloudFormationModel):
    """AWS::ElasticLoadBalancingV2::ListenerCertificate, backed by moto's ELBv2 backend."""

    __module__ = "moto.elbv2.models"

    def __init__(self, listener_arn: str, certificates: list[dict], account_id: str, region_name: str) -> None:
        self.listener_arn = listener_arn
        self.certificates = certificates
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ElasticLoadBalancingV2::ListenerCertificate"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "CfnListenerCertificate":
        props = cloudformation_json.get("Properties", {})
        certificates = [{"CertificateArn": c["CertificateArn"]} for c in props.get("Certificates", [])]
        elbv2_backends[account_id][region_name].add_listener_certificates(props["ListenerArn"], certificates)
        return cls(props["ListenerArn"], certificates, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls,
        original_resource: "CfnListenerCertificate",
        new_resource_name: str,
        cloudformation_json: dict,
        account_id: str,
        region_name: str,
    ) -> "CfnListenerCertificate":
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = elbv2_backends[self.account_id][self.region_name]
        listeners = (listener.arn for lb in backend.load_balancers.values() for listener in lb.listeners.values())
        if self.listener_arn in listeners:
            backend.remove_listener_certificates(self.listener_arn, self.certificates)

    @property
    def physical_resource_id(self) -> str:
        return f"{self.listener_arn}|" + ",".join(c["CertificateArn"] for c in self.certificates)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        raise NotImplementedError(attribute_name)


def install() -> None:
    # Importing the class above registered it with moto's CloudFormation (a subclass of its model).
    return None
