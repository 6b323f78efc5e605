from eval.metrics.citation import (
    citation_precision,
    citation_recall,
    quote_precision,
    quote_recall,
    unsupported_number_rate,
)

GOLD = [("1867人",), ("吴木蔚",)]


def test_precision_is_the_share_of_citations_holding_a_gold_answer():
    cited = [["全村戶籍人口1867人。", "东城街道"], ["市捐赠站站长吴木蔚"]]
    assert citation_precision(cited, GOLD) == 2 / 3


def test_precision_without_citations_is_undefined():
    assert citation_precision([[], []], GOLD) is None


def test_recall_is_the_share_of_questions_citing_a_gold_chunk():
    cited = [["东城街道", "户籍人口 1867 人"], ["东城街道"]]
    assert citation_recall(cited, GOLD) == 0.5
    assert citation_recall([], []) is None


def test_unsupported_number_rate_counts_answers_not_warnings():
    warnings = [["unsupported_number:1900", "unsupported_number:12"], ["unquoted_phrase:“x”"], []]
    assert unsupported_number_rate(warnings) == 1 / 3
    assert unsupported_number_rate([]) is None


def test_quote_precision_counts_citations_whose_quote_holds_a_gold_answer():
    quotes = [["全村戶籍人口1867人。", ""], ["东城街道"]]  # an empty quote supports nothing
    assert quote_precision(quotes, GOLD) == 1 / 3
    assert quote_precision([[], []], GOLD) is None


def test_quote_recall_is_the_share_of_questions_quoting_a_gold_answer():
    assert quote_recall([["户籍人口 1867 人"], ["", "东城街道"]], GOLD) == 0.5
    assert quote_recall([], []) is None
