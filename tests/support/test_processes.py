"""tests/support/processes.py refuses to signal a pid that no longer names the process it was kept for.

A real PID reuse needs the pid counter to wrap (32768 forks): it is simulated by pointing a record, a
reaped Popen or an nginx pid file at a live process this test started for the purpose, which must
survive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.services import free_port, wait_until
from tests.support.processes import ProcessRecord, nginx_master, signal_child_group, start_time
from tests.support.tools import require_tool

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen]:
    """An unrelated live process that leads its own group: what a reused pid would name."""
    process = subprocess.Popen(SLEEPER, start_new_session=True)
    yield process
    process.kill()
    process.wait()


def _survives(process: subprocess.Popen) -> bool:
    time.sleep(0.2)  # a signal sent would have landed (SIGKILL cannot be caught)
    return process.poll() is None


def test_a_record_signals_its_own_process_and_its_group():
    process = subprocess.Popen(SLEEPER, start_new_session=True)
    record = ProcessRecord.of(process.pid)
    assert ProcessRecord.from_json(record.to_json()) == record
    assert record.alive() and record.is_ours()
    assert record.signal_group(signal.SIGTERM)
    assert process.wait(timeout=10) == -signal.SIGTERM
    assert not record.alive() and not record.is_ours()  # reaped: the pid names nothing, or someone else
    assert not record.signal(signal.SIGKILL) and not record.signal_group(signal.SIGKILL)


def test_a_record_refuses_a_pid_reused_by_another_process():
    gone = subprocess.Popen(SLEEPER, start_new_session=True)
    kept = ProcessRecord.of(gone.pid)
    gone.kill()
    gone.wait()
    time.sleep(3 / os.sysconf("SC_CLK_TCK"))  # a reuse comes after a wrap: ticks later
    bystander = subprocess.Popen(SLEEPER, start_new_session=True)
    try:
        # The bystander got the dead process's pid: the record holds that pid and the dead one's start time.
        reused = ProcessRecord(bystander.pid, kept.start_time)
        assert start_time(bystander.pid) != kept.start_time
        assert not reused.is_ours() and not reused.alive()
        assert not reused.signal(signal.SIGKILL)
        assert not reused.signal_group(signal.SIGKILL)
        assert _survives(bystander)
    finally:
        bystander.kill()
        bystander.wait()


def test_a_record_without_a_start_time_proves_nothing():
    assert ProcessRecord.from_json({"pid": 12345}) is None  # state written before start times were kept
    assert ProcessRecord.from_json({}) is None


def test_a_record_signals_a_group_only_when_the_process_leads_it(bystander):
    child = subprocess.Popen(SLEEPER)  # in pytest's own group: signalling "its group" would hit pytest
    try:
        assert not ProcessRecord.of(child.pid).signal_group(signal.SIGKILL)
        assert _survives(child)
    finally:
        child.kill()
        child.wait()


def test_a_reaped_child_is_not_signalled_even_when_its_pid_is_reused(bystander):
    child = subprocess.Popen(SLEEPER, start_new_session=True)
    assert signal_child_group(child, signal.SIGTERM)
    assert child.wait(timeout=10) == -signal.SIGTERM
    child.pid = bystander.pid  # what the reaped child's pid names after a wrap
    assert not signal_child_group(child, signal.SIGKILL)
    assert _survives(bystander)


def test_a_stale_nginx_pid_file_is_not_believed(bystander, tmp_path):
    pid_file, conf = tmp_path / "nginx.pid", tmp_path / "nginx.conf"
    assert nginx_master(pid_file, conf) is None  # no pid file
    pid_file.write_text(f"{bystander.pid}\n")  # the master died uncleanly; its pid now names someone else
    assert nginx_master(pid_file, conf) is None
    # Even a process that looks like an nginx master is refused unless it runs this conf.
    other = subprocess.Popen(
        ["bash", "-c", f'exec -a "nginx: master process /usr/sbin/nginx -c {tmp_path}/other.conf" sleep 120'],
        start_new_session=True,
    )
    try:
        cmdline = Path(f"/proc/{other.pid}/cmdline")
        # Before the exec, bash's own command line holds the same words: wait for the exec'd argv[0].
        wait_until(lambda: cmdline.read_bytes().startswith(b"nginx: master process"), timeout=10, what="bash to exec")
        pid_file.write_text(f"{other.pid}\n")
        assert nginx_master(pid_file, conf) is None
        assert nginx_master(pid_file, tmp_path / "other.conf") is not None
    finally:
        other.kill()
        other.wait()


@pytest.mark.system
def test_a_live_nginx_master_is_found_and_stopped(tmp_path):
    nginx = require_tool("nginx", "apt-get install -y nginx")
    pid_file, conf = tmp_path / "nginx.pid", tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {pid_file};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ access_log off; server {{ listen 127.0.0.1:{free_port()}; }} }}\n"
    )
    subprocess.run([nginx, "-p", str(tmp_path), "-c", str(conf)], check=True, capture_output=True, timeout=30)
    wait_until(lambda: nginx_master(pid_file, conf) is not None, timeout=10, what="the nginx master's pid file")
    master = nginx_master(pid_file, conf)
    assert master is not None and master.alive()
    assert master.signal(signal.SIGQUIT)  # what `nginx -s quit` sends
    wait_until(lambda: not master.alive(), timeout=10, what="nginx to quit")
    assert nginx_master(pid_file, conf) is None
