"""The JSON Schema of a stack file (`Pulumi.<stack>.yaml`), as strict as the settings loader.

Built from the settings model's own JSON Schema, then tightened with what the model checks in
Python validators and JSON Schema can still say: patterns (DNS names, e-mail, image references,
CIDRs, cron), enums (Cloud Run CPUs, Fargate sizes, CloudWatch retention, schedulable commands),
`{secure: …}` for every secret, and the conditional requirements of a target. What JSON Schema
cannot say (uniqueness by name, comparisons between two values, host bits of a CIDR, a cron field's
range) stays with the loader; tests/infra/test_schema.py lists each such case.

`pulumi config set` writes top-level scalars as YAML strings and `--path` may do the same inside
objects; the loader converts them, so integers, numbers and booleans also accept their string form.
"""

from __future__ import annotations

import copy
from typing import Any

from infra.contract import CONTRACT_ENV, WORKER_METRICS_PORT
from infra.settings.aws import FARGATE_CPU_MEMORY, LOG_RETENTION_DAYS
from infra.settings.checks import LAMBDA_GATEWAY_WAIT_S
from infra.settings.extras import ACCESSORY_NAME, IMAGE_REF, RESERVED_NAMES
from infra.settings.gcp import API_CPUS, CUSTOM_DB_TIER, MEMORY, SHARED_DB_TIERS
from infra.settings.model import DNS_NAME, QUEUE_NAME, Settings
from infra.settings.schedules import SCHEDULABLE
from infra.settings.secrets import SECRET_NAME
from infra.settings.service import ENV_NAME, Commands

NAMESPACE = "ai-service"
SECURE = {
    "type": "object",
    "description": "An encrypted value: `pulumi config set --secret …` writes it.",
    "properties": {"secure": {"type": "string", "minLength": 1}},
    "required": ["secure"],
    "additionalProperties": False,
}
SECURE_REF = {"$ref": "#/$defs/Secure"}
# A connection URL may stay plain only without a password (userinfo `user:pw@` or `password=`).
URL_WITHOUT_PASSWORD = {
    "type": "string",
    "not": {
        "anyOf": [
            {"pattern": "^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@]*:[^/?#@]+@"},
            {"pattern": "[?&][Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]=[^&]"},
        ]
    },
}
SCALAR_STRINGS = {
    "integer": {"type": "string", "pattern": r"^-?[0-9]+$"},
    "number": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
    "boolean": {"type": "string", "enum": ["true", "false", "True", "False"]},
}
EMAIL = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"
OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
CIDR = (
    rf"^({OCTET}\.){{3}}{OCTET}/([1-9]|[12][0-9]|3[0-2])$"
    r"|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*/([1-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$"
)


def _cron_field(number: str, *extra: str) -> str:
    """A comma list of `*`, N or N-M, each with an optional /step; `extra` adds whole tokens (L, 15W, 1#2)."""
    element = rf"(\*|({number})(-({number}))?)(/[0-9]+)?"
    item = "|".join((element, *extra))
    return rf"({item})(,({item}))*"


NAME = "[A-Za-z]{3}"
CRON = (
    r"^\s*"
    + r"\s+".join(
        (
            _cron_field("[0-5]?[0-9]"),
            _cron_field("[01]?[0-9]|2[0-3]"),
            _cron_field("0?[1-9]|[12][0-9]|3[01]", "L", "[0-9]{1,2}W", r"\?"),
            _cron_field(f"0?[1-9]|1[0-2]|{NAME}"),
            _cron_field(f"[0-7]|{NAME}", r"\?", f"([0-7]|{NAME})#[1-5]"),
        )
    )
    + r"\s*$"
)
# EventBridge Scheduler (fargate, lambda): not both day fields restricted, no step through weekdays.
EVENTBRIDGE_REFUSES = [r"^\s*\S+\s+\S+\s+(?!\*\s)\S+\s+\S+\s+(?!\*\s*$)\S+\s*$", r"^\s*(\S+\s+){4}\S*/\S*\s*$"]
SSH_KEY = r"^$|^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+) [A-Za-z0-9+/=]+( .*)?$"
# The env names the policy floor treats as secrets (names are upper case, so no case folding is needed).
SECRETISH_ENV = SECRET_NAME.pattern.upper()
# Env the stacks set themselves: the app's own env and secretEnv may not redefine it.
CONTRACT_NAMES = {"enum": sorted(CONTRACT_ENV)}
PROVIDER_KEY = rf"^(?!{NAMESPACE}:)[A-Za-z0-9_-]+:[A-Za-z0-9_.:-]+$"


def _ints(values) -> dict:
    """An enum of integers that also accepts their string form."""
    return {"enum": [*values, *map(str, values)]}


def _optional(pattern: str) -> dict:
    return {"pattern": f"^$|{pattern}"}


def _command() -> dict:
    return {
        "anyOf": [
            {"prefixItems": [{"const": name}], "items": {"enum": sorted(options)} if options else False}
            for name, options in sorted(SCHEDULABLE.items())
        ]
    }


