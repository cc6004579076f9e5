"""Kubernetes programs: plain dict manifests, older API versions, data stores behind Services, Helm releases."""

from __future__ import annotations

import pulumi_kubernetes as k8s

from tests.policy.corpus import program

SAFE = {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
LIMITS = {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}}


def _redis(name: str, image: str, service_type: str, **container) -> None:
    labels = {"app": name}
    k8s.apps.v1.StatefulSet(
        name,
        metadata={"name": name},
        spec={
            "serviceName": name,
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{"name": "redis", "image": image, "ports": [{"containerPort": 6379}], **container}]
                },
            },
        },
    )
    k8s.core.v1.Service(
        f"{name}-svc",
        metadata={"name": name},
        spec={"type": service_type, "selector": labels, "ports": [{"port": 6379, "targetPort": 6379}]},
    )


@program(
    expect={
        "k8s-data-store-not-exposed",
        "k8s-restricted-containers",
        "k8s-resource-limits",
        "k8s-pinned-images",
        "k8s-probes",
    }
)
def redis_behind_public_load_balancer():
    """Redis from a blog post: a StatefulSet on redis:latest and a Service of type LoadBalancer."""
    _redis("cache", "redis:latest", "LoadBalancer")


@program(twin_of="redis_behind_public_load_balancer")
def redis_cluster_ip():
    probe = {"tcpSocket": {"port": 6379}}
    _redis(
        "cache",
        "redis:7.4.1-alpine",
        "ClusterIP",
        securityContext=SAFE,
        resources=LIMITS,
        livenessProbe=probe,
        readinessProbe=probe,
    )


@program(expect={"k8s-data-store-not-exposed"})
def postgres_nodeport_by_name():
    """A NodePort Service named after Postgres on a non-default port."""
    k8s.core.v1.Service(
        "pg",
        metadata={"name": "postgres-primary"},
        spec={"type": "NodePort", "selector": {"app": "postgres"}, "ports": [{"port": 15432, "targetPort": 15432}]},
    )


@program(twin_of="postgres_nodeport_by_name")
def postgres_lb_restricted_to_office():
    """The same database behind a LoadBalancer allowed only from one office range."""
    k8s.core.v1.Service(
        "pg",
        metadata={"name": "postgres-primary"},
        spec={
            "type": "LoadBalancer",
            "loadBalancerSourceRanges": ["198.51.100.0/24"],
            "selector": {"app": "postgres"},
            "ports": [{"port": 5432, "targetPort": 5432}],
        },
    )


@program(
    expect={
        "k8s-no-host-namespaces",
        "k8s-restricted-containers",
        "no-plaintext-secret-env",
        "k8s-no-secrets-in-config-maps",
    }
)
def daemonset_host_network_v1beta2():
    """A node agent on the old apps/v1beta2 API: hostNetwork/hostPID, privileged, a token in env, a password in a
    ConfigMap.
    """
    labels = {"app": "agent"}
    k8s.core.v1.ConfigMap(
        "agent-config", metadata={"name": "agent"}, data={"LOG_LEVEL": "info", "DB_PASSWORD": "hunter2"}
    )
    k8s.apps.v1beta2.DaemonSet(
        "agent",
        metadata={"name": "agent"},
        spec={
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "hostNetwork": True,
                    "hostPID": True,
                    "containers": [
                        {
                            "name": "agent",
                            "image": "example/agent:3.2.0",
                            "resources": LIMITS,
                            "securityContext": {"privileged": True},
                            "env": [{"name": "API_TOKEN", "value": "literal-token"}],
                        }
                    ],
                },
            },
        },
    )


@program(twin_of="daemonset_host_network_v1beta2")
def daemonset_restricted():
    labels = {"app": "agent"}
    k8s.core.v1.ConfigMap("agent-config", metadata={"name": "agent"}, data={"LOG_LEVEL": "info"})
    k8s.core.v1.Secret("agent-secret", metadata={"name": "agent"}, string_data={"API_TOKEN": "from-a-secret"})
    k8s.apps.v1.DaemonSet(
        "agent",
        metadata={"name": "agent"},
        spec={
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "agent",
                            "image": "example/agent:3.2.0",
                            "resources": LIMITS,
                            "securityContext": SAFE,
                            "env": [
                                {
                                    "name": "API_TOKEN",
                                    "valueFrom": {"secretKeyRef": {"name": "agent", "key": "API_TOKEN"}},
                                }
                            ],
                        }
                    ]
                },
            },
        },
    )


@program(expect={"k8s-helm-chart-pinned", "k8s-hpa-owns-replicas"})
def helm_unpinned_and_hpa_fight():
    """A Helm release without a chart version; a Deployment that sets replicas while an HPA scales it."""
    k8s.helm.v3.Release(
        "ingress", chart="ingress-nginx", repository_opts={"repo": "https://kubernetes.github.io/ingress-nginx"}
    )
    labels = {"app": "web"}
    k8s.apps.v1.Deployment(
        "web",
        metadata={"name": "web", "namespace": "shop"},
        spec={
            "replicas": 3,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "example/web:1.0.0", "resources": LIMITS, "securityContext": SAFE}
                    ]
                },
            },
        },
    )
    k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "web",
        metadata={"name": "web", "namespace": "shop"},
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    )


@program(twin_of="helm_unpinned_and_hpa_fight")
def helm_pinned_and_hpa_owns_replicas():
    k8s.helm.v3.Release("gateway", chart="oci://docker.io/envoyproxy/gateway-helm", version="1.2.4")
    labels = {"app": "web"}
    k8s.apps.v1.Deployment(
        "web",
        metadata={"name": "web", "namespace": "shop"},
        spec={
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "example/web:1.0.0", "resources": LIMITS, "securityContext": SAFE}
                    ]
                },
            },
        },
    )
    k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "web",
        metadata={"name": "web", "namespace": "shop"},
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    )


@program(expect={"k8s-pinned-images", "k8s-restricted-containers", "k8s-resource-limits"})
def cronjob_batch_unpinned():
    """A nightly CronJob on an untagged image, as root, without limits."""
    k8s.batch.v1.CronJob(
        "report",
        metadata={"name": "report"},
        spec={
            "schedule": "0 2 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "report", "image": "example/report"}],
                        }
                    }
                }
            },
        },
    )


@program(twin_of="cronjob_batch_unpinned")
def cronjob_batch_pinned():
    k8s.batch.v1.CronJob(
        "report",
        metadata={"name": "report"},
        spec={
            "schedule": "0 2 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "securityContext": {"runAsNonRoot": True},
                            "containers": [
                                {
                                    "name": "report",
                                    "image": "example/report@sha256:" + "c" * 64,
                                    "resources": LIMITS,
                                    "securityContext": {
                                        "allowPrivilegeEscalation": False,
                                        "capabilities": {"drop": ["ALL"]},
                                    },
                                }
                            ],
                        }
                    }
                }
            },
        },
    )
