"""AWS Lambda entry: `ai_service.lambda_handler.handler` (API Gateway -> Mangum -> FastAPI).

At cold start the secret named by SECRETS_ARN (a JSON object of env var names) is loaded into
the environment before settings are read (see secret_env); a sandbox fetches it once.

Set INLINE_JOBS=true there: uploads are processed inside the request, no worker runs.
EventBridge Scheduler invokes the same function with `{"schedule": NAME, "command": [...]}`:
the command runs here (see cli.SCHEDULABLE), since Lambda has no scheduler container.
"""

import os

# One process per sandbox: the function blanks the image's PROMETHEUS_MULTIPROC_DIR to mean single-process
# metrics. The service reads "" that way; prometheus_client (which picks its value class at import) and the
# HTTP instrumentation do not, so the variable goes before either is imported.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

import structlog  # noqa: E402 - after the environment fix above
from mangum import Mangum  # noqa: E402

from .app import create_app  # noqa: E402
from .cli import run_command  # noqa: E402
from .logs import configure_logging  # noqa: E402
from .secret_env import load_secret_env  # noqa: E402
from .settings import check_startup, get_settings  # noqa: E402

load_secret_env()
_settings = get_settings()
check_startup(_settings, needs_api_keys=True)
configure_logging(_settings.log_level)
_http = Mangum(create_app(_settings), lifespan="off")


def handler(event, context):
    if isinstance(event, dict) and "schedule" in event and "command" in event:
        structlog.get_logger("ai_service.scheduler").info("schedule_started", schedule=event["schedule"])
        run_command(list(event["command"]), _settings)
        return {"schedule": event["schedule"], "status": "done"}
    return _http(event, context)
