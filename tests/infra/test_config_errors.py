"""Bad stack config fails fast: exit 2, one line per problem naming `ai-service:<key>`, nothing registered."""

from __future__ import annotations

import textwrap

import pytest

from infra.settings import ConfigError, load_settings
from infra.tooling.cli import main
from infra.tooling.plan.mocks import PlanMocks, RecordingMonitor
from infra.tooling.plan.runner import run_program
from infra.tooling.plan.stackfile import StackConfig
from stacks.program import run
from tests.fixtures.plan import run_cli

# (stack file config body, key the error must name, words the message must contain)
BAD_CONFIGS = [
    ("ai-service:target: heroku", "ai-service:target", "droplet"),
    ("ai-service:apiReplicas: lots", "ai-service:apiReplicas", "integer"),
    ("ai-service:apiReplicas: 0", "ai-service:apiReplicas", "greater than or equal to 1"),
    ("ai-service:apiReplicas: 500", "ai-service:apiReplicas", "less than or equal to 50"),
    ("ai-service:apiReplica: 3", "ai-service:apiReplica", "did you mean 'apiReplicas'"),
    ("ai-service:monitoring: maybe", "ai-service:monitoring", "boolean"),
    ("ai-service:sshAllowedCidrs: ['0.0.0.0/0']", "ai-service:sshAllowedCidrs[0]", "whole internet"),
    ("ai-service:sshAllowedCidrs: ['10.0.0.300/32']", "ai-service:sshAllowedCidrs[0]", "not a CIDR"),
    ("ai-service:sshAllowedCidrs: ['203.0.113.7/24']", "ai-service:sshAllowedCidrs[0]", "host bits"),
    ("ai-service:domain: 'not a domain'", "ai-service:domain", "DNS name"),
    ("ai-service:domain: -bad-.example.com", "ai-service:domain", "DNS name"),
    ("ai-service:letsencryptEmail: ops-at-example", "ai-service:letsencryptEmail", "e-mail"),
    ("ai-service:image: 'ghcr.io/acme/api'", "ai-service:image", "sha256"),
    ("ai-service:logLevel: verbose", "ai-service:logLevel", "INFO"),
    (
        "ai-service:workers: [{name: docs, queues: [document_processing], replicsa: 2}]",
        "ai-service:workers[0].replicsa",
        "did you mean 'replicas'",
    ),
    ("ai-service:workers: [{name: docs, queues: []}]", "ai-service:workers[0].queues", "at least 1"),
    ("ai-service:workers: [{name: Docs!, queues: [q]}]", "ai-service:workers[0].name", "pattern"),
    ("ai-service:workers: [{name: a, queues: [q]}, {name: a, queues: [r]}]", "ai-service:workers", "unique: a"),
    ("ai-service:workers: [{name: a, queues: [q], memory: 64}]", "ai-service:workers[0].memory", "128"),
    ("ai-service:database: {version: 12}", "ai-service:database.version", "16"),
    ("ai-service:database: {url: 'mysql://x'}", "ai-service:database.url", "postgresql://"),
    ("ai-service:redis: {url: 'http://cache'}", "ai-service:redis.url", "redis://"),
    ("ai-service:droplet: {sizee: s-1vcpu-1gb}", "ai-service:droplet.sizee", "did you mean 'size'"),
    ("ai-service:droplet: {sshPublicKey: 'not-a-key'}", "ai-service:droplet.sshPublicKey", "OpenSSH"),
    ("ai-service:target: droplet", "ai-service:sshAllowedCidrs", "required for target droplet"),
    ("ai-service:budgetMonthlyUsd: -5", "ai-service:budgetMonthlyUsd", "greater than or equal to 0"),
    ("ai-service:accessories: [{name: redis, image: 'redis:7'}]", "ai-service:accessories[0].name", "uses itself"),
    (
        "ai-service:accessories: [{name: gw, image: 'acme/gw:latest'}]",
        "ai-service:accessories[0].image",
        "not a pinned image",
    ),
    (
        "ai-service:accessories: [{name: gw, image: 'acme/gw:1', public: true}]",
        "ai-service:accessories[0]",
        "public needs `port`",
    ),
    (
        "ai-service:accessories: [{name: gw, image: 'acme/gw:1', volumes: [{name: d, path: data}]}]",
        "ai-service:accessories[0].volumes[0].path",
        "pattern",
    ),
    (
        "ai-service:accessories: [{name: gw, image: 'acme/gw:1', secretEnv: {api-token: x}}]",
        "ai-service:accessories[0].secretEnv",
        "A-Z",
    ),
    (
        "ai-service:accessories: [{name: gw, image: 'acme/gw:1', env: {WA_TOKEN: abc}}]",
        "ai-service:accessories[0].env",
        "move them to secretEnv",
    ),
    ("ai-service:accessories: [{name: gw-, image: 'acme/gw:1'}]", "ai-service:accessories[0].name", "pattern"),
    (
        "ai-service:accessories: [{name: gw, image: 'acme/gw:1', prot: 80}]",
        "ai-service:accessories[0].prot",
        "did you mean 'port'",
    ),
    (
        "ai-service:schedules: [{name: nightly, cron: '0 25 * * *', command: [enqueue-cleanup]}]",
        "ai-service:schedules[0].cron",
        "5-field cron",
    ),
    (
        (
            "ai-service:schedules: [{name: a, cron: '0 * * * *', command: [enqueue-cleanup]}, {name: a, cron: '0 * "
            "* * *', command: [reindex]}]"
        ),
        "ai-service:schedules",
        "unique: a",
    ),
    (
        "ai-service:schedules: [{name: nightly, cron: '0 3 * * *', command: [reindx]}]",
        "ai-service:schedules[0].command",
        "'reindx' is not a command the service runs on a schedule; one of: enqueue-cleanup, reconcile, reindex",
    ),
    (
        "ai-service:schedules: [{name: nightly, cron: '0 3 * * *', command: [reindex, --fast]}]",
        "ai-service:schedules[0].command",
        "does not take --fast",
    ),
    # The app's own environment and commands (your own image).
    ("ai-service:env: {ANTHROPIC_API_KEY: sk-ant-1}", "ai-service:env", "move them to secretEnv"),
    ("ai-service:env: {DATABASE_URL: 'postgresql://x'}", "ai-service:env", "set by the stack (ai-service:database)"),
    ("ai-service:env: {default-model: x}", "ai-service:env", "must match"),
    (
        "ai-service:secretEnv: {SENTRY_DSN: 'https://k@o1.ingest.sentry.io/1'}",
        "ai-service:secretEnv.SENTRY_DSN",
        "plain text",
    ),
    ("ai-service:secretEnv: {PORT: {secure: v1:x}}", "ai-service:secretEnv", "set by the stack (ai-service:port)"),
    ("ai-service:port: 8001", "ai-service:port", "metrics port"),
    (
        (
            "ai-service:env: {ACCESSORY_GW_URL: 'http://x'}\n"
            "ai-service:accessories: [{name: gw, image: 'acme/gw:1', port: 80}]"
        ),
        "ai-service:env.ACCESSORY_GW_URL",
        "set by the stack from ai-service:accessories",
    ),
    ("ai-service:port: 80", "ai-service:port", "greater than or equal to 1024"),
    ("ai-service:health: {liveness: healthz}", "ai-service:health.liveness", "pattern"),
    ("ai-service:commands: {api: []}", "ai-service:commands.api", "at least 1"),
    ("ai-service:commands: {apii: [uvicorn]}", "ai-service:commands.apii", "did you mean 'api'"),
    ("ai-service:requestTimeoutS: 1", "ai-service:requestTimeoutS", "greater than or equal to 5"),
    # Target lambda runs the image through its handler, behind a gateway that waits at most 30 s.
    (
        "ai-service:target: lambda\nai-service:commands: {api: [uvicorn, bot.main:app]}",
        "ai-service:commands",
        "through its Lambda handler",
    ),
    ("ai-service:target: lambda\nai-service:requestTimeoutS: 300", "ai-service:requestTimeoutS", "API Gateway"),
    (
        "ai-service:image: ghcr.io/x/y:1.0\nai-service:build: {dockerfile: examples/vision-ocr/Dockerfile}",
        "ai-service:build",
        "set either `image` or `build`",
    ),
    ("ai-service:build: {context: /home/me/app}", "ai-service:build.context", "pattern"),
    (
        (
            "ai-service:target: lambda\nai-service:appEnv: development\nai-service:accessories: [{name: gw, image: "
            "'acme/gw:1'}]"
        ),
        "ai-service:accessories",
        "runs the API only",
    ),
    (
        (
            "ai-service:target: fargate\nai-service:appEnv: development\nai-service:accessories: [{name: gw, image: "
            "'acme/gw:1', volumes: [{name: d, path: /data}]}]"
        ),
        "ai-service:accessories[0].volumes",
        "no persistent volumes",
    ),
    (
        (
            "ai-service:target: cloudrun\nai-service:accessories: [{name: gw, image: 'acme/gw:1', volumes: [{name: "
            "d, path: /data}]}]"
        ),
        "ai-service:accessories[0].volumes",
        "no persistent volumes",
    ),
    (
        (
            "ai-service:target: fargate\nai-service:appEnv: development\nai-service:schedules: [{name: a, cron: '0 "
            "0 1 * 1', command: [enqueue-cleanup]}]"
        ),
        "ai-service:schedules[0].cron",
        "both day-of-month and day-of-week",
    ),
    # Secrets written in plain text: refused with the command that encrypts them (never echoing the value).
    (
        "ai-service:openaiApiKey: sk-live-5f2a",
        "ai-service:openaiApiKey",
        "encrypt it: pulumi config set --secret ai-service:openaiApiKey '<value>'",
    ),
    ("ai-service:apiKeys: 'default:k-91c2'", "ai-service:apiKeys", "pulumi config set --secret ai-service:apiKeys"),
    (
        "ai-service:alertSlackWebhook: https://hooks.slack.com/services/T0/B0/x",
        "ai-service:alertSlackWebhook",
        "secret in plain text",
    ),
    (
        "ai-service:database: {url: 'postgresql://app:pw@db.example.com/app'}",
        "ai-service:database.url",
        "pulumi config set --secret --path ai-service:database.url",
    ),
    (
        "ai-service:database: {url: 'postgresql://app@db.example.com/app?password=pw'}",
        "ai-service:database.url",
        "secret in plain text",
    ),
    (
        "ai-service:redis: {url: 'rediss://:pw@cache.example.com:6380/0'}",
        "ai-service:redis.url",
        "pulumi config set --secret --path ai-service:redis.url",
    ),
    (
        "ai-service:accessories: [{name: gw, image: 'acme/gw:1', secretEnv: {GW_TOKEN: t0k}}]",
        "ai-service:accessories[0].secretEnv.GW_TOKEN",
        "--path 'ai-service:accessories[0].secretEnv.GW_TOKEN' '<value>'",
    ),
    (
        (
            "ai-service:target: kubernetes\nai-service:domain: api.example.com\nai-service:letsencryptEmail: "
            "ops@example.com\nai-service:kubernetes: {cluster: {create: false}, kubeconfig: 'apiVersion: v1'}"
        ),
        "ai-service:kubernetes.kubeconfig",
        "secret in plain text",
    ),
    # An existing cluster has no VPC to put a managed database in.
    (
        (
            "ai-service:target: kubernetes\nai-service:domain: api.example.com\nai-service:letsencryptEmail: "
            "ops@example.com\nai-service:kubernetes: {cluster: {create: false}, kubeconfig: {secure: v1:x}}"
        ),
        "ai-service:database.url",
        "required when kubernetes.cluster.create is false",
    ),
]


