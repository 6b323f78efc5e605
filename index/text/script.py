"""Traditional → simplified Chinese, for search only.

Articles are stored and shown in their original script; BM25 and the embedder see a
simplified copy so that 黨建 and 党建 meet. OpenCC's t2s converts phrase by phrase. No t2s
dictionary we know of maps a phrase to another length (neither those kept here nor OpenCC
1.4's), but nothing in OpenCC promises it. So never map a character offset of the
simplified copy back onto the original: chunk spans are computed on the original text,
and the simplified copy is derived per chunk, after the span is fixed.

OpenCC's C++ library converts (the ``opencc`` wheel: 50 times the chars/s of the pure-Python
opencc-python-reimplemented, bench/results/opencc.md) with that package's dictionaries,
kept in t2s/: on our corpora it gives the same text as before, so stored indexes stay valid.
OpenCC 1.4's own t2s dictionaries change 112 of 206,709 lines there, some of them simplified
text made wrong (破坏土地 → 破坯土地, 一批覆盖 → 一批复盖).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from opencc import OpenCC

_CONFIG = Path(__file__).with_name("t2s") / "t2s.json"


@lru_cache(maxsize=1)
def _converter() -> OpenCC:
    # Loading the dictionaries costs far more than converting one chunk.
    return OpenCC(str(_CONFIG))


def to_simplified(text: str) -> str:
    """Return ``text`` in simplified script; simplified text, ASCII and punctuation pass through."""
    return _converter().convert(text)
