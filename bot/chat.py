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
    """A file or sticker a person sent. The channel downloads photos and documents it can into
    DATA_DIR before routing: then `path` (relative to DATA_DIR) and `sha256` are set; `too_big`
    says the platform would not let the bot download it."""

    kind: str  # "photo" | "document" | "sticker" | "other"
    file_id: str = ""
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    path: str | None = None
    sha256: str | None = None
    too_big: bool = False


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


# The longest button label, in characters. Telegram sets none of its own but a phone shows about
# this much on a full-width button before cutting it anywhere; Zalo lists the labels in the text.
LABEL_MAX = 60


def shorten(text: str, limit: int = LABEL_MAX) -> str:
    """`text` in at most `limit` characters: whole, or cut after a whole word and ended with "…"
    ("Báo cáo kết quả đợt thi đua, danh sách tập thể, cá nhân…", never "cá nhâ")."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut falls inside a word: drop what is left of it
        space = max(head.rfind(" "), head.rfind("\n"))
        if space > limit // 3:
            head = head[:space]
    return head.rstrip(" \n,;:·-–—(/") + "…"


@dataclass(frozen=True)
class Choice:
    label: str  # shortened to LABEL_MAX characters (shorten) whoever builds it
    value: str  # at most 64 bytes (Telegram's callback_data limit)

    def __post_init__(self) -> None:
        if not 1 <= len(self.value.encode()) <= 64:
            raise ValueError(f"choice value must be 1..64 bytes: {self.value!r}")
        object.__setattr__(self, "label", shorten(self.label))


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


def reply_to_dict(reply: Reply) -> dict[str, object]:
    """A Reply as JSON-ready data (the outbox stores proactive messages this way)."""
    return {
        "text": reply.text,
        "choices": [[[c.label, c.value] for c in row] for row in reply.choices],
        "document": _file_to_dict(reply.document),
        "photo": _file_to_dict(reply.photo),
        "metadata": dict(reply.metadata),
    }


def reply_from_dict(data: dict[str, object]) -> Reply:
    choices = data.get("choices") or []
    assert isinstance(choices, list)
    metadata = data.get("metadata") or {}
    assert isinstance(metadata, dict)
    return Reply(
        text=str(data.get("text", "")),
        choices=tuple(tuple(Choice(str(c[0]), str(c[1])) for c in row) for row in choices),
        document=_file_from_dict(data.get("document")),
        photo=_file_from_dict(data.get("photo")),
        metadata={str(k): str(v) for k, v in metadata.items()},
    )


def _file_to_dict(f: OutFile | None) -> dict[str, str] | None:
    if f is None:
        return None
    return {"path": str(f.path), "file_name": f.file_name, "caption": f.caption}


def _file_from_dict(data: object) -> OutFile | None:
    if not isinstance(data, dict):
        return None
    return OutFile(Path(data["path"]), str(data["file_name"]), str(data.get("caption", "")))


class DeliveryError(Exception):
    """A channel could not deliver a message. `permanent`: do not try again (blocked, chat gone);
    `retry_after`: the platform asked us to wait that many seconds."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
