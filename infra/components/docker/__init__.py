"""pulumi-docker components: the containers of a docker host (infra.topology) on a local Docker engine."""
