import re
from dataclasses import replace

import pytest
from opencc import OpenCC

from core.settings import Settings
from rag.citations import check_citations
from rag.extractive import Draft, extract_answer
from rag.question import analyse
from rag.prompts import load_text
from tests.rag.conftest import as_hits, make_chunk

CENSUS = "截至2023年1月，全村户籍人口1867人，外来人员约8500人。"
PROMPTS = Settings().prompts_dir
MARKED = re.compile(r"(.+?)((?:\[\d+\])+)")

QUESTIONS = [
    "东华村户籍人口有多少？",
    "東華村戶籍人口有多少？",
    "市捐赠站站长是谁？",
    "金花街道工委何时开展交叉检查？",
    "东华村形成了什么工作模式？",
    "东华村位于哪里？",
    "星城社区划分为几个网格？",
    "东华村有多少名党员？",
    "东莞将全市镇街划分为几大片区？",
    "星城社区黨委書記是誰？",
    "东莞市委书记是谁？",
    "东区街道划分了多少个四级网格？",
    "火炼树城市更新项目二期签约率是多少？",
    "东莞2019年安排基层党建经费多少？",
    "东城街道有哪些党建做法？",
    "中山市东区街道如何开展疫情防控？",
]


def sentences(draft: Draft) -> str:
    """The cited sentences of an answer, after its short answer line if it has one."""
    if not draft.short_answer:
        return draft.text
    short, rest = draft.text.split("\n", 1)
    assert re.fullmatch(rf"{re.escape(draft.short_answer)}\[\d+\]", short)
    return rest


def lead(draft: Draft) -> tuple[str, int]:
    """The first sentence of an answer and the hit number it cites."""
    sentence, markers = MARKED.match(sentences(draft)).groups()
    return sentence, int(markers[1:-1].split("][")[0])


def pieces(draft: Draft) -> list[tuple[str, list[int]]]:
    return [(text, [int(n) for n in re.findall(r"\d+", markers)]) for text, markers in MARKED.findall(sentences(draft))]


@pytest.mark.parametrize("question", ["东华村户籍人口有多少？", "東華村戶籍人口有多少？"])
def test_population_question_leads_with_the_census_sentence(retrieve, question):
    hits = retrieve(question)
    sentence, n = lead(extract_answer(analyse(question), hits, PROMPTS))
    assert sentence == CENSUS
    assert CENSUS in hits[n - 1].chunk.text


@pytest.mark.parametrize(
    ("question", "start"),
    [
        ("市捐赠站站长是谁？", "市捐赠站站长、党支部书记吴木蔚同志"),  # a role and a name
        ("金花街道工委何时开展交叉检查？", "6月13日，"),  # a date
        ("东华村位于哪里？", "东华村位于增城区新塘镇中心"),  # a place
        ("东华村有多少名党员？", "村内在册党员118人"),  # the figure right after 党员, not 党员……120余人次
        ("星城社区划分为几个网格？", "目前，社區劃分為6個網格"),  # a sentence whose paragraph names 星城社区
        ("东华村形成了什么工作模式？", "广州市民政局积极贯彻落实"),  # holds the “五治”工作模式
    ],
)
def test_factoid_questions_lead_with_the_sentence_holding_the_asked_fact(retrieve, question, start):
    sentence, _ = lead(extract_answer(analyse(question), retrieve(question), PROMPTS))
    assert sentence.startswith(start)


@pytest.mark.parametrize(
    ("question", "distractor", "answer"),
    [
        ("东华村户籍人口有多少？", "东华村户籍人口管理扎实有序。", CENSUS),
        ("市捐赠站站长是谁？", "市捐赠站站长要带领全站党员做好服务。", "市捐赠站召开会议,站长江山同志主持。"),  # 江山: no nr
        ("东华村党委书记是谁？", "东华村党委书记带头走访群众。", "东华村党委书记陈伟民表示,要压实责任。"),  # jieba: 陈/伟民
        ("市捐赠站站长是谁？", "市捐赠站站长要带领全站党员做好服务。", "吴木蔚任市捐赠站站长。"),  # a name, no role before it
        ("金花街道工委何时开展交叉检查？", "金花街道工委开展交叉检查,推进联络站建设。", "6月13日,金花街道工委开展交叉检查。"),
        ("东华村位于哪里？", "东华村位于全镇前列,东华村集体经济收入稳步增长。", "东华村位于增城区新塘镇中心。"),
        ("东华村形成了什么工作模式？", "东华村工作模式逐步形成,治理成效明显。", "东华村形成了“五治”工作模式。"),
    ],
)
def test_the_asked_fact_beats_a_better_ranked_sentence_without_it(question, distractor, answer):
    hits = as_hits([make_chunk(distractor, doc_id="a"), make_chunk(answer, doc_id="b")])
    draft = extract_answer(analyse(question), hits, PROMPTS)
    assert lead(draft) == (answer, 2)


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_are_cited_verbatim_source_sentences_that_pass_the_checks(retrieve, question):
    hits = retrieve(question)
    draft = extract_answer(analyse(question), hits, PROMPTS)
    found = pieces(draft)
    assert found and "".join(text + "".join(f"[{n}]" for n in ns) for text, ns in found) == sentences(draft)
    assert len(found) <= 3
    for text, ns in found:
        assert len(ns) == 1 and 1 <= ns[0] <= len(hits)
        assert text in hits[ns[0] - 1].chunk.text
        assert text in draft.quotes[ns[0]].split("\n")
    assert len(sentences(draft)) <= 220 + 3 * 3 or len(found) == 1  # markers and the short answer do not count
    if draft.short_answer:
        fact, _, as_of = draft.short_answer.partition("（")  # the fact, then any （截至……） from the template
        assert fact in found[0][0] and as_of.rstrip("）") in found[0][0]  # copied from the lead sentence
    assert check_citations(draft.text, hits).warnings == ()


