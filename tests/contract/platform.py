"""What each platform would run, read from an offline plan: the workloads of the service image.

`workloads(plan, secret_store)` turns a PlanResult into `Workload`s — argv, environment and
mounted files exactly as the platform hands them to the container — resolving every secret
reference the way that platform does, from the values the plan registered:

| target     | workloads (service image only)                        | secret references resolved like                          |
|------------|-------------------------------------------------------|----------------------------------------------------------|
| droplet    | compose services of `releases/manifest.json`          | the host agent: `releases/secrets.json` written next to   |
|            |                                                       | compose.yaml, then compose v2 (`docker-compose config`)   |
|            |                                                       | merges `env_file`s into each service's environment        |
| local      | docker Containers (`ai-service.role` service roles)   | Docker: `envs` are passed as they are                     |
| (compose)  | the rendered compose.yaml, run without Pulumi         | the env files `python -m infra.render.dockerhost.local_secrets` writes,     |
|            |                                                       | merged by compose v2                                      |
| kubernetes | containers of Deployments, Jobs, CronJobs             | the kubelet: `envFrom` ConfigMaps/Secrets in order, then  |
|            |                                                       | `env` (value / secretKeyRef / configMapKeyRef) wins        |
| fargate    | container definitions of every ECS task definition    | the ECS agent: `secrets[].valueFrom` (ARN[:json-key::])   |
|            |                                                       | read from Secrets Manager (seeded with the plan's values) |
| cloudrun   | Cloud Run services, jobs and worker pools             | Cloud Run: `secret_key_ref` {secret, version} and secret  |
|            |                                                       | volumes from Secret Manager versions in the plan          |
| lambda     | Lambda functions (ImageConfig entry point + command)  | none by the platform: the function's env names a Secrets  |
|            |                                                       | Manager secret (seeded with the plan's value) that the    |
|            |                                                       | handler reads itself at cold start                        |

The image's own ENTRYPOINT/CMD and ENV come from app/Dockerfile (Docker semantics: a container `command`
replaces the entry point and drops CMD; `args` replace CMD). Nothing here knows env var names
except through the plan, so a stack that moves a variable between workloads is followed as is.
"""  # noqa: E501 (a diagram or table)

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.tooling.plan.plan import PlanResult
from infra.tooling.resources import PlannedResource
from infra.tooling.values import unwrapped

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "app" / "Dockerfile"
LAMBDA_RUNTIME = ["python", "-m", "awslambdaric"]  # the runtime interface client runs the handler


def _dockerfile_exec_form(instruction: str) -> list[str]:
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith(f"{instruction} ")]
    return json.loads(lines[-1].removeprefix(f"{instruction} "))


def _dockerfile_env() -> dict[str, str]:
    """ENV of the final stage (build args at their defaults); every container starts from it."""
    lines = DOCKERFILE.read_text().replace("\\\n", " ").splitlines()
    args = dict(
        arg.split("=", 1) for line in lines if line.startswith("ARG ") for arg in shlex.split(line[4:]) if "=" in arg
    )
    final = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    env: dict[str, str] = {}
    for line in lines[final:]:
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = re.sub(
                    r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), env.get(m.group(1), m.group(0))), value
                )
    return env


IMAGE_ENTRYPOINT = _dockerfile_exec_form("ENTRYPOINT")
IMAGE_CMD = _dockerfile_exec_form("CMD")
IMAGE_ENV = _dockerfile_env()
# The service image runs `ai-service <command>`; a stack's `commands` may enter it as a module instead.
SERVICE_ENTRY_POINTS = (IMAGE_ENTRYPOINT, ["python", "-m", "ai_service"])


