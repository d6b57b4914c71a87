"""A printable sheet of invite QR codes: one cell per unit (the QR code of the deep link, the unit's
name under it, the code to type by hand), in a grid on A4 pages, saved as a PDF (one page per A4)
or PNG (one image, or one per page suffixed -1, -2 …)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


@dataclass(frozen=True)
class SheetEntry:
    title: str  # the unit's name, printed under the QR code
    link: str  # what the QR code holds
    code: str  # printed small, for typing /start <code> by hand


@dataclass(frozen=True)
class Layout:
    """A4 at `dpi`; sizes in pixels."""

    dpi: int = 150
    columns: int = 3
    rows: int = 4
    margin: int = 70
    heading: int = 120
    footer: int = 40
    qr: int = 240
    title_size: int = 22
    title_lines: int = 3
    small_size: int = 16
    heading_size: int = 28

    @property
    def page(self) -> tuple[int, int]:
        return round(8.27 * self.dpi), round(11.69 * self.dpi)

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


def find_font() -> Path | None:
    """A TrueType font with Vietnamese letters: DejaVu Sans via fontconfig, or a usual path."""
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}", "DejaVu Sans"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and "dejavusans" in Path(found).name.casefold() and Path(found).is_file():
            return Path(found)
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def _bold_of(regular: Path) -> Path:
    bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
    return bold if bold.is_file() else regular


def _font(path: Path | None, size: int) -> Font:
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(path), size=size)


def _qr_image(link: str, size: int) -> Image.Image:
    """The QR code of `link`, scaled by a whole number so every module stays sharp."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(link)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    n = len(matrix)
    small = Image.new("L", (n, n), 255)
    small.putdata([0 if dark else 255 for line in matrix for dark in line])
    scale = max(1, size // n)
    return small.resize((n * scale, n * scale), Image.Resampling.NEAREST)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int, lines: int) -> list[str]:
    """Words into at most `lines` lines that fit `width`; the last one ends in … if cut."""
    out: list[str] = []
    current = ""
    words = text.split()
    for i, word in enumerate(words):
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not current:
            current = trial
            continue
        out.append(current)
        current = word
        if len(out) == lines - 1:
            current = " ".join(words[i:])
            break
    if current:
        out.append(current)
    if out and draw.textlength(out[-1], font=font) > width:
        last = out[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out[:lines]


def _centered(
    draw: ImageDraw.ImageDraw, x: int, width: int, y: int, text: str, font: Font, fill: int
) -> None:
    left = x + (width - draw.textlength(text, font=font)) / 2
    draw.text((left, y), text, font=font, fill=fill)


def render_pages(
    entries: Sequence[SheetEntry],
    *,
    heading: str,
    subheading: str = "",
    font_path: Path | None = None,
    layout: Layout | None = None,
) -> list[Image.Image]:
    """Grayscale A4 pages, `layout.per_page` entries each (at least one page)."""
    lay = layout or Layout()
    regular = font_path
    bold = _bold_of(font_path) if font_path else None
    title_font = _font(bold, lay.title_size)
    small_font = _font(regular, lay.small_size)
    heading_font = _font(bold, lay.heading_size)
    sub_font = _font(regular, lay.small_size + 2)
    width, height = lay.page
    cell_w = (width - 2 * lay.margin) // lay.columns
    cell_h = (height - 2 * lay.margin - lay.heading - lay.footer) // lay.rows
    chunks = [entries[i : i + lay.per_page] for i in range(0, len(entries), lay.per_page)] or [[]]
    pages: list[Image.Image] = []
    for number, chunk in enumerate(chunks, start=1):
        page = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(page)
        _centered(draw, 0, width, lay.margin, heading, heading_font, 0)
        if subheading:
            _centered(draw, 0, width, lay.margin + lay.heading_size + 16, subheading, sub_font, 60)
        top = lay.margin + lay.heading
        for index, entry in enumerate(chunk):
            col, row = index % lay.columns, index // lay.columns
            x = lay.margin + col * cell_w
            y = top + row * cell_h
            draw.rectangle((x, y, x + cell_w - 1, y + cell_h - 1), outline=200, width=1)
            qr = _qr_image(entry.link, lay.qr)
            page.paste(qr, (x + (cell_w - qr.width) // 2, y + 10))
            line_y = y + 10 + qr.height + 6
            for line in _wrap(draw, entry.title, title_font, cell_w - 20, lay.title_lines):
                _centered(draw, x, cell_w, line_y, line, title_font, 0)
                line_y += lay.title_size + 5
            _centered(draw, x, cell_w, y + cell_h - lay.small_size - 12, entry.code, small_font, 90)
        footer = f"{number}/{len(chunks)}"
        _centered(draw, 0, width, height - lay.margin, footer, small_font, 90)
        pages.append(page)
    return pages


def save_pages(pages: Sequence[Image.Image], out: Path, dpi: int = 150) -> list[Path]:
    """PDF: one file, a page per image. PNG: `out` for one page, else out-1.png, out-2.png …"""
    if not pages:
        raise ValueError("no pages to save")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        first, *rest = pages
        first.save(out, "PDF", save_all=True, append_images=rest, resolution=float(dpi), quality=95)
        return [out]
    if len(pages) == 1:
        pages[0].save(out, "PNG", dpi=(dpi, dpi), optimize=True)
        return [out]
    written: list[Path] = []
    for number, page in enumerate(pages, start=1):
        target = out.with_name(f"{out.stem}-{number}{out.suffix}")
        page.save(target, "PNG", dpi=(dpi, dpi), optimize=True)
        written.append(target)
    return written
