"""Where the service image is built from, as every image component hands it to docker-build.

Relative to the project root (Pulumi's working directory): the state then reads the same on
every machine, so a checkout's location never shows up as a change in `pulumi preview`.
"""

APP_CONTEXT = "app"
APP_DOCKERFILE = "app/Dockerfile"
