"""Signed, expiring download links: how a channel without documents (Zalo) still hands the office's
files (exports, the charts of /tinhhinh) to a person, when the deployment has a public URL
(DONDOC_PUBLIC_URL). Without one, the channel says to use Telegram or ask the office instead.

A link is `<DONDOC_PUBLIC_URL>/files/<token>`, where the token is
`base64url(JSON {p: path under DATA_DIR, n: file name, e: expiry}) "." base64url(HMAC-SHA256)`.
The key is random, kept in DATA_DIR/public-files.key (mode 0600) and made on first use: links
survive a restart, cannot be forged or pointed at another file, and stop working after `ttl`.
Nothing outside DATA_DIR can be linked.

Serving: `add_routes(app, files)` adds `GET /files/{token}` to an aiohttp application, e.g. the
webhook and health server of bot/webhook.py (`WebServer.start`, before `runner.setup()`). The
reverse proxy forwards `<DONDOC_PUBLIC_URL>/files/` to that server."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
import urllib.parse
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web

KEY_FILE = "public-files.key"
ROUTE = "/files/{token}"
DEFAULT_TTL = timedelta(hours=72)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_key(data_dir: Path) -> bytes:
    """The signing key of this deployment, made on first use."""
    path = data_dir / KEY_FILE
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
    if len(key) < 32:
        raise ValueError(f"{path} holds a key shorter than 32 bytes")
    return key


class PublicFiles:
    def __init__(
        self,
        public_url: str,
        data_dir: Path,
        *,
        key: bytes | None = None,
        ttl: timedelta = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.data_dir = data_dir.resolve()
        self._key = key if key is not None else load_key(data_dir)
        self.ttl = ttl
        self._clock = clock

    @property
    def hours(self) -> int:
        return max(1, int(self.ttl.total_seconds() // 3600))

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def link(self, path: Path, file_name: str) -> str:
        """A download link for a file under DATA_DIR (ValueError for any other file)."""
        relative = path.resolve().relative_to(self.data_dir)  # ValueError outside DATA_DIR
        expires = int(self._clock() + self.ttl.total_seconds())
        body = json.dumps(
            {"p": relative.as_posix(), "n": file_name, "e": expires},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        payload = _b64(body.encode("utf-8"))
        return f"{self.public_url}/files/{payload}.{self._sign(payload)}"

    def open(self, token: str) -> tuple[Path, str] | None:
        """The file and its name a token names, if it is genuine, unexpired and still there."""
        payload, _, signature = token.partition(".")
        if not payload or not payload.isascii():
            return None
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return None
        try:
            data = json.loads(_unb64(payload))
            relative, name, expires = str(data["p"]), str(data["n"]), int(data["e"])
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None
        if self._clock() >= expires:
            return None
        path = (self.data_dir / relative).resolve()
        if not path.is_relative_to(self.data_dir) or not path.is_file():
            return None
        return path, name


def add_routes(app: web.Application, files: PublicFiles) -> None:
    """Serve `GET /files/{token}` on `app` (before the application starts)."""

    async def download(request: web.Request) -> web.StreamResponse:
        found = files.open(request.match_info["token"])
        if found is None:
            raise web.HTTPNotFound(text="not found or expired")
        path, name = found
        quoted = urllib.parse.quote(name)
        return web.FileResponse(
            path,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}",
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    app.router.add_get(ROUTE, download)
