"""The warnings a careful clerk would raise on reading a plan: its number or date missing, a
document it cites dated after the plan itself, a window that ends before it starts, activities
without a window or with more than one, an open end, units in charge the office does not know.

Each warning names a macro of messages/vi/extract.j2 (`code`) and the values the macro takes.
"""

from __future__ import annotations

from bot.extract.model import Activity, PlanInfo, Warning
from bot.timeexpr import find_citations
from messages import vn_date


def horizon(info: PlanInfo, activities: list[Activity]) -> None:
    """The end given to windows the plan leaves open: the anniversary day of the title, else
    the last day any window of the plan reaches."""
    if info.horizon is not None:
        return
    ends = [a.window.end for a in activities if a.window is not None and a.window.end is not None]
    info.horizon = max(ends, default=None)


def warnings_for(
    info: PlanInfo, activities: list[Activity], body: str, *, units_known: bool
) -> list[Warning]:
    horizon(info, activities)
    out: list[Warning] = []
    if info.number is None:
        out.append(Warning("no_number", {}))
    if info.issued is None:
        if info.year is not None:
            out.append(Warning("no_header_date", {"year": info.year, "source": info.year_from}))
        else:
            out.append(Warning("no_year", {}))
    if info.issued is not None:
        for number, cited, _span in find_citations(body):
            if cited > info.issued:
                out.append(
                    Warning(
                        "citation_after_plan",
                        {
                            "number": number,
                            "cited": vn_date(cited),
                            "issued": vn_date(info.issued),
                        },
                    )
                )
    for a in activities:
        for w in (a.window, *a.other_windows):
            if w is not None and w.inverted:
                out.append(Warning("inverted_window", {"ref": a.ref, "words": w.words}, (a.ref,)))
        if a.other_windows and a.window is not None:
            out.append(
                Warning(
                    "several_windows",
                    {
                        "ref": a.ref,
                        "kept": a.window.words,
                        "others": [w.words for w in a.other_windows],
                    },
                    (a.ref,),
                )
            )
        w = a.window
        if w is not None and w.start is not None and w.end is None:
            due = vn_date(info.horizon) if info.horizon else ""
            out.append(Warning("open_end", {"ref": a.ref, "words": w.words, "due": due}, (a.ref,)))
    undated = [a.ref for a in activities if a.window is None]
    if undated:
        due = vn_date(info.horizon) if info.horizon else ""
        values = {"refs": undated, "count": len(undated), "due": due}
        out.append(Warning("no_window", values, tuple(undated)))
    if units_known:
        unknown: dict[str, list[str]] = {}
        for a in activities:
            if a.lead and not a.lead_code:
                unknown.setdefault(a.lead, []).append(a.ref)
        for name, refs in unknown.items():
            out.append(Warning("unknown_unit", {"name": name, "refs": refs}, tuple(refs)))
    elif any(a.lead or a.support for a in activities):
        out.append(Warning("no_units_list", {}))
    guessed = [a.ref for a in activities if a.audience == "all" and not a.every_unit]
    if guessed:
        out.append(Warning("audience_guess", {"refs": guessed, "count": len(guessed)}))
    return out
