"""JSON structured logs: one object per line with the field names Loki queries use.

Our own events go through structlog directly (cheap); stdlib loggers (uvicorn, rq,
alembic) are routed through the same processors so every line has one shape.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, cast

import structlog

_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
]


def _stdlib_logger_name(_, __, event_dict):
    record = event_dict.get("_record")
    if record is not None:
        event_dict.setdefault("logger", record.name)
    return event_dict


def configure_logging(level: str = "INFO") -> None:
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *_SHARED,
                _stdlib_logger_name,
                structlog.stdlib.ExtraAdder(),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "rq.worker", "alembic"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Requests are logged by our middleware with route/status/duration; uvicorn's access line would duplicate them.
    logging.getLogger("uvicorn.access").disabled = True


class _LazyLogger:
    """Binds on first use. Modules call get_logger at import, which in uvicorn's spawned workers
    (WEB_CONCURRENCY > 1) comes before configure_logging: a logger bound then would keep
    structlog's default console renderer for the life of the process."""

    def __init__(self, name: str):
        self._name = name
        self._bound: Any = None

    def __getattr__(self, attribute: str) -> Any:
        if self._bound is None:
            self._bound = structlog.get_logger().bind(logger=self._name)
        return getattr(self._bound, attribute)


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    return cast(structlog.typing.FilteringBoundLogger, _LazyLogger(name))
