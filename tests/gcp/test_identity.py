"""Least privilege: one service account per role, every grant scoped to one named resource."""

from __future__ import annotations

from infra.tooling.values import unwrapped
from tests.gcp.conftest import assert_everything_waits_for_the_apis, pod, workloads

PRIMITIVE = {"roles/owner", "roles/editor", "roles/viewer"}


def _iam(plan):
    return [r for r in plan.resources if "IamMember" in r.type or "IAMMember" in r.type or "IamBinding" in r.type]


def _account_members(plan) -> dict[str, str]:
    """member -> role name of the account (sa-api -> api)."""
    return {r.outputs["member"]: r.name.removeprefix("sa-") for r in plan.find("serviceaccount/account:Account")}


def test_each_role_has_its_own_account_and_no_workload_uses_the_default(gcp):
    accounts = {r.outputs["email"]: r.name for r in gcp.find("serviceaccount/account:Account")}
    assert sorted(accounts.values()) == ["sa-api", "sa-migrate", "sa-scheduler", "sa-worker"]
    used = {}
    for workload in workloads(gcp):
        email = pod(workload)["serviceAccount"]
        assert email in accounts, f"{workload.name} runs as {email}"
        assert not email.endswith("-compute@developer.gserviceaccount.com")
        used[workload.name] = accounts[email]
    assert used["api"] == "sa-api" and used["migrate"] == "sa-migrate"
    assert used["schedule-cleanup"] == "sa-worker"  # a schedule runs the worker's code with its grants
    assert {used[w.name] for w in gcp.find("WorkerPool") if w.custom} == {"sa-worker"}


def test_no_primitive_roles_and_every_grant_names_one_resource(gcp):
    grants = _iam(gcp)
    assert grants
    for grant in grants:
        props = unwrapped(grant.inputs)
        assert props["role"] not in PRIMITIVE, grant.name
        if grant.type.endswith("secretIamMember:SecretIamMember"):
            assert props["secretId"], grant.name
        elif grant.type.endswith("bucketIAMMember:BucketIAMMember"):
            assert props["bucket"] == "ai-service-gcp-my-gcp-project"
        elif grant.type.endswith("projects/iAMMember:IAMMember"):
            # a project-level role, narrowed by an IAM condition to the one Cloud SQL instance
            assert props["role"] == "roles/cloudsql.client"
            assert (
                'resource.name == "projects/my-gcp-project/instances/ai-service-gcp"'
                in props["condition"]["expression"]
            )
        elif grant.type.endswith(("serviceIamMember:ServiceIamMember", "jobIamMember:JobIamMember")):
            assert props["role"] == "roles/run.invoker" and props["name"]
        else:
            raise AssertionError(f"unexpected grant type {grant.type}")


def test_secrets_are_readable_only_by_the_roles_that_use_them(gcp):
    members = _account_members(gcp)
    readers: dict[str, set[str]] = {}
    for grant in gcp.find("secretIamMember:SecretIamMember"):
        props = unwrapped(grant.inputs)
        assert props["role"] == "roles/secretmanager.secretAccessor"
        readers.setdefault(grant.parent.rsplit("::", 1)[-1].removeprefix("secret-"), set()).add(
            members[props["member"]]
        )
    assert readers["migrate-database-url"] == {"migrate"}
    assert readers["api-keys"] == {"api"}
    assert readers["s3-secret-api"] == {"api"} and readers["s3-secret-worker"] == {"worker"}
    assert readers["database-url"] == {"api", "worker", "migrate"}
    assert "migrate" not in readers["redis-url"]


def test_bucket_access_is_object_admin_on_the_bucket_for_api_and_workers_only(gcp):
    members = _account_members(gcp)
    grants = {members[unwrapped(g.inputs)["member"]]: unwrapped(g.inputs)["role"] for g in gcp.find("BucketIAMMember")}
    assert grants == {"api": "roles/storage.objectAdmin", "worker": "roles/storage.objectAdmin"}


def test_public_invoker_only_when_configured(gcp, plan_stack):
    public = [g for g in _iam(gcp) if unwrapped(g.inputs)["member"] == "allUsers"]
    assert [(g.type.rsplit(":", 1)[-1], unwrapped(g.inputs)["role"]) for g in public] == [
        ("ServiceIamMember", "roles/run.invoker")
    ]
    private = plan_stack("gcp", cloudrun={"public": False})
    assert not [g for g in _iam(private) if unwrapped(g.inputs)["member"] in {"allUsers", "allAuthenticatedUsers"}]
    (invoker,) = private.find("serviceIamMember:ServiceIamMember")
    assert unwrapped(invoker.inputs)["member"] == (
        "serviceAccount:service-000000000000@gcp-sa-monitoring-notification.iam.gserviceaccount.com"
    )
    check = unwrapped(private.one("UptimeCheckConfig").inputs)["httpCheck"]
    assert check["serviceAgentAuthentication"] == {"type": "OIDC_TOKEN"}  # a private service is still probed


def test_workloads_wait_for_their_grants(gcp):
    """A first `up` must not start the migration (or a revision) before its secrets are readable."""
    members = _account_members(gcp)
    for workload, role in (("migrate", "migrate"), ("api", "api"), ("worker-documents", "worker")):
        resource = next(r for r in gcp.resources if r.name == workload and r.custom)
        grants = [g for g in _iam(gcp) if members.get(unwrapped(g.inputs)["member"]) == role]
        assert grants
        missing = [g.name for g in grants if g.urn not in resource.dependencies]
        assert not missing, f"{workload} does not wait for {missing}"


def test_everything_waits_for_the_apis_it_needs(gcp):
    """On a fresh project each resource must be created after the APIs are enabled."""
    assert_everything_waits_for_the_apis(gcp)
