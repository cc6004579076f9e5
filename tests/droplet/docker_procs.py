"""A stand-in for `docker` whose API containers are real `ai-service api` processes and whose nginx
container is the real nginx with the rendered configuration, for the release-script tests.

What Docker does that the scripts rely on, done the same way here:
- `compose up -d --no-deps api-N` recreates the container: SIGTERM to the old process, SIGKILL after
  the service's stop_grace_period, then a new process with the service's command, `environment` and
  `env_file`s read from the live compose project at that moment, on a NEW address (each container
  gets its own IP from Docker; here each process binds its own 127.x.y.z via BIND_HOST, same port).
- `inspect` reports the container's address, and health as Docker's healthcheck would (the service's
  probe, GET /health on the container's address).
- `compose run --rm --no-deps migrate` runs the real `ai-service migrate` with that service's env.
- `compose exec -T nginx …` runs on the host with the nginx container's process table: `/proc`
  in the command is a directory holding only the nginx master and its workers.
Everything else (workers, Redis, monitoring containers, pulls) is reported healthy and not run.
State lives under $FAKE_STATE; $FAKE_LOG gets one line per call. A container's process is kept as
a pid plus its start time (tests/support/processes.py), and nginx's pid file is believed only for a
live nginx master running this test's conf: PIDs wrap during the suite, and a stale pid must never
get a signal meant for a container (nor SIGHUP from `nginx -s reload`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from tests.support.processes import ProcessRecord, nginx_master

STATE = Path(os.environ["FAKE_STATE"])
AI_SERVICE = os.environ["FAKE_AI_SERVICE"]


def _load(name: str) -> dict:
    path = STATE / "containers" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _save(name: str, data: dict) -> None:
    (STATE / "containers").mkdir(parents=True, exist_ok=True)
    (STATE / "containers" / f"{name}.json").write_text(json.dumps(data))


def _process(name: str) -> ProcessRecord | None:
    return ProcessRecord.from_json(_load(name))


def _alive(process: ProcessRecord | None) -> bool:
    return process is not None and process.alive()


def _new_address() -> str:
    counter = STATE / "address-counter"
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    return f"{os.environ['FAKE_NET']}.{n}"


def _compose(project: Path) -> dict:
    return yaml.safe_load((project / "compose.yaml").read_text())


def _env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip().strip("'")
    return env


def _service_env(project: Path, service: str) -> tuple[list[str], dict[str, str]]:
    spec = _compose(project)["services"][service]
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}  # the image's own env
    environment = spec.get("environment") or {}
    env |= environment if isinstance(environment, dict) else dict(e.split("=", 1) for e in environment)
    for file in spec.get("env_file") or []:
        env |= _env_file(project / file)
    # Docker semantics: `entrypoint` replaces the image's ENTRYPOINT (ai-service), `command` its CMD.
    entrypoint = [AI_SERVICE if word == "ai-service" else word for word in spec.get("entrypoint") or ["ai-service"]]
    return [*entrypoint, *spec.get("command", [])], env


def _grace(project: Path, service: str) -> float:
    text = str(_compose(project)["services"][service].get("stop_grace_period", "10s"))
    return float(text.rstrip("s"))


def _stop(name: str, grace: float) -> None:
    process = _process(name)
    if process is None or not process.alive() or not process.signal_group(signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while _alive(process) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(process):
        process.signal_group(signal.SIGKILL)


def _start_api(project: Path, name: str) -> None:
    argv, env = _service_env(project, name)
    address = _new_address()
    env["BIND_HOST"] = address
    log = open(STATE / f"{name}-{address}.log", "w")  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    record = ProcessRecord.of(process.pid)  # our child, not reaped: the pid is certainly its own
    _save(name, {**record.to_json(), "address": address, "port": int(env.get("PORT", "8000"))})


def _nginx_master() -> ProcessRecord | None:
    """This test's nginx master, or None (no pid file, or it names a process that is not that master)."""
    return nginx_master(Path(os.environ["FAKE_NGINX_PID"]), Path(os.environ["FAKE_NGINX_CONF"]))


def _nginx(*args: str) -> int:
    return subprocess.run(
        [os.environ["FAKE_NGINX"], "-p", os.environ["FAKE_NGINX_PREFIX"], "-c", os.environ["FAKE_NGINX_CONF"], *args]
    ).returncode


