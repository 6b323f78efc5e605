"""RapidOCR as text boxes. Its wheel ships the PP-OCRv4 Chinese detection and recognition
models (ONNX), so nothing is downloaded at run time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

# Boxes the recogniser scores under this are specks and rules rather than text (RapidOCR's own
# default cut); everything above is kept and low scores are flagged downstream instead.
_MIN_SCORE = 0.5


@dataclass(frozen=True)
class TextBox:
    """One detected line: its text, the recogniser's score and its four corners (pixels,
    clockwise from the top left; slanted when the scan is)."""

    text: str
    confidence: float
    corners: tuple[tuple[float, float], ...]


class OcrEngine:
    """Loads the models on first use (a third of a second), then reads one image at a time."""

    def __init__(self, threads: int = 0) -> None:
        self._threads = threads
        self._engine = None

    def read(self, image: Image.Image) -> list[TextBox]:
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR  # onnxruntime and OpenCV load only when a scan comes in

            self._engine = RapidOCR(text_score=_MIN_SCORE, intra_op_num_threads=self._threads or -1)
        result, _ = self._engine(np.asarray(image.convert("RGB")))
        return [
            TextBox(text, float(score), tuple((float(x), float(y)) for x, y in corners))
            for corners, text, score in result or []
            if text.strip()
        ]
