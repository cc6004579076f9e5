"""`python -m infra diff` names exactly what a change does to a stack, and what it costs."""

from __future__ import annotations

from infra.review.diff import compare, to_markdown


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
    before = _plan([_res("a", size="s-1vcpu-1gb", tags=["x"]), _res("gone")],
                   [{"resource": "a", "type": "t", "monthly_usd": 6.0, "basis": "s-1vcpu-1gb"}])
    after = _plan([_res("a", size="s-2vcpu-4gb", tags=["x"]), _res("new")],
                  [{"resource": "a", "type": "t", "monthly_usd": 24.0, "basis": "s-2vcpu-4gb"}])
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
