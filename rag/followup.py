"""Follow-ups without an LLM, by carrying over the previous question.

`那中山呢？` after `东莞东城街道有哪些党建做法？` -> `中山有哪些党建做法？` (a new place swaps the place);
`那外来人员呢？` after `东华村户籍人口有多少？` -> `东华村外来人员有多少？` (anything else swaps the topic).
"""

from __future__ import annotations

import re

import jieba.posseg as pseg

from index.text.places import SUBJECT_SUFFIXES

_FOLLOW_UP = re.compile(r"^(?:那么?|还有|另外)?(?P<subject>[^，。？?！!]{1,12}?)(?:呢|怎么样|如何)[？?]?$")
_PLACE = re.compile(rf"^(?:.{{1,8}}?(?:{'|'.join(SUBJECT_SUFFIXES)}))+")
_PREDICATE = re.compile(r"(?:有|是|为|在|怎么|如何|多少|哪|何|几)")


def carry_over(question: str, previous: str | None) -> str:
    """The question made standalone, or unchanged when it is not a bare follow-up."""
    match = _FOLLOW_UP.match(question.strip())
    if not previous or not match:
        return question
    new = match.group("subject")
    place_match = _PLACE.match(previous)
    place = place_match.group(0) if place_match else ""
    rest = previous[len(place) :]
    if _is_place(new) or not place:
        return new + rest
    predicate = _PREDICATE.search(rest)
    return place + new + (rest[predicate.start() :] if predicate else rest)


def _is_place(text: str) -> bool:
    return bool(_PLACE.fullmatch(text)) or all(tag == "ns" for _, tag in pseg.cut(text))
