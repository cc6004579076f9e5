"""The mock monitor behind the offline plan.

The SDK's MockMonitor hands `Mocks.new_resource` only the type, name and deserialised inputs.
A plan also needs the parent, explicit dependencies, `protect`, and which inputs are secret,
so RecordingMonitor reads them from the raw registration request first.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

from infra.tooling.plan import placeholders
from infra.tooling.resources import PlannedResource
from infra.tooling.values import Secret


def _decode(value: Any) -> Any:
    """Decode the engine's wire encoding, keeping secrets visible as Secret."""
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return Secret(_decode(value.get("value")))
        if sig == rpc._special_output_value_sig:
            inner = _decode(value.get("value"))
            return Secret(inner) if value.get("secret") else inner
        if sig == rpc._special_resource_sig:
            return value.get("urn")
        if sig in (rpc._special_asset_sig, rpc._special_archive_sig):
            return {k: v for k, v in value.items() if k != rpc._special_sig_key}
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if value == rpc.UNKNOWN:
        return "<unknown>"
    return value


def placeholder_id(name: str) -> str:
    """The id the offline plan gives a resource: what other resources' inputs hold when they reference it."""
    return f"{name}-placeholder-id"


def _secret(value: Any) -> dict:
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


class PlanMocks(Mocks):
    """Outputs = inputs + deterministic placeholders; provider-secret outputs stay secret."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        computed = placeholders.COMPUTED.get(args.typ)
        state = dict(args.inputs)
        if computed is not None:
            state.update(computed(args.name, args.inputs))
        for key in placeholders.SECRET_OUTPUTS.get(args.typ, ()):
            if key in state:
                state[key] = _secret(state[key])
        return placeholder_id(args.name), state

    def call(self, args: MockCallArgs) -> tuple[dict, list]:
        invoke = placeholders.INVOKES.get(args.token)
        if invoke is None:
            raise NotImplementedError(
                f"the offline plan has no placeholder for invoke {args.token}; add one in "
                "infra/tooling/plan/placeholders"
            )
        return invoke(args.args), []  # no check failures (None crashes the SDK mock monitor)


class RecordingMonitor(MockMonitor):
    """A MockMonitor that keeps every registration as a PlannedResource."""

    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.planned: list[PlannedResource] = []

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        raw_inputs = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
        raw_outputs = json_format.MessageToDict(response.object, preserving_proto_field_name=True)
        self.planned.append(
            PlannedResource(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                custom=bool(request.custom),
                protect=bool(request.protect),
                inputs=_decode(raw_inputs),
                dependencies=list(request.dependencies),
                outputs=_decode(raw_outputs),
                id=response.id,
            )
        )
        return response
