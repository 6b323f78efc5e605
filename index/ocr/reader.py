"""Scanned pages in, ``Page`` objects out: images (every frame of a TIFF) and the PDF pages a
loader found no usable text layer on are rendered, OCR'd and laid out."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import pypdfium2
from PIL import Image, ImageOps, ImageSequence

from core.settings import Settings
from index.ocr.engine import OcrEngine
from index.ocr.layout import Scan, lay_out
from index.types import Page

# (pages OCR'd so far, pages to OCR in this file)
PageProgress = Callable[[int, int], None]


class PageReader:
    """OCR for one ingest: the engine loads once, ``on_page`` hears of every page read."""

    def __init__(self, settings: Settings, on_page: PageProgress | None = None) -> None:
        self.settings = settings
        self.on_page = on_page
        self._engine = OcrEngine(settings.ocr_threads)

    def image_pages(self, data: bytes) -> list[Page]:
        """Every frame of an image file; a phone photo is first turned upright by its EXIF tag.

        Raises ``OSError`` (Pillow's ``UnidentifiedImageError`` among them) for a broken image.
        """
        with Image.open(io.BytesIO(data)) as image:
            frames = [ImageOps.exif_transpose(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]
        return self._read(range(1, len(frames) + 1), lambda n: frames[n - 1])

    def pdf_pages(self, data: bytes, numbers: Sequence[int]) -> list[Page]:
        """The PDF pages of these (1-based) numbers, rendered at ``ocr_dpi`` one at a time.

        Raises ``pypdfium2.PdfiumError`` for a PDF that PDFium cannot open.
        """
        pdf = pypdfium2.PdfDocument(data)
        scale = self.settings.ocr_dpi / 72  # PDF units are points
        try:
            return self._read(numbers, lambda n: pdf[n - 1].render(scale=scale, grayscale=True).to_pil())
        finally:
            pdf.close()

    def _read(self, numbers: Sequence[int], image_of: Callable[[int], Image.Image]) -> list[Page]:
        scans = []
        for done, number in enumerate(numbers, start=1):
            image = image_of(number)
            scans.append(Scan(number, self._engine.read(image), image.height))
            if self.on_page:
                self.on_page(done, len(numbers))
        return lay_out(scans)
