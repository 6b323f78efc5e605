"""Traditional → simplified Chinese, for search only.

Articles are stored and shown in their original script; BM25 and the embedder see a
simplified copy so that 黨建 and 党建 meet. OpenCC's t2s converts phrase by phrase, and
upstream OpenCC dictionaries hold phrases whose simplified form has another length (the
bundled 0.1.7 dictionaries happen not to). So never map a character offset of the
simplified copy back onto the original: chunk spans are computed on the original text,
and the simplified copy is derived per chunk, after the span is fixed.
"""

from __future__ import annotations

from functools import lru_cache

from opencc import OpenCC


@lru_cache(maxsize=1)
def _converter() -> OpenCC:
    # Loading the dictionaries costs far more than converting one chunk.
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Return ``text`` in simplified script; simplified text, ASCII and punctuation pass through."""
    return _converter().convert(text)
