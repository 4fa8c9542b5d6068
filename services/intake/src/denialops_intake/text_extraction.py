"""Turn an uploaded file into page texts: plain text as one page, PDF page by page from its text layer.

Pure functions over bytes (no I/O), bounded in pages and characters; the caller runs them off the
event loop because PDF parsing is CPU-bound.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PyPdfError

PDF_MAGIC = b"%PDF-"
TEXT_MEDIA_TYPE = "text/plain"
PDF_MEDIA_TYPE = "application/pdf"


class UnreadableDocument(ValueError):
    """The file is not a document we can read; the message is safe to show the uploader."""


@dataclass(frozen=True, slots=True)
class ExtractedText:
    media_type: str
    pages: list[str]
    method: str


def sniff_media_type(data: bytes) -> str:
    """The media type by magic bytes, never by the declared name or header."""
    if data.startswith(PDF_MAGIC):
        return PDF_MEDIA_TYPE
    if b"\x00" in data[:4096]:
        raise UnreadableDocument("the file is binary; upload a PDF or a UTF-8 text file")
    return TEXT_MEDIA_TYPE


def extract_pages(data: bytes, media_type: str, *, max_pages: int = 50, max_chars: int = 2_000_000) -> ExtractedText:
    if not data.strip():
        raise UnreadableDocument("the file is empty")
    if media_type == PDF_MEDIA_TYPE:
        return _pdf_pages(data, max_pages, max_chars)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument("the text file is not valid UTF-8") from exc
    if len(text) > max_chars:
        raise UnreadableDocument(f"the text is longer than {max_chars} characters")
    return ExtractedText(media_type=TEXT_MEDIA_TYPE, pages=[text], method="text")


def _pdf_pages(data: bytes, max_pages: int, max_chars: int) -> ExtractedText:
    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > max_pages:
            raise UnreadableDocument(f"the PDF has more than {max_pages} pages")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocument("the PDF could not be parsed") from exc
    if not any(p.strip() for p in pages):
        raise UnreadableDocument("the PDF has no text layer")
    if sum(map(len, pages)) > max_chars:
        raise UnreadableDocument(f"the text is longer than {max_chars} characters")
    return ExtractedText(media_type=PDF_MEDIA_TYPE, pages=pages, method="pdf_text")
