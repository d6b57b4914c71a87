"""The sandbox's web page: a messenger-like chat with the bot, as any person of the sample, with a
clock bar and a reset button (http://127.0.0.1:8080, DONDOC_SANDBOX_HOST and
DONDOC_SANDBOX_WEB_PORT).

The page (bot/sandbox/static: plain HTML, CSS and JavaScript, no CDN) talks to a small JSON API:

  GET  /api/state                       the sandbox date, who one can be, spare invites
  GET  /api/chats/{user}?after_revision=R&timeout=S
                                        the chat's messages once anything changed after R
  POST /api/chats/{user}/text           {"text": ...}
  POST /api/chats/{user}/press          {"message_id": ..., "label": ...}
  POST /api/chats/{user}/upload         multipart: file, caption, as=photo|document
  GET  /api/files/{file_id}             a file a message carries (?download=1: as attachment)
  POST /api/newcomer                    a new Telegram user, to register with an invite
  POST /api/clock                       {"days": N} or {"date": "2024-04-20"}
  POST /api/reset                       start over

What a person does is passed on to the emulator's control API (/_control/bots/<token>/users/...),
as `dondoc chat` does; the clock and the reset go to bot/sandbox/demo.py."""

from __future__ import annotations

import contextlib
import logging
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.sandbox.demo import ClockError, Demo, PersonaView
from messages import Texts, plain
from messages.render import vn_date

if TYPE_CHECKING:
    from bot.app import App
    from bot.sandbox.telegram_emulator import TelegramEmulator
    from bot.sandbox.world import ChatMessage

log = logging.getLogger(__name__)

JSON = dict[str, Any]
MAX_WAIT = 25.0  # seconds a page's long poll is held
MAX_UPLOAD = 20 * 1024 * 1024
PREVIEW_LENGTH = 80


def static_dir() -> Path:
    return Path(str(resources.files("bot.sandbox") / "static"))