def test_sentences_longer_than_the_budget_are_left_out(paragraph):
    hits = as_hits([paragraph(CENSUS)])
    draft = extract_answer(analyse("东华村户籍人口有多少？"), hits, PROMPTS, max_chars=60)
    assert sentences(draft) == f"{CENSUS}[1]"
    assert draft.quotes == {1: CENSUS}
    assert len(pieces(extract_answer(analyse("东华村有多少名党员？"), hits, PROMPTS, max_sentences=2))) <= 2


def test_a_sentence_reposted_in_another_script_is_used_once(paragraph):
    original = paragraph(CENSUS)
    repost = make_chunk(OpenCC("s2t").convert(original.text), doc_id="repost", title=original.title)
    draft = extract_answer(analyse("东华村户籍人口有多少？"), as_hits([original, repost]), PROMPTS, max_chars=1000)
    assert sentences(draft).count("1867") == 1


def test_different_figures_from_different_articles_are_both_shown_newest_first():
    older = make_chunk(CENSUS, doc_id="a", title="东华村背景资料", date="2023-06-01")
    newer = make_chunk("截至2024年6月,东华村户籍人口1902人。", doc_id="b", title="东华村新貌", date="2024-07-15")
    hits = as_hits([older, newer])
    draft = extract_answer(analyse("东华村户籍人口有多少？"), hits, PROMPTS)
    label = load_text("extractive_conflict", PROMPTS)
    assert draft.text == (
        f"{label.format(date='2024-07-15')}截至2024年6月,东华村户籍人口1902人。[2]"
        f"{label.format(date='2023-06-01')}{CENSUS}[1]"
    )
    assert draft.quotes == {1: CENSUS, 2: newer.text}
    assert check_citations(draft.text, hits).warnings == ()


def test_the_same_figure_in_a_copy_is_no_conflict():
    copies = [make_chunk(CENSUS, doc_id="a", date="2023-06-01"), make_chunk(CENSUS, doc_id="b", date="2024-01-01")]
    hits = as_hits(copies)
    assert sentences(extract_answer(analyse("东华村户籍人口有多少？"), hits, PROMPTS)) == f"{CENSUS}[1]"


def test_date_labels_come_from_the_configured_prompts_folder(edited_prompts):
    settings = edited_prompts("extractive_conflict", "〔{date}报道〕")
    older = make_chunk(CENSUS, doc_id="a", date="2023-06-01")
    newer = make_chunk("东华村户籍人口1902人。", doc_id="b", date="2024-07-15")
    text = extract_answer(analyse("东华村户籍人口有多少？"), as_hits([older, newer]), settings.prompts_dir).text
    assert text.startswith("〔2024-07-15报道〕东华村户籍人口1902人。[2]〔2023-06-01报道〕")


def test_copies_of_one_article_do_not_conflict_with_each_other():
    edited = replace(make_chunk("东华村户籍人口1902人。", doc_id="b"), canonical_doc_id="a")
    hits = as_hits([make_chunk(CENSUS, doc_id="a"), edited])
    undated = load_text("extractive_conflict", PROMPTS).format(date=load_text("extractive_undated", PROMPTS))
    assert undated not in extract_answer(analyse("东华村户籍人口有多少？"), hits, PROMPTS).text


def test_undated_figures_are_labelled_and_listed_last():
    hits = as_hits([make_chunk(CENSUS, doc_id="a"), make_chunk("东华村户籍人口1902人。", doc_id="b", date="2024-07-15")])
    text = extract_answer(analyse("东华村户籍人口有多少？"), hits, PROMPTS).text
    undated = load_text("extractive_conflict", PROMPTS).format(date=load_text("extractive_undated", PROMPTS))
    assert text.index("1902") < text.index(undated) < text.index("1867")


def test_no_hits_no_answer():
    assert extract_answer(analyse("东华村户籍人口有多少？"), [], PROMPTS) == Draft("", {})