def _stack_file(tmp_path, body: str):
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text("config:\n" + textwrap.indent(body, "  ") + "\n")
    return path


@pytest.mark.parametrize(("body", "key", "words"), BAD_CONFIGS, ids=[c[1] + ":" + c[2][:20] for c in BAD_CONFIGS])
def test_bad_config_is_one_line_naming_the_key(tmp_path, capsys, body, key, words):
    code = main(["plan", "bad", "--config-file", str(_stack_file(tmp_path, body))])
    out, err = capsys.readouterr()
    assert code == 2, err
    lines = err.strip().splitlines()
    matching = [line for line in lines if line.startswith(f"{key}: ")]
    assert matching, f"no line names {key}: {lines}"
    assert words in matching[0]
    assert out == "", "a config error must not print a plan"


def test_every_problem_is_reported_at_once_by_the_cli(tmp_path):
    body = "ai-service:apiReplicas: 0\nai-service:logLevel: loud\nai-service:monitorin: true"
    result = run_cli("plan", "bad", "--config-file", str(_stack_file(tmp_path, body)))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    keys = {line.split(": ", 1)[0] for line in result.stderr.strip().splitlines()}
    assert keys == {"ai-service:apiReplicas", "ai-service:logLevel", "ai-service:monitorin"}


def test_program_registers_no_resource_on_bad_config():
    """The same validation runs inside the Pulumi program (pulumi up) before any resource exists."""
    monitor = RecordingMonitor(PlanMocks())
    config = StackConfig("ai-service", "bad", {"ai-service:target": "droplet", "ai-service:apiReplicas": "0"}, [])
    with pytest.raises(ConfigError) as error:
        run_program(run, config, monitor=monitor)
    assert "ai-service:apiReplicas" in str(error.value)
    assert monitor.planned == []


