"""Your own app on AWS: `commands`, `port`, `health`, `requestTimeoutS`, `env` and `secretEnv` from stack
config reach every workload Fargate and Lambda run, and secret values reach only Secrets Manager."""

from __future__ import annotations

import json

import pytest

from infra.tooling.plan.report import json_report, text_report
from infra.tooling.values import Secret
from tests.aws.helpers import containers, props, sg_id, validate_request

ANTHROPIC = "sk-ant-SENTINEL-own-app-3c1f"
SENTRY = "https://SENTINEL-dsn-77a2@o1.ingest.sentry.io/1"
SECRET_ENV = {"ANTHROPIC_API_KEY": ANTHROPIC, "SENTRY_DSN": SENTRY}
ENV = {"DEFAULT_MODEL": "claude-sonnet-4-5", "TESSDATA_PREFIX": "/usr/share/tesseract-ocr/5/tessdata"}
# Set like `pulumi config set --secret --path 'ai-service:secretEnv.ANTHROPIC_API_KEY' …` does.
OWN_APP = {
    "env": ENV,
    "secretEnv": Secret(SECRET_ENV),
    "port": 8080,
    "health": {"liveness": "/healthz", "readiness": "/readyz"},
}
COMMANDS = {
    "api": ["uvicorn", "bot.main:app", "--host", "0.0.0.0", "--port", "8080"],
    "worker": ["python", "-m", "bot.worker", "--queues", "{queues}"],
    "migrate": ["alembic", "upgrade", "head"],
    "task": ["python", "-m", "bot.tasks"],
}
SCHEDULES = [{"name": "digest", "cron": "0 8 * * *", "command": ["send-digest", "--daily"]}]


@pytest.fixture(scope="module")
def fargate_app(plan_stack):
    return plan_stack("aws", **OWN_APP, commands=COMMANDS, schedules=SCHEDULES, requestTimeoutS=300)


@pytest.fixture(scope="module")
def lambda_app(plan_stack):
    return plan_stack("serverless", **OWN_APP, requestTimeoutS=20)


def _argv(container: dict) -> list[str]:
    return [*container["entryPoint"], *container.get("command", [])]


def _secret_document(result, name: str) -> dict[str, str]:
    version = result.one("secretsmanager/secretVersion:SecretVersion", name).inputs["secretString"]
    assert isinstance(version, Secret)  # a Pulumi secret in state
    return json.loads(version.value)


def _assert_no_secret_value(result) -> None:
    outputs = [json_report(result), text_report(result), *result.artifacts.values()]
    for value in SECRET_ENV.values():
        assert [text for text in outputs if value in text] == []


# ── Fargate ─────────────────────────────────────────────────────────────────


def test_fargate_plan_is_clean_with_the_same_resources(fargate_app, plan_stack):
    assert fargate_app.problems == [] and fargate_app.violations == []
    # Nothing more to run: the app's secrets join the existing bundles (one schedule replaced by another).
    assert len(fargate_app.resources) == len(plan_stack("aws").resources)


def test_every_fargate_role_runs_its_argv_from_commands(fargate_app):
    api = containers(fargate_app, "api")
    assert (api["api"]["entryPoint"], api["api"]["command"]) == (["uvicorn"], COMMANDS["api"][1:])
    assert _argv(api["migrate"]) == ["alembic", "upgrade", "head"]
    for group, queues in (("documents", "document_processing"), ("cleanup", "cleanup_tasks")):
        worker = containers(fargate_app, group)["worker"]
        assert (worker["entryPoint"], worker["command"]) == (["python"], ["-m", "bot.worker", "--queues", queues])
    job = containers(fargate_app, "schedule-digest")["job"]
    assert _argv(job) == ["python", "-m", "bot.tasks", "send-digest", "--daily"]


def test_the_scheduled_run_starts_the_task_definition_as_rendered(fargate_app):
    """No container overrides on the EventBridge target: the task definition carries the whole argv."""
    schedule = props(fargate_app.one("scheduler/schedule:Schedule", "aws-schedule-digest"))
    assert schedule["description"] == "python -m bot.tasks send-digest --daily (0 8 * * * UTC)"
    target = schedule["target"]
    assert (
        target["ecsParameters"]["taskDefinitionArn"]
        == fargate_app.one("TaskDefinition", "aws-schedule-digest").outputs["arn"]
    )
    assert "input" not in target and "overrides" not in json.dumps(target).lower()


