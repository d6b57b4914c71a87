"""Make the Word templates of the exports (messages/vi/docx/*.docx) with python-docx.

The templates are docxtpl documents: ordinary Word files with {{ value }} and {% ... %} tags
that the office may open in Word and edit (wording, recipients, the signer); `dondoc export
--template` writes one out, and a copy put in DATA_DIR/templates/ takes precedence over these.
This script is how the shipped ones are made; run it again after changing it:

    .venv/bin/python tools/make_docx_templates.py

Layout after Hướng dẫn 36-HD/VPTW on Party documents: A4, margins top 2 cm, bottom 2 cm,
left 3 cm, right 1.5 cm; Times New Roman; the issuer block on the left (the committee above in
capitals, the issuer in bold capitals, a star, the number), "ĐẢNG CỘNG SẢN VIỆT NAM" bold and
underlined on the right with the place and date in italics below; the kind of document in bold
capitals and its summary in bold below it; "Nơi nhận:" and the signature block at the end."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

OUT = Path(__file__).resolve().parent.parent / "messages" / "vi" / "docx"
FONT = "Times New Roman"


def new_document(*, landscape: bool = False) -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21)
    else:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = Cm(2)
    section.bottom_margin = Cm(2)
    section.left_margin = Cm(3)
    section.right_margin = Cm(1.5)
    section.header_distance = Cm(1)
    section.footer_distance = Cm(1)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    _page_number(section)
    return doc


def _page_number(section: Section) -> None:
    """The page number centred at the top, from the second page (as Party documents do)."""
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    run.font.size = Pt(14)


def para(
    container: DocxDocument | _Cell,
    *runs: tuple[str, str] | str,
    align: str = "justify",
    size: float = 14,
    indent: float | None = None,
    before: float = 0,
    after: float = 0,
    line: float = 1.0,
    keep: bool = False,
) -> Paragraph:
    """A paragraph of runs; a run is its text, or (text, flags) with flags among b i u."""
    p = container.add_paragraph()
    p.alignment = {
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), line
    if indent is not None:
        fmt.first_line_indent = Cm(indent)
    if keep:
        fmt.keep_with_next = True
    for item in runs:
        text, flags = (item, "") if isinstance(item, str) else item
        run = p.add_run(text)
        run.font.size = Pt(size)
        run.bold = "b" in flags or None
        run.italic = "i" in flags or None
        run.underline = "u" in flags or None
    return p


def body(
    doc: DocxDocument,
    *runs: tuple[str, str] | str,
    align: str = "justify",
    keep: bool = False,
    indent: float = 1.27,
    after: float = 6,
) -> Paragraph:
    """A paragraph of the body: justified, first line indented, 6 pt between paragraphs."""
    return para(doc, *runs, align=align, keep=keep, indent=indent, after=after, line=1.1)


def tag(container: DocxDocument | _Cell, text: str) -> Paragraph:
    """A paragraph holding only a {%p ... %} tag: docxtpl removes it when rendering."""
    return para(container, text, align="left")


def _no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    table._tbl.tblPr.append(borders)


def _widths(table: Table, widths: list[float]) -> None:
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = Cm(width)


def _add_row(table: Table) -> _Row:
    row: _Row = table.add_row()  # type: ignore[no-untyped-call]  # python-docx leaves it untyped
    return row


def _fresh(cell: _Cell) -> _Cell:
    """A cell with its first (empty) paragraph removed, so `para` writes from the top."""
    for p in list(cell.paragraphs):
        p._p.getparent().remove(p._p)
    return cell


def issuer_block(doc: DocxDocument, widths: tuple[float, float], number: bool) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _widths(table, list(widths))
    left, right = (_fresh(c) for c in table.rows[0].cells)
    tag(left, "{%p if org.parent %}")
    para(left, "{{ org.parent }}", align="center")
    tag(left, "{%p endif %}")
    para(left, ("{{ org.issuer }}", "b"), align="center")
    para(left, "*", align="center")
    if number:
        para(left, "Số       -{{ doc.symbol }}", align="center")
    para(right, ("ĐẢNG CỘNG SẢN VIỆT NAM", "bu"), align="center", size=15)
    para(right, "", align="center", size=8)
    para(
        right,
        ("{% if org.place %}{{ org.place }}, ngày{% else %}Ngày{% endif %}", "i"),
        (" {{ date.day }} tháng {{ date.month }} năm {{ date.year }}", "i"),
        align="center",
    )


def signature_block(doc: DocxDocument, widths: tuple[float, float], recipients: list[str]) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, list(widths))
    left, right = (_fresh(c) for c in table.rows[0].cells)
    para(left, ("Nơi nhận", "u"), ":", align="left", size=14)
    for line in recipients:
        para(left, line, align="left", size=12)
    para(right, ("T/M BAN THƯỜNG VỤ", "b"), align="center")
    para(right, ("BÍ THƯ", "b"), align="center")
    for _ in range(4):
        para(right, "", align="center")
    para(right, ("{{ signer }}", "b"), align="center")


def grid_table(
    doc: DocxDocument, headers: list[str], widths: list[float], size: float = 12
) -> Table:
    table: Table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, widths)
    head = table.rows[0]
    header_flag = OxmlElement("w:tblHeader")  # repeated at the top of every page
    head._tr.get_or_add_trPr().append(header_flag)
    for cell, text in zip(head.cells, headers, strict=True):
        para(_fresh(cell), (text, "b"), align="center", size=size)
    return table


def row(table: Table, cells: list[str], *, size: float = 12, centre: tuple[int, ...] = ()) -> None:
    r = _add_row(table)
    for i, (cell, text) in enumerate(zip(r.cells, cells, strict=True)):
        para(_fresh(cell), text, align="center" if i in centre else "left", size=size)


def tag_row(table: Table, text: str) -> None:
    """A row holding only a {%tr ... %} tag: docxtpl replaces the whole row with it."""
    r = _add_row(table)
    para(_fresh(r.cells[0]), text, align="left", size=8)
    for cell in r.cells[1:]:
        para(_fresh(cell), "", size=8)


PLAN_REF = (
    "Kế hoạch số {{ plan.number }}{% if plan.issued %}, ngày {{ plan.issued }}{% endif %}"
    " của {{ plan.issuer }}"
)
DOTS = "…" * 32  # a line for the office to write on (14 pt: 32 fit in 16.5 cm)
RECIPIENTS = [
    "- Ban Thường vụ Tỉnh ủy (b/c),",
    "- Thường trực Đảng ủy Khối,",
    "- Các chi, đảng bộ cơ sở,",
    "- Lưu Văn phòng.",
]


def report() -> None:
    doc = new_document()
    issuer_block(doc, (6.8, 9.7), number=True)
    para(doc, ("BÁO CÁO", "b"), align="center", size=15, before=18)
    para(
        doc,
        ("kết quả thực hiện " + PLAN_REF, "b"),
        ("{% if plan.about %} về {{ plan.about }}{% endif %}", "b"),
        align="center",
    )
    para(doc, "-----", align="center", after=12)
    body(
        doc,
        "Thực hiện " + PLAN_REF + "{% if plan.about %} về {{ plan.about }}{% endif %};"
        " trên cơ sở báo cáo của các chi, đảng bộ cơ sở, {{ plan.issuer }} báo cáo kết quả"
        " thực hiện, tính đến ngày {{ today }}, như sau:",
    )
    body(doc, ("I. KẾT QUẢ THỰC HIỆN", "b"), keep=True)
    body(doc, ("1. Tình hình chung", "b"), keep=True)
    body(
        doc,
        "Kế hoạch có {{ totals.tasks }} nội dung giao các chi, đảng bộ cơ sở thực hiện và báo"
        " cáo, với {{ totals.units }} đơn vị tham gia. Tính đến ngày {{ today }}, các đơn vị đã"
        " hoàn thành {{ totals.done }}/{{ totals.deadlines }} lượt nội dung ({{ totals.rate }});"
        " {{ totals.in_progress }} lượt đang thực hiện; {{ totals.pending }} lượt chưa báo cáo;"
        " {{ totals.late }} lượt quá hạn chưa hoàn thành{% if totals.earlier %}; ngoài ra còn"
        " {{ totals.earlier }} lượt quá hạn các kỳ trước của các việc định kỳ{% endif %}."
        " Đã nhận {{ totals.answers }} báo cáo"
        " của các đơn vị, trong đó {{ totals.late_answers }} báo cáo gửi muộn.",
    )
    body(doc, ("2. Kết quả thực hiện từng nội dung", "b"), keep=True)
    tag(doc, "{%p for t in tasks %}")
    body(doc, ("2.{{ t.n }}. {{ t.title }}", "bi"), " ({{ t.ref }}; {{ t.when }})", keep=True)
    body(
        doc,
        "Hoàn thành: {{ t.done }}/{{ t.total }} đơn vị ({{ t.rate }}); đang thực hiện:"
        " {{ t.in_progress }}; chưa báo cáo: {{ t.pending }}; quá hạn: {{ t.late }}"
        "{% if t.earlier %}; quá hạn các kỳ trước: {{ t.earlier }} lượt{% endif %}."
        "{% if t.figures %} {{ t.figures }}.{% endif %}",
    )
    tag(doc, "{%p if t.late_text %}")
    body(doc, ("{{ t.late_text }}", "i"))
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    body(doc, ("3. Tổng hợp kết quả theo nội dung", "b"), keep=True)
    headers = [
        "STT",
        "Nội dung",
        "Thời hạn",
        "Hoàn thành",
        "Đang thực hiện",
        "Chưa báo cáo",
        "Quá hạn",
        "Số đơn vị",
    ]
    table = grid_table(doc, headers, [1.2, 5.0, 2.6, 1.6, 1.7, 1.6, 1.4, 1.4], size=11)
    tag_row(table, "{%tr for t in tasks %}")
    row(
        table,
        [
            "{{ t.n }}",
            "{{ t.title }} ({{ t.ref }})",
            "{{ t.when }}",
            "{{ t.done }}",
            "{{ t.in_progress }}",
            "{{ t.pending }}",
            "{{ t.late }}{% if t.earlier %} (+{{ t.earlier }} kỳ trước){% endif %}",
            "{{ t.total }}",
        ],
        centre=(0, 3, 4, 5, 6, 7),
    )
    tag_row(table, "{%tr endfor %}")
    r = _add_row(table)
    totals = [
        "",
        "Tổng số lượt",
        "",
        "{{ totals.done }}",
        "{{ totals.in_progress }}",
        "{{ totals.pending }}",
        "{{ totals.late }}{% if totals.earlier %} (+{{ totals.earlier }} kỳ trước){% endif %}",
        "{{ totals.deadlines }}",
    ]
    for i, (cell, text) in enumerate(zip(r.cells, totals, strict=True)):
        para(_fresh(cell), (text, "b"), align="left" if i == 1 else "center", size=12)
    body(doc, "", after=0)
    body(doc, ("II. ĐÁNH GIÁ CHUNG", "b"), keep=True)
    body(doc, ("1. Ưu điểm", "b"), keep=True)
    body(doc, DOTS, indent=0)
    body(doc, DOTS, indent=0)
    body(doc, ("2. Hạn chế, nguyên nhân", "b"), keep=True)
    body(doc, DOTS, indent=0)
    body(doc, DOTS, indent=0)
    body(doc, ("III. NHIỆM VỤ TRONG THỜI GIAN TỚI, ĐỀ XUẤT, KIẾN NGHỊ", "b"), keep=True)
    body(doc, DOTS, indent=0)
    body(doc, DOTS, indent=0)
    body(
        doc,
        "Trên đây là báo cáo kết quả thực hiện Kế hoạch số {{ plan.number }} của"
        " {{ plan.issuer }}./.",
        after=12,
    )
    signature_block(doc, (8.5, 8.0), RECIPIENTS)
    doc.save(str(OUT / "bao_cao.docx"))


def nominations() -> None:
    doc = new_document(landscape=True)
    issuer_block(doc, (9.0, 16.2), number=False)
    para(doc, ("DANH SÁCH", "b"), align="center", size=15, before=18)
    para(doc, ("đề nghị khen thưởng trong thực hiện " + PLAN_REF, "b"), align="center")
    para(
        doc,
        (
            "(Kèm theo Tờ trình số       -TTr/{{ doc.org }}, ngày      tháng      năm"
            " {{ date.year }} của {{ plan.issuer }})",
            "i",
        ),
        align="center",
    )
    para(doc, "-----", align="center", after=12)
    headers = [
        "STT",
        "Họ và tên / Tên tập thể",
        "Chức vụ",
        "Đơn vị",
        "Tóm tắt thành tích",
        "Hình thức đề nghị",
    ]
    widths = [1.2, 5.0, 3.6, 4.4, 7.4, 3.6]
    table = grid_table(doc, headers, widths, size=12)
    tag_row(table, "{%tr for g in groups %}")
    r = _add_row(table)
    merged = r.cells[0].merge(r.cells[-1])
    para(_fresh(merged), ("{{ g.title }}", "b"), align="left", size=12)
    tag_row(table, "{%tr for e in g.entries %}")
    row(
        table,
        [
            "{{ e.n }}",
            "{{ e.name }}",
            "{{ e.position }}",
            "{{ e.unit }}",
            "{{ e.achievements }}",
            "{{ e.award }}",
        ],
        centre=(0,),
    )
    tag_row(table, "{%tr endfor %}")
    tag_row(table, "{%tr endfor %}")
    para(doc, "", after=6)
    body(doc, ("{{ totals_text }}/.", "i"), after=12)
    signature_block(doc, (12.0, 13.2), RECIPIENTS)
    doc.save(str(OUT / "danh_sach_khen_thuong.docx"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    report()
    nominations()
    print(f"wrote {OUT / 'bao_cao.docx'} and {OUT / 'danh_sach_khen_thuong.docx'}")


if __name__ == "__main__":
    main()
