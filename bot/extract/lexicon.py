"""The words a reader of Vietnamese plans must know: data, not sentences.

Every list is written as people write it (with diacritics) and compared folded (lower case, no
diacritics, see `bot.vntext.fold`), so "Đảng uỷ" and "Đảng ủy" are the same word. Nothing
here is shown to people; the sentences people read are in messages/vi/extract.j2.
"""

from __future__ import annotations

import unicodedata

from bot.vntext import fold

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def vnorm(text: str) -> str:
    """Lower case with every diacritic kept, the tone mark moved to the end of each word, so that
    "uỷ" and "ủy", "hoà" and "hòa" are one word while "giáo" and "giao" stay two."""
    words = []
    for word in text.lower().split():
        base: list[str] = []
        tones: list[str] = []
        for c in unicodedata.normalize("NFD", word):
            (tones if c in _TONES else base).append(c)
        words.append(unicodedata.normalize("NFC", "".join(base)) + "".join(sorted(tones)))
    return " ".join(words)


def bare_words(text: str) -> list[str]:
    """`vnorm`'s words without the punctuation around them: "Chủ trì," -> "chủ trì"."""
    out = []
    for word in text.split():
        word = word.strip("".join(c for c in word if unicodedata.category(c)[0] in "PS"))
        if word:
            out.append(vnorm(word))
    return out


def fold_chars(text: str) -> str:
    """`fold` one character for one character (offsets stay those of `text`, which must be
    composed, NFC): lower case, no diacritics, "đ" -> "d"."""
    out = []
    for c in text:
        base = unicodedata.normalize("NFD", c)[0].lower()
        out.append("d" if base == "đ" else base)
    return "".join(out)


def _folded(*words: str) -> tuple[str, ...]:
    return tuple(fold(w) for w in words)


def _exact(*words: str) -> tuple[str, ...]:
    return tuple(vnorm(w) for w in words)


# ---- the parts of a plan, by the words their headings start with

SECTION_PURPOSE = _folded("mục đích", "yêu cầu", "ý nghĩa")
SECTION_ORGANISATION = _folded("tổ chức thực hiện", "phân công", "trách nhiệm")
SECTION_TIMETABLE = _folded(
    "thời gian thực hiện",
    "thời gian tổ chức",
    "thời gian và tiến độ",
    "tiến độ thực hiện",
    "tiến độ",
    "lịch trình",
    "thời gian",
)
SECTION_FUNDS = _folded("kinh phí")
SECTION_SLOGANS = _folded("khẩu hiệu", "một số khẩu hiệu", "các khẩu hiệu")
END_OF_BODY = _folded("nơi nhận")
SIGNATURE = _folded("t/m", "tm/", "tm.", "thay mặt", "k/t", "kt.")
PLAN_WORD = fold("kế hoạch")
NATION_HEADER = _folded("đảng cộng sản việt nam", "cộng hòa xã hội chủ nghĩa việt nam")
ISSUER_HEADS = _folded("đảng ủy", "đảng bộ", "ban", "công đoàn", "đoàn", "hội", "chi bộ", "sở")
PREAMBLE_STARTS = _folded("căn cứ", "thực hiện", "để", "nhằm", "được", "theo", "triển khai")

# ---- sentences that close a plan rather than ask for something
CLOSING = _folded(
    "trên đây là kế hoạch",
    "nghiêm túc triển khai",
    "nghiêm túc thực hiện",
    "nếu có khó khăn",
    "vướng mắc",
)

# ---- labels of a bullet that describes its activity rather than adding one ("Thời gian: ...")
ATTRIBUTES = _folded(
    "thời gian",
    "địa điểm",
    "thành phần",
    "số lượng",
    "kinh phí",
    "quy mô",
    "hình thức",
    "nội dung",
    "đối tượng",
    "môn",
    "phương thức",
    "yêu cầu",
    "sản phẩm",
    "ghi chú",
    "lưu ý",
)

