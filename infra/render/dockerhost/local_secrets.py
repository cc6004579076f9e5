"""Secret files for running the rendered local compose.yaml without Pulumi.

    python -m infra plan local --render local-compose
    python -m infra.render.dockerhost.local_secrets local-compose      # writes local-compose/secrets/* (mode 0600)
    ANTHROPIC_API_KEY=… python -m infra.render.dockerhost.local_secrets local-compose --secret-env ANTHROPIC_API_KEY

`--secret-env NAME` (repeatable): your app's own `secretEnv`, copied from this shell's environment into
secrets/app.env next to the service's other secrets (the stack file holds them encrypted only).

Fresh random values for every env file and secret file the local containers read — the same
values `pulumi up -s local` generates with pulumi_random. It refuses to overwrite: Postgres and
Redis keep the first password in their volumes, so regenerating needs `docker compose down -v`.

Modes: secrets/ is 0700 (only you); env files 0600 (compose reads them as you); files bind-mounted
into containers 0644, because the images' own non-root users (Grafana's uid 472, …) read them
and a bind mount of a single file does not pass through the 0700 directory.
"""

from __future__ import annotations

import argparse
import os
import secrets
import string
import sys
from pathlib import Path

from infra.render.dockerhost.compose import render_env_file
from infra.render.dockerhost.topology_local import ENV_FILES, S3_CONFIG_FILE, s3_identities, secret_env
from infra.render.observability.render import render_secret_files

ALPHABET = string.ascii_letters + string.digits  # URL- and env-file-safe


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def generate(app_secret_env: dict[str, str] | None = None) -> dict[str, str]:
    """relative path -> file text (secret). `app_secret_env`: the app's own secretEnv values."""
    redis_password = _random(32)
    access_key, secret_key = _random(20), _random(40)
    env_files = secret_env(
        postgres_password=_random(32),
        app_database_password=_random(32),
        redis_password=redis_password,
        secret_key=_random(48),
        api_keys=f"default:{_random(40)}",
        s3_access_key=access_key,
        s3_secret_key=secret_key,
        app_secret_env=app_secret_env,
    )
    files = {path: render_env_file(values) for path, values in env_files.items()}
    files[S3_CONFIG_FILE] = s3_identities(access_key, secret_key)
    files |= render_secret_files(grafana_admin_password=_random(24))
    return files


def write(root: Path, app_secret_env: dict[str, str] | None = None) -> list[Path]:
    files = generate(app_secret_env)
    existing = sorted(p for p in files if (root / p).exists())
    if existing:
        raise FileExistsError(
            f"{root / existing[0]} exists; remove {root / 'secrets'} (and `docker compose down -v`) to regenerate"
        )
    written = []
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        path.touch(mode=0o600)
        path.write_text(text)
        path.chmod(0o600 if relative in ENV_FILES else 0o644)
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.render.dockerhost.local_secrets")
    parser.add_argument("dir", type=Path, help="the directory holding the rendered compose.yaml")
    parser.add_argument(
        "--secret-env",
        action="append",
        default=[],
        metavar="NAME",
        help="an ai-service:secretEnv name of your app; its value is read from this environment",
    )
    args = parser.parse_args(argv)
    missing = [name for name in args.secret_env if name not in os.environ]
    if missing:
        print(f"error: --secret-env {', '.join(missing)}: not set in this environment", file=sys.stderr)
        return 2
    try:
        written = write(args.dir, {name: os.environ[name] for name in args.secret_env})
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} secret files under {args.dir / 'secrets'}; API key: API_KEYS in secrets/app.env")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
