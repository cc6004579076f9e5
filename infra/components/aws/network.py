"""A two-AZ VPC: public subnets (ALB, and tasks in the cost-aware default), private subnets
(databases, caches, and tasks/Lambdas when asked), and the chosen egress for private subnets:
one NAT gateway, or VPC endpoints only (no internet)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_aws import ec2, vpc

from infra.components.aws.common import azs

VPC_CIDR = "10.40.0.0/16"
PUBLIC_CIDRS = ("10.40.0.0/20", "10.40.16.0/20")
PRIVATE_CIDRS = ("10.40.128.0/20", "10.40.144.0/20")
ANY_IPV4 = "0.0.0.0/0"


@dataclass(frozen=True)
class NetworkArgs:
    region: str
    nat_gateway: bool = False
    # AWS service names for interface endpoints (e.g. "secretsmanager"); S3 always gets a free gateway endpoint.
    interface_endpoints: tuple[str, ...] = field(default_factory=tuple)


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.region = args.region
        self.vpc = ec2.Vpc(
            name,
            cidr_block=VPC_CIDR,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
            opts=child,
        )
        self.vpc_id = self.vpc.id
        igw = ec2.InternetGateway(name, vpc_id=self.vpc.id, tags={"Name": name}, opts=child)
        public_rt = ec2.RouteTable(f"{name}-public", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"}, opts=child)
        ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block=ANY_IPV4,
            gateway_id=igw.id,
            opts=child,
        )
        private_rt = ec2.RouteTable(f"{name}-private", vpc_id=self.vpc.id, tags={"Name": f"{name}-private"}, opts=child)

        self.public_subnets: list[ec2.Subnet] = []
        self.private_subnets: list[ec2.Subnet] = []
        for az, public_cidr, private_cidr in zip(azs(args.region), PUBLIC_CIDRS, PRIVATE_CIDRS, strict=True):
            # No automatic public IPs: only ECS tasks that ask for one (assignPublicIp) get one.
            public = ec2.Subnet(
                f"{name}-public-{az[-1]}",
                vpc_id=self.vpc.id,
                cidr_block=public_cidr,
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{az[-1]}"},
                opts=child,
            )
            private = ec2.Subnet(
                f"{name}-private-{az[-1]}",
                vpc_id=self.vpc.id,
                cidr_block=private_cidr,
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-private-{az[-1]}"},
                opts=child,
            )
            ec2.RouteTableAssociation(
                f"{name}-public-{az[-1]}", subnet_id=public.id, route_table_id=public_rt.id, opts=child
            )
            ec2.RouteTableAssociation(
                f"{name}-private-{az[-1]}", subnet_id=private.id, route_table_id=private_rt.id, opts=child
            )
            self.public_subnets.append(public)
            self.private_subnets.append(private)
        self.public_subnet_ids = [s.id for s in self.public_subnets]
        self.private_subnet_ids = [s.id for s in self.private_subnets]

        if args.nat_gateway:
            # One NAT in one AZ: half the NAT cost of one per AZ; an AZ outage cuts egress.
            eip = ec2.Eip(f"{name}-nat", domain="vpc", tags={"Name": f"{name}-nat"}, opts=child)
            nat = ec2.NatGateway(
                f"{name}-nat",
                allocation_id=eip.id,
                subnet_id=self.public_subnets[0].id,
                tags={"Name": f"{name}-nat"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            ec2.Route(
                f"{name}-private-default",
                route_table_id=private_rt.id,
                destination_cidr_block=ANY_IPV4,
                nat_gateway_id=nat.id,
                opts=child,
            )
        # S3 gateway endpoint: free, keeps bucket traffic off the NAT/internet.
        ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[private_rt.id, public_rt.id],
            opts=child,
        )
        self.endpoint_sg: ec2.SecurityGroup | None = None
        if args.interface_endpoints:
            self.endpoint_sg = security_group(
                f"{name}-endpoints", self.vpc.id, "VPC interface endpoints (HTTPS from workloads)", child
            )
            for service in args.interface_endpoints:
                ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}",
                    vpc_id=self.vpc.id,
                    service_name=f"com.amazonaws.{args.region}.{service}",
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=self.private_subnet_ids,
                    security_group_ids=[self.endpoint_sg.id],
                    opts=child,
                )
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )


def security_group(
    name: str, vpc_id: pulumi.Input[str], description: str, opts: pulumi.ResourceOptions | None
) -> ec2.SecurityGroup:
    """A security group with no inline rules: every rule is its own resource (allow_from / allow_egress)."""
    return ec2.SecurityGroup(name, vpc_id=vpc_id, description=description, tags={"Name": name}, opts=opts)


def allow_from(
    name: str,
    group: ec2.SecurityGroup,
    port: int,
    source: ec2.SecurityGroup,
    description: str,
    opts: pulumi.ResourceOptions | None,
) -> vpc.SecurityGroupIngressRule:
    """Admit TCP `port` into `group` only from members of `source`."""
    return vpc.SecurityGroupIngressRule(
        name,
        security_group_id=group.id,
        referenced_security_group_id=source.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
        opts=opts,
    )


def allow_egress(
    name: str,
    group: ec2.SecurityGroup,
    description: str,
    opts: pulumi.ResourceOptions | None,
    *,
    port: int | None = None,
    destination: ec2.SecurityGroup | None = None,
) -> vpc.SecurityGroupEgressRule:
    """Egress from `group`: to one port of `destination`, or anywhere (all protocols) when neither is given."""
    if destination is not None:
        return vpc.SecurityGroupEgressRule(
            name,
            security_group_id=group.id,
            referenced_security_group_id=destination.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=description,
            opts=opts,
        )
    return vpc.SecurityGroupEgressRule(
        name, security_group_id=group.id, cidr_ipv4=ANY_IPV4, ip_protocol="-1", description=description, opts=opts
    )
