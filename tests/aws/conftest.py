"""The shipped AWS stacks, planned once per session (plan_stack caches them)."""

import pytest


@pytest.fixture(scope="module")
def fargate(plan_stack):
    return plan_stack("aws")


@pytest.fixture(scope="module")
def serverless(plan_stack):
    return plan_stack("serverless")
