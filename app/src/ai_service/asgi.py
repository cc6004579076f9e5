"""ASGI entry for uvicorn (imported in every server process)."""

import gc

from .logs import configure_logging
from .settings import get_settings

# Before anything else is imported: every process (uvicorn spawns one per WEB_CONCURRENCY) logs JSON.
configure_logging(get_settings().log_level)

from .app import create_app  # noqa: E402

app = create_app()
# Everything imported so far lives for the whole process: keep it out of every GC pass.
gc.freeze()
