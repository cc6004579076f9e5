"""Placeholders for Google Cloud (and the docker-build image the cloudrun stack pushes).

Keys are the engine's camelCase output names. Addresses are TEST-NET, hosts end in .invalid,
project-scoped names use the project `placeholder-project`.
"""

from __future__ import annotations

from collections.abc import Callable

from infra.tooling.plan.placeholders.base import Outputs, token

PROJECT = "placeholder-project"
CA_CERT = "-----BEGIN CERTIFICATE-----\nplaceholder-server-ca\n-----END CERTIFICATE-----"


def _service(name: str, inputs: Outputs) -> Outputs:
    service = inputs.get("name", name)
    return {"uri": f"https://{service}-placeholder.run.app.invalid", "latestReadyRevision": f"{service}-00001-abc"}


def _account(name: str, inputs: Outputs) -> Outputs:
    email = f"{inputs.get('accountId', name)}@{PROJECT}.iam.gserviceaccount.com"
    return {"email": email, "member": f"serviceAccount:{email}", "uniqueId": token(name, 21)}


def _secret(name: str, inputs: Outputs) -> Outputs:
    return {"name": f"projects/{PROJECT}/secrets/{inputs.get('secretId', name)}"}


def _secret_version(name: str, inputs: Outputs) -> Outputs:
    return {"version": "1", "name": f"{inputs.get('secret', name)}/versions/1"}


def _sql_instance(name: str, inputs: Outputs) -> Outputs:
    instance = inputs.get("name", name)
    return {
        "privateIpAddress": "192.0.2.10",
        "connectionName": f"{PROJECT}:{inputs.get('region', 'placeholder-region')}:{instance}",
        "publicIpAddress": "",
    }


def _redis(name: str, inputs: Outputs) -> Outputs:
    return {
        "host": "192.0.2.20",
        "port": 6378,
        "authString": f"placeholder-redis-auth-{token(name)}",
        "serverCaCerts": [{"cert": CA_CERT}],
    }


def _hmac(name: str, inputs: Outputs) -> Outputs:
    return {"accessId": f"GOOG1EPLACEHOLDER{token(name).upper()}", "secret": f"placeholder-hmac-{token(name, 32)}"}


def _uptime(name: str, inputs: Outputs) -> Outputs:
    return {"uptimeCheckId": f"placeholder-uptime-{token(name, 8)}"}


def _channel(name: str, inputs: Outputs) -> Outputs:
    return {"name": f"projects/{PROJECT}/notificationChannels/{int(token(name, 12), 16)}"}


def _slo(name: str, inputs: Outputs) -> Outputs:
    service = inputs.get("service", "placeholder-service")
    return {"name": f"projects/{PROJECT}/services/{service}/serviceLevelObjectives/{inputs.get('sloId', name)}"}


def _image(name: str, inputs: Outputs) -> Outputs:
    digest = f"sha256:{token(name, 64)}"
    tags = inputs.get("tags") or ["placeholder.invalid/ai-service:placeholder"]
    return {"digest": digest, "ref": f"{tags[0]}@{digest}"}


COMPUTED: dict[str, Callable[[str, Outputs], Outputs]] = {
    "gcp:cloudrunv2/service:Service": _service,
    "gcp:serviceaccount/account:Account": _account,
    "gcp:secretmanager/secret:Secret": _secret,
    "gcp:secretmanager/secretVersion:SecretVersion": _secret_version,
    "gcp:sql/databaseInstance:DatabaseInstance": _sql_instance,
    "gcp:redis/instance:Instance": _redis,
    "gcp:storage/hmacKey:HmacKey": _hmac,
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": _uptime,
    "gcp:monitoring/notificationChannel:NotificationChannel": _channel,
    "gcp:monitoring/slo:Slo": _slo,
    "docker-build:index:Image": _image,
}

SECRET_OUTPUTS: dict[str, frozenset[str]] = {
    "gcp:sql/user:User": frozenset({"password"}),
    "gcp:sql/databaseInstance:DatabaseInstance": frozenset({"rootPassword"}),
    "gcp:redis/instance:Instance": frozenset({"authString"}),
    "gcp:storage/hmacKey:HmacKey": frozenset({"secret"}),
    "gcp:secretmanager/secretVersion:SecretVersion": frozenset({"secretData"}),
}

INVOKES: dict[str, Callable[[dict], dict]] = {
    "gcp:organizations/getProject:getProject": lambda args: {
        "projectId": args.get("projectId", PROJECT),
        "number": "000000000000",
        "name": args.get("projectId", PROJECT),
    },
}
