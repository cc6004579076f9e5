"""Observability shared by every target: one definition of what we watch, rendered per target.

Pure functions from plain data to text/dicts; no Pulumi import (renderers are pure), so tests feed the
output to promtool / amtool and a real Prometheus.

- `thresholds`: SLO and alert thresholds as typed constants (cloud alarms read these).
- `metrics`: the metric and scrape-job contract with app/ and the exporters.
- `rules`: Prometheus recording/alerting rules (`rule_groups()` is also a PrometheusRule spec).
- `prometheus`, `alertmanager`, `grafana`, `dashboards`: one config each.
- `services`: the monitoring containers of a docker host, with pinned images and limits.
- `render`: the whole file set of a docker host (`render_monitoring_files`).
"""