def test_fargate_port_and_liveness_reach_task_balancer_and_firewalls(fargate_app):
    api = containers(fargate_app, "api")["api"]
    assert api["portMappings"] == [{"containerPort": 8080, "protocol": "tcp", "name": "api-http"}]
    assert {"name": "PORT", "value": "8080"} in api["environment"]
    assert api["healthCheck"]["command"][-1].endswith("urlopen('http://127.0.0.1:8080/healthz', timeout=3)")
    group = props(fargate_app.one("lb/targetGroup:TargetGroup", "aws-api"))
    assert (group["port"], group["healthCheck"]["path"]) == (8080, "/healthz")
    service = props(fargate_app.one("ecs/service:Service", "aws-api"))
    assert service["loadBalancers"][0]["containerPort"] == 8080
    into_tasks = props(fargate_app.one("SecurityGroupIngressRule", "aws-tasks-from-alb"))
    assert (into_tasks["fromPort"], into_tasks["toPort"]) == (8080, 8080)
    assert into_tasks["referencedSecurityGroupId"] == sg_id("aws-alb")
    alb_out = props(fargate_app.one("SecurityGroupEgressRule", "aws-alb-to-tasks"))
    assert (alb_out["fromPort"], alb_out["referencedSecurityGroupId"]) == (8080, sg_id("aws-tasks"))
    assert props(fargate_app.one("route53/healthCheck:HealthCheck"))["resourcePath"] == "/healthz"


def test_request_timeout_is_the_load_balancers_idle_timeout(fargate_app, plan_stack):
    assert props(fargate_app.one("lb/loadBalancer:LoadBalancer"))["idleTimeout"] == 300
    assert props(plan_stack("aws").one("lb/loadBalancer:LoadBalancer"))["idleTimeout"] == 60


@pytest.mark.parametrize("family", ["api", "documents", "cleanup", "schedule-digest"])
def test_env_and_secret_env_reach_every_container_secrets_only_by_reference(fargate_app, family):
    runtime = fargate_app.one("secretsmanager/secret:Secret", "aws").outputs["arn"]
    migrate = fargate_app.one("secretsmanager/secret:Secret", "aws-migrate").outputs["arn"]
    for name, container in containers(fargate_app, family).items():
        environment = {e["name"]: e["value"] for e in container["environment"]}
        assert {k: environment.get(k) for k in ENV} == ENV, name
        assert not set(SECRET_ENV) & set(environment)
        secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
        bundle = migrate if name == "migrate" else runtime  # the migrate container reads only its own secret
        assert {k: secrets.get(k) for k in SECRET_ENV} == {k: f"{bundle}:{k}::" for k in SECRET_ENV}, name


def test_fargate_secret_values_are_in_secrets_manager_only(fargate_app):
    for bundle in ("aws", "aws-migrate"):
        document = _secret_document(fargate_app, bundle)
        assert {k: document[k] for k in SECRET_ENV} == SECRET_ENV
    _assert_no_secret_value(fargate_app)


@pytest.mark.parametrize("family", ["api", "documents", "schedule-digest"])
def test_rendered_task_definitions_carry_the_argv_and_are_valid_requests(fargate_app, family):
    request = json.loads(fargate_app.artifacts[f"ecs/{family}.json"])
    validate_request("ecs", "RegisterTaskDefinition", request)
    planned = json.loads(props(fargate_app.one("TaskDefinition", f"aws-{family}"))["containerDefinitions"])
    assert request["containerDefinitions"] == planned
    assert all(c["entryPoint"] in (["uvicorn"], ["alembic"], ["python"]) for c in planned)


def test_default_commands_are_the_reference_cli_as_entrypoint(plan_stack):
    default = plan_stack("aws")
    api = containers(default, "api")
    assert (api["api"]["entryPoint"], api["api"]["command"]) == (["ai-service"], ["api"])
    assert _argv(api["migrate"]) == ["ai-service", "migrate"]
    assert _argv(containers(default, "documents")["worker"]) == [
        "ai-service",
        "worker",
        "--queues",
        "document_processing",
    ]
    assert _argv(containers(default, "schedule-cleanup")["job"]) == ["ai-service", "enqueue-cleanup"]


