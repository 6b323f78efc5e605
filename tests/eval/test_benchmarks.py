import json

import pytest

from eval.benchmarks import SAMPLES, Sample, bench_set, build_sample
from eval.paths import SAMPLE_ARTICLES, SEEDS
from eval.questions import load_questions


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "bench"
    folder.mkdir()
    questions = [
        {"id": f"q{i}", "question": f"问题{i}？", "answers": [f"答{i}"], "doc_id": f"d{i}", "context": "…"}
        for i in range(20)
    ]
    questions[0] = {**questions[0], "doc_ids": ["d0", "d19"]}
    write_jsonl(folder / "qa.jsonl", questions)
    docs = [{"doc_id": f"d{i}", "title": "", "text": f"正文{i}，答{i}。", "source": "x"} for i in range(40)]
    docs[1]["date"], docs[2]["date"] = "2023年7月8日 14:22 来自北京", "来源：中国青年报客户端"
    write_jsonl(folder / "docs-00.jsonl", docs[:25])
    write_jsonl(folder / "docs-01.jsonl", docs[25:])
    return folder


def test_sample_holds_the_gold_documents_then_distractors(source, tmp_path):
    built = build_sample(
        "toy", Sample("bench", "qa.jsonl", "docs-*.jsonl", questions=5, documents=12), source.parent, tmp_path / "out"
    )
    questions = load_questions(built.questions)
    docs = [json.loads(line) for line in built.docs.read_text(encoding="utf-8").splitlines()]
    gold = {d for q in questions for d in q.doc_ids}
    assert len(questions) == 5 and len(docs) == 12
    assert gold <= {d["doc_id"] for d in docs}
    assert "context" not in built.questions.read_text(encoding="utf-8")


def test_scraped_dates_become_iso_days_or_nothing(source, tmp_path):
    built = build_sample(
        "toy", Sample("bench", "qa.jsonl", "docs-*.jsonl", questions=20, documents=40), source.parent, tmp_path
    )
    docs = {d["doc_id"]: d for d in map(json.loads, built.docs.read_text(encoding="utf-8").splitlines())}
    assert docs["d1"]["date"] == "2023-07-08"
    assert "date" not in docs["d2"]


def test_sample_is_the_same_every_time(source, tmp_path):
    sample = Sample("bench", "qa.jsonl", "docs-*.jsonl", questions=5, documents=12)
    first = build_sample("toy", sample, source.parent, tmp_path / "a")
    second = build_sample("toy", sample, source.parent, tmp_path / "b")
    assert first.questions.read_bytes() == second.questions.read_bytes()
    assert first.docs.read_bytes() == second.docs.read_bytes()


def test_pool_distractors_are_the_questions_nearest_documents(source, tmp_path):
    pool = tmp_path / "news"
    pool.mkdir()
    near = [{"doc_id": f"n{i}", "title": "", "text": f"问题{i}？相关报道。"} for i in range(20)]
    far = [{"doc_id": f"f{i}", "title": "", "text": f"天气晴朗，气温{i}度。"} for i in range(30)]
    write_jsonl(pool / "docs.jsonl", far + near)
    sample = Sample("bench", "qa.jsonl", "docs-*.jsonl", questions=3, documents=100, pool=("news/*.jsonl",))
    built = build_sample("toy", sample, tmp_path, tmp_path / "out")
    asked = {q.question for q in load_questions(built.questions)}
    gold = {d for q in load_questions(built.questions) for d in q.doc_ids}
    distractors = {d["doc_id"] for d in map(json.loads, built.docs.read_text(encoding="utf-8").splitlines())} - gold
    # Every near document shares 问题 with every question; no far one shares a bigram with any.
    assert distractors == {d["doc_id"] for d in near}
    # With room for three, each question gets its own best neighbour first.
    few = Sample("bench", "qa.jsonl", "docs-*.jsonl", 3, len(gold) + 3, pool=("news/*.jsonl",))
    built = build_sample("few", few, tmp_path, tmp_path / "out")
    picked = {d["doc_id"] for d in map(json.loads, built.docs.read_text(encoding="utf-8").splitlines())} - gold
    assert picked == {"n" + q.removeprefix("问题").removesuffix("？") for q in asked}


def test_a_built_sample_is_reused_until_its_sources_change(source, tmp_path):
    sample = Sample("bench", "qa.jsonl", "docs-*.jsonl", questions=5, documents=12)
    built = build_sample("toy", sample, source.parent, tmp_path)
    built.docs.write_text("stale\n", encoding="utf-8")
    assert build_sample("toy", sample, source.parent, tmp_path).docs.read_text(encoding="utf-8") == "stale\n"
    (source / "docs-01.jsonl").write_text((source / "docs-01.jsonl").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert "stale" not in build_sample("toy", sample, source.parent, tmp_path).docs.read_text(encoding="utf-8")


def test_seeds_are_the_repository_set_over_the_sample_articles(tmp_path):
    assert bench_set("seeds", tmp_path).docs == SAMPLE_ARTICLES and bench_set("seeds", tmp_path).questions == SEEDS


def test_unknown_set_or_missing_shared_folder_says_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="choose from seeds"):
        bench_set("squad", tmp_path)
    with pytest.raises(FileNotFoundError, match="--benchmarks"):
        bench_set("ncpqa", tmp_path, tmp_path / "nowhere")


@pytest.mark.e2e  # ranks the 68k CRUD-RAG articles for distractors: about 20 s a set
@pytest.mark.parametrize("name", ["ncpqa", "crud", "cmrc"])
def test_real_samples_load_as_datasets(name, tmp_path):
    built = bench_set(name, tmp_path)
    assert built.questions.is_relative_to(tmp_path) and built.docs.is_relative_to(tmp_path)
    questions = load_questions(built.questions)
    docs = [json.loads(line) for line in built.docs.read_text(encoding="utf-8").splitlines()]
    assert {d for q in questions for d in q.doc_ids} <= {d["doc_id"] for d in docs}
    assert len(docs) == SAMPLES[name].documents and len(questions) == SAMPLES[name].questions
