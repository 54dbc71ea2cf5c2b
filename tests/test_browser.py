"""The staff page in a real browser: Playwright driving Debian's Chromium.

The app is served by uvicorn on 127.0.0.1 (a free port) over the in-memory FakeKB
(tests/api_fakes.py), so these tests check the page itself: routing, filters,
citations, the CSV download and that document text is never run as HTML.
tests/test_api_e2e.py drives the same page over the real KnowledgeBase.

Screenshots for the README (docs/screenshot-*.png) are written only when missing
(KB_SCREENSHOTS=1 refreshes them from the real-KB run), so that a test run does not
rewrite tracked files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.app import create_app
from api_fakes import XSS_TEXT, FakeKB
from browser_support import Server, browser, new_page, screenshot  # noqa: F401 - browser is a fixture

pytestmark = pytest.mark.browser


class _Url(str):
    kb: FakeKB


@pytest.fixture(scope="module")
def base_url():
    kb = FakeKB()
    with Server(create_app(kb)) as url:
        url = _Url(url)
        url.kb = kb
        yield url


@pytest.fixture
def page(browser, base_url):
    yield from new_page(browser, base_url)


def _search(page, q: str) -> None:
    page.goto("/#search")
    page.fill("#q", q)
    page.press("#q", "Enter")
    page.wait_for_selector("#results .hit")


def test_search_in_kazakh_finds_the_russian_act(page):
    _search(page, "сынап")  # Kazakh for "mercury"
    first = page.locator("#results .hit").first
    assert first.get_attribute("data-lang") == "ru"
    assert first.locator(".hit-title").inner_text() == "Об обращении с ртутью"
    assert first.locator(".path").inner_text() == "Статья 2 › п. 1"
    assert first.locator(".snippet mark").first.inner_text() == "ртути"
    # The interface switches to Kazakh and back without reloading.
    page.select_option("#ui-lang", "kk")
    assert page.locator("nav a[data-view=search]").inner_text() == "Іздеу"
    assert page.locator("#search-summary").inner_text().startswith("Табылды")
    screenshot(page, "search")
    page.select_option("#ui-lang", "ru")
    assert page.locator("nav a[data-view=search]").inner_text() == "Поиск"


def test_a_filter_narrows_the_results(page):
    _search(page, "ртути")
    hits = page.locator("#results .hit")
    assert hits.count() == 2
    # Options come from /api/v1/entities, labelled in the interface language.
    assert "Минаматская конвенция" in page.locator("#f-convention").inner_text()
    page.select_option("#f-convention", "minamata")
    # expect() polls from Playwright's side: wait_for_function's polling evaluates a string in
    # the page, which the page's CSP (no unsafe-eval) refuses
    expect(hits).to_have_count(1)
    assert hits.first.get_attribute("data-doc") == "ru-mercury-act"
    page.select_option("#f-convention", "")
    page.select_option("#f-genre", "news")
    expect(page.locator("#results .hit[data-doc='ru-xss-news']")).to_have_count(1)
    expect(hits).to_have_count(1)


def test_citation_click_scrolls_to_the_quote(page):
    page.goto("/#ask")
    page.fill("#question", "Когда представить план по сокращению выбросов ртути?")
    page.click("#ask-form button[type=submit]")
    link = page.locator("#citations .citation-link").first
    link.wait_for()
    quote = page.locator("#citations blockquote").first.inner_text()
    # Confidence in words, the number on hover; no debug text, no empty headings.
    assert page.locator("#confidence-value").inner_text() == "высокая"
    assert "80%" in page.locator("#confidence").get_attribute("title")
    assert page.locator("#related-head").is_hidden()
    assert page.locator("#answer-text a.cite-ref").inner_text() == "[1]"
    screenshot(page, "ask")
    link.click()
    mark = page.locator("#doc-text mark.quote")
    mark.first.wait_for()
    assert "".join(mark.all_inner_texts()) == quote
    # The quote sits below a long first article: it is only in view if the page scrolled to it.
    box = page.evaluate(
        "(() => { const r = document.querySelector('#doc-text mark.quote').getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, h: innerHeight, y: scrollY}; })()"
    )
    assert box["y"] > 0 and 0 <= box["top"] and box["bottom"] <= box["h"], box
    assert "start=" in page.url and "end=" in page.url
    # Entities are coloured by type, with a legend.
    assert page.locator("#doc-text .ent-convention").first.inner_text() == "Минаматской конвенцией"
    assert page.locator("#doc-legend .ent-agency").count() == 1
    screenshot(page, "document")


def test_refusal_shows_no_debug_text_and_no_empty_sources(page):
    page.goto("/#ask")
    page.fill("#question", "Шахматы чемпионат мира")
    page.click("#ask-form button[type=submit]")
    page.locator("#answer").wait_for()
    page.wait_for_function("document.querySelector('#confidence-value').textContent !== ''")
    body = page.locator("#answer").inner_text()
    assert "no passage matches" not in body and "threshold" not in body
    assert page.locator("#citations-head").is_hidden() and page.locator("#citations").is_hidden()
    assert page.locator("#confidence-value").inner_text() == "низкая"
    assert "0%" in page.locator("#confidence").get_attribute("title")


def test_obligations_table_filters_and_csv_download(page):
    page.goto("/#obligations")
    rows = page.locator("#obl-table tbody tr")
    expect(rows).to_have_count(3)
    page.select_option("#o-actor", "mepnr")
    expect(rows).to_have_count(2)
    assert "2025-12-31" in rows.nth(1).inner_text() or "2025-12-31" in rows.nth(0).inner_text()
    screenshot(page, "obligations")
    with page.expect_download() as info:
        page.click("#csv-link")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    data = Path(download.path()).read_bytes().decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(data)))
    assert len(table) == 2 and {r["actor_id"] for r in table} == {"mepnr"}
    # The source link opens the document at the obligation's sentence.
    rows.first.locator("td:last-child a").click()
    page.locator("#doc-text mark.quote").first.wait_for()


def test_html_in_document_text_is_shown_as_text(page):
    page.goto("/#doc/ru-xss-news")
    page.wait_for_selector("#doc-text .blk")
    assert XSS_TEXT in page.locator("#doc-text").inner_text()
    assert page.locator("#doc-title").inner_text().startswith("Новость <img")
    assert page.locator("#doc-obligations").inner_text().count("<b>собирать</b>") == 1
    _search(page, "Отходы")
    assert "<script>window.__xss = 1</script>" in page.locator("#results").inner_text()
    page.goto("/#obligations")
    page.wait_for_selector("#obl-table tbody tr")
    assert 'onerror="window.__xss = 3"' in page.locator("#obl-table").inner_text()
    # Nothing from the documents became an element or ran.
    assert page.locator("main img, main script, main b").count() == 0
    assert page.evaluate("window.__xss") is None


def test_upload_asks_for_a_key_and_shows_the_job(page, base_url, tmp_path):
    kb = base_url.kb
    _, secret = kb.keys.create("write", "browser test")
    prompts = []

    def answer(dialog):
        prompts.append(dialog.message)
        dialog.accept("wrong-key" if len(prompts) == 1 else secret)

    page.on("dialog", answer)
    page.goto("/#documents")
    expect(page.locator("#docs-table tbody tr")).to_have_count(3)
    assert prompts == []  # reading needs no key
    bad = tmp_path / "scan.exe"
    bad.write_bytes(b"MZ\x90\x00")
    good = tmp_path / "eskertu.txt"
    good.write_text("Ескерту\n\nҚалдықтарды бөлек жинау міндетті.", encoding="utf-8")
    page.set_input_files("#upload-file", [str(bad), str(good)])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#error:not([hidden])")
    assert len(prompts) == 2 and "API" in prompts[0]  # asked, the wrong key refused, asked again
    assert "scan.exe" in page.locator("#error").inner_text()
    assert "1" in page.locator("#upload-status").inner_text()
    expect(page.locator("#docs-table tbody tr")).to_have_count(4)
    added = next(d for d in kb.docs.values() if d.source == "eskertu.txt")
    assert "Қалдықтарды бөлек жинау міндетті." in added.text
    del kb.docs[added.id]  # leave the module's KB as found


def test_obligations_status_badges_due_sort_and_calendar_link(page):
    # waits through locators: a string passed to wait_for_function is eval, which the page's CSP forbids
    import re

    from icalendar import Calendar
    from playwright.sync_api import expect

    page.goto("/#obligations")
    rows = page.locator("#obl-table tbody tr")
    expect(rows).to_have_count(3)
    # every row says where it stands today; dated ones that passed are overdue
    expect(page.locator("#obl-table tbody tr .badge[class*='st-']")).to_have_count(3)
    expect(page.locator("#obl-table .badge.st-overdue")).to_have_count(2)
    expect(page.locator("#obl-table .badge.st-no_deadline")).to_have_count(1)
    page.select_option("#o-sort", "due")
    expect(page.locator("#ics-link")).to_have_attribute("href", re.compile(r"sort=due"))
    expect(rows.first).to_contain_text("2025-12-31")  # the earliest due date first
    page.select_option("#o-status", "overdue")
    expect(rows).to_have_count(2)
    page.select_option("#o-actor", "mepnr")
    expect(page.locator("#ics-link")).to_have_attribute("href", re.compile(r"actor=mepnr"))
    href = page.locator("#ics-link").get_attribute("href")
    assert href.startswith("http") and "/api/v1/obligations.ics?" in href and "status=overdue" in href
    # the generic roles of Rules are offered next to the agencies
    expect(page.locator("#o-actor option[value='role:authorized-body']")).to_have_count(1)
    resp = page.request.get(href)
    assert resp.ok and resp.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(resp.body()).walk("VEVENT")
    assert len(events) == 2 and all(len(e.walk("VALARM")) == 2 for e in events)


def test_obligations_paired_view_shows_a_duty_once_with_both_quotes(page, base_url):
    import datetime as dt

    from kb.models import Actor, Document, Obligation, Quote

    kb = base_url.kb

    def doc(doc_id, lang, text, actor, action):
        o = Obligation(actor=Actor(text=actor), action=action, modality="duty", lang=lang, pair_key="kzlaw-9|app/p2|0",
                       quote=Quote(text=text, doc_id=doc_id, start=0, end=len(text), block_path="п. 2"))
        return Document(id=doc_id, source=f"/c/{doc_id}.md", lang=lang, genre="law", title=f"Правила {lang}",
                        date=dt.date(2022, 1, 1), text=text, obligations=[o])

    added = [doc("pair-ru", "ru", "Оператор ведет журнал учета", "Оператор", "ведет журнал учета"),
             doc("pair-kk", "kk", "Оператор есепке алу журналын жүргізеді", "Оператор", "журналын жүргізеді")]
    for d in added:
        kb.docs[d.id] = d
    try:
        page.goto("/#obligations")
        rows = page.locator("#obl-table tbody tr")
        expect(page.locator("#o-view")).to_have_value("paired")
        expect(rows).to_have_count(4)  # the three of the fake KB and the pair, once
        pair = rows.filter(has_text="ведет журнал учета")
        expect(pair.locator("td.quotes .quote")).to_have_count(2)
        expect(pair.locator(".quote[lang='kk'] a")).to_have_text("Оператор есепке алу журналын жүргізеді")
        assert "#doc/pair-kk" in pair.locator(".quote[lang='kk'] a").get_attribute("href")
        page.select_option("#o-view", "flat")
        expect(rows).to_have_count(5)
    finally:
        for d in added:
            del kb.docs[d.id]
