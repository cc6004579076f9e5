"""Shared pytest wiring: fixture plugins live in tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.plan",
    "tests.fixtures.services",
    "tests.support.ordering",
]
