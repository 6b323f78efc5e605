"""Clean one scraped text: drop web boilerplate, SEO spam, glued pinyin and mojibake.

Every rule has a name and a count (lines dropped, runs removed, characters or marks fixed), so
the ingest report can show what cleaning did to each file. The text keeps its original script;
lines are matched against an OpenCC-simplified copy so one pattern covers 來源 and 来源.

Order matters: pinyin goes first (``發(fā)布時間`` must read ``發布時間`` for the meta-line
rule), mojibake second (it keys on a bare ``?``, which punctuation normalisation would turn into
``？``), line rules third, punctuation last (so counts are not inflated by lines later dropped).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from index.chunking import HEADING_MAX_CHARS
from index.text.chars import HAN, HAN_CHAR
from index.text.script import to_simplified
from index.text.sentences import CLOSERS, END_MARK, ends_sentence


@dataclass(frozen=True)
class CleanResult:
    text: str  # paragraphs separated by single newlines, each stripped
    counts: dict[str, int]  # rule name -> lines dropped / runs removed / marks fixed
    warnings: tuple[str, ...]


# How a warning about a removed mojibake run starts; the library page counts warnings by it.
MOJIBAKE_DROPPED = "mojibake dropped"
# Rules whose firing says the file itself was damaged or hostile, not just scraped.
DAMAGE_RULES = ("repeated_run", "bidi_control", "prompt_injection")

# A full calendar date, and a line that is nothing but one; shared with metadata extraction.
FULL_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*日"
    r"|[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2})(?!\d))"
)
DATE_LINE = re.compile(
    rf"^(?:{FULL_DATE.pattern})(?:\s*\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?(?:\s*(?:星期|周)[一二三四五六日天])?$"
)

# A run of lowercase Latin letters with at least one tone mark, in parentheses: 當(dāng)前.
_PINYIN_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN = re.compile(f"(?<=[{HAN}])\\([{_PINYIN_LETTERS}]*[{_TONED}][{_PINYIN_LETTERS}]*\\)")

_SPACES = re.compile(r"[^\S\n]{2,}|[^\S\n ]")  # runs, and single tabs, NBSP, ideographic and en spaces
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
# Direction marks and overrides reorder what a reader sees (‮ turns 党建 into 建党): never article text.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# A short unit said twenty times or more in a row (one 1 MB line of 党建) is not prose; three are kept.
_REPEATED_RUN = re.compile(r"(.{1,16}?)\1{19,}")
_RUN_KEPT = 3
# A sentence telling the reader (an LLM) to drop its instructions: never article content, and an
# answer must not quote it. It needs a word pointing back (以上, previous), so 忽略安全规则 stays.
_INJECTION_VERBS = "忽略|无视|忘记|忘掉|不要理会"
_INJECTION = re.compile(
    rf"[^。！？!?\n]*(?:(?:{_INJECTION_VERBS})(?:你)?(?:以上|上面|前面|之前|先前|上述|此前|原有|系统)的?"
    r"(?:所有|全部|一切)?的?(?:指令|指示|提示词?|规则|设定)"
    r"|ignore\s+(?:all\s+)?(?:the\s+)?(?:previous|above|prior|earlier)\s+(?:instructions|prompts?))"
    r"[^。！？!?\n]*[。！？!?]?",
    re.IGNORECASE,
)
# Every match holds one of these. Most lines hold none, and the search for them is linear, while
# _INJECTION's leading [^。！？]* rescans each sentence from every character (half of cleaning's time).
_INJECTION_HINT = re.compile(f"{_INJECTION_VERBS}|ignore", re.IGNORECASE)
# Captions that interrupt a sentence; they name a photo the reader cannot see.
_INLINE_CAPTION = re.compile(r"[(（](?:图|圖|图片|圖片|摄影|攝影)\s*(?:[:：/]|来源|來源)[^()（）\n]{0,40}[)）]")

_LABELS = r"来源|原标题|作者|责任编辑|责编|编辑|发布时间|发布日期|发表时间|更新时间|浏览量|浏览次数|点击数|阅读量|信息来源|文章来源"

# Whole-line rules, tried in order on the simplified, space-collapsed line.
LINE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        # A label with a long value is a source line glued to the body, which must stay.
        ("meta_line", rf"^(?:【(?:{_LABELS})】|(?:{_LABELS})\s*[:：]).{{0,60}}$"),
        (
            "credit_line",
            rf"^[■●]?\s*(?:本报|[{HAN}]{{2,10}}?)?记者(?:\s+[{HAN}]{{2,4}})+$"
            r"|^【(?:采写|摄影|摄像|记者|通讯员|文|图|文/图|摄|制图|视频)】"
            rf"|^(?:文|图|文/图|文图|摄影|摄像|通讯员)\s*[/:：|]\s*[{HAN}\s、,，]{{2,20}}$",
        ),
        ("account_line", r"^[^\s:：]{0,16}(?:订阅号|公众号|澎湃号|头条号|百家号|企鹅号|网易号|搜狐号)(?:·\S{1,6})?\s*>?$"),
        (
            "breadcrumb",
            r"^您(?:当前|现在)的?位置|^当前位置\s*[:：]|^.{0,10}首页\s*[>›»]"
            r"|^(?:[^。，,>]{1,20}[>›»]\s*){2,}[^。，,>]{0,20}$|^[^。，,>]{1,20}[>›»]$",
        ),
        (
            "share_buttons",
            r"^(?:(?:微信|新浪微博|腾讯微博|微博|QQ空间|QQ好友|QQ|豆瓣|朋友圈|人人网|Facebook|Twitter|LinkedIn"
            r"|分享到?\s*[:：]?)[\s|/、,，]*)+$|^扫一扫.{0,16}$",
        ),
        ("font_size", r"^字号\s*[:：]?\s*[【\[]?[\s大中小]*[】\]]?$"),
        ("date_line", DATE_LINE.pattern),
        (
            "copyright",
            r"^版权声明|^版权所有|^©|^\(c\)\s*\d{4}|^copyright"
            r"|^.{0,30}(?:未经授权|未经许可)[，,]?(?:不得|禁止)转载.{0,10}$|^.{0,30}版权所有.{0,30}$",
        ),
        (
            "licence",
            r"ICP[备证]\s*\d+号?|公网安备\s*\d+号?"
            rf"|^.{{0,30}}许可证(?:号|编号)?\s*[:：]?\s*[A-Za-z{HAN}]?[A-Za-z0-9-]{{5,}}$",
        ),
        (
            "app_download",
            r"^.{0,20}下载.{0,10}(?:客户端|APP)$|^扫码下载|^.{0,16}(?:报料|爆料)(?:热线|电话)?\s*[:：]?\s*[\d-]{7,}$",
        ),
        (
            "site_chrome",
            r"^[•·\s]*(?:登录|注册|登录/注册|\+1|收藏|我要举报|举报|反馈|意见反馈|阅读原文|相关附件|相关信息"
            r"|相关阅读|相关新闻|相关文章|返回顶部|打印|打印本页|关闭窗口|点赞|在看)$"
            r"|^(?:上一篇|下一篇)\s*[:：]|^\S{0,12}Logo$",
        ),
        ("image_name", r"^[\w.-]+\.(?:jpe?g|png|gif|bmp|webp|tiff?)$"),
        # A ■ line that is a full sentence is a photo caption (■ headings carry no full stop).
        ("caption", r"^■.{1,80}。$"),
    )
)

# SEO spam: adult/pirate-video keyword lines. Strong terms practically never occur in policy
# text; weak ones do (精品打造, 在线办理) and only add weight to a keyword chain (a_b_c).
_SPAM_STRONG = re.compile(
    "中文字幕|人妻|一区二区|二区三区|无码|有码|日韩|偷拍|伦理片|乱伦|巨乳|少妇|熟女|啪啪|国产精品|精品久久"
    "|成人精品|国产成人|在线观看|免费观看|三级片|成人视频|av在线|最新地址",
    re.IGNORECASE,
)
_SPAM_WEAK = re.compile("久久|精品|在线|视频|网站|国产|成人|高清|影院|福利|亚洲|欧美|中文|三级|自拍|午夜|免费")
_KEYWORD_CHAIN = re.compile(r"\S[_|]\S+[_|]\S")
_SENTENCE_PUNCT = re.compile(f"[，。；！？、]|[,;](?=[{HAN}])")

# Mojibake: UTF-8 read as GBK and back leaves runs like ?馃挊渖鐓^(qū) or ?yōu)椤爸卫砹α俊?.
_GLUE = "?^"
_STRAY_CATEGORIES = {"Co", "Cn", "Cs"}
_PINYIN_TAIL = re.compile(f"[{_PINYIN_LETTERS}]*\\)")
_MOJIBAKE_GAP = 2  # common characters allowed between two suspect ones inside a run
_AFTER_RUN = re.compile(f"^(?:[{HAN}]{{1,2}}[，,])?[，,。.；;]?")

# Half-width marks typed between Chinese characters; their full-width forms.
_FULL_PUNCT = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_CJK_OPEN = "“‘《「『（【"
_CJK_CLOSE = "”’》」』）】。，、"
_HALF_PUNCT = re.compile(r"[,:;?!]")
_HALF_PARENS = re.compile(r"\(([^()\n]*)\)")
# A sentence end, a colon before a list, or a closer ending a quoted or bracketed line.
_PARAGRAPH_END = re.compile(f"(?:{END_MARK}|[：:{re.escape(CLOSERS)}])$")
_PARAGRAPH_START = re.compile(f"^[{HAN}]")
_BOILERPLATE_MAX_CHARS = 200  # the longest boilerplate seen is a ~140-character disclaimer
_DUPLICATE_MIN_CHARS = 10  # shorter repeats are headings like 背景 that may legitimately recur


def clean_text(raw: str) -> CleanResult:
    """Cleaned paragraphs of ``raw``, how often each rule fired, and warnings to show."""
    counts: Counter[str] = Counter()
    warnings: list[str] = []
    paragraphs = []
    for line in raw.splitlines():
        line = _clean_line(line, counts, warnings)
        if not line:
            counts["blank_line"] += 1
            continue
        rule = _line_rule(line)
        if rule:
            counts[rule] += 1
            continue
        paragraphs.append(_cjk_punctuation(line, counts))
    paragraphs = _join_broken(_drop_duplicates(paragraphs, counts), counts)
    return CleanResult("\n".join(paragraphs), dict(sorted(counts.items())), tuple(warnings))


def normalise_line(line: str) -> str:
    """One raw line as the cleaner reads it (widths, spaces, pinyin, mojibake fixed), for
    callers that read the raw text, such as metadata extraction."""
    return _clean_line(line, Counter(), [])


def _line_rule(line: str) -> str | None:
    """Name of the rule that drops this (normalised) line, or None when it is body text."""
    simplified = to_simplified(line)
    if _is_spam(simplified):
        return "spam"
    if len(line) > _BOILERPLATE_MAX_CHARS:  # a page footer glued to the body is still body
        return None
    return next((name for name, pattern in LINE_RULES if pattern.search(simplified)), None)


def _clean_line(line: str, counts: Counter[str], warnings: list[str]) -> str:
    line = _collapse_runs(line, counts, warnings)  # first: every later rule then reads the short line
    line = _half_width(line, counts)
    line = _count_sub(_PINYIN, "", line, "pinyin", counts)
    line = _drop_mojibake(line, counts, warnings)
    if _INJECTION_HINT.search(line):
        line = _count_sub(_INJECTION, "", line, "prompt_injection", counts)
    line = _count_sub(_INLINE_CAPTION, "", line, "caption", counts)
    line = _count_sub(_INVISIBLE, "", line, "spaces", counts)
    line = _count_sub(_BIDI, "", line, "bidi_control", counts)
    return _count_sub(_SPACES, " ", line.strip(), "spaces", counts)


def _count_sub(pattern: re.Pattern[str], repl: str, text: str, rule: str, counts: Counter[str]) -> str:
    text, n = pattern.subn(repl, text)
    if n:
        counts[rule] += n
    return text


def _collapse_runs(line: str, counts: Counter[str], warnings: list[str]) -> str:
    def collapse(match: re.Match[str]) -> str:
        unit = match.group(1)
        counts["repeated_run"] += 1
        warnings.append(f"repeated text collapsed: {unit!r} × {len(match.group()) // len(unit)}")
        return unit * _RUN_KEPT

    return _REPEATED_RUN.sub(collapse, line)


def _half_width(line: str, counts: Counter[str]) -> str:
    # Only letters and digits: full-width punctuation (，：（）) is the correct Chinese form.
    out = []
    for char in line:
        if char.isalnum() and "\uff10" <= char <= "\uff5a":
            char = chr(ord(char) - 0xFEE0)
            counts["fullwidth"] += 1
        out.append(char)
    return "".join(out)


def _is_spam(line: str) -> bool:
    line = line.lower()
    strong = set(_SPAM_STRONG.findall(line))
    if len(strong) >= 3:
        return True
    # Fewer strong terms can be a report on a crackdown (打击偷拍、色情); keyword lists are not
    # sentences.
    if _SENTENCE_PUNCT.search(line):
        return False
    if len(strong) == 2:
        return True
    weak = set(_SPAM_WEAK.findall(_SPAM_STRONG.sub(" ", line)))
    return bool(strong) and len(strong) + len(weak) >= 3 and bool(_KEYWORD_CHAIN.search(line))


# --- mojibake ---------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _is_rare_cjk(char: str) -> bool:
    """A CJK character outside GB2312 level 1 and Big5 level 1 (the common sets)."""
    if not HAN_CHAR.match(char):
        return False
    try:
        gb = char.encode("gb2312")
        if 0xB0 <= gb[0] <= 0xD7:
            return False
    except UnicodeEncodeError:
        pass
    try:
        big5 = int.from_bytes(char.encode("big5"), "big")
        return not 0xA440 <= big5 <= 0xC67E
    except UnicodeEncodeError:
        return True


def _suspect_kind(char: str) -> str | None:
    """'glue' for ?/^, 'stray' for non-Chinese letters and unassigned or private-use code
    points, 'rare' for rare CJK, else None."""
    if char in _GLUE:
        return "glue"
    category = unicodedata.category(char)
    if category in _STRAY_CATEGORIES or (ord(char) > 0x7F and category[0] == "L" and not HAN_CHAR.match(char)):
        return "stray"
    return "rare" if _is_rare_cjk(char) else None


def _mojibake_runs(line: str) -> Iterable[tuple[int, int]]:
    """Spans of mojibake: at least three suspect characters close together, of two kinds.

    Legit text has isolated rare characters (驿, 潢涌村) or a lone foreign word; only decoding
    garbage mixes rare CJK, stray letters (α, ь, ō, ぷ, private-use) and ?/^ within a few characters.
    """
    for run in _suspect_clusters(line):
        if len(run) >= 3 and len({kind for _, kind in run}) >= 2:
            yield run[0][0], _run_end(line, run[0][0], run[-1][0] + 1)


def _suspect_clusters(line: str) -> Iterable[list[tuple[int, str]]]:
    run: list[tuple[int, str]] = []
    for i, char in enumerate(line):
        kind = _suspect_kind(char)
        if not kind:
            continue
        if run and (i - run[-1][0] - 1 > _MOJIBAKE_GAP or " " in line[run[-1][0] : i]):
            yield run
            run = []
        run.append((i, kind))
    if run:
        yield run


def _run_end(line: str, start: int, end: int) -> int:
    # A run ending inside glued pinyin, 鐓^(q|ū), takes the rest of the parenthesis with it.
    if line.count("(", start, end) > line.count(")", start, end):
        tail = _PINYIN_TAIL.match(line, end)
        if tail:
            return tail.end()
    return end


def _drop_mojibake(line: str, counts: Counter[str], warnings: list[str]) -> str:
    for start, end in reversed(list(_mojibake_runs(line))):
        before, after = line[:start].rstrip().rstrip("，,、：:"), line[end:]
        warnings.append(f"{MOJIBAKE_DROPPED}: {line[start:end]!r} after {before[-12:]!r}")
        counts["mojibake"] += 1
        # The cut sentence ends here; a stub of one or two characters before the next comma
        # is the tail of a word the run swallowed (千頭萬緒 -> 萬緒,), so it goes too.
        after = after[_AFTER_RUN.match(after).end() :]
        stop = "" if not before or not after or ends_sentence(before) else "。"
        line = before + stop + after
    return line


# --- punctuation and paragraphs ---------------------------------------------------------


def _is_cjk_side(char: str, closing: bool) -> bool:
    return bool(HAN_CHAR.match(char)) or char in (_CJK_CLOSE if closing else _CJK_OPEN)


def _cjk_punctuation(line: str, counts: Counter[str]) -> str:
    def full(match: re.Match[str]) -> str:
        i = match.start()
        prev, nxt = line[i - 1 : i], line[i + 1 : i + 2]
        if prev.isdigit() and nxt.isdigit():  # 12:10, 1,000
            return match.group()
        if (prev and _is_cjk_side(prev, closing=True)) or (nxt and _is_cjk_side(nxt, closing=False)):
            counts["cjk_punctuation"] += 1
            return _FULL_PUNCT[match.group()]
        return match.group()

    def parens(match: re.Match[str]) -> str:
        if not HAN_CHAR.search(match.group(1)):  # (a), (2020): not Chinese text
            return match.group()
        counts["cjk_punctuation"] += 1
        return f"（{match.group(1)}）"

    line = _HALF_PUNCT.sub(full, line)
    return _HALF_PARENS.sub(parens, line)


def _drop_duplicates(paragraphs: list[str], counts: Counter[str]) -> list[str]:
    # Image banners are often scraped twice, once as alt text and once as the caption.
    seen: set[str] = set()
    kept = []
    for paragraph in paragraphs:
        key = re.sub(r"\s", "", paragraph)
        if len(key) >= _DUPLICATE_MIN_CHARS and key in seen:
            counts["duplicate_line"] += 1
            continue
        seen.add(key)
        kept.append(paragraph)
    return kept


def _join_broken(paragraphs: list[str], counts: Counter[str]) -> list[str]:
    """Rejoin a paragraph that a page layout (a photo, an ad) cut in mid-word: 實 / 施.

    A line longer than a heading that stops without ending its sentence was cut, when the next
    line goes on with a Chinese character rather than a marker or quote.
    """
    joined: list[str] = []
    for paragraph in paragraphs:
        previous = joined[-1] if joined else ""
        if (
            len(previous) > HEADING_MAX_CHARS
            and not _PARAGRAPH_END.search(previous)
            and _PARAGRAPH_START.match(paragraph)
        ):
            joined[-1] = previous + paragraph
            counts["broken_paragraph"] += 1
        else:
            joined.append(paragraph)
    return joined
