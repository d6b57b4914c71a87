"""End-to-end harness: the real bot Application over real HTTP against the Bot API emulator.

One emulator serves a whole test module (tests/e2e/conftest.py); each test gets its own bot
token, so its own isolated bot, chats and database. Scripted users talk through the emulator's
control API, and wait for the bot's messages without sleeping (the emulator answers a read as
soon as the messages are there)."""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

_user_ids = itertools.count(7_000_001)


def new_token() -> str:
    return f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(26)}"


def new_user_id() -> int:
    return next(_user_ids)


@dataclass
class ScriptedUser:
    """A person on a messenger, scripted through the emulator's control API (the part both
    emulators share: bot/sandbox/emulator_base.py)."""

    http: httpx.AsyncClient
    base: str  # .../_control/<bots or zalo>/<token>
    user_id: int
    name: str = "Nguyễn Văn An"
    seen: int = 0
    inbox: list[dict[str, Any]] = field(default_factory=list)

    @property
    def _me(self) -> str:
        return f"{self.base}/users/{self.user_id}"

    async def _post(self, path: str, **body: Any) -> dict[str, Any]:
        resp = await self.http.post(f"{self._me}/{path}", json=body)
        assert resp.status_code < 400, resp.text
        result: dict[str, Any] = resp.json()
        return result

    async def send_sticker(self) -> dict[str, Any]:
        return await self._post("sticker")

    async def block(self, blocked: bool = True) -> None:
        await self._post("block", blocked=blocked)

    async def read(self, count: int = 1, wait: float = 10.0) -> list[dict[str, Any]]:
        """Wait for `count` new messages from the bot (returns as soon as they are there)."""
        resp = await self.http.get(
            f"{self._me}/messages",
            params={"since": self.seen, "min_count": count, "timeout": wait},
        )
        messages: list[dict[str, Any]] = resp.json()["messages"]
        assert len(messages) >= count, (
            f"expected {count} new message(s), got {[m.get('text') for m in messages]}"
        )
        self.seen += len(messages)
        self.inbox.extend(messages)
        return messages

    async def read_one(self, wait: float = 10.0) -> dict[str, Any]:
        return (await self.read(1, wait))[-1]

    async def read_until(self, words: str, wait: float = 10.0) -> dict[str, Any]:
        """Read until a message containing `words` comes (the ones before it are kept too)."""
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            for message in await self.read(1, left):
                if words in message["text"]:
                    return message
        raise AssertionError(f"no message with {words!r}; got {[m['text'] for m in self.inbox]}")

    async def history(self) -> list[dict[str, Any]]:
        """Every message the bot sent to this person, as they stand now (edits applied)."""
        resp = await self.http.get(f"{self._me}/messages", params={"since": 0, "min_count": 0})
        result: list[dict[str, Any]] = resp.json()["messages"]
        return result


@dataclass
class TgUser(ScriptedUser):
    """A person in Telegram, scripted."""

    async def send(self, text: str) -> dict[str, Any]:
        first, _, last = self.name.partition(" ")
        return await self._post("messages", text=text, first_name=first, last_name=last)

    async def press(self, label: str) -> dict[str, Any]:
        return await self._post("press", label=label)

    async def try_press(self, label: str) -> httpx.Response:
        return await self.http.post(f"{self._me}/press", json={"label": label})

    async def send_photo(self, content: bytes, name: str = "anh.jpg") -> dict[str, Any]:
        return await self._post(
            "photo", name=name, content_base64=base64.b64encode(content).decode()
        )

    async def send_document(
        self, content: bytes, name: str, mime_type: str = "application/pdf"
    ) -> dict[str, Any]:
        return await self._post(
            "document",
            name=name,
            mime_type=mime_type,
            content_base64=base64.b64encode(content).decode(),
        )


def buttons(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message.get("buttons") or [] for b in row]
