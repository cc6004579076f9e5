"""Pulumi entry point: `pulumi up -s <stack>` runs this file."""

import pulumi

from infra.settings import ConfigError
from stacks.program import run

try:
    run()
except ConfigError as error:
    # One line per problem, no traceback: the user fixes config, not code.
    raise pulumi.RunError(str(error)) from None
