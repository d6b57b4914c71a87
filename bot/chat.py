"""The channel-neutral conversation model: what a person sent (Inbound) and what the bot answers
(Reply). Channel adapters translate platform updates to and from these; handlers see nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class ChannelName(StrEnum):
    TELEGRAM = "telegram"
    ZALO = "zalo"


@dataclass(frozen=True)
class Attachment:
    kind: str  # "photo" | "document" | "sticker" | "other"
    file_id: str = ""
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Inbound:
    channel: ChannelName
    update_id: int
    user_id: str
    chat_id: str
    display_name: str = ""
    text: str | None = None
    command: str | None = None  # "start" for "/start abc"
    args: str = ""  # "abc" for "/start abc"
    choice: str | None = None  # the value of a pressed button (or a numbered answer resolved)
    attachment: Attachment | None = None
    message_id: int | None = None

    @property
    def is_command(self) -> bool:
        return self.command is not None


@dataclass(frozen=True)
class Choice:
    label: str
    value: str  # at most 64 bytes (Telegram's callback_data limit)

    def __post_init__(self) -> None:
        if not 1 <= len(self.value.encode()) <= 64:
            raise ValueError(f"choice value must be 1..64 bytes: {self.value!r}")


@dataclass(frozen=True)
class MenuCommand:
    command: str
    description: str


@dataclass(frozen=True)
class OutFile:
    path: Path
    file_name: str
    caption: str = ""


@dataclass(frozen=True)
class Reply:
    """One message to the person. `text` is the restricted HTML that messages/ renders (user values
    already escaped); channels without HTML strip it. `choices` are rows of buttons."""

    text: str = ""
    choices: tuple[tuple[Choice, ...], ...] = ()
    document: OutFile | None = None
    photo: OutFile | None = None
    menu: tuple[MenuCommand, ...] | None = None  # set this person's command menu
    metadata: dict[str, str] = field(default_factory=dict)


def rows(*choices: Choice, per_row: int = 1) -> tuple[tuple[Choice, ...], ...]:
    """Lay choices out in rows of `per_row` buttons."""
    out: list[tuple[Choice, ...]] = []
    for i in range(0, len(choices), per_row):
        out.append(tuple(choices[i : i + per_row]))
    return tuple(out)