@pytest.mark.parametrize(
    ("question", "sentence", "short"),
    [
        ("东华村户籍人口有多少？", CENSUS, "1867人（截至2023年1月）"),  # a figure, with the date it held at
        ("东华村有多少名党员？", "东华村现有党员118人,其中女党员32人。", "118人"),  # the figure of the asked word
        ("金花街道工委何时开展交叉检查？", "6月13日,金花街道工委开展交叉检查。", "6月13日"),  # a date
        ("范廷颂是什么时候出生的？", "范廷颂于1919年6月15日在越南宁平省出生。", "1919年6月15日"),  # the date between
        ("东华村党委书记是谁？", "东华村党委书记陈伟民表示,要压实责任。", "陈伟民"),  # a name
        ("东华村形成了什么工作模式？", "东华村形成了“五治”工作模式。", "“五治”"),  # a quoted term
        ("台湾最早的灯塔是什么？", "台湾最早的灯塔是澎湖西屿的石造灯塔,清朝年间兴建。", "澎湖西屿的石造灯塔"),  # the rest of its clause
        ("最常见的失明原因是什么？", "其中,白内障是最常见的失明原因。", "白内障"),  # Y是X answers X是什么
    ],
)
def test_a_factoid_answer_leads_with_the_asked_fact_copied_from_the_lead_sentence(question, sentence, short):
    hits = as_hits([make_chunk(sentence)])
    draft = extract_answer(analyse(question), hits, PROMPTS)
    assert draft.short_answer == short
    assert draft.text == f"{short}[1]\n{sentence}[1]"  # the whole lead sentence follows it
    assert check_citations(draft.text, hits).warnings == ()


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("东城街道有哪些党建做法？", "东城街道坚持党建引领,推行网格化管理。"),  # no fact of a kind asked for
        ("东华村的集体经济收入是多少？", "东华村成功交易集体资产32宗。"),  # a figure, not of 收入
    ],
)
def test_no_short_answer_without_an_asked_fact_of_the_asked_thing(question, sentence):
    draft = extract_answer(analyse(question), as_hits([make_chunk(sentence)]), PROMPTS)
    assert draft.short_answer == ""
    assert draft.text == f"{sentence}[1]"


def test_conflicting_figures_give_no_short_answer():
    hits = as_hits([make_chunk(CENSUS, doc_id="a"), make_chunk("东华村户籍人口1902人。", doc_id="b")])
    assert extract_answer(analyse("东华村户籍人口有多少？"), hits, PROMPTS).short_answer == ""


INCOME = "近年来,东华村集体经济收入在镇里位居前列,2022年达1200万元。"
PADDING = "各村集体经济收入稳步增长,乡村振兴成效明显。"


def test_a_short_figure_keeps_the_unit_after_its_scale_word():
    draft = extract_answer(analyse("东华村的集体经济收入是多少？"), as_hits([make_chunk(INCOME)]), PROMPTS)
    assert draft.short_answer == "1200万元"
    assert draft.text.startswith("1200万元[1]\n")


def test_no_padding_from_an_article_that_does_not_name_the_asked_place():
    question = analyse("东华村的集体经济收入情况怎样？")
    hits = as_hits([make_chunk(INCOME, doc_id="a"), make_chunk(PADDING, doc_id="b")])
    assert pieces(extract_answer(question, hits, PROMPTS)) == [(INCOME, [1])]
    # The same sentence is support when its article names 东华村, or is the lead's article.
    for other in (make_chunk(PADDING, doc_id="b", title="东华村新貌"), make_chunk(PADDING, doc_id="a")):
        assert pieces(extract_answer(question, as_hits([hits[0].chunk, other]), PROMPTS)) == [(INCOME, [1]), (PADDING, [2])]


def test_without_a_place_another_article_must_hold_the_asked_word():
    question = analyse("党费收缴标准怎么规定？")
    lead_sentence = "党费收缴标准为月工资收入的0.5%至2%。"
    holding, lacking = "各支部按党费收缴标准按月交纳党费。", "党费收缴工作规范有序,各支部按时交纳党费。"
    hits = as_hits([make_chunk(lead_sentence, doc_id="a"), make_chunk(lacking, doc_id="b"), make_chunk(holding, doc_id="c")])
    assert question.places == frozenset() and "标准" in question.focus
    assert pieces(extract_answer(question, hits, PROMPTS)) == [(lead_sentence, [1]), (holding, [3])]


def test_the_testers_question_adds_no_sentence_of_another_article(retrieve):
    question = "东华村的集体经济收入是多少？"
    hits = retrieve(question)
    draft = extract_answer(analyse(question), hits, PROMPTS)
    found = pieces(draft)
    story = hits[found[0][1][0] - 1].chunk.story_id
    for _, ns in found:
        chunk = hits[ns[0] - 1].chunk
        assert chunk.story_id == story or "东华村" in chunk.match_text
