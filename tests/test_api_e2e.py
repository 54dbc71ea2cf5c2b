"""End to end: the API and the staff page over the real KnowledgeBase.

Uses the session's `corpus_kb` (tests/conftest.py: a small slice of corpora/ ingested with
the real parser, taggers, model and embedded Qdrant). This module adds one uploaded file
whose text carries HTML and removes it again when done, so the shared KB is left as found.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from api.app import create_app
from browser_support import Server, browser, new_page, screenshot  # noqa: F401 - fixtures

V1 = "/api/v1"
OZONE = "ecocode-2021-ch21-ozone-layer.md"  # in both languages in the session corpus
# Kazakh: "prohibition of the use of ozone-depleting substances"
KK_QUERY = "озонды бұзатын заттарды пайдалануға тыйым салу"
QUESTION = "Что обязаны делать юридические лица при обращении с озоноразрушающими веществами?"
MEMO = "pamyatka-otkhody.txt"
HOSTILE_TEXT = (
    "Памятка по отходам\n\n"
    "В тексте встречается разметка <script>window.__xss = 1</script> и "
    '<img src=x onerror="window.__xss = 2"> — её нужно показать как текст.\n\n'
    "Организации обязаны сдавать отработанные ртутные лампы до 1 марта 2027 года."
)


@pytest.fixture(scope="module")
def real_kb(corpus_kb):
    summary, _ = corpus_kb.ingest_upload(MEMO, HOSTILE_TEXT.encode("utf-8"))
    yield corpus_kb
    corpus_kb.delete_document(summary.id)


@pytest.fixture(scope="module")
def client(real_kb):
    _, secret = real_kb.keys.create("write", "e2e tests")
    with TestClient(create_app(real_kb), raise_server_exceptions=False, headers={"X-API-Key": secret}) as c:
        yield c


@pytest.fixture(scope="module")
def doc_ids(client) -> dict[tuple[str, str], str]:
    """Document id by (language, source file name); an act's rus.md/kaz.md by "<folder>/<file>"."""
    page = client.get(f"{V1}/documents", params={"limit": 500}).json()
    assert page["total"] == len(page["items"])

    def name(source: str) -> str:
        path = Path(source.removeprefix("upload:"))
        return f"{path.parent.name}/{path.name}" if path.stem in ("rus", "kaz") else path.name

    return {(d["lang"], name(d["source"])): d["id"] for d in page["items"]}


def test_documents_are_listed_and_filtered(client, doc_ids):
    assert {("ru", OZONE), ("kk", OZONE), ("ru", MEMO)} <= set(doc_ids)
    kk = client.get(f"{V1}/documents", params={"lang": "kk", "limit": 500}).json()
    assert kk["items"] and {d["lang"] for d in kk["items"]} == {"kk"}
    assert kk["total"] == sum(1 for lang, _ in doc_ids if lang == "kk")
    two = client.get(f"{V1}/documents", params={"limit": 2, "offset": 1}).json()
    assert len(two["items"]) == 2 and two["total"] == len(doc_ids)


def test_kazakh_query_finds_the_russian_act(client, doc_ids):
    r = client.get(f"{V1}/search", params={"q": KK_QUERY, "lang": "ru", "top_k": 3})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert hits and hits[0]["document"]["id"] == doc_ids[("ru", OZONE)]
    # Unfiltered, best passage per document: the Russian act ranks next to its Kazakh original.
    both = client.get(f"{V1}/search", params={"q": KK_QUERY, "top_k": 3, "one_per_doc": True}).json()["hits"]
    assert doc_ids[("ru", OZONE)] in {h["document"]["id"] for h in both}


def test_filters_narrow_search(client, doc_ids):
    r = client.post(f"{V1}/search", json={"q": KK_QUERY, "lang": ["kk"]})
    assert r.status_code == 200
    assert {h["document"]["lang"] for h in r.json()["hits"]} <= {"kk"}
    r = client.post(f"{V1}/search", json={"q": KK_QUERY, "convention": ["no-such-convention"]})
    assert r.status_code == 200 and r.json()["hits"] == []


def test_document_offsets_match_its_text(client, doc_ids):
    doc = client.get(f"{V1}/documents/{doc_ids[('ru', OZONE)]}").json()
    assert doc["blocks"] and doc["lang"] == "ru"
    for b in doc["blocks"][:20]:
        assert doc["text"][b["start"]: b["end"]] == b["text"]
    for e in doc["entities"]:
        assert doc["text"][e["start"]: e["end"]] == e["text"]
    for o in doc["obligations"]:
        assert doc["text"][o["quote"]["start"]: o["quote"]["end"]] == o["quote"]["text"]


