"""The act id contract on the index: every passage says its act, and a re-paired document's
points change act without being re-embedded (both index backends)."""

from __future__ import annotations

from tests.test_index import DIM, corpus_points, make_store, server_client, store  # noqa: F401

from kb.indexer import passage_payload
from kb.models import Document, Passage


def test_set_payload_by_doc_changes_only_that_document(store):  # noqa: F811
    store.upsert(corpus_points())
    store.set_payload_by_doc("d-basel", {"act_id": "kzlaw-123"})
    hits = store.search(dense=[1.0] + [0.0] * (DIM - 1), sparse=None, filters=None, limit=20)
    acts = {h.payload["doc_id"]: h.payload.get("act_id") for h in hits}
    assert acts["d-basel"] == "kzlaw-123"
    assert all(a is None for d, a in acts.items() if d != "d-basel")
    # the other payload keys stay
    assert {h.payload["lang"] for h in hits if h.payload["doc_id"] == "d-basel"} == {"ru"}


def _doc(**kw) -> Document:
    base = dict(id="a" * 64, source="x.md", lang="ru", genre="law", title="T", text="текст")
    return Document(**{**base, **kw})


def _passage() -> Passage:
    return Passage(id="00000000-0000-0000-0000-000000000001", doc_id="a" * 64, number=0, text="текст",
                   start=0, end=5, lang="ru")


def test_payload_act_id_is_act_key_else_own():
    assert passage_payload(_doc(act_key="kzlaw-42"), _passage())["act_id"] == "kzlaw-42"
    assert passage_payload(_doc(), _passage())["act_id"] == "doc-" + "a" * 16
    assert passage_payload(_doc(act_key="kzlaw-42"), _passage(), "kzlaw-7")["act_id"] == "kzlaw-7"
