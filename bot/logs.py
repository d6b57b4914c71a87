"""Logging for a technician: one line per event, on stderr (journald and `docker logs` keep it).

`DONDOC_LOG_FORMAT=text` (default) writes `2024-03-01 09:00:00 INFO bot.sender: outbox
remind:task=12:unit=7:offset=-3d sent`; `json` writes one JSON object per line for a log
collector. A traceback stays inside its event: indented under it in text, a field in JSON.
At INFO the project logs ids (update, user, chat, task, unit, outbox key), never names, phone
numbers or what people wrote."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Libraries that say too much at INFO: httpx logs every request URL, with the bot token in it.
QUIET_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "apscheduler": logging.WARNING,
    "telegram.ext.Updater": logging.WARNING,
}


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        head, _, rest = line.partition("\n")
        if not rest:
            return head
        return head + "\n" + "\n".join("    " + part for part in rest.split("\n"))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            event["exc"] = record.exc_text
        return json.dumps(event, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send every log line to stderr in the chosen format (replacing earlier handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet)
