"""Which characters are Chinese, stated once so the tokenizer, the cleaner and the extractors agree."""

from __future__ import annotations

import re

# CJK Unified Ideographs, Extension A (rare and old forms) and Compatibility Ideographs.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_CHAR = re.compile(f"[{HAN}]")
NOT_HAN = re.compile(f"[^{HAN}]")