def test_unimplemented_target_is_a_config_error(monkeypatch):
    from stacks import program

    monkeypatch.setitem(program.STACK_MODULES, program.Target.LOCAL, "stacks.not_there")
    with pytest.raises(ConfigError, match=r"^ai-service:target: target 'local' is not implemented yet$"):
        program.deployer(load_settings({}))


def test_provider_namespaces_are_left_to_providers():
    settings = load_settings({"aws:region": "eu-west-1", "digitalocean:token": "x", "ai-service:apiReplicas": "3"})
    assert settings.api_replicas == 3


def test_missing_stack_file_names_the_file(tmp_path):
    result = run_cli("plan", "nosuchstack")
    assert result.returncode == 2
    assert "Pulumi.nosuchstack.yaml" in result.stderr


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  ai-service:apiReplicas: [1\n")
    result = run_cli("plan", "x", "--config-file", str(path))
    assert result.returncode == 2
    assert "is not valid YAML" in result.stderr and "line" in result.stderr


def test_secrets_marked_secret_by_the_engine_are_accepted():
    """Under `pulumi up` values arrive decrypted; the engine lists the keys that were `secure:` (or ESC secrets)."""
    raw = {
        "ai-service:openaiApiKey": "sk-live-5f2a",
        "ai-service:database": '{"url": "postgresql://app:pw@db.example.com/app"}',
    }
    with pytest.raises(ConfigError):
        load_settings(raw)
    settings = load_settings(raw, secret_keys={"ai-service:openaiApiKey", "ai-service:database"})
    assert settings.database.url is not None and settings.database.url.get_secret_value().startswith(
        "postgresql://app:pw@"
    )


def test_connection_urls_without_a_password_may_stay_plain():
    settings = load_settings(
        {
            "ai-service:redis": '{"url": "redis://cache.internal:6379/0"}',
            "ai-service:database": '{"url": "postgresql://app@db.internal/app?sslmode=require"}',
        }
    )
    assert settings.redis.url is not None and settings.database.url is not None


def test_the_refusal_never_prints_the_value(tmp_path, capsys):
    body = "ai-service:openaiApiKey: sk-live-SENTINEL-77\nai-service:redis: {url: 'redis://:SENTINEL-pw@cache:6379/0'}"
    assert main(["plan", "bad", "--config-file", str(_stack_file(tmp_path, body))]) == 2
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 2 and "SENTINEL" not in out + err


def test_the_program_reads_secret_keys_the_way_the_engine_passes_them(monkeypatch):
    """`pulumi up`: the language host passes config and its secret keys in PULUMI_CONFIG(_SECRET_KEYS)."""
    import json

    import pulumi

    from infra.settings import settings_from_pulumi_config

    pulumi.runtime.set_all_config({}, [])
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"ai-service:openaiApiKey": "sk-live-5f2a"}))
    monkeypatch.delenv("PULUMI_CONFIG_SECRET_KEYS", raising=False)
    with pytest.raises(ConfigError, match=r"^ai-service:openaiApiKey: secret in plain text"):
        settings_from_pulumi_config()
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["ai-service:openaiApiKey"]))
    assert settings_from_pulumi_config().openai_api_key is not None
    monkeypatch.delenv("PULUMI_CONFIG_SECRET_KEYS")
    pulumi.runtime.set_all_config({"ai-service:openaiApiKey": "sk-live-5f2a"}, ["ai-service:openaiApiKey"])
    try:
        assert settings_from_pulumi_config().openai_api_key is not None  # set_all_config + is_config_secret
    finally:
        pulumi.runtime.set_all_config({}, [])