class SandboxWeb:
    """The page's HTTP server, in the bot's event loop."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.texts = demo.app.services.texts
        self.tz = demo.settings.tz
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url: str | None = None
        self.app = self._build()

    # ------------------------------------------------------------------ lifecycle

    def _build(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_static("/static", static_dir(), append_version=False)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/chats/{user_id:[0-9]+}", self._chat)
        app.router.add_post("/api/chats/{user_id:[0-9]+}/text", self._text)
        app.router.add_post("/api/chats/{user_id:[0-9]+}/press", self._press)
        app.router.add_post("/api/chats/{user_id:[0-9]+}/upload", self._upload)
        app.router.add_get("/api/files/{file_id}", self._file)
        app.router.add_post("/api/newcomer", self._newcomer)
        app.router.add_post("/api/clock", self._clock)
        app.router.add_post("/api/reset", self._reset)
        app.on_cleanup.append(self._close_session)
        return app

    async def start(self, host: str, port: int) -> str:
        runner = web.AppRunner(self.app, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        actual = runner.addresses[0][1]
        shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        self.url = f"http://{shown}:{actual}"
        return self.url

    async def stop(self) -> None:
        self.demo.save_clock()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _close_session(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=MAX_WAIT + 30)
            )
        return self._session

    def _user_url(self, user_id: int, what: str) -> str:
        emulator = self.demo.emulator
        return f"{emulator.base_url}/_control/bots/{self.demo.token}/users/{user_id}/{what}"

    # ------------------------------------------------------------------ page and state

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(static_dir() / "index.html", headers={"Cache-Control": "no-cache"})

    async def _state(self, _request: web.Request) -> web.Response:
        demo = self.demo
        account = demo.emulator.bot(demo.token)
        personas = await demo.personas()
        invites = await demo.invites()
        body: JSON = {
            "now": self._moment(demo.now()),
            "busy": demo.busy,
            "revision": account.account.revision if account is not None else 0,
            "bot": {
                "name": account.account.user.first_name if account else "",
                "username": account.account.user.username if account else "",
            },
            "personas": [self._persona(p) for p in personas],
            "invites": [
                {
                    "code": i.code,
                    "unit_name": i.unit_name,
                    "role": i.role.value,
                    "role_label": self.texts(f"roles.{i.role.value}"),
                }
                for i in invites
            ],
        }
        return web.json_response(body)

    def _persona(self, person: PersonaView) -> JSON:
        account = self.demo.emulator.bot(self.demo.token)
        chat = account.account.chat(person.user_id) if account is not None else None
        messages = [m for m in chat.messages if not m.deleted] if chat is not None else []
        last = messages[-1] if messages else None
        return {
            "user_id": person.user_id,
            "name": person.name,
            "unit_code": person.unit_code,
            "unit_name": person.unit_name,
            "role": person.role.value if person.role else None,
            "role_label": self.texts(f"roles.{person.role.value}") if person.role else "",
            "bot_messages": sum(1 for m in messages if m.from_bot),
            "last": _preview(last) if last is not None else "",
            "last_time": self._moment(_when(last, self.tz))["time"] if last is not None else "",
        }

    def _moment(self, moment: datetime) -> JSON:
        local = moment.astimezone(self.tz)
        return {
            "iso": local.isoformat(timespec="seconds"),
            "date": local.date().isoformat(),
            "day": vn_date(local),  # as people write it: 1/4/2024
            "time": f"{local.hour:02d}:{local.minute:02d}",
            "weekday": local.weekday(),
        }

    # ------------------------------------------------------------------ a chat

    async def _chat(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        params = {"since": "0", "timeout": "0"}
        with contextlib.suppress(ValueError):
            after = int(request.query.get("after_revision", "-1"))
            wait = min(max(float(request.query.get("timeout", "0")), 0.0), MAX_WAIT)
            params = {"since": "0", "after_revision": str(after), "timeout": str(wait)}
        async with self._client().get(self._user_url(user_id, "transcript"), params=params) as r:
            answer = await r.json()
            if r.status != 200:
                return _error(r.status, "emulator", answer)
        account = self.demo.emulator.bot(self.demo.token)
        chat = account.account.chat(user_id) if account is not None else None
        by_id = {m.message_id: m for m in chat.messages} if chat is not None else {}
        messages = [
            self._message(raw, by_id.get(raw["message_id"]))
            for raw in answer.get("messages", [])
            if not raw.get("deleted")
        ]
        return web.json_response(
            {
                "messages": messages,
                "revision": answer.get("revision", 0),
                "menu": self._menu(user_id),
                "now": self._moment(self.demo.now()),
            }
        )

    def _message(self, raw: JSON, message: ChatMessage | None) -> JSON:
        when = datetime.fromtimestamp(int(raw.get("date", 0)), self.tz)
        out: JSON = {
            "id": raw["message_id"],
            "from": raw.get("from"),
            "kind": raw.get("kind"),
            "text": raw.get("text") or "",
            "entities": raw.get("entities") or [],
            "buttons": [
                [{"text": b.get("text", ""), "url": b.get("url")} for b in row]
                for row in raw.get("buttons") or []
            ],
            "edited": bool(raw.get("edited")),
            "time": f"{when.hour:02d}:{when.minute:02d}",
            "day": when.date().isoformat(),
        }
        kind = raw.get("kind")
        stored = raw.get(kind) if isinstance(kind, str) else None
        if isinstance(stored, dict) and stored.get("file_id"):
            file_id = str(stored["file_id"])
            name = stored.get("file_name") or ""
            out["file"] = {
                "kind": kind,
                "name": name,
                "size": stored.get("file_size"),
                "mime": stored.get("mime_type"),
                "width": stored.get("width"),
                "height": stored.get("height"),
                "url": f"/api/files/{quote(file_id)}",
                "download": f"/api/files/{quote(file_id)}?download=1",
            }
        return out

    def _menu(self, user_id: int) -> list[JSON]:
        """The commands Telegram would show in this chat's menu (its own, else the default)."""
        account = self.demo.emulator.bot(self.demo.token)
        if account is None:
            return []
        own: list[JSON] | None = None
        default: list[JSON] = []
        for (scope, _language), commands in account.account.commands.items():
            listed = [{"command": c.command, "description": c.description} for c in commands]
            if scope.type == "chat" and scope.chat_id == user_id:
                own = listed
            elif scope.type in ("default", "all_private_chats") and not default:
                default = listed
        return own if own is not None else default

    async def _text(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        body = await _body(request)
        text = str(body.get("text") or "").strip()
        if not text:
            return _error(400, "empty")
        payload: JSON = {"text": text[:4096]}
        payload.update(await self._profile(user_id))
        return await self._forward("POST", self._user_url(user_id, "messages"), json=payload)

    async def _press(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        body = await _body(request)
        label = body.get("label")
        if not isinstance(label, str) or not label:
            return _error(400, "label")
        payload: JSON = {"label": label}
        if isinstance(body.get("message_id"), int):
            payload["message_id"] = body["message_id"]
        return await self._forward("POST", self._user_url(user_id, "press"), json=payload)

    async def _upload(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        if request.content_type != "multipart/form-data":
            return _error(400, "multipart")
        form = await request.post()
        part = form.get("file")
        if not isinstance(part, web.FileField):
            return _error(400, "file")
        data = part.file.read()
        if not data:
            return _error(400, "empty_file")
        mime = part.content_type or "application/octet-stream"
        as_photo = str(form.get("as") or "") == "photo" or (
            form.get("as") is None and mime in ("image/jpeg", "image/png", "image/webp")
        )
        out = aiohttp.FormData(quote_fields=False)  # names as browsers send them: UTF-8
        out.add_field("file", data, filename=part.filename or "file", content_type=mime)
        caption = str(form.get("caption") or "").strip()
        if caption:
            out.add_field("caption", caption[:1024])
        for key, value in (await self._profile(user_id)).items():
            out.add_field(key, value)
        what = "photo" if as_photo else "document"
        return await self._forward("POST", self._user_url(user_id, what), data=out)

    async def _profile(self, user_id: int) -> dict[str, str]:
        """A registered person's name as their Telegram profile (newcomers keep theirs)."""
        for person in await self.demo.personas():
            if person.user_id == user_id and person.role is not None:
                return {"first_name": person.name}
        return {}

    async def _forward(self, method: str, url: str, **kwargs: Any) -> web.Response:
        try:
            async with self._client().request(method, url, **kwargs) as resp:
                answer = await resp.json()
                if resp.status != 200:
                    return _error(resp.status, "emulator", answer)
                return web.json_response(answer)
        except aiohttp.ClientError as exc:
            log.warning("sandbox page: the emulator did not answer: %r", exc)
            return _error(502, "emulator")

    async def _file(self, request: web.Request) -> web.StreamResponse:
        stored = self.demo.emulator.world.file(request.match_info["file_id"])
        if stored is None:
            return _error(404, "file")
        headers = {"Content-Type": stored.mime_type or _guess_type(stored.file_name or stored.path)}
        if request.query.get("download"):
            name = stored.file_name or stored.path.rsplit("/", 1)[-1]
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return web.Response(body=stored.data, headers=headers)

    async def _newcomer(self, _request: web.Request) -> web.Response:
        user_id, name = self.demo.new_user()
        return web.json_response({"user_id": user_id, "name": name})

    # ------------------------------------------------------------------ clock and reset

    async def _clock(self, request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            if "days" in body:
                days = body["days"]
                if not isinstance(days, int) or isinstance(days, bool):
                    return _error(400, "range")
                target = self.demo.target(days=days)
            else:
                try:
                    day = date.fromisoformat(str(body.get("date") or ""))
                except ValueError:
                    return _error(400, "date")
                target = self.demo.target(day=day)
            if self.demo.busy:
                return _error(409, "busy")
            queued = await self.demo.advance_to(target)
        except ClockError as exc:
            return _error(400, exc.reason)
        return web.json_response({"now": self._moment(self.demo.now()), "queued": queued})

    async def _reset(self, _request: web.Request) -> web.Response:
        if self.demo.busy:
            return _error(409, "busy")
        await self.demo.reset()
        return web.json_response({"now": self._moment(self.demo.now())})


# ---------------------------------------------------------------------------- helpers


def _error(status: int, code: str, detail: Any = None) -> web.Response:
    body: JSON = {"error": code}
    if isinstance(detail, dict) and detail.get("error"):
        body["detail"] = detail["error"]
    return web.json_response(body, status=status)


async def _body(request: web.Request) -> JSON:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _when(message: ChatMessage, tz: Any) -> datetime:
    return datetime.fromtimestamp(message.date, tz)


def _preview(message: ChatMessage) -> str:
    text = " ".join(message.text.split())
    if not text and message.main_file is not None:
        text = message.main_file.file_name or ""
    return text[:PREVIEW_LENGTH]


def _guess_type(name: str | None) -> str:
    import mimetypes

    return (mimetypes.guess_type(name or "")[0]) or "application/octet-stream"


async def start_sandbox_web(app: App, emulator: TelegramEmulator, token: str) -> SandboxWeb | None:
    """`dondoc run` without a token: prepare the demo and serve the page; says where on stdout.
    A port in use is reported in one line and the sandbox runs on without the page."""
    demo = Demo(app, emulator, token)
    await demo.prepare()
    page = SandboxWeb(demo)
    settings = app.settings
    texts = Texts("vi", settings.tz)
    try:
        url = await page.start(settings.sandbox_host, settings.sandbox_web_port)
    except OSError as exc:
        log.debug("sandbox page: %r", exc)
        print(plain(texts("sandbox.web_failed", port=settings.sandbox_web_port)), flush=True)
        return None
    print(plain(texts("sandbox.web_started", url=url)), flush=True)
    return page
