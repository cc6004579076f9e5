"""Pure renderers for docker hosts (droplet, local): compose.yaml, nginx.conf, cloud-init, deploy scripts.

Plain data in, text out; no Pulumi import, so tests validate the output with the real tools.
"""
