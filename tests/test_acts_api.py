"""Acts over HTTP and the CLI, on the real KnowledgeBase: GET /api/v1/acts (filters, sort,
pagination) and /acts/{id}, link/unlink with a write key, act_id on every search hit and
citation, `kb acts --json` (the contract checked by tools outside the tests), and the act
page of the staff site in a real browser."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from typer.testing import CliRunner

from api.app import create_app
from browser_support import Server, browser, new_page  # noqa: F401 - browser is a fixture

V1 = "/api/v1"
ANDASAI = "kzlaw-169752"  # a government resolution in both languages in the session corpus
ECOCODE = "kzlaw-151312"  # the Environmental Code: one part (the ozone chapter) in both languages
CONTRACT_KEYS = {"id", "kind", "number", "date", "issuer", "title", "status", "repealed_on", "edition_date", "urls",
                 "versions"}


@pytest.fixture(scope="module")
def client(corpus_kb):
    _, secret = corpus_kb.keys.create("write", "acts tests")
    with TestClient(create_app(corpus_kb), raise_server_exceptions=False, headers={"X-API-Key": secret}) as c:
        yield c


@pytest.fixture(scope="module")
def anonymous(corpus_kb):
    with TestClient(create_app(corpus_kb), raise_server_exceptions=False) as c:
        yield c


def _ids(client, **params) -> list[str]:
    r = client.get(f"{V1}/acts", params=params)
    assert r.status_code == 200, r.text
    return [a["id"] for a in r.json()["items"]]


# -- reading -------------------------------------------------------------------------------
def test_acts_are_listed_with_both_language_versions(client):
    body = client.get(f"{V1}/acts", params={"limit": 500}).json()
    acts = {a["id"]: a for a in body["items"]}
    assert body["total"] == len(acts) >= 7
    andasai = acts[ANDASAI]
    assert andasai["kind"] == "government_resolution" and andasai["date"] == "2022-07-11"
    assert andasai["title"]["kk"] and andasai["title"]["ru"]
    assert {v["lang"] for v in andasai["versions"]} == {"kk", "ru"}
    assert all(v["method"] == "act_key" for v in andasai["versions"])
    # the code's chapters are parts of one act, one per language
    assert [v["part"] for v in acts[ECOCODE]["versions"]] == ["ecocode-2021-ch21-ozone-layer"] * 2
    # the seeds (no act_key) are acts of their own
    assert any(a["id"].startswith("doc-") for a in acts.values())


def test_act_list_filters_sort_and_pages(client):
    every = _ids(client, limit=500)
    assert ANDASAI in _ids(client, kind="government_resolution")
    assert ANDASAI not in _ids(client, kind="code")
    assert ANDASAI in _ids(client, date_from="2022-01-01", date_to="2022-12-31")
    assert ANDASAI not in _ids(client, date_from="2023-01-01")
    assert ANDASAI in _ids(client, issuer="правительств")
    assert set(_ids(client, lang="kk")) < set(every)
    dates = [a["date"] for a in client.get(f"{V1}/acts", params={"sort": "date", "order": "asc"}).json()["items"]]
    dated = [d for d in dates if d]
    assert dated == sorted(dated) and dates[: len(dated)] == dated  # undated last
    titles = client.get(f"{V1}/acts", params={"sort": "title", "order": "asc", "limit": 500}).json()["items"]
    keys = [(a["title"]["ru"] or a["title"]["kk"] or "").lower() for a in titles]
    assert keys == sorted(keys)
    first, second = _ids(client, limit=2), _ids(client, limit=2, offset=2)
    assert first + second == every[:4]
    words = client.get(f"{V1}/acts/{ANDASAI}").json()["title"]["ru"].split()[:3]
    assert ANDASAI in _ids(client, q=" ".join(words).upper())


def test_bad_act_list_parameters_are_422_naming_the_field(client):
    for params in ({"kind": "poem"}, {"date_from": "yesterday"}, {"sort": "size"}, {"limit": 0},
                   {"date_from": "2024-01-01", "date_to": "2023-01-01"}, {"status": "dead"}):
        r = client.get(f"{V1}/acts", params=params)
        assert r.status_code == 422, params
        assert "Traceback" not in r.text and r.json()["detail"]


def test_one_act_and_unknown_or_malformed_ids_are_404(client):
    r = client.get(f"{V1}/acts/{ANDASAI}")
    assert r.status_code == 200 and r.json()["id"] == ANDASAI
    assert not any(v["source"].startswith("/") for v in r.json()["versions"])  # no server paths
    for bad in ("kzlaw-0", "doc-" + "0" * 16, "..%2F..%2Fetc", "a" * 300, "x%00y", "%20"):
        r = client.get(f"{V1}/acts/{bad}")
        assert r.status_code == 404, bad
        assert "Traceback" not in r.text


def test_every_search_hit_and_citation_carries_its_act(client):
    hits = client.post(f"{V1}/search", json={"q": "озоноразрушающие вещества", "top_k": 20}).json()["hits"]
    assert hits and all(h["act_id"] for h in hits)
    for act_id in {h["act_id"] for h in hits}:
        act = client.get(f"{V1}/acts/{act_id}").json()
        assert {v["doc_id"] for v in act["versions"]} & {h["document"]["id"] for h in hits if h["act_id"] == act_id}
    ozone = [h for h in hits if "ozone" in h["document"]["source"]]
    assert ozone and {h["act_id"] for h in ozone} == {ECOCODE}
    answer = client.post(f"{V1}/ask", json={"question": "Что запрещено в отношении озоноразрушающих веществ?"})
    citations = answer.json()["citations"]
    assert citations and all(c["act_id"] for c in citations)


def test_search_filters_on_the_acts_kind_and_status(client):
    q = {"q": "территория заказника озоноразрушающие вещества", "top_k": 30}
    every = client.post(f"{V1}/search", json=q).json()["hits"]
    kinds = {h["act_id"]: client.get(f"{V1}/acts/{h['act_id']}").json()["kind"] for h in every}
    assert {"government_resolution", "code"} <= set(kinds.values())
    hits = client.post(f"{V1}/search", json={**q, "kind": ["code"]}).json()["hits"]
    assert hits and {h["act_id"] for h in hits} == {ECOCODE}
    hits = client.get(f"{V1}/search", params=[("q", q["q"]), ("kind", "government_resolution")]).json()["hits"]
    assert hits and all(kinds.get(h["act_id"], "government_resolution") == "government_resolution" for h in hits)
    status = client.get(f"{V1}/acts/{ANDASAI}").json()["status"]
    hits = client.post(f"{V1}/search", json={**q, "status": [status], "act_id": [ANDASAI]}).json()["hits"]
    assert hits and {h["act_id"] for h in hits} == {ANDASAI}
    assert client.post(f"{V1}/search", json={**q, "kind": ["poem"]}).status_code == 422


# -- writing ------------------------------------------------------------------------------------
def test_link_and_unlink_need_a_write_key(anonymous):
    assert anonymous.post(f"{V1}/acts/link", json={"doc_id": "a", "other_id": "b"}).status_code == 401
    assert anonymous.post(f"{V1}/acts/unlink", json={"doc_id": "a"}).status_code == 401


def test_link_errors_name_the_documents(client):
    act = client.get(f"{V1}/acts/{ANDASAI}").json()
    ru = next(v["doc_id"] for v in act["versions"] if v["lang"] == "ru")
    r = client.post(f"{V1}/acts/link", json={"doc_id": ru, "other_id": "no-such-doc"})
    assert r.status_code == 404 and "no-such-doc" in r.json()["detail"]
    assert client.post(f"{V1}/acts/unlink", json={"doc_id": "../etc/passwd"}).status_code == 404
    # another act's Russian version cannot join an act that has one: both are named, nothing moves
    other = client.get(f"{V1}/acts/{ECOCODE}").json()
    other_ru = next(v for v in other["versions"] if v["lang"] == "ru")
    r = client.post(f"{V1}/acts/link", json={"doc_id": ru, "other_id": other_ru["doc_id"]})
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert ru in detail and other_ru["doc_id"] in detail
    assert client.get(f"{V1}/acts/{ECOCODE}").json()["versions"] == other["versions"]


# -- the CLI ------------------------------------------------------------------------------------
@pytest.fixture
def cli_env(tmp_path, monkeypatch, embedding_model_dir):
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KB_EMBEDDING_MODEL", str(embedding_model_dir))
    from kb.config import get_settings

    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _cli(*args) -> str:
    from kb.cli import app

    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    return result.output


def test_kb_acts_json_contract_and_link_unlink_move_search_hits(cli_env, small_corpus):
    act_dir = next(small_corpus.rglob("*169752"))
    folder = cli_env / "in"
    shutil.copytree(act_dir, folder / act_dir.name)
    shutil.copy(small_corpus / "seeds/ru/2022-tailings-working-group-plan.txt", folder)
    given = str(folder)
    _cli("ingest", given, "--local")
    rows = json.loads(_cli("acts", "--json", "--local"))
    assert isinstance(rows, list) and len(rows) == 2
    for row in rows:
        assert set(row) == CONTRACT_KEYS
        assert set(row["title"]) == set(row["urls"]) == {"kk", "ru"}
        for field in ("date", "repealed_on", "edition_date"):
            assert row[field] is None or dt.date.fromisoformat(row[field])
        assert row["status"] in ("in_force", "repealed", "unknown")
        for v in row["versions"]:
            assert set(v) == {"lang", "doc_id", "source"} and v["source"].startswith(given + "/")
    act = next(r for r in rows if r["id"] == "kzlaw-169752")
    assert {v["lang"] for v in act["versions"]} == {"kk", "ru"} and act["date"] == "2022-07-11"
    assert act["urls"]["ru"] and act["number"]
    kk = next(v["doc_id"] for v in act["versions"] if v["lang"] == "kk")
    ru = next(v["doc_id"] for v in act["versions"] if v["lang"] == "ru")

    def acts_of_hits() -> dict[str, str]:
        out = json.loads(_cli("search", "Андасай", "--json", "--top-k", "50", "--local"))
        hits = out["hits"] if isinstance(out, dict) else out
        return {h["document"]["id"]: h["act_id"] for h in hits}

    assert acts_of_hits()[kk] == "kzlaw-169752"
    assert "is now act" in _cli("unlink", kk, "--local")
    assert acts_of_hits()[kk] == "doc-" + kk[:16]  # the index payload followed
    assert {v["doc_id"] for v in json.loads(_cli("acts", "--json", "--local", "--lang", "kk"))[0]["versions"]} \
        == {kk}
    _cli("link", ru, kk, "--local")
    assert acts_of_hits()[kk] == "kzlaw-169752"
    from kb.cli import app

    bad = CliRunner().invoke(app, ["link", ru, "no-such-doc", "--local"])
    assert bad.exit_code != 0 and "no-such-doc" in bad.output and "Traceback" not in bad.output


# -- the staff page -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base_url(corpus_kb):
    with Server(create_app(corpus_kb)) as url:
        yield url


@pytest.mark.browser
def test_act_page_shows_requisites_and_both_texts_aligned(browser, base_url):  # noqa: F811
    for page in new_page(browser, base_url):
        page.goto(f"/#act/{ANDASAI}")
        page.wait_for_selector("#act-view .act-requisites")
        assert "2022" in page.locator("#act-view .act-requisites").inner_text()
        assert page.locator("#act-view .act-links a").count() >= 1
        rows = page.locator("#act-view .aligned-row")
        assert rows.count() >= 3
        # each aligned row holds the Kazakh and the Russian text of the same article or point
        row = rows.nth(1)
        assert row.locator(".col-kk").inner_text().strip() and row.locator(".col-ru").inner_text().strip()
        assert row.get_attribute("data-key")
        # the act list: browse, then open the act
        page.goto("/#acts")
        page.wait_for_selector("#acts-list .act-row")
        page.select_option("#a-kind", "government_resolution")
        expect(page.locator("#acts-list .act-row:not([data-kind='government_resolution'])")).to_have_count(0)
        expect(page.locator(f"#acts-list .act-row[data-act='{ANDASAI}']")).to_have_count(1)
        page.locator(f"#acts-list .act-row[data-act='{ANDASAI}'] a").first.click()
        page.wait_for_selector("#act-view .act-requisites")
        # search results show the hit's act: kind, date and a status badge
        page.goto("/#search")
        page.fill("#q", "Андасай")
        page.press("#q", "Enter")
        page.wait_for_selector("#results .hit .act-badge")
        assert page.locator("#results .hit .status-badge").count() >= 1


def test_the_cli_calls_go_through_the_running_service_too(corpus_kb):
    """kb.client answers list_acts/get_act/link/unlink like the KnowledgeBase (the CLI beside `kb serve`)."""
    from kb.client import ServiceClient, ServiceError, ServiceInfo
    from kb.models import ActFilters

    import httpx

    class Through(httpx.BaseTransport):  # the service's app, in process
        def __init__(self, tc: TestClient):
            self.tc = tc

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            r = self.tc.request(request.method, str(request.url), headers=dict(request.headers),
                                content=request.read())
            return httpx.Response(r.status_code, headers=r.headers, content=r.content)

    _, secret = corpus_kb.keys.create("write", "client test")
    with TestClient(create_app(corpus_kb)) as tc:
        info = ServiceInfo(url="http://testserver", pid=1, token=secret)
        with ServiceClient(info, transport=Through(tc)) as client:
            local = corpus_kb.list_acts(ActFilters(kind="government_resolution"), sort="title", limit=1000)
            remote = client.list_acts(ActFilters(kind="government_resolution"), sort="title", limit=1000)
            assert [a.id for a in remote.items] == [a.id for a in local.items] and remote.total == local.total
            assert client.get_act(ANDASAI).id == ANDASAI and client.get_act("kzlaw-0") is None
            with pytest.raises(ServiceError) as e:
                client.link_documents(corpus_kb.acts.get(ANDASAI).versions[0].doc_id, "no-such-doc")
            assert e.value.status == 404


def test_search_narrows_by_issuer_and_sorts_by_date(corpus_kb):
    """Issue 11: filters and sorting on requisites in search, not only in the act list."""
    from kb.models import SearchRequest

    q = "государственный природный заказник территория"
    everything = corpus_kb.search(SearchRequest(q=q, top_k=10))
    assert len({h.act_id for h in everything.hits}) >= 3
    gov = corpus_kb.search(SearchRequest(q=q, top_k=10, issuer="Правительств"))
    assert gov.hits and all(corpus_kb.get_act(h.act_id).kind == "government_resolution" for h in gov.hits)
    assert len(gov.hits) < len(everything.hits)
    assert corpus_kb.search(SearchRequest(q=q, issuer="no such issuing body")).hits == []
    newest = corpus_kb.search(SearchRequest(q=q, top_k=10, sort="-date"))
    dates = [h.document.date for h in newest.hits if h.document.date]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 2
    assert {h.passage_id for h in newest.hits} == {h.passage_id for h in everything.hits}
