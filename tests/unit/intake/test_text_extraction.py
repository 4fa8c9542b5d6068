"""Text extraction from uploads: type by magic bytes, PDF page by page, bounded."""

from __future__ import annotations

import io

import pytest
from reportlab.pdfgen import canvas

from denialops_intake.text_extraction import (
    PDF_MEDIA_TYPE,
    TEXT_MEDIA_TYPE,
    UnreadableDocument,
    extract_pages,
    sniff_media_type,
)
from tests.infra import ROOT

LETTERS = ROOT / "data" / "samples" / "letters"


def pdf_with_pages(*texts: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for text in texts:
        if text:
            pdf.drawString(72, 720, text)
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
        (pdf_with_pages(""), PDF_MEDIA_TYPE, "no text layer"),
    ],
)
def test_unreadable_uploads_get_a_clear_reason(data: bytes, media_type: str, message: str) -> None:
    with pytest.raises(UnreadableDocument, match=message):
        extract_pages(data, media_type)


def test_limits_on_pages_and_characters() -> None:
    with pytest.raises(UnreadableDocument, match="more than 2 pages"):
        extract_pages(pdf_with_pages("a", "b", "c"), PDF_MEDIA_TYPE, max_pages=2)
    with pytest.raises(UnreadableDocument, match="longer than"):
        extract_pages(b"x" * 2000, TEXT_MEDIA_TYPE, max_chars=1000)
