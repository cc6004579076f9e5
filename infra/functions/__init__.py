"""Code the stacks deploy as small cloud functions (not infrastructure code: no Pulumi, no infra imports)."""
