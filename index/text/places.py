"""Administrative place names by their suffix: articles' metadata and questions' places."""

from __future__ import annotations

import re

# Administrative levels a place name ends with; rag/ uses them to spot places in questions.
PLACE_SUFFIXES = ("省", "市", "区", "县", "镇", "乡", "街道", "社区", "村")
# A station (市捐赠站) is the subject of a question as a place is, so a follow-up swaps it.
SUBJECT_SUFFIXES = (*PLACE_SUFFIXES, "站")
# Articles name local places; 省 and 乡 are left out of them (节省, 省级, 城乡, 乡村 are words).
_ARTICLE_SUFFIXES = tuple(s for s in PLACE_SUFFIXES if s not in ("省", "乡"))

# A suffix after a numeral or determiner counts things (百县千镇万村, 全市, 各村), and one
# followed by 场/民/级… is another word (市场, 市民, 村级, 镇街); 区 before 街道 is in the name.
ARTICLE_PLACE_SUFFIX = re.compile(
    r"(?<![一二三四五六七八九十百千万两几多各全本该每])"
    rf"(?:{'|'.join(s for s in _ARTICLE_SUFFIXES if len(s) > 1)}"
    rf"|(?<!社)[{''.join(s for s in _ARTICLE_SUFFIXES if len(s) == 1)}](?!场|民|容|貌|域|级|直|属|街|社区))"
)