# ── Lambda ──────────────────────────────────────────────────────────────────


def test_lambda_plan_is_clean_and_costs_what_the_default_does(lambda_app, plan_stack):
    assert lambda_app.problems == [] and lambda_app.violations == []
    default = plan_stack("serverless")
    assert len(lambda_app.resources) == len(default.resources)
    assert lambda_app.cost.monthly_usd == default.cost.monthly_usd


@pytest.mark.parametrize(("function", "bundle"), [("api", "serverless"), ("migrate", "serverless-migrate")])
def test_lambda_env_in_the_function_secret_env_in_the_secret_it_loads(lambda_app, function, bundle):
    variables = props(lambda_app.one("lambda/function:Function", f"serverless-{function}"))["environment"]["variables"]
    assert {k: variables.get(k) for k in ENV} == ENV
    assert not set(SECRET_ENV) & set(variables)
    assert variables["SECRETS_ARN"] == lambda_app.one("secretsmanager/secret:Secret", bundle).outputs["arn"]
    assert {k: _secret_document(lambda_app, bundle)[k] for k in SECRET_ENV} == SECRET_ENV
    rendered = json.loads(lambda_app.artifacts[f"lambda/{function}.json"])
    assert {k: rendered["Environment"]["Variables"].get(k) for k in ENV} == ENV


def test_lambda_request_timeout_bounds_the_function_and_the_gateway(lambda_app, plan_stack):
    fn = props(lambda_app.one("lambda/function:Function", "serverless-api"))
    gateway = props(lambda_app.one("apigatewayv2/integration:Integration"))
    # The function stops a second before the gateway stops waiting (requestTimeoutS 20).
    assert (fn["timeout"], gateway["timeoutMilliseconds"]) == (19, 20_000)
    default = plan_stack("serverless")
    assert props(default.one("lambda/function:Function", "serverless-api"))["timeout"] == 29
    assert props(default.one("apigatewayv2/integration:Integration"))["timeoutMilliseconds"] == 30_000
    assert props(lambda_app.one("route53/healthCheck:HealthCheck"))["resourcePath"] == "/healthz"


def test_lambda_secret_values_never_reach_the_plan_or_renders(lambda_app):
    _assert_no_secret_value(lambda_app)


# ── as the platforms resolve them (the contract tests' readers, secrets in moto's Secrets Manager) ──


def _store(plan, s3_server):
    from tests.contract.platform import SecretStore

    return SecretStore(plan, moto_endpoint=s3_server.endpoint, compose_binary="", localize=dict)


def test_every_fargate_workload_starts_with_the_apps_env_and_secrets(fargate_app, s3_server):
    from tests.contract.platform import fargate

    started = {w.name: w for w in fargate(fargate_app, _store(fargate_app, s3_server))}
    assert sorted(started) == [
        "TaskDefinition/aws-api/api",
        "TaskDefinition/aws-api/migrate",
        "TaskDefinition/aws-cleanup/worker",
        "TaskDefinition/aws-documents/worker",
        "TaskDefinition/aws-schedule-digest/job",
    ]
    for name, workload in started.items():
        assert {k: workload.env.get(k) for k in {**ENV, **SECRET_ENV}} == {**ENV, **SECRET_ENV}, name
    assert started["TaskDefinition/aws-api/api"].argv == COMMANDS["api"]
    assert started["TaskDefinition/aws-api/api"].port == 8080


def test_every_lambda_function_loads_the_apps_secrets_at_cold_start(lambda_app, s3_server):
    from tests.contract.platform import aws_lambda

    store = _store(lambda_app, s3_server)
    functions = [w for w in aws_lambda(lambda_app, store) if w.name.startswith("Function/")]
    assert sorted(w.name for w in functions) == ["Function/serverless-api", "Function/serverless-migrate"]
    for workload in functions:
        loaded = store.secrets_manager(workload.env["SECRETS_ARN"])  # what the handler fetches
        assert {k: json.loads(loaded)[k] for k in SECRET_ENV} == SECRET_ENV, workload.name
        assert {k: workload.env[k] for k in ENV} == ENV
