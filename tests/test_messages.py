"""Texts: every message renders, dates and numbers look as Vietnamese people write them, and no
sentence a person reads is written in Python."""

from __future__ import annotations

import ast
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.status import (
    Contact,
    LatePeriods,
    Overdue,
    OverdueTask,
    OverdueUnit,
    Owed,
    fold_periods,
)
from bot.tasklines import TaskLine
from messages import Texts, plain, vn_date, vn_datetime, vn_number

ROOT = Path(__file__).resolve().parent.parent
VIETNAMESE = re.compile(
    r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùý]", re.I
)


def test_dates_are_shown_without_zero_padding() -> None:
    assert vn_date(date(2024, 4, 20)) == "20/4/2024"
    assert vn_date(date(2024, 1, 5)) == "5/1/2024"


def test_datetimes_are_local_time() -> None:
    utc = datetime(2024, 4, 20, 1, 5, tzinfo=ZoneInfo("UTC"))
    assert vn_datetime(utc, ZoneInfo("Asia/Ho_Chi_Minh")) == "8:05 20/4/2024"


def test_numbers_group_thousands_with_dots() -> None:
    assert vn_number(1234567) == "1.234.567"
    assert vn_number(85) == "85"
    assert vn_number(2.5) == "2,50"


def test_plain_strips_tags_and_unescapes() -> None:
    assert plain("<b>Tom &amp; Jerry</b> &lt;3") == "Tom & Jerry <3"


# Sample values for arguments that are not plain words.
_LINE = TaskLine(
    1,
    "II.6",
    "Báo cáo",
    "trước ngày 20/4/2024",
    "",
    date(2024, 4, 20),
    3,
    "pending",
    "185-KH/ĐUK",
    "Chi bộ Văn phòng",
)
_OWED = (
    Owed(
        "185-KH/ĐUK",
        "II.2.a",
        "Bài viết",
        fold_periods(["2024-01", "2024-02", "2024-03"]),
        None,
        68,
    ),
    Owed("185-KH/ĐUK", "II.8", "Gửi bài", (), date(2024, 3, 31), 8),
)
_LATE_UNIT = OverdueUnit(1, "Chi bộ Văn phòng", _OWED, (Contact(1, "An", False),))
_OVERDUE = Overdue(
    (
        OverdueTask(
            "185-KH/ĐUK",
            "II.2.a",
            "Bài viết",
            11,
            (
                LatePeriods(fold_periods(["2024-01"]), 10),
                LatePeriods(fold_periods(["2024-02"]), 11),
            ),
            None,
            68,
        ),
        OverdueTask("185-KH/ĐUK", "II.8", "Gửi bài", 1, (), date(2024, 3, 31), 8),
    ),
    (_LATE_UNIT, OverdueUnit(2, "Chi bộ Báo", _OWED[1:], ())),
    2,
)
_PLAN = {"id": 1, "number": "185-KH/ĐUK", "title": "Kế hoạch", "revision": 2, "status": "draft"}
SAMPLES: dict[str, object] = {
    "after": datetime(2024, 4, 20, 0, 0, tzinfo=ZoneInfo("UTC")),  # 7:00 in Hà Nội
    "invites": [{"code": "abc", "role": "Bí thư", "unit_name": "CB"}],
    "ln": _LINE,
    "lines": [_LINE],
    "sent_lines": [_LINE],
    "more_sent": 1,
    "plan": _PLAN,
    "p": "2024-04",
    "plans": [_PLAN],
    "counts": {1: 3},
    "summary": {"units": 4, "deadlines": 8, "messages": 4},
    "s": "late",
    "changes": [{"kind": "moved", "ref": "II.6", "title": "Báo cáo", "old": "a", "new": "b"}],
    "entries": [{"line": _LINE, "secretaries": [{"name": "An", "reachable": False}]}],
    "minimum": 1,
    "maximum": 10,
    "count": 2,
    "files": 1,
    "max_files": 5,
    "max_length": 500,
    "position": 1,
    "unit_left": 2,
    "total_left": 3,
    "length": 600,
    "limit": 500,
    "at": datetime(2024, 4, 20, 1, 5, tzinfo=ZoneInfo("UTC")),
    "version": 2,
    "over": 1,
    "late": True,
    "past": False,
    "rows": [
        {"label": "Số lượng", "value": "12"},
        {"label": "Số nội dung", "value": "3", "outside": True, "low": 1, "high": 2, "what": "x"},
    ],
    "low": 1,
    "high": 2,
    "amount": 3,
    "example": 12,
    "shown": 5,
    "broadcast": {"created_at": datetime(2024, 4, 20, 1, 5, tzinfo=ZoneInfo("UTC"))},
    "deliveries": [{"status": "unreachable", "member_name": "Cường", "unit_name": "CB"}],
    "overviews": [(_PLAN, [])],
    "people": 3,
    "today": date(2024, 4, 20),
    "missed": (date(2024, 4, 12), date(2024, 4, 15), date(2024, 4, 17)),
    "statuses": [],
    "grouped": {"done": [], "in_progress": [], "pending": [], "late": []},
    "earlier": [{"period": "2024-01", "units": 11}, {"period": "2024-02", "units": 9}],
    "behind": [{"unit_name": "Chi bộ Văn phòng", "periods": ["2024-01", "2024-02"]}],
    "states": ["done", "in_progress", "pending", "late"],
    "task": {"ref": "II.6", "title": "Báo cáo"},
    "more": 0,
    "overdue": _OVERDUE,
    "owed": _OWED,
    "unreached": [_LATE_UNIT],
    "already": 2,
    "runs": fold_periods(["2023-12", "2024-01", "2024-02", "2024-03", "2024-05"]),
    "units": 3,
    "messages": 2,
    "total": 7,
    "items": [
        {
            "version": 1,
            "action": "return",
            "by": "An",
            "at": datetime(2024, 4, 20, 1, 5, tzinfo=ZoneInfo("UTC")),
            "note": "Thiếu",
            "late": False,
            "summary": "",
        }
    ],
    "groups": [
        [
            {"label": "Đề nghị cho ai?", "key": "ask_kind", "value": "Cá nhân", "lead": True},
            {"label": "Họ và tên", "key": "ask_name", "value": "An", "lead": False},
            {"label": "Chức vụ", "key": "ask_position", "value": "Bí thư", "lead": False},
            {"label": "Câu riêng", "key": "", "value": "x", "lead": False},
        ]
    ],
    "size": 204800,
    "detail": {"plan": 1, "units": 4, "deadlines": 8},
    "numbers": {1: "185-KH/ĐUK"},
    "commands": [("help", "Hướng dẫn sử dụng")],
}


