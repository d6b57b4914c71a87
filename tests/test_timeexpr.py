"""Time windows, read from the sentences real plans write (quoted from /work/shared/plans)."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.timeexpr import (
    KINDS,
    Found,
    WhenError,
    Window,
    find_citations,
    find_header_date,
    find_plan_number,
    find_recurrence,
    find_windows,
    is_inverted,
    parse_when,
)
from messages import Texts, vn_date

D = date
LAOCAI = D(2024, 1, 2)  # the Lào Cai plan carries no header date; its year is 2024
THAIBINH = D(2019, 6, 10)  # "Thái Bình, ngày 10 tháng 6 năm 2019"
LANGSON = D(2024, 3, 6)  # "Lạng Sơn, ngày 06 tháng 3 năm 2024"
HAIDUONG = D(2021, 9, 20)  # "Hải Dương, ngày 20 tháng 9 năm 2021"

# (sentence, ref, [(words, start, end, kind, tentative), ...])
Expected = tuple[str, date | None, date | None, str, bool]
Row = tuple[str, date | None, list[Expected]]

REAL_SENTENCES: list[Row] = [
    (
        "- **Thời gian thi đua:** Thực hiện từ tháng 12/2023 đến 30/4/2024.",
        LAOCAI,
        [("từ tháng 12/2023 đến 30/4/2024", D(2023, 12, 1), D(2024, 4, 30), "range", False)],
    ),
    (
        "Các chi, đảng bộ cơ sở tổ chức tổng kết, đánh giá, báo cáo kết quả thực hiện đợt thi "
        "đua và danh sách tập thể, cá nhân đề nghị khen thưởng về Đảng ủy Khối trước ngày "
        "20/4/2024.",
        LAOCAI,
        [("trước ngày 20/4/2024", None, D(2024, 4, 20), "before", False)],
    ),
    (
        "* **Thời gian:** 1/2 ngày, dự kiến trong tháng 4/ 2024.",
        LAOCAI,
        [("dự kiến trong tháng 4/ 2024", D(2024, 4, 1), D(2024, 4, 30), "month", True)],
    ),
    (
        "- **Thời gian hoàn thành:** trong tháng 4 năm 2024",
        LAOCAI,
        [("trong tháng 4 năm 2024", D(2024, 4, 1), D(2024, 4, 30), "month", False)],
    ),
    (
        "- **Thời gian: Thi đấu chung kết** 02 ngày, dự kiến ngày 04-05/5/2024 "
        "(thứ bảy và chủ nhật)",
        LAOCAI,
        [("dự kiến ngày 04-05/5/2024", D(2024, 5, 4), D(2024, 5, 5), "days", True)],
    ),
    (
        "* **Thời gian:** 1/2 ngày, dự kiến ngày **10/5/2024 (thứ Sáu)**",
        LAOCAI,
        [("dự kiến ngày 10/5/2024", D(2024, 5, 10), D(2024, 5, 10), "day", True)],
    ),
    (
        "- Lập chuyên trang tuyên truyền kỷ niệm 65 năm ngày thành lập Đảng bộ trên Website "
        "của Đảng bộ Khối (kể từ ngày 01 tháng 01 năm 2024).",
        LAOCAI,
        [("kể từ ngày 01 tháng 01 năm 2024", D(2024, 1, 1), None, "range", False)],
    ),
    (
        "đảm bảo từ tháng 01 trở đi, mỗi tháng có ít nhất một bài viết (phóng sự, tin, bài...) "
        "phản ánh hoạt động của Đảng bộ.",
        LAOCAI,
        [
            ("từ tháng 01 trở đi", D(2024, 1, 1), None, "range", False),
            ("mỗi tháng", LAOCAI, None, "ongoing", False),
        ],
    ),
    (
        "- Thời gian các đơn vị tổ chức phát động từ 15/6/2019 đến hết 30/8/2019.",
        THAIBINH,
        [("từ 15/6/2019 đến hết 30/8/2019", D(2019, 6, 15), D(2019, 8, 30), "range", False)],
    ),
    (
        "phối hợp với Đoàn TNCS Hồ Chí Minh Thành phố và các đơn vị liên quan tổ chức giao lưu "
        "văn nghệ cấp khối dịp 19/8/2019.",
        THAIBINH,
        [("dịp 19/8/2019", D(2019, 8, 19), D(2019, 8, 19), "day", False)],
    ),
    (
        "- Hoạt động văn nghệ, thể thao tổ chức gắn với chào mừng kỷ niệm Cách mạng tháng Tám, "
        "Quốc khánh 2-9, hoàn thành trước ngày 20/8/2019.",
        THAIBINH,
        [("trước ngày 20/8/2019", None, D(2019, 8, 20), "before", False)],
    ),
    (
        "- Tổ chức Hội nghị tôn vinh, tuyên dương các tập thể, cá nhân, các sản phẩm tiêu biểu "
        "xuất sắc: Dự kiến ngày 04/9/2019.",
        THAIBINH,
        [("Dự kiến ngày 04/9/2019", D(2019, 9, 4), D(2019, 9, 4), "day", True)],
    ),
    (
        "1. Phát động phong trào thi đua lập thành tích chào mừng Kỷ niệm 10 năm Ngày thành lập "
        "Đảng bộ Khối. Thời gian thực hiện từ tháng 10/2016 đến hết tháng 3/2017.",
        None,
        [
            (
                "từ tháng 10/2016 đến hết tháng 3/2017",
                D(2016, 10, 1),
                D(2017, 3, 31),
                "range",
                False,
            )
        ],
    ),
    (
        "Tổ chức tuyên truyền về kết quả hoạt động 10 năm của Đảng bộ Khối các cơ quan Trung "
        "ương và truyền thống của Đảng bộ. Thời gian từ 10/2016 đến hết tháng 4/2017.",
        None,
        [("từ 10/2016 đến hết tháng 4/2017", D(2016, 10, 1), D(2017, 4, 30), "range", False)],
    ),
    (
        "Tuyên dương 500 chi bộ tiêu biểu trong Đảng bộ Khối (dự kiến phối hợp với các cơ quan "
        "liên quan để thực hiện nội dung này). Thời gian thực hiện trong Quý I/2017.",
        None,
        [("trong Quý I/2017", D(2017, 1, 1), D(2017, 3, 31), "quarter", False)],
    ),
    (
        "6. Tổ chức đoàn công tác của Đảng bộ Khối đi thăm và tặng quà chiến sĩ, nhân dân huyện "
        "đảo Trường Sa và Nhà giàn DK. Thực hiện Quý I/2017.",
        None,
        [("Quý I/2017", D(2017, 1, 1), D(2017, 3, 31), "quarter", False)],
    ),
    (
        "5. Tổ chức gặp mặt cán bộ lãnh đạo Đảng ủy Khối qua các thời kỳ. Thực hiện trong "
        "tháng 3/2017.",
        None,
        [("trong tháng 3/2017", D(2017, 3, 1), D(2017, 3, 31), "month", False)],
    ),
    (
        "Yêu cầu các ban, đơn vị Đảng ủy Khối hoàn thành kế hoạch chi tiết trước ngày 10/10/2016.",
        None,
        [("trước ngày 10/10/2016", None, D(2016, 10, 10), "before", False)],
    ),
    (
        "(1) Phát động đợt thi đua cao điểm hướng tới kỷ niệm 70 năm Ngày thành lập Đảng bộ Khối "
        "các cơ quan tỉnh Hải Dương (15/02/1952-15/02/2022) gắn với các hoạt động chào mừng kỷ "
        "niệm 92 năm ngày thành lập Đảng Cộng sản Việt Nam (03/02/1930 – 03/02/2022), mừng Xuân "
        "mới Nhâm Dần 2022 trong toàn Đảng bộ Khối bắt đầu từ tháng 9/2021 đến hết tháng 02/2022.",
        HAIDUONG,
        [
            (
                "bắt đầu từ tháng 9/2021 đến hết tháng 02/2022",
                D(2021, 9, 1),
                D(2022, 2, 28),
                "range",
                False,
            )
        ],
    ),
    (
        "tập trung xây dựng các tin, bài, phóng sự tuyên truyền trên các phương tiện thông tin "
        "đại chúng từ tháng 10/2021 đến tháng 2/2022.",
        HAIDUONG,
        [("từ tháng 10/2021 đến tháng 2/2022", D(2021, 10, 1), D(2022, 2, 28), "range", False)],
    ),
    (
        "(3) Phối hợp với Ban Tuyên giáo Tỉnh ủy biên soạn, bổ sung, tái bản cuốn sách “Lịch sử "
        "Đảng bộ Khối các cơ quan tỉnh Hải Dương giai đoạn 1952 - 2020”, hoàn thành trong tháng "
        "12/2021.",
        HAIDUONG,
        [("trong tháng 12/2021", D(2021, 12, 1), D(2021, 12, 31), "month", False)],
    ),
    (
        "(5) Tổ chức Lễ kỷ niệm 70 năm ngày thành lập Đảng bộ Khối các cơ quan tỉnh Hải Dương "
        "(15/02/1952-15/02/2022) và gặp mặt các thế hệ cán bộ, lãnh đạo của Đảng ủy Khối qua các "
        "thời kỳ dự kiến vào đầu tháng 02/2022 phù hợp với yêu cầu của công tác phòng, chống dịch "
        "bệnh Covid – 19.",
        HAIDUONG,
        [
            (
                "dự kiến vào đầu tháng 02/2022",
                D(2022, 2, 1),
                D(2022, 2, 10),
                "part_of_month",
                True,
            )
        ],
    ),
    (
        "tham gia thực hiện tốt các chương trình, mục tiêu phát triển kinh tế - xã hội năm 2024;",
        LANGSON,
        [("năm 2024", D(2024, 1, 1), D(2024, 12, 31), "year", False)],
    ),
]


@pytest.mark.parametrize(("sentence", "ref", "expected"), REAL_SENTENCES)
def test_windows_in_real_sentences(
    sentence: str, ref: date | None, expected: list[Expected]
) -> None:
    found = find_windows(sentence, ref=ref)
    got = [
        (f.window.words, f.window.start, f.window.end, f.window.kind, f.window.tentative)
        for f in found
    ]
    assert got == expected
    for f in found:  # the span points at the words (markdown asterisks aside)
        assert f.window.words.replace(" ", "") in sentence[slice(*f.span)].replace("*", "").replace(
            " ", ""
        )


# One expression each: (text, ref, start, end, kind, tentative)
EXPRESSIONS: list[tuple[str, date | None, date | None, date | None, str, bool]] = [
    # single days
    ("ngày 10/5/2024", None, D(2024, 5, 10), D(2024, 5, 10), "day", False),
    ("10/5/2024", None, D(2024, 5, 10), D(2024, 5, 10), "day", False),
    ("ngày 10 tháng 5 năm 2024", None, D(2024, 5, 10), D(2024, 5, 10), "day", False),
    ("10-5-2024", None, D(2024, 5, 10), D(2024, 5, 10), "day", False),
    ("30.11.2022", None, D(2022, 11, 30), D(2022, 11, 30), "day", False),
    ("25.3", LANGSON, D(2024, 3, 25), D(2024, 3, 25), "day", False),
    ("ngày 19/8", THAIBINH, D(2019, 8, 19), D(2019, 8, 19), "day", False),
    # whole months
    ("trong tháng 4/2024", None, D(2024, 4, 1), D(2024, 4, 30), "month", False),
    ("tháng 4 năm 2024", None, D(2024, 4, 1), D(2024, 4, 30), "month", False),
    ("tháng 12-2019", None, D(2019, 12, 1), D(2019, 12, 31), "month", False),
    ("tháng 01/2022", None, D(2022, 1, 1), D(2022, 1, 31), "month", False),
    ("hoàn thành trong 2/2021", None, D(2021, 2, 1), D(2021, 2, 28), "month", False),
    ("trong tháng 4 năm 2024", None, D(2024, 4, 1), D(2024, 4, 30), "month", False),
    ("dự kiến trong tháng 4/ 2024", None, D(2024, 4, 1), D(2024, 4, 30), "month", True),
    # quarters, halves, years
    ("Quý I/2017", None, D(2017, 1, 1), D(2017, 3, 31), "quarter", False),
    ("quý II năm 2020", None, D(2020, 4, 1), D(2020, 6, 30), "quarter", False),
    ("quý 4/2020", None, D(2020, 10, 1), D(2020, 12, 31), "quarter", False),
    ("6 tháng đầu năm 2024", None, D(2024, 1, 1), D(2024, 6, 30), "half", False),
    ("6 tháng cuối năm", LANGSON, D(2024, 7, 1), D(2024, 12, 31), "half", False),
    ("năm 2024", None, D(2024, 1, 1), D(2024, 12, 31), "year", False),
    ("trong năm 2024", None, D(2024, 1, 1), D(2024, 12, 31), "year", False),
    # parts of a month
    ("đầu tháng 02/2022", None, D(2022, 2, 1), D(2022, 2, 10), "part_of_month", False),
    ("giữa tháng 5/2024", None, D(2024, 5, 11), D(2024, 5, 20), "part_of_month", False),
    ("cuối tháng 2/2024", None, D(2024, 2, 21), D(2024, 2, 29), "part_of_month", False),
    ("cuối tháng 4/2024", None, D(2024, 4, 21), D(2024, 4, 30), "part_of_month", False),
    # deadlines: the end is the day written
    ("trước ngày 20/4/2024", None, None, D(2024, 4, 20), "before", False),
    ("chậm nhất ngày 20/4/2024", None, None, D(2024, 4, 20), "before", False),
    ("chậm nhất vào ngày 20/4/2024", None, None, D(2024, 4, 20), "before", False),
    ("hạn chót 20/4/2024", None, None, D(2024, 4, 20), "before", False),
    ("hạn chót: ngày 20/4/2024", None, None, D(2024, 4, 20), "before", False),
    ("trước 20/4/2024", None, None, D(2024, 4, 20), "before", False),
    ("đến hết ngày 30/4/2024", None, None, D(2024, 4, 30), "before", False),
    ("trước tháng 5/2024", None, None, D(2024, 4, 30), "before", False),
    ("chậm nhất trong tháng 5/2024", None, None, D(2024, 5, 31), "before", False),
    # ranges
    ("từ tháng 12/2023 đến 30/4/2024", None, D(2023, 12, 1), D(2024, 4, 30), "range", False),
    ("từ 15/6/2019 đến hết 30/8/2019", None, D(2019, 6, 15), D(2019, 8, 30), "range", False),
    ("Từ tháng 8/2022 - 5/2023", None, D(2022, 8, 1), D(2023, 5, 31), "range", False),
    ("từ tháng 1-12/2023", None, D(2023, 1, 1), D(2023, 12, 31), "months", False),
    ("từ 10/2016 đến hết tháng 4/2017", None, D(2016, 10, 1), D(2017, 4, 30), "range", False),
    (
        "từ tháng 10/2016 đến hết tháng 3/2017",
        None,
        D(2016, 10, 1),
        D(2017, 3, 31),
        "range",
        False,
    ),
    ("dự kiến ngày 04-05/5/2024", None, D(2024, 5, 4), D(2024, 5, 5), "days", True),
    ("từ 19 - 21/3", LANGSON, D(2024, 3, 19), D(2024, 3, 21), "days", False),
    ("từ ngày 15 đến ngày 20/6/2019", None, D(2019, 6, 15), D(2019, 6, 20), "days", False),
    ("ngày 4, 5 và 6/5/2024", None, D(2024, 5, 4), D(2024, 5, 6), "days", False),
    ("vào tháng 9, 10 năm 2018", None, D(2018, 9, 1), D(2018, 10, 31), "months", False),
    ("từ tháng 8 đến tháng 10/2022", None, D(2022, 8, 1), D(2022, 10, 31), "months", False),
    ("kể từ ngày 01 tháng 01 năm 2024", None, D(2024, 1, 1), None, "range", False),
    # ongoing
    ("thường xuyên", None, None, None, "ongoing", False),
    ("thường xuyên", LANGSON, LANGSON, None, "ongoing", False),
    ("hằng tháng", None, None, None, "ongoing", False),
    ("hàng tháng", LAOCAI, LAOCAI, None, "ongoing", False),
    # tentative written after, or a few words before
    ("ngày 10/5/2024 (dự kiến)", None, D(2024, 5, 10), D(2024, 5, 10), "day", True),
    ("dự kiến tổ chức vào ngày 10/5/2024", None, D(2024, 5, 10), D(2024, 5, 10), "day", True),
    # any case, no diacritics
    ("TRƯỚC NGÀY 20/4/2024", None, None, D(2024, 4, 20), "before", False),
    ("truoc ngay 20/4/2024", None, None, D(2024, 4, 20), "before", False),
    ("trong thang 4/2024", None, D(2024, 4, 1), D(2024, 4, 30), "month", False),
    ("quy III/2020", None, D(2020, 7, 1), D(2020, 9, 30), "quarter", False),
]


@pytest.mark.parametrize(("text", "ref", "start", "end", "kind", "tentative"), EXPRESSIONS)
def test_parse_when(
    text: str, ref: date | None, start: date | None, end: date | None, kind: str, tentative: bool
) -> None:
    w = parse_when(text, ref=ref)
    assert (w.start, w.end, w.kind, w.tentative) == (start, end, kind, tentative)
    assert w.show() == w.words
    assert w.words in " ".join(text.split())


def test_words_are_kept_as_written() -> None:
    assert parse_when("  hoàn thành trong 2/2021 ").words == "trong 2/2021"
    assert parse_when("trong   tháng 4/ 2024").show() == "trong tháng 4/ 2024"


def test_decomposed_diacritics_and_spans() -> None:
    text = unicodedata.normalize("NFD", "Hoàn thành trước ngày 20/4/2024.")
    (found,) = find_windows(text)
    assert found.window.end == D(2024, 4, 20)
    assert unicodedata.normalize("NFC", text[slice(*found.span)]) == "trước ngày 20/4/2024"


# ---- the year of a date written without one


def test_a_missing_year_is_ref_year_even_long_before_ref() -> None:
    assert parse_when("25.3", ref=D(2024, 11, 1)).start == D(2024, 3, 25)
    assert parse_when("ngày 19/8", ref=D(2019, 12, 30)).start == D(2019, 8, 19)


def test_a_range_rolls_over_only_inside_itself() -> None:
    w = parse_when("từ 25/12 đến 5/1", ref=D(2023, 12, 1))
    assert (w.start, w.end) == (D(2023, 12, 25), D(2024, 1, 5))
    w = parse_when("từ 15/12 đến 15/1/2020")
    assert (w.start, w.end) == (D(2019, 12, 15), D(2020, 1, 15))
    w = parse_when("từ tháng 11-2/2024")
    assert (w.start, w.end, w.kind) == (D(2023, 11, 1), D(2024, 2, 29), "range")


@pytest.mark.parametrize("text", ["25.3", "tháng 4", "từ 19 - 21/3", "6 tháng cuối năm"])
def test_no_year_and_no_ref(text: str) -> None:
    with pytest.raises(WhenError) as info:
        parse_when(text)
    assert info.value.reason == "no_year"
    assert "thiếu năm" in shown(info.value)
    assert find_windows(f"Hoàn thành trong {text}.") == []


# ---- errors


def shown(error: WhenError) -> str:
    """What a person reads for the error (a plan file's line shows it)."""
    return Texts("vi").label(f"plan_file.when_{error.reason}", **error.values)


@pytest.mark.parametrize("text", ["", "   ", "xyz", "sớm nhất có thể", "1/2 ngày", "02 ngày"])
def test_not_understood(text: str) -> None:
    with pytest.raises(WhenError) as info:
        parse_when(text, ref=LAOCAI)
    assert isinstance(info.value, ValueError)
    assert info.value.reason == ("empty" if not text.strip() else "not_understood")
    assert "hãy viết như" in shown(info.value)


def test_not_understood_message_quotes_the_words() -> None:
    with pytest.raises(WhenError) as info:
        parse_when("khi nào xong thì báo")
    assert shown(info.value) == (
        'Không hiểu thời hạn "khi nào xong thì báo": hãy viết như "trước ngày 20/4/2024" '
        'hoặc "trong tháng 4/2024".'
    )


def test_a_day_not_in_the_calendar() -> None:
    with pytest.raises(WhenError) as info:
        parse_when("trước ngày 31/2/2024")
    assert shown(info.value) == (
        'Không có ngày "31/2/2024" trong lịch: hãy kiểm tra lại ngày và tháng.'
    )


def test_a_cited_document_date_is_not_a_deadline() -> None:
    with pytest.raises(WhenError) as info:
        parse_when("Kế hoạch số 150-KH/TU, ngày 20/10/2022")
    assert (info.value.reason, info.value.values["document"]) == ("citation", "150-KH/TU")
    assert "150-KH/TU, không phải thời hạn" in shown(info.value)


def test_two_windows_are_not_one_expression() -> None:
    with pytest.raises(WhenError) as info:
        parse_when("ngày 10/5/2024 và ngày 11/5/2024")
    assert shown(info.value) == (
        '"ngày 10/5/2024 và ngày 11/5/2024" có nhiều thời hạn ("ngày 10/5/2024", "ngày 11/5/2024"):'
        " hãy viết một thời hạn thôi."
    )


def test_inverted_window() -> None:
    text = "Thực hiện từ 30/4/2024 đến 1/12/2023."
    with pytest.raises(WhenError) as info:
        parse_when(text)
    assert shown(info.value) == 'Thời hạn "từ 30/4/2024 đến 1/12/2023" kết thúc trước khi bắt đầu.'
    (found,) = find_windows(text)
    assert is_inverted(found.window)
    assert not is_inverted(parse_when("từ tháng 12/2023 đến 30/4/2024"))
    assert not is_inverted(parse_when("trước ngày 20/4/2024"))


# ---- what is not a window


NOT_WINDOWS: list[tuple[str, list[str]]] = [
    # anniversary spans in brackets
    (
        "tổ chức các hoạt động chào mừng kỷ niệm 65 năm Ngày thành lập Đảng bộ Khối Cơ quan - "
        "Doanh nghiệp tỉnh Lào Cai (10/5/1959-10/5/2024)",
        [],
    ),
    (
        "tiến tới kỷ niệm 70 năm Ngày truyền thống của Đảng bộ (07/11/1948-07/11/2018), được sự "
        "đồng ý của Thường trực Ban Bí thư Trung ương Đảng",
        [],
    ),
    (
        "- Nhiệt liệt chào mừng kỷ niệm 70 năm ngày thành lập Đảng bộ Khối các cơ quan tỉnh Hải "
        "Dương (15/02/1952 - 15/2/2022).",
        [],
    ),
    # dates of cited documents
    (
        "Căn cứ Kế hoạch số 150-KH/TU, ngày 20/10/2022 của Ban Thường vụ Tỉnh ủy về tổ chức các "
        "hoạt động kỷ niệm các ngày lễ lớn, các sự kiện quan trọng trong 3 năm 2023, 2024, 2025;",
        [],
    ),
    (
        "Thực hiện sự phân công của Thường trực Đảng ủy Khối theo thông báo số 162-TB/VPĐUK ngày "
        "15/8/2016, cụ thể:",
        [],
    ),
    (
        "Căn cứ Chỉ thị số 45-CT/TW, ngày 22/7/2010 của Bộ Chính trị; Nghị định số "
        "111/2018/NĐ-CP, ngày 31/8/2018 của Chính phủ quy định về ngày thành lập",
        [],
    ),
    (
        "- Triển khai sắp xếp tổ chức bộ máy Cơ quan Đảng ủy Khối theo Đề án 09-ĐA/TU, ngày "
        "28/12/2018 của Ban Thường vụ Tỉnh ủy.",
        [],
    ),
    (
        "Quyết định số 2153/QĐ-TTg ngày 11 tháng 11 năm 2016 của Thủ tướng Chính phủ",
        [],
    ),
    # ... but a deadline after a document number is a deadline
    (
        "Triển khai Kế hoạch số 150-KH/TU, hoàn thành trước ngày 20/4/2024.",
        ["trước ngày 20/4/2024"],
    ),
    # durations
    ("* **Thời gian:** 1/2 ngày, địa điểm: Hội trường lớn Trường Chính trị tỉnh.", []),
    ("- **Thời gian: Thi đấu chung kết** 02 ngày (thứ bảy và chủ nhật)", []),
    (
        "Chủ trì, phối hợp với Đảng ủy Đại Phát thanh - Truyền hình (Xây dựng phóng sự về hoạt "
        "động của Đảng ủy Khối, thời lượng 15-20 phút)",
        [],
    ),
    ("Hoàn thành trong 3 tháng; tổ chức 3 tháng 4 đợt tuyên truyền", []),
    # terms, periods, lists of years
    (
        "Thực hiện Chương trình công tác toàn khoá lần thứ XXIV, nhiệm kỳ 2020-2025 và Chương "
        "trình công tác năm 2024 của Ban Chấp hành Đảng bộ Khối",
        ["năm 2024"],
    ),
    (
        "hoàn thành thắng lợi nghị quyết đại hội đảng bộ các cấp nhiệm kỳ 2020 - 2025, xây dựng "
        "Đảng bộ Sở vững mạnh",
        [],
    ),
    ("cuốn sách “Lịch sử Đảng bộ Khối các cơ quan tỉnh Hải Dương giai đoạn 1952 - 2020”", []),
    ("các sự kiện quan trọng trong 3 năm 2023, 2024, 2025;", []),
    # names and holidays that look like dates
    (
        "chào mừng kỷ niệm Cách mạng tháng Tám, Quốc khánh 2-9; phần mềm tổng hợp báo cáo "
        "tháng, 6 tháng, 1 năm của BTV",
        [],
    ),
    ("Mừng Xuân mới Nhâm Dần 2022; Đảng Cộng sản Việt Nam 2024; đội hình nam, nữ phối hợp", []),
    (
        "2. Tổ chức công bố Quyết định của Ban Bí thư Trung ương Đảng về ngày truyền thống Đảng "
        "bộ Khối các cơ quan Trung ương 07/11/1948 và họp báo thông tin",
        [],
    ),
    (
        "mỗi cấp ủy đảng xác định từ 1 đến 2 nội dung trọng tâm nhất; Thành lập mới từ 02 tổ "
        "chức cơ sở đảng trở lên trực thuộc.",
        [],
    ),
    ("- **Thời gian:** Hoàn thành Tập san trước ngày diễn ra buổi gặp mặt kỷ niệm.", []),
    # the header date is the plan's own date, not a window
    ("Thái Bình, ngày 10 tháng 6 năm 2019\n\nKẾ HOẠCH", []),
]


@pytest.mark.parametrize(("sentence", "words"), NOT_WINDOWS)
def test_not_windows(sentence: str, words: list[str]) -> None:
    assert [f.window.words for f in find_windows(sentence, ref=LAOCAI)] == words


@pytest.mark.parametrize(
    "text",
    [
        "(10/5/1959-10/5/2024)",
        "nhiệm kỳ 2020-2025",
        "giai đoạn 2020 - 2025",
        "3 năm 2023, 2024, 2025",
        "thời lượng 15-20 phút",
        "cuối năm 2024",
    ],
)
def test_not_windows_as_one_expression(text: str) -> None:
    with pytest.raises(WhenError):
        parse_when(text, ref=LAOCAI)


# ---- citations, header, plan number, recurrence


def test_citations() -> None:
    text = (
        "Thực hiện Kế hoạch số 156-KH/ĐUK, ngày 28/12/2024 của Đảng ủy Khối CCQ tỉnh về tuyên "
        "truyền; theo Đề án số 09-ĐA/TU ngày 28/12/2018 và Nghị định số 111/2018/NĐ-CP, ngày "
        "31/8/2018; góp phần thực hiện Kế hoạch số 156-KH/ĐUK của Đảng ủy Khối."
    )
    got = find_citations(text)
    assert [(n, d) for n, d, _span in got] == [
        ("156-KH/ĐUK", D(2024, 12, 28)),
        ("09-ĐA/TU", D(2018, 12, 28)),
        ("111/2018/NĐ-CP", D(2018, 8, 31)),
    ]
    assert text[slice(*got[0][2])] == "156-KH/ĐUK, ngày 28/12/2024"
    # the later feature: a cited document dated after the plan itself (Lạng Sơn, 06/3/2024)
    assert got[0][1] > LANGSON


def test_header_date_and_plan_number() -> None:
    langson = "Số: 422-KH/ĐUS\n\nLạng Sơn, ngày 06 tháng 3 năm 2024\n\nKẾ HOẠCH\n"
    assert find_header_date(langson) == LANGSON
    assert find_plan_number(langson) == "422-KH/ĐUS"
    assert find_plan_number("ĐẢNG ỦY KHỐI\nSố 150-KH/ĐUK\n") == "150-KH/ĐUK"
    haiduong = (
        "*\n\nSố        -  KH/ ĐUK\n\tĐẢNG CỘNG SẢN VIỆT NAM\n\nHải Dương, ngày 20 tháng 9 năm 2021"
    )
    assert find_plan_number(haiduong) is None  # the number is left blank until signed
    assert find_header_date(haiduong) == HAIDUONG
    assert find_header_date("Lào Cai, ngày 10 tháng 6 năm 2019") == D(2019, 6, 10)
    assert find_header_date("Hà Nội, ngày    tháng 3 năm 2017") is None
    assert find_header_date("Căn cứ Kế hoạch số 150-KH/TU, ngày 20 tháng 10 năm 2022") is None
    assert find_plan_number("Căn cứ Kế hoạch số 150-KH/TU, ngày 20/10/2022") is None


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("mỗi tháng có ít nhất một bài viết", "monthly"),
        ("báo cáo hằng tháng", "monthly"),
        ("báo cáo hàng tháng", "monthly"),
        ("giao ban hằng tuần", "weekly"),
        ("mỗi tuần một tin", "weekly"),
        ("sơ kết hằng quý", "quarterly"),
        ("mỗi quý một lần", "quarterly"),
        ("tổng kết hằng năm", "yearly"),
        ("thường xuyên kiểm tra", None),
        ("Mỗi chi, đảng bộ cơ sở chọn cử 01 đội", None),
    ],
)
def test_find_recurrence(text: str, period: str | None) -> None:
    assert find_recurrence(text) == period


