"""Stack outputs: one camelCase name per thing, the same on every target.

Scripts and StackReferences that switch targets read these names; a test plans every stack
and holds each one to this list (a new output is added here, with its meaning, first).
"""

from __future__ import annotations

# name -> what it holds. Secret outputs are marked; `pulumi stack output --show-secrets NAME` reads them.
OUTPUTS: dict[str, str] = {
    "url": "Public base URL of the API (https://<domain> or the platform's address).",
    "apiKeys": (
        "Secret. API_KEYS as tenant:key,… (generated `default:<key>` unless set); send `Authorization: Bearer <key>`."
    ),
    "image": "The service image that runs (registry/name@sha256:… or the local tag).",
    "bucket": "Object storage bucket of documents, temporary files and backups.",
    "grafanaUrl": "Grafana's address, where it is published (local).",
    "grafanaAdminPassword": "Secret. Grafana's `admin` password (targets that host monitoring).",
    "prometheusUrl": "Prometheus' address, where it is published (local).",
    "alertmanagerUrl": "Alertmanager's address, where it is published (local).",
    "docsUrl": "The API's interactive docs (appEnv development only).",
    "alertTopic": "SNS topic that receives alarms (AWS targets).",
    "albDnsName": "The Application Load Balancer's DNS name (fargate).",
    "certificateValidation": "DNS records that validate the ACM certificate when no hosted zone is managed (fargate).",
    "cluster": "ECS cluster name (fargate).",
    "containers": "Containers the local stack runs (local).",
    "databaseInstance": "Cloud SQL connection name project:region:instance (cloudrun).",
    "function": "Lambda function name (lambda).",
    "ipAddress": "The droplet's public IPv4 (droplet).",
    "kubeconfig": "Secret. Kubeconfig of the created cluster (kubernetes with cluster.create).",
    "liveVersion": "Release the droplet reports on /health after `pulumi up` (droplet).",
    "memoryLimitsMiB": "Memory limit per container and the total against the droplet's RAM (droplet).",
    "namespace": "Kubernetes namespace of the service (kubernetes).",
    "network": "Docker network of the local stack (local).",
    "releaseVersion": "Release manifest version `pulumi up` published (droplet).",
    "service": "Cloud Run service name (cloudrun).",
    "ssh": "SSH command for the admin user (droplet).",
    "sshPrivateKey": "Secret. Generated admin SSH key when droplet.sshPublicKey is empty (droplet).",
}

# Every target exports these.
EVERY_TARGET = ("url", "apiKeys", "image", "bucket")
SECRET_OUTPUTS = frozenset(name for name, meaning in OUTPUTS.items() if meaning.startswith("Secret."))
