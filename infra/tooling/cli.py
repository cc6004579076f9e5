"""`python -m infra`: offline plan (and the generated config reference/schema)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from infra.settings import ConfigError
from infra.tooling import schema
from infra.tooling.plan.plan import plan
from infra.tooling.plan.render import write_artifacts
from infra.tooling.plan.report import json_report, text_report
from infra.tooling.plan.stackfile import PROJECT_ROOT, StackFileError
from infra.tooling.review.diff import compare, new_review_key, review_key, to_markdown
from infra.tooling.review.git_base import BaseRefError, plan_at_ref
from infra.tooling.review.graph import to_dot, write_graph

EXIT_PROBLEMS = 1
EXIT_CONFIG = 2


def _cmd_plan(args: argparse.Namespace) -> int:
    result = plan(args.stack, Path(args.config_file) if args.config_file else None)
    if args.render:
        write_artifacts(result, Path(args.render))
    print(json_report(result, review_key()) if args.json else text_report(result))
    if args.json:  # the text report lists them; JSON keeps its documented shape
        for line in result.advisories:
            print(f"advisory: {line}", file=sys.stderr)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    return EXIT_PROBLEMS if result.problems else 0


def _cmd_diff(args: argparse.Namespace) -> int:
    key = new_review_key()  # this process and the base plan's only: secrets compare by keyed hash
    before, note = plan_at_ref(PROJECT_ROOT, args.base, args.stack)
    after = plan(args.stack)
    diff = compare(
        before or {}, json.loads(json_report(after, key)), base_label=f"`{args.base}`", problems=after.problems
    )
    diff.base_note = note
    print(to_markdown(diff))
    return EXIT_PROBLEMS if diff.failed else 0


def _cmd_graph(args: argparse.Namespace) -> int:
    result = plan(args.stack)
    write_graph(to_dot(result.resources, f"ai-service {args.stack} (target {result.target})"), Path(args.output))
    print(f"wrote {args.output}")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    changed = schema.write_all() if args.write else schema.stale_files()
    for path in changed:
        print(f"{'wrote' if args.write else 'out of date'}: {path}", file=sys.stderr if not args.write else sys.stdout)
    return EXIT_PROBLEMS if changed and not args.write else 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m infra", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plan", help="plan a stack offline (no engine, no credentials)")
    p.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    p.add_argument("--config-file", help="use this stack config file instead (like pulumi --config-file)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--render", metavar="DIR", help="write every generated artifact under DIR")
    p.set_defaults(func=_cmd_plan)
    d = sub.add_parser("diff", help="Markdown diff of a stack's plan between a git ref and the working tree")
    d.add_argument("stack")
    d.add_argument("--base", required=True, help="git ref to compare against (e.g. origin/main)")
    d.set_defaults(func=_cmd_diff)
    g = sub.add_parser("graph", help="draw the stack's architecture with Graphviz")
    g.add_argument("stack")
    g.add_argument("-o", "--output", required=True, help="FILE.svg, FILE.png or FILE.dot")
    g.set_defaults(func=_cmd_graph)
    s = sub.add_parser("schema", help="check (or --write) Pulumi.yaml config, the JSON Schema and docs/config.md")
    s.add_argument("--write", action="store_true")
    s.set_defaults(func=_cmd_schema)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, StackFileError, BaseRefError, ValueError) as error:
        print(str(error), file=sys.stderr)
        return EXIT_CONFIG
