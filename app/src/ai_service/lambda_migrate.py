"""AWS Lambda entry for migrations: `ai_service.lambda_migrate.handler`.

A separate function built from the same image (its ImageConfig command is this handler); the
deployment invokes it once per release, before the API function takes traffic. It reads the
same environment as the API function — the secret named by SECRETS_ARN included — and runs
exactly what `ai-service migrate` runs, with MIGRATE_DATABASE_URL when the secret has one.
It needs no API_KEYS: it serves no requests.
"""

from __future__ import annotations

import argparse

from .cli import cmd_migrate
from .logs import configure_logging
from .secret_env import load_secret_env
from .settings import get_settings

load_secret_env()  # cold start: before any setting is read


def handler(event, context):
    settings = get_settings()
    configure_logging(settings.log_level)
    cmd_migrate(settings, argparse.Namespace())  # raises ConfigError (one line) when the migration fails
    return {"status": "migrated"}