def test_dates_are_shown_without_zero_padding() -> None:
    assert vn_date(D(2024, 4, 20)) == "20/4/2024"
    assert vn_date(D(2022, 2, 1)) == "1/2/2022"


def test_types_are_frozen() -> None:
    w = Window(D(2024, 4, 1), D(2024, 4, 30), "trong tháng 4/2024", "month")
    with pytest.raises(AttributeError):
        w.words = "x"  # type: ignore[misc]
    assert Found(w, (0, 18)).window.show() == "trong tháng 4/2024"


# ---- properties

DATES = st.dates(min_value=D(1000, 1, 1), max_value=D(9999, 12, 31))


@given(DATES)
def test_any_written_day_is_that_day(d: date) -> None:
    w = parse_when(f"ngày {d.day}/{d.month}/{d.year}")
    assert (w.start, w.end, w.kind) == (d, d, "day")
    assert parse_when(f"trước ngày {vn_date(d)}").end == d


@given(DATES)
def test_any_written_month_covers_its_days(d: date) -> None:
    w = parse_when(f"trong tháng {d.month}/{d.year}")
    assert w.start is not None and w.end is not None
    assert w.start <= d <= w.end
    assert (w.start.day, w.start.month, w.end.month) == (1, d.month, d.month)


_WORDS = (
    "ngày tháng năm quý từ đến hết trước dự_kiến trong đầu cuối mỗi Nam số 150-KH/TU - / . , "
    "( ) : * I IV 6 12 2024 31 29 2 1/2 kể trở_đi chậm_nhất"
)
PIECES = st.sampled_from([*(w.replace("_", " ") for w in _WORDS.split(" ")), "\n"])


@given(st.lists(PIECES, max_size=12), st.sampled_from([None, LAOCAI]))
def test_any_text_gives_ordered_windows_or_a_when_error(parts: list[str], ref: date | None) -> None:
    text = " ".join(parts)
    end = 0
    for f in find_windows(text, ref=ref):
        assert end <= f.span[0] < f.span[1] <= len(text)
        assert f.window.kind in KINDS and f.window.words
        end = f.span[1]
    try:
        w = parse_when(text, ref=ref)
    except WhenError:
        return
    assert not is_inverted(w)
