"""During `pulumi up`, wait until the host's public liveness path reports the version just released.

The reference service answers `{"version": APP_VERSION, …}` there. An app whose liveness answer carries
no `version` cannot say which release serves: the wait then ends at its first 200 (NOT_REPORTED).

The droplet applies releases itself (pull agent), so `up` would otherwise finish before anyone
knows whether the release went live. Skipped in `pulumi preview` and under the SDK's mocks
(offline plan, tests), where nothing is reachable.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor

TIMEOUT_S = 25 * 60  # first boot: packages, Docker, image pulls, migrations
NOT_CHECKED = "not checked (preview or offline plan)"
NOT_REPORTED = "not reported (the liveness answer has no JSON `version`)"


def _health_version(url: str) -> str | None:
    """The answer's `version`; None when the app answers 200 without one."""
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own endpoint)
        body = response.read()
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return str(document["version"]) if isinstance(document, dict) and "version" in document else None


async def wait_until_live(url: str, want: str, timeout_s: float = TIMEOUT_S, interval_s: float = 10) -> str:
    """Poll `url` until its JSON `version` is `want`; raise naming the last answer after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    loop = asyncio.get_running_loop()
    while True:
        try:
            version = await loop.run_in_executor(None, _health_version, url)
            if version is None:
                return NOT_REPORTED
            last = version
            if last == want:
                return want
        except (OSError, ValueError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"{url} reports {last!r}, not {want!r}, after {timeout_s:.0f}s; "
                "see /var/log/ai-service/agent.log on the host (the previous release keeps serving)"
            )
        await asyncio.sleep(interval_s)


def _offline() -> bool:
    return pulumi.runtime.is_dry_run() or isinstance(runtime_settings.get_monitor(), MockMonitor)


def live_version(health_url: pulumi.Input[str], want: pulumi.Input[str], after: pulumi.Input) -> pulumi.Output[str]:
    """An output that resolves once `health_url` reports `want` (after `after` resolved)."""

    def check(args: list) -> pulumi.Input[str]:
        url, version, _ = args
        return NOT_CHECKED if _offline() else wait_until_live(url, version)

    return pulumi.Output.all(health_url, want, after).apply(check)
