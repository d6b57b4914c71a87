"""The Zalo adapter: the Zalo Bot Platform (bots made with Zalo Bot Creator), beside Telegram.

The API is `<DONDOC_ZALO_API_URL><token>/<method>` (default https://bot-api.zaloplatforms.com/bot),
POST with a JSON body, answered `{"ok": true, "result": ...}` or `{"ok": false, "error_code",
"description"}`. It has no keyboards, callback queries, message editing or documents, so:

- choices are a numbered plain-text list; the person answers "2" or the option's words, with or
  without diacritics, and the channel turns that back into the choice's value before routing.
  The list last shown to each chat is kept in the database (storage/choices.py), so an answer
  typed after a restart still means what the person saw. A number not in the list gets a short
  answer and the list again. A question that takes a typed answer and offers only "skip" or
  "keep as before" lists those without numbers: a number typed there is the answer itself;
- texts are plain (the HTML of messages/ stripped) and split under 2,000 characters;
- a document or photo becomes a signed download link when the deployment has a public URL
  (bot/public_files.py), otherwise a message saying to use Telegram or ask the office;
- a photo a person sends comes as a URL: it is fetched (under a size limit) and kept with its
  sha256 like a Telegram photo; stickers and other content become attachments the flows answer.

getUpdates long-polls and returns one update per call (no offset, no update id), answering 408
when there was none; updates come wrapped in {ok, result} or flat, and both are accepted, as for
webhook calls (secret in X-Bot-Api-Secret-Token). An update's id for the router's handled-once
mark is derived from the message id. A 429 is honoured (retry_after), a 403 marks the person
unreachable; interactive replies go before the outbox's background sends.

Why our own httpx client and not python-zalo-bot: that package is a young fork of
python-telegram-bot that hard-codes an older host (bot-api.zapps.me) and copies Telegram's
shapes where Zalo's differ (one update per getUpdates, string ids, millisecond dates, photos by
URL); the API is seven JSON calls, httpx is already a dependency, and our client takes a base
URL, so the local emulator (bot/sandbox/zalo_emulator.py) and a future host move are a setting."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bot.channels.ratelimit import Pacer, RateLimits
from bot.chat import Attachment, ChannelName, DeliveryError, Inbound, OutFile, Reply
from bot.clock import Clock
from bot.files import store
from bot.public_files import PublicFiles
from messages import Texts, plain
from storage.choices import ChoiceMemory, ShownChoices

log = logging.getLogger(__name__)

ZALO = ChannelName.ZALO
TEXT_LIMIT = 2000  # sendMessage text and sendPhoto caption: 1 to 2,000 characters
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the same limit people are told for Telegram files
SECRET_HEADER = "X-Bot-Api-Secret-Token"
NO_UPDATE = 408  # getUpdates: nothing came within the timeout

Handle = Callable[[Inbound], Awaitable[list[Reply]]]
Hold = Callable[[], contextlib.AbstractContextManager[None]]  # as in bot/channels/telegram.py
Unreachable = Callable[[str, str, str], Awaitable[None]]  # channel, chat_id, reason


@dataclass(frozen=True)
class ZaloConfig:
    token: str
    api_url: str = "https://bot-api.zaloplatforms.com/bot"
    poll_timeout: float = 30.0
    request_timeout: float = 10.0
    limits: RateLimits = field(default_factory=RateLimits)
    data_dir: Path = Path("data")
    download_limit: int = DOWNLOAD_LIMIT


class ZaloApiError(Exception):
    """Zalo answered `ok: false` (or an HTTP error): `code` is its error_code, else the status."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


class ZaloNetworkError(Exception):
    """No answer from Zalo: connection refused or reset, timed out."""


# --------------------------------------------------------------------------- the HTTP client