# ---- units: the first words of a unit's name, as a plan writes them capitalised
UNIT_HEADS = _exact(
    "ban",
    "văn phòng",
    "ủy ban",
    "công đoàn",
    "đoàn thanh niên",
    "đoàn tncs",
    "đoàn",
    "hội đồng",
    "hội",
    "chi bộ",
    "chi ủy",
    "đảng ủy",
    "đảng bộ",
    "báo",
    "đài",
    "sở",
    "trường",
    "cơ quan",
    "tỉnh ủy",
    "thành ủy",
    "huyện ủy",
    "ủy ban nhân dân",
    "trung tâm",
    "phòng",
    "tiểu ban",
    "thường trực",
    "ubnd",
    "ubkt",
    "btv",
    "bch",
    "mặt trận",
    "liên đoàn",
)
# capitalised words that start like a unit's name but are not one ("Hội nghị", "Ban hành")
NOT_UNITS = _exact(
    "hội nghị",
    "hội thảo",
    "hội diễn",
    "hội trường",
    "hội thi",
    "hội khỏe",
    "hội trại",
    "ban hành",
    "đoàn công tác",
    "đoàn đại biểu",
    "phòng truyền thống",
    "trường sa",
    "báo cáo",
    "đài tưởng niệm",
    "sở hữu",
    "cơ quan, đơn vị",
)
# the committee that issues the plan and its standing bodies: never a unit in charge
ISSUER_NAMES = _folded(
    "đảng ủy khối",
    "đảng bộ khối",
    "đảng ủy",
    "đảng bộ",
    "đảng ủy sở",
    "đảng bộ sở",
    "đảng ủy cơ sở",
    "ban thường vụ",
    "ban chấp hành",
    "thường trực",
    "btv",
    "bch",
)
ISSUER_PREFIXES = _folded(
    "ban thường vụ",
    "ban chấp hành",
    "thường trực đảng ủy",
    "thường trực",
    "btv",
    "bch",
    "đảng ủy khối",
    "đảng bộ khối",
    "đảng ủy sở",
    "đảng bộ sở",
)
# the units' own kind words: "Đảng ủy Đài ..." and "Đảng bộ Đài ..." name one unit
UNIT_KIND_WORDS = _folded("đảng ủy", "đảng bộ", "chi bộ", "chi ủy", "đảng ủy bộ phận")
# words that end a unit's name when written in lower case (verbs and small words)
NAME_STOP_PAIRS = _exact(
    "chủ trì",
    "chủ động",
    "tham mưu",
    "tham gia",
    "phối hợp",
    "xây dựng",
    "tổ chức",
    "thực hiện",
    "triển khai",
    "hướng dẫn",
    "dự trù",
    "chuẩn bị",
    "biên soạn",
    "tuyên truyền",
    "lãnh đạo",
    "chỉ đạo",
    "đôn đốc",
    "căn cứ",
    "rà soát",
    "tổng hợp",
    "tích cực",
    "thành lập",
    "phát động",
    "kiểm tra",
    "bảo đảm",
    "đảm bảo",
    "ban hành",
    "hoàn thành",
    "báo cáo",
    "đăng ký",
    "đề nghị",
    "tiếp tục",
    "quán triệt",
    "vận động",
    "tăng cường",
    "phân công",
    "sưu tầm",
    "trưng bày",
    "thông tin",
    "tập trung",
    "nghiên cứu",
    "theo dõi",
    "bố trí",
    "cung cấp",
    "hỗ trợ",
    "lựa chọn",
    "chịu trách",
    "có trách",
    "trực thuộc",
    "liên quan",
    "yêu cầu",
    "nhân dịp",
    "nhân kỷ",
    "chào mừng",
    "hướng dẫn",
)
NAME_STOP_WORDS = _exact(
    "giúp",
    "lập",
    "có",
    "được",
    "là",
    "sẽ",
    "cần",
    "phải",
    "cử",
    "gửi",
    "viết",
    "đưa",
    "mời",
    "trình",
    "xét",
    "làm",
    "nắm",
    "với",
    "các",
    "của",
    "để",
    "trong",
    "về",
    "theo",
    "tại",
    "cho",
    "nhằm",
    "đối",
    "cùng",
    "thuộc",
    "những",
    "một",
    "này",
    "đó",
    "đã",
    "đang",
    "từ",
    "đến",
    "trước",
    "sau",
    "khi",
    "nếu",
    "hoặc",
    "hay",
    "gồm",
    "như",
    "vào",
    "ở",
    "qua",
    "bằng",
    "mỗi",
    "và",
    "chọn",
    "nhận",
    "giao",
    "trên",
    "dịp",
    "dự",
    "tạo",
    "hằng",
    "hàng",
    "đạt",
    "nêu",
)
GENERIC_BEFORE = _exact("các", "những", "mỗi", "từng")
ASSIGN = fold("giao")
ASSIGN_TO = _folded("giao cho", "giao")
TOWARDS = _folded("đối với")
LEAD_WORDS = _folded("chủ trì")
SUPPORT_START = _folded("phối hợp", "giúp", "tham gia", "cùng")
SUPPORT_WITH = _folded("phối hợp với", "phối hợp cùng", "phối hợp")
# role words taken off a clause before it is compared with the activities
ROLE_WORDS = _exact(
    "chủ trì",
    "tham mưu",
    "phối hợp với",
    "phối hợp",
    "giúp",
    "giao cho",
    "giao",
    "có trách nhiệm",
    "chịu trách nhiệm",
    "các đơn vị có liên quan",
    "các đơn vị liên quan",
)

