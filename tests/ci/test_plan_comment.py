"""pr-comment.yml's script (.github/scripts/plan-comment.cjs) run by the real node: the artifact of a
fork's run decides neither which pull request gets the comment nor what markup reaches it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.tools import require_tool

SCRIPT = Path(__file__).resolve().parents[2] / ".github" / "scripts" / "plan-comment.cjs"
REPO = "acme/ai-service"

# Runs `main` against an in-memory GitHub that answers like the REST API and records every write.
HARNESS = r"""
const script = require(process.argv[1]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
(async () => {
  if (input.fn === 'sanitize') { console.log(JSON.stringify(script.sanitize(input.text))); return; }
  const writes = [], notices = [], failures = [];
  const rest = {
    pulls: { list: 'pulls.list' },
    issues: {
      listComments: 'issues.listComments',
      createComment: async (a) => writes.push({ op: 'create', ...a }),
      updateComment: async (a) => writes.push({ op: 'update', ...a }),
    },
  };
  const github = {
    rest,
    paginate: async (endpoint, args) => {
      if (endpoint === 'pulls.list') {
        const [owner, branch] = args.head.split(':');
        return input.pulls.filter((p) => p.head.repo.owner.login === owner && p.head.ref === branch && p.state === args.state);
      }
      return input.comments.filter((c) => c.issue_number === args.issue_number);
    },
  };
  const core = { notice: (m) => notices.push(m), info: () => {}, setFailed: (m) => failures.push(m) };
  const context = { repo: { owner: 'acme', repo: 'ai-service' }, payload: { workflow_run: input.run } };
  await script.main({ github, context, core, dir: input.dir });
  console.log(JSON.stringify({ writes, notices, failures }));
})();
"""  # noqa: E501 (a diagram or table)


def node(payload: dict) -> object:
    binary = require_tool("node", "apt-get install -y nodejs")
    result = subprocess.run(
        [binary, "-e", HARNESS, str(SCRIPT)], input=json.dumps(payload), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def repo(full_name: str) -> dict:
    return {"full_name": full_name, "owner": {"login": full_name.split("/")[0]}}


def pull(number: int, sha: str, head_repo: str, branch: str = "feature", state: str = "open") -> dict:
    return {
        "number": number,
        "state": state,
        "head": {"sha": sha, "ref": branch, "repo": repo(head_repo)},
        "base": {"repo": repo(REPO)},
    }


def run(sha: str, head_repo: str, branch: str = "feature") -> dict:
    return {
        "id": 77,
        "head_sha": sha,
        "head_branch": branch,
        "head_repository": repo(head_repo),
        "repository": repo(REPO),
    }


@pytest.fixture
def review_dir(tmp_path) -> Path:
    (tmp_path / "dev.md").write_text("### Plan diff: `dev`\n| ~ | `droplet` | web | `size`:<br>`a` → `b` |\n")
    return tmp_path


def test_comment_goes_to_the_pull_request_whose_head_is_the_run(review_dir):
    pulls = [pull(5, "a" * 40, "fork/ai-service"), pull(6, "b" * 40, "other/ai-service")]
    out = node({"run": run("a" * 40, "fork/ai-service"), "pulls": pulls, "comments": [], "dir": str(review_dir)})
    assert [(w["op"], w["issue_number"]) for w in out["writes"]] == [("create", 5)]
    assert out["writes"][0]["body"].startswith("<!-- ai-service-plan:dev -->\n### Plan diff")


def test_a_pr_number_planted_in_the_artifact_is_ignored(review_dir):
    (review_dir / "pr-number").write_text("6\n")  # what the old workflow trusted
    pulls = [pull(5, "a" * 40, "fork/ai-service"), pull(6, "b" * 40, "acme/ai-service")]
    out = node({"run": run("a" * 40, "fork/ai-service"), "pulls": pulls, "comments": [], "dir": str(review_dir)})
    assert {w["issue_number"] for w in out["writes"]} == {5}


@pytest.mark.parametrize(
    "pulls",
    [
        [pull(5, "c" * 40, "fork/ai-service")],  # the branch moved on: head is another commit now
        [pull(5, "a" * 40, "fork/ai-service", state="closed")],
        [],
    ],
    ids=["head-moved", "closed", "none"],
)
def test_no_exact_match_posts_nothing(review_dir, pulls):
    out = node({"run": run("a" * 40, "fork/ai-service"), "pulls": pulls, "comments": [], "dir": str(review_dir)})
    assert out["writes"] == [] and out["notices"]


def test_same_branch_name_in_another_fork_is_not_a_match(review_dir):
    pulls = [pull(9, "a" * 40, "mallory/ai-service")]  # same commit pushed to a different fork
    out = node({"run": run("a" * 40, "fork/ai-service"), "pulls": pulls, "comments": [], "dir": str(review_dir)})
    assert out["writes"] == []


def test_only_the_bots_own_comment_is_edited(review_dir):
    marker = "<!-- ai-service-plan:dev -->"
    comments = [
        {"id": 1, "issue_number": 5, "user": {"login": "mallory"}, "body": f"{marker}\nplanted"},
        {"id": 2, "issue_number": 5, "user": {"login": "github-actions[bot]"}, "body": f"{marker}\nold plan"},
    ]
    out = node(
        {
            "run": run("a" * 40, "fork/ai-service"),
            "pulls": [pull(5, "a" * 40, "fork/ai-service")],
            "comments": comments,
            "dir": str(review_dir),
        }
    )
    assert [(w["op"], w.get("comment_id")) for w in out["writes"]] == [("update", 2)]


def test_unknown_files_and_symlinks_are_not_posted(review_dir, tmp_path_factory):
    secret = tmp_path_factory.mktemp("outside") / "token.txt"
    secret.write_text("ghs_secret")
    (review_dir / "prod.md").symlink_to(secret)
    (review_dir / "evil.md").write_text("@everyone")
    out = node(
        {
            "run": run("a" * 40, "fork/ai-service"),
            "pulls": [pull(5, "a" * 40, "fork/ai-service")],
            "comments": [],
            "dir": str(review_dir),
        }
    )
    bodies = {w["body"].splitlines()[0]: w["body"] for w in out["writes"]}
    assert set(bodies) == {"<!-- ai-service-plan:dev -->", "<!-- ai-service-plan:prod -->"}
    assert "ghs_secret" not in json.dumps(out) and "not posted" in bodies["<!-- ai-service-plan:prod -->"]


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("ping @octocat and @acme/admins", "@octocat"),
        ("<img src=x onerror=alert(1)><details open>", "<img"),
        ("<!-- ai-service-plan:prod -->", "<!--"),
        ("see other/repo#12 and #3", "#12"),
        ("[approve here](https://evil.example) ![x](https://evil.example/p.png)", "](https://evil"),
        ("[click][1]\n\n[1]: https://evil.example", "]["),
    ],
)
def test_markup_is_neutralised(text, absent):
    clean = node({"fn": "sanitize", "text": text})
    assert absent not in clean


def test_the_diffs_own_table_breaks_survive_and_size_is_bounded():
    assert node({"fn": "sanitize", "text": "| a<br>b |"}) == "| a<br>b |"
    clean = node({"fn": "sanitize", "text": "x" * 200_000})
    assert len(clean) < 65_536 and "truncated" in clean
