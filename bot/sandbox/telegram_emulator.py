"""A local emulator of the Telegram Bot API, for end-to-end tests, the sandbox and benchmarks.

It speaks the Bot API wire format (what python-telegram-bot v22 sends and expects) on
``/bot<token>/<method>`` and ``/file/bot<token>/<path>``, with Telegram's result shapes and
error texts, its rate limits and HTML parsing rules. A JSON control API under ``/_control``
plays the users: they write, press buttons, upload files, block the bot; tests read back what
the bot sent and inject faults.

With ``deliver_webhooks`` the emulator also delivers updates to a webhook set by setWebhook, as
Telegram does: one POST per update in order, with the secret token in
X-Telegram-Bot-Api-Secret-Token; an update stays pending until answered 2xx, failures are retried
with backoff and reported by getWebhookInfo (last_error_date, last_error_message). Since it
only reaches local servers, it then accepts http:// webhook URLs too.

State lives in :class:`bot.sandbox.world.World`, shared with other API fronts; the plumbing of
API calls and the control API common to both emulators is in bot/sandbox/emulator_base.py.
"""

from __future__ import annotations

import io
import json
import mimetypes
import re
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Unpack

import aiohttp
from aiohttp import web
from PIL import Image

from bot.sandbox.emulator_base import (
    NOT_FOUND,
    TOO_LARGE,
    UNAUTHORIZED,
    ApiError,
    ApiHandler,
    ControlError,
    EmulatedBot,
    Emulator,
    EmulatorOptions,
    Limits,
    Params,
    Route,
    UploadedPart,
    coerce_int,
    control_upload,
    dumps,
    json_body,
    json_response,
)
from bot.sandbox.world import (
    DEFAULT_LANGUAGE,
    BotAccount,
    BotCommand,
    Button,
    CallbackQuery,
    Chat,
    ChatMessage,
    CommandScope,
    Entity,
    FileKind,
    JSONDict,
    MessageKind,
    QueuedUpdate,
    ReplyMarkup,
    StoredFile,
    User,
    wait_until,
)

__all__ = ["ApiError", "Limits", "TelegramEmulator"]  # Limits: where tests and benches get it

BOT_FIRST_NAME = "Đôn Đốc Sandbox"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
CALLBACK_QUERY_LIFETIME = 15 * 60
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024
MAX_REQUEST_SIZE = 100 * 1024 * 1024
MAX_POLL_TIMEOUT = 50.0

TOKEN_RE = re.compile(r"(\d{1,20}):([A-Za-z0-9_-]{10,})")

DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
CHAT_SCOPE_TYPES = frozenset({"chat", "chat_administrators", "chat_member"})
GLOBAL_SCOPE_TYPES = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)
OTHER_BUTTON_ACTIONS = frozenset(
    {
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)

# Telegram's error descriptions, verbatim.
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
BLOCKED = "Forbidden: bot was blocked by the user"
TO_BOTS = "Forbidden: bot can't send messages to bots"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
CANT_PARSE_ENTITIES = "Bad Request: can't parse entities: "
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
CANT_PARSE_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_TEXT_INVALID = "Bad Request: BUTTON_TEXT_INVALID"
TEXT_BUTTONS = (
    "Bad Request: can't parse InlineKeyboardButton: "
    "Text buttons are not allowed in the inline keyboard"
)
INLINE_KEYBOARD_EXPECTED = "Bad Request: inline keyboard expected"
MESSAGE_ID_MISSING = "Bad Request: message identifier is not specified"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
CANT_BE_EDITED = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
INVALID_FILE_ID = "Bad Request: invalid file_id"
FILE_TOO_BIG = "Bad Request: file is too big"
FILE_EMPTY = "Bad Request: file must be non-empty"
URL_CONTENT = "Bad Request: failed to get HTTP URL content"
IMAGE_PROCESS_FAILED = "Bad Request: IMAGE_PROCESS_FAILED"
WRONG_ACTION = "Bad Request: wrong parameter action in request"
COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
COMMAND_DESCRIPTION_INVALID = "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
COMMANDS_TOO_MUCH = "Bad Request: BOT_COMMANDS_TOO_MUCH"
HTTPS_WEBHOOK = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_TIMEOUT = 30.0


# --------------------------------------------------------------------------- text and entities


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class HtmlError(Exception):
    """HTML that Telegram's parser rejects; the message follows TDLib's wording."""


@dataclass
class FormattedText:
    text: str
    entities: list[Entity]
    source: str | None = None
    parse_mode: str | None = None


_TAG_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_SPACES = " \t\r\n\f\v"
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[xX][0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[A-Za-z]+)(;?)")
_ENTITY_LIKE_RE = re.compile(r"&[#A-Za-z0-9]{1,32};")
_TEXT_MENTION_RE = re.compile(r"tg://user\?id=(\d+)")
_LANGUAGE_ATTRIBUTE = "\x00language"


def decode_html_entity(source: str, pos: int, *, strict: bool) -> tuple[str | None, int]:
    """Decode the character reference at ``pos`` (which holds "&").

    Returns (character, position after it), or (None, pos) when there is none: only &lt;
    &gt; &amp; &quot; and numeric references exist. ``strict`` also requires the ";", which
    Telegram itself does not.
    """
    match = _ENTITY_RE.match(source, pos)
    if match is None or (strict and not match.group(2)):
        return None, pos
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None, pos
        return chr(code), match.end()
    char = _NAMED_ENTITIES.get(body)
    return (char, match.end()) if char is not None else (None, pos)


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    offset: int


class _HtmlParser:
    """Telegram's HTML parse mode, after TDLib's parser, with its error messages."""

    def __init__(self, source: str, *, strict: bool) -> None:
        self.source = source
        self.strict = strict
        self.pos = 0
        self.out: list[str] = []
        self.units = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    def parse(self) -> tuple[str, list[Entity]]:
        source = self.source
        while self.pos < len(source):
            char = source[self.pos]
            if char == "&":
                self._character_reference()
            elif char == "<":
                self._tag()
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            name = self.stack[-1].name
            raise HtmlError(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e.offset, -e.length))
        return "".join(self.out), self.entities

    # helpers

    def _byte_offset(self, pos: int) -> int:
        return len(self.source[:pos].encode("utf-8"))

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.units += utf16_length(text)

    def _skip_spaces(self, pos: int) -> int:
        while pos < len(self.source) and self.source[pos] in _HTML_SPACES:
            pos += 1
        return pos

    def _scan_name(self, pos: int, stops: str) -> int:
        while pos < len(self.source) and self.source[pos] not in _HTML_SPACES + stops:
            pos += 1
        return pos

    # character references

    def _character_reference(self) -> None:
        char, end = decode_html_entity(self.source, self.pos, strict=self.strict)
        if char is not None:
            self._emit(char)
            self.pos = end
            return
        if self.strict:
            raise HtmlError(self._bad_ampersand(self.pos))
        self._emit("&")
        self.pos += 1

    def _bad_ampersand(self, pos: int) -> str:
        offset = self._byte_offset(pos)
        like = _ENTITY_LIKE_RE.match(self.source, pos)
        if like is not None:
            return f'Unsupported HTML entity "{like.group(0)}" at byte offset {offset}'
        return f'Character "&" at byte offset {offset} must be escaped as "&amp;"'

    def _decode_attribute(self, raw: str) -> str:
        parts: list[str] = []
        pos = 0
        while pos < len(raw):
            char, end = (None, pos)
            if raw[pos] == "&":
                char, end = decode_html_entity(raw, pos, strict=False)
            if char is None:
                parts.append(raw[pos])
                pos += 1
            else:
                parts.append(char)
                pos = end
        return "".join(parts)

    # tags

    def _tag(self) -> None:
        if self.source.startswith("</", self.pos):
            self._end_tag(self.pos)
        else:
            self._start_tag(self.pos)

    def _unclosed_start(self, begin: int) -> HtmlError:
        return HtmlError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")

    def _start_tag(self, begin: int) -> None:
        pos = self._scan_name(begin + 1, ">")
        if pos >= len(self.source):
            raise self._unclosed_start(begin)
        name = self.source[begin + 1 : pos].lower()
        if name not in _TAG_ENTITY_TYPES:
            offset = self._byte_offset(begin)
            raise HtmlError(f'Unsupported start tag "{name}" at byte offset {offset}')
        attributes, pos = self._attributes(name, begin, pos)
        self.pos = pos + 1
        self._open(name, attributes, begin)

    def _attributes(self, tag: str, begin: int, pos: int) -> tuple[dict[str, str], int]:
        attributes: dict[str, str] = {}
        while True:
            pos = self._skip_spaces(pos)
            if pos >= len(self.source):
                raise self._unclosed_start(begin)
            if self.source[pos] == ">":
                return attributes, pos
            name_start = pos
            pos = self._scan_name(pos, "=>")
            name = self.source[name_start:pos].lower()
            if not name:
                offset = self._byte_offset(name_start)
                raise HtmlError(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
            pos = self._skip_spaces(pos)
            if pos >= len(self.source):
                raise self._unclosed_start(begin)
            if self.source[pos] != "=":
                attributes[name] = ""
                continue
            pos = self._skip_spaces(pos + 1)
            if pos >= len(self.source):
                raise self._unclosed_start(begin)
            attributes[name], pos = self._attribute_value(begin, pos)

    def _attribute_value(self, begin: int, pos: int) -> tuple[str, int]:
        quote = self.source[pos]
        if quote in "\"'":
            end = self.source.find(quote, pos + 1)
            if end < 0:
                raise self._unclosed_start(begin)
            return self._decode_attribute(self.source[pos + 1 : end]), end + 1
        end = self._scan_name(pos, ">")
        return self._decode_attribute(self.source[pos:end]), end

    def _open(self, name: str, attributes: dict[str, str], begin: int) -> None:
        if name == "span" and attributes.get("class") != "tg-spoiler":
            offset = self._byte_offset(begin)
            raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "tg-emoji" and not attributes.get("emoji-id"):
            offset = self._byte_offset(begin)
            raise HtmlError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        self.stack.append(_OpenTag(name, attributes, self.units))

    def _end_tag(self, begin: int) -> None:
        if not self.stack:
            raise HtmlError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        pos = self._scan_name(begin + 2, ">")
        name = self.source[begin + 2 : pos].lower()
        pos = self._skip_spaces(pos)
        if pos >= len(self.source) or self.source[pos] != ">":
            raise HtmlError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        tag = self.stack.pop()
        if name and name != tag.name:
            offset = self._byte_offset(begin)
            raise HtmlError(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        self.pos = pos + 1
        self._close(tag)

    def _close(self, tag: _OpenTag) -> None:
        language = tag.attributes.get("class", "")
        in_pre = bool(self.stack) and self.stack[-1].name == "pre"
        if tag.name == "code" and in_pre and language.startswith("language-"):
            self.stack[-1].attributes[_LANGUAGE_ATTRIBUTE] = language[len("language-") :]
            return
        length = self.units - tag.offset
        entity = _entity_for_tag(tag, length) if length > 0 else None
        if entity is not None:
            self.entities.append(entity)


def _entity_for_tag(tag: _OpenTag, length: int) -> Entity | None:
    attributes = tag.attributes
    if tag.name == "a":
        href = attributes.get("href", "")
        mention = _TEXT_MENTION_RE.fullmatch(href)
        if mention is not None:
            return Entity("text_mention", tag.offset, length, user_id=int(mention.group(1)))
        return Entity("text_link", tag.offset, length, url=href) if href else None
    if tag.name == "pre":
        language = attributes.get(_LANGUAGE_ATTRIBUTE) or None
        return Entity("pre", tag.offset, length, language=language)
    if tag.name == "blockquote" and "expandable" in attributes:
        return Entity("expandable_blockquote", tag.offset, length)
    if tag.name == "tg-emoji":
        emoji_id = attributes["emoji-id"]
        return Entity("custom_emoji", tag.offset, length, custom_emoji_id=emoji_id)
    return Entity(_TAG_ENTITY_TYPES[tag.name], tag.offset, length)


def parse_html(source: str, *, strict: bool = True) -> tuple[str, list[Entity]]:
    """Plain text and entities of Telegram HTML; raises :class:`HtmlError`."""
    return _HtmlParser(source, strict=strict).parse()


_TRIMMED = " \t\r\n\v\f"


def trim_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Drop leading and trailing whitespace as Telegram does, keeping entities in place."""
    left = text.lstrip(_TRIMMED)
    shift = utf16_length(text[: len(text) - len(left)])
    result = left.rstrip(_TRIMMED)
    total = utf16_length(result)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity.offset - shift, 0)
        end = min(entity.offset + entity.length - shift, total)
        if end > start:
            kept.append(replace(entity, offset=start, length=end - start))
    return result, kept


_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$|[.,;:!?])")


def command_entities(text: str) -> list[Entity]:
    """bot_command entities, as Telegram marks them in what users write."""
    return [
        Entity("bot_command", utf16_length(text[: m.start()]), utf16_length(m.group(0)))
        for m in _COMMAND_RE.finditer(text)
    ]


def _entities_from_json(raw: Any) -> list[Entity]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError(400, "Bad Request: can't parse entities JSON object")
    entities: list[Entity] = []
    for item in raw:
        try:
            entity = Entity(
                type=str(item["type"]),
                offset=int(item["offset"]),
                length=int(item["length"]),
                url=item.get("url"),
                language=item.get("language"),
                user_id=(item.get("user") or {}).get("id"),
                custom_emoji_id=item.get("custom_emoji_id"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ApiError(400, "Bad Request: can't parse MessageEntity") from error
        entities.append(entity)
    return entities


# --------------------------------------------------------------------------- reply markup


def parse_reply_markup(raw: Any) -> ReplyMarkup | None:
    """Decode reply_markup; None when absent. Validates inline buttons as Telegram does."""
    if raw is None or raw == "":
        return None
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError as error:
            raise ApiError(400, CANT_PARSE_MARKUP) from error
    if not isinstance(value, dict):
        raise ApiError(400, CANT_PARSE_MARKUP)
    if "inline_keyboard" in value:
        return ReplyMarkup(inline=parse_inline_keyboard(value["inline_keyboard"]))
    if "keyboard" in value:
        return ReplyMarkup(reply_keyboard=_parse_reply_keyboard(value["keyboard"]))
    if value.get("remove_keyboard"):
        return ReplyMarkup(remove_keyboard=True)
    if value.get("force_reply"):
        return ReplyMarkup(force_reply=True)
    raise ApiError(400, CANT_PARSE_MARKUP)


def parse_inline_keyboard(raw: Any) -> list[list[Button]] | None:
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise ApiError(
            400,
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
            "should be an Array of Arrays",
        )
    rows = [[parse_inline_button(button) for button in row] for row in raw]
    rows = [row for row in rows if row]
    return rows or None


def parse_inline_button(raw: Any) -> Button:
    if not isinstance(raw, dict):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: expected an Object")
    text = raw.get("text")
    if not isinstance(text, str):
        raise ApiError(
            400, 'Bad Request: can\'t parse inline keyboard button: Field "text" must be a String'
        )
    if not text.strip():
        raise ApiError(400, BUTTON_TEXT_INVALID)
    data = raw.get("callback_data")
    data = None if data is None else str(data)
    url = raw.get("url")
    other = {key: value for key, value in raw.items() if key in OTHER_BUTTON_ACTIONS}
    if not data and not url and not other:
        raise ApiError(400, TEXT_BUTTONS)
    if data and len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
        raise ApiError(400, BUTTON_DATA_INVALID)
    if url:
        _check_button_url(str(url))
    return Button(text=text, callback_data=data or None, url=url or None, other=other)


def _check_button_url(url: str) -> None:
    scheme, separator, rest = url.partition("://")
    web_url = bool(rest) and scheme.lower() in ("http", "https", "tg")
    valid = web_url if separator else "." in url
    if not valid or any(char.isspace() for char in url):
        raise ApiError(
            400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
        )


def _parse_reply_keyboard(raw: Any) -> list[list[str]]:
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise ApiError(400, CANT_PARSE_MARKUP)
    return [[_reply_button_text(button) for button in row] for row in raw]


def _reply_button_text(button: Any) -> str:
    if isinstance(button, dict):
        return str(button.get("text", ""))
    return str(button)


# --------------------------------------------------------------------------- wire format


def user_json(user: User) -> JSONDict:
    result: JSONDict = {"id": user.id, "is_bot": user.is_bot, "first_name": user.first_name}
    if user.last_name:
        result["last_name"] = user.last_name
    if user.username:
        result["username"] = user.username
    if user.language_code and not user.is_bot:
        result["language_code"] = user.language_code
    return result


def me_json(user: User) -> JSONDict:
    return {
        **user_json(user),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def chat_json(chat: Chat) -> JSONDict:
    result: JSONDict = {"id": chat.id, "first_name": chat.user.first_name}
    if chat.user.last_name:
        result["last_name"] = chat.user.last_name
    if chat.user.username:
        result["username"] = chat.user.username
    result["type"] = "private"
    return result


def entity_json(entity: Entity) -> JSONDict:
    result: JSONDict = {"type": entity.type, "offset": entity.offset, "length": entity.length}
    if entity.url is not None:
        result["url"] = entity.url
    if entity.language is not None:
        result["language"] = entity.language
    if entity.user_id is not None:
        result["user"] = {"id": entity.user_id, "is_bot": False, "first_name": ""}
    if entity.custom_emoji_id is not None:
        result["custom_emoji_id"] = entity.custom_emoji_id
    return result


def button_json(button: Button) -> JSONDict:
    result: JSONDict = {"text": button.text}
    if button.url is not None:
        result["url"] = button.url
    if button.callback_data is not None:
        result["callback_data"] = button.callback_data
    result.update(button.other)
    return result


def photo_size_json(size: StoredFile) -> JSONDict:
    return {
        "file_id": size.file_id,
        "file_unique_id": size.file_unique_id,
        "file_size": size.size,
        "width": size.width,
        "height": size.height,
    }


def document_json(document: StoredFile) -> JSONDict:
    result: JSONDict = {"file_id": document.file_id, "file_unique_id": document.file_unique_id}
    if document.file_name:
        result["file_name"] = document.file_name
    if document.mime_type:
        result["mime_type"] = document.mime_type
    result["file_size"] = document.size
    return result


def sticker_json(sticker: StoredFile) -> JSONDict:
    return {
        "file_id": sticker.file_id,
        "file_unique_id": sticker.file_unique_id,
        "type": "regular",
        "width": sticker.width or 512,
        "height": sticker.height or 512,
        "is_animated": False,
        "is_video": False,
        "emoji": sticker.emoji or "👍",
        "file_size": sticker.size,
    }


def file_json(stored: StoredFile) -> JSONDict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.path,
    }


def _content_json(message: ChatMessage) -> JSONDict:
    entities = [entity_json(e) for e in message.entities]
    if message.kind == "text":
        return {"text": message.text, **({"entities": entities} if entities else {})}
    result: JSONDict = {}
    if message.kind == "photo":
        result["photo"] = [photo_size_json(size) for size in message.files]
    elif message.kind == "document":
        result["document"] = document_json(message.files[0])
    else:
        result["sticker"] = sticker_json(message.files[0])
    if message.text:
        result["caption"] = message.text
        if entities:
            result["caption_entities"] = entities
    return result


def message_json(
    account: BotAccount, chat: Chat, message: ChatMessage, *, with_reply: bool = True
) -> JSONDict:
    sender = account.user if message.from_bot else chat.user
    result: JSONDict = {
        "message_id": message.message_id,
        "from": user_json(sender),
        "chat": chat_json(chat),
        "date": message.date,
    }
    if message.edit_date is not None:
        result["edit_date"] = message.edit_date
    replied = _replied_message(chat, message) if with_reply else None
    if replied is not None:
        result["reply_to_message"] = message_json(account, chat, replied, with_reply=False)
    result.update(_content_json(message))
    if message.markup.inline:
        keyboard = [[button_json(b) for b in row] for row in message.markup.inline]
        result["reply_markup"] = {"inline_keyboard": keyboard}
    return result


def _replied_message(chat: Chat, message: ChatMessage) -> ChatMessage | None:
    if message.reply_to_message_id is None:
        return None
    replied = chat.find_message(message.reply_to_message_id)
    return None if replied is None or replied.deleted else replied


def update_json(update: QueuedUpdate) -> JSONDict:
    return {"update_id": update.update_id, **update.payload}


def chat_instance(bot_id: int, chat_id: int) -> str:
    return str(-((bot_id * 1_000_003 + chat_id * 7_919) % 9_000_000_000_000_000_000))


def _member_status(account: BotAccount, status: str) -> JSONDict:
    member: JSONDict = {"user": user_json(account.user), "status": status}
    if status == "kicked":
        member["until_date"] = 0
    return member


# --------------------------------------------------------------------------- media helpers


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image, or None when the bytes are not one."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return int(width), int(height)


def photo_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """The sizes Telegram keeps of a photo: thumbnails, then the photo (at most 2560 px)."""
    longest = max(width, height, 1)
    bounds = [bound for bound in (90, 320, 800) if bound < longest]
    bounds.append(min(longest, 2560))
    return [
        (max(1, round(width * bound / longest)), max(1, round(height * bound / longest)))
        for bound in bounds
    ]


def guess_mime_type(file_name: str, declared: str | None) -> str:
    guessed, _ = mimetypes.guess_type(file_name)
    if guessed:
        return guessed
    if declared and declared != "application/octet-stream":
        return declared
    return "application/octet-stream"


def _extension(file_name: str | None) -> str:
    if not file_name or "." not in file_name:
        return ""
    suffix = file_name.rsplit(".", 1)[1]
    return f".{suffix}" if re.fullmatch(r"[A-Za-z0-9]{1,8}", suffix) else ""


_FAKE_STICKER = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"  # noqa: E501


# --------------------------------------------------------------------------- per-bot state


@dataclass
class Webhook:
    url: str = ""
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    has_secret_token: bool = False
    secret_token: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0

    def info(self, pending: int) -> JSONDict:
        result: JSONDict = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if self.url:
            result["max_connections"] = self.max_connections
            if self.allowed_updates is not None:
                result["allowed_updates"] = self.allowed_updates
            if self.last_error_date is not None:
                result["last_error_date"] = self.last_error_date
                result["last_error_message"] = self.last_error_message
        return result


@dataclass
class TelegramBot(EmulatedBot):
    """What the Telegram front keeps per bot beyond the shared world state."""

    allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
    webhook: Webhook = field(default_factory=Webhook)


# --------------------------------------------------------------------------- the emulator


class TelegramEmulator(Emulator[TelegramBot]):
    """The Telegram Bot API on a local aiohttp server, plus the sandbox's control API.

    ``clock`` (monotonic seconds) drives rate-limit buckets and callback-query expiry, so
    tests can make them deterministic. ``strict_html`` (default) rejects a bare "&" as the
    Bot API documentation requires; Telegram itself lets it through as text.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        strict_html: bool = True,
        **options: Unpack[EmulatorOptions],
    ) -> None:
        super().__init__(limits, **options)
        self.strict_html = strict_html
        self.app = web.Application(client_max_size=MAX_REQUEST_SIZE)
        self._add_routes(self.app, self._routes())

    # lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = any free port); returns the base URL.

        A wildcard host ("0.0.0.0") is served on every interface and addressed as 127.0.0.1.
        """
        return await self._serve(self.app, host, port)

    @staticmethod
    def api_url_at(base_url: str) -> str:
        """python-telegram-bot's ``base_url`` for an emulator reachable at ``base_url``: it
        appends the token, then "/<method>"."""
        return f"{base_url}/bot"

    @staticmethod
    def file_url_at(base_url: str) -> str:
        """python-telegram-bot's ``base_file_url`` for an emulator reachable at ``base_url``."""
        return f"{base_url}/file/bot"

    @property
    def api_url(self) -> str:
        return self.api_url_at(self.base_url)

    @property
    def file_url(self) -> str:
        return self.file_url_at(self.base_url)

    def _new_bot(self, token: str) -> TelegramBot | None:
        match = TOKEN_RE.fullmatch(token)
        if match is None:
            return None
        bot_id = int(match.group(1))
        user = User(
            id=bot_id, first_name=BOT_FIRST_NAME, username=f"dondoc{bot_id}_bot", is_bot=True
        )
        return TelegramBot(account=self.world.add_bot(token, "telegram", user))

    # routing

    def _routes(self) -> list[Route]:
        control = "/_control/bots/{token}"
        user = control + "/users/{user_id:-?[0-9]+}"
        return [
            ("*", "/bot{token}/{method}", self._handle_api),
            ("GET", "/file/bot{token}/{path:.+}", self._handle_file_download),
            *self._control_routes("/_control", "/_control/bots"),
            ("GET", "/_control/health", self._ctl_health),
            ("POST", "/_control/users", self._ctl_create_user),
            ("GET", "/_control/files/{file_id}", self._ctl_file),
            ("POST", user + "/press", self._ctl_press),
            ("POST", user + "/photo", self._ctl_photo),
            ("POST", user + "/document", self._ctl_document),
            ("POST", user + "/sticker", self._ctl_sticker),
            ("GET", user + "/callback_answers", self._ctl_callback_answers),
            ("POST", control + "/updates/redeliver", self._ctl_redeliver),
            ("GET", control + "/commands", self._ctl_commands),
        ]

    def _method_table(self) -> dict[str, ApiHandler[TelegramBot]]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendChatAction": self._send_chat_action,
        }

    def _fault_chat_id(self, params: Params) -> int | None:
        return params.integer("chat_id")

    # Bot API entry points

    async def _handle_file_download(self, request: web.Request) -> web.Response:
        bot = self.bot(request.match_info["token"])
        if bot is None:
            return self._error_response(ApiError(401, UNAUTHORIZED))
        stored = self.world.files_by_path.get(request.match_info["path"])
        if stored is None or stored.owner != bot.account.token:
            return self._error_response(ApiError(404, NOT_FOUND))
        return _file_response(stored)

    # getMe, updates, webhooks

    async def _get_me(self, bot: TelegramBot, params: Params) -> JSONDict:
        return me_json(bot.account.user)

    async def _get_updates(self, bot: TelegramBot, params: Params) -> list[JSONDict]:
        if bot.webhook.url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = min(max(params.number("timeout") or 0.0, 0.0), MAX_POLL_TIMEOUT)
        self._apply_allowed_updates(bot, params)
        queue = bot.account.updates
        queue.confirm(params.integer("offset") or 0)
        if not await self._long_poll(bot, timeout):
            raise ApiError(409, POLL_CONFLICT)
        return [update_json(update) for update in queue.take(limit)]

    def _apply_allowed_updates(self, bot: TelegramBot, params: Params) -> list[str] | None:
        """Store allowed_updates when given (an empty list means the default set)."""
        error = "Bad Request: can't parse allowed updates JSON object"
        allowed = params.structured("allowed_updates", error)
        if allowed is None:
            return None
        if not isinstance(allowed, list):
            raise ApiError(400, error)
        names = [str(name) for name in allowed]
        bot.allowed_updates = frozenset(names) or DEFAULT_ALLOWED_UPDATES
        return names

    async def _set_webhook(self, bot: TelegramBot, params: Params) -> bool:
        url = (params.text("url") or "").strip()
        schemes = ("https://", "http://") if self.deliver_webhooks else ("https://",)
        if url and not url.lower().startswith(schemes):
            raise ApiError(400, HTTPS_WEBHOOK)
        allowed = self._apply_allowed_updates(bot, params)
        if params.flag("drop_pending_updates"):
            bot.account.updates.clear()
        bot.webhook = Webhook(
            url=url,
            max_connections=params.integer("max_connections") or 40,
            allowed_updates=allowed,
            has_secret_token=params.present("secret_token"),
            secret_token=params.text("secret_token"),
        )
        bot.account.updates.signal.fire()  # a delivery to the old URL stops
        if url and self.deliver_webhooks:
            delivery = self._deliver_to_webhook(bot, bot.webhook)
            self._start_delivery(bot, delivery, f"webhook-{bot.account.id}")
        return True

    async def _delete_webhook(self, bot: TelegramBot, params: Params) -> bool:
        if params.flag("drop_pending_updates"):
            bot.account.updates.clear()
        bot.webhook = Webhook()
        bot.account.updates.signal.fire()
        return True

    async def _deliver_to_webhook(self, bot: TelegramBot, hook: Webhook) -> None:
        """POST pending updates to ``hook`` one by one until it is replaced or deleted."""
        queue = bot.account.updates
        failures = 0

        def current() -> bool:
            return bot.webhook is hook and not self._stopping

        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while current():
                await wait_until(
                    queue.signal, lambda: bool(queue.pending_count) or not current(), 60.0
                )
                if not current() or not queue.pending_count:
                    continue
                update = queue.take(1)[0]
                error = await self._post_update(session, hook, update_json(update))
                if error is None:
                    queue.confirm(update.update_id + 1)
                    hook.delivered += 1
                    failures = 0
                    continue
                hook.last_error_date = int(time.time())
                hook.last_error_message = error
                failures += 1
                delay = min(self.webhook_retry_max, 0.05 * 2 ** min(failures, 16))
                await self._stop_signal.wait(delay)

    @staticmethod
    async def _post_update(
        session: aiohttp.ClientSession, hook: Webhook, body: JSONDict
    ) -> str | None:
        """One delivery; None when answered 2xx, else the error getWebhookInfo reports."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_TOKEN_HEADER] = hook.secret_token
        try:
            async with session.post(hook.url, data=dumps(body).encode(), headers=headers) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return None
                return f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectionError:
            return "Connection refused"
        except aiohttp.ClientError as error:
            return f"Failed to deliver: {error}"

    async def _get_webhook_info(self, bot: TelegramBot, params: Params) -> JSONDict:
        return bot.webhook.info(bot.account.updates.pending_count)

    def _queue_update(self, bot: TelegramBot, kind: str, payload: JSONDict) -> int | None:
        """Queue an update unless the bot's allowed_updates leave it out."""
        if kind not in bot.allowed_updates:
            return None
        return bot.account.updates.push(kind, payload).update_id

    # chats and content parameters

    def _named_chat(self, bot: TelegramBot, params: Params) -> tuple[int | None, Chat | None]:
        """The chat_id of the call (400 when there is none) and the bot's chat of that id."""
        if not params.present("chat_id"):
            raise ApiError(400, CHAT_ID_EMPTY)
        chat_id = params.integer("chat_id")
        return chat_id, bot.account.chat(chat_id) if chat_id is not None else None

    def _target_chat(self, bot: TelegramBot, params: Params) -> Chat:
        """The private chat the bot wants to write to, with Telegram's refusals."""
        chat_id, chat = self._named_chat(bot, params)
        if chat is None:
            user = self.world.users.get(chat_id) if chat_id is not None else None
            if user is None:
                raise ApiError(400, CHAT_NOT_FOUND)
            raise ApiError(403, TO_BOTS if user.is_bot else CANT_INITIATE)
        if chat.blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _known_chat(self, bot: TelegramBot, params: Params) -> Chat:
        _, chat = self._named_chat(bot, params)
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        return chat

    def _formatted(self, params: Params, text_name: str, entities_name: str) -> FormattedText:
        raw = params.text(text_name) or ""
        mode = (params.text("parse_mode") or "").strip()
        if mode.lower() == "html":
            try:
                text, entities = parse_html(raw, strict=self.strict_html)
            except HtmlError as error:
                raise ApiError(400, CANT_PARSE_ENTITIES + str(error)) from error
            parse_mode: str | None = "HTML"
        elif mode.lower() in ("markdown", "markdownv2"):
            text, entities = raw, []  # Markdown is not parsed by the sandbox
            parse_mode = "MarkdownV2" if mode.lower() == "markdownv2" else "Markdown"
        elif mode == "":
            text = raw
            entities = _entities_from_json(params.structured(entities_name, CANT_PARSE_MARKUP))
            parse_mode = None
        else:
            raise ApiError(400, UNSUPPORTED_PARSE_MODE)
        text, entities = trim_text(text, entities)
        return FormattedText(text, entities, raw, parse_mode)

    def _message_text(self, params: Params) -> FormattedText:
        content = self._formatted(params, "text", "entities")
        if not content.text:
            raise ApiError(400, TEXT_EMPTY)
        if utf16_length(content.text) > MAX_TEXT_LENGTH:
            raise ApiError(400, TEXT_TOO_LONG)
        return content

    def _caption(self, params: Params) -> FormattedText:
        content = self._formatted(params, "caption", "caption_entities")
        if utf16_length(content.text) > MAX_CAPTION_LENGTH:
            raise ApiError(400, CAPTION_TOO_LONG)
        return content

    def _inline_markup(self, params: Params) -> list[list[Button]] | None:
        markup = parse_reply_markup(params.raw("reply_markup"))
        if markup is None:
            return None
        if markup.inline is None and (
            markup.reply_keyboard is not None or markup.remove_keyboard or markup.force_reply
        ):
            raise ApiError(400, INLINE_KEYBOARD_EXPECTED)
        return markup.inline

    def _reply_target(self, chat: Chat, params: Params) -> int | None:
        reply = params.structured("reply_parameters", "Bad Request: can't parse reply parameters")
        if isinstance(reply, dict):
            message_id = coerce_int(reply.get("message_id"))
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.integer("reply_to_message_id")
            allow_missing = params.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        replied = chat.find_message(message_id)
        if replied is None or replied.deleted:
            if allow_missing:
                return None
            raise ApiError(400, REPLY_NOT_FOUND)
        return message_id

    def _deliver(self, bot: TelegramBot, chat: Chat, message: ChatMessage) -> JSONDict:
        bot.account.add_message(chat, message)
        bot.account.stats.record_send(chat.id, self.world.wall_clock())
        return message_json(bot.account, chat, message)

    def _new_bot_message(
        self, bot: TelegramBot, chat: Chat, content: FormattedText, **extra: Any
    ) -> ChatMessage:
        return self._new_message(
            bot,
            chat,
            from_bot=True,
            text=content.text,
            source=content.source,
            parse_mode=content.parse_mode,
            entities=content.entities,
            **extra,
        )

    # sending

    async def _send_message(self, bot: TelegramBot, params: Params) -> JSONDict:
        chat = self._target_chat(bot, params)
        content = self._message_text(params)
        markup = parse_reply_markup(params.raw("reply_markup")) or ReplyMarkup()
        reply_to = self._reply_target(chat, params)
        self._consume_rate(bot, chat.id)
        message = self._new_bot_message(
            bot, chat, content, markup=markup, reply_to_message_id=reply_to
        )
        return self._deliver(bot, chat, message)

    async def _send_photo(self, bot: TelegramBot, params: Params) -> JSONDict:
        return self._send_media(bot, params, "photo")

    async def _send_document(self, bot: TelegramBot, params: Params) -> JSONDict:
        return self._send_media(bot, params, "document")

    def _send_media(self, bot: TelegramBot, params: Params, kind: FileKind) -> JSONDict:
        chat = self._target_chat(bot, params)
        caption = self._caption(params)
        markup = parse_reply_markup(params.raw("reply_markup")) or ReplyMarkup()
        reply_to = self._reply_target(chat, params)
        files = self._media_files(bot, params, kind)
        self._consume_rate(bot, chat.id)
        message = self._new_bot_message(
            bot, chat, caption, kind=kind, files=files, markup=markup, reply_to_message_id=reply_to
        )
        return self._deliver(bot, chat, message)

    def _media_files(self, bot: TelegramBot, params: Params, kind: FileKind) -> list[StoredFile]:
        upload = params.upload(kind)
        if upload is not None:
            return self._store_bot_upload(bot, upload, kind)
        reference = (params.text(kind) or "").strip()
        if not reference or reference.startswith("attach://"):
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if reference.lower().startswith(("http://", "https://")):
            raise ApiError(400, URL_CONTENT)
        stored = self.world.file(reference)
        if stored is None or stored.owner != bot.account.token:
            raise ApiError(400, WRONG_FILE_ID)
        if (stored.kind == "photo") != (kind == "photo"):
            wanted = kind.capitalize()
            raise ApiError(
                400, f"Bad Request: can't use file of type {stored.kind.capitalize()} as {wanted}"
            )
        if kind == "photo":
            return list(self.world.photo_sets[stored.file_id])
        return [stored]

    def _store_bot_upload(
        self, bot: TelegramBot, upload: UploadedPart, kind: FileKind
    ) -> list[StoredFile]:
        if not upload.data:
            raise ApiError(400, FILE_EMPTY)
        if len(upload.data) > MAX_UPLOAD_SIZE:
            raise ApiError(413, TOO_LARGE)
        if kind == "photo":
            size = image_size(upload.data)
            if size is None:
                raise ApiError(400, IMAGE_PROCESS_FAILED)
            return self._store_photo(bot.account.token, upload.data, size)
        return [self._store_document(bot.account.token, upload)]

    def _store_photo(self, owner: str, data: bytes, size: tuple[int, int]) -> list[StoredFile]:
        return self.world.store_photo(
            owner=owner, data=data, sizes=photo_sizes(*size), extension=".jpg"
        )

    def _store_document(self, owner: str, upload: UploadedPart) -> StoredFile:
        name = upload.filename or "file"
        return self.world.store_file(
            owner=owner,
            kind="document",
            data=upload.data,
            file_name=name,
            mime_type=guess_mime_type(name, upload.content_type),
            extension=_extension(name),
        )

    # editing and deleting

    def _editable_message(self, bot: TelegramBot, params: Params) -> tuple[Chat, ChatMessage]:
        if params.present("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._target_chat(bot, params)
        message = _named_message(chat, params, EDIT_NOT_FOUND)
        if not message.from_bot:
            raise ApiError(400, CANT_BE_EDITED)
        return chat, message

    def _apply_edit(
        self,
        bot: TelegramBot,
        chat: Chat,
        message: ChatMessage,
        content: FormattedText | None,
        inline: list[list[Button]] | None,
    ) -> JSONDict:
        same_content = content is None or (
            content.text == message.text and content.entities == message.entities
        )
        if same_content and inline == message.markup.inline:
            raise ApiError(400, NOT_MODIFIED)
        self._consume_rate(bot, chat.id)
        if content is not None and not same_content:
            message.edit_date = self.world.unix_now()
        if content is not None:
            message.text = content.text
            message.entities = content.entities
            message.source = content.source
            message.parse_mode = content.parse_mode
        message.markup = replace(message.markup, inline=inline)
        bot.account.stats.edits += 1
        bot.account.touch(chat.id)
        return message_json(bot.account, chat, message)

    async def _edit_message_text(self, bot: TelegramBot, params: Params) -> JSONDict:
        chat, message = self._editable_message(bot, params)
        if message.kind != "text":
            raise ApiError(400, NO_TEXT_TO_EDIT)
        content = self._message_text(params)
        return self._apply_edit(bot, chat, message, content, self._inline_markup(params))

    async def _edit_message_caption(self, bot: TelegramBot, params: Params) -> JSONDict:
        chat, message = self._editable_message(bot, params)
        if message.kind not in ("photo", "document"):
            raise ApiError(400, NO_CAPTION_TO_EDIT)
        content = self._caption(params)
        return self._apply_edit(bot, chat, message, content, self._inline_markup(params))

    async def _edit_message_reply_markup(self, bot: TelegramBot, params: Params) -> JSONDict:
        chat, message = self._editable_message(bot, params)
        return self._apply_edit(bot, chat, message, None, self._inline_markup(params))

    async def _delete_message(self, bot: TelegramBot, params: Params) -> bool:
        chat = self._known_chat(bot, params)
        message = _named_message(chat, params, DELETE_NOT_FOUND)
        message.deleted = True
        bot.account.touch(chat.id)
        return True

    # callback queries, chat actions, files

    async def _answer_callback_query(self, bot: TelegramBot, params: Params) -> bool:
        query = bot.account.callback_queries.get(params.text("callback_query_id") or "")
        expired = query is not None and (
            self.world.clock() - query.created_at > CALLBACK_QUERY_LIFETIME
        )
        if query is None or query.answered or expired:
            raise ApiError(400, QUERY_TOO_OLD)
        text = params.text("text")
        if text is not None and utf16_length(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query.answered = True
        query.answer_text = text
        query.show_alert = params.flag("show_alert")
        query.url = params.text("url")
        bot.account.touch(query.chat_id)
        return True

    async def _send_chat_action(self, bot: TelegramBot, params: Params) -> bool:
        chat = self._target_chat(bot, params)
        action = params.text("action") or ""
        if action not in CHAT_ACTIONS:
            raise ApiError(400, WRONG_ACTION)
        bot.account.record_chat_action(chat, action, self.world.wall_clock())
        return True

    async def _get_file(self, bot: TelegramBot, params: Params) -> JSONDict:
        stored = self.world.file((params.text("file_id") or "").strip())
        if stored is None or stored.owner != bot.account.token:
            raise ApiError(400, INVALID_FILE_ID)
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise ApiError(400, FILE_TOO_BIG)
        return file_json(stored)

    # commands

    def _command_scope(self, bot: TelegramBot, params: Params) -> CommandScope:
        error = "Bad Request: can't parse BotCommandScope JSON object"
        raw = params.structured("scope", error)
        if raw is None:
            return CommandScope()
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise ApiError(400, error)
        scope_type = raw["type"]
        if scope_type in GLOBAL_SCOPE_TYPES:
            return CommandScope(scope_type)
        if scope_type not in CHAT_SCOPE_TYPES:
            raise ApiError(400, f'Bad Request: unsupported bot command scope type "{scope_type}"')
        chat_id = coerce_int(raw.get("chat_id"))
        if chat_id is None or bot.account.chat(chat_id) is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        user_id = coerce_int(raw.get("user_id")) if scope_type == "chat_member" else None
        if scope_type == "chat_member" and user_id is None:
            raise ApiError(400, "Bad Request: user not found")
        return CommandScope(scope_type, chat_id, user_id)

    def _command_key(self, bot: TelegramBot, params: Params) -> tuple[CommandScope, str]:
        return self._command_scope(bot, params), params.text("language_code") or DEFAULT_LANGUAGE

    async def _set_my_commands(self, bot: TelegramBot, params: Params) -> bool:
        raw = params.structured("commands", "Bad Request: can't parse commands JSON object")
        if not isinstance(raw, list):
            raise ApiError(400, 'Bad Request: parameter "commands" is required')
        if len(raw) > 100:
            raise ApiError(400, COMMANDS_TOO_MUCH)
        commands = [_bot_command(item) for item in raw]
        key = self._command_key(bot, params)
        if commands:
            bot.account.commands[key] = commands
        else:
            bot.account.commands.pop(key, None)
        return True

    async def _get_my_commands(self, bot: TelegramBot, params: Params) -> list[JSONDict]:
        commands = bot.account.commands.get(self._command_key(bot, params), [])
        return [{"command": c.command, "description": c.description} for c in commands]

    async def _delete_my_commands(self, bot: TelegramBot, params: Params) -> bool:
        bot.account.commands.pop(self._command_key(bot, params), None)
        return True

    # ------------------------------------------------------------------ control API

    def _control_chat(self, bot: TelegramBot, user_id: int, body: JSONDict) -> Chat:
        if user_id == bot.account.id or (
            user_id in self.world.users and self.world.users[user_id].is_bot
        ):
            raise ControlError(400, f"{user_id} is a bot, not a user")
        user = self.world.ensure_user(user_id, **_profile(body))
        chat = bot.account.open_chat(user)
        if chat.blocked:
            self._set_blocked(bot, chat, False)  # writing to a blocked bot restarts it
        return chat

    def _user_message(
        self,
        bot: TelegramBot,
        chat: Chat,
        *,
        kind: MessageKind = "text",
        text: str = "",
        **extra: Any,
    ) -> tuple[ChatMessage, int | None]:
        message = self._new_message(bot, chat, from_bot=False, kind=kind, text=text, **extra)
        bot.account.add_message(chat, message)
        payload = {"message": message_json(bot.account, chat, message)}
        return message, self._queue_update(bot, "message", payload)

    def _user_text(self, bot: TelegramBot, chat: Chat, text: str) -> JSONDict:
        message, update_id = self._user_message(
            bot, chat, text=text, entities=command_entities(text)
        )
        return {"update_id": update_id, "message_id": message.message_id}

    def _block(self, bot: TelegramBot, chat: Chat, blocked: bool) -> JSONDict:
        update_id = self._set_blocked(bot, chat, blocked) if chat.blocked != blocked else None
        return {"update_id": update_id}

    def _set_blocked(self, bot: TelegramBot, chat: Chat, blocked: bool) -> int | None:
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        chat.blocked = blocked
        bot.account.touch(chat.id)
        payload = {
            "my_chat_member": {
                "chat": chat_json(chat),
                "from": user_json(chat.user),
                "date": self.world.unix_now(),
                "old_chat_member": _member_status(bot.account, old),
                "new_chat_member": _member_status(bot.account, new),
            }
        }
        return self._queue_update(bot, "my_chat_member", payload)

    def _bot_info(self, bot: TelegramBot) -> JSONDict:
        return {**me_json(bot.account.user), "chats": sorted(bot.account.chats)}

    def _message_json(self, bot: TelegramBot, message: ChatMessage, index: int) -> JSONDict:
        snapshot = message.snapshot()
        snapshot["index"] = index
        snapshot["entities"] = [entity_json(e) for e in message.entities]
        main = message.main_file
        if main is not None:
            snapshot[message.kind]["download"] = f"/_control/files/{main.file_id}"
        return snapshot

    def _pending_json(self, update: QueuedUpdate) -> JSONDict:
        return update_json(update)

    def _webhook_json(self, bot: TelegramBot) -> JSONDict:
        return bot.webhook.info(bot.account.updates.pending_count)

    async def _ctl_health(self, request: web.Request) -> web.Response:
        return json_response({"ok": True})

    async def _ctl_create_user(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        user_id = coerce_int(body.get("id"))
        if user_id is None:
            raise ControlError(400, "id is required")
        return json_response(self.world.ensure_user(user_id, **_profile(body)).snapshot())

    async def _ctl_file(self, request: web.Request) -> web.Response:
        stored = self.world.file(request.match_info["file_id"])
        if stored is None:
            raise ControlError(404, "unknown file_id")
        return _file_response(stored, attachment=True)

    async def _ctl_press(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await json_body(request)
        label = body.get("label")
        if not isinstance(label, str):
            raise ControlError(400, "label is required")
        user_id = self._user_id(request)
        chat = bot.account.chat(user_id)
        if chat is None:
            raise ControlError(404, f"user {user_id} has no chat with this bot")
        message, button = _find_button(chat, label, coerce_int(body.get("message_id")))
        query = CallbackQuery(
            id=self.world.new_callback_query_id(),
            chat_id=chat.id,
            user_id=user_id,
            message_id=message.message_id,
            data=button.callback_data or "",
            created_at=self.world.clock(),
        )
        bot.account.callback_queries[query.id] = query
        payload = {
            "callback_query": {
                "id": query.id,
                "from": user_json(chat.user),
                "message": message_json(bot.account, chat, message),
                "chat_instance": chat_instance(bot.account.id, chat.id),
                "data": query.data,
            }
        }
        update_id = self._queue_update(bot, "callback_query", payload)
        return json_response(
            {
                "update_id": update_id,
                "callback_query_id": query.id,
                "message_id": message.message_id,
            }
        )

    async def _ctl_photo(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        upload, caption, body = await control_upload(request)
        chat = self._control_chat(bot, self._user_id(request), body)
        size = image_size(upload.data) or (1280, 960)
        photo = self._store_photo(bot.account.token, upload.data, size)
        message, update_id = self._user_message(bot, chat, kind="photo", text=caption, files=photo)
        return json_response(_upload_answer(message, update_id))

    async def _ctl_document(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        upload, caption, body = await control_upload(request)
        chat = self._control_chat(bot, self._user_id(request), body)
        document = self._store_document(bot.account.token, upload)
        message, update_id = self._user_message(
            bot, chat, kind="document", text=caption, files=[document]
        )
        return json_response(_upload_answer(message, update_id))

    async def _ctl_sticker(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await json_body(request)
        chat = self._control_chat(bot, self._user_id(request), body)
        sticker = self.world.store_file(
            owner=bot.account.token,
            kind="sticker",
            data=_FAKE_STICKER,
            width=512,
            height=512,
            emoji=str(body.get("emoji") or "👍"),
            extension=".webp",
        )
        message, update_id = self._user_message(bot, chat, kind="sticker", files=[sticker])
        return json_response(_upload_answer(message, update_id))

    async def _ctl_callback_answers(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        user_id = self._user_id(request)

        def answers() -> list[CallbackQuery]:
            return [q for q in bot.account.callback_queries_of(user_id) if q.answered]

        return await self._log_answer(
            request, bot, user_id, "answers", answers, lambda query, _: query.snapshot()
        )

    async def _ctl_redeliver(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        update_id = coerce_int((await json_body(request)).get("update_id"))
        if update_id is None:
            raise ControlError(400, "update_id is required")
        update = bot.account.updates.redeliver(update_id)
        if update is None:
            raise ControlError(404, f"unknown update_id {update_id}")
        return json_response({"update_id": update.update_id})

    async def _ctl_commands(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        entries = [
            {
                "scope": scope.snapshot(),
                "language_code": language,
                "commands": [{"command": c.command, "description": c.description} for c in cmds],
            }
            for (scope, language), cmds in bot.account.commands.items()
        ]
        return json_response({"commands": entries})


# --------------------------------------------------------------------------- control helpers


def _file_response(stored: StoredFile, *, attachment: bool = False) -> web.Response:
    headers = {"Content-Type": stored.mime_type or "application/octet-stream"}
    if attachment and stored.file_name:
        quoted = urllib.parse.quote(stored.file_name)
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quoted}"
    return web.Response(body=stored.data, headers=headers)


def _named_message(chat: Chat, params: Params, not_found: str) -> ChatMessage:
    """The live message of ``chat`` that the call's message_id names, else Telegram's 400."""
    message_id = params.integer("message_id")
    if message_id is None:
        raise ApiError(400, MESSAGE_ID_MISSING)
    message = chat.find_message(message_id)
    if message is None or message.deleted:
        raise ApiError(400, not_found)
    return message


def _bot_command(raw: Any) -> BotCommand:
    if not isinstance(raw, dict):
        raise ApiError(400, "Bad Request: can't parse BotCommand JSON object")
    command = str(raw.get("command", "")).strip()
    command = command.removeprefix("/")
    description = str(raw.get("description", "")).strip()
    if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
        raise ApiError(400, COMMAND_INVALID)
    if not 1 <= len(description) <= 256:
        raise ApiError(400, COMMAND_DESCRIPTION_INVALID)
    return BotCommand(command, description)


def _find_button(chat: Chat, label: str, message_id: int | None) -> tuple[ChatMessage, Button]:
    """The newest live bot message (or the given one) with a callback button ``label``."""
    candidates: Iterable[ChatMessage]
    if message_id is None:
        candidates = reversed(chat.bot_messages())
    else:
        found = chat.find_message(message_id)
        candidates = [found] if found is not None and found.from_bot else []
    for message in candidates:
        if message.deleted:
            continue
        button = message.markup.find_callback_button(label)
        if button is not None:
            return message, button
    raise ControlError(404, f'no message in chat {chat.id} has a callback button "{label}"')


def _upload_answer(message: ChatMessage, update_id: int | None) -> JSONDict:
    main = message.main_file
    return {
        "update_id": update_id,
        "message_id": message.message_id,
        "file_id": main.file_id if main is not None else None,
    }


def _profile(body: JSONDict) -> dict[str, str]:
    """The Telegram profile fields a control request gives for a user."""
    return {
        key: str(body[key])
        for key in ("first_name", "last_name", "username", "language_code")
        if body.get(key) is not None
    }
