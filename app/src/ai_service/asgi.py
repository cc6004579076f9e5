"""ASGI entry for uvicorn (imported in every server process)."""

import gc

from .app import create_app
from .logs import configure_logging
from .settings import get_settings

configure_logging(get_settings().log_level)
app = create_app()
# Everything imported so far lives for the whole process: keep it out of every GC pass.
gc.freeze()
