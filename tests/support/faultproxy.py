"""A TCP proxy a test can cut or freeze, in front of one dependency (Postgres, Redis, S3).

- `cut()`:    every open connection is reset and new ones are refused (the host went away)
- `freeze()`: connections are accepted and kept open but no byte moves in either direction
              (the host hangs: only the client's own timeouts get it out)
- `restore()`: back to forwarding; clients reconnect by themselves

The upstream is a TCP address or a unix socket path (pgserver listens on a socket only).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time


class FaultProxy:
    def __init__(self, upstream: tuple[str, int] | str):
        self.upstream = upstream
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(512)
        self.port = self.listener.getsockname()[1]
        self.mode = "forward"
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    # --- control -------------------------------------------------------------------------

    def cut(self) -> None:
        with self._lock:
            self.mode = "cut"
            pairs, self._pairs = self._pairs, []
        for client, server in pairs:
            _reset(client)
            if server is not None:
                _reset(server)

    def freeze(self) -> None:
        with self._lock:
            self.mode = "freeze"

    def restore(self) -> None:
        with self._lock:
            if self.mode == "freeze":
                # Connections held during the freeze are dropped: like a host that comes back after a hang.
                pairs, self._pairs = self._pairs, []
            else:
                pairs = []
            self.mode = "forward"
        for client, server in pairs:
            _reset(client)
            if server is not None:
                _reset(server)

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self.listener.close()

    # --- plumbing ------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self.mode
            if mode == "cut":
                _reset(client)
                continue
            if mode == "freeze":
                with self._lock:
                    self._pairs.append((client, None))
                continue
            try:
                server = self._connect()
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _connect(self) -> socket.socket:
        if isinstance(self.upstream, str):
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.settimeout(5)
        server.connect(self.upstream)
        server.settimeout(None)
        return server

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peers = {client: server, server: client}
        try:
            while True:
                readable, _, _ = select.select([client, server], [], [], 0.2)
                if self.mode == "freeze":
                    time.sleep(0.05)
                    if not self._alive(client):
                        return
                    continue
                if not self._alive(client):
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionError
                    peers[sock].sendall(data)
        except OSError:
            pass
        finally:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                with contextlib.suppress(ValueError):
                    self._pairs.remove((client, server))

    def _alive(self, client: socket.socket) -> bool:
        with self._lock:
            return any(pair[0] is client for pair in self._pairs)


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a vanished host or a firewall reject looks to the client."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with contextlib.suppress(OSError):
        sock.close()
