"""Text extraction from uploads: type by magic bytes, PDF page by page, OCR for scanned pages, bounded."""

from __future__ import annotations

import io
import shutil

import pytesseract
import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from denialops_intake.text_extraction import (
    MAX_OCR_PAGES,
    OCR_MAX_SIDE_PX,
    PDF_MEDIA_TYPE,
    TEXT_MEDIA_TYPE,
    UnreadableDocument,
    extract_pages,
    sniff_media_type,
)
from tests.infra import ROOT

LETTERS = ROOT / "data" / "samples" / "letters"
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="the tesseract binary is not installed here (apt-get install tesseract-ocr; CI installs it)",
)
SCANNED_LINES = ("CLAIM DENIED", "Reason code CO-197", "Prior authorization missing")


def pdf_with_pages(*texts: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for text in texts:
        if text:
            pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def scanned_pdf(*pages: tuple[str, ...] | str, page_size: tuple[float, float] = (612, 792)) -> bytes:
    """A PDF whose tuple pages are only a picture of their lines (no text layer); str pages are real text."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=page_size)
    for page in pages:
        if isinstance(page, str):
            pdf.drawString(72, 720, page)
        else:
            image = Image.new("L", (1700, 200 + 110 * len(page)), 255)
            draw = ImageDraw.Draw(image)
            font = ImageFont.load_default(size=64)
            for i, line in enumerate(page):
                draw.text((100, 100 + 110 * i), line, fill=0, font=font)
            pdf.drawImage(ImageReader(image), 36, 400, width=540, height=540 * image.height / image.width)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_media_type_comes_from_the_bytes_not_the_name() -> None:
    assert sniff_media_type(b"%PDF-1.7 ...") == PDF_MEDIA_TYPE
    assert sniff_media_type(b"Dear member") == TEXT_MEDIA_TYPE
    with pytest.raises(UnreadableDocument, match="binary"):
        sniff_media_type(b"MZ\x90\x00\x03")


def test_sample_pdf_pages_keep_the_letter_text() -> None:
    data = (LETTERS / "010.pdf").read_bytes()
    result = extract_pages(data, sniff_media_type(data))
    assert result.method == "pdf_text"
    assert len(result.pages) >= 1
    text = " ".join(" ".join(result.pages).split())
    first_line = (LETTERS / "010.txt").read_text(encoding="utf-8").strip().splitlines()[0]
    assert " ".join(first_line.split()) in text


def test_pages_are_numbered_in_order() -> None:
    result = extract_pages(pdf_with_pages("first page", "second page"), PDF_MEDIA_TYPE)
    assert ["first page" in result.pages[0], "second page" in result.pages[1]] == [True, True]


def test_text_is_one_page_and_a_bom_is_dropped() -> None:
    result = extract_pages("\ufeffDenial notice".encode(), TEXT_MEDIA_TYPE)
    assert result.pages == ["Denial notice"]
    assert result.method == "text"


@pytest.mark.parametrize(
    ("data", "media_type", "message"),
    [
        (b"", TEXT_MEDIA_TYPE, "empty"),
        (b"   \n", TEXT_MEDIA_TYPE, "empty"),
        (b"\xff\xfe\xfa bad", TEXT_MEDIA_TYPE, "UTF-8"),
        (b"%PDF-1.4 this is not a pdf", PDF_MEDIA_TYPE, "could not be parsed"),
    ],
)
def test_unreadable_uploads_get_a_clear_reason(data: bytes, media_type: str, message: str) -> None:
    with pytest.raises(UnreadableDocument, match=message):
        extract_pages(data, media_type)


def test_limits_on_pages_and_characters() -> None:
    with pytest.raises(UnreadableDocument, match="too many pages"):
        extract_pages(pdf_with_pages("a", "b", "c"), PDF_MEDIA_TYPE, max_pages=2)
    with pytest.raises(UnreadableDocument, match="too long"):
        extract_pages(b"x" * 2000, TEXT_MEDIA_TYPE, max_chars=1000)


@needs_tesseract
def test_a_scanned_page_is_read_by_ocr() -> None:
    result = extract_pages(scanned_pdf(SCANNED_LINES), PDF_MEDIA_TYPE)
    assert result.method == "ocr"
    text = " ".join(result.pages[0].split()).lower()
    for line in SCANNED_LINES:
        assert line.lower() in text


@needs_tesseract
def test_text_and_scanned_pages_mixed() -> None:
    result = extract_pages(scanned_pdf("typed first page", ("CLAIM DENIED",)), PDF_MEDIA_TYPE)
    assert result.method == "pdf_text+ocr"
    assert "typed first page" in result.pages[0]
    assert "claim denied" in result.pages[1].lower()


@needs_tesseract
def test_a_blank_page_or_an_ocr_timeout_reads_as_no_text() -> None:
    with pytest.raises(UnreadableDocument, match="no text layer"):
        extract_pages(pdf_with_pages(""), PDF_MEDIA_TYPE)
    with pytest.raises(UnreadableDocument, match="no text could be recognised"):
        extract_pages(scanned_pdf(SCANNED_LINES), PDF_MEDIA_TYPE, ocr_page_timeout_s=0.001)


def test_ocr_resolution_is_capped_on_huge_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[tuple[int, int]] = []

    def fake_ocr(image: Image.Image, timeout: float) -> str:
        sizes.append(image.size)
        return "recognised"

    monkeypatch.setattr(pytesseract, "image_to_string", fake_ocr)
    result = extract_pages(scanned_pdf(("x",), page_size=(4000, 4000)), PDF_MEDIA_TYPE)
    assert result.pages == ["recognised"]
    assert max(sizes[0]) <= OCR_MAX_SIDE_PX


def test_ocr_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_binary(image: Image.Image, timeout: float) -> str:
        raise pytesseract.TesseractNotFoundError()

    monkeypatch.setattr(pytesseract, "image_to_string", no_binary)
    with pytest.raises(UnreadableDocument, match="OCR is not available"):
        extract_pages(scanned_pdf(("x",)), PDF_MEDIA_TYPE)


def test_a_long_scan_is_refused_before_any_page_is_recognised() -> None:
    blank_pages = pdf_with_pages(*[""] * (MAX_OCR_PAGES + 1))
    with pytest.raises(UnreadableDocument, match="scanned pages"):
        extract_pages(blank_pages, PDF_MEDIA_TYPE)


def test_the_scanned_page_limit_is_a_setting() -> None:
    two_blank_pages = pdf_with_pages("", "")
    with pytest.raises(UnreadableDocument, match="scanned pages"):
        extract_pages(two_blank_pages, PDF_MEDIA_TYPE, max_ocr_pages=1)
