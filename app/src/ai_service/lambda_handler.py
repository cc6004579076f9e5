"""AWS Lambda entry: `ai_service.lambda_handler.handler` (API Gateway -> Mangum -> FastAPI).

At cold start the secret named by SECRETS_ARN (a JSON object of env var names) is loaded into
the environment before settings are read (see secret_env); a sandbox fetches it once.

Set INLINE_JOBS=true there: uploads are processed inside the request, no worker runs.
EventBridge Scheduler invokes the same function with `{"schedule": NAME, "command": [...]}`:
the command runs here (see cli.SCHEDULABLE), since Lambda has no scheduler container.
"""

import structlog
from mangum import Mangum

from .app import create_app
from .cli import run_command
from .logs import configure_logging
from .secret_env import load_secret_env
from .settings import check_startup, get_settings

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
