"""Everything a person reads: jinja2 templates per language, with Vietnamese filters."""

from messages.render import Texts, plain, vn_date, vn_datetime, vn_number

__all__ = ["Texts", "plain", "vn_date", "vn_datetime", "vn_number"]