# ---- who an activity is for: every unit that reports
EVERY_UNIT = _folded(
    "các chi, đảng bộ cơ sở",
    "mỗi chi, đảng bộ cơ sở",
    "các chi bộ, đảng bộ cơ sở",
    "các đảng bộ, chi bộ cơ sở",
    "các tổ chức cơ sở đảng",
    "các đảng ủy, chi ủy",
    "các đảng ủy, chi bộ",
    "các đảng ủy cơ sở",
    "các đảng bộ cơ sở",
    "các chi bộ cơ sở",
    "các chi bộ",
    "các đảng bộ trực thuộc",
    "các đảng bộ",
    "các cấp ủy",
    "mỗi cấp ủy",
    "cấp ủy, chi bộ cơ sở",
    "các cơ sở",
    "các đơn vị",
    "mỗi đơn vị",
    "mỗi chi bộ",
)
# the subject of an item in "TỔ CHỨC THỰC HIỆN" that speaks to every unit
EVERY_UNIT_SUBJECT = _folded(
    "các chi",
    "các đảng",
    "các tổ chức cơ sở",
    "các cấp ủy",
    "các chi bộ",
    "các cơ sở",
    "các đơn vị",
    "đối với cấp ủy",
    "đối với các",
    "đối với chi",
)
PER_UNIT = _folded(
    "mỗi chi",
    "mỗi đảng bộ",
    "mỗi chi bộ",
    "mỗi đơn vị",
    "mỗi cơ sở",
    "mỗi cấp ủy",
    "mỗi tổ chức",
    "mỗi cơ quan",
    "mỗi doanh nghiệp",
    "mỗi đoàn thể",
)

