"""How well `dondoc plan extract` drafts a plan, over a labelled set (tests/data/labels/*.yaml).

Prints, per plan and in total (and for the development and held-out plans apart):

* dated activities: recall (labelled activities with a window that the draft finds with a window)
  and precision (the draft's activities with a window that are labelled activities with a
  window);
* of the labelled dated activities: the share found with the exact window (start and end), with
  the unit in charge the label gives (names compare folded, "Đảng uỷ" = "Đảng ủy", and a name
  written short matches the full one it starts: "Ban Tuyên giáo" = "Ban Tuyên giáo Đảng ủy
  Khối"), with its supporting units (the same set), with the label's quota (per_unit_min,
  per_unit_max, total);
* over every labelled activity: the share found, with its unit in charge, with its quota;
* the peer: the labels' own window words ("trong tháng 4/2024", "trước ngày 20/4/2024") read by
  dateparser (a general date parser that knows Vietnamese) and by bot.timeexpr.parse_when: the
  share of exact windows (a date alone counts as a one-day window, two or more as first..last,
  a deadline compares its end only).

Labels (one YAML file per plan): `source` (the plan's file name, looked up in --plans), `held_out`,
`plan: {number, issued, year}`, `activities: [{ref, line, title, start, end, when, lead,
support, quota}]`. An activity is identified by `line`, the first line of its own text in the
plan: an activity of the draft matches the label whose line is among its source lines (one to
one, the one starting on that line first). Dates are ISO, null where the plan gives none;
`lead`/`support` name units as the plan does; a quota bound ("ít nhất 01", "từ 1 đến 2",
"mỗi ... 01") is per unit, a plain count is a total.

Usage: .venv/bin/python bench/extract_accuracy.py [--labels DIR] [--plans DIR] [FILE.yaml ...]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.extract import extract, read_lines  # noqa: E402
from bot.extract.draft import draft_json  # noqa: E402
from bot.timeexpr import WhenError, parse_when  # noqa: E402
from bot.vntext import fold  # noqa: E402
from messages import Texts  # noqa: E402

DEFAULT_LABELS = ROOT / "tests" / "data" / "labels"
DEFAULT_PLANS = ROOT / "tests" / "data" / "plans"  # copies of ../shared/plans


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _quota(value: Any) -> tuple[int | None, int | None, int | None]:
    if not value:
        return (None, None, None)
    return (value.get("per_unit_min"), value.get("per_unit_max"), value.get("total"))


def _name(value: Any) -> str:
    return fold(str(value)) if value else ""


def _same_unit(a: Any, b: Any) -> bool:
    """Names of one unit: equal folded, or one the other written short ("Đoàn TNCS Hồ Chí Minh
    khối" and "Đoàn TNCS Hồ Chí Minh khối Doanh nghiệp")."""
    x, y = _name(a), _name(b)
    return x == y or (bool(x) and bool(y) and (x.startswith(y + " ") or y.startswith(x + " ")))


def _same_units(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(any(_same_unit(x, y) for y in b) for x in a)


@dataclass
class Tally:
    plans: int = 0
    dated_labels: int = 0
    dated_found: int = 0
    dated_drafted: int = 0
    dated_true: int = 0
    exact: int = 0
    lead: int = 0
    support: int = 0
    quota: int = 0
    labels: int = 0
    found: int = 0
    lead_all: int = 0
    quota_all: int = 0
    peer_total: int = 0
    peer_dateparser: int = 0
    peer_timeexpr: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)


def _share(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}% ({a}/{b})" if b else "    - (0/0)"


def _match(labels: list[dict[str, Any]], acts: list[dict[str, Any]]) -> dict[int, int]:
    """label index -> activity index."""
    used: set[int] = set()
    out: dict[int, int] = {}
    for k, label in enumerate(labels):
        line = int(label["line"])
        candidates = [i for i, a in enumerate(acts) if i not in used and line in a["lines"]]
        if not candidates:
            continue
        first = [i for i in candidates if min(acts[i]["lines"]) == line]
        when = [i for i in candidates if acts[i]["when_line"] == line]
        choice = (first or when or candidates)[0]
        used.add(choice)
        out[k] = choice
    return out


def _window_equal(label: dict[str, Any], start: date | None, end: date | None) -> bool:
    ls, le = _date(label.get("start")), _date(label.get("end"))
    if ls is None:
        return end == le
    if le is None:
        return start == ls
    return (start, end) == (ls, le)


def _dateparser_window(words: str, ref: date | None) -> tuple[date | None, date | None] | None:
    try:
        from dateparser.search import search_dates  # type: ignore[import-untyped]
    except ImportError:
        return None
    settings: dict[str, Any] = {"DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first"}
    if ref is not None:
        settings["RELATIVE_BASE"] = datetime(ref.year, ref.month, ref.day)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = search_dates(words, languages=["vi"], settings=settings) or []
    days = sorted(d.date() for _text, d in found)
    if not days:
        return (None, None)
    return (days[0], days[-1])


def _peer(label: dict[str, Any], ref: date | None, tally: Tally) -> None:
    words = label.get("when")
    if not words:
        return
    tally.peer_total += 1
    got = _dateparser_window(str(words), ref)
    if got is not None and got != (None, None) and _window_equal(label, *got):
        tally.peer_dateparser += 1
    try:
        w = parse_when(str(words), ref=ref)
    except WhenError:
        return
    if _window_equal(label, w.start, w.end):
        tally.peer_timeexpr += 1


def measure(label_file: Path, plans: Path, texts: Texts) -> tuple[Tally, bool]:
    spec = yaml.safe_load(label_file.read_text(encoding="utf-8"))
    source = plans / spec["source"]
    draft = extract(read_lines(source), source=source.name)
    data = draft_json(draft, texts)
    acts = data["activities"]
    labels = spec["activities"]
    plan = spec.get("plan") or {}
    ref = _date(plan.get("issued")) or (date(plan["year"], 1, 1) if plan.get("year") else None)
    matched = _match(labels, acts)
    t = Tally(plans=1, labels=len(labels))
    dated_matched: set[int] = set()
    for k, label in enumerate(labels):
        dated = label.get("start") is not None or label.get("end") is not None
        act = acts[matched[k]] if k in matched else None
        if act is not None:
            t.found += 1
            lead_ok = _same_unit(act["lead"], label.get("lead"))
            quota = act["quota"] or {}
            quota_ok = _quota(quota) == _quota(label.get("quota"))
            t.lead_all += lead_ok
            t.quota_all += quota_ok
        if not dated:
            continue
        t.dated_labels += 1
        _peer(label, ref, t)
        tag = f"{label_file.stem}:{label['line']} {label.get('ref', '')}"
        if act is None or (act["start"] is None and act["end"] is None):
            t.misses.append(f"{tag}: not found with a window")
            continue
        dated_matched.add(matched[k])
        t.dated_found += 1
        start, end = _date(act["start"]), _date(act["end"])
        if _window_equal(label, start, end) and (label.get("start") is None) == (start is None):
            t.exact += 1
        else:
            t.misses.append(f"{tag}: window {act['start']}..{act['end']} ({act['when']})")
        if _same_unit(act["lead"], label.get("lead")):
            t.lead += 1
        else:
            t.misses.append(f"{tag}: lead {act['lead']!r}, label {label.get('lead')!r}")
        if _same_units(act["support"], label.get("support") or []):
            t.support += 1
        if _quota(act["quota"] or {}) == _quota(label.get("quota")):
            t.quota += 1
        else:
            t.misses.append(f"{tag}: quota {_quota(act['quota'] or {})}")
    drafted = [i for i, a in enumerate(acts) if a["start"] is not None or a["end"] is not None]
    t.dated_drafted = len(drafted)
    t.dated_true = sum(1 for i in drafted if i in dated_matched)
    for i in drafted:
        if i not in dated_matched:
            t.misses.append(f"{label_file.stem}: extra dated {acts[i]['ref']} ({acts[i]['when']})")
    return t, bool(spec.get("held_out"))


def report(name: str, t: Tally) -> None:
    print(f"== {name} ({t.plans} plan{'s' if t.plans != 1 else ''})")
    print(f"   dated activities   recall    {_share(t.dated_found, t.dated_labels)}")
    print(f"                      precision {_share(t.dated_true, t.dated_drafted)}")
    print(f"   exact window                 {_share(t.exact, t.dated_labels)}")
    print(f"   unit in charge               {_share(t.lead, t.dated_labels)}")
    print(f"   supporting units             {_share(t.support, t.dated_labels)}")
    print(f"   quota                        {_share(t.quota, t.dated_labels)}")
    print(f"   all activities     found     {_share(t.found, t.labels)}")
    print(f"                      unit      {_share(t.lead_all, t.labels)}")
    print(f"                      quota     {_share(t.quota_all, t.labels)}")
    print(
        f"   peer, exact window from the labels' words: dateparser "
        f"{_share(t.peer_dateparser, t.peer_total)}, timeexpr "
        f"{_share(t.peer_timeexpr, t.peer_total)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="label files (default: all)")
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--plans", type=Path, default=DEFAULT_PLANS)
    parser.add_argument("--misses", action="store_true", help="list what was missed")
    args = parser.parse_args(argv)
    files = args.files or sorted(args.labels.glob("*.yaml"))
    if not args.plans.is_dir():
        print(f"no plans directory {args.plans} (use --plans)", file=sys.stderr)
        return 2
    texts = Texts("vi")
    total, dev, held = Tally(), Tally(), Tally()
    for f in files:
        t, held_out = measure(f, args.plans, texts)
        report(f.stem + (" [held out]" if held_out else ""), t)
        if args.misses:
            for m in t.misses:
                print(f"     - {m}")
        total.add(t)
        (held if held_out else dev).add(t)
    if dev.plans and held.plans:
        report("development plans", dev)
        report("held-out plans", held)
    report("all", total)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
