"""Plain-data views of values the program hands to the engine."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

SECRET_MASK = "[secret]"


@dataclass(frozen=True)
class Secret:
    """A value the program (or a provider) marked secret; it prints as [secret]."""

    value: Any

    def __repr__(self) -> str:
        return SECRET_MASK


def masked(value: Any) -> Any:
    """`value` with every Secret replaced by the mask, ready to print or serialise."""
    if isinstance(value, Secret):
        return SECRET_MASK
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(v) for v in value]
    return value


def fingerprinted(value: Any, key: bytes) -> Any:
    """`value` with every Secret replaced by `[secret:<keyed hash>]` (HMAC-SHA256 under `key`).

    Two plans fingerprinted with the same key show whether a secret changed without showing it;
    the key lives only in the process that compares them, so the hash cannot be tested offline.
    """
    if isinstance(value, Secret):
        canonical = json.dumps(unwrapped(value.value), sort_keys=True, default=str).encode()
        return f"{SECRET_MASK[:-1]}:{hmac.new(key, canonical, hashlib.sha256).hexdigest()[:16]}]"
    if isinstance(value, dict):
        return {k: fingerprinted(v, key) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [fingerprinted(v, key) for v in value]
    return value


def unwrapped(value: Any) -> Any:
    """`value` with every Secret replaced by what it holds (tests and policy rules read through)."""
    if isinstance(value, Secret):
        return unwrapped(value.value)
    if isinstance(value, dict):
        return {k: unwrapped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [unwrapped(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_secret(v) for v in value)
    return False
