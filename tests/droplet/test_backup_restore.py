"""Redis and accessory-volume backup and restore, as the droplet runs them (backup.sh, restore-redis.sh,
restore-accessory.sh), against a real redis-server standing in for the redis container and directories
standing in for the accessories' named volumes (fake `docker`, see fake_docker.sh; the bucket is a directory).

The restore is the part that needs proof: Redis with `appendonly yes` ignores dump.rdb when no
AOF exists, so a naive "copy the RDB back and start" silently starts empty.
"""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import pytest

from tests.droplet.hostsim import cli as _cli
from tests.droplet.hostsim import compose_up_redis as _compose_up_redis
from tests.droplet.hostsim import run_script as _script


def test_backup_then_restore_brings_the_data_back_and_keeps_it_after_a_restart(redis_host):
    host = redis_host
    _compose_up_redis(host)
    _cli(host, "rpush", "rq:queue:document_processing", "job-1", "job-2")
    _cli(host, "set", "document:42", "indexed")

    backup = _script(host, "backup.sh")
    assert backup.returncode == 0, backup.stderr
    (snapshot,) = (host.s3 / "backups/redis").glob("*.rdb")

    _cli(host, "flushall")
    _cli(host, "set", "written-after-backup", "1")

    restore = _script(host, "restore-redis.sh", snapshot.stem)
    assert restore.returncode == 0, restore.stderr
    assert "snapshot loaded: 2 keys" in restore.stderr
    assert _cli(host, "get", "document:42") == "indexed"
    assert _cli(host, "lrange", "rq:queue:document_processing", "0", "-1").split() == ["job-1", "job-2"]
    assert _cli(host, "exists", "written-after-backup") == "0"

    # The restored data is in the new AOF: a normal restart (appendonly yes) still has it.
    _cli(host, "shutdown", "nosave")
    _compose_up_redis(host)
    assert _cli(host, "get", "document:42") == "indexed"


def _release_env(host, text: str) -> None:
    release = host.releases / "v1"
    release.mkdir(parents=True)
    (release / "release.env").write_text(text)
    (host.releases / "current").symlink_to(release)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def accessory_host(redis_host, tmp_path):
    """The droplet with a `gateway` accessory whose `sessions` volume is a directory, and no Redis container."""
    host = redis_host
    volumes = tmp_path / "volumes"
    sessions = volumes / "ai-service_gateway-sessions"
    (sessions / "instances/acme").mkdir(parents=True)
    (sessions / "instances/acme/creds.json").write_text('{"session": "paired"}')
    (sessions / "store.db").write_bytes(bytes(range(256)) * 64)
    host.env["FAKE_VOLUMES"] = str(volumes)
    _release_env(host, "VERSION='v1'\nREDIS_SERVICE=''\nACCESSORY_VOLUMES='gateway/sessions'\n")
    return host, sessions


def test_accessory_volume_backup_then_restore_brings_its_files_back(accessory_host):
    host, sessions = accessory_host
    before = _tree(sessions)

    backup = _script(host, "backup.sh")
    assert backup.returncode == 0, backup.stderr
    (archive,) = (host.s3 / "backups/accessories/gateway/sessions").glob("*.tar.gz")
    assert re.fullmatch(r"\d{8}T\d{6}Z", archive.name.removesuffix(".tar.gz"))
    with tarfile.open(archive) as tar:
        assert {m.name for m in tar.getmembers() if m.isfile()} == {"./instances/acme/creds.json", "./store.db"}
    calls = host.calls()
    # Paused while tar reads it (a consistent copy), running again afterwards.
    assert calls.index("pause gateway") < calls.index("unpause gateway")

    (sessions / "store.db").write_bytes(b"corrupted")
    (sessions / "instances/acme/creds.json").unlink()
    (sessions / "written-after-backup").write_text("x")

    restore = _script(host, "restore-accessory.sh", "gateway", "sessions", archive.name.removesuffix(".tar.gz"))
    assert restore.returncode == 0, restore.stderr
    assert _tree(sessions) == before  # the archive's files exactly: later ones are gone
    calls = host.calls()
    stop = next(i for i, c in enumerate(calls) if c.endswith("stop gateway"))
    start = next(i for i, c in enumerate(calls) if c.endswith("up -d --no-deps gateway"))
    assert stop < start


def test_restore_refuses_what_is_not_there_before_stopping_anything(accessory_host):
    host, sessions = accessory_host
    before = _tree(sessions)
    unknown = _script(host, "restore-accessory.sh", "gateway", "media", "20260101T000000Z")
    assert unknown.returncode != 0 and "not an accessory volume" in unknown.stderr
    missing = _script(host, "restore-accessory.sh", "gateway", "sessions", "20260101T000000Z")
    assert missing.returncode != 0
    assert not any(c.endswith("stop gateway") for c in host.calls())
    assert _tree(sessions) == before


def test_redis_and_accessory_volumes_are_backed_up_in_the_same_run(redis_host, tmp_path):
    host = redis_host
    _compose_up_redis(host)
    _cli(host, "set", "document:1", "indexed")
    (tmp_path / "volumes/ai-service_helpdesk-data").mkdir(parents=True)
    (tmp_path / "volumes/ai-service_helpdesk-data/tickets.json").write_text("[]")
    host.env["FAKE_VOLUMES"] = str(tmp_path / "volumes")
    _release_env(host, "VERSION='v1'\nREDIS_SERVICE='redis'\nACCESSORY_VOLUMES='helpdesk/data'\n")
    backup = _script(host, "backup.sh")
    assert backup.returncode == 0, backup.stderr
    assert len(list((host.s3 / "backups/redis").glob("*.rdb"))) == 1
    assert len(list((host.s3 / "backups/accessories/helpdesk/data").glob("*.tar.gz"))) == 1
