"""`python -m infra diff` names exactly what a change does to a stack, and what it costs."""

from __future__ import annotations

from infra.tooling.review.diff import compare, to_markdown


def _plan(resources, cost_items, violations=()):
    return {
        "stack": "dev",
        "target": "droplet",
        "resources": resources,
        "outputs": {},
        "cost": {"monthly_usd": round(sum(i["monthly_usd"] for i in cost_items), 2), "items": cost_items},
        "policy": {"violations": list(violations)},
    }


def _res(name, **inputs):
    return {"type": "digitalocean:index/droplet:Droplet", "name": name, "parent": "web", "inputs": inputs}


def test_compare_names_added_removed_changed_and_cost():
    before = _plan(
        [_res("a", size="s-1vcpu-1gb", tags=["x"]), _res("gone")],
        [{"resource": "a", "type": "t", "monthly_usd": 6.0, "basis": "s-1vcpu-1gb"}],
    )
    after = _plan(
        [_res("a", size="s-2vcpu-4gb", tags=["x"]), _res("new")],
        [{"resource": "a", "type": "t", "monthly_usd": 24.0, "basis": "s-2vcpu-4gb"}],
    )
    diff = compare(before, after, base_label="`main`")
    assert [k[1] for k in diff.added] == ["new"] and [k[1] for k in diff.removed] == ["gone"]
    ((key, changes),) = diff.changed.items()
    assert key[1] == "a" and [(c.path, c.before, c.after) for c in changes] == [("size", "s-1vcpu-1gb", "s-2vcpu-4gb")]
    markdown = to_markdown(diff)
    assert "$6.00 → $24.00 (+$18.00)" in markdown
    assert "`size`: `s-1vcpu-1gb` → `s-2vcpu-4gb`" in markdown
    assert not diff.failed


def test_embedded_json_documents_diff_by_field():
    before = _plan([_res("policy", policy='{"Statement": [{"Action": "s3:GetObject"}]}')], [])
    after = _plan([_res("policy", policy='{"Statement": [{"Action": "s3:*"}]}')], [])
    ((_, changes),) = compare(before, after, base_label="b").changed.items()
    assert [(c.path, c.after) for c in changes] == [("policy.Statement[0].Action", "s3:*")]


def test_a_new_mandatory_violation_fails_the_diff():
    violation = {"policy": "ssh-not-open-to-world", "resource": "fw", "level": "mandatory", "message": "SSH open"}
    diff = compare(_plan([], []), _plan([], [], [violation]), base_label="b")
    assert diff.failed and "ssh-not-open-to-world" in to_markdown(diff)
    assert not compare(_plan([], [], [violation]), _plan([], [], [violation]), base_label="b").failed


def test_a_force_new_input_marks_the_resource_replaced_and_names_the_input():
    before = _plan([_res("web", size="s-1vcpu-1gb", region="nyc3")], [])
    after = _plan([_res("web", size="s-2vcpu-4gb", region="ams3")], [])
    diff = compare(before, after, base_label="b")
    assert list(diff.replaced.values()) == [["region"]]  # size resizes in place
    markdown = to_markdown(diff)
    assert "0 to change, 1 to replace" in markdown
    assert "- `digitalocean:index/droplet:Droplet` web: forced by `region`" in markdown
    assert "| ± |" in markdown


def test_secrets_compare_by_keyed_hash_and_are_never_printed():
    from infra.tooling.values import Secret, fingerprinted

    key, other = b"k" * 32, b"o" * 32
    old = fingerprinted({"userData": Secret("#cloud-config\nssh: 203.0.113.0/24")}, key)
    new = fingerprinted({"userData": Secret("#cloud-config\nssh: 198.51.100.0/24")}, key)
    same = fingerprinted({"userData": Secret("#cloud-config\nssh: 203.0.113.0/24")}, key)
    assert old == same and old != new
    assert old != fingerprinted({"userData": Secret("#cloud-config\nssh: 203.0.113.0/24")}, other)  # keyed
    diff = compare(_plan([_res("web", **old)], []), _plan([_res("web", **new)], []), base_label="b")
    assert diff.replaced == {("digitalocean:index/droplet:Droplet", "web", "web"): ["userData"]}
    markdown = to_markdown(diff)
    assert "`userData`: `[secret]` changed (compared by keyed hash) **(forces replacement)**" in markdown
    assert "203.0.113" not in markdown and old["userData"] not in markdown and new["userData"] not in markdown
    assert not compare(_plan([_res("web", **old)], []), _plan([_res("web", **same)], []), base_label="b").changed


def test_a_base_without_keyed_hashes_makes_a_secret_force_new_input_uncertain():
    from infra.tooling.values import Secret, fingerprinted

    new = fingerprinted({"userData": Secret("x")}, b"k" * 32)
    diff = compare(_plan([_res("web", userData="[secret]")], []), _plan([_res("web", **new)], []), base_label="b")
    assert not diff.changed and list(diff.uncertain.values()) == [["userData"]]
    assert "**May be replaced**" in to_markdown(diff)


def test_force_new_table_covers_the_immutable_fields_reviewers_miss():
    from infra.tooling.review.replacements import forces_replacement

    assert forces_replacement("kubernetes:batch/v1:Job", "spec.template.spec.containers[0].image")
    assert forces_replacement("kubernetes:apps/v1:Deployment", "spec.selector.matchLabels.app")
    assert not forces_replacement("kubernetes:apps/v1:Deployment", "spec.template.spec.containers[0].image")
    assert forces_replacement("kubernetes:core/v1:ConfigMap", "metadata.name")
    assert forces_replacement("aws:rds/instance:Instance", "identifier")
    assert not forces_replacement("aws:rds/instance:Instance", "instanceClass")
    assert forces_replacement("gcp:sql/databaseInstance:DatabaseInstance", "region")
    assert forces_replacement("random:index/randomPassword:RandomPassword", "length")
    assert forces_replacement("docker:index/container:Container", "envs[3]")
    assert not forces_replacement("docker:index/container:Container", "restart")
