from index.dedup import NearDuplicates, signature

STORY = (
    "东华村位于增城区新塘镇中心，区位优势较好、交通便利，是个典型的城郊融合的城中村。"
    "全村总面积约1.5平方公里，由4个经济合作社组成。截至2023年1月，全村户籍人口1867人，外来人员约8500人。"
)
OTHER = "市捐赠站党支部组织开展主题党日活动，通过集中学习、专题党课、座谈交流，让全站退休党员和在职党员共同接受了一次深刻的思想教育。"


def test_a_repost_with_extra_lines_links_to_the_canonical_article():
    dupes = NearDuplicates({"orig": ("orig", signature(STORY))}, threshold=0.8)
    assert dupes.canonical_for("repost", signature("转载：" + STORY + "（来源：某网）")) == "orig"


def test_an_unrelated_article_and_the_article_itself_are_not_copies():
    dupes = NearDuplicates({"orig": ("orig", signature(STORY))}, threshold=0.8)
    assert dupes.canonical_for("other", signature(OTHER)) is None
    assert dupes.canonical_for("orig", signature(STORY)) is None


def test_a_copy_of_a_copy_points_to_the_first_canonical():
    dupes = NearDuplicates({"orig": ("orig", signature(STORY)), "copy": ("orig", signature(STORY + "。"))}, 0.8)
    assert dupes.canonical_for("third", signature(STORY + "！")) == "orig"


def test_bigram_jaccard_is_one_for_a_repeat_and_zero_for_unrelated_text():
    from index.text.similarity import bigram_jaccard

    assert bigram_jaccard(STORY, STORY) == 1.0
    assert bigram_jaccard(STORY, "甲乙丙丁") == 0.0
    assert 0.6 < bigram_jaccard(STORY, "转载：" + STORY) < 1.0
    assert bigram_jaccard("", STORY) == 0.0
