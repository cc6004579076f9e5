"""Pull-request review without credentials: plan diffs against a git ref, and architecture pictures."""
