"""target local: the whole system on the local Docker engine, reachable on 127.0.0.1 only.

Ports are the host side of what the local stack publishes; every one binds 127.0.0.1, so
nothing is reachable from the network the laptop is on. 0 leaves a port unpublished.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from infra.settings.base import ConfigModel


class LocalConfig(ConfigModel):
    """target local: host ports (127.0.0.1) of the local Docker stack."""

    http_port: int = Field(
        default=8080,
        ge=1024,
        le=65535,
        description="127.0.0.1 port of nginx in front of the API (http://127.0.0.1:8080/docs).",
    )
    grafana_port: int = Field(default=3000, ge=1024, le=65535, description="127.0.0.1 port of Grafana.")
    prometheus_port: int = Field(default=9090, ge=1024, le=65535, description="127.0.0.1 port of Prometheus.")
    alertmanager_port: int = Field(default=9093, ge=1024, le=65535, description="127.0.0.1 port of Alertmanager.")
    postgres_port: int = Field(
        default=0, ge=0, le=65535, description="127.0.0.1 port of Postgres for psql; 0 = not published."
    )
    s3_port: int = Field(default=0, ge=0, le=65535, description="127.0.0.1 port of the S3 server; 0 = not published.")
    bucket: str = Field(
        default="ai-service",
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Bucket created on the local S3 server.",
    )

    @model_validator(mode="after")
    def _distinct_ports(self) -> LocalConfig:
        ports = [
            p
            for p in (
                self.http_port,
                self.grafana_port,
                self.prometheus_port,
                self.alertmanager_port,
                self.postgres_port,
                self.s3_port,
            )
            if p
        ]
        duplicates = sorted({p for p in ports if ports.count(p) > 1})
        if duplicates:
            raise ValueError(f"host ports must be distinct, {', '.join(map(str, duplicates))} is used twice")
        return self
