"""A self-signed certificate where the edge expects Let's Encrypt's files (tests of TLS nginx configs)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.tools import require_tool


def self_signed(directory: Path, name: str) -> None:
    """privkey.pem and fullchain.pem for `name` in `directory`, as the host writes them at first boot."""
    openssl = require_tool("openssl", "apt-get install -y openssl")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={name}",
            "-keyout",
            str(directory / "privkey.pem"),
            "-out",
            str(directory / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