@pytest.mark.parametrize("group", sorted(p.stem for p in (ROOT / "messages" / "vi").glob("*.j2")))
def test_every_message_of_a_group_renders(group: str) -> None:
    texts = Texts("vi")
    import inspect

    for name in texts.names(group):
        module = texts._env.get_template(f"{group}.j2").module
        macro = getattr(module, name)
        args = {a: SAMPLES.get(a, "X") for a in getattr(macro, "arguments", ())}
        assert texts(f"{group}.{name}", **args), f"{group}.{name} is empty"
        assert inspect.isclass(type(macro))


def test_an_unknown_message_key_fails_loudly() -> None:
    with pytest.raises(KeyError):
        Texts("vi")("registration.no_such_message")


# Files whose Vietnamese strings are data, not sentences: sample names, and the vocabularies
# the parsers of Vietnamese input must know.
DATA_NOT_SENTENCES = {
    "seed.py",
    "timeexpr.py",
    "telegram_emulator.py",  # the sandbox bot's display name
    "vntext.py",  # the letter đ, folded for typed answers
    "lexicon.py",  # bot/extract: the words a reader of plans must know (headings, units, quotas)
}

# Files checked like any other except the values of these module-level names: the Vietnamese
# words their parsers match input against. A sentence anywhere else in the file still fails.
DATA_NAMES_IN = {
    "units_import.py": {"_KIND_WORDS", "_COLUMN_WORDS"},  # unit kinds, column headers
}


def _sentences_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    data_names = DATA_NAMES_IN.get(path.name, set())
    data = {
        id(inner)
        for statement in tree.body
        if isinstance(statement, ast.Assign | ast.AnnAssign)
        and statement.value is not None
        and any(
            isinstance(target, ast.Name) and target.id in data_names
            for target in (
                statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            )
        )
        for inner in ast.walk(statement.value)
    }
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and id(node) not in data
        and VIETNAMESE.search(node.value)
    ]