def _retry_after(data: dict[str, Any] | None, response: httpx.Response) -> float | None:
    params = data.get("parameters") if data else None
    value = params.get("retry_after") if isinstance(params, dict) else None
    if value is None:
        value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class ZaloClient:
    """The Zalo Bot API over httpx. Never logs a URL: the token is in it."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base = f"{api_url.rstrip('/')}{token}/"
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), transport=transport, follow_redirects=False
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def call(
        self, method: str, body: dict[str, Any] | None = None, *, read_for: float | None = None
    ) -> Any:
        """Call a method; returns its `result` (None when there is none). `read_for`: how long
        to wait for the answer (a long poll waits longer than a send)."""
        try:
            response = await self._http.post(
                self._base + method, json=body or {}, timeout=read_for or self._timeout
            )
        except httpx.TimeoutException:
            raise ZaloNetworkError(f"{method}: timed out") from None
        except httpx.HTTPError as exc:
            raise ZaloNetworkError(f"{method}: {type(exc).__name__}") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = None
        if data is not None and data.get("ok") is True:
            return data.get("result")
        if data is not None and "ok" not in data and response.is_success:
            return data  # a bare object: taken as it is
        code = data.get("error_code") if data is not None else None
        if not isinstance(code, int) or isinstance(code, bool):
            code = response.status_code
        description = str((data or {}).get("description") or response.reason_phrase or "error")
        raise ZaloApiError(code, description, _retry_after(data, response))

    async def download(self, url: str, limit: int) -> tuple[bytes, str | None] | None:
        """Fetch a file Zalo links to: (content, content type), or None when over `limit`."""
        if not url.lower().startswith(("https://", "http://")):
            raise ZaloNetworkError("download: not an http(s) URL")
        try:
            async with self._http.stream("GET", url, timeout=self._timeout * 3) as response:
                if response.status_code != 200:
                    raise ZaloNetworkError(f"download: HTTP {response.status_code}")
                declared = response.headers.get("Content-Length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    return None
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        return None
                    chunks.append(chunk)
                kind = response.headers.get("Content-Type", "").split(";")[0].strip() or None
                return b"".join(chunks), kind
        except httpx.HTTPError as exc:
            raise ZaloNetworkError(f"download: {type(exc).__name__}") from None


# --------------------------------------------------------------------------- updates


def unwrap(data: Any) -> dict[str, Any] | None:
    """One update from a getUpdates answer or a webhook body: `{ok, result: {...}}` or flat."""
    if not isinstance(data, dict):
        return None
    result = data.get("result")
    if isinstance(result, dict) and ("message" in result or "event_name" in result):
        return result
    if "message" in data or "event_name" in data:
        return data
    return None


def update_id(message: dict[str, Any]) -> int:
    """A stable integer for the router's handled-once mark: Zalo has no update ids, but every
    message has an id (a redelivered webhook call carries the same one)."""
    key = str(message.get("message_id") or "")
    if not key:
        key = json.dumps(message, sort_keys=True, ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _photo_url(message: dict[str, Any]) -> str | None:
    for key in ("photo_url", "photo", "url"):
        value = message.get(key)
        if isinstance(value, list) and value:  # a list of sizes: the last, as on Telegram
            value = value[-1]
        if isinstance(value, dict):
            value = value.get("url") or value.get("photo_url")
        if _text(value):
            return str(value).strip()
    return None


def _event(update: dict[str, Any], message: dict[str, Any]) -> str:
    event = update.get("event_name")
    if isinstance(event, str) and event:
        return event
    # getUpdates answers have been seen without event_name: tell by the fields
    if _text(message.get("text")):
        return "message.text.received"
    if _photo_url(message):
        return "message.image.received"
    if message.get("sticker"):
        return "message.sticker.received"
    return "message.unsupported.received"


def to_inbound(update: dict[str, Any]) -> Inbound | None:
    """A Zalo update as the channel-neutral Inbound (None: not for us, e.g. a group chat)."""
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat")
    chat = chat if isinstance(chat, dict) else {}
    sender = message.get("from")
    sender = sender if isinstance(sender, dict) else {}
    user_id = _text(str(sender.get("id") or "")) or _text(str(chat.get("id") or ""))
    chat_id = _text(str(chat.get("id") or "")) or user_id
    if user_id is None or chat_id is None or sender.get("is_bot") is True:
        return None
    if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
        return None
    name = ""
    for key in ("display_name", "name", "first_name"):
        if _text(sender.get(key)):
            name = str(sender[key]).strip()
            break
    event = _event(update, message)
    text: str | None = None
    command: str | None = None
    args = ""
    attachment: Attachment | None = None
    if event == "message.text.received":
        text = _text(message.get("text"))
        if text is None:
            return None
        if text.startswith("/") and len(text) > 1:
            head, _, rest = text.partition(" ")
            command = head[1:].lower()
            args = rest.strip()
            text = None
    elif event == "message.image.received":
        url = _photo_url(message)
        attachment = Attachment("photo", url or "", None, "image/jpeg")
    elif event == "message.sticker.received":
        attachment = Attachment("sticker", str(message.get("sticker") or ""))
    else:  # unsupported (Zalo may hide the content), voice, anything new
        attachment = Attachment("other")
    return Inbound(
        channel=ZALO,
        update_id=update_id(message),
        user_id=user_id,
        chat_id=chat_id,
        display_name=name,
        text=text,
        command=command,
        args=args,
        attachment=attachment,
    )


# --------------------------------------------------------------------------- rendering


def utf16_len(text: str) -> int:
    """Zalo counts like JavaScript: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> tuple[str, str]:
    """The longest head within `limit` (at a space when there is one) and the rest."""
    end = 0
    size = 0
    for i, ch in enumerate(text):
        size += 2 if ord(ch) > 0xFFFF else 1
        if size > limit:
            break
        end = i + 1
    space = text.rfind(" ", 0, end)
    if end < len(text) and space > end // 2:
        end = space + 1
    return text[:end].rstrip(), text[end:]


