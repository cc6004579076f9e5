"""One module per target; each reads like that target's architecture diagram (see stacks.program)."""
