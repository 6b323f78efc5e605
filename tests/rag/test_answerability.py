"""Answerability features on hand-made hits and the sample corpus, and loading the fitted model."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest

from core.errors import ConfigError
from core.settings import Settings
from rag.answerability import FEATURES, AnswerabilityModel, features, load_model
from rag.question import analyse
from rag.types import RetrievedChunk
from tests.rag.conftest import make_chunk

POPULATION = "东华村户籍人口有多少？"


def hits_of(*texts: str, bm25: float = 10.0) -> list[RetrievedChunk]:
    return [
        RetrievedChunk(make_chunk(t, doc_id=f"d{i}"), 1 / i, {"bm25": i, "dense": i}, {"bm25": bm25 / i, "dense": 0.9 / i})
        for i, t in enumerate(texts, 1)
    ]


def test_bare_place_names_count_as_places():
    assert {"上海", "成都"} <= analyse("上海和成都有哪些党建做法？").named_places
    assert "深圳市" in analyse("深圳市有哪些党建做法？").named_places


def test_features_are_named_and_complete():
    values = features(analyse(POPULATION), hits_of("东华村户籍人口1867人，外来人员8500人。"))
    assert tuple(values) == FEATURES
    assert all(isinstance(v, float) for v in values.values())


def test_a_sentence_giving_the_asked_figure_beats_one_that_does_not():
    question = analyse("星城社区有多少名党员？")
    answering = features(question, hits_of("星城社区现有党员215名，下设6个网格。"))
    population = features(question, hits_of("星城社区常住人口约2.3万人，下设6个网格。"))
    assert answering["focus_in_lead"] == 1.0 > population["focus_in_lead"]  # 社区 in both, 党员 in one
    assert answering["asked_in_lead"] == 1.0 and population["asked_in_lead"] == 0.0
    # 2.3万人 is near 社区, a focus word, but not near 党员, the word asked about.
    assert answering["fact_near_asked"] > 0 and population["fact_near_asked"] == 0.0
    assert answering["lead_overlap"] > population["lead_overlap"]


def test_a_place_no_hit_mentions_is_absent(retrieve):
    covered = features(analyse("东华村有多少名党员？"), retrieve("东华村有多少名党员？"))
    elsewhere = features(analyse("上海有哪些党建做法？"), retrieve("上海有哪些党建做法？"))
    assert covered["places_absent"] == 0.0 and covered["places_in_lead_hit"] == 1.0
    assert elsewhere["places_absent"] == 1.0


def test_no_hits_give_zero_evidence():
    values = features(analyse(POPULATION), [])
    assert values["evidence"] == 0.0 and values["hits"] == 0.0 and values["has_focus"] == 1.0


# --- the fitted model -------------------------------------------------------------------------


def test_the_configured_model_loads_and_separates_a_clear_case(retrieve):
    model = load_model(Settings().answerability_model)
    assert tuple(model.features) == FEATURES and 0 < model.threshold < 1
    assert model.report["held_out"]["all"]["auc"] > 0.5
    hits = retrieve(POPULATION)
    assert model.probability(analyse(POPULATION), hits) > model.probability(analyse("上海有哪些党建做法？"), retrieve("上海有哪些党建做法？"))


def write(tmp_path, payload) -> object:
    path = tmp_path / "model.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    return path


def valid() -> AnswerabilityModel:
    n = len(FEATURES)
    return AnswerabilityModel(list(FEATURES), [0.0] * n, [1.0] * n, [0.0] * n, 0.0, 0.5)


def test_a_valid_file_round_trips(tmp_path):
    path = tmp_path / "m.json"
    valid().save(path)
    assert load_model(path) == valid()
    assert load_model(path).probability_of([0.0] * len(FEATURES)) == 0.5


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not a valid model file"),
        ({"features": list(FEATURES)}, "not a valid model file"),
        ({**asdict(valid()), "features": ["evidence"]}, "other features"),
        ({**asdict(valid()), "scales": [0.0] * len(FEATURES)}, "inconsistent"),
        ({**asdict(valid()), "threshold": 1.5}, "inconsistent"),
    ],
)
def test_an_invalid_model_file_is_a_config_error(tmp_path, payload, message):
    with pytest.raises(ConfigError, match=message):
        load_model(write(tmp_path, payload))


def test_a_missing_model_file_is_a_config_error_naming_the_command(tmp_path):
    with pytest.raises(ConfigError, match="fit-evidence"):
        load_model(tmp_path / "absent.json")


def test_the_model_threshold_decides(retrieve):
    hits = retrieve(POPULATION)
    always = replace(valid(), threshold=0.0)
    never = replace(valid(), threshold=1.0)
    assert always.answerable(analyse(POPULATION), hits) and not never.answerable(analyse(POPULATION), hits)
    assert not always.answerable(analyse(POPULATION), [])