def _ensure_nginx() -> int:
    if _nginx_master() is not None:
        return 0
    code = _nginx()
    # The daemon writes its pid file after the command returns: wait for it, so that what follows
    # (health, reload, the process view) sees the master.
    deadline = time.monotonic() + 30
    while code == 0 and _nginx_master() is None:
        if time.monotonic() > deadline:
            print("nginx started but its pid file names no master running our conf", file=sys.stderr)
            return 1
        time.sleep(0.05)
    return code


def _nginx_reload() -> int:
    """`nginx -s reload` signals the pid in the pid file: only when that is our running master.
    Otherwise fail as `docker compose exec` into a stopped container does."""
    if _nginx_master() is None:
        print('service "nginx" is not running', file=sys.stderr)
        return 1
    return _nginx("-s", "reload")


def _nginx_view() -> Path:
    """A /proc for the nginx container: its master and workers only."""
    view = STATE / "nginx-proc"
    shutil.rmtree(view, ignore_errors=True)
    view.mkdir()
    master = _nginx_master()
    if master is not None:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        for pid in [str(master.pid), *children]:
            (view / pid).symlink_to(f"/proc/{pid}")
    return view


def _health(name: str) -> str:
    if not name.startswith("api-"):
        return "healthy" if name != "nginx" or _nginx_master() is not None else "exited"
    state = _load(name)
    if not _alive(_process(name)):
        return "unhealthy"
    try:
        url = f"http://{state['address']}:{state['port']}/health"
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return "healthy" if response.status == 200 else "starting"
    except OSError:
        return "starting"


def _s3_cp(args: list[str]) -> int:
    work = next(args[i + 1].split(":", 1)[0] for i, a in enumerate(args) if a == "-v")
    rest = args[args.index("cp") + 1 :]
    rest = [a for a in rest if a != "--quiet"]

    def local(ref: str) -> Path:
        if ref.startswith("s3://"):
            return Path(os.environ["FAKE_S3"]) / ref[5:].split("/", 1)[1]
        return Path(work) / ref.removeprefix("/work/")

    src, dst = local(rest[0]), local(rest[1])
    if not src.exists():
        print(f"fatal error: {rest[0]} does not exist", file=sys.stderr)
        return 1
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dst)
    return 0


def compose(project: Path, sub: list[str]) -> int:
    if sub[:1] == ["pull"]:
        return 0
    if sub[:2] == ["up", "-d"]:
        services = [a for a in sub[2:] if not a.startswith("-")]
        if not services:  # the whole project: migrate first, then whatever is not running
            if "--no-deps" not in sub and not _load("migrate").get("done"):
                if compose(project, ["run", "--rm", "--no-deps", "migrate"]):
                    return 1
                _save("migrate", {"done": True})
            for name in _compose(project)["services"]:
                if name.startswith("api-") and not _alive(_process(name)):
                    _start_api(project, name)
            return _ensure_nginx()
        for name in services:
            if name.startswith("api-"):
                _stop(name, _grace(project, name))
                _start_api(project, name)
            elif name == "nginx":
                if _ensure_nginx():
                    return 1
        return 0
    if sub[:3] == ["run", "--rm", "--no-deps"] and sub[3] == "migrate":
        argv, env = _service_env(project, "migrate")
        return subprocess.run(argv, env=env, capture_output=True).returncode
    if sub[:3] == ["exec", "-T", "nginx"]:
        command = sub[3:]
        if command[:3] == ["nginx", "-s", "reload"]:
            return _nginx_reload()
        if command[:2] == ["sh", "-c"]:
            script = command[2].replace("/proc/", f"{_nginx_view()}/")
            return subprocess.run(["sh", "-c", script, *command[3:]]).returncode
    return 0


def main(args: list[str]) -> int:
    with open(os.environ["FAKE_LOG"], "a") as log:
        log.write(" ".join(args) + "\n")
    if args[0] == "run":
        return _s3_cp(args)
    if args[0] == "inspect":
        template, name = args[2], args[-1]
        if "IPAddress" in template:
            state = _load(name)
            print(state["address"] if _alive(_process(name)) else "")
        elif "Health" in template:
            print(_health(name))
        return 0
    if args[0] == "compose":
        project = Path(args[args.index("--project-directory") + 1])
        return compose(project, args[args.index("-f") + 2 :])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
