"""Readers over planned AWS resources shared by the tests in this package."""

from __future__ import annotations

import json

import boto3
import botocore.session
from botocore.validate import ParamValidator

from infra.tooling.values import unwrapped

MODEL = botocore.session.get_session()


def props(resource) -> dict:
    return unwrapped(resource.inputs)


def containers(result, family_suffix: str) -> dict[str, dict]:
    """Container definitions of the task definition `<stack>-<family_suffix>`, by container name."""
    task = result.one("TaskDefinition", f"{result.stack}-{family_suffix}")
    return {c["name"]: c for c in json.loads(props(task)["containerDefinitions"])}


def statements(result, role_policy: str) -> list[dict]:
    document = json.loads(props(result.one("RolePolicy", role_policy))["policy"])
    return document["Statement"]


def sg_id(name: str) -> str:
    """The id a security group named `name` has under the plan's mocks."""
    return f"{name}-placeholder-id"


def validate_request(service: str, operation: str, params: dict) -> None:
    """`params` is a valid `operation` request by botocore's AWS API model."""
    shape = MODEL.get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()


def moto_client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
