"""nginx.conf for the edge of a docker host, in nginx 1.22 syntax (the validator here).

Upstream addresses, ports and every filesystem path are parameters, so the same text runs in
the nginx container (defaults) and under a non-root nginx in tests (tmp paths, free ports).

- the probe paths (`health_paths`, /health and /health/ready by default): proxied on plain HTTP for
  any Host, never logged, never redirected.
- the API's requests may take `proxy_timeout_s` (ai-service:requestTimeoutS) before nginx answers 504.
- /.well-known/acme-challenge/: served from the ACME webroot (certbot on the host writes it).
- /metrics: never routed (Prometheus scrapes the containers directly).
- /<name>/: a public accessory (prefix stripped), with the same rate limit and security headers
  as the API but the accessory's own Content-Security-Policy (or its upstream's, passed through);
  private accessories get no route at all.
- internal listener (only when an accessory calls the API): plain HTTP on the compose network, never
  published, the API only; it presents requests as the public site (Host, scheme) so the service's
  trusted-host and HTTPS-redirect checks hold, and has no per-client rate limit (its clients are
  accessories the config names).
- everything else: rate limited per client (10 r/s, burst 20 → 429), body limit = maxUploadBytes;
  with TLS the HTTP server only redirects to HTTPS.
- TLS needs a certificate before nginx starts: the host writes a self-signed one at first boot
  and certbot's deploy hook replaces it (see infra/render/dockerhost/cloud_init.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.contract import HEALTH_PATH, READY_PATH

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"
# FastAPI's Swagger UI page runs an inline script, loads its bundle from jsDelivr and fetches /openapi.json.
DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net; img-src data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class NginxInputs:
    api_upstreams: tuple[str, ...]  # host:port of each API replica (unless api_upstream_file)
    max_body_bytes: int
    domain: str = ""  # server_name; "" = any Host
    tls: bool = False
    http_port: int = 80
    https_port: int = 443
    rate_per_second: int = 10
    burst: int = 20
    tls_dir: str = "/etc/nginx/tls"  # fullchain.pem, privkey.pem
    acme_root: str = "/var/www/acme"
    runtime_dir: str = "/var/cache/nginx"  # temp files (must be writable by the workers)
    pid_file: str = "/var/run/nginx.pid"
    user: str | None = "nginx"  # None when nginx runs unprivileged (tests)
    access_log: str = "/dev/stdout"
    error_log: str = "/dev/stderr"
    worker_processes: str = "auto"
    api_docs: bool = False  # serve /docs and /openapi.json under a CSP Swagger UI runs with (appEnv development)
    accessories: tuple[tuple[str, str], ...] = ()  # (name, host:port) of each public accessory: /<name>/
    # name -> Content-Security-Policy for /<name>/; None = pass the accessory's own header through
    accessory_csp: tuple[tuple[str, str | None], ...] = ()
    internal_port: int | None = None  # the API for accessories (`callsApi`), on the private network only
    # The API upstream's servers come from this file (`server ADDRESS:PORT max_fails=0;` lines), which
    # the rolling update rewrites to drain a replica before it stops and to add it back by its new address.
    api_upstream_file: str | None = None
    health_paths: tuple[str, ...] = (HEALTH_PATH, READY_PATH)  # liveness, readiness (ai-service:health)
    proxy_timeout_s: int = 60  # proxy_read_timeout / proxy_send_timeout towards the API


def _block(header: str, lines: list[str]) -> list[str]:
    return [f"{header} {{", *(f"    {line}" if line else "" for line in lines), "}"]


def _headers(tls: bool, csp: str | None = None, *, pass_csp: bool = False) -> list[str]:
    headers = dict(SECURITY_HEADERS) | ({"Content-Security-Policy": csp} if csp else {})
    if pass_csp:
        del headers["Content-Security-Policy"]
    if tls:
        headers["Strict-Transport-Security"] = HSTS
    return [f'add_header {name} "{value}" always;' for name, value in headers.items()]


def _probe_locations(inputs: NginxInputs) -> list[str]:
    lines = []
    for path in dict.fromkeys(inputs.health_paths):  # liveness may equal readiness
        lines += [f"location = {path} {{", "    access_log off;", "    proxy_pass http://api;", "}"]
    return lines


def _acme_location(inputs: NginxInputs) -> list[str]:
    return [
        "location ^~ /.well-known/acme-challenge/ {",
        f"    root {inputs.acme_root};",
        "    default_type text/plain;",
        "}",
    ]


def _docs_location(inputs: NginxInputs, limit: str) -> list[str]:
    # add_header in a location replaces the server's set, so the whole set is repeated here.
    headers = [f"    {h}" for h in _headers(inputs.tls, DOCS_CSP)]
    return [
        "location ~ ^/(docs|docs/oauth2-redirect|openapi\\.json)$ {",
        f"    {limit}",
        *headers,
        "    proxy_pass http://api;",
        "}",
    ]


def _accessory_locations(inputs: NginxInputs, limit: str) -> list[str]:
    # ^~: no regex location (docs) may take an accessory's path; the URI in proxy_pass strips the prefix.
    # add_header and proxy_hide_header in a location replace the server's/http's sets: both are repeated.
    csp = dict(inputs.accessory_csp)
    lines = []
    for name, _ in inputs.accessories:
        policy = csp.get(name, SECURITY_HEADERS["Content-Security-Policy"])
        passed = name in csp and policy is None
        # Passing the accessory's own policy: every other edge header is still hidden (proxy_hide_header
        # in a location replaces the http level's list).
        hidden = [h for h in [*SECURITY_HEADERS, "Strict-Transport-Security"] if h != "Content-Security-Policy"]
        lines += [
            f"location ^~ /{name}/ {{",
            f"    {limit}",
            *(f"    {h}" for h in _headers(inputs.tls, policy, pass_csp=passed)),
            *(f"    proxy_hide_header {h};" for h in hidden if passed),
            f"    proxy_pass http://accessory-{name}/;",
            "}",
        ]
    return lines


def _app_locations(inputs: NginxInputs) -> list[str]:
    limit = f"limit_req zone=api burst={inputs.burst} nodelay;"
    docs = _docs_location(inputs, limit) if inputs.api_docs else []
    return [
        "location ^~ /metrics {",
        "    return 404;",
        "}",
        *docs,
        *_accessory_locations(inputs, limit),
        "location /api/ {",
        f"    {limit}",
        "    proxy_pass http://api;",
        "}",
        "location / {",
        f"    {limit}",
        "    proxy_pass http://api;",
        "}",
    ]


def _internal_server(inputs: NginxInputs, port: int) -> list[str]:
    """The API for accessories on the private network: as the public site would send it, without the
    per-client rate limit (a burst of webhooks from one container is not abuse)."""
    host = inputs.domain or "$host"
    scheme = "https" if inputs.tls else "$scheme"
    return [
        f"listen {port};",
        "server_name _;",
        "",
        *_probe_locations(inputs),
        "location ^~ /metrics {",
        "    return 404;",
        "}",
        "location / {",
        # proxy_set_header in a location replaces the http level's set: all four again.
        f"    proxy_set_header Host {host};",
        "    proxy_set_header X-Real-IP $remote_addr;",
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        f"    proxy_set_header X-Forwarded-Proto {scheme};",
        "    proxy_pass http://api;",
        "}",
    ]


def render_nginx_conf(inputs: NginxInputs) -> str:
    if not inputs.api_upstreams and not inputs.api_upstream_file:
        raise ValueError("nginx needs at least one API upstream")
    if inputs.tls and not inputs.domain:
        raise ValueError("TLS needs a domain (the certificate's name)")
    name = inputs.domain or "_"
    http_server = [f"listen {inputs.http_port} default_server;", f"server_name {name};", *_headers(False), ""]
    http_server += _acme_location(inputs) + _probe_locations(inputs)
    if inputs.tls:
        port = "" if inputs.https_port == 443 else f":{inputs.https_port}"
        http_server += ["location / {", f"    return 301 https://{inputs.domain}{port}$request_uri;", "}"]
    else:
        http_server += _app_locations(inputs)
    servers = _block("server", http_server)
    if inputs.tls:
        https_server = [
            # HTTP/1.1 over TLS: `listen … http2` is deprecated from nginx 1.25 and `http2 on;` unknown
            # before it; this form means the same to the validator (1.22) and the image (1.30).
            f"listen {inputs.https_port} ssl default_server;",
            f"server_name {name};",
            f"ssl_certificate {inputs.tls_dir}/fullchain.pem;",
            f"ssl_certificate_key {inputs.tls_dir}/privkey.pem;",
            "ssl_protocols TLSv1.2 TLSv1.3;",
            "ssl_prefer_server_ciphers off;",
            "ssl_session_cache shared:TLS:10m;",
            "ssl_session_timeout 1d;",
            "ssl_session_tickets off;",
            *_headers(True),
            "",
            *_probe_locations(inputs),
            *_app_locations(inputs),
        ]
        servers += ["", *_block("server", https_server)]
    if inputs.internal_port is not None:
        servers += ["", *_block("server", _internal_server(inputs, inputs.internal_port))]

    # max_fails=0: a replica is never "disabled" for a while after an error; otherwise, during a
    # rolling update, the restarted replica can still be disabled when the next one stops and
    # nginx has no live upstream (seen in tests/droplet/test_system.py). No keepalive pool: a
    # stopping replica then only refuses new connections, which nginx retries even for POSTs.
    if inputs.api_upstream_file:
        upstream = [f"include {inputs.api_upstream_file};"]
    else:
        upstream = [f"server {u} max_fails=0;" for u in inputs.api_upstreams]
    accessory_upstreams = []
    for name, address in inputs.accessories:
        accessory_upstreams += ["", *_block(f"upstream accessory-{name}", [f"server {address} max_fails=0;"])]
    rt = inputs.runtime_dir
    http = [
        "default_type application/json;",
        "server_tokens off;",
        "sendfile on;",
        "keepalive_timeout 65s;",
        f"client_max_body_size {inputs.max_body_bytes};",
        "client_body_buffer_size 128k;",
        f"client_body_temp_path {rt}/client_temp;",
        f"proxy_temp_path {rt}/proxy_temp;",
        f"fastcgi_temp_path {rt}/fastcgi_temp;",
        f"uwsgi_temp_path {rt}/uwsgi_temp;",
        f"scgi_temp_path {rt}/scgi_temp;",
        "",
        'log_format json escape=json \'{"time":"$time_iso8601","remote":"$remote_addr",\'',
        '    \'"method":"$request_method","uri":"$request_uri","status":$status,\'',
        '    \'"bytes":$body_bytes_sent,"duration":$request_time,"upstream":"$upstream_addr"}\';',
        f"access_log {inputs.access_log} json;",
        "",
        "# One bucket per client address; beyond the burst nginx answers 429 at once.",
        f"limit_req_zone $binary_remote_addr zone=api:10m rate={inputs.rate_per_second}r/s;",
        "limit_req_status 429;",
        "",
        *_block("upstream api", upstream),
        *accessory_upstreams,
        "",
        "# A replica that is stopping refuses connections: the request moves to the next one,",
        "# so a rolling update loses nothing (POSTs are retried only when nothing was sent).",
        "proxy_http_version 1.1;",
        "proxy_set_header Host $host;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_next_upstream error timeout http_502 http_503;",
        f"proxy_next_upstream_tries {max(2, len(inputs.api_upstreams))};",
        "proxy_connect_timeout 2s;",
        "# The edge owns the security headers: drop the app's copies so each is sent once.",
        *(f"proxy_hide_header {name};" for name in [*SECURITY_HEADERS, "Strict-Transport-Security"]),
        f"proxy_read_timeout {inputs.proxy_timeout_s}s;",
        f"proxy_send_timeout {inputs.proxy_timeout_s}s;",
        "",
        *servers,
    ]
    top = [f"user {inputs.user};"] if inputs.user else []
    top += [
        f"worker_processes {inputs.worker_processes};",
        f"pid {inputs.pid_file};",
        f"error_log {inputs.error_log} warn;",
        "",
        *_block("events", ["worker_connections 1024;"]),
        "",
        *_block("http", http),
    ]
    return (
        "# Generated by ai-service-infra (infra/render/dockerhost/nginx.py); do not edit on the host.\n"
        + "\n".join(top)
        + "\n"
    )