@dataclass
class Workload:
    """One container (or function) of the service image, as the platform would start it."""

    target: str
    name: str  # platform construct and name, e.g. "Job/ai-service-migrate-0604fdb7edd7"
    argv: list[str]  # entry point + command after Docker semantics
    env: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)  # mounted path in the container -> content
    port: int | None = None  # the port the platform routes HTTP to (PORT is set by Cloud Run itself)
    event: dict | None = None  # Lambda: the event the platform sends (scheduled invocations)

    @property
    def service_args(self) -> list[str]:
        """The service's arguments after whichever way the argv enters it (console script or module)."""
        for entry in SERVICE_ENTRY_POINTS:
            if self.argv[: len(entry)] == entry:
                return self.argv[len(entry) :]
        raise AssertionError(f"{self.name}: unexpected entry point {self.argv}")

    @property
    def command(self) -> str:
        """`api`, `worker`, `migrate`, `scheduler`, `enqueue-cleanup`, ... or `lambda:<handler>`."""
        if self.argv[: len(LAMBDA_RUNTIME)] == LAMBDA_RUNTIME:
            return f"lambda:{self.argv[len(LAMBDA_RUNTIME)]}"
        return self.service_args[0]

    def identity(self) -> str:
        """Replicas with the same argv, env and files are the same workload (booted once)."""
        return json.dumps([self.argv, self.env, self.files, self.port, self.event], sort_keys=True)


def docker_argv(entrypoint: list[str] | None, command: list[str] | None) -> list[str]:
    if entrypoint:
        return list(entrypoint) + list(command or [])
    return IMAGE_ENTRYPOINT + list(command if command else IMAGE_CMD)


def _inputs(plan: PlanResult, type_suffix: str) -> list[tuple[PlannedResource, dict[str, Any]]]:
    return [(r, unwrapped(r.inputs)) for r in plan.find(type_suffix)]


def service_image(plan: PlanResult) -> str:
    return plan.outputs["image"] if "image" in plan.outputs else ""


# --- droplet: the release the host agent applies --------------------------------------------


def _release_files(plan: PlanResult) -> tuple[dict[str, str], str]:
    files: dict[str, str] = {}
    image = ""
    for _, inputs in _inputs(plan, "BucketObjectv2"):
        if inputs.get("key") in ("releases/manifest.json", "releases/secrets.json"):
            document = json.loads(inputs["content"])
            files.update(document["files"])
            image = document.get("image", image)
    assert "compose.yaml" in files, "the plan publishes no release manifest with compose.yaml"
    return files, image


