"""An own image with the reference app's scheduled commands is planned, and the plan says why it will fail."""

from __future__ import annotations

from infra.tooling.plan.report import text_report

OWN = {"api": ["uvicorn", "bot.main:app"], "worker": ["rq", "worker", "{queues}"], "migrate": ["alembic", "upgrade"]}


def test_own_commands_with_the_reference_task_prefix_are_an_advisory(plan_stack):
    result = plan_stack("local", commands=OWN)
    assert [line.split(":")[1] for line in result.advisories] == ["commands.task"]
    assert "schedules (cleanup) run `ai-service <command>` in your image" in text_report(result)
    assert result.problems == []


def test_no_advisory_once_the_task_prefix_or_the_schedules_are_the_apps(plan_stack):
    assert plan_stack("local", commands={**OWN, "task": ["python", "-m", "bot.tasks"]}).advisories == []
    assert plan_stack("local", commands=OWN, schedules=[]).advisories == []
    assert plan_stack("local").advisories == []
