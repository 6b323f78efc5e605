"""Whether the retrieved chunks answer a question: a calibrated probability from named features
of the question and its best candidate sentences, and the fitted model that reads them.

The model (``Settings.answerability_model``, rag/answerability.json, rendered in
rag/answerability.md) is a standardised logistic regression written by `policyqa fit-evidence`
(eval/fit_evidence.py) on reading-comprehension and policy questions asked with and without
their source documents. The chain refuses when the probability is below the model's threshold.

Features (``FEATURES``, in order), all from the ``QuestionAnalysis`` and the top-k hits:

- evidence: ``rag.evidence.evidence_score``, the weighted term coverage of the best hit;
- lead_overlap, lead_context, best_overlap: the weighted share of question terms in the lead
  sentence (``rag.extractive.lead_sentence``: the best sentence holding the asked fact near the focus
  word), in the rest of its chunk, and in the best-matching sentence of any hit;
- has_focus, focus_in_lead, focus_in_hits, asked_in_lead: whether the question has focus words
  (人口 in 东华村户籍人口有多少) and the share of them in the lead sentence / in any hit; the
  share of the asked word (``QuestionAnalysis.asked``: 党员, not 社区, in 星城社区有多少名党员) in the lead;
- asks_fact, fact_near_focus, fact_near_asked, fact_near_term: the question asks for a kind of
  fact (quantity, person, date, place, quoted term) and, in the lead sentence, one of that kind
  that the question does not state sits near a focus word / the asked word / any question term
  (1 adjacent, falling towards 0 at ``FACT_WINDOW`` characters; 0 when absent);
- has_places, places_in_lead, places_in_lead_hit, places_absent: the question's places —
  administrative names with a suffix (``QuestionAnalysis.places``) and bare jieba ``ns`` names
  (上海, 成都) — their share in the lead sentence, in its chunk with its title, and the share
  in no hit at all;
- has_numbers, numbers_in_lead_hit, numbers_absent: the same for years and numbers (2021年);
- bm25_top, bm25_margin, fused_margin: the best BM25 score (log1p) and its relative gap to the
  second; the relative gap of the fused scores;
- dense_rank_top, dense_rank_lead: 1 / the dense rank of the top hit and of the lead sentence's
  hit (0 when dense did not find it). Dense *ranks*, not cosines: a cosine's scale belongs to
  the embedding model (e5 puts nearly everything at 0.8-0.93), and on the policy tuning
  questions the raw cosine and its margin added nothing (held-out AUC 0.901 with, 0.901 without);
- lead_rank: 1 / rank of the lead sentence's hit; hits: how many hits (of top-k).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path


from core.errors import ConfigError
from rag.evidence import evidence_score
from rag.extractive import FACT_WINDOW, candidates, lead_sentence, nearest_fact
from rag.question import QuestionAnalysis
from rag.types import RetrievedChunk

FEATURES = (
    "evidence", "lead_overlap", "lead_context", "best_overlap",
    "has_focus", "focus_in_lead", "focus_in_hits", "asked_in_lead",
    "asks_fact", "fact_near_focus", "fact_near_asked", "fact_near_term",
    "has_places", "places_in_lead", "places_in_lead_hit", "places_absent",
    "has_numbers", "numbers_in_lead_hit", "numbers_absent",
    "bm25_top", "bm25_margin", "fused_margin", "dense_rank_top", "dense_rank_lead",
    "lead_rank", "hits",
)  # fmt: skip


def features(question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> dict[str, float]:
    """The named feature values, in ``FEATURES`` order; all zero but ``has_*`` when no hits."""
    places = question.named_places
    values = dict.fromkeys(FEATURES, 0.0)
    values.update(has_focus=float(bool(question.focus)), asks_fact=float(question.kind is not None),
                  has_places=float(bool(places)), has_numbers=float(bool(question.numbers)))  # fmt: skip
    sentences = candidates(question, hits) if hits else []
    if not sentences:
        return values
    lead = lead_sentence(question, sentences)
    lead_hit = lead.hit.chunk.match_text
    texts = [h.chunk.match_text for h in hits]
    values.update(
        evidence=evidence_score(question, hits),
        lead_overlap=lead.overlap,
        lead_context=lead.context,
        best_overlap=max(s.overlap for s in sentences),
        focus_in_lead=_share(question.focus, [lead.plain]),
        focus_in_hits=_share(question.focus, texts),
        asked_in_lead=_share(question.asked, [lead.plain]),
        places_in_lead=_share(places, [lead.plain]),
        places_in_lead_hit=_share(places, [lead_hit]),
        places_absent=1.0 - _share(places, texts) if places else 0.0,
        numbers_in_lead_hit=_share(question.numbers, [lead_hit]),
        numbers_absent=1.0 - _share(question.numbers, texts) if question.numbers else 0.0,
        lead_rank=1.0 / lead.n,
        hits=float(len(hits)),
    )
    if question.kind is not None:
        values["fact_near_focus"] = _closeness(_gap(question.kind, lead, question.simplified, question.focus))
        values["fact_near_asked"] = _closeness(_gap(question.kind, lead, question.simplified, question.asked))
        values["fact_near_term"] = _closeness(_gap(question.kind, lead, question.simplified, frozenset()))
    bm25 = _top_two([h.scores.get("bm25") for h in hits])
    fused = _top_two([h.score for h in hits])
    values.update(
        bm25_top=math.log1p(max(bm25[0], 0.0)),
        bm25_margin=(bm25[0] - bm25[1]) / bm25[0] if bm25[0] > 0 else 0.0,
        fused_margin=(fused[0] - fused[1]) / fused[0] if fused[0] > 0 else 0.0,
        dense_rank_top=_inverse_rank(hits[0], "dense"),
        dense_rank_lead=_inverse_rank(lead.hit, "dense"),
    )
    return values


def _share(words: frozenset[str], texts: Sequence[str]) -> float:
    if not words:
        return 0.0
    return sum(any(w in t for t in texts) for w in words) / len(words)


def _gap(kind: str, sentence, question: str, near: frozenset[str]) -> int | None:
    """Characters between the asked kind of fact and a word of ``near`` in the sentence, if close."""
    found = nearest_fact(kind, sentence, question, near)
    return None if found is None else found[0]


def _closeness(gap: int | None) -> float:
    return 0.0 if gap is None else 1.0 - gap / (FACT_WINDOW + 1)


def _inverse_rank(hit: RetrievedChunk, retriever: str) -> float:
    rank = hit.ranks.get(retriever)
    return 1.0 / rank if rank else 0.0


def _top_two(values: Sequence[float | None]) -> tuple[float, float]:
    """The best and second-best of the values present; a missing second counts as the best
    (no margin), no value at all as 0."""
    present = sorted((v for v in values if v is not None), reverse=True)
    if not present:
        return (0.0, 0.0)
    return (present[0], present[1] if len(present) > 1 else present[0])


# --- the fitted model ----------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerabilityModel:
    """A standardised logistic regression over ``features``; readable JSON, no pickle."""

    features: list[str]
    means: list[float]
    scales: list[float]
    weights: list[float]
    intercept: float
    threshold: float  # refuse below this probability of answerable
    report: dict = field(default_factory=dict)  # training sets, counts and held-out results

    def probability_of(self, row: Sequence[float]) -> float:
        z = self.intercept + sum(w * (v - m) / s for w, v, m, s in zip(self.weights, row, self.means, self.scales))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def probability(self, question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> float:
        """P(the hits answer the question)."""
        return self.probability_of(list(features(question, hits).values()))

    def answerable(self, question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> bool:
        return bool(hits) and self.probability(question, hits) >= self.threshold

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=4)
def load_model(path: Path) -> AnswerabilityModel:
    """The model at ``path``, checked against ``FEATURES``; ConfigError when missing or invalid."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        model = AnswerabilityModel(**raw)
    except FileNotFoundError:
        raise ConfigError(f"answerability model {path} not found: run `policyqa fit-evidence`") from None
    except (ValueError, TypeError) as err:
        raise ConfigError(f"answerability model {path} is not a valid model file: {err}") from None
    if tuple(model.features) != FEATURES:
        raise ConfigError(f"answerability model {path} was fitted on other features: run `policyqa fit-evidence`")
    lengths = {len(model.means), len(model.scales), len(model.weights)}
    if lengths != {len(FEATURES)} or any(s <= 0 for s in model.scales) or not 0 <= model.threshold <= 1:
        raise ConfigError(f"answerability model {path} is inconsistent: one mean, positive scale and weight per feature, threshold in [0, 1]")
    return model
