"""Advisories: valid settings that weaken a guarantee. The plan prints them and `pulumi up` warns;
neither fails (the user may have no other choice)."""

from __future__ import annotations

from infra.settings.model import Settings
from infra.settings.service import Commands

REFERENCE = Commands()


def advisories(settings: Settings) -> list[str]:
    """One line each, naming the config key."""
    lines: list[str] = []
    database = settings.database
    if database.url is not None and database.migrate_url is None:
        lines.append(
            "ai-service:database.migrateUrl: not set, so migrations run with database.url and the service's role "
            "must own the schema (it can create, alter and drop tables); set database.migrateUrl to the owner's URL "
            "and database.url to a role that migrations grant rows only"
        )
    own_image = any(
        getattr(settings.commands, role) != getattr(REFERENCE, role) for role in ("api", "worker", "migrate")
    )
    if own_image and settings.commands.is_reference and settings.schedules:
        names = ", ".join(s.name for s in settings.schedules)
        lines.append(
            f"ai-service:commands.task: still `ai-service` while the other commands are your own, so the schedules "
            f"({names}) run `ai-service <command>` in your image; set commands.task, or schedules: [] if the app "
            "has none"
        )
    return lines