# ---- quotas: what a unit counts ("85 tập thể, cá nhân", "ít nhất 01 quần chúng ưu tú")
QUOTA_NOUNS = _exact(
    "tập thể",
    "cá nhân",
    "sản phẩm",
    "tiết mục",
    "bài viết",
    "bài",
    "tin",
    "phóng sự",
    "đội",
    "nội dung",
    "quần chúng",
    "đảng viên",
    "chi bộ",
    "tổ chức cơ sở đảng",
    "gương",
    "mô hình",
    "công trình",
    "phần việc",
    "tác phẩm",
    "ảnh",
    "video",
    "đoàn viên",
    "hội viên",
    "sáng kiến",
    "đề tài",
    "vận động viên",
    "suất",
    "lượt",
    "điển hình",
)
AT_LEAST = _exact("ít nhất", "tối thiểu", "không dưới", "không ít hơn")
AT_MOST = _exact("không quá", "tối đa", "không vượt quá")
FROM = vnorm("từ")
TO = _exact("đến", "tới", "-")
AND_MORE = _exact("trở lên")
NUMBER_WORDS = {
    vnorm(w): n
    for w, n in (
        ("một", 1),
        ("hai", 2),
        ("ba", 3),
        ("bốn", 4),
        ("năm", 5),
        ("sáu", 6),
        ("bảy", 7),
        ("tám", 8),
        ("chín", 9),
        ("mười", 10),
    )
}
NOT_A_COUNT_BEFORE = _exact("kỷ niệm", "khoảng", "thứ", "lần thứ", "số")

# ---- what a task's form probably is
NOMINATION_WORDS = _folded(
    "đề nghị khen thưởng",
    "danh sách",
    "bình chọn",
    "giới thiệu",
    "quần chúng ưu tú",
    "đề nghị các cấp khen thưởng",
    "bình xét",
)
# The registration preset is a team's (name, players, contact): a unit registers or fields a
# team. Compared with their diacritics (`vnorm`): folded, "cử" is also "căn cứ" and "cụ thể". A
# verb alone is not a team: "cử Bí thư dự Hội thảo" sends a person, "đăng ký thi đua" pledges.
REGISTRATION_WORDS = _exact("đăng ký", "chọn cử", "cử", "thành lập", "dự thi", "tham gia thi đấu")
TEAM_WORDS = _exact(
    "01 đội",
    "một đội",
    "đội bóng",
    "đội tuyển",
    "đội hình",
    "đội thi đấu",
    "đội văn nghệ",
    "vận động viên",
)  # not "đội" alone: "đội ngũ cán bộ"

# ---- matching an assignment with its activity: words too common to tell activities apart
STOP_SYLLABLES = frozenset(
    _folded(
        "các",
        "và",
        "của",
        "trong",
        "cho",
        "với",
        "để",
        "tại",
        "về",
        "theo",
        "những",
        "là",
        "có",
        "được",
        "một",
        "số",
        "từ",
        "đến",
        "này",
        "đó",
        "tốt",
        "việc",
        "nhằm",
        "gắn",
        "hết",
        "qua",
        "sau",
        "trước",
        "khi",
        "đã",
        "sẽ",
        "cần",
        "phải",
        "nhất",
        "cụ",
        "thể",
        "như",
        "bằng",
        "vào",
        "ngày",
        "tháng",
        "năm",
        "dự",
        "kiến",
        "thời",
        "gian",
        "hoàn",
        "thành",
        "thực",
        "hiện",
    )
)
# the tail of a clause that says where or why, not what ("... tại buổi gặp mặt kỷ niệm")
CIRCUMSTANCE = _exact("tại", "nhân dịp", "trong dịp", "vào dịp", "trước trong và sau")
# a timetable row's own words, besides its window ("Việc ... hoàn thành trước ngày ...")
ROW_FILLERS = _folded("việc", "hoàn thành", "thực hiện", "xong", "tổ chức xong")

# ---- small words the parsers split on
AND = vnorm("và")
LEADING_LINKS = ("và ", "với ")  # "và các đơn vị ...", "với Ban ..." left at a clause's start
WITH = _exact("phối hợp với", "phối hợp")  # the units of a clause's partners follow
LETTER_MARKS = "a-zđ"  # "a)", "đ)": the letters items are numbered with
CLAUSE_BREAK = r";|\.\s+(?=[A-ZÀ-ỸĐ])|\.$"  # a semicolon, or a full stop before a capital
