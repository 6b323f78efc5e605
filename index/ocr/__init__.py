"""OCR of scanned pages: the engine (``engine``), reading order and page furniture (``layout``),
and images and PDF pages in, ``Page`` objects out (``reader``)."""