def test_the_data_words_of_a_file_do_not_excuse_a_sentence_beside_them(tmp_path: Path) -> None:
    sample = tmp_path / "units_import.py"
    sample.write_text(
        '_KIND_WORDS = {"cell": ("Chi bộ", "Chi bộ cơ sở")}\n'
        '_COLUMN_WORDS: dict[str, tuple[str, ...]] = {"name": ("tên", "tên đơn vị")}\n'
        'OTHER = ("Chi bộ",)\n'
        "def fail(code):\n"
        '    raise ValueError(f"không có đơn vị mã {code}")\n',
        encoding="utf-8",
    )
    assert [line.split(": ", 1)[1] for line in _sentences_in(sample)] == [
        "'Chi bộ'",
        "'không có đơn vị mã '",
    ]


@pytest.mark.parametrize("package", ["handlers", "bot", "storage"])
def test_no_vietnamese_sentence_is_written_in_python(package: str) -> None:
    """Vietnamese lives in messages/ templates; Python code only names them."""
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if path.name not in DATA_NOT_SENTENCES:
            offenders.extend(_sentences_in(path))
    assert offenders == []


# What the command line prints or raises to a person: the text of these calls, and every help=.
_SHOWN_BY = {"echo", "secho", "print", "fail", "BadParameter", "confirm", "prompt", "Exit", "Check"}
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}[,;:]? [A-Za-z]{2,}")  # two words in a row


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _english_shown_in(path: Path) -> list[str]:
    """String pieces with three English words in a row that a command prints, raises or shows
    as help; f-strings count by their literal parts."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    shown: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if _called(node) in _SHOWN_BY:
                shown += [*node.args, *(k.value for k in node.keywords)]
            shown += [k.value for k in node.keywords if k.arg == "help"]
    return [
        f"{path.name}:{piece.lineno}: {piece.value!r}"
        for expr in shown
        for piece in ast.walk(expr)
        if isinstance(piece, ast.Constant)
        and isinstance(piece.value, str)
        and ENGLISH_SENTENCE.search(piece.value)
    ]


def test_the_command_line_prints_no_english_sentence() -> None:
    """`dondoc` speaks to office staff: what it prints, the errors it raises and the help of
    its commands and options come from messages/vi/cli*.j2, never from an English string."""
    offenders = []
    for path in sorted((ROOT / "bot").glob("cli*.py")):
        offenders.extend(_english_shown_in(path))
    assert offenders == []


def test_the_english_check_sees_a_sentence_in_an_echo_or_a_help(tmp_path: Path) -> None:
    sample = tmp_path / "cli_sample.py"
    sample.write_text(
        "import typer\n"
        "typer.echo(f'Revoked invite {code}.')\n"
        "typer.Option('--json', help='Print JSON on stdout for scripts.')\n"
        "typer.echo(f'{when}  {who:<24}')\n"
        "raise typer.BadParameter(text('cli.bad_moment', text=word))\n",
        encoding="utf-8",
    )
    assert [line.split(": ", 1)[1] for line in _english_shown_in(sample)] == [
        "'Revoked invite '",
        "'Print JSON on stdout for scripts.'",
    ]


def test_a_label_renders_as_written_and_a_message_stays_escaped() -> None:
    texts = Texts("vi")
    title = 'Hội thi "Tìm hiểu" & giao lưu'
    assert texts.label("report.button_task", ref="II.7", title=title) == f"II.7: {title}"
    assert texts.label("forms.button_keep", value="<b>") == "Giữ như cũ: <b>"
    receipt = texts(
        "report.receipt",
        ref="II.7",
        task=title,
        at=SAMPLES["at"],
        late=False,
        version=1,
        editable=True,
    )
    assert "Hội thi &#34;Tìm hiểu&#34; &amp; giao lưu" in receipt


def _escaping_render(node: ast.expr) -> bool:
    """`ctx.t(...)`, `texts(...)`, `self.services.texts(...)`: a message's HTML, not a label."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr in ("t", "texts")) or (
        isinstance(func, ast.Name) and func.id == "texts"
    )


@pytest.mark.parametrize("package", ["handlers", "bot"])
def test_every_button_label_is_rendered_without_escaping(package: str) -> None:
    """A button shows its label as it is (no HTML): labels come from `texts.label`,
    `ctx.label` or `ctx.button`, never from the escaping `texts(...)` / `ctx.t(...)`."""
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Choice"):
                continue
            given = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "label")]
            if any(_escaping_render(arg) for arg in given):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