def split_plain(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut at paragraph or line breaks, a long line at a
    space; no empty part (Zalo refuses an empty text)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = line
        while utf16_len(current) > limit:
            head, current = _cut(current, limit)
            parts.append(head)
    if current:
        parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]


def shown_choices(reply: Reply) -> ShownChoices | None:
    options = tuple((c.label, c.value) for row in reply.choices for c in row)
    if not options:
        return None
    # a question that takes a typed answer, with "skip" or "keep as before" beside it, says so
    # (Reply.metadata["answer"] = "typed"): its list is shown without numbers
    typed = reply.metadata.get("answer") == "typed"
    return ShownChoices(options, numbered=not typed)


def render(texts: Texts, reply: Reply) -> str:
    """A reply's text as Zalo shows it: plain, with its choices listed after it."""
    body = plain(reply.text).strip()
    shown = shown_choices(reply)
    if shown is not None:
        listing = plain(texts("zalo.choices", labels=shown.labels, numbered=shown.numbered))
        body = f"{body}\n\n{listing}" if body else listing
    return body


# --------------------------------------------------------------------------- the channel


class ZaloChannel:
    def __init__(
        self,
        config: ZaloConfig,
        handle: Handle,
        texts: Texts,
        choices: ChoiceMemory,
        on_unreachable: Unreachable,
        clock: Clock,
        *,
        public_files: PublicFiles | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        hold: Hold = contextlib.nullcontext,
    ) -> None:
        self.config = config
        self._handle = handle
        self._hold = hold
        self._texts = texts
        self._choices = choices
        self._on_unreachable = on_unreachable
        self._clock = clock
        self._public_files = public_files
        self.client = ZaloClient(
            config.api_url, config.token, timeout=config.request_timeout, transport=transport
        )
        # Zalo publishes no rate limits: the same pacing as Telegram's is kept
        self.pacer = Pacer(config.limits, platform="zalo")
        self.username = ""
        self._webhook: tuple[str, str] | None = None
        self._stopping = False
        self._poll_task: asyncio.Task[None] | None = None
        self._fetch: asyncio.Task[Any] | None = None
        self._feed_lock = asyncio.Lock()
        self._stopped = asyncio.Event()

    # lifecycle
    async def start(self) -> None:
        me = await self.client.call("getMe")
        self.username = str((me or {}).get("account_name") or (me or {}).get("id") or "")
        self._stopping = False
        self._stopped.clear()
        if self._webhook is not None:
            url, secret = self._webhook
            await self.client.call("setWebhook", {"url": url, "secret_token": secret})
            log.info("zalo: webhook set, as %s", self.username)
            return
        self._poll_task = asyncio.create_task(self._poll(), name="zalo-polling")
        log.info("zalo: polling as %s", self.username)

    def use_webhook(self, url: str, secret: str) -> None:
        """Before `start`: take updates from Zalo's webhook calls (see `feed`) instead of
        polling. Zalo wants an https URL and a secret of 8 to 256 characters."""
        self._webhook = (url, secret)

    async def stop_polling(self) -> None:
        """Take no more updates; an update being handled finishes (messages can still be sent
        until `stop`)."""
        self._stopping = True
        self._stopped.set()
        fetch = self._fetch
        if fetch is not None and not fetch.done():
            fetch.cancel()  # the long poll: Zalo keeps what it has not handed out
        task, self._poll_task = self._poll_task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop(self) -> None:
        await self.stop_polling()
        await self.client.close()

    # inbound
    async def _poll(self) -> None:
        backoff = 1.0
        timeout = self.config.poll_timeout
        while not self._stopping:
            self._fetch = asyncio.create_task(
                self.client.call(
                    "getUpdates", {"timeout": str(int(timeout))}, read_for=timeout + 10
                )
            )
            try:
                result = await self._fetch
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except ZaloApiError as exc:
                if exc.code == NO_UPDATE:
                    backoff = 1.0
                    continue
                wait = exc.retry_after if exc.code == 429 and exc.retry_after else backoff
                log.warning("zalo: getUpdates refused (%s), waiting %.0fs", exc.code, wait)
                await self._sleep(wait)
                backoff = min(backoff * 2, 60.0)
                continue
            except ZaloNetworkError as exc:
                log.warning("zalo: %s, waiting %.0fs", exc, backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            finally:
                self._fetch = None
            backoff = 1.0
            for update in result if isinstance(result, list) else [result]:
                found = unwrap(update) or (update if isinstance(update, dict) else None)
                if found is not None:
                    await self.handle_update(found)

    async def _sleep(self, seconds: float) -> None:
        """Wait, unless polling stops first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), seconds)

    async def feed(self, data: dict[str, Any]) -> None:
        """Handle one webhook call's body (wrapped or flat); returns once it is answered.
        Raises ValueError for a body that is not a Zalo update."""
        update = unwrap(data)
        if update is None:
            raise ValueError("not a Zalo update")
        async with self._feed_lock:
            await self.handle_update(update)

    async def handle_update(self, update: dict[str, Any]) -> None:
        """One update: to an Inbound, the photo fetched, a typed answer turned into the choice it
        names, through the router; the replies sent. Errors are logged and the person told."""
        inbound = to_inbound(update)
        if inbound is None:
            return
        log.info(
            "zalo update %s from user %s: %s", inbound.update_id, inbound.user_id, _kind(inbound)
        )
        try:
            await self._handle_inbound(inbound)
        except Exception:
            log.exception("zalo update %s: error handling it", inbound.update_id)
            with contextlib.suppress(ZaloApiError, ZaloNetworkError):
                await self.send(inbound.chat_id, Reply(text=self._texts("common.error")))

    async def _handle_inbound(self, inbound: Inbound) -> None:
        if inbound.attachment is not None:
            inbound = replace(inbound, attachment=await self._download(inbound.attachment))
        if inbound.text is not None:
            resolved = await self._choices.resolve(ZALO.value, inbound.chat_id, inbound.text)
            if resolved.wrong_number:
                await self._say_wrong_number(inbound.chat_id)
                return
            if resolved.value is not None:
                inbound = replace(inbound, text=None, choice=resolved.value)
        with self._hold():  # what the update queued goes after its replies
            replies = await self._handle(inbound)
            offered = [shown for r in replies if (shown := shown_choices(r)) is not None]
            if offered:
                await self._choices.remember(ZALO.value, inbound.chat_id, offered[-1], self._now())
            elif replies:
                await self._choices.forget(ZALO.value, inbound.chat_id)
            for reply in replies:
                await self.send(inbound.chat_id, reply)

    async def _say_wrong_number(self, chat_id: str) -> None:
        shown = await self._choices.shown(ZALO.value, chat_id)
        count = len(shown.options) if shown is not None else 0
        text = self._texts("zalo.wrong_number", count=count)
        if shown is not None:
            listing = self._texts("zalo.choices", labels=shown.labels, numbered=shown.numbered)
            text = f"{text}\n\n{listing}"
        await self._send_text(chat_id, plain(text), background=False)

    async def _download(self, attachment: Attachment) -> Attachment:
        """Keep a photo in DATA_DIR with its sha256 before the update is handled; over the size
        limit it is marked too big; when it cannot be fetched it goes on without a path."""
        if attachment.kind != "photo" or not attachment.file_id:
            return attachment
        try:
            fetched = await self.client.download(attachment.file_id, self.config.download_limit)
        except ZaloNetworkError as exc:
            log.warning("zalo: could not fetch a photo: %s", exc)
            return attachment
        if fetched is None:
            return replace(attachment, too_big=True, size=self.config.download_limit + 1)
        content, kind = fetched
        mime = kind if kind and kind.startswith("image/") else "image/jpeg"
        suffix = mimetypes.guess_extension(mime) or ".jpg"
        name = f"photo{'.jpg' if suffix == '.jpe' else suffix}"
        path, digest = await store(self.config.data_dir, content, name, ".jpg")
        return replace(attachment, path=path, sha256=digest, size=len(content), mime_type=mime)

    # outbound
    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """Send a proactive message for the outbox: behind interactive replies, one try, errors
        told in channel-neutral terms."""
        try:
            await self.send(chat_id, reply, background=True)
        except ZaloApiError as exc:
            if exc.code == 429:
                raise DeliveryError(
                    exc.description, permanent=False, retry_after=exc.retry_after or 1.0
                ) from exc
            if exc.code == 403:
                raise DeliveryError(f"blocked: {exc.description}", permanent=True) from exc
            if exc.code == 400:
                raise DeliveryError(exc.description, permanent=True) from exc
            raise DeliveryError(f"{exc.code}: {exc.description}", permanent=False) from exc
        except ZaloNetworkError as exc:
            raise DeliveryError(str(exc), permanent=False) from exc
        shown = shown_choices(reply)
        if shown is not None:
            await self._choices.remember(ZALO.value, chat_id, shown, self._now())

    async def send(self, chat_id: str, reply: Reply, *, background: bool = False) -> None:
        """Send one Reply (a command menu has no Zalo counterpart and is left out). Raises
        ZaloApiError / ZaloNetworkError; a person who blocked the bot is recorded unreachable."""
        try:
            if reply.document is not None:
                await self._send_file(chat_id, reply.document, background, document=True)
            if reply.photo is not None:
                await self._send_file(chat_id, reply.photo, background, document=False)
            text = render(self._texts, reply)
            if text:
                await self._send_text(chat_id, text, background=background)
        except ZaloApiError as exc:
            if exc.code == 403:
                await self._on_unreachable(ZALO.value, chat_id, exc.description)
            raise

    async def _send_file(
        self, chat_id: str, file: OutFile, background: bool, *, document: bool
    ) -> None:
        caption = plain(file.caption).strip()
        url = self._link(file)
        if url is None:
            key = "zalo.document_unavailable" if document else "zalo.photo_unavailable"
            text = plain(self._texts(key, name=file.file_name) if document else self._texts(key))
            await self._send_text(chat_id, text, background=background)
            return
        if document:
            hours = self._public_files.hours if self._public_files else 0
            text = self._texts(
                "zalo.document_link", name=file.file_name, url=url, hours=hours, caption=caption
            )
            await self._send_text(chat_id, plain(text), background=background)
            return
        body: dict[str, Any] = {"chat_id": chat_id, "photo": url}
        if caption:
            body["caption"] = _cut(caption, TEXT_LIMIT)[0]
        await self._call_paced("sendPhoto", body, chat_id, background)

    def _link(self, file: OutFile) -> str | None:
        if self._public_files is None:
            return None
        try:
            return self._public_files.link(file.path, file.file_name)
        except (ValueError, OSError):
            log.warning("zalo: no public link for a file outside DATA_DIR")
            return None

    async def _send_text(self, chat_id: str, text: str, *, background: bool) -> None:
        for part in split_plain(text):
            await self._call_paced(
                "sendMessage", {"chat_id": chat_id, "text": part}, chat_id, background
            )

    async def _call_paced(
        self, method: str, body: dict[str, Any], chat_id: str, background: bool
    ) -> Any:
        """One send under the pacing: an interactive reply told to wait (429) waits and tries
        again a few times, a background one is handed back to the outbox at once."""
        return await self.pacer.send(
            lambda: self.client.call(method, body),
            chat=chat_id,
            background=background,
            refused=ZaloApiError,
            retry_after=_asked_to_wait,
            what=method,
        )

    def _now(self) -> datetime:
        return self._clock.now()


def _asked_to_wait(exc: ZaloApiError) -> float | None:
    """The seconds a 429 asks us to wait (1 when it does not say); None for another error."""
    return (exc.retry_after or 1.0) if exc.code == 429 else None


def _kind(inbound: Inbound) -> str:
    """What a person sent, for the log: never its content."""
    if inbound.command is not None:
        return f"command /{inbound.command}"
    if inbound.attachment is not None:
        return inbound.attachment.kind
    return "text"
