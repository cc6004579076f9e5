"""A rule is waived per resource only with a written reason; the plan and the pack agree."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs

from infra.tooling.policy import ALL_RULES
from infra.tooling.policy.engine import evaluate
from infra.tooling.policy.waivers import WaiverFileError, load_file
from infra.tooling.resources import PlannedResource

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_LB = {"spec": {"type": "LoadBalancer", "ports": [{"port": 6379}], "selector": {"app": "redis"}}}


def _service(metadata: dict) -> PlannedResource:
    return PlannedResource(
        "kubernetes:core/v1:Service", "redis", "urn:redis", "", True, False, {**PUBLIC_LB, "metadata": metadata}
    )


def _blocking(resource: PlannedResource, waivers=()) -> list[str]:
    return [v.policy for v in evaluate([resource], ALL_RULES, waivers) if v.blocking]


def test_an_annotation_with_a_reason_waives_and_is_still_reported():
    waived = _service({"annotations": {"policy-waiver-k8s-data-store-not-exposed": "demo cluster, firewall in front"}})
    assert _blocking(waived) == []
    (violation,) = evaluate([waived], ALL_RULES, ())
    assert violation.waiver == "demo cluster, firewall in front" and violation.as_dict()["waiver"]


def test_a_waiver_without_a_reason_or_for_another_rule_waives_nothing():
    assert _blocking(_service({"annotations": {"policy-waiver-k8s-data-store-not-exposed": " "}})) == [
        "k8s-data-store-not-exposed"
    ]
    assert _blocking(_service({"annotations": {"policy-waiver-k8s-probes": "x"}})) == ["k8s-data-store-not-exposed"]


def test_digitalocean_tag_strings_carry_the_reason():
    bucket = PlannedResource(
        "digitalocean:index/spacesBucket:SpacesBucket",
        "site",
        "urn:site",
        "",
        True,
        False,
        {"acl": "public-read", "tags": ["policy-waiver-do-spaces-private:public website assets"]},
    )
    assert _blocking(bucket) == []


def test_the_waiver_file_matches_type_and_name_glob(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "- {rule: long-lived-keys, type: 'aws:iam/accessKey:AccessKey', name: 'legacy-*', reason: vendor needs a key}\n"
    )
    waivers = load_file(path)
    key = PlannedResource("aws:iam/accessKey:AccessKey", "legacy-sync", "urn:k", "", True, False, {"user": "u"})
    other = PlannedResource("aws:iam/accessKey:AccessKey", "ci", "urn:c", "", True, False, {"user": "u"})
    assert _blocking(key, waivers) == [] and _blocking(other, waivers) == ["long-lived-keys"]
    path.write_text("- {rule: long-lived-keys, type: 'aws:iam/accessKey:AccessKey', name: 'x'}\n")
    with pytest.raises(WaiverFileError, match="entry 0 needs reason"):
        load_file(path)


def test_the_committed_waivers_file_loads():
    assert {w.rule for w in load_file()} <= {r.name for r in ALL_RULES}


def test_the_pack_honours_the_same_waivers():
    spec = importlib.util.spec_from_file_location("policy_adapters", ROOT / "policy" / "adapters.py")
    adapters = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(adapters)
    rule = next(r for r in ALL_RULES if r.name == "k8s-data-store-not-exposed")
    policy = adapters.to_policy(rule)
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    reported: list[str] = []
    for notes in ({}, {"policy-waiver-k8s-data-store-not-exposed": "demo"}):
        props = {**PUBLIC_LB, "metadata": {"annotations": notes}}
        args = ResourceValidationArgs("kubernetes:core/v1:Service", props, "urn:x", "redis", opts, None)
        policy.validate(args, lambda m, urn=None: reported.append(m))
    assert len(reported) == 1


def test_the_pack_matches_a_guard_to_its_bucket_while_the_id_is_unknown():
    """During preview the block's `bucket` is unknown; its property dependency names the bucket."""
    from pulumi_policy import proxy
    from pulumi_policy.policy import PolicyResource, StackValidationArgs

    spec = importlib.util.spec_from_file_location("policy_adapters", ROOT / "policy" / "adapters.py")
    adapters = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(adapters)
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    bucket = PolicyResource("aws:s3/bucket:Bucket", {}, "urn:b", "uploads", opts, None, None, [], {})
    flags = dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)
    block = PolicyResource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {"bucket": proxy.UNKNOWN_STRING_VALUE, **flags},
        "urn:pab",
        "uploads-guard",
        opts,
        None,
        None,
        [bucket],
        {"bucket": [bucket]},
    )
    policy = adapters.to_policy(next(r for r in ALL_RULES if r.name == "aws-bucket-not-public"))
    reported: list[str] = []
    policy.validate(StackValidationArgs([bucket, block], None), lambda m, urn=None: reported.append(m))
    assert reported == []
