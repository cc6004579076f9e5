"""Run in a subprocess by test_lambda.py: drive ai_service.lambda_handler.handler with API Gateway v2 events."""

import base64
import json

from ai_service.lambda_handler import handler


def event(method: str, path: str, *, query: str = "", body: bytes = b"", content_type: str = "") -> dict:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": "abc.execute-api.eu-west-1.amazonaws.com",
            "content-type": content_type,
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.9", "protocol": "HTTP/1.1"},
            "stage": "$default",
            "requestId": "r1",
            "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


multipart = (
    b'--bb\r\nContent-Disposition: form-data; name="file"; filename="lambda.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nServerless functions scale to zero.\r\n--bb--\r\n"
)
responses = [
    handler(event("GET", "/health"), None),
    handler(event("POST", "/api/v1/documents", body=multipart, content_type="multipart/form-data; boundary=bb"), None),
    handler(event("GET", "/api/v1/search", query="q=serverless+functions"), None),
]
print("RESULT", json.dumps([{"status": r["statusCode"], "body": json.loads(r["body"])} for r in responses]))
