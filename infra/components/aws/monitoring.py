"""Alerting on AWS from the shared thresholds (infra/render/observability/thresholds.py): an SNS
topic, CloudWatch alarms, a Route 53 health check on the public endpoint (so a dead
service still alerts), and an AWS Budgets alert."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pulumi_aws import budgets, cloudwatch, route53, sns

from infra.components.aws.common import policy_document
from infra.components.sdk import sdk_input
from infra.render.observability.thresholds import LatencyThreshold, RatioThreshold, StateThreshold

# Route 53 health-check metrics exist only in us-east-1.
HEALTH_CHECK_REGION = "us-east-1"


def _periods(window_s: int, for_s: int) -> tuple[int, int]:
    """(period, evaluation periods): the alarm looks at `window_s` buckets for `for_s`."""
    period = min(window_s, 300) if window_s % 60 == 0 else 60
    return period, max(1, for_s // period)


class Alerts(pulumi.ComponentResource):
    """The topic every alarm and the budget notify; e-mail subscription when an address is set."""

    def __init__(self, name: str, email: str, region: str, opts: pulumi.ResourceOptions | None = None):
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

        return cloudwatch.MetricAlarm(
            f"{self._name}-{name}",
            alarm_description=description,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold.max_ratio,
            evaluation_periods=evaluations,
            treat_missing_data="notBreaching",
            metric_queries=sdk_input(
                [
                    metric("errors", errors),
                    metric("total", total),
                    {
                        "id": "ratio",
                        "expression": "IF(total > 0, errors / total, 0)",
                        "label": "error ratio",
                        "return_data": True,
                    },
                ]
            ),
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags={"severity": threshold.severity},
            opts=self._opts(),
        )

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
