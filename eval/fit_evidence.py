"""`policyqa fit-evidence`: fit the answerability model (rag/answerability.json) on questions
the CI samples and seeds never ask.

Training questions come in pairs from reading-comprehension and policy QA sets:

- positive: the question asked of the whole collection, kept when a gold answer string is
  in the retrieved top-k chunks (else dropped: retrieval missed, nothing to learn here);
- removal negative: the same question asked with its gold documents (and their near-copies)
  left out of the search (``SearchFilter.exclude_doc_ids``), kept only when no remaining
  document holds a gold answer string.

Sets: CMRC 2018 train and DRCD dev (a salted-hash sample of passages, at most
``QUESTIONS_PER_PASSAGE`` questions each) and the NCPQA and CRUD-RAG tuning questions
(``eval.benchmarks.TUNING_SAMPLES``, which share no question with the CI samples) asked of the
tuning documents (the collections `eval-tune` fills). Every set is ingested through the real
pipeline into a collection of its own, so the features are the ones serving computes.
Retrieval results are cached per question in ``<data_dir>/fit-evidence/<collection>.jsonl``
(the collection's name carries the hash of its documents and ingest code): a re-run (or a
changed feature) costs seconds.

Documents (passages, policy articles) are split 80/20 by a salted hash of their id, so no
held-out question shares a document with a fitted one. A standardised logistic regression is
fitted on the 80 %; its threshold is the highest probability that refuses at most
``MAX_FALSE_REFUSALS`` of the answerable questions, read from 5-fold out-of-fold predictions
on the fit part (grouped by document); the 20 % is scored once, with Wilson intervals.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from eval.benchmarks import BenchSet, first_by_hash, read_jsonl, salted_hash, tuning_set
from eval.paths import SHARED_BENCHMARKS
from eval.report import write_rows
from eval.runner import ensure_ingested, target_for
from core.settings import Settings
from index.search import SearchFilter
from index.service import open_index
from index.text.normalise import search_form
from index.types import Chunk
from policyqa.factory import build_retriever
from rag.answerability import FEATURES, AnswerabilityModel, features
from rag.question import analyse
from rag.types import RetrievedChunk

SALT = "policyqa-evidence-1"
QUESTIONS_PER_PASSAGE = 2
# name -> (folder, qa file, docs file, passages); the policy sets are eval.benchmarks tuning samples.
PASSAGE_SETS = {
    "cmrc": ("cmrc2018", "train.qa.jsonl", "train.docs.jsonl", 150),
    "drcd": ("drcd", "dev.qa.jsonl", "dev.docs.jsonl", 60),
}
TUNING_SETS = ("ncpqa", "crud")
DEFAULT_SETS = ("cmrc", "drcd", "ncpqa", "crud")
HELD_OUT_SHARE = 0.2
MAX_FALSE_REFUSALS = 0.01
MIN_ANSWER_CHARS = 2  # a one-character answer (3, 是) is in every document: no removal negative


@dataclass(frozen=True)
class Case:
    """One training row: a question asked with or without its documents, and what came back."""

    set: str
    id: str
    group: str  # the gold document: held-out and fit parts never share one
    question: str
    answerable: bool
    hits: list[RetrievedChunk]


# --- the question sets ---------------------------------------------------------------------


def fit_set(name: str, data_dir: Path, shared: Path) -> BenchSet:
    if name in TUNING_SETS:
        return tuning_set(name, data_dir, shared)
    if name not in PASSAGE_SETS:
        raise ValueError(f"unknown set {name!r}; choose from {', '.join(DEFAULT_SETS)}")
    folder, qa, docs, passages = PASSAGE_SETS[name]
    return passage_sample(f"fit-{name}", shared / folder, qa, docs, passages, data_dir / "benchmarks")


def passage_sample(name: str, folder: Path, qa: str, docs: str, passages: int, out: Path) -> BenchSet:
    """``passages`` documents picked by salted hash, with up to QUESTIONS_PER_PASSAGE questions each."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} not found: pass --benchmarks pointing at shared/benchmarks")
    picked = first_by_hash(read_jsonl(folder / docs), "doc_id", passages, SALT)
    wanted = {d["doc_id"] for d in picked}
    per_doc: dict[str, list[dict]] = {}
    for q in read_jsonl(folder / qa):
        if q["doc_id"] in wanted:
            per_doc.setdefault(q["doc_id"], []).append(q)
    questions = [q for qs in per_doc.values() for q in first_by_hash(qs, "id", QUESTIONS_PER_PASSAGE, SALT)]
    qa_path, docs_path = out / f"{name}.qa.jsonl", out / f"{name}.docs.jsonl"
    write_rows(qa_path, [{"id": q["id"], "question": q["question"], "answers": q["answers"], "doc_ids": [q["doc_id"]]}
                         for q in sorted(questions, key=lambda q: q["id"])])  # fmt: skip
    keys = ("doc_id", "title", "text", "source")
    write_rows(docs_path, [{k: d[k] for k in keys if d.get(k) is not None} for d in sorted(picked, key=lambda d: d["doc_id"])])
    return BenchSet(name, qa_path, docs_path)