def test_obligations_registry_and_csv(client, doc_ids):
    memo = doc_ids[("ru", MEMO)]
    page = client.get(f"{V1}/obligations", params={"doc_id": memo}).json()
    assert page["total"] >= 1 and "ламп" in page["items"][0]["quote"]["text"]
    r = client.get(f"{V1}/obligations.csv", params={"doc_id": memo})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == page["total"]


def test_entities_are_counted(client):
    r = client.get(f"{V1}/entities")
    assert r.status_code == 200, r.text
    ents = r.json()
    assert ents and all(e["type"] in ("convention", "agency") and e["mentions"] >= 1 for e in ents)
    assert "minamata" in {e["id"] for e in client.get(f"{V1}/entities", params={"type": "convention"}).json()}


def test_ask_cites_exact_passages(client):
    r = client.post(f"{V1}/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    ans = r.json()
    assert ans["citations"], ans
    for c in ans["citations"]:
        text = client.get(f"{V1}/documents/{c['doc_id']}").json()["text"]
        assert text[c["start"]: c["end"]] == c["quote"]


def test_upload_search_delete_roundtrip(client):
    body = "Об утилизации батареек\n\nАкимат обязан организовать приём отработанных батареек до 1 июня 2027 года."
    r = client.post(f"{V1}/documents", files={"file": ("batareyki.txt", body.encode(), "text/plain")})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    found = client.post(f"{V1}/search", json={"q": "приём отработанных батареек", "top_k": 3}).json()["hits"]
    assert found and found[0]["document"]["id"] == doc_id
    assert client.delete(f"{V1}/documents/{doc_id}").status_code == 204
    assert client.get(f"{V1}/documents/{doc_id}").status_code == 404
    after = client.post(f"{V1}/search", json={"q": "приём отработанных батареек"}).json()["hits"]
    assert doc_id not in {h["document"]["id"] for h in after}


def test_bad_upload_is_422_naming_the_file(client):
    r = client.post(f"{V1}/documents", files={"file": ("scan.pdf", b"\x00\x01 not a pdf", "application/pdf")})
    assert r.status_code == 422 and "scan.pdf" in r.json()["detail"], r.text


def test_health(client):
    r = client.get(f"{V1}/health")
    assert r.status_code == 200, r.text


# -- the page over the real KB --------------------------------------------------------------
@pytest.fixture(scope="module")
def base_url(real_kb):
    with Server(create_app(real_kb)) as url:
        yield url


@pytest.fixture
def page(browser, base_url):  # noqa: F811 - browser is a fixture
    yield from new_page(browser, base_url)


@pytest.mark.browser
def test_page_search_in_kazakh_finds_the_russian_act(page, doc_ids):
    page.goto("/#search")
    page.fill("#q", KK_QUERY)
    page.press("#q", "Enter")
    page.locator("#results .hit").first.wait_for()
    assert page.locator("#results .hit[data-lang=kk]").count() > 0  # the Kazakh chapter, unfiltered
    page.select_option("#f-lang", "ru")  # a filter narrows: Russian documents only
    expect(page.locator("#results .hit:not([data-lang='ru'])")).to_have_count(0)  # no eval under the CSP
    assert page.locator("#results .hit").first.get_attribute("data-doc") == doc_ids[("ru", OZONE)]
    screenshot(page, "search", real=True)


@pytest.mark.browser
def test_page_citation_opens_the_quote(page):
    page.goto("/#ask")
    page.fill("#question", QUESTION)
    page.click("#ask-form button[type=submit]")
    link = page.locator("#citations .citation-link").first
    link.wait_for(timeout=60_000)
    quote = page.locator("#citations blockquote").first.inner_text()
    screenshot(page, "ask", real=True)
    link.click()
    page.locator("#doc-text mark.quote").first.wait_for()
    shown = "".join(page.locator("#doc-text mark.quote").all_inner_texts())
    assert " ".join(shown.split()) == " ".join(quote.split())
    in_view = page.evaluate(
        "(() => { const r = document.querySelector('#doc-text mark.quote').getBoundingClientRect();"
        " return r.bottom > 0 && r.top < innerHeight; })()"
    )
    assert in_view
    screenshot(page, "document", real=True)


@pytest.mark.browser
def test_page_obligations_csv_and_hostile_text(page, doc_ids):
    page.goto("/#obligations")
    page.locator("#obl-table tbody tr").first.wait_for()
    screenshot(page, "obligations", real=True)
    with page.expect_download() as info:
        page.click("#csv-link")
    assert info.value.suggested_filename.endswith(".csv")
    page.goto("/#doc/" + doc_ids[("ru", MEMO)])
    page.wait_for_selector("#doc-text .blk")
    assert "<script>window.__xss = 1</script>" in page.locator("#doc-text").inner_text()
    assert page.locator("#doc-text img, #doc-text script").count() == 0
    assert page.evaluate("window.__xss") is None
