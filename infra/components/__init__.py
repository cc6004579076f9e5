"""Reusable Pulumi components, one concern each, grouped by provider."""
