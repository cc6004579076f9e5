"""Which input changes make a provider replace a resource (delete + create) instead of updating it.

The offline plan runs under mocks, which cannot tell an update from a replacement; this table
can. It lists the force-new inputs of the provider schemas (Terraform `ForceNew`, Kubernetes
immutable fields) for the resource types the stacks create, by their Pulumi input names as the
plan prints them. A path matches itself and everything under it (`spec.template` covers
`spec.template.spec.containers[0].image`). `*` means every input except the ones listed in
UPDATABLE (the random/tls providers and Docker containers replace on any change).
"""

from __future__ import annotations

ALL = "*"

FORCE_NEW: dict[str, tuple[str, ...]] = {
    # DigitalOcean (terraform-provider-digitalocean)
    "digitalocean:index/droplet:Droplet": ("userData", "image", "region", "sshKeys", "vpcUuid"),
    "digitalocean:index/sshKey:SshKey": ("publicKey",),
    "digitalocean:index/vpc:Vpc": ("region", "ipRange"),
    "digitalocean:index/reservedIp:ReservedIp": ("region",),
    "digitalocean:index/reservedIpAssignment:ReservedIpAssignment": ("ipAddress", "dropletId"),
    "digitalocean:index/databaseCluster:DatabaseCluster": ("name", "engine", "privateNetworkUuid"),
    "digitalocean:index/databaseDb:DatabaseDb": ("clusterId", "name"),
    "digitalocean:index/databaseUser:DatabaseUser": ("clusterId", "name"),
    "digitalocean:index/kubernetesCluster:KubernetesCluster": ("region", "vpcUuid", "clusterSubnet", "serviceSubnet"),
    "digitalocean:index/containerRegistry:ContainerRegistry": ("name",),
    "digitalocean:index/spacesBucket:SpacesBucket": ("name", "region"),
    "digitalocean:index/dnsRecord:DnsRecord": ("domain", "type"),
    # AWS (terraform-provider-aws)
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
    "aws:s3/bucketV2:BucketV2": ("bucket", "bucketPrefix"),
    "aws:s3/bucketObjectv2:BucketObjectv2": ("bucket", "key"),
    "aws:rds/instance:Instance": (
        "identifier",
        "identifierPrefix",
        "engine",
        "dbName",
        "username",
        "availabilityZone",
        "storageEncrypted",
        "kmsKeyId",
        "characterSetName",
        "timezone",
    ),
    "aws:rds/cluster:Cluster": (
        "clusterIdentifier",
        "engine",
        "databaseName",
        "masterUsername",
        "storageEncrypted",
        "kmsKeyId",
        "availabilityZones",
    ),
    "aws:rds/subnetGroup:SubnetGroup": ("name", "namePrefix"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "replicationGroupId",
        "atRestEncryptionEnabled",
        "kmsKeyId",
        "subnetGroupName",
        "engine",
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": ("name",),
    "aws:ec2/vpc:Vpc": ("cidrBlock", "instanceTenancy"),
    "aws:ec2/subnet:Subnet": ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "namePrefix", "description", "vpcId"),
    "aws:ec2/routeTable:RouteTable": ("vpcId",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpcId", "serviceName", "vpcEndpointType"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("securityGroupId",),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("securityGroupId",),
    "aws:iam/role:Role": ("name", "namePrefix", "path"),
    "aws:iam/accessKey:AccessKey": ("user", "pgpKey"),
    "aws:iam/rolePolicy:RolePolicy": ("name", "namePrefix", "role"),
    "aws:iam/userPolicy:UserPolicy": ("name", "namePrefix", "user"),
    "aws:ecr/repository:Repository": ("name",),
    "aws:ecs/cluster:Cluster": ("name",),
    "aws:ecs/service:Service": ("name", "cluster", "launchType", "schedulingStrategy", "iamRole"),
    "aws:ecs/taskDefinition:TaskDefinition": (  # immutable: a new revision
        "containerDefinitions",
        "cpu",
        "memory",
        "family",
        "executionRoleArn",
        "taskRoleArn",
        "networkMode",
        "requiresCompatibilities",
        "volumes",
        "runtimePlatform",
        "ephemeralStorage",
    ),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "namePrefix", "internal", "loadBalancerType"),
    "aws:lb/targetGroup:TargetGroup": ("name", "namePrefix", "port", "protocol", "vpcId", "targetType"),
    "aws:lambda/function:Function": ("functionName", "packageType"),
    "aws:apigatewayv2/api:Api": ("protocolType",),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix"),
    "aws:sqs/queue:Queue": ("name", "namePrefix", "fifoQueue"),
    "aws:sns/topic:Topic": ("name", "namePrefix", "fifoTopic"),
    "aws:acm/certificate:Certificate": ("domainName", "subjectAlternativeNames", "validationMethod", "keyAlgorithm"),
    "aws:route53/healthCheck:HealthCheck": ("type",),
    # Google Cloud (terraform-provider-google)
    "gcp:sql/databaseInstance:DatabaseInstance": (
        "name",
        "region",
        "project",
        "encryptionKeyName",
        "masterInstanceName",
    ),
    "gcp:sql/database:Database": ("name", "instance", "project"),
    "gcp:sql/user:User": ("name", "instance", "host", "project"),
    "gcp:cloudrunv2/service:Service": ("name", "location", "project"),
    "gcp:cloudrunv2/job:Job": ("name", "location", "project"),
    "gcp:cloudrunv2/workerPool:WorkerPool": ("name", "location", "project"),
    "gcp:redis/instance:Instance": (
        "name",
        "region",
        "tier",
        "authorizedNetwork",
        "connectMode",
        "locationId",
        "transitEncryptionMode",
        "reservedIpRange",
        "project",
    ),
    "gcp:storage/bucket:Bucket": ("name", "location", "project"),
    "gcp:storage/hmacKey:HmacKey": ("serviceAccountEmail", "project"),
    "gcp:serviceaccount/account:Account": ("accountId", "project"),
    "gcp:secretmanager/secret:Secret": ("secretId", "replication", "project"),
    "gcp:secretmanager/secretVersion:SecretVersion": ("secret", "secretData"),
    "gcp:compute/network:Network": ("name", "autoCreateSubnetworks", "project"),
    "gcp:compute/subnetwork:Subnetwork": ("name", "network", "region", "project"),
    "gcp:compute/globalAddress:GlobalAddress": ("name", "addressType", "purpose", "prefixLength", "network"),
    "gcp:artifactregistry/repository:Repository": ("repositoryId", "location", "format", "project"),
    "gcp:cloudscheduler/job:Job": ("name", "region", "project"),
    # Kubernetes (immutable fields; metadata.name/namespace for every kind, below)
    "kubernetes:batch/v1:Job": ("spec.template", "spec.selector", "spec.completionMode"),
    "kubernetes:apps/v1:Deployment": ("spec.selector",),
    "kubernetes:apps/v1:StatefulSet": (
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
        "spec.podManagementPolicy",
    ),
    "kubernetes:apps/v1:DaemonSet": ("spec.selector",),
    "kubernetes:core/v1:Service": ("spec.clusterIP", "spec.clusterIPs", "spec.ipFamilies"),
    "kubernetes:core/v1:PersistentVolumeClaim": (
        "spec.storageClassName",
        "spec.accessModes",
        "spec.volumeName",
        "spec.selector",
    ),
    "kubernetes:core/v1:Secret": ("type",),
    "kubernetes:policy/v1:PodDisruptionBudget": (),
    "kubernetes:helm.sh/v3:Release": ("name", "namespace"),
    # Docker (terraform-provider-docker): containers are recreated for nearly any change.
    "docker:index/container:Container": (ALL,),
    "docker:index/network:Network": ("name", "driver", "internal", "ipamConfigs", "options", "attachable"),
    "docker:index/volume:Volume": ("name", "driver", "driverOpts"),
    "docker:index/remoteImage:RemoteImage": ("name", "platform"),
    # Generated values: a new one on any input change (a password change rotates the secret).
    "random:index/randomPassword:RandomPassword": (ALL,),
    "random:index/randomString:RandomString": (ALL,),
    "random:index/randomId:RandomId": (ALL,),
    "tls:index/privateKey:PrivateKey": (ALL,),
}

