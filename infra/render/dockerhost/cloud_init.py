"""cloud-init for a droplet: a minimal first-boot stub (DigitalOcean replaces a droplet whose user_data changes).

So nothing a user edits is in here: the image, compose.yaml, nginx.conf, the deploy scripts and
the host settings (admin user and key, SSH CIDRs, domain, TLS e-mail; host/host.env in the
release, applied by deploy/host.sh) all come from the release manifest the agent pulls. This
installs Docker + compose from Ubuntu, hardens the host (ufw with only 80/443 open until the
first release opens SSH to its CIDRs, unattended security upgrades, key-only SSH, no root
login), writes where the bucket is, and installs the boot unit and the agent, health-check and
backup timers; the agent's first run fetches the deploy scripts (deploy/bootstrap.sh).

`render_cloud_config` is secret-free (published as cloud-init.yaml and validated with
`cloud-init schema`). `user_data` wraps it in a MIME multi-part message with a second part that
writes the bucket user's key to a root-only file; only that combined text reaches the droplet.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from infra.render.dockerhost.deploy import BIN_DIR, bootstrap_script
from infra.render.yaml_text import dump

# cloud-init's schema accepts unknown top-level keys (a typo would pass): we emit only these.
ALLOWED_KEYS = frozenset(
    {"package_update", "package_upgrade", "packages", "ssh_pwauth", "disable_root", "write_files", "runcmd"}
)
USER_DATA_LIMIT = 64 * 1024  # DigitalOcean's user_data limit
PROJECT_DIR = "/opt/ai-service"
AGENT_CONF = "/etc/ai-service/agent.conf"
CREDENTIALS = "/etc/ai-service/credentials.env"
MIME_BOUNDARY = "ai-service-user-data"  # fixed: the same inputs must give byte-identical user_data


@dataclass(frozen=True)
class CloudInitInputs:
    s3_bucket: str
    s3_region: str


def _unit(description: str, body: str) -> str:
    return f"[Unit]\nDescription={description}\n{body}"


def _systemd_files() -> dict[str, str]:
    docker = "After=docker.service network-online.target\nRequires=docker.service\nWants=network-online.target\n"
    compose = f"/usr/bin/docker compose --project-directory {PROJECT_DIR}/live -f {PROJECT_DIR}/live/compose.yaml"
    files = {
        # Keeps the compose project up after a reboot (containers also have restart policies).
        "ai-service.service": _unit(
            "ai-service compose project",
            f"{docker}ConditionPathExists={PROJECT_DIR}/live/compose.yaml\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\n"
            f"ExecStart={compose} up -d --remove-orphans\nExecStop={compose} stop\nTimeoutStartSec=15min\n\n"
            "[Install]\nWantedBy=multi-user.target\n",
        ),
    }
    jobs = {
        "agent": ("ai-service release agent", "bootstrap.sh", "OnBootSec=30s\nOnUnitInactiveSec=60s", "1h"),
        "health": ("ai-service health check", "healthcheck.sh", "OnBootSec=5min\nOnUnitActiveSec=5min", "5min"),
        "backup": ("ai-service Redis backup", "backup.sh", "OnCalendar=*-*-* 03:17:00\nPersistent=true", "30min"),
    }
    for name, (description, script, schedule, timeout) in jobs.items():
        files[f"ai-service-{name}.service"] = _unit(
            description,
            f"{docker}\n[Service]\nType=oneshot\nExecStart={BIN_DIR}/{script}\nTimeoutStartSec={timeout}\n"
            f"StandardOutput=append:/var/log/ai-service/{name}.log\nStandardError=append:/var/log/ai-service/{name}.log\n",
        )
        files[f"ai-service-{name}.timer"] = _unit(
            description, f"\n[Timer]\n{schedule}\n\n[Install]\nWantedBy=timers.target\n"
        )
    return files


def render_cloud_config(inputs: CloudInitInputs) -> str:
    agent_conf = f"PROJECT_DIR={PROJECT_DIR}\nS3_BUCKET={inputs.s3_bucket}\nS3_REGION={inputs.s3_region}\n"
    write_files = [
        {
            "path": "/etc/ssh/sshd_config.d/60-ai-service.conf",
            "permissions": "0644",
            "content": "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n",
        },
        {
            "path": "/etc/apt/apt.conf.d/20auto-upgrades",
            "permissions": "0644",
            "content": 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
        },
        # Default log rotation for every container (compose sets the same per service).
        {
            "path": "/etc/docker/daemon.json",
            "permissions": "0644",
            "content": '{"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}}\n',
        },
        {
            "path": "/etc/logrotate.d/ai-service",
            "permissions": "0644",
            "content": (
                "/var/log/ai-service/*.log {\n  daily\n  rotate 7\n  compress\n  missingok\n  notifempty\n  "
                "copytruncate\n}\n"
            ),
        },
        {"path": AGENT_CONF, "permissions": "0644", "content": agent_conf},
        {"path": f"{BIN_DIR}/bootstrap.sh", "permissions": "0755", "content": bootstrap_script()},
    ]
    write_files += [
        {"path": f"/etc/systemd/system/{name}", "permissions": "0644", "content": text}
        for name, text in _systemd_files().items()
    ]
    runcmd = [
        [
            "mkdir",
            "-p",
            f"{PROJECT_DIR}/live/secrets",
            f"{PROJECT_DIR}/live/acme",
            f"{PROJECT_DIR}/live/tls",
            f"{PROJECT_DIR}/releases",
            "/var/log/ai-service",
        ],
        ["chmod", "700", f"{PROJECT_DIR}/live/secrets", f"{PROJECT_DIR}/releases"],
        ["ufw", "default", "deny", "incoming"],
        ["ufw", "default", "allow", "outgoing"],
        ["ufw", "allow", "80/tcp"],
        ["ufw", "allow", "443/tcp"],
        ["ufw", "--force", "enable"],
        ["systemctl", "restart", "ssh"],
        ["systemctl", "restart", "docker"],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "ai-service.service"],
        [
            "systemctl",
            "enable",
            "--now",
            "ai-service-agent.timer",
            "ai-service-health.timer",
            "ai-service-backup.timer",
        ],
    ]
    config = {
        "package_update": True,
        "package_upgrade": False,  # unattended-upgrades applies security updates
        # certbot always: setting a domain later must not change user_data.
        "packages": [
            "docker.io",
            "docker-compose-v2",
            "ufw",
            "unattended-upgrades",
            "python3",
            "curl",
            "openssl",
            "certbot",
        ],
        "ssh_pwauth": False,
        "disable_root": True,
        "write_files": write_files,
        "runcmd": runcmd,
    }
    unknown = set(config) - ALLOWED_KEYS
    if unknown:
        raise ValueError(f"cloud-config keys outside the allowlist: {', '.join(sorted(unknown))}")
    return "#cloud-config\n" + dump(config, width=1000)


def _credentials_part(credentials: dict[str, str]) -> str:
    # merge_how appends this part's write_files to the first part's list instead of replacing it.
    body = "".join(f"{k}={v}\n" for k, v in credentials.items())
    config = {
        "merge_how": [
            {"name": "list", "settings": ["append"]},
            {"name": "dict", "settings": ["no_replace", "recurse_list"]},
        ],
        "write_files": [{"path": CREDENTIALS, "permissions": "0600", "owner": "root:root", "content": body}],
    }
    return "#cloud-config\n" + dump(config, width=1000)


def user_data(cloud_config: str, credentials: dict[str, str]) -> str:
    """The droplet's user_data: the published cloud-config plus the root-only credentials part."""
    message = MIMEMultipart(boundary=MIME_BOUNDARY)
    for name, text in (("cloud-config.yaml", cloud_config), ("credentials.yaml", _credentials_part(credentials))):
        part = MIMEText(text, "cloud-config", "utf-8")
        part.add_header("Content-Disposition", "attachment", filename=name)
        message.attach(part)
    text = message.as_string()
    if len(text.encode()) > USER_DATA_LIMIT:
        raise ValueError(f"user_data is {len(text.encode())} bytes; DigitalOcean accepts at most {USER_DATA_LIMIT}")
    return text
