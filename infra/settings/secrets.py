"""Secret config values: opaque offline, and never accepted in plain text.

A stack file's `secure:` value is ciphertext for the stack's secrets provider. Offline we know
it is present but not what it says, so it becomes an opaque marker: validators that would
inspect the value accept it, and everything downstream still treats it as a secret.
A secret key (a `SecretStr` field of the settings model) holding a plain value is refused with
the `pulumi config set --secret` command that fixes it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import cast
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, JsonValue, SecretStr
from pydantic.fields import FieldInfo

# Env names that hold secrets: refused in plain env by config checks and by the policy floor.
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEYS?|PRIVATE_KEY|DATABASE_URL|REDIS_URL|WEBHOOK)", re.I)
OPAQUE_PREFIX = "opaque-secret:"


def opaque(key: str) -> str:
    """The stand-in value for the encrypted config value at `key`."""
    return f"{OPAQUE_PREFIX}{key}"


def is_opaque(value: SecretStr | str) -> bool:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return text.startswith(OPAQUE_PREFIX)


# Field metadata: a URL that is a secret only when it carries a password (`redis://cache:6379/0`
# has none and may stay plain; `postgresql://app:pw@db/app` must be `secure:`).
SECRET_WHEN_PASSWORD: dict[str, JsonValue] = {"secretWhen": "password"}


def has_password(url: str) -> bool:
    """True when a connection URL carries a password (in its userinfo or as `password=`)."""
    parts = urlsplit(url)
    try:
        password = parts.password
    except ValueError:  # a malformed port: let the URL validators name the problem
        password = None
    return bool(password) or any(k.lower() == "password" for k, _ in parse_qsl(parts.query))


def _fix_command(namespace: str, path: str) -> str:
    flag = "--path " if "." in path or "[" in path else ""
    key = f"{namespace}:{path}"
    return f"pulumi config set --secret {flag}{repr(key) if '[' in key else key} '<value>'"


def _walk(model: BaseModel, prefix: str) -> Iterator[tuple[str, SecretStr, FieldInfo]]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}.{field.alias or name}" if prefix else (field.alias or name)
        if isinstance(value, SecretStr):
            yield path, value, field
        elif isinstance(value, BaseModel):
            yield from _walk(value, path)
        elif isinstance(value, tuple):
            items: tuple[object, ...] = cast(tuple[object, ...], value)
            for i, item in enumerate(items):
                if isinstance(item, BaseModel):
                    yield from _walk(item, f"{path}[{i}]")
        elif isinstance(value, dict):
            entries: dict[str, object] = cast(dict[str, object], value)
            for key, item in entries.items():
                if isinstance(item, SecretStr):
                    yield f"{path}.{key}", item, field


def _top_key(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def plain_secrets(settings: BaseModel, secret_keys: Collection[str], namespace: str) -> list[tuple[str, str]]:
    """(config path, problem) for every secret value written in plain text.

    Pulumi marks config secret per top-level key (`pulumi config set --secret --path database.url`
    makes `ai-service:database` secret, and a Pulumi ESC environment's `fn::secret` values arrive
    the same way); offline, a `secure:` leaf is also an opaque marker. Either is accepted.
    """
    problems: list[tuple[str, str]] = []
    for path, value, field in _walk(settings, ""):
        text = value.get_secret_value()
        if not text or is_opaque(text) or f"{namespace}:{_top_key(path)}" in secret_keys:
            continue
        if (field.json_schema_extra or {}) == SECRET_WHEN_PASSWORD and not has_password(text):
            continue
        problems.append(
            (
                path,
                "secret in plain text (it would be committed to git with the stack file); "
                f"encrypt it: {_fix_command(namespace, path)}",
            )
        )
    return problems
