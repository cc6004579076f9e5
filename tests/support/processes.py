"""Signals only to processes that are provably still the ones a test started.

pid_max is 32768 on the CI machine and one run of the suite starts thousands of processes, so PIDs
wrap within a run: a pid kept from earlier (a state file, an nginx pid file, a Popen whose child was
already reaped) may name an unrelated process by the time it is signalled - another xdist worker's
server, or a process group of the CI runner. Every signal the tests send to a pid they did not just
get from a live child goes through here.

- `ProcessRecord`: a pid plus its start time (field 22 of /proc/<pid>/stat, clock ticks after boot),
  taken while the process is certainly ours (right after starting it). A reused pid belongs to a
  process started after the recorded one died and the pid counter wrapped, which takes far longer than
  the start time's resolution (one clock tick, 10 ms), so the pair names one process only; `signal` and
  `signal_group` check it first.
- `signal_child_group(popen, sig)`: a Popen child's process group, while the child is not reaped (its
  pid, and so its group id, cannot be reused before that).
- `nginx_master(pid_file, conf)`: the pid in an nginx pid file, only when it is a live nginx master
  running that configuration file (what `nginx -s reload|quit` would signal, checked first).

What remains is the window between the check and the signal (microseconds; a reuse needs the process
to die and the pid counter to wrap in between).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


def _stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (state first), or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()  # field 2 (comm) may hold spaces and parentheses


def start_time(pid: int) -> int | None:
    """When `pid` started (clock ticks after boot), or None when there is no such process."""
    fields = _stat(pid)
    return int(fields[22 - 3]) if fields else None


@dataclass(frozen=True)
class ProcessRecord:
    pid: int
    start_time: int

    @classmethod
    def of(cls, pid: int) -> ProcessRecord:
        """Record `pid` now: call it while the process is certainly ours (a child not yet reaped)."""
        started = start_time(pid)
        if started is None:
            raise ProcessLookupError(pid)
        return cls(pid, started)

    @classmethod
    def from_json(cls, data: dict) -> ProcessRecord | None:
        """From `to_json()`; None for a record without a start time (nothing can be proven about it)."""
        if not data.get("pid") or data.get("start_time") is None:
            return None
        return cls(int(data["pid"]), int(data["start_time"]))

    def to_json(self) -> dict[str, int]:
        return {"pid": self.pid, "start_time": self.start_time}

    def is_ours(self) -> bool:
        """The pid still names the recorded process (running, or exited and not yet reaped)."""
        return start_time(self.pid) == self.start_time

    def alive(self) -> bool:
        """The recorded process is still running (not a zombie)."""
        fields = _stat(self.pid)
        return fields is not None and int(fields[22 - 3]) == self.start_time and fields[0] not in ("Z", "X")

    def signal(self, sig: int) -> bool:
        """Send `sig` to the recorded process; False (nothing sent) when its pid names another one now."""
        if not self.is_ours():
            return False
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def signal_group(self, sig: int) -> bool:
        """Send `sig` to the process group the recorded process leads; False (nothing sent) when the
        pid names another process now, or the recorded one does not lead a group."""
        if not self.is_ours():
            return False
        try:
            if os.getpgid(self.pid) != self.pid:
                return False
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            return False
        return True


def signal_child_group(process: subprocess.Popen, sig: int) -> bool:
    """Send `sig` to the process group of a child started with `start_new_session=True`.

    Only while Popen has not reaped it: until then the child holds its pid, even as a zombie, and so
    the group id (its other members still get the signal). poll() is not called here, since reaping
    would free the pid. False (nothing sent) once reaped, or when the child leads no group."""
    if process.returncode is not None:
        return False
    try:
        if os.getpgid(process.pid) != process.pid:
            return False
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return False
    return True


def nginx_master(pid_file: Path, conf: Path) -> ProcessRecord | None:
    """The nginx master named by `pid_file`, when it is one running `conf`; else None.

    nginx leaves its pid file behind when its master dies without a clean exit, and `nginx -s
    reload|quit` signals whatever process has that pid now (SIGHUP, SIGQUIT): call this first. The
    master's command line is "nginx: master process <argv>", its argv holding `-c <conf>`; a test's
    conf path is its own (under tmp_path), so no other process carries it."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        record = ProcessRecord.of(pid)
        words = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    if words[:3] != ["nginx:", "master", "process"] or str(conf) not in words or not record.alive():
        return None
    return record
