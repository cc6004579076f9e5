"""Placeholders for pulumi_aws (and the docker-build image pushed to ECR).

Account 123456789012 is the documentation account AWS uses in its examples; hosts end in
`.invalid`; digests and suffixes derive from the resource name so plans are reproducible.
"""

from __future__ import annotations

from collections.abc import Callable

from infra.tooling.plan.placeholders.base import Outputs, token

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


def _region(inputs: Outputs) -> str:
    return inputs.get("region") or DEFAULT_REGION


def _arn(service: str, resource: str) -> Callable[[str, Outputs], Outputs]:
    def computed(name: str, inputs: Outputs) -> Outputs:
        return {"arn": f"arn:aws:{service}:{_region(inputs)}:{ACCOUNT}:{resource}/{name}"}

    return computed


def _bucket(name: str, inputs: Outputs) -> Outputs:
    bucket = inputs.get("bucket") or f"{name}-placeholder-{token(name, 8)}"
    return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "bucketRegionalDomainName": f"{bucket}.s3.invalid"}


def _log_group(name: str, inputs: Outputs) -> Outputs:
    group = inputs.get("name") or name
    return {"name": group, "arn": f"arn:aws:logs:{_region(inputs)}:{ACCOUNT}:log-group:{group}"}


def _repository(name: str, inputs: Outputs) -> Outputs:
    region = _region(inputs)
    return {
        "arn": f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}",
        "registryId": ACCOUNT,
        "name": name,
        "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{name}",
    }


def _image(name: str, inputs: Outputs) -> Outputs:
    tags = inputs.get("tags") or [f"placeholder.invalid/{name}:latest"]
    repository = str(tags[0]).rsplit(":", 1)[0]
    digest = f"sha256:{token(name + '-digest', 64)}"
    return {"digest": digest, "ref": f"{repository}@{digest}"}


def _load_balancer(name: str, inputs: Outputs) -> Outputs:
    suffix = f"app/{name}/{token(name)}"
    return {
        "arn": f"arn:aws:elasticloadbalancing:{_region(inputs)}:{ACCOUNT}:loadbalancer/{suffix}",
        "arnSuffix": suffix,
        "dnsName": f"{name}-placeholder.elb.invalid",
        "zoneId": "ZPLACEHOLDER0000",
    }


def _target_group(name: str, inputs: Outputs) -> Outputs:
    suffix = f"targetgroup/{name}/{token(name)}"
    return {"arn": f"arn:aws:elasticloadbalancing:{_region(inputs)}:{ACCOUNT}:{suffix}", "arnSuffix": suffix}


def _named_arn(service: str, resource: str) -> Callable[[str, Outputs], Outputs]:
    def computed(name: str, inputs: Outputs) -> Outputs:
        value = inputs.get("name") or name
        return {"name": value, "arn": f"arn:aws:{service}:{_region(inputs)}:{ACCOUNT}:{resource}/{value}"}

    return computed


def _secret(name: str, inputs: Outputs) -> Outputs:
    return {"arn": f"arn:aws:secretsmanager:{_region(inputs)}:{ACCOUNT}:secret:{name}-{token(name, 6)}"}


def _topic(name: str, inputs: Outputs) -> Outputs:
    return {"arn": f"arn:aws:sns:{_region(inputs)}:{ACCOUNT}:{name}"}


def _iam_role(name: str, inputs: Outputs) -> Outputs:
    role = inputs.get("name") or name
    return {"name": role, "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}"}  # IAM ARNs carry no region


def _db_instance(name: str, inputs: Outputs) -> Outputs:
    address = f"{name}-placeholder.db.invalid"
    return {
        "address": address,
        "endpoint": f"{address}:5432",
        "arn": f"arn:aws:rds:{_region(inputs)}:{ACCOUNT}:db:{name}",
    }


def _replication_group(name: str, inputs: Outputs) -> Outputs:
    return {
        "primaryEndpointAddress": f"{name}-placeholder.cache.invalid",
        "arn": f"arn:aws:elasticache:{_region(inputs)}:{ACCOUNT}:replicationgroup:{name}",
    }


def _certificate(name: str, inputs: Outputs) -> Outputs:
    domain = inputs.get("domainName", "placeholder.invalid")
    return {
        "arn": f"arn:aws:acm:{_region(inputs)}:{ACCOUNT}:certificate/{token(name, 32)}",
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{token(name)}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{token(name + 'v')}.acm-validations.invalid.",
            }
        ],
    }


def _record(name: str, inputs: Outputs) -> Outputs:
    return {"fqdn": str(inputs.get("name", name)).rstrip(".")}


