"""A Lambda sandbox for tests: one process that loads a handler the way the runtime does and answers invocations.

    with LambdaSandbox("ai_service.lambda_handler.handler", env, log_path) as sandbox:
        sandbox.invoke(api_gateway_event("GET", "/health/ready"))

The child (`python -m tests.support.lambda_sandbox HANDLER`) resolves HANDLER with the runtime
interface client's own resolver (awslambdaric, the image's entry point) — importing the module is
the cold start — then reads one JSON event per stdin line and writes one result line. A failing
cold start or invocation comes back as Lambda's `{"errorType", "errorMessage"}` shape.
Like a real sandbox, module state (the loaded secret, settings) lives across invocations.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import traceback
from pathlib import Path

RESULT = "LAMBDA-SANDBOX-RESULT "
INIT_ERROR = "LAMBDA-SANDBOX-INIT-ERROR "


def api_gateway_event(
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str = "abc.execute-api.us-east-1.amazonaws.com",
) -> dict:
    """An API Gateway HTTP API (payload v2.0) event, as the `$default` route delivers it over HTTPS."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": host, "x-forwarded-proto": "https", **(headers or {})},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.9", "protocol": "HTTP/1.1"},
            "stage": "$default",
            "requestId": "contract",
            "domainName": host,
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def _error(exc: BaseException) -> dict:
    return {"errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": traceback.format_exc()}


class LambdaError(AssertionError):
    pass


class LambdaSandbox:
    def __init__(self, handler: str, env: dict[str, str], log_path: Path, *, timeout: float = 60):
        self.timeout = timeout
        self.log_path = log_path
        self._log = log_path.open("w")
        root = str(Path(__file__).resolve().parents[2])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.lambda_sandbox", handler],
            env={**env, "PYTHONPATH": root},
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )

    def _read_result(self) -> dict:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(RESULT):
                return json.loads(line.removeprefix(RESULT))
            if line.startswith(INIT_ERROR):
                raise LambdaError(f"cold start failed: {json.loads(line.removeprefix(INIT_ERROR))['errorMessage']}")
            self._log.write(line)  # the handler's own output (logs, prints)
        raise LambdaError(f"sandbox exited with {self.process.wait()}:\n{self.log_path.read_text()[-3000:]}")

    def invoke(self, event: dict) -> dict:
        """The handler's return value; LambdaError when it raised (or the cold start failed)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(event) + "\n")
        self.process.stdin.flush()
        result = self._read_result()
        if isinstance(result, dict) and set(result) >= {"errorType", "errorMessage"}:
            raise LambdaError(f"{result['errorType']}: {result['errorMessage']}")
        return result

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> LambdaSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(handler_name: str) -> int:
    from awslambdaric.bootstrap import _get_handler

    out = sys.stdout
    sys.stdout = sys.stderr  # the handler's prints must not mix with results
    try:
        handler = _get_handler(handler_name)
    except Exception as exc:  # noqa: BLE001 - reported like Lambda's Runtime.ImportModuleError / init error
        out.write(INIT_ERROR + json.dumps(_error(exc)) + "\n")
        out.flush()
        return 1
    for line in sys.stdin:
        try:
            result = handler(json.loads(line), None)
        except Exception as exc:  # noqa: BLE001 - an invocation error, as Lambda returns it
            result = _error(exc)
        out.write(RESULT + json.dumps(result) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1]))
