"""The text rules of index.text: dates, places, normalisers, characters."""

from __future__ import annotations

import pytest

from index.text.chars import HAN_CHAR, NOT_HAN
from index.text.dates import date_bound, date_int
from index.text.normalise import compact, key_form, search_form, verbatim_form
from index.text.places import ARTICLE_PLACE_SUFFIX, PLACE_SUFFIXES, SUBJECT_SUFFIXES
from index.text.sentences import open_quote, sentence_spans


def test_stored_dates_become_numbers_only_when_full():
    assert date_int("2023-06-28") == 20230628
    assert date_int("2023-07-31 14:22") == 20230731
    assert date_int("2023/07/31") == 20230731
    assert date_int(None) == 0 and date_int("6月13日") == 0 and date_int("2023-06") == 0


@pytest.mark.parametrize(
    ("bound", "lower", "upper"),
    [
        ("2023-06-28", 20230628, 20230628),
        ("2023-06", 20230600, 20230699),
        ("2023", 20230000, 20239999),
    ],
)
def test_a_partial_date_bound_covers_its_whole_month_or_year(bound, lower, upper):
    assert date_bound(bound) == lower
    assert date_bound(bound, upper=True) == upper


def test_place_suffixes_of_articles_leave_out_words_ending_like_places():
    found = [m.group() for m in ARTICLE_PLACE_SUFFIX.finditer("东华村位于增城区新塘镇，全市各村的市场和城乡")]
    assert found == ["村", "区", "镇"]  # not 全市, 各村, 市场, nor 乡 at all
    assert "省" in PLACE_SUFFIXES and not ARTICLE_PLACE_SUFFIX.search("广东省")


def test_a_station_is_a_subject_but_not_a_place():
    assert "站" in SUBJECT_SUFFIXES and "站" not in PLACE_SUFFIXES
    assert set(PLACE_SUFFIXES) < set(SUBJECT_SUFFIXES)


def test_the_normal_forms_keep_what_each_comparison_needs():
    text = "黨建 引領，GDP增長1.5%"
    assert search_form(text) == "党建 引领，gdp增长1.5%"
    assert key_form(text) == "党建引领，gdp增长1.5%"
    assert verbatim_form(text) == "党建引领，GDP增长1.5%"
    assert compact(search_form(text)) == "党建引领gdp增长15"


def test_han_characters_include_extension_a_and_compatibility_ideographs():
    assert all(HAN_CHAR.match(ch) for ch in "党㐀豈")  # U+4E5A, U+3400, U+F900
    assert NOT_HAN.sub("", "党建a1，㐀") == "党建㐀"


def test_sentences_end_after_their_markers_and_not_inside_a_quote():
    text = "他说：“好。走吧。”然后离开了。[1] 第二句"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["他说：“好。走吧。”", "然后离开了。[1]", "第二句"]
    assert open_quote("他说：“好。") and not open_quote("“好。”")
