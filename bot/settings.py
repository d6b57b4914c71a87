"""Settings from the environment (prefix DONDOC_) and an optional .env file."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from messages import Texts

TELEGRAM_API = "https://api.telegram.org/bot"
ZALO_API = "https://bot-api.zaloplatforms.com/bot"  # the token and "/<method>" follow
_ZALO_TOKEN_RE = re.compile(r"^\d+:[^\s/?#]{10,}$")
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{10,}$")
_WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class SettingsError(Exception):
    """A setting is wrong or missing; the message is one line saying which and how to fix it,
    from messages/vi/settings.j2: `wrong` or `missing`, with the reason named after a
    validator's code or pydantic's error type (`problem`: pydantic's words, for a type that
    has no message of its own). Plain text: it is printed on a terminal."""

    def __init__(
        self,
        setting: str,
        reason: str,
        /,
        *,
        missing: bool = False,
        problem: str = "",
        **values: Any,
    ) -> None:
        texts = Texts("vi")
        try:
            because = texts.label(f"settings.{reason}", **values)
        except KeyError:
            because = texts.label("settings.other", problem=problem or reason)
        key = "settings.missing" if missing else "settings.wrong"
        super().__init__(texts.label(key, setting=setting, reason=because))
        self.setting = setting
        self.reason = reason


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DONDOC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_token: str | None = None
    telegram_api_url: str = TELEGRAM_API
    telegram_file_url: str | None = None
    data_dir: Path = Path("data")
    db: Path | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    clock: datetime | None = None
    sandbox_host: str = "127.0.0.1"
    sandbox_api_port: int = Field(default=8081, ge=0, le=65535)
    sandbox_web_port: int = Field(default=8080, ge=0, le=65535)  # the sandbox's chat page
    invite_days: int = Field(default=14, ge=1, le=365)
    log_level: str = "INFO"
    remind_at: time = time(8, 0)
    weekly_digest_at: time = time(7, 30)  # Monday, for leaders
    quiet_hours: str = "21:00-07:00"
    skip_weekends: bool = True
    holidays: str = "VN"  # "VN" for Vietnam's public holidays, "" for none
    extra_holidays: list[date] = Field(default_factory=list)  # JSON list of ISO dates
    log_format: Literal["text", "json"] = "text"
    # `dondoc run --webhook`: Telegram posts updates to WEBHOOK_URL (behind a reverse proxy that
    # forwards its path to WEBHOOK_LISTEN:WEBHOOK_PORT), each with WEBHOOK_SECRET in a header.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    health_port: int | None = Field(default=None, ge=1, le=65535)  # /healthz when polling
    # The issuer block of Word exports: the committee above the issuer, and the place before the
    # date ("ĐẢNG BỘ TỈNH LÀO CAI", "Lào Cai"); empty: the line is left out.
    org_parent: str = ""
    org_place: str = ""
    # Zalo Bot Platform (a bot made with Zalo Bot Creator): served beside Telegram when set.
    zalo_token: str | None = None
    zalo_api_url: str = ZALO_API
    # The deployment's public https URL, if any: Zalo then gets links to files (bot/public_files.py)
    public_url: str | None = None

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        parts = urlsplit(value.strip())
        local = parts.scheme == "http" and parts.hostname in _LOOPBACK
        if not (parts.scheme == "https" or local) or not parts.hostname:
            raise ValueError("webhook_url")
        if parts.query or parts.fragment:
            raise ValueError("plain_url")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not _WEBHOOK_SECRET_RE.match(value.strip()):
            raise ValueError("webhook_secret")
        return value.strip()

    @field_validator("health_port", mode="before")
    @classmethod
    def _empty_port(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip() == "" else value

    @field_validator("zalo_token")
    @classmethod
    def _zalo_token_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not _ZALO_TOKEN_RE.match(value.strip()):
            raise ValueError("zalo_token")
        return value.strip()

    @field_validator("zalo_api_url")
    @classmethod
    def _zalo_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("http_url")
        return value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _public_url_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        parts = urlsplit(value.strip())
        local = parts.scheme == "http" and parts.hostname in _LOOPBACK
        if not (parts.scheme == "https" or local) or not parts.hostname:
            raise ValueError("public_url")
        if parts.query or parts.fragment:
            raise ValueError("plain_url")
        return value.strip().rstrip("/")

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_shape(cls, value: str) -> str:
        if value and not re.fullmatch(r"\d{1,2}:\d{2}-\d{1,2}:\d{2}", value.strip()):
            raise ValueError("quiet_hours")
        return value.strip()

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        value = value.strip()
        if not _TOKEN_RE.match(value):
            raise ValueError("telegram_token")
        return value

    @field_validator("telegram_api_url", "telegram_file_url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("http_url")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("timezone") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_path(self) -> Path:
        """DONDOC_DB, else the sandbox database when no token is set, else the real one."""
        if self.db is not None:
            return self.db
        name = "sandbox.sqlite3" if self.sandbox else "dondoc.sqlite3"
        return self.data_dir / name

    @property
    def file_url(self) -> str:
        """The file download base; derived from the API URL when not set (…/bot -> …/file/bot)."""
        if self.telegram_file_url:
            return self.telegram_file_url
        base = self.telegram_api_url
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file"

    @property
    def sandbox(self) -> bool:
        """No channel token at all: `dondoc run` starts the local emulators."""
        return self.telegram_token is None and self.zalo_token is None


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn pydantic's report into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        setting = f"DONDOC_{field.upper()}"
        if err["type"] == "value_error":  # ours: the message is the reason's code
            raise SettingsError(setting, err["msg"].removeprefix("Value error, ")) from None
        context = {k: v for k, v in (err.get("ctx") or {}).items() if k in ("le", "ge", "expected")}
        raise SettingsError(setting, err["type"], problem=err["msg"], **context) from None
    except PydanticSettingsError as exc:  # a list or JSON value that does not parse
        named = re.search(r'field "(\w+)"', str(exc))
        setting = f"DONDOC_{named.group(1).upper()}" if named else "DONDOC_*"
        raise SettingsError(setting, "list_type") from None
