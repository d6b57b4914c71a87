"""`dondoc chat`: talk to the sandbox bot in a terminal, as one person, through the emulator's
control API. The bot's messages are printed with their buttons numbered; typing a number presses
that button of the newest message that has buttons; anything else is sent as typed."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.runner import SANDBOX_TOKEN, SANDBOX_ZALO_TOKEN
from bot.settings import Settings
from messages import Texts, plain


@dataclass
class ChatView:
    texts: Texts
    seen: int = 0
    buttons: list[str] = field(default_factory=list)

    def show(self, messages: list[dict[str, Any]]) -> list[str]:
        """Lines to print for new messages; remembers the newest buttons."""
        out: list[str] = []
        for msg in messages:
            out.append("")
            out.append(f"🤖 {msg.get('text', '')}")
            labels = [b["text"] for row in msg.get("buttons") or [] for b in row]
            if msg.get("document"):
                out.append(
                    "   "
                    + plain(self.texts("sandbox.attachment", name=msg["document"].get("file_name")))
                )
            if labels:
                self.buttons = labels
                for i, label in enumerate(labels, 1):
                    out.append(f"   [{i}] {label}")
        self.seen += len(messages)
        return out


async def chat(settings: Settings, user_id: int, name: str | None, *, zalo: bool = False) -> None:
    """`zalo`: chat as a Zalo user (no buttons: the bot numbers its choices, a typed number is
    sent as it is and the bot reads it)."""
    base = f"http://{settings.sandbox_host}:{settings.sandbox_api_port}"
    user = f"{base}/_control/bots/{SANDBOX_TOKEN}/users/{user_id}"
    if zalo:
        user = f"{base}/_control/zalo/{SANDBOX_ZALO_TOKEN}/users/{user_id}"
    texts = Texts("vi", settings.tz)
    view = ChatView(texts)
    async with httpx.AsyncClient(timeout=httpx.Timeout(40.0)) as client:
        try:
            await client.get(f"{base}/_control/health")
        except httpx.HTTPError:
            print(plain(texts("sandbox.not_running", base=base)))
            raise SystemExit(1) from None
        print(plain(texts("sandbox.chat_intro", user_id=user_id)))
        reader = asyncio.create_task(_print_messages(client, user, view))
        try:
            while True:
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    break
                await _send(client, user, view, line.strip(), name)
        finally:
            reader.cancel()


async def _send(
    client: httpx.AsyncClient, user: str, view: ChatView, line: str, name: str | None
) -> None:
    if not line:
        return
    if line.isdigit() and view.buttons and 1 <= int(line) <= len(view.buttons):
        resp = await client.post(f"{user}/press", json={"label": view.buttons[int(line) - 1]})
    else:
        body: dict[str, Any] = {"text": line}
        if name:
            body["first_name"] = name
        resp = await client.post(f"{user}/messages", json=body)
    if resp.status_code >= 400:
        print(f"(!) {resp.json().get('error', resp.text)}")


async def _print_messages(client: httpx.AsyncClient, user: str, view: ChatView) -> None:
    while True:
        try:
            resp = await client.get(
                f"{user}/messages", params={"since": view.seen, "min_count": 1, "timeout": 30}
            )
            messages = resp.json().get("messages", [])
        except httpx.HTTPError:
            await asyncio.sleep(1)
            continue
        for out in view.show(messages):
            print(out, flush=True)