def compose_services(files: dict[str, str], compose_binary: str) -> dict[str, dict]:
    """compose v2's own view of the project (env files merged), from the files the agent writes."""
    with tempfile.TemporaryDirectory(prefix="contract-compose-") as directory:
        for relative, text in files.items():
            path = Path(directory) / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        result = subprocess.run(
            [compose_binary, "-f", "compose.yaml", "config", "--format", "json"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["services"]


def droplet(plan: PlanResult, secrets: SecretStore) -> list[Workload]:
    files, image = _release_files(plan)
    return _compose_workloads(plan, compose_services(files, secrets.compose_binary), image)


def local_compose(plan: PlanResult, secrets: SecretStore) -> list[Workload]:
    """The local stack without Pulumi (docs/targets/local.md): the rendered compose.yaml plus the env files
    `python -m infra.render.dockerhost.local_secrets` writes next to it, run by compose v2."""
    from infra.render.dockerhost.local_secrets import generate
    from infra.render.dockerhost.topology_local import LOCAL_IMAGE_TAG

    files = {path: text for path, text in plan.artifacts.items() if isinstance(text, str)} | generate()
    return _compose_workloads(plan, compose_services(files, secrets.compose_binary), LOCAL_IMAGE_TAG)


def _compose_workloads(plan: PlanResult, services: dict[str, dict], image: str) -> list[Workload]:
    return [
        Workload(
            plan.target,
            f"compose/{name}",
            docker_argv(service.get("entrypoint"), service.get("command")),
            {k: v or "" for k, v in (service.get("environment") or {}).items()},
        )
        for name, service in sorted(services.items())
        if service.get("image") == image
    ]


# --- local: docker containers --------------------------------------------------------------


def local(plan: PlanResult, secrets: SecretStore) -> list[Workload]:
    from infra.render.dockerhost.topology import SERVICE_ROLES

    found = []
    for _, inputs in _inputs(plan, "docker:index/container:Container"):
        labels = {item["label"]: item["value"] for item in inputs.get("labels", [])}
        if labels.get("ai-service.role") not in SERVICE_ROLES:
            continue
        env = dict(item.split("=", 1) for item in inputs.get("envs", []))
        found.append(
            Workload(
                plan.target,
                f"Container/{inputs['name']}",
                docker_argv(inputs.get("entrypoints"), inputs.get("command")),
                env,
            )
        )
    return found


# --- kubernetes ----------------------------------------------------------------------------


def _k8s_objects(plan: PlanResult, kind: str) -> dict[tuple[str, str], dict]:
    return {
        (inputs["metadata"].get("namespace", "default"), inputs["metadata"]["name"]): inputs
        for _, inputs in _inputs(plan, f":{kind}")
        if inputs.get("kind") == kind
    }


def _k8s_data(obj: dict) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
    return {**data, **(obj.get("stringData") or {})}


def kubernetes(plan: PlanResult, secrets: SecretStore) -> list[Workload]:
    image = service_image(plan)
    stores = {"secret": _k8s_objects(plan, "Secret"), "configMap": _k8s_objects(plan, "ConfigMap")}

    def lookup(namespace: str, store: str, name: str, key: str | None = None) -> Any:
        obj = stores[store].get((namespace, name))
        assert obj is not None, f"{store} {namespace}/{name} is referenced but not in the plan"
        data = _k8s_data(obj) if store == "secret" else dict(obj.get("data") or {})
        return data if key is None else data[key]

    found = []
    for kind in ("Deployment", "StatefulSet", "Job", "CronJob"):
        for (namespace, name), obj in _k8s_objects(plan, kind).items():
            spec = obj["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else obj["spec"]
            pod = spec["template"]["spec"]
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            for container in pod.get("initContainers", []) + pod["containers"]:
                if container["image"] != image:
                    continue
                env: dict[str, str] = {}
                for source in container.get("envFrom", []):
                    ref = source.get("secretRef") or source.get("configMapRef")
                    store = "secret" if "secretRef" in source else "configMap"
                    env.update(
                        {source.get("prefix", "") + k: v for k, v in lookup(namespace, store, ref["name"]).items()}
                    )
                for item in container.get("env", []):
                    if "valueFrom" not in item:
                        env[item["name"]] = str(item.get("value", ""))
                        continue
                    ref = item["valueFrom"].get("secretKeyRef") or item["valueFrom"].get("configMapKeyRef")
                    store = "secret" if "secretKeyRef" in item["valueFrom"] else "configMap"
                    env[item["name"]] = lookup(namespace, store, ref["name"], ref["key"])
                files = {}
                for mount in container.get("volumeMounts", []):
                    volume = volumes.get(mount["name"], {})
                    if "secret" in volume:
                        for key, value in lookup(namespace, "secret", volume["secret"]["secretName"]).items():
                            files[f"{mount['mountPath'].rstrip('/')}/{key}"] = value
                ports = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == "http"]
                found.append(
                    Workload(
                        plan.target,
                        f"{kind}/{name}/{container['name']}",
                        docker_argv(container.get("command"), container.get("args")),
                        env,
                        files,
                        port=int(ports[0]) if ports else None,
                    )
                )
    return found


# --- AWS: Secrets Manager, ECS, Lambda -------------------------------------------------------


class SecretStore:
    """The platforms' secret stores for one plan: Secrets Manager in moto, the rest from the plan."""

    def __init__(
        self,
        plan: PlanResult,
        *,
        moto_endpoint: str,
        compose_binary: str,
        localize: Callable[[dict[str, str]], dict[str, str]],
    ):
        self.plan = plan
        self.compose_binary = compose_binary
        self.moto_endpoint = moto_endpoint
        self.localize = localize
        self.documents: dict[str, dict[str, str]] = {}  # planned ARN -> JSON object (as planned)
        self._seeded = False
        self._clients: dict[str, Any] = {}

    def _client(self, region: str):
        import boto3

        if region not in self._clients:
            self._clients[region] = boto3.client(
                "secretsmanager",
                endpoint_url=self.moto_endpoint,
                region_name=region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return self._clients[region]

    def seed_secrets_manager(self) -> None:
        """Create every Secrets Manager secret of the plan in moto under its planned ARN's name.

        A JSON object of env names (the service's secrets) gets the same dependency overrides
        as an environment, because the platform would hand exactly those values to the process.
        """
        if self._seeded:
            return
        secrets = {r.id: r for r in self.plan.find("aws:secretsmanager/secret:Secret")}
        for _, version in _inputs(self.plan, "aws:secretsmanager/secretVersion:SecretVersion"):
            secret = secrets[version["secretId"]]
            arn = secret.outputs["arn"]
            value = version["secretString"]
            try:
                document = json.loads(value)
            except ValueError:
                document = None
            if isinstance(document, dict):
                self.documents[arn] = document
                value = json.dumps(self.localize(document))
            region, name = arn.split(":")[3], arn.split(":")[6]
            client = self._client(region)
            try:
                client.create_secret(Name=name, SecretString=value)
            except client.exceptions.ResourceExistsException:
                client.put_secret_value(SecretId=name, SecretString=value)
        self._seeded = True

    def secrets_manager(self, value_from: str) -> str:
        """ECS `valueFrom`: arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key[:stage[:version-id]]]."""
        self.seed_secrets_manager()
        parts = value_from.split(":")
        arn, json_key = ":".join(parts[:7]), (parts[7] if len(parts) > 7 else "")
        text = self._client(parts[3]).get_secret_value(SecretId=arn)["SecretString"]
        return json.loads(text)[json_key] if json_key else text


def _ecs_task_definitions(plan: PlanResult) -> Iterable[tuple[str, list[dict]]]:
    for resource, inputs in _inputs(plan, "aws:ecs/taskDefinition:TaskDefinition"):
        definitions = inputs["containerDefinitions"]
        yield (
            inputs.get("family", resource.name),
            json.loads(definitions) if isinstance(definitions, str) else definitions,
        )


def fargate(plan: PlanResult, secrets: SecretStore) -> list[Workload]:
    image = service_image(plan)
    found = []
    for family, containers in _ecs_task_definitions(plan):
        for container in containers:
            if container["image"] != image:
                continue
            env = {item["name"]: item["value"] for item in container.get("environment", [])}
            # ECS resolves secrets before the container starts; a value is never in the task definition.
            env.update(
                {item["name"]: secrets.secrets_manager(item["valueFrom"]) for item in container.get("secrets", [])}
            )
            ports = [m["containerPort"] for m in container.get("portMappings", [])]
            found.append(
                Workload(
                    plan.target,
                    f"TaskDefinition/{family}/{container['name']}",
                    docker_argv(container.get("entryPoint"), container.get("command")),
                    env,
                    port=int(ports[0]) if ports else None,
                )
            )
    return found


def aws_lambda(plan: PlanResult, secrets: SecretStore) -> list[Workload]:
    secrets.seed_secrets_manager()  # the function reads its secret itself; it only has to exist
    found = []
    for resource, inputs in _inputs(plan, "aws:lambda/function:Function"):
        name = inputs.get("name", resource.name)
        config = inputs.get("imageConfig", {})
        argv = list(config.get("entryPoints") or []) + list(config.get("commands") or [])
        env = dict(inputs.get("environment", {}).get("variables", {}))
        # A function `pulumi up` invokes (aws.lambda.Invocation) gets that invocation's input.
        invoked = [
            json.loads(i.get("input") or "{}")
            for _, i in _inputs(plan, "aws:lambda/invocation:Invocation")
            if str(i.get("functionName", "")).split(":")[-1] == name
        ]
        found.append(Workload(plan.target, f"Function/{name}", argv, env, event=invoked[0] if invoked else None))
        for _, schedule in _inputs(plan, "aws:scheduler/schedule:Schedule"):  # EventBridge Scheduler -> function
            target = schedule["target"]
            if target.get("arn", "").endswith(f":function:{name}"):
                event = json.loads(target.get("input") or "{}")
                found.append(Workload(plan.target, f"Schedule/{schedule.get('name')}", argv, env, event=event))
    return found


# --- Cloud Run -------------------------------------------------------------------------------


def cloudrun(plan: PlanResult, secrets: SecretStore) -> list[Workload]:
    image = service_image(plan)
    by_id = {r.id: inputs for r, inputs in _inputs(plan, "gcp:secretmanager/secret:Secret")}
    versions: dict[str, list[str]] = {}
    for _, version in _inputs(plan, "gcp:secretmanager/secretVersion:SecretVersion"):
        secret_id = by_id[version["secret"]]["secretId"]
        versions.setdefault(secret_id, []).append(version["secretData"])

    def access(secret: str, version: str) -> str:
        """Secret Manager: version "N" is the N-th version added, "latest" the newest."""
        secret = secret.rsplit("/", 1)[-1]  # projects/P/secrets/NAME or NAME
        assert secret in versions, f"secret {secret} is referenced but has no version in the plan"
        return versions[secret][-1] if version in ("latest", "") else versions[secret][int(version) - 1]

    found = []
    kinds = {
        "gcp:cloudrunv2/service:Service": "Service",
        "gcp:cloudrunv2/job:Job": "Job",
        "gcp:cloudrunv2/workerPool:WorkerPool": "WorkerPool",
    }
    for type_, kind in kinds.items():
        for resource, inputs in _inputs(plan, type_):
            template = inputs["template"]["template"] if kind == "Job" else inputs["template"]
            volumes = {v["name"]: v for v in template.get("volumes", [])}
            for container in template["containers"]:
                if container["image"] != image:
                    continue
                env = {}
                for item in container.get("envs", []):
                    ref = (item.get("valueSource") or {}).get("secretKeyRef")
                    env[item["name"]] = (
                        access(ref["secret"], str(ref.get("version", "latest"))) if ref else item.get("value", "")
                    )
                files = {}
                for mount in container.get("volumeMounts", []):
                    secret = volumes.get(mount["name"], {}).get("secret")
                    for entry in (secret or {}).get("items", []):
                        files[f"{mount['mountPath'].rstrip('/')}/{entry['path']}"] = access(
                            secret["secret"], str(entry.get("version", "latest"))
                        )
                port = None
                if kind == "Service":  # Cloud Run sets PORT itself for services (and rejects it in env)
                    port = int((container.get("ports") or {}).get("containerPort", 8080))
                    env["PORT"] = str(port)
                found.append(
                    Workload(
                        plan.target,
                        f"{kind}/{inputs.get('name', resource.name)}",
                        docker_argv(container.get("commands"), container.get("args")),
                        env,
                        files,
                        port=port,
                    )
                )
    return found


READERS: dict[str, Callable[[PlanResult, SecretStore], list[Workload]]] = {
    "droplet": droplet,
    "local": local,
    "local-compose": local_compose,
    "kubernetes": kubernetes,
    "fargate": fargate,
    "cloudrun": cloudrun,
    "lambda": aws_lambda,
}


def workloads(plan: PlanResult, secrets: SecretStore, reader: str | None = None) -> list[Workload]:
    """The plan's workloads as its target runs them (`reader` picks another way the same plan is run)."""
    found = READERS[reader or plan.target](plan, secrets)
    assert found, f"{plan.stack}: the plan renders no workload of the service image"
    return found