# (definition, property alias) -> schema the value must also satisfy. "Settings" = top-level keys.
FIELD_RULES: dict[tuple[str, str], dict] = {
    ("Settings", "domain"): _optional(DNS_NAME.pattern),
    ("Settings", "letsencryptEmail"): _optional(EMAIL),
    ("Settings", "image"): _optional(IMAGE_REF.pattern),
    ("Settings", "sshAllowedCidrs"): {"items": {"pattern": CIDR}},
    ("WorkerGroup", "queues"): {"items": {"pattern": QUEUE_NAME.pattern}},
    ("Schedule", "cron"): {"pattern": CRON},
    ("Accessory", "name"): {
        "pattern": ACCESSORY_NAME,
        "not": {"anyOf": [{"enum": sorted(RESERVED_NAMES)}, {"pattern": "^(api|worker|ai-service)-"}]},
    },
    ("Accessory", "image"): {"pattern": IMAGE_REF.pattern, "not": {"pattern": ":latest$"}},
    ("Accessory", "env"): {"propertyNames": {"pattern": ENV_NAME.pattern, "not": {"pattern": SECRETISH_ENV}}},
    ("Accessory", "secretEnv"): {"propertyNames": {"pattern": ENV_NAME.pattern}},
    ("Settings", "port"): {"not": _ints([WORKER_METRICS_PORT])},
    ("Settings", "env"): {
        "propertyNames": {"pattern": ENV_NAME.pattern, "not": {"anyOf": [{"pattern": SECRETISH_ENV}, CONTRACT_NAMES]}}
    },
    ("Settings", "secretEnv"): {"propertyNames": {"pattern": ENV_NAME.pattern, "not": CONTRACT_NAMES}},
    ("DropletConfig", "sshPublicKey"): {"pattern": SSH_KEY},
    ("DatabaseConfig", "url"): {"anyOf": [SECURE_REF, {"type": "null"}, {"pattern": "^postgres(ql)?://"}]},
    ("RedisConfig", "url"): {"anyOf": [SECURE_REF, {"type": "null"}, {"pattern": "^rediss?://"}]},
    ("CloudRunConfig", "apiCpu"): _ints(API_CPUS),
    ("CloudRunConfig", "apiMemory"): {"pattern": MEMORY.pattern},
    ("CloudRunConfig", "dbTier"): {"anyOf": [{"enum": list(SHARED_DB_TIERS)}, {"pattern": CUSTOM_DB_TIER.pattern}]},
    ("CloudRunConfig", "notificationEmail"): _optional(EMAIL),
    ("FargateConfig", "apiCpu"): _ints(FARGATE_CPU_MEMORY),
    ("FargateConfig", "logRetentionDays"): _ints(LOG_RETENTION_DAYS),
    ("LambdaConfig", "logRetentionDays"): _ints(LOG_RETENTION_DAYS),
}

# definition -> schemas the whole object must also satisfy.
OBJECT_RULES: dict[str, list[dict]] = {
    "Accessory": [
        {
            "if": {"properties": {"public": {"enum": [True, "true", "True"]}}, "required": ["public"]},
            "then": {"required": ["port"]},
        },
        {
            "if": {"required": ["csp"]},
            "then": {"properties": {"public": {"enum": [True, "true", "True"]}}, "required": ["public"]},
        },
    ],
    "FargateConfig": [
        {
            "if": {"properties": {"apiCpu": _ints([cpu])}, "required": ["apiCpu"]},
            "then": {"properties": {"apiMemory": _ints(memories)}},
        }
        for cpu, memories in FARGATE_CPU_MEMORY.items()
    ]
    + [
        {
            "if": {"not": {"required": ["apiCpu"]}},
            "then": {"properties": {"apiMemory": _ints(FARGATE_CPU_MEMORY[1024])}},
        }
    ],
}


def _key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


def _target_is(target: str) -> dict:
    return {"properties": {_key("target"): {"const": target}}, "required": [_key("target")]}


def _lambda_contract() -> dict:
    """Target lambda: the reference commands only (the handler runs the image), an API Gateway-sized wait."""
    default_wait = Settings.model_fields["request_timeout_s"].default
    allowed = "|".join(map(str, [*range(LAMBDA_GATEWAY_WAIT_S, -1, -1), default_wait]))
    waits = [
        {"type": "integer", "maximum": LAMBDA_GATEWAY_WAIT_S},
        {"const": default_wait},
        {"type": "string", "pattern": f"^({allowed})$"},
    ]
    commands = {
        field.alias or name: {"const": list(getattr(Commands(), name))} for name, field in Commands.model_fields.items()
    }
    return {
        "properties": {
            _key("commands"): {"properties": commands},
            _key("requestTimeoutS"): {"anyOf": waits},
        }
    }


