"""Drafting a plan file from the plan's own document (issue 6): `dondoc plan extract`.

    read_lines(path) -> list[str]                 .txt, .docx, .pdf with a text layer
    extract(lines, source=..., units=None) -> Draft   the plan's header, activities, warnings
    draft_yaml(draft, texts) / draft_json(draft, texts)   the plan file to review; JSON

Modules, each named for what it holds: document (reading files), outline (lines as a tree),
header (number, date, title, year), pieces (items and their parts), assign (who does what),
units (unit names), quotas, similar (matching by shared words), build (putting it together),
warnings, draft (the YAML and JSON), lexicon (the words a reader of plans must know), model.

Decisions
* An activity is a numbered item of the plan's content or of "TỔ CHỨC THỰC HIỆN" (not of "Mục
  đích, yêu cầu", funding, slogans, closing lines); its bullets are details unless they carry
  different windows or units in charge (bot/extract/pieces.py). An assignment that matches no
  activity and that its unit leads is an activity of its own; so is a timetable row.
* Dates without a year take the header date's year; without a header date, the latest year of
  the title (the anniversary), with a warning. Windows are bot.timeexpr's; a bare "năm 2024"
  naming the year a piece of work belongs to is not one.
* Audience: "all" when the activity speaks to every unit ("các chi, đảng bộ cơ sở", "mỗi chi,
  đảng bộ cơ sở") or when its lead is unknown (then with a warning: "audience_guess"); the lead
  unit only when the activity is one of the office's own and the units list knows its lead.
* Units: names as the plan writes them (a short name taken as the one full name it starts);
  with a units list (--units) a name matching a unit gives its code; any other name stays in
  the task's details, with a warning, so that the draft always imports.
* The draft always imports: a missing number becomes the file name; an open end or no window
  takes the plan's horizon (the title's anniversary day, else its last date) as due date, with
  a warning; only inverted windows (and no window without a horizon) are written commented out.
  The JSON keeps the plan's own dates (null where it gives none).
"""

from bot.extract.build import extract
from bot.extract.document import DocumentError, read_lines
from bot.extract.model import Activity, Draft, PlanInfo, Warning, Win

__all__ = [
    "Activity",
    "DocumentError",
    "Draft",
    "PlanInfo",
    "Warning",
    "Win",
    "extract",
    "read_lines",
]
