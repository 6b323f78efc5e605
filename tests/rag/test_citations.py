import pytest

from index.text.sentences import sentence_spans
from rag.citations import DROPPED, UNQUOTED_PHRASE, UNSUPPORTED_NUMBER, check_citations, numbers
from tests.rag.conftest import as_hits, make_chunk

CENSUS = "截至2023年1月,全村户籍人口1867人,外来人员约8500人。村内在册党员118人(含回村报到的流动党员),村民代表46人。"
MODEL = "初步探索形成“强基治理、精准治理、平安治理、智慧治理、长效治理”的东华村“五治”工作模式。"
DONATION = "市捐赠站站长、党支部书记吴木蔚同志首先小结讲评前一阶段主题教育开展情况。"


@pytest.fixture
def hits():
    return as_hits(
        [
            make_chunk(CENSUS, doc_id="donghua", title="东华村背景资料", date="2023-06-01"),
            make_chunk(MODEL, doc_id="donghua", title="东华村背景资料", date="2023-06-01"),
            make_chunk(DONATION, doc_id="donation", title="市捐赠站主题党日"),
        ]
    )


def kinds(warnings: tuple[str, ...], prefix: str) -> list[str]:
    return [w.removeprefix(prefix) for w in warnings if w.startswith(prefix)]


def test_a_faithful_answer_passes_and_lists_its_sources(hits):
    checked = check_citations("全村户籍人口1867人。[1]东华村形成“五治”工作模式。[2]", hits)
    assert checked.warnings == ()
    assert checked.cited == (1, 2)
    assert checked.text == "全村户籍人口1867人。[1]东华村形成“五治”工作模式。[2]"


@pytest.mark.parametrize(
    ("text", "kept", "dropped"),
    [
        ("户籍人口1867人。[4]", "户籍人口1867人。", ["[4]"]),
        ("户籍人口1867人。[0]", "户籍人口1867人。", ["[0]"]),
        ("户籍人口1867人[1,7]。", "户籍人口1867人[1]。", ["[7]"]),
        ("户籍人口1867人【1】【2】。", "户籍人口1867人[1][2]。", []),
        ("户籍人口1867人[１，３]。", "户籍人口1867人[1][3]。", []),
    ],
)
def test_markers_are_normalised_and_out_of_range_ones_dropped(hits, text, kept, dropped):
    checked = check_citations(text, hits)
    assert checked.text == kept
    assert kinds(checked.warnings, DROPPED) == dropped


def test_numbers_inside_markers_are_not_facts(hits):
    assert kinds(check_citations("东华村形成“五治”工作模式。[2]", hits).warnings, UNSUPPORTED_NUMBER) == []


@pytest.mark.parametrize(
    ("text", "unsupported"),
    [
        ("全村户籍人口1900人。[1]", ["1900"]),  # an invented figure
        ("全村户籍人口1,867人,外来人员约８５００人。[1]", []),  # thousands comma, full-width digits
        ("户籍人口1867人,占比12.5%。[1]", ["12.5%"]),
        ("户籍人口1867人。[2]", ["1867"]),  # true, but not in the chunk this sentence cites
        ("户籍人口1867人。党员118人。[1]", []),  # an uncited sentence may lean on any cited chunk
        ("户籍人口1867人。[2]党员118人。[1]", ["1867"]),
        ("截至2023年1月：户籍人口1867人。[1]", []),
        ("2023-06-01：户籍人口1867人。[1]", []),  # a date label comes from the chunk's metadata
        ("户籍人口1867人。", ["1867"]),  # nothing cited, nothing supported
    ],
)
def test_numbers_must_occur_in_a_chunk_their_sentence_cites(hits, text, unsupported):
    assert kinds(check_citations(text, hits).warnings, UNSUPPORTED_NUMBER) == unsupported


@pytest.mark.parametrize(
    ("text", "unquoted"),
    [
        ("东华村形成“五治”工作模式。[2]", []),
        ("东华村形成「五治」工作模式。[2]", []),
        ("東華村形成“五治”工作模式,即“強基治理、精準治理、平安治理、智慧治理、長效治理”。[2]", []),  # other script
        ("东华村形成“六治”工作模式。[2]", ["“六治”"]),  # misquoted wording
        ("东华村形成“五治”工作模式。[1]", ["“五治”"]),  # right wording, wrong source
        ("东华村推进“强基治理、精准治理”。[2]", []),  # part of the wording, verbatim
        ("东华村推进“强基治理、长效治理”。[2]", ["“强基治理、长效治理”"]),  # items skipped: not verbatim
    ],
)
def test_quoted_wording_must_occur_verbatim_in_a_cited_chunk(hits, text, unquoted):
    assert kinds(check_citations(text, hits).warnings, UNQUOTED_PHRASE) == unquoted


def test_every_kind_of_failure_is_reported_once_with_its_prefix(hits):
    text = "站长是吴木蔚同志。[3]全村户籍人口1900人。[1]东华村形成“六治”模式。[2][9]"
    checked = check_citations(text, hits)
    assert sorted(checked.warnings) == sorted(
        [f"{DROPPED}[9]", f"{UNSUPPORTED_NUMBER}1900", f"{UNQUOTED_PHRASE}“六治”"]
    )
    assert checked.cited == (1, 2, 3)


def test_sentences_keep_their_markers_and_quotes_stay_whole():
    text = "“难事办成,小事办好。上级肯定,群众满意。”周锐勤表示。[1]  第二句！[2][3]\n标题"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "“难事办成,小事办好。上级肯定,群众满意。”",
        "周锐勤表示。[1]",
        "第二句！[2][3]",
        "标题",
    ]


def test_sentences_end_where_the_chunker_ends_them():
    text = "本台播发央视快评《向着新目标，奋楫再出发！》详见list.php?id=3。[1]"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "本台播发央视快评《向着新目标，奋楫再出发！》",
        "详见list.php?id=3。[1]",
    ]


def test_numbers_are_normalised():
    assert list(numbers("１,８６７人、42.50 %、007号、3.0")) == ["1867", "42.5%", "7", "3"]
    assert list(numbers("18，100%")) == ["18", "100%"]  # a full-width comma separates, never groups
