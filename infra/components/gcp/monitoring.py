"""Cloud Monitoring: an uptime check on the public liveness path, alert policies from the shared
thresholds, an e-mail notification channel, and a billing budget alert. With a Slack channel the
policies notify it too, and the availability SLO with its burn-rate policies is added."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pulumi
from pulumi_gcp import logging

from infra.components.gcp.common import children
from infra.components.sdk import sdk_input
from infra.render.gcp.alerts import (
    FAILED_EVENTS,
    FINISHED_EVENTS,
    Targets,
    alert_policies,
    burn_rate_policies,
    event_filter,
    slo_request_filters,
)
from infra.render.observability.thresholds import AVAILABILITY

# pulumi_gcp.monitoring's package __init__ re-exports the deprecated getSecretVersion data source and
# warns when it loads (lazily, on first attribute access); nothing here reads secrets through it
# (secrets use pulumi_gcp.secretmanager), so load it here with that one warning silenced.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r"gcp\.monitoring\.getSecretVersion has been deprecated", category=DeprecationWarning
    )
    from pulumi_gcp import monitoring

    _ = monitoring.UptimeCheckConfig  # forces the lazy module to load inside this block

UPTIME_PERIOD = "60s"
UPTIME_REGIONS = ["USA", "EUROPE", "ASIA_PACIFIC"]  # a region alone failing is not an outage


@dataclass(frozen=True)
class MonitoringArgs:
    project: str
    service_name: str
    service_uri: pulumi.Input[str]
    database_id: str | None
    redis_instance: str | None
    email: str
    authenticated: bool  # the service is not public: the check sends an OIDC token
    health_path: str  # the API's liveness path: a dependency outage is not "API down"
    slack_channel: pulumi.Input[str] | None = None  # the Pub/Sub channel of the Slack forwarder


class ServiceMonitoring(pulumi.ComponentResource):
    channels: list[pulumi.Output[str]]  # e-mail channels (the budget can notify only those)

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:ServiceMonitoring", name, None, opts)
        child = children(self, opts)
        self.channels = []
        if args.email:
            channel = monitoring.NotificationChannel(
                f"{name}-email",
                display_name=f"ai-service alerts ({args.email})",
                type="email",
                labels={"email_address": args.email},
                opts=child,
            )
            self.channels.append(channel.name)
        host = pulumi.Output.from_input(args.service_uri).apply(lambda uri: uri.removeprefix("https://").rstrip("/"))
        http_check: dict = {
            "path": args.health_path,
            "port": 443,
            "use_ssl": True,
            "validate_ssl": True,
            "accepted_response_status_codes": [{"status_class": "STATUS_CLASS_2XX"}],
        }
        if args.authenticated:
            http_check["service_agent_authentication"] = {"type": "OIDC_TOKEN"}
        uptime = monitoring.UptimeCheckConfig(
            f"{name}-health",
            display_name=f"{args.service_name} {args.health_path}",
            timeout="10s",
            period=UPTIME_PERIOD,
            selected_regions=UPTIME_REGIONS,
            http_check=sdk_input(http_check),
            monitored_resource={"type": "uptime_url", "labels": {"project_id": args.project, "host": host}},
            opts=child,
        )
        job_metrics = []
        for kind, events in (("failed", FAILED_EVENTS), ("finished", FINISHED_EVENTS)):
            job_metrics.append(
                logging.Metric(
                    f"{name}-documents-{kind}",
                    name=f"{args.service_name}-documents-{kind}",
                    description=f"Documents {kind} by the workers (from their JSON log lines)",
                    filter=event_filter(events),
                    metric_descriptor={"metric_kind": "DELTA", "value_type": "INT64", "unit": "1"},
                    opts=child,
                )
            )
        metric_names = (job_metrics[0].name, job_metrics[1].name)

        def targets(check_id: str, failed: str, finished: str) -> Targets:
            return Targets(
                args.project, args.service_name, check_id, args.database_id, args.redis_instance, (failed, finished)
            )

        notify: list[pulumi.Input[str]] = [*self.channels]
        if args.slack_channel is not None:
            notify.append(args.slack_channel)
        policies = pulumi.Output.all(uptime.uptime_check_id, *metric_names).apply(lambda v: alert_policies(targets(*v)))
        # The set of policies is known before the ids (they only fill filters).
        for key, static in alert_policies(targets("", "", "")).items():
            monitoring.AlertPolicy(
                f"{name}-{key}",
                display_name=f"{args.service_name}: {static['text']}",
                severity=static["severity"].upper(),
                combiner="OR",
                conditions=policies.apply(lambda p, key=key: p[key]["conditions"]),
                notification_channels=notify,
                documentation={"content": static["text"], "mime_type": "text/markdown"},
                alert_strategy={"auto_close": "1800s"},
                opts=children(self, opts, depends_on=job_metrics),
            )
        if args.slack_channel is not None:  # the SLO's paging alerts come with a paging channel
            self._slo(name, args, notify, child)
        self.register_outputs({"uptime_check": uptime.uptime_check_id})

    def _slo(self, name: str, args: MonitoringArgs, notify: list[pulumi.Input[str]], child) -> None:
        """The availability SLO as a Service Monitoring objective and its multi-window burn-rate policies."""
        service = monitoring.CustomService(
            f"{name}-service", service_id=args.service_name, display_name=f"{args.service_name} API", opts=child
        )
        slo = monitoring.Slo(
            f"{name}-availability",
            service=service.service_id,
            slo_id="availability",
            display_name=f"{AVAILABILITY.objective:.1%} of API requests without 5xx, {AVAILABILITY.period_days} days",
            goal=AVAILABILITY.objective,
            rolling_period_days=AVAILABILITY.period_days,
            request_based_sli=sdk_input({"good_total_ratio": slo_request_filters(args.service_name)}),
            opts=child,
        )
        for key, static in burn_rate_policies("").items():
            monitoring.AlertPolicy(
                f"{name}-{key}",
                display_name=f"{args.service_name}: error budget burn {key.removeprefix('slo-burn-')}",
                severity=static["severity"].upper(),
                combiner=static["combiner"],
                conditions=slo.name.apply(lambda n, key=key: burn_rate_policies(n)[key]["conditions"]),
                notification_channels=notify,
                documentation={"content": static["text"], "mime_type": "text/markdown"},
                alert_strategy={"auto_close": "1800s"},
                opts=child,
            )


@dataclass(frozen=True)
class BudgetArgs:
    billing_account: str
    project_number: pulumi.Input[str]
    monthly_usd: int
    channels: list[pulumi.Output[str]]


class BudgetAlert(pulumi.ComponentResource):
    """Notify at 50/90/100% of actual and 100% of forecast spend for this project."""

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:BudgetAlert", name, None, opts)
        from pulumi_gcp import billing

        billing.Budget(
            name,
            billing_account=args.billing_account,
            display_name=f"{name} monthly budget",
            budget_filter={"projects": [pulumi.Output.concat("projects/", args.project_number)]},
            amount={"specified_amount": {"currency_code": "USD", "units": str(args.monthly_usd)}},
            threshold_rules=[
                {"threshold_percent": 0.5},
                {"threshold_percent": 0.9},
                {"threshold_percent": 1.0},
                {"threshold_percent": 1.0, "spend_basis": "FORECASTED_SPEND"},
            ],
            all_updates_rule={
                "monitoring_notification_channels": args.channels,
                "disable_default_iam_recipients": False,
            },
            opts=children(self, opts),
        )
        self.register_outputs({})
