"""Short-answer spans of the extractive answerer on CMRC 2018 *train* questions, cheaply.

A development check, not a benchmark: no embedding model, no index. The passages of the
sampled questions are chunked as ingest chunks them, BM25 over those chunks gives each
question its top ``k`` hits, ``rag.extractive.extract_answer`` answers, and CMRC-style F1/EM
(``eval.metrics.answer``) score the whole answer and its ``short_answer`` (the whole answer
when that is empty). Questions come from the train file so that span rules are never tuned
on the dev questions the CI benchmark samples.

    python -m eval.span_dev [--questions 300] [--k 5] [--show 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from langchain_core.documents import Document

from core.settings import Settings
from eval.benchmarks import first_by_hash, read_jsonl
from eval.metrics.answer import AnswerScore, answer_metrics, score_answer
from index.bm25 import Bm25Index
from index.chunking import chunk_document
from index.text.script import to_simplified
from rag.extractive import extract_answer
from rag.question import analyse
from rag.types import RetrievedChunk

CMRC = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "cmrc2018"
SALT = "span-dev-1"  # not the CI salt: another draw, and from the train file anyway


def sample(folder: Path, n: int) -> tuple[list[dict], dict[str, dict]]:
    """The ``n`` train questions with the smallest salted id hash, and their passages."""
    questions = first_by_hash(read_jsonl(folder / "train.qa.jsonl"), "id", n, SALT)
    wanted = {q["doc_id"] for q in questions}
    docs = {d["doc_id"]: d for d in read_jsonl(folder / "train.docs.jsonl") if d["doc_id"] in wanted}
    return questions, docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--show", type=int, default=0, help="print this many answers with their gold")
    parser.add_argument("--data", type=Path, default=CMRC)
    args = parser.parse_args()

    questions, docs = sample(args.data, args.questions)
    chunks = [
        chunk
        for doc in docs.values()
        for chunk in chunk_document(Document(doc["text"], metadata={"doc_id": doc["doc_id"], "title": doc.get("title")}))
    ]
    index = Bm25Index.build([str(i) for i in range(len(chunks))], [c.search_text for c in chunks])
    prompts = Settings().prompts_dir

    whole: list[AnswerScore] = []
    short: list[AnswerScore] = []
    has_short = 0
    for i, question in enumerate(questions):
        found = index.search(to_simplified(question["question"]), args.k)
        hits = [RetrievedChunk(chunks[int(c)], score) for c, score in found]
        draft = extract_answer(analyse(question["question"]), hits, prompts)
        has_short += bool(draft.short_answer)
        whole.append(score_answer(draft.text, question["answers"]))
        short.append(score_answer(draft.short_answer or draft.text, question["answers"]))
        if i < args.show:
            print(f"{question['question']}  gold={question['answers'][0]}  kind={analyse(question['question']).kind}")
            print(f"   short={draft.short_answer!r}  f1={short[-1].f1:.2f}\n   text={draft.text[:120]!r}")

    print(f"CMRC train sample: {len(questions)} questions, {len(chunks)} chunks, top {args.k} by BM25")
    print(f"short answers given: {has_short}/{len(questions)}")
    for name, scores in (("whole answer", whole), ("short answer", short)):
        metrics = answer_metrics(scores)
        print(f"{name:13s} contains={metrics['contains']:.3f} f1={metrics['f1']:.3f} em={metrics['em']:.3f}")


if __name__ == "__main__":
    main()
