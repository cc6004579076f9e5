"""Secret config values the offline plan cannot decrypt.

A stack file's `secure:` value is ciphertext for the stack's secrets provider. Offline we know
it is present but not what it says, so it becomes an opaque marker: validators that would
inspect the value accept it, and everything downstream still treats it as a secret.
"""

from __future__ import annotations

import re

from pydantic import SecretStr

# Env names that hold secrets: refused in plain env by config checks and by the policy floor.
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEYS?|PRIVATE_KEY|DATABASE_URL|REDIS_URL|WEBHOOK)", re.I)
OPAQUE_PREFIX = "opaque-secret:"


def opaque(key: str) -> str:
    """The stand-in value for the encrypted config value at `key`."""
    return f"{OPAQUE_PREFIX}{key}"


def is_opaque(value: SecretStr | str) -> bool:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return text.startswith(OPAQUE_PREFIX)
