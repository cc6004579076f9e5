"""Kubernetes target building blocks: the DOKS cluster, its managed Postgres and Spaces bucket,
and `apply`, which turns the manifest dicts of infra/render/kubernetes into typed Pulumi resources."""
