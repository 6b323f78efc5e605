"""The scale benchmark's harness (bench.scale*), on a tiny made-up corpus and the hash embedding:
the corpus order, a stopped ingest resumed to the same index, and copies that ingest keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.scale_corpus import load_corpus, read_jsonl
from bench.scale_stages import COPY_MARK, add_copies, grow, serve
from index.catalog import Catalog
from index.service import open_index
from tests.conftest import make_settings
from tests.fakes import HashEmbeddings

PLACES = ["东城街道", "东华村", "东区街道", "石龙镇", "虎门镇", "长安镇", "塘厦镇", "凤岗镇"]


def _article(n: int) -> str:
    place = PLACES[n % len(PLACES)]
    sentences = [f"{place}第{n}期工作简报第{i}条：今年共投入资金{n * 37 + i}万元，新建服务站{i + n % 5}个。" for i in range(12)]
    return "".join(sentences)


def _write(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


@pytest.fixture
def sources(tmp_path) -> tuple[Path, Path]:
    crud, xwlb = tmp_path / "crud", tmp_path / "xwlb"
    _write(crud / "docs-00.jsonl", [{"doc_id": f"crud-{n:03d}", "title": f"简报{n}", "text": _article(n)} for n in range(40)])
    qa = [{"id": f"q{n}", "question": f"{PLACES[n % 8]}第{n}期投入多少资金？", "answers": ["x"], "doc_ids": [f"crud-{n:03d}"]}
          for n in range(30, 36)]  # fmt: skip
    _write(crud / "qa.dev.jsonl", qa)
    _write(xwlb / "docs-00.jsonl", [{"doc_id": f"xwlb-{n:03d}", "title": f"新闻{n}", "text": _article(100 + n)} for n in range(10)])
    return crud, xwlb


def _corpus(tmp_path: Path, sources: tuple[Path, Path]):
    return load_corpus(tmp_path / "corpus", *sources, questions=4, shard_articles=5)


def test_asked_articles_come_first_and_probes_are_held_out(tmp_path, sources):
    corpus = _corpus(tmp_path, sources)
    order = [r["doc_id"] for s in corpus.shards for r in read_jsonl(Path(s.path))]
    probes = [r["doc_id"] for p in corpus.probes for r in read_jsonl(Path(p))]
    assert order[:6] == [f"crud-{n:03d}" for n in range(30, 36)]
    assert order[-10:] == [f"xwlb-{n:03d}" for n in range(10)]
    assert not set(probes) & set(order) and len(order) + len(probes) == 50
    asked = [q["doc_ids"][0] for q in read_jsonl(corpus.questions_path)]
    assert len(asked) == 4 and len(list(read_jsonl(corpus.warmup_path))) == 2 and set(asked) <= set(order[:6])
    assert _corpus(tmp_path, sources) == corpus  # written once, then read back


def _stored(idx) -> tuple[list[dict], list[str]]:
    return idx.export_rows(), sorted(idx.catalog.paths())


def test_a_stopped_ingest_resumes_to_the_same_index(tmp_path, sources, monkeypatch):
    corpus = _corpus(tmp_path, sources)
    with open_index(make_settings(tmp_path / "whole"), HashEmbeddings()) as idx:
        grow(idx, corpus, None, lambda row: None, group_min=1)
        expected = _stored(idx)
    log: list[dict] = []
    settings = make_settings(tmp_path / "stopped")
    original = Catalog.replace_file
    calls = []

    def killed_on_the_fourth_file(self, *args):
        calls.append(args[0])
        if len(calls) == 4:  # its chunks are stored, its catalog entry is not
            raise KeyboardInterrupt
        original(self, *args)

    monkeypatch.setattr(Catalog, "replace_file", killed_on_the_fourth_file)
    with open_index(settings, HashEmbeddings()) as idx, pytest.raises(KeyboardInterrupt):
        grow(idx, corpus, None, log.append, group_min=1)
    monkeypatch.setattr(Catalog, "replace_file", original)
    with open_index(settings, HashEmbeddings()) as idx:
        assert len(idx.catalog.paths()) == 3
        grow(idx, corpus, None, log.append, group_min=1)
        assert _stored(idx) == expected
        assert idx.store.bm25_in_step()
    # each shard is tallied once, by the call that finished it; the stopped call tallies what it stored
    assert [r.get("interrupted", False) for r in log].count(True) == 1
    assert log[-1]["chunks"] == len(expected[0]) and sum(r["shards"] for r in log) == len(corpus.shards)


def test_copies_reach_the_target_with_the_stored_vectors_and_survive_an_ingest(tmp_path, sources):
    corpus = _corpus(tmp_path, sources)
    with open_index(make_settings(tmp_path / "index"), HashEmbeddings()) as idx:
        grow(idx, corpus, None, lambda row: None)
        real = idx.store.count()
        add_copies(idx, 2 * real + 1, lambda row: None)
        copies = idx.store.count()
        assert copies > 2 * real
        original = {(c.start, c.text): v for c, v in idx.store.vectors_of(["crud-030"])}
        copied = {(c.start, c.text): v for c, v in idx.store.vectors_of([f"crud-030{COPY_MARK}1"])}
        assert original and copied == original
        assert idx.store.bm25_in_step()
        assert any(COPY_MARK in hit.chunk.doc_id for hit in idx.store.search_bm25("第30期工作简报", 10))
        report = idx.ingest([Path(corpus.probes[0])])  # reconciles with the catalog first: the copies are in it
        assert idx.store.count() == copies + report.chunks


def test_serve_reports_memory_at_each_step_and_the_same_answers_twice(tmp_path, sources):
    corpus = _corpus(tmp_path, sources)
    settings = make_settings(tmp_path / "index")
    with open_index(settings, HashEmbeddings()) as idx:
        grow(idx, corpus, None, lambda row: None)
    first, second = (serve(settings, corpus, HashEmbeddings(), 0) for _ in range(2))
    rss = first["rss_mib"]
    assert list(rss) == ["started", "opened", "first_question", "warm", "steady", "peak"]  # no model: the fake one
    assert all(rss[s]["anon"] + rss[s]["file"] <= rss[s]["now"] + 1 for s in ("started", "steady"))
    assert rss["peak"] >= rss["steady"]["now"] and "anonymous" in first["smaps_mib"]["steady"]["groups"]
    assert first["questions"] == 4 and first["answers_sha256"] == second["answers_sha256"]


def test_the_all_part_has_no_target_and_cannot_be_reached_by_copies(tmp_path, sources):
    from bench.scale import Run, run_part

    run = Run(tmp_path, "static", scale=0.01, fake=True, crud=sources[0], xwlb=sources[1], copies=True)
    assert run.target("all") is None and run.target("50k") == 500
    with pytest.raises(SystemExit, match="whole real corpus"):
        run_part(run, "all")
