"""Environment from a Secrets Manager secret, for platforms that cannot inject secrets as env (AWS Lambda).

The function's environment names the secret (`SECRETS_ARN`); the secret is a JSON object whose
keys are the service's env var names (`DATABASE_URL`, `API_KEYS`, ...). `load_secret_env()` runs
once per process (a Lambda sandbox), before settings are read, and puts those keys into
`os.environ`; later calls are free. Without `SECRETS_ARN` it does nothing, so every other target
(which injects secrets as env itself) is unaffected.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping

from .settings import ConfigError

SECRETS_ARN = "SECRETS_ARN"
_loaded: dict[str, list[str]] = {}  # secret id -> names applied; one fetch per sandbox


def _region(secret_id: str) -> str | None:
    """The secret's own region (arn:aws:secretsmanager:REGION:...); Lambda also sets AWS_REGION."""
    parts = secret_id.split(":")
    if len(parts) > 3 and parts[0] == "arn" and parts[3]:
        return parts[3]
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def fetch_secret_env(secret_id: str) -> dict[str, str]:
    """The secret's JSON object as env names -> values; one-line ConfigError for anything else."""
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    client = boto3.client(
        "secretsmanager",
        region_name=_region(secret_id),
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}),
    )
    try:
        text = client.get_secret_value(SecretId=secret_id).get("SecretString")
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise ConfigError(f"{SECRETS_ARN}: cannot read the secret: {exc}") from None
    try:
        values = json.loads(text or "")
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise ConfigError(f"{SECRETS_ARN}: the secret must be a JSON object of env var names to strings")
    bad = sorted(str(k) for k, v in values.items() if not isinstance(v, str) or not str(k).isidentifier())
    if bad:
        raise ConfigError(f"{SECRETS_ARN}: keys {', '.join(bad)} are not env var names with string values")
    return values


def load_secret_env(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Apply the secret named by SECRETS_ARN to the environment (once per process); returns the names set."""
    environ = os.environ if environ is None else environ
    secret_id = environ.get(SECRETS_ARN, "").strip()
    if not secret_id:
        return []
    if secret_id not in _loaded:
        values = fetch_secret_env(secret_id)
        environ.update(values)
        _loaded[secret_id] = sorted(values)
    return _loaded[secret_id]
