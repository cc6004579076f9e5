"""healthcheck.sh (timer, every 5 minutes): API readiness through nginx, Redis, queue depth."""

from __future__ import annotations

from tests.droplet.hostsim import IMAGES, cli, compose_up_redis, run_script


def _deploy(host) -> None:
    host.publish(IMAGES["a"])
    result = host.agent()
    assert result.returncode == 0, result.stderr


def test_healthy_host_passes_and_each_failure_is_named(redis_host):
    host = redis_host
    compose_up_redis(host)
    _deploy(host)

    assert run_script(host, "healthcheck.sh").returncode == 0

    cli(host, "rpush", "rq:queue:document_processing", *[f"job-{i}" for i in range(12)])
    backlog = run_script(host, "healthcheck.sh", QUEUE_MAX="10")
    assert backlog.returncode == 1 and "queue document_processing holds 12 jobs" in backlog.stderr

    edge_down = run_script(host, "healthcheck.sh", FAKE_EDGE_DOWN="1")
    assert edge_down.returncode == 1 and "edge check" in edge_down.stderr

    cli(host, "shutdown", "nosave")
    redis_down = run_script(host, "healthcheck.sh")
    assert redis_down.returncode == 1 and "redis does not answer PING" in redis_down.stderr
