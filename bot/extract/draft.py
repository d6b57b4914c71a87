"""The draft as a plan file (bot/plan_file.py's YAML) to review, and as JSON.

The YAML keeps the plan's words in `when:` and gives `start:`/`due:` as dates, so that it imports
whatever the plan's header says; each task has a comment with its source lines. An activity the
plan gives no window takes the plan's horizon (its anniversary day) as a due date to correct, with
a comment; what cannot be imported as it stands is written commented out at the end (a window that
ends before it starts; no window when the plan has no horizon either). Unit codes go in
`lead`/`support`/`audience` only when the office's units list has the unit; otherwise the names
are written in `details`.

An open window ("kể từ ngày 01/01/2024", "từ tháng 01 trở đi, mỗi tháng") gets the plan's horizon
as its due date (see bot/extract/warnings.py), with a warning; the JSON keeps the plan's own dates
(end null).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.extract.model import Activity, Draft, Warning
from messages import Texts, plain, vn_date

REPEATS = frozenset({"weekly", "monthly", "quarterly", "yearly"})


def _say(texts: Texts, key: str, **values: Any) -> str:
    return plain(texts(f"extract.{key}", **values))


def warning_text(texts: Texts, warning: Warning) -> str:
    return _say(texts, warning.code, **warning.values)


def placeholder_number(draft: Draft) -> str:
    return draft.plan.number or Path(draft.plan.source).stem


def _quota_json(a: Activity) -> dict[str, Any] | None:
    if not a.quota:
        return None
    return {
        "per_unit_min": a.quota.per_unit_min,
        "per_unit_max": a.quota.per_unit_max,
        "total": a.quota.total,
        "words": list(a.quota.words),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def activity_json(a: Activity) -> dict[str, Any]:
    w = a.window
    return {
        "ref": a.ref,
        "title": a.title,
        "start": _iso(w.start) if w else None,
        "end": _iso(w.end) if w else None,
        "when": w.words if w else None,
        "tentative": w.tentative if w else False,
        "repeat": w.repeat if w else None,
        "lead": a.lead,
        "support": list(a.support),
        "lead_code": a.lead_code,
        "support_codes": list(a.support_codes),
        "audience": a.audience,
        "quota": _quota_json(a),
        "form": a.form,
        "lines": list(a.lines),
        "when_line": w.line if w else None,
        "lead_line": a.lead_line,
        "details": a.details,
    }


def draft_json(draft: Draft, texts: Texts) -> dict[str, Any]:
    p = draft.plan
    return {
        "plan": {
            "source": p.source,
            "number": p.number,
            "title": p.title,
            "issued": _iso(p.issued),
            "issuer": p.issuer,
            "year": p.year,
            "year_from": p.year_from or None,
            "horizon": _iso(p.horizon),
        },
        "activities": [activity_json(a) for a in draft.activities],
        "warnings": [
            {
                "code": w.code,
                "message": warning_text(texts, w),
                "refs": list(w.refs),
            }
            for w in draft.warnings
        ],
    }


# ---------------------------------------------------------------------------------------------
# YAML


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _block(text: str, indent: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return [f"{indent}{line}" for line in lines]


def _span(lines: list[int]) -> str:
    """ "81-91" for consecutive runs, "47, 150" otherwise (blank lines between count as one)."""
    if not lines:
        return ""
    runs: list[list[int]] = [[lines[0], lines[0]]]
    for n in lines[1:]:
        if n - runs[-1][1] <= 2:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def importable(a: Activity, draft: Draft) -> bool:
    """Whether the task imports as written: not when its window is inverted, nor when it needs
    the horizon and the plan has none."""
    w = a.window
    if w is not None and w.inverted:
        return False
    if w is None or (w.dated and w.end is None):
        return draft.plan.horizon is not None
    return True


def _task(a: Activity, draft: Draft, texts: Texts) -> list[str]:
    w = a.window
    out = [f"- ref: {_q(a.ref)}", f"  title: {_q(a.title)}"]
    details = a.details
    if (
        not draft.units_known
        or (a.lead and not a.lead_code)
        or len(a.support_codes) < len(a.support)
    ):
        lead = a.lead if not a.lead_code else ""
        coded = set(a.support_codes)
        support = [s for s in a.support if not coded or s not in coded]
        if lead or support:
            note = _say(texts, "units_note", lead=lead or "", support=support)
            details = f"{details}\n{note}"
    if details.strip():
        out.append("  details: |-")
        out.extend(_block(details, "    "))
    if w is None and draft.plan.horizon is not None:
        out.append(f"  due: {draft.plan.horizon.isoformat()}")
    if w is not None:
        out.append(f"  when: {_q(w.words)}")
        if w.dated:
            if w.start is not None:
                out.append(f"  start: {w.start.isoformat()}")
            due = w.end or draft.plan.horizon
            if due is not None:
                out.append(f"  due: {due.isoformat()}")
        if w.repeat in REPEATS:
            out.append(f"  repeat: {w.repeat}")
    if a.audience == "lead" and a.lead_code:
        out.append(f"  audience: {{units: [{_q(a.lead_code)}]}}")
    else:
        out.append("  audience: all")
    if a.lead_code:
        out.append(f"  lead: {_q(a.lead_code)}")
    if a.support_codes:
        out.append(f"  support: [{', '.join(_q(c) for c in a.support_codes)}]")
    out.append(f"  form: {a.form}")
    q = a.quota
    if q:
        parts = [
            f"{name}: {value}"
            for name, value in (
                ("per_unit_min", q.per_unit_min),
                ("per_unit_max", q.per_unit_max),
                ("total", q.total),
            )
            if value is not None and value > 0
        ]
        if parts:
            out.append(f"  quota: {{{', '.join(parts)}}}")
    return out


def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in text.splitlines() if line.strip()]


def draft_yaml(draft: Draft, texts: Texts) -> str:
    p = draft.plan
    dated = sum(1 for a in draft.activities if a.dated)
    out = _comment(
        _say(texts, "yaml_header", source=p.source, count=len(draft.activities), dated=dated)
    )
    if draft.warnings:
        out.append("#")
        out.extend(_comment(_say(texts, "yaml_warnings")))
        for w in draft.warnings:
            out.extend(_comment(f"- {warning_text(texts, w)}"))
    out += ["", "plan:"]
    number = f"  number: {_q(placeholder_number(draft))}"
    if p.number is None:
        number += f"  # {_say(texts, 'number_comment')}"
    out.append(number)
    out.append(f"  title: {_q(p.title)}")
    if p.issued is not None:
        out.append(f"  issued: {p.issued.isoformat()}")
    if p.issuer:
        out.append(f"  issuer: {_q(p.issuer)}")
    ready = [a for a in draft.activities if importable(a, draft)]
    later = [a for a in draft.activities if not importable(a, draft)]
    out += ["", "tasks:"]
    for a in ready:
        note = _say(
            texts,
            "task_comment",
            ref=a.ref,
            lines=_span(a.lines),
            when_line=a.window.line if a.window and a.window.line not in a.lines[:1] else "",
            lead_line=a.lead_line or "",
        )
        out += ["", *_comment(note, "  ")]
        if a.window is None and p.horizon is not None:
            out += _comment(_say(texts, "no_window_due", due=vn_date(p.horizon)), "  ")
        out += [f"  {line}" for line in _task(a, draft, texts)]
    if not ready:
        out[-1] = "tasks: []"
    if later:
        out += ["", *_comment(_say(texts, "undated_heading"))]
        for a in later:
            note = _say(
                texts,
                "task_comment",
                ref=a.ref,
                lines=_span(a.lines),
                when_line="",
                lead_line=a.lead_line or "",
            )
            out += ["#", *_comment(note)]
            out += [f"# {line}" for line in _task(a, draft, texts)]
    return "\n".join(out) + "\n"
