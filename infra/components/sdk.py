"""Hand a renderer's plain data to a provider SDK argument.

Renderers return plain dicts and lists (they never import an SDK); the SDKs type nested
arguments as `XArgs | XArgsDict` TypedDicts, and accept plain dicts with the same keys at
runtime. `sdk_input` marks each such hand-over in one greppable way instead of naming every
TypedDict; what the dicts contain is checked by the renderers' tests against the platform's
own schema.
"""

from __future__ import annotations

from typing import Any


def sdk_input(value: Any) -> Any:
    """`value` unchanged, typed for an SDK argument that declares a TypedDict (or an enum for a string)."""
    return value
