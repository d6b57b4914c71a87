"""A person talking to the router directly (no channel): fast flow tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.chat import Attachment, ChannelName, Inbound, Reply
from handlers.router import Router

_update_ids = itertools.count(1000)


@dataclass
class Person:
    router: Router
    user_id: str
    name: str = "Nguyễn Văn An"
    channel: ChannelName = ChannelName.TELEGRAM
    inbox: list[Reply] = field(default_factory=list)

    async def _send(self, **kw: object) -> list[Reply]:
        inbound = Inbound(
            channel=self.channel,
            update_id=int(kw.pop("update_id", next(_update_ids))),  # type: ignore[call-overload]
            user_id=self.user_id,
            chat_id=self.user_id,
            display_name=self.name,
            **kw,  # type: ignore[arg-type]
        )
        replies = await self.router.handle(inbound)
        self.inbox.extend(replies)
        return replies

    async def says(self, text: str, **kw: object) -> list[Reply]:
        if text.startswith("/"):
            head, _, args = text.partition(" ")
            return await self._send(command=head[1:], args=args, **kw)
        return await self._send(text=text, **kw)

    async def presses(self, label: str) -> list[Reply]:
        """Press the button with this label on the newest message that has it."""
        for reply in reversed(self.inbox):
            for row in reply.choices:
                for choice in row:
                    if choice.label == label:
                        return await self._send(choice=choice.value)
        raise AssertionError(f"no button {label!r}; last: {self.last_text()!r}")

    async def sends_photo(self) -> list[Reply]:
        return await self._send(attachment=Attachment("photo", "file-1"))

    def last_text(self) -> str:
        return self.inbox[-1].text if self.inbox else ""
