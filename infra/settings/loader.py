"""Turn raw Pulumi config (strings keyed `ai-service:<key>`) into validated Settings.

The same function serves `pulumi up` (config from the engine) and the offline plan (config
from the stack file through `set_all_config`). The engine applies Pulumi.yaml defaults but the
SDK's mocks do not, so defaults live in the model and a test keeps Pulumi.yaml in sync.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from infra.settings.checks import target_problems
from infra.settings.model import Settings
from infra.settings.secrets import plain_secrets

NAMESPACE = "ai-service"


class ConfigError(Exception):
    """One or more config problems, each a single line naming `ai-service:<key>`."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _key_path(loc: tuple[str | int, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return f"{NAMESPACE}:{path}"


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    """The aliases valid at the parent of `loc`, for did-you-mean hints."""
    model: Any = Settings  # walks into nested models by annotation
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = next((f for f in model.model_fields.values() if f.alias == part), None)
        annotation = getattr(field, "annotation", None)
        inner = getattr(annotation, "__args__", (annotation,))[0] if annotation is not None else None
        model = (
            inner
            if isinstance(inner, type) and hasattr(inner, "model_fields")
            else (annotation if isinstance(annotation, type) and hasattr(annotation, "model_fields") else None)
        )
        if model is None:
            return []
    return [f.alias for f in model.model_fields.values() if f.alias]


def _describe(error: ErrorDetails) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        hint = difflib.get_close_matches(str(loc[-1]), _known_keys(loc), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"{_key_path(loc)}: unknown key{suggestion}"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] in {"literal_error", "enum"}:
        message = f"got {error.get('input')!r}; {message[:1].lower()}{message[1:]}"
    return f"{_key_path(loc)}: {message}"


def _decode(raw: str) -> object:
    """Config values arrive as strings; arrays and objects as JSON text."""
    stripped = raw.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON/YAML structure ({exc.msg})") from None
    return raw


def load_settings(raw_config: Mapping[str, str], secret_keys: Collection[str] = ()) -> Settings:
    """Validate `ai-service:*` entries of `raw_config`; other namespaces belong to providers.

    `secret_keys` are the config keys the engine (or the stack file's `secure:` values) marks
    secret; a secret setting outside them is refused.
    """
    values: dict[str, object] = {}
    problems: list[str] = []
    for full_key, raw in sorted(raw_config.items()):
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        try:
            values[key] = _decode(raw)
        except ValueError as exc:
            problems.append(f"{full_key}: {exc}")
    if problems:
        raise ConfigError(problems)
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError([_describe(e) for e in exc.errors()]) from None
    found = plain_secrets(settings, set(secret_keys), NAMESPACE) + target_problems(settings)
    cross = [f"{NAMESPACE}:{key}: {message}" for key, message in found]
    if cross:
        raise ConfigError(cross)
    return settings


def settings_from_pulumi_config() -> Settings:
    """Settings of the running Pulumi program (real engine or mocks)."""
    from pulumi.runtime.config import CONFIG, get_config_env, get_config_secret_keys_env, is_config_secret

    # The engine may pass config in the environment (PULUMI_CONFIG) or set it explicitly.
    raw = {**get_config_env(), **CONFIG.get()}
    secret_keys = set(get_config_secret_keys_env()) | {key for key in raw if is_config_secret(key)}
    return load_settings(raw, secret_keys)
