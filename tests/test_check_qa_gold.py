"""The Q&A gold checker accepts the v3 set and catches a span that is not in the document."""

from pathlib import Path

from bench.check_qa_gold import check

V3 = Path(__file__).resolve().parents[1] / "bench" / "data" / "qa_questions_v3.yaml"


def test_v3_gold_is_consistent():
    errors, counts = check(V3, [V3.parent / "qa_questions.yaml", V3.parent / "qa_questions_v2.yaml"])
    assert errors == []
    for lang in ("kk", "ru"):
        assert counts[(lang, "factual")] == 11
        assert counts[(lang, "list")] == 3
        assert counts[(lang, "near-miss")] == 6
    assert counts[("split", "blind3")] == 40


def test_checker_flags_a_span_missing_from_the_doc(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(V3.read_text(encoding="utf-8").replace('"үштен кем емес"', '"төрттен кем емес"', 1),
                      encoding="utf-8")
    errors, _ = check(broken, [])
    assert any("qa3-kk-01" in e and "төрттен кем емес" in e for e in errors)


def test_v4_gold_is_consistent():
    v4 = V3.parent / "qa_questions_v4.yaml"
    older = [V3.parent / n for n in ("qa_questions.yaml", "qa_negative.yaml", "qa_questions_v2.yaml")] + [V3]
    errors, counts = check(v4, older)
    assert errors == []
    for lang in ("kk", "ru"):
        assert counts[(lang, "factual")] == 10
        assert counts[(lang, "list")] == 3
        assert counts[(lang, "near-miss")] == 7
    assert counts[("split", "blind4")] == 40


def test_v5_gold_is_consistent():
    v5 = V3.parent / "qa_questions_v5.yaml"
    older = [V3.parent / n for n in ("qa_questions.yaml", "qa_negative.yaml", "qa_questions_v2.yaml",
                                     "qa_questions_v4.yaml", "qa_questions_dev5.yaml")] + [V3]
    errors, counts = check(v5, older)
    assert errors == []
    for lang in ("kk", "ru"):
        assert counts[(lang, "factual")] == 6
        assert counts[(lang, "list")] == 3
        assert counts[(lang, "near-miss")] == 6
    assert counts[("split", "blind5")] == 30
