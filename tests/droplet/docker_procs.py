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
State lives under $FAKE_STATE; $FAKE_LOG gets one line per call.
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

STATE = Path(os.environ["FAKE_STATE"])
AI_SERVICE = os.environ["FAKE_AI_SERVICE"]


def _load(name: str) -> dict:
    path = STATE / "containers" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _save(name: str, data: dict) -> None:
    (STATE / "containers").mkdir(parents=True, exist_ok=True)
    (STATE / "containers" / f"{name}.json").write_text(json.dumps(data))


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state not in ("Z", "X")


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
    pid = _load(name).get("pid")
    if not _alive(pid):
        return
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)


def _start_api(project: Path, name: str) -> None:
    argv, env = _service_env(project, name)
    address = _new_address()
    env["BIND_HOST"] = address
    log = open(STATE / f"{name}-{address}.log", "w")  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    _save(name, {"pid": process.pid, "address": address, "port": int(env.get("PORT", "8000"))})


def _nginx_pid() -> int | None:
    pid_file = Path(os.environ["FAKE_NGINX_PID"])
    return int(pid_file.read_text()) if pid_file.exists() else None


def _nginx(*args: str) -> int:
    return subprocess.run(
        [os.environ["FAKE_NGINX"], "-p", os.environ["FAKE_NGINX_PREFIX"], "-c", os.environ["FAKE_NGINX_CONF"], *args]
    ).returncode


def _ensure_nginx() -> int:
    return 0 if _alive(_nginx_pid()) else _nginx()


def _nginx_view() -> Path:
    """A /proc for the nginx container: its master and workers only."""
    view = STATE / "nginx-proc"
    shutil.rmtree(view, ignore_errors=True)
    view.mkdir()
    master = _nginx_pid()
    if _alive(master):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        for pid in [str(master), *children]:
            (view / pid).symlink_to(f"/proc/{pid}")
    return view


def _health(name: str) -> str:
    if not name.startswith("api-"):
        return "healthy" if name != "nginx" or _alive(_nginx_pid()) else "exited"
    state = _load(name)
    if not _alive(state.get("pid")):
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
                if name.startswith("api-") and not _alive(_load(name).get("pid")):
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
            return _nginx("-s", "reload")
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
            print(state["address"] if _alive(state.get("pid")) else "")
        elif "Health" in template:
            print(_health(name))
        return 0
    if args[0] == "compose":
        project = Path(args[args.index("--project-directory") + 1])
        return compose(project, args[args.index("-f") + 2 :])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
