"""AWS Lambda entry: `ai_service.lambda_handler.handler` (API Gateway -> Mangum -> FastAPI).

Set INLINE_JOBS=true there: uploads are processed inside the request, no worker runs.
"""

from mangum import Mangum

from .app import create_app
from .logs import configure_logging
from .settings import check_startup, get_settings

_settings = get_settings()
check_startup(_settings, needs_api_keys=True)
configure_logging(_settings.log_level)
handler = Mangum(create_app(_settings), lifespan="off")
