"""`python -m ai_service <command>`: the `ai-service` console script, for images that run modules."""

from .cli import main

main()
