"""Pure renderers: plain data in, text (JSON/YAML/conf) out. No Pulumi imports, so tests feed the output to real tools."""
