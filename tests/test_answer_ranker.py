"""The learned candidate ranker (kb/answer_ranker.py): its data file, and its wiring into the answerer."""

from __future__ import annotations

import pytest

from kb.answer_ranker import FEATURES, Ranker, model, parse
from kb.confidence import model as confidence_model
from kb.models import AskRequest


def test_shipped_ranker_file_parses_and_leans_on_the_hand_set_score():
    r = model()
    assert r is not None, "kb/data/answer_ranker.yaml is shipped enabled"
    assert set(r.weights) <= set(FEATURES) and r.temperature > 0
    # Fitted with only the corrections penalised: the hand-set score stays the main term.
    assert r.weights["hand"] > 0.5


def test_ranker_file_errors_name_the_file_and_field():
    with pytest.raises(ValueError, match=r"answer_ranker.yaml: weights: unknown features \['nonsense'\]"):
        parse({"weights": {"meaning": 1.0, "nonsense": 2.0}})
    with pytest.raises(ValueError, match="by_type.when: expected a mapping"):
        parse({"weights": {"meaning": 1.0}, "by_type": {"when": [1, 2]}})
    with pytest.raises(ValueError, match="expected a mapping with 'weights'"):
        parse(["meaning"])
    assert parse({"enabled": False, "weights": {}}) is None


def test_ranker_score_adds_the_question_types_weights():
    r = Ranker(weights={"meaning": 2.0, "lexical": 1.0}, by_type={"when": {"focus": 0.5}})
    parts = {"meaning": 0.5, "lexical": 0.2, "focus": 1.0}
    assert r.score(parts, "what") == pytest.approx(1.2)
    assert r.score(parts, "when") == pytest.approx(1.7)
    assert r.score({}, "when") == 0.0


QUESTION = "Когда была создана рабочая группа по безопасности хвостохранилищ?"


def test_the_answerer_scores_candidates_with_the_ranker(corpus_kb):
    answerer = corpus_kb.answerer
    shipped = answerer.ranker
    try:
        answerer.ranker = None
        hand = answerer.analyse(AskRequest(question=QUESTION))
        for c in hand.cands:  # every feature a ranker may weigh is computed
            assert set(FEATURES) <= set(c.parts), set(FEATURES) - set(c.parts)
            assert c.parts["hand"] == pytest.approx(c.score)
        # A ranker of the hand-set score alone chooses what the hand-set score chooses ...
        answerer.ranker = Ranker(weights={"hand": 1.0}, by_type={})
        same = answerer.analyse(AskRequest(question=QUESTION))
        assert (same.best.hit.document.id, same.best.start) == (hand.best.hit.document.id, hand.best.start)
        # ... and one that turns it round does not: the ranker, not the hand-set score, decides.
        answerer.ranker = Ranker(weights={"hand": -1.0}, by_type={})
        turned = answerer.analyse(AskRequest(question=QUESTION))
        assert turned.best.score == pytest.approx(-min(c.parts["hand"] for c in turned.cands))
        assert (turned.best.hit.document.id, turned.best.start) != (hand.best.hit.document.id, hand.best.start)
    finally:
        answerer.ranker = shipped
    ans = corpus_kb.ask(AskRequest(question=QUESTION))
    assert ans.answered and "21 января 2022 года" in ans.answer
    assert ans.confidence_level == confidence_model().level(ans.confidence)


def test_confidence_features_include_the_rankers_own_certainty(corpus_kb):
    a = corpus_kb.answerer.analyse(AskRequest(question=QUESTION))
    assert 0.0 < a.features["choice"] <= 1.0
    assert a.features["margin_in"] >= 0.0 or a.best is not max(a.cands, key=lambda c: c.score)
