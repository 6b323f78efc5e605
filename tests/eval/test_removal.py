from eval.questions import Question
from eval.removal import LibraryText, removal_questions


def q(qid: str, answers: tuple[str, ...], doc_ids: tuple[str, ...], answerable: bool = True) -> Question:
    return Question(qid, "?", answers, answerable, doc_ids)


LIBRARY = [
    LibraryText("d1", "d1", "东华村户籍人口1867人。"),
    LibraryText("d1-copy", "d1", "转载：东华村戶籍人口 1,867 人"),  # a near-copy of d1: leaves with it
    LibraryText("d2", "d2", "市捐赠站站长吴木蔚。"),
    LibraryText("d3", "d3", "另一篇文章也提到站长吴木蔚。"),
    LibraryText("d4", "d4", "补贴标准为每人2000元。"),
    LibraryText("d5", "d5", "补贴标准为每人200元。"),
]


def test_kept_only_when_no_remaining_document_holds_the_answer():
    questions = [
        q("gone", ("1867人",), ("d1",)),  # gold and its copy removed: nothing left holds it
        q("elsewhere", ("吴木蔚",), ("d2",)),  # d3 still holds it: not unanswerable
        q("both-gold", ("吴木蔚",), ("d2", "d3")),
    ]
    assert [x.id for x in removal_questions(questions, LIBRARY)] == ["gone", "both-gold"]


def test_a_copy_left_in_the_library_keeps_the_answer_there():
    library = [LibraryText("d1", "d1", "户籍人口1867人"), LibraryText("d1-copy", "other", "户籍人口1867人")]
    assert removal_questions([q("gone", ("1867人",), ("d1",))], library) == []


def test_answers_are_compared_normalised():
    # Traditional script, full-width digits and spacing in the library still hold the answer.
    library = [LibraryText("d1", "d1", "x"), LibraryText("d9", "d9", "戶籍人口 １８６７ 人")]
    assert removal_questions([q("q", ("1867人",), ("d1",))], library) == []


def test_a_bare_number_inside_a_longer_one_counts_as_present():
    # "200" occurs in d4's "2000": the question is dropped (conservative; see eval.removal).
    assert removal_questions([q("q", ("200元",), ("d5",)), q("r", ("200",), ("d5",))], LIBRARY) == [
        q("q", ("200元",), ("d5",))
    ]


def test_unanswerable_and_goldless_questions_are_not_asked():
    questions = [q("u", (), (), answerable=False), q("nogold", ("1867人",), ())]
    assert removal_questions(questions, LIBRARY) == []


def test_library_of_a_jsonl_set_is_its_searchable_documents_with_their_stories(tmp_path):
    import json
    from types import SimpleNamespace

    from eval.removal import library_texts
    from index.types import Chunk

    docs = tmp_path / "set.docs.jsonl"
    rows = [
        {"doc_id": "a", "title": "标题", "text": "原文"},
        {"doc_id": "b", "text": "转载原文"},
        {"doc_id": "c", "text": "与a完全相同，未入库"},
    ]
    docs.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    chunks = [Chunk("a", "原文", "原文", 0, 2, "标题"), Chunk("b", "转载", "转载", 0, 2, "", canonical_doc_id="a")]
    idx = SimpleNamespace(store=SimpleNamespace(chunks=lambda: iter(chunks)))
    library = library_texts(idx, [docs])
    assert [(t.doc_id, t.story_id, t.text) for t in library] == [("a", "a", "标题\n原文"), ("b", "a", "\n转载原文")]
    assert [(t.doc_id, t.story_id) for t in library_texts(idx, [tmp_path])] == [("a", "a"), ("b", "a")]