# --- gathering (cached) --------------------------------------------------------------------


def gather(settings: Settings, name: str, shared: Path, progress: bool = False) -> tuple[list[Case], dict]:
    """Every case of one set: retrieval is run only for questions not yet in the cache."""
    bench = fit_set(name, settings.data_dir, shared)
    target = target_for(settings, bench.docs)
    cache_path = settings.data_dir / "fit-evidence" / f"{target.settings.collection}.jsonl"
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cached = {row["key"]: row for row in _read_cache(cache_path)}
    questions = list(read_jsonl(bench.questions))
    todo = [q for q in questions if _key(q) not in cached]
    info = {"questions": len(questions), "cached": len(questions) - len(todo)}
    if todo:
        info["ingest"] = ensure_ingested(target, progress)
        with open_index(target.settings) as idx:
            retriever = build_retriever(idx.settings, idx.store, "hybrid")
            elsewhere = _answer_finder(bench.docs)
            with cache_path.open("a", encoding="utf-8") as out:
                if cache_path.stat().st_size and not cache_path.read_bytes().endswith(b"\n"):
                    out.write("\n")  # close a line an interrupted run cut short
                for i, q in enumerate(todo):
                    row = _search(retriever, q, elsewhere, settings.top_k)
                    cached[row["key"]] = row
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                    if progress and i % 50 == 0:
                        print(f"{name}: {i}/{len(todo)}", flush=True)
    cases = [case for q in questions for case in _cases(name, q, cached[_key(q)])]
    return cases, info


