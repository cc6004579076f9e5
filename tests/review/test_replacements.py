"""What used to live in the droplet's user_data no longer replaces it; what must stay there is marked."""

from __future__ import annotations

import pytest

from infra.tooling.review.diff import compare, to_markdown
from tests.fixtures.plan import plan_with

KEY = b"review-key-for-tests-0123456789ab"
DROPLET = "digitalocean:index/droplet:Droplet"
ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlaceholderKeyForTestsOnly0000000000000 ops@example"
BASE = {"droplet": {"region": "nyc3", "size": "s-2vcpu-4gb"}}


def _diff(before: dict, after: dict):
    old = plan_with("dev", **before).as_dict(KEY)
    new = plan_with("dev", **after).as_dict(KEY)
    return compare(old, new, base_label="base")


def _droplet_replaced(diff) -> list[str]:
    return next((paths for (t, _, _), paths in diff.replaced.items() if t == DROPLET), [])


@pytest.mark.parametrize(
    "change",
    [
        {"sshAllowedCidrs": ["203.0.113.0/24", "198.51.100.0/24"]},
        {"domain": "api.example.com", "letsencryptEmail": "ops@example.com", "appEnv": "production"},
        {"droplet": {**BASE["droplet"], "adminUser": "ops"}},
        {"droplet": {**BASE["droplet"], "sshPublicKey": ADMIN_KEY}},
    ],
    ids=["sshAllowedCidrs", "domain+letsencryptEmail", "droplet.adminUser", "droplet.sshPublicKey"],
)
def test_former_user_data_inputs_change_the_release_not_the_droplet(change):
    diff = _diff(BASE, {**BASE, **change})
    assert diff.changed, "the change must show somewhere"
    assert _droplet_replaced(diff) == [], to_markdown(diff)
    assert not any(t == DROPLET for t, _, _ in diff.changed), to_markdown(diff)
    manifest = [k for k in diff.changed if k[1].endswith("-release-manifest")]
    assert manifest, to_markdown(diff)  # it travels in the release the agent applies


def test_user_data_is_a_stub_without_scripts_or_host_settings():
    text = plan_with("dev").artifacts["cloud-init.yaml"]
    for absent in ("rollout.sh", "203.0.113.0/24", "ssh_authorized_keys", "DOMAIN", "deploy\n"):
        assert absent not in text, absent


@pytest.mark.parametrize(
    ("change", "forced"),
    [
        ({"droplet": {**BASE["droplet"], "region": "ams3"}}, "region"),
        ({"droplet": {**BASE["droplet"], "image": "ubuntu-22-04-x64"}}, "image"),
    ],
)
def test_what_still_replaces_the_droplet_is_marked_with_its_input(change, forced):
    diff = _diff(BASE, {**BASE, **change})
    assert forced in _droplet_replaced(diff)
    assert f"forced by `{forced}`" in to_markdown(diff)


def test_keyed_hashes_reveal_no_secret():
    import json

    from infra.tooling.values import unwrapped

    result = plan_with("dev")
    text = json.dumps(result.as_dict(KEY))
    droplet = next(r for r in result.as_dict(KEY)["resources"] if r["type"] == DROPLET)
    assert droplet["inputs"]["userData"].startswith("[secret:")
    for value in [unwrapped(r.outputs["result"]) for r in result.find("RandomPassword")]:
        assert value not in text
    assert "AWS_SECRET_ACCESS_KEY=" not in text


def test_a_replacement_cascades_to_what_names_the_replaced_resource():
    diff = _diff(BASE, {**BASE, "droplet": {**BASE["droplet"], "image": "ubuntu-22-04-x64"}})
    cascaded = {t.rsplit(":", 1)[-1]: hits for (t, _, _), hits in diff.cascaded.items()}
    # The reserved IP is re-assigned to the new droplet (its dropletId is force-new).
    assert ("dropletId", "ai-service-dev") in cascaded["ReservedIpAssignment"], to_markdown(diff)
    assert "Firewall" not in cascaded  # dropletIds is updated in place
    assert "names the replaced ai-service-dev" in to_markdown(diff)
