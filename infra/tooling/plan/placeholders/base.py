"""Helpers shared by the per-provider placeholder tables."""

from __future__ import annotations

import hashlib
from typing import Any

Outputs = dict[str, Any]


def token(name: str, length: int = 16) -> str:
    """A stable pseudo-random string derived from the resource name."""
    return hashlib.sha256(name.encode()).hexdigest()[:length]
