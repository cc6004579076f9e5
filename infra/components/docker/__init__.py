"""pulumi-docker components: the containers of a docker host (infra.render.dockerhost.topology) on a local Docker
engine."""