# Inputs that never force a replacement on an ALL type (updated in place).
UPDATABLE: dict[str, tuple[str, ...]] = {
    "docker:index/container:Container": (
        "restart",
        "memory",
        "memorySwap",
        "cpuShares",
        "mustRun",
        "start",
        "wait",
        "waitTimeout",
    ),
}

KUBERNETES_IDENTITY = ("metadata.name", "metadata.namespace")


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def force_new_rules(type_token: str) -> tuple[str, ...]:
    rules = FORCE_NEW.get(type_token, ())
    if type_token.startswith("kubernetes:") and not type_token.startswith("kubernetes:helm.sh/"):
        rules = (*rules, *KUBERNETES_IDENTITY)
    return rules


def forces_replacement(type_token: str, path: str) -> bool:
    """Whether a change of the input at `path` (flattened, e.g. `spec.template.spec.containers[0].image`) replaces."""
    rules = force_new_rules(type_token)
    if ALL in rules:
        return not any(_under(path, p) for p in UPDATABLE.get(type_token, ()))
    return any(_under(path, rule) for rule in rules)


def covered(type_token: str) -> bool:
    """Whether the table knows this type (custom resources of providers; components have no inputs)."""
    return type_token in FORCE_NEW or type_token.startswith("kubernetes:")
