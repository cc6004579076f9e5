// Posts the offline plan diffs of a pull request's `ci` run as one comment per stack (pr-comment.yml).
//
// The artifact was produced by the pull request's own code, which may come from a fork: nothing in
// it is trusted. The pull request is found from what GitHub reports about the run (head commit and
// head repository), never from the artifact; the markdown is size-limited and neutralised (no HTML
// but <br>, no @mentions, no issue cross-references, no links or images) before it is posted.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const STACKS = ["dev", "prod", "local", "aws", "gcp", "serverless"];
const MAX_FILE_BYTES = 1024 * 1024; // larger files are not read at all
const MAX_BODY_CHARS = 60000; // GitHub refuses comments over 65536 characters
const BOT_LOGIN = "github-actions[bot]";
const ZWSP = "\u200b";

function marker(stack) {
  return `<!-- ai-service-plan:${stack} -->`;
}

/** Untrusted markdown -> markdown that renders as text plus tables: no markup an attacker can use. */
function sanitize(markdown) {
  let text = String(markdown).replace(/\r\n?/g, "\n");
  let truncated = false;
  if (text.length > MAX_BODY_CHARS) {
    text = text.slice(0, MAX_BODY_CHARS);
    truncated = true;
  }
  text = text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/&lt;br&gt;/g, "<br>") // the diff's table cells use <br>; nothing else survives
    .replace(/@(?=[A-Za-z0-9_-])/g, `@${ZWSP}`) // @user, @org/team: no notification
    .replace(/#(?=\d)/g, `#${ZWSP}`) // #12, owner/repo#12: no cross-reference
    .replace(/\]\s*[([]/g, (m) => `]${ZWSP}${m.slice(1)}`) // [text](url), ![img](url), [ref][id]: not links
    .replace(/^(\s*\[[^\]]*\]):/gm, `$1${ZWSP}:`); // [id]: url reference definitions
  if (truncated) text += "\n\n_(truncated: the plan diff is longer than a comment can hold; see the run's job summary)_";
  return text;
}

/** The plan files in the artifact directory: known stack names only, regular files of bounded size. */
function readPlans(dir) {
  const plans = [];
  for (const stack of STACKS) {
    const file = path.join(dir, `${stack}.md`);
    let stat;
    try {
      stat = fs.lstatSync(file);
    } catch {
      continue;
    }
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) {
      plans.push({ stack, body: `${marker(stack)}\n_The plan diff for \`${stack}\` was not posted: not a regular file under ${MAX_FILE_BYTES} bytes._\n` });
      continue;
    }
    plans.push({ stack, body: `${marker(stack)}\n${sanitize(fs.readFileSync(file, "utf8"))}` });
  }
  return plans;
}

/**
 * The one open pull request of this repository whose head is exactly the run's commit, in the run's
 * head repository. Returns null (and the reason) when there is none or more than one.
 */
function matchPullRequest(pulls, run, baseRepo) {
  const matches = pulls.filter(
    (pr) =>
      pr.state === "open" &&
      pr.head && pr.head.sha === run.head_sha &&
      pr.head.repo && run.head_repository && pr.head.repo.full_name === run.head_repository.full_name &&
      pr.base && pr.base.repo && pr.base.repo.full_name === baseRepo,
  );
  if (matches.length === 1) return { pr: matches[0] };
  return { pr: null, reason: matches.length ? `${matches.length} open pull requests have head ${run.head_sha}` : `no open pull request has head ${run.head_sha} from ${run.head_repository && run.head_repository.full_name}` };
}

async function main({ github, context, core, dir }) {
  const run = context.payload.workflow_run;
  const { owner, repo } = context.repo;
  const baseRepo = `${owner}/${repo}`;
  if (run.repository.full_name !== baseRepo) {
    core.setFailed(`run ${run.id} belongs to ${run.repository.full_name}, not ${baseRepo}`);
    return;
  }
  // Ask GitHub which pull requests have that head; the artifact's word counts for nothing.
  const pulls = await github.paginate(github.rest.pulls.list, {
    owner, repo, state: "open", head: `${run.head_repository.owner.login}:${run.head_branch}`, per_page: 100,
  });
  const { pr, reason } = matchPullRequest(pulls, run, baseRepo);
  if (!pr) {
    core.notice(`No comment posted: ${reason} (the branch moved on, or the pull request closed).`);
    return;
  }
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number: pr.number, per_page: 100 });
  for (const { stack, body } of readPlans(dir)) {
    const existing = comments.find((c) => c.user && c.user.login === BOT_LOGIN && c.body && c.body.startsWith(marker(stack)));
    if (existing) {
      await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    } else {
      await github.rest.issues.createComment({ owner, repo, issue_number: pr.number, body });
    }
  }
  core.info(`Plan diffs posted on #${pr.number} (head ${run.head_sha}).`);
}

module.exports = { main, sanitize, readPlans, matchPullRequest, marker, STACKS, MAX_BODY_CHARS };