def _conditional_rules() -> list[dict]:
    """Requirements that depend on the target or another key (the loader's cross-key checks)."""
    existing_cluster = {
        "properties": {
            _key("kubernetes"): {
                "properties": {
                    "cluster": {"properties": {"create": {"enum": [False, "false", "False"]}}, "required": ["create"]}
                },
                "required": ["cluster"],
            }
        },
        "required": [_key("kubernetes")],
    }
    development = {"properties": {_key("appEnv"): {"const": "development"}}, "required": [_key("appEnv")]}
    no_domain = {"anyOf": [{"not": {"required": [_key("domain")]}}, {"properties": {_key("domain"): {"const": ""}}}]}
    no_volumes = {"properties": {_key("accessories"): {"items": {"properties": {"volumes": {"maxItems": 0}}}}}}
    eventbridge_cron = {
        "properties": {
            _key("schedules"): {
                "items": {"properties": {"cron": {"not": {"anyOf": [{"pattern": p} for p in EVENTBRIDGE_REFUSES]}}}}
            }
        }
    }
    reference_tasks = {
        "anyOf": [
            {"not": {"required": [_key("commands")]}},
            {"properties": {_key("commands"): {"not": {"required": ["task"]}}}},
            {"properties": {_key("commands"): {"properties": {"task": {"const": ["ai-service"]}}}}},
        ]
    }
    return [
        {
            # The reference service's scheduled commands are known; another app's (`commands.task`) are its own.
            "if": reference_tasks,
            "then": {"properties": {_key("schedules"): {"items": {"properties": {"command": _command()}}}}},
        },
        {
            "if": {"properties": {_key("target"): {"enum": ["fargate", "cloudrun"]}}, "required": [_key("target")]},
            "then": no_volumes,
        },
        {
            "if": {"properties": {_key("target"): {"enum": ["fargate", "lambda"]}}, "required": [_key("target")]},
            "then": eventbridge_cron,
        },
        {
            "if": _target_is("droplet"),
            "then": {"required": [_key("sshAllowedCidrs")], "anyOf": [development, {"required": [_key("domain")]}]},
        },
        {
            # A prebuilt image is deployed as is: there is nothing to build.
            "if": {"properties": {_key("image"): {"minLength": 1}}, "required": [_key("image")]},
            "then": {"not": {"required": [_key("build")]}},
        },
        {"if": _target_is("kubernetes"), "then": {"required": [_key("domain"), _key("letsencryptEmail")]}},
        {
            "if": _target_is("lambda"),
            "then": {"allOf": [no_domain, {"not": {"required": [_key("accessories")]}}, _lambda_contract()]},
        },
        {"if": _target_is("fargate"), "then": {"anyOf": [development, {"required": [_key("domain")]}]}},
        {
            "if": existing_cluster,
            "then": {
                "required": [_key("database")],
                "properties": {
                    _key("kubernetes"): {"required": ["kubeconfig"]},
                    _key("database"): {"required": ["url"]},
                },
            },
        },
    ]


def _strict(node: Any) -> Any:
    """Secrets become `{secure: …}`; integers, numbers and booleans also take their string form."""
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _strict(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
    if node.get("format") == "password":
        return SECURE_REF
    if node.pop("secretWhen", None) == "password":
        node["anyOf"] = [*node["anyOf"], URL_WITHOUT_PASSWORD]
    if node.get("type") in SCALAR_STRINGS:
        return {"anyOf": [node, SCALAR_STRINGS[node["type"]]]}
    return node


def _with_rules(properties: dict, definition: str) -> dict:
    out = dict(properties)
    for (where, alias), rule in FIELD_RULES.items():
        if where == definition:
            out[alias] = {"allOf": [out[alias], rule], "description": out[alias].get("description", "")}
    return out


def stack_file_schema() -> dict:
    model = copy.deepcopy(Settings.model_json_schema(by_alias=True))
    defs: dict[str, Any] = model.pop("$defs", {})
    for name, definition in defs.items():
        if "properties" in definition:
            definition["properties"] = _with_rules(definition["properties"], name)
        if name in OBJECT_RULES:
            definition["allOf"] = OBJECT_RULES[name]
    # Top-level defaults live in Pulumi.yaml (the engine applies them); the loader's model repeats them.
    properties = {
        _key(alias): {k: v for k, v in prop.items() if k != "default"}
        for alias, prop in _with_rules(model["properties"], "Settings").items()
    }
    defs = _strict(defs)
    properties = _strict(properties)
    defs["Secure"] = SECURE
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ai-service stack config (Pulumi.<stack>.yaml)",
        "type": "object",
        "properties": {
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {
                "description": "Pulumi ESC environments imported by this stack.",
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
            },
            "config": {
                "type": "object",
                "properties": {
                    **properties,
                    "pulumi:tags": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Stack tags (Pulumi's own namespace).",
                    },
                },
                # Other namespaces belong to providers (aws:region, gcp:project, pulumi:…); the loader leaves them too.
                "patternProperties": {PROVIDER_KEY: {}},
                "additionalProperties": False,
                "allOf": _conditional_rules(),
            },
        },
        "additionalProperties": False,
        "$defs": defs,
    }
