"""Google Cloud components of target cloudrun (one concern per module)."""
