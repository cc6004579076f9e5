"""Small Pulumi programs written for the policy tests, in styles other than this project's.

Each program is a function registered with `@program(expect=...)`: `expect` is the exact set of
rules it must violate (any level), so a clean twin (`twin_of=` the insecure program) expects none.
The corpus runs every program in one process under the offline plan's mocks (tests/policy/test_corpus.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Program:
    name: str
    run: Callable[[], None]
    expect: frozenset[str]
    twin_of: str = ""
    doc: str = field(default="", compare=False)


PROGRAMS: dict[str, Program] = {}


def program(expect: set[str] | frozenset[str] = frozenset(), twin_of: str = ""):
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        if fn.__name__ in PROGRAMS:
            raise ValueError(f"duplicate corpus program {fn.__name__}")
        PROGRAMS[fn.__name__] = Program(fn.__name__, fn, frozenset(expect), twin_of, (fn.__doc__ or "").strip())
        return fn

    return register


def load_all() -> dict[str, Program]:
    from tests.policy.corpus import aws_programs, do_programs, docker_programs, gcp_programs, k8s_programs  # noqa: F401

    return PROGRAMS
