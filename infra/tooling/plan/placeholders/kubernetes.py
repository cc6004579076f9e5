"""Placeholders for pulumi_kubernetes: what the provider reports after applying, and the
outputs it marks secret (a Secret's data, whatever its inputs looked like)."""

from __future__ import annotations

from collections.abc import Callable

from infra.tooling.plan.placeholders.base import Outputs, token


def _release(name: str, inputs: Outputs) -> Outputs:
    return {
        "status": {
            "name": inputs.get("name", name),
            "namespace": inputs.get("namespace", "default"),
            "chart": str(inputs.get("chart", "")).rsplit("/", 1)[-1],
            "version": inputs.get("version", ""),
            "status": "deployed",
            "revision": 1,
        }
    }


def _with_uid(name: str, inputs: Outputs) -> Outputs:
    metadata = dict(inputs.get("metadata") or {})
    metadata.setdefault("uid", f"placeholder-{token(name, 8)}-{token(name + '-uid', 4)}")
    return {"metadata": metadata}


COMPUTED: dict[str, Callable[[str, Outputs], Outputs]] = {
    "kubernetes:helm.sh/v3:Release": _release,
    "kubernetes:batch/v1:Job": _with_uid,
    "kubernetes:apps/v1:Deployment": _with_uid,
}

SECRET_OUTPUTS: dict[str, frozenset[str]] = {
    "kubernetes:core/v1:Secret": frozenset({"data", "stringData"}),
}