def _read_cache(path: Path) -> Iterator[dict]:
    """The cached rows; a line cut short by an interrupted run is skipped (and searched again)."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue


def _key(q: dict) -> str:
    return f"{q['id']}|{q['question']}"


def _answers(q: dict) -> list[str]:
    return [a for a in {search_form(a).strip() for a in q.get("answers", [])} if len(a) >= MIN_ANSWER_CHARS]


def _answer_finder(docs: Path):
    texts = {d["doc_id"]: search_form(f"{d.get('title', '')}\n{d['text']}") for d in read_jsonl(docs)}

    def found_elsewhere(answers: list[str], gold: Sequence[str]) -> bool:
        return any(a in text for doc_id, text in texts.items() if doc_id not in gold for a in answers)

    return found_elsewhere


def _search(retriever, q: dict, found_elsewhere, k: int) -> dict:
    gold = tuple(q.get("doc_ids") or [q["doc_id"]])
    answers = _answers(q)
    row: dict = {"key": _key(q), "gold": list(gold), "answers": answers, "with": None, "without": None}
    if not answers:
        return row
    hits = retriever.retrieve(q["question"], None, k)
    if any(a in h.chunk.match_text for h in hits for a in answers):
        row["with"] = [_dump(h) for h in hits]
    if not found_elsewhere(answers, gold):
        row["without"] = [_dump(h) for h in retriever.retrieve(q["question"], SearchFilter(exclude_doc_ids=gold), k)]
    return row


def _dump(hit: RetrievedChunk) -> dict:
    return {"chunk": asdict(hit.chunk), "score": hit.score, "ranks": hit.ranks, "scores": hit.scores}


def _load(row: dict) -> RetrievedChunk:
    chunk = dict(row["chunk"])
    chunk["places"] = tuple(chunk.get("places") or ())
    return RetrievedChunk(Chunk(**chunk), row["score"], row["ranks"], row["scores"])


def _cases(name: str, q: dict, row: dict) -> Iterator[Case]:
    group = f"{name}:{row['gold'][0]}"
    for answerable, field in ((True, "with"), (False, "without")):
        if row[field] is not None:
            yield Case(name, q["id"], group, q["question"], answerable, [_load(h) for h in row[field]])


# --- fitting -------------------------------------------------------------------------------


def run_fit(settings: Settings, sets: Sequence[str], model_path: Path, shared: Path = SHARED_BENCHMARKS,
            progress: bool = False) -> dict:  # fmt: skip
    """Gather, fit, score the held-out part; write the model JSON and its Markdown rendering."""
    started = time.perf_counter()
    gathered, infos = [], {}
    for name in sets:
        cases, infos[name] = gather(settings, name, shared, progress)
        gathered += cases
    gathered_s = time.perf_counter() - started
    x = np.array([[v for v in features(analyse(c.question), c.hits).values()] for c in gathered])
    y = np.array([c.answerable for c in gathered], dtype=int)
    held = np.array([salted_hash(c.group, SALT) < "3333333333" for c in gathered])  # 0x33.. / 0xff.. ~= 0.2
    fit_x, fit_y, groups = x[~held], y[~held], [c.group for c, h in zip(gathered, held) if not h]
    model = _fit(fit_x, fit_y)
    out_of_fold = _out_of_fold(fit_x, fit_y, groups)
    threshold = _threshold(out_of_fold, fit_y)
    model = AnswerabilityModel(**{**asdict(model), "threshold": threshold})
    held_p = np.array([model.probability_of(row) for row in x[held]])
    held_y = y[held]
    report = {
        "sets": {name: _counts([c for c in gathered if c.set == name]) for name in sets},
        "fit": _counts([c for c, h in zip(gathered, held) if not h]),
        "held_out": {
            "all": _scores(held_p, held_y, threshold),
            **{name: _scores(held_p[m], held_y[m], threshold)
               for name in sets if (m := np.array([c.set == name for c, h in zip(gathered, held) if h])).any()},
        },  # fmt: skip
        "out_of_fold_fit": _scores(out_of_fold, fit_y, threshold),
        "curve_held_out": _curve(held_p, held_y),
        "threshold_rule": f"highest threshold refusing <= {MAX_FALSE_REFUSALS} of answerable fit questions (5-fold out-of-fold)",
        "seconds": {"gather": round(gathered_s, 1), "total": round(time.perf_counter() - started, 1)},
        "gathered": infos,
        "finished": datetime.now().isoformat(timespec="seconds"),
    }
    model = AnswerabilityModel(**{**asdict(model), "report": report})
    model.save(model_path)
    model_path.with_suffix(".md").write_text(model_markdown(model), encoding="utf-8")
    return report


def _fit(x, y) -> AnswerabilityModel:
    from sklearn.linear_model import LogisticRegression

    means, scales = x.mean(axis=0), x.std(axis=0)
    scales[scales == 0] = 1.0
    lr = LogisticRegression(C=1.0, max_iter=2000).fit((x - means) / scales, y)
    return AnswerabilityModel(
        features=list(FEATURES), means=means.round(6).tolist(), scales=scales.round(6).tolist(),
        weights=lr.coef_[0].round(6).tolist(), intercept=round(float(lr.intercept_[0]), 6), threshold=0.5,
    )  # fmt: skip


def _out_of_fold(x, y, groups: list[str], folds: int = 5):
    fold = np.array([int(salted_hash(g, SALT), 16) % folds for g in groups])
    p = np.zeros(len(y))
    for f in range(folds):
        model = _fit(x[fold != f], y[fold != f])
        p[fold == f] = [model.probability_of(row) for row in x[fold == f]]
    return p


def _threshold(p, y) -> float:
    """The highest threshold at which at most MAX_FALSE_REFUSALS of answerable questions fall below."""
    positives = np.sort(p[y == 1])
    allowed = int(math.floor(MAX_FALSE_REFUSALS * len(positives)))  # these many may be refused
    return round(float(positives[allowed]) if allowed < len(positives) else 0.5, 4)


def _counts(cases: list[Case]) -> dict:
    return {"answerable": sum(c.answerable for c in cases), "unanswerable": sum(not c.answerable for c in cases),
            "documents": len({c.group for c in cases})}  # fmt: skip


def _scores(p, y, threshold: float) -> dict:
    refused = p < threshold
    negatives, positives = int((y == 0).sum()), int((y == 1).sum())
    caught, false = int((refused & (y == 0)).sum()), int((refused & (y == 1)).sum())
    return {
        "unanswerable": negatives, "answerable": positives,
        "refusal_recall": _rate(caught, negatives), "false_refusals": _rate(false, positives),
        "auc": round(_auc(p, y), 4) if negatives and positives else None,
    }  # fmt: skip


def _rate(k: int, n: int) -> dict:
    low, high = wilson(k, n)
    return {"k": k, "n": n, "rate": round(k / n, 4) if n else None, "ci95": [round(low, 4), round(high, 4)]}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _auc(p, y) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def _curve(p, y) -> list[dict]:
    """Refusal recall at chosen false-refusal rates on held-out questions."""
    rows = []
    positives = np.sort(p[y == 1])
    for rate in (0.01, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30):
        t = float(positives[min(int(rate * len(positives)), len(positives) - 1)])
        rows.append({"false_refusals": round(float((p[y == 1] < t).mean()), 4),
                     "refusal_recall": round(float((p[y == 0] < t).mean()), 4), "threshold": round(t, 4)})  # fmt: skip
    return rows


def model_markdown(model: AnswerabilityModel) -> str:
    r = model.report
    held = r["held_out"]["all"]
    lines = [
        "# Answerability model",
        "",
        "Written by `policyqa fit-evidence` (eval/fit_evidence.py); read by `rag.answerability`. The chain "
        f"refuses when P(answerable) < **{model.threshold}** ({r['threshold_rule']}).",
        "",
        "P(answerable) = sigmoid(intercept + Σ weight · (value − mean) / scale); features in rag/answerability.py.",
        "",
        "| feature | weight (per standard deviation) | mean | scale |",
        "| --- | ---: | ---: | ---: |",
    ]
    order = sorted(range(len(model.features)), key=lambda i: -abs(model.weights[i]))
    lines += [f"| {model.features[i]} | {model.weights[i]:+.3f} | {model.means[i]:.3f} | {model.scales[i]:.3f} |" for i in order]
    lines += [f"| (intercept) | {model.intercept:+.3f} | | |", "", "## Training data (answerable / removal-unanswerable / documents)", ""]
    lines += [f"- {name}: {c['answerable']} / {c['unanswerable']} / {c['documents']}" for name, c in r["sets"].items()]
    lines += ["", "## Held-out (20 % of documents, never fitted)", "",
              "| set | unanswerable | answerable | refusal recall (95% CI) | false refusals (95% CI) | AUC |",
              "| --- | ---: | ---: | --- | --- | ---: |"]  # fmt: skip
    for name, s in r["held_out"].items():
        rec, fr = s["refusal_recall"], s["false_refusals"]
        lines.append(f"| {name} | {s['unanswerable']} | {s['answerable']} | {rec['rate']} [{rec['ci95'][0]}, {rec['ci95'][1]}] "
                     f"| {fr['rate']} [{fr['ci95'][0]}, {fr['ci95'][1]}] | {s['auc']} |")  # fmt: skip
    lines += ["", "Held-out curve (threshold -> false refusals, refusal recall):", ""]
    lines += [f"- {c['threshold']}: {c['false_refusals']}, {c['refusal_recall']}" for c in r["curve_held_out"]]
    lines += ["", f"All held-out: AUC {held['auc']}. Gather {r['seconds']['gather']} s, total {r['seconds']['total']} s."]
    return "\n".join(lines) + "\n"
