"""Kubernetes target: pure manifest builders (plain dicts) and pinned Helm charts.

The same dicts feed the Pulumi resources (stacks/kubernetes.py) and `--render` (kubernetes/*.yaml),
so what tests validate with kubernetes-validate and checkov is what the cluster receives.
No Pulumi import here; values that Pulumi computes (image, job name) may be Outputs placed in the dicts.
"""
