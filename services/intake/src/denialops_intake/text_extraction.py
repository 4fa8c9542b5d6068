"""Turn an uploaded file into page texts: plain text as one page, PDF page by page from its text layer.

A PDF page without a text layer (a scan) is rendered with PDFium and read by Tesseract. Everything is
bounded: pages, characters, the rendering resolution and each page's OCR time. The functions take bytes
and do no I/O of their own; the caller runs them off the event loop because parsing and OCR are CPU-bound.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
import pytesseract
from PIL.Image import Image
from pypdf import PdfReader
from pypdf.errors import PyPdfError

PDF_MAGIC = b"%PDF-"
TEXT_MEDIA_TYPE = "text/plain"
PDF_MEDIA_TYPE = "application/pdf"
OCR_DPI = 300
# A rendered page never exceeds this many pixels on its longer side, whatever the page size says.
OCR_MAX_SIDE_PX = 4000
# Defaults of the OCR limits (settings OCR_PAGE_TIMEOUT_SECONDS and OCR_MAX_PAGES): a page's OCR time, and
# the scanned pages read per document (OCR costs seconds a page, so a long scan is refused, not queued).
OCR_PAGE_TIMEOUT_S = 10.0
MAX_OCR_PAGES = 10
# PDFium is not thread-safe and the API runs extraction in worker threads.
_PDFIUM_LOCK = threading.Lock()


class UnreadableDocument(ValueError):
    """The file is not a document we can read; the message is safe to show the uploader."""


@dataclass(frozen=True, slots=True)
class ExtractedText:
    media_type: str
    pages: list[str]
    method: str


# Formats people upload by mistake, named so the error can say what was received.
_OTHER_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"PK\x03\x04": "a ZIP archive or an Office document",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an old Office document",
    b"\x7fELF": "a program",
}


def sniff_media_type(data: bytes) -> str:
    """The media type by magic bytes, never by the declared name or header."""
    if data.startswith(PDF_MAGIC):
        return PDF_MEDIA_TYPE
    for magic, kind in _OTHER_MAGIC.items():
        if data.startswith(magic):
            raise UnreadableDocument(f"the file is {kind}; upload a PDF or a UTF-8 text file")
    if b"\x00" in data[:4096]:
        raise UnreadableDocument("the file is binary; upload a PDF or a UTF-8 text file")
    return TEXT_MEDIA_TYPE


def extract_pages(
    data: bytes,
    media_type: str,
    *,
    max_pages: int = 50,
    max_chars: int = 2_000_000,
    max_ocr_pages: int = MAX_OCR_PAGES,
    ocr_page_timeout_s: float = OCR_PAGE_TIMEOUT_S,
) -> ExtractedText:
    if not data.strip():
        raise UnreadableDocument("the file is empty")
    if media_type == PDF_MEDIA_TYPE:
        return _pdf_pages(data, max_pages, max_chars, max_ocr_pages, ocr_page_timeout_s)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument("the text file is not valid UTF-8") from exc
    if len(text) > max_chars:
        raise UnreadableDocument("the text is too long")
    return ExtractedText(media_type=TEXT_MEDIA_TYPE, pages=[text], method="text")


def _pdf_pages(
    data: bytes, max_pages: int, max_chars: int, max_ocr_pages: int, ocr_page_timeout_s: float
) -> ExtractedText:
    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > max_pages:
            raise UnreadableDocument("the PDF has too many pages")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocument("the PDF could not be parsed") from exc
    scanned = [i for i, text in enumerate(pages) if not text.strip()]
    if len(scanned) > max_ocr_pages:
        raise UnreadableDocument("the PDF has too many scanned pages without a text layer")
    method = "pdf_text"
    if scanned:
        for i, text in zip(scanned, _ocr(data, scanned, ocr_page_timeout_s), strict=True):
            pages[i] = text
        method = "ocr" if len(scanned) == len(pages) else "pdf_text+ocr"
    if not any(p.strip() for p in pages):
        raise UnreadableDocument("the PDF has no text layer and no text could be recognised in it")
    if sum(map(len, pages)) > max_chars:
        raise UnreadableDocument("the text is too long")
    return ExtractedText(media_type=PDF_MEDIA_TYPE, pages=pages, method=method)


def _ocr(data: bytes, indexes: Sequence[int], timeout_s: float) -> list[str]:
    """Tesseract's text of each listed page (0-based); a page that fails or times out reads as empty.

    Pages are rendered and read one at a time so that at most one page image is in memory.
    """
    try:
        with _PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocument("the PDF could not be parsed") from exc
    texts: list[str] = []
    try:
        for index in indexes:
            with _PDFIUM_LOCK:
                image = _render(pdf[index])
            texts.append(_recognise(image, timeout_s))
    finally:
        with _PDFIUM_LOCK:
            pdf.close()
    return texts


def _recognise(image: Image, timeout_s: float) -> str:
    try:
        return str(pytesseract.image_to_string(image, timeout=timeout_s))
    except pytesseract.TesseractNotFoundError as exc:
        raise UnreadableDocument("the PDF has no text layer and OCR is not available") from exc
    except (RuntimeError, pytesseract.TesseractError):
        # pytesseract signals its timeout with a RuntimeError; the page stays empty, the rest still count.
        return ""


def _render(page: pdfium.PdfPage) -> Image:
    """The page as a grayscale image at OCR_DPI, scaled down when that would exceed OCR_MAX_SIDE_PX."""
    try:
        width, height = page.get_size()
        scale = min(OCR_DPI / 72, OCR_MAX_SIDE_PX / max(width, height, 1.0))
        image: Image = page.render(scale=scale, grayscale=True).to_pil()
        return image
    finally:
        page.close()
