"""The gcp components touch no deprecated data source of the Google provider SDK."""

from __future__ import annotations

import subprocess
import sys

from infra.tooling.plan.stackfile import PROJECT_ROOT

# What ServiceMonitoring does: import the component, then use the SDK's monitoring module (which
# pulumi_gcp loads lazily, on first attribute access).
CODE = "import infra.components.gcp.monitoring as m; m.monitoring.UptimeCheckConfig; m.monitoring.AlertPolicy"


def test_gcp_monitoring_loads_without_the_get_secret_version_deprecation():
    result = subprocess.run(
        [sys.executable, "-W", "error:gcp.monitoring.getSecretVersion:DeprecationWarning", "-c", CODE],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
