"""Every sentence a person reads comes from a template in messages/<lang>/<group>.j2, one jinja2
macro per message: `texts("registration.confirm", unit=...)` renders macro `confirm` of
`vi/registration.j2`. Values are HTML-escaped (autoescape), so a name typed by a user can never
break Telegram's HTML; channels without HTML strip the tags (see `plain`).

A button's label is not HTML: Telegram and Zalo show it as it is, so an escaped "&" would read
"&amp;". `texts.label(...)` renders the same macro with nothing escaped, for every button label
(and for words that are put into another message, which escapes them itself)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_date(value: date | datetime) -> str:
    """20/4/2024: day/month/year, no zero padding, as people write it."""
    return f"{value.day}/{value.month}/{value.year}"


def vn_datetime(value: datetime, tz: ZoneInfo = DEFAULT_TZ) -> str:
    """8:05 20/4/2024 in the local zone."""
    local = value.astimezone(tz) if value.tzinfo else value
    return f"{local.hour}:{local.minute:02d} {vn_date(local)}"


def vn_number(value: int | float) -> str:
    """1.234.567: dots group thousands in Vietnamese."""
    if isinstance(value, float) and not value.is_integer():
        whole, frac = f"{value:,.2f}".split(".")
        return whole.replace(",", ".") + "," + frac
    return f"{int(value):,}".replace(",", ".")


_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """The same message without HTML: for channels that show text as it is."""
    return html.unescape(_TAG.sub("", text))


class Texts:
    def __init__(self, lang: str = "vi", tz: ZoneInfo = DEFAULT_TZ) -> None:
        self.lang = lang
        self.tz = tz
        self._env = _environment(lang, escape=True)
        self._plain_env = _environment(lang, escape=False)
        for env in (self._env, self._plain_env):
            env.filters["datetime"] = lambda v: vn_datetime(v, tz)

    def __call__(self, key: str, /, **values: Any) -> str:
        """A message's text: HTML (Telegram's parse mode), every value escaped."""
        return self._render(self._env, key, values)

    def label(self, key: str, /, **values: Any) -> str:
        """A button's label: plain text, nothing escaped ('Hội thi "Tìm hiểu" & giao lưu' as it
        is). Never a message's text: that is HTML, see `__call__`."""
        return self._render(self._plain_env, key, values)

    def _render(self, env: jinja2.Environment, key: str, values: dict[str, Any]) -> str:
        group, _, macro = key.partition(".")
        if not macro:
            raise KeyError(f"message key must be group.macro: {key}")
        module = env.get_template(f"{group}.j2").module
        fn: Callable[..., Any] | None = getattr(module, macro, None)
        if fn is None:
            raise KeyError(f"no message {key} in messages/{self.lang}/{group}.j2")
        return str(fn(**values)).strip()

    def names(self, group: str) -> list[str]:
        module = self._env.get_template(f"{group}.j2").module
        return sorted(n for n in dir(module) if not n.startswith("_"))


def _environment(lang: str, *, escape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("messages", lang),
        autoescape=escape,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["date"] = vn_date
    env.filters["number"] = vn_number
    env.filters["datetime"] = vn_datetime
    return env
