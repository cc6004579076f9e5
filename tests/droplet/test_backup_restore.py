"""Redis backup and restore, as the droplet runs them (backup.sh, restore-redis.sh), against a
real redis-server standing in for the redis container (fake `docker`, see fake_docker.sh).

The restore is the part that needs proof: Redis with `appendonly yes` ignores dump.rdb when no
AOF exists, so a naive "copy the RDB back and start" silently starts empty.
"""

from __future__ import annotations

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
