from index.bm25 import Bm25Index, tokenize


def test_tokens_are_characters_number_runs_and_their_bigrams():
    tokens = tokenize("户籍人口1867人，增长42.86%")
    assert {"户", "籍", "户籍", "1867", "1867人", "42.86%"} <= set(tokens)
    assert "，" not in "".join(tokens)


def test_search_ranks_the_matching_chunk_first_and_respects_allowed_ids():
    index = Bm25Index.build(
        ["donghua", "donation", "dongcheng"],
        ["东华村户籍人口1867人", "市捐赠站站长吴木蔚", "东城街道社区党组织书记"],
    )
    assert index.search("东华村户籍人口有多少", 3)[0][0] == "donghua"
    assert index.search("捐赠站站长是谁", 3)[0][0] == "donation"
    assert [cid for cid, _ in index.search("东华村户籍人口", 3, allowed={"dongcheng"})] == ["dongcheng"]


def test_no_match_gives_no_hits():
    index = Bm25Index.build(["a"], ["东华村户籍人口"])
    assert index.search("深圳南山", 5) == []
    assert index.search("？？", 5) == []


def test_saved_index_answers_like_the_original(tmp_path):
    index = Bm25Index.build(["a", "b"], ["东华村户籍人口", "市捐赠站站长"])
    index.save(tmp_path / "bm25")
    loaded = Bm25Index.load(tmp_path / "bm25")
    assert loaded.search("站长", 2) == index.search("站长", 2)


def test_missing_folder_loads_as_empty_index(tmp_path):
    assert Bm25Index.load(tmp_path / "nothing").search("东华村", 5) == []
