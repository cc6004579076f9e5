"""Alerting on AWS from the shared thresholds (infra/render/observability/thresholds.py): an SNS
topic, CloudWatch alarms (and the SLO's multi-window burn-rate alarms), a Route 53 health check on
the public endpoint (so a dead service still alerts), an AWS Budgets alert, and Slack through a
forwarder function when a webhook is configured."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pulumi_aws import budgets, cloudwatch, route53, sns

from infra.components.aws.common import policy_document
from infra.components.sdk import sdk_input
from infra.render.observability.thresholds import (
    AvailabilitySlo,
    LatencyThreshold,
    RatioThreshold,
    StateThreshold,
    prom_duration,
)

# Route 53 health-check metrics exist only in us-east-1.
HEALTH_CHECK_REGION = "us-east-1"


def _periods(window_s: int, for_s: int) -> tuple[int, int]:
    """(period, evaluation periods): the alarm looks at `window_s` buckets for `for_s`."""
    period = min(window_s, 300) if window_s % 60 == 0 else 60
    return period, max(1, for_s // period)


def _ratio_queries(
    namespace: str, errors: str, total: str, dimensions: Mapping[str, pulumi.Input[str]], period: int
) -> list[dict]:
    """Metric math: errors/total over `period` (no traffic = 0)."""

    def metric(id_: str, metric_name: str) -> dict:
        return {
            "id": id_,
            "return_data": False,
            "metric": {
                "namespace": namespace,
                "metric_name": metric_name,
                "dimensions": dimensions,
                "period": period,
                "stat": "Sum",
            },
        }

    return [
        metric("errors", errors),
        metric("total", total),
        {
            "id": "ratio",
            "expression": "IF(total > 0, errors / total, 0)",
            "label": "error ratio",
            "return_data": True,
        },
    ]


class Alerts(pulumi.ComponentResource):
    """The topic every alarm and the budget notify; e-mail subscription when an address is set."""

    def __init__(
        self,
        name: str,
        email: str,
        region: str,
        opts: pulumi.ResourceOptions | None = None,
        slack_webhook: pulumi.Input[str] | None = None,
        log_retention_days: int = 30,
    ):
        super().__init__("ai-service:aws:Alerts", name, None, opts)
        self._name = name
        self._region = region
        child = pulumi.ResourceOptions(parent=self)
        # No SSE with the AWS-managed key: CloudWatch alarms cannot publish to such topics.
        self.topic = sns.Topic(name, opts=child)
        self.topic_arn = self.topic.arn
        sns.TopicPolicy(
            name,
            arn=self.topic.arn,
            policy=self.topic.arn.apply(
                lambda arn: policy_document(
                    {
                        "Sid": "AlarmsAndBudgets",
                        "Effect": "Allow",
                        "Principal": {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]},
                        "Action": "sns:Publish",
                        "Resource": arn,
                    }
                )
            ),
            opts=child,
        )
        if email:
            sns.TopicSubscription(name, topic=self.topic.arn, protocol="email", endpoint=email, opts=child)
        self.slack = None
        if slack_webhook is not None:
            from infra.components.aws.slack import SlackForwarder, SlackForwarderArgs

            self.slack = SlackForwarder(
                f"{name}-slack", SlackForwarderArgs(self.topic.arn, slack_webhook, log_retention_days), child
            )
        self.register_outputs({"topic": self.topic.arn})

    def _opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def ratio(
        self,
        name: str,
        description: str,
        namespace: str,
        errors: str,
        total: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        threshold: RatioThreshold,
    ) -> cloudwatch.MetricAlarm:
        """errors/total above `threshold.max_ratio` (metric math; no traffic = not breaching)."""
        period, evaluations = _periods(threshold.window_s, threshold.for_s)
        return cloudwatch.MetricAlarm(
            f"{self._name}-{name}",
            alarm_description=description,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold.max_ratio,
            evaluation_periods=evaluations,
            treat_missing_data="notBreaching",
            metric_queries=sdk_input(_ratio_queries(namespace, errors, total, dimensions, period)),
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags={"severity": threshold.severity},
            opts=self._opts(),
        )

    def burn_rates(
        self,
        namespace: str,
        errors: str,
        total: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        slo: AvailabilitySlo,
    ) -> list[cloudwatch.CompositeAlarm]:
        """The SLO's multi-window burn-rate alerts: per window pair, one ratio alarm per window (no
        actions of their own) and a composite alarm, ALARM(long) AND ALARM(short), that notifies.

        Each window is one alarm period (CloudWatch allows periods up to 7 days when >= 1 h), so the
        ratio is over exactly the long/short windows the Prometheus rules use."""
        composites = []
        for burn in slo.burn_rates:
            limit = slo.max_error_ratio(burn)
            key = f"{self._name}-slo-burn-{prom_duration(burn.long_window_s)}"
            windows = {"long": burn.long_window_s, "short": burn.short_window_s}
            children = {
                part: cloudwatch.MetricAlarm(
                    f"{key}-{part}",
                    alarm_description=f"5xx ratio over {prom_duration(window)} above {limit:g} (part of {key})",
                    comparison_operator="GreaterThanThreshold",
                    threshold=limit,
                    evaluation_periods=1,
                    treat_missing_data="notBreaching",
                    metric_queries=sdk_input(_ratio_queries(namespace, errors, total, dimensions, window)),
                    tags={"severity": burn.severity},
                    opts=self._opts(),
                )
                for part, window in windows.items()
            }
            composites.append(
                cloudwatch.CompositeAlarm(
                    key,
                    alarm_name=key,
                    alarm_description=(
                        f"API burns its {slo.objective:.1%} availability error budget {burn.factor:g}x too fast "
                        f"({prom_duration(burn.long_window_s)} and {prom_duration(burn.short_window_s)} windows): "
                        f"the {slo.period_days}-day budget is gone in {slo.period_days / burn.factor:.1f} days"
                    ),
                    alarm_rule=pulumi.Output.all(children["long"].name, children["short"].name).apply(
                        lambda names: f'ALARM("{names[0]}") AND ALARM("{names[1]}")'
                    ),
                    alarm_actions=[self.topic.arn],
                    ok_actions=[self.topic.arn],
                    tags={"severity": burn.severity},
                    opts=self._opts(),
                )
            )
        return composites

    def latency(
        self,
        name: str,
        description: str,
        namespace: str,
        metric_name: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        threshold: LatencyThreshold,
        unit_ms: bool = False,
    ) -> cloudwatch.MetricAlarm:
        period, evaluations = _periods(threshold.window_s, threshold.for_s)
        return cloudwatch.MetricAlarm(
            f"{self._name}-{name}",
            alarm_description=description,
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dimensions,
            extended_statistic=f"p{threshold.quantile * 100:g}",
            period=period,
            evaluation_periods=evaluations,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold.max_seconds * (1000 if unit_ms else 1),
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags={"severity": threshold.severity},
            opts=self._opts(),
        )

    def above_zero(
        self,
        name: str,
        description: str,
        namespace: str,
        metric_name: str,
        stat: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        threshold: StateThreshold,
    ) -> cloudwatch.MetricAlarm:
        """A count that should stay 0 (unhealthy targets, throttles) held above 0 for `for_s`."""
        period = 60
        return cloudwatch.MetricAlarm(
            f"{self._name}-{name}",
            alarm_description=description,
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dimensions,
            statistic=stat,
            period=period,
            evaluation_periods=max(1, threshold.for_s // period),
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags={"severity": threshold.severity},
            opts=self._opts(),
        )

    def uptime(
        self, host: pulumi.Input[str], https: bool, threshold: StateThreshold, path: str = "/health"
    ) -> route53.HealthCheck:
        """A Route 53 health check from AWS's checkers on the public endpoint, and its alarm."""
        check = route53.HealthCheck(
            f"{self._name}-uptime",
            fqdn=host,
            port=443 if https else 80,
            type="HTTPS" if https else "HTTP",
            resource_path=path,
            request_interval=30,
            failure_threshold=3,
            measure_latency=False,
            tags={"Name": f"{self._name}-uptime"},
            opts=self._opts(),
        )
        alarm_opts = self._opts()
        if self._region != HEALTH_CHECK_REGION:
            from pulumi_aws import Provider

            alarm_opts = pulumi.ResourceOptions(
                parent=self,
                provider=Provider(f"{self._name}-{HEALTH_CHECK_REGION}", region=HEALTH_CHECK_REGION, opts=self._opts()),
            )
        cloudwatch.MetricAlarm(
            f"{self._name}-uptime",
            alarm_description=f"{path} unreachable from Route 53 health checkers",
            namespace="AWS/Route53",
            metric_name="HealthCheckStatus",
            dimensions={"HealthCheckId": check.id},
            statistic="Minimum",
            period=60,
            evaluation_periods=max(1, threshold.for_s // 60),
            comparison_operator="LessThanThreshold",
            threshold=1,
            treat_missing_data="breaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags={"severity": threshold.severity},
            opts=alarm_opts,
        )
        return check

    def budget(self, monthly_usd: int) -> budgets.Budget:
        """Alert at 80% of the forecast and 100% of actual monthly spend."""
        notifications = [
            {
                "comparison_operator": "GREATER_THAN",
                "threshold": pct,
                "threshold_type": "PERCENTAGE",
                "notification_type": kind,
                "subscriber_sns_topic_arns": [self.topic.arn],
            }
            for pct, kind in ((80, "FORECASTED"), (100, "ACTUAL"))
        ]
        return budgets.Budget(
            f"{self._name}-monthly",
            budget_type="COST",
            limit_amount=str(monthly_usd),
            limit_unit="USD",
            time_unit="MONTHLY",
            notifications=sdk_input(notifications),
            opts=self._opts(),
        )