def _function(name: str, inputs: Outputs) -> Outputs:
    fn = inputs.get("name") or name
    arn = f"arn:aws:lambda:{_region(inputs)}:{ACCOUNT}:function:{fn}"
    return {
        "name": fn,
        "arn": arn,
        "invokeArn": f"arn:aws:apigateway:{_region(inputs)}:lambda:path/2015-03-31/functions/{arn}/invocations",
    }


def _http_api(name: str, inputs: Outputs) -> Outputs:
    api_id = token(name, 10)
    return {
        "apiEndpoint": f"https://{api_id}.execute-api.invalid",
        "executionArn": f"arn:aws:execute-api:{_region(inputs)}:{ACCOUNT}:{api_id}",
        "arn": f"arn:aws:apigateway:{_region(inputs)}::/apis/{api_id}",
    }


def _task_definition(name: str, inputs: Outputs) -> Outputs:
    family = inputs.get("family") or name
    # Registered task definitions carry a revision (RunTask policies scope `family:*`).
    return {
        "arn": f"arn:aws:ecs:{_region(inputs)}:{ACCOUNT}:task-definition/{family}:1",
        "revision": 1,
        "arnWithoutRevision": f"arn:aws:ecs:{_region(inputs)}:{ACCOUNT}:task-definition/{family}",
    }


def _dns_namespace(name: str, inputs: Outputs) -> Outputs:
    namespace_id = f"ns-{token(name, 16)}"
    return {
        "arn": f"arn:aws:servicediscovery:{_region(inputs)}:{ACCOUNT}:namespace/{namespace_id}",
        "hostedZone": f"Z{token(name + 'zone', 20).upper()}",
    }


def _discovery_service(name: str, inputs: Outputs) -> Outputs:
    return {"arn": f"arn:aws:servicediscovery:{_region(inputs)}:{ACCOUNT}:service/srv-{token(name, 16)}"}


def _queue(name: str, inputs: Outputs) -> Outputs:
    queue = inputs.get("name") or name
    return {
        "name": queue,
        "arn": f"arn:aws:sqs:{_region(inputs)}:{ACCOUNT}:{queue}",
        "url": f"https://sqs.{_region(inputs)}.invalid/{ACCOUNT}/{queue}",
    }


def _schedule(name: str, inputs: Outputs) -> Outputs:
    group = inputs.get("groupName") or "default"
    return {
        "arn": f"arn:aws:scheduler:{_region(inputs)}:{ACCOUNT}:schedule/{group}/{inputs.get('name') or name}",
        "groupName": group,
    }


# type token -> outputs the provider would compute (merged over the inputs)
COMPUTED: dict[str, Callable[[str, Outputs], Outputs]] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ecr/repository:Repository": _repository,
    "docker-build:index:Image": _image,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _arn("elasticloadbalancing", "listener"),
    "aws:iam/role:Role": _iam_role,
    "aws:ecs/cluster:Cluster": _named_arn("ecs", "cluster"),
    "aws:ecs/service:Service": _named_arn("ecs", "service"),
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": _dns_namespace,
    "aws:servicediscovery/service:Service": _discovery_service,
    "aws:sqs/queue:Queue": _queue,
    "aws:scheduler/schedule:Schedule": _schedule,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:sns/topic:Topic": _topic,
    "aws:rds/instance:Instance": _db_instance,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:route53/record:Record": _record,
    "aws:lambda/function:Function": _function,
    "aws:apigatewayv2/api:Api": _http_api,
    "aws:iam/user:User": _named_arn("iam", "user"),
    "aws:iam/accessKey:AccessKey": lambda name, _: {"secret": f"placeholder-secret-{token(name, 40)}"},
}

# type token -> output names the provider marks secret
SECRET_OUTPUTS: dict[str, frozenset[str]] = {
    "aws:iam/accessKey:AccessKey": frozenset({"secret", "sesSmtpPasswordV4", "encryptedSecret"}),
    "aws:rds/instance:Instance": frozenset({"password"}),
    "aws:elasticache/replicationGroup:ReplicationGroup": frozenset({"authToken"}),
    "aws:secretsmanager/secretVersion:SecretVersion": frozenset({"secretString", "secretBinary"}),
}


def _ecr_token(args: dict) -> dict:
    return {
        "userName": "AWS",
        "password": "placeholder-ecr-token",
        "authorizationToken": "placeholder-ecr-token",
        "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr.{DEFAULT_REGION}.amazonaws.com",
        "id": ACCOUNT,
        "expiresAt": "2099-01-01T00:00:00Z",
    }


INVOKES: dict[str, Callable[[dict], dict]] = {
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": _ecr_token,
}
