"""The Word files: the report on the plan ("Báo cáo kết quả thực hiện Kế hoạch số …") and the
nomination list, rendered from docxtpl templates in the layout of Party documents.

The shipped templates are messages/vi/docx/*.docx (made by tools/make_docx_templates.py); a
template of the same name in DATA_DIR/templates/ takes precedence, so the office can change the
wording, the recipients or the signer in Word without touching the program."""

from __future__ import annotations

import json
import shutil
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from bot.domain import Letterhead
from bot.exports.views import Report
from messages import vn_date

TEMPLATES = {"report": "bao_cao.docx", "nominations": "danh_sach_khen_thuong.docx"}
KIND_ORDER = ("collective", "individual", "product", "candidate")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
COUNTED = ("submitted", "accepted")  # answers whose nominees go on the list sent upward


def template_path(kind: str, override_dir: Path | None = None) -> Path:
    name = TEMPLATES[kind]
    if override_dir is not None and (override_dir / name).is_file():
        return override_dir / name
    return Path(str(resources.files("messages") / "vi" / "docx" / name))


def copy_template(kind: str, out: Path, override_dir: Path | None = None) -> Path:
    """Write the template itself (to edit in Word, then put in DATA_DIR/templates/)."""
    source = template_path(kind, override_dir)
    shutil.copyfile(source, out)
    return source


def party_date(day: date) -> dict[str, str]:
    """Day and month as Party documents write them: a zero before days under 10 and before
    months 1 and 2 ("ngày 05 tháng 01 năm 2024", "ngày 20 tháng 4 năm 2024")."""
    return {
        "day": f"{day.day:02d}",
        "month": f"{day.month:02d}" if day.month < 3 else str(day.month),
        "year": str(day.year),
    }


def cited_date(day: date) -> str:
    """A cited document's date ("Kế hoạch số 185-KH/ĐUK, ngày 05/01/2024"), with the zeros of
    the date of issue (Hướng dẫn 36-HD/VPTW): "05/01/2024", "03/4/2018", "20/4/2024"."""
    parts = party_date(day)
    return f"{parts['day']}/{parts['month']}/{parts['year']}"


def issuer_code(plan_number: str) -> str:
    """The issuer's abbreviation from the plan's number: "185-KH/ĐUK" -> "ĐUK"."""
    _, slash, code = plan_number.rpartition("/")
    return code.strip() if slash else ""


def _about(report: Report) -> str:
    """The plan's title as it follows "về" in a sentence: without a leading "Kế hoạch", and
    starting in lower case."""
    title = report.plan.title.strip()
    word = report.labels("export_file.docx_plan_word")
    if title.casefold().startswith(word.casefold() + " "):
        title = title[len(word) :].strip()
    return title[:1].lower() + title[1:] if title else ""


def _common(report: Report, letterhead: Letterhead, symbol: str) -> dict[str, Any]:
    plan = report.plan
    code = issuer_code(plan.number)
    return {
        "org": {
            "parent": letterhead.parent.upper(),
            "issuer": plan.issuer.upper(),
            "place": letterhead.place,
        },
        "doc": {"symbol": f"{symbol}/{code}" if code else symbol, "org": code},
        "date": party_date(report.today),
        "today": vn_date(report.today),
        "plan": {
            "number": plan.number,
            "title": plan.title,
            "issued": cited_date(plan.issued) if plan.issued else "",
            "issuer": plan.issuer,
            "about": _about(report),
        },
        "signer": "",
    }


def _percent(part: int, whole: int) -> str:
    return f"{round(part * 100 / whole)}%" if whole else "0%"


def report_context(report: Report, letterhead: Letterhead) -> dict[str, Any]:
    tasks = []
    totals = {"done": 0, "in_progress": 0, "pending": 0, "late": 0, "answers": 0, "earlier": 0}
    late_answers = 0
    for n, task in enumerate(report.tasks, 1):
        counts = report.task_counts(task)
        total = sum(counts.values())
        key = (task.id, report.current.get(task.id, ""))
        names = report.figures.late_units.get(key, [])
        more = counts["late"] - len(names)
        late = []
        if names:
            late.append(
                report.labels("export_file.docx_late_units", names=", ".join(names), more=more)
            )
        # a repeating task's earlier periods still overdue: said under the task (a template the
        # office edited shows it too) and counted apart from the current period's figures
        earlier = sum(e.units for e in report.earlier_late(task))
        if earlier:
            late.append(
                report.labels("export_file.docx_earlier", periods=report.earlier_text(task))
            )
        for state in ("done", "in_progress", "pending", "late"):
            totals[state] += counts[state]
        totals["earlier"] += earlier
        totals["answers"] += report.figures.answers.get(key, 0)
        late_answers += report.figures.late_answers.get(key, 0)
        tasks.append(
            {
                "n": n,
                "ref": task.ref,
                "title": task.title,
                "when": report.when(task),
                **counts,
                "total": total,
                "rate": _percent(counts["done"], total),
                "figures": report.figure_text(task),
                "late_text": " ".join(late),
                "earlier": earlier,
            }
        )
    deadlines = sum(totals[s] for s in ("done", "in_progress", "pending", "late"))
    return {
        **_common(report, letterhead, "BC"),
        "tasks": tasks,
        "totals": {
            **totals,
            "tasks": len(tasks),
            "units": len(report.units),
            "deadlines": deadlines,
            "rate": _percent(totals["done"], deadlines),
            "late_answers": late_answers,
        },
    }


async def nominations_context(report: Report, letterhead: Letterhead) -> dict[str, Any]:
    """The nominees of every nomination answer sent or accepted, grouped by kind."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    async for chunk in report.repo.nominations(report.plan.id):
        for answer in chunk:
            if answer.status not in COUNTED:
                continue
            for entry in json.loads(answer.data).get("entries") or []:
                if isinstance(entry, dict):
                    nominee = report.nominee(answer, entry)
                    by_kind.setdefault(nominee["kind"], []).append(nominee)
    order = [k for k in KIND_ORDER if k in by_kind] + sorted(set(by_kind) - set(KIND_ORDER))
    groups = []
    parts = []
    for i, kind in enumerate(order):
        entries = [{**e, "n": n} for n, e in enumerate(by_kind[kind], 1)]
        numeral = ROMAN[i] if i < len(ROMAN) else str(i + 1)
        groups.append(
            {
                "title": report.labels(
                    "export_file.docx_group", n=numeral, kind=kind, count=len(entries)
                ),
                "entries": entries,
            }
        )
        parts.append(
            report.labels(
                "export_file.kind_count", count=len(entries), kind=report.kind_label(kind)
            )
        )
    return {
        **_common(report, letterhead, "DS"),
        "groups": groups,
        "count": sum(len(g["entries"]) for g in groups),
        "totals_text": report.labels("export_file.docx_totals", parts=", ".join(parts)),
    }


def render(template: Path, context: dict[str, Any], out: Path) -> None:
    """Fill the template (blocking: run it in a thread). Values are escaped for XML."""
    from docxtpl import DocxTemplate

    doc = DocxTemplate(str(template))
    doc.render(context, autoescape=True)
    doc.save(str(out))
