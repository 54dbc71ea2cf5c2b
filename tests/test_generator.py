"""The optional generator against a real HTTP endpoint the test starts on 127.0.0.1.

The server speaks the OpenAI chat-completions shape and returns canned answers chosen
by the question, so the tests exercise the real HTTP round trip, the citation checks
and the extractive fallback without any model.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kb.config import Settings
from kb.generator import generate_answer
from kb.models import Answer, DocumentRef, Hit

DOC_TEXT = (
    "Рабочая группа создана приказом Министра № 20 от 21 января 2022 года.\n"
    "7 | Проведение второго заседания Рабочей группы | 4 квартал 2022 года | МЧС, МЭГПР\n"
    "11 февраля 2022 года – Первая встреча Рабочей группы (онлайн)"
)

CANNED = {
    "когда второе заседание": "Второе заседание пройдёт в 4 квартале 2022 года [2], группа создана в январе [1] [7].",
    "когда создана группа": "Группа создана 21 января 2022 года [1].",
    "сколько стоит билет": "В отрывках нет ответа на этот вопрос.",
}


class _ChatHandler(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if self.path.startswith("/hang"):
            time.sleep(3)  # longer than the client's timeout in the test
        if self.path.startswith("/garbage"):
            payload = b"<html>not json</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if self.path.startswith("/fail"):
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"internal error")
            return
        prompt = body["messages"][-1]["content"].lower()
        content = next((a for q, a in CANNED.items() if q in prompt), "нет ответа")
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _hits() -> list[Hit]:
    doc = DocumentRef(id="d1", source="corpora/seeds/ru/plan.txt", title="План работы", lang="ru", genre="plan")
    hits = []
    pos = 0
    for line in DOC_TEXT.split("\n"):
        hits.append(Hit(score=1.0, text=line, snippet=line, document=doc, passage_id=f"p{len(hits)}",
                        start=pos, end=pos + len(line)))
        pos += len(line) + 1
    return hits


def _fallback(calls: list[int]):
    def make() -> Answer:
        calls.append(1)
        return Answer(question="q", answered=True, answer="extractive", answer_lang="ru", confidence=0.7,
                      reason=None)
    return make


def test_unknown_citation_is_dropped_and_reported(endpoint):
    calls: list[int] = []
    settings = Settings(llm_url=endpoint + "/v1/chat/completions", llm_api_key="secret")
    hits = _hits()
    ans = generate_answer("Когда второе заседание рабочей группы?", hits, settings, _fallback(calls))
    assert not calls
    assert ans.answered
    assert "[7]" not in ans.answer and "[2]" in ans.answer and "[1]" in ans.answer
    assert [c.n for c in ans.citations] == [1, 2]
    assert "7" in ans.reason and "unknown" in ans.reason
    # Every kept citation quotes exactly what the document holds at its offsets.
    for c in ans.citations:
        assert DOC_TEXT[c.start:c.end] == c.quote
    sent = _ChatHandler.requests[-1]
    assert sent["auth"] == "Bearer secret"
    assert "[3] (План работы)" in sent["body"]["messages"][-1]["content"]


def test_answer_with_valid_citations_only(endpoint):
    ans = generate_answer("Когда создана группа?", _hits(), Settings(llm_url=endpoint + "/v1/chat"), _fallback([]))
    assert ans.answered and [c.n for c in ans.citations] == [1]
    assert "dropped" not in ans.reason
    assert ans.answer_lang == "ru" and not ans.source_lang_marked


def test_answer_without_citations_is_not_an_answer(endpoint):
    ans = generate_answer("Сколько стоит билет?", _hits(), Settings(llm_url=endpoint + "/v1/chat"), _fallback([]))
    assert not ans.answered and ans.citations == []
    assert "cites no passage" in ans.reason


def test_endpoint_error_falls_back_to_extractive(endpoint):
    calls: list[int] = []
    ans = generate_answer("Когда создана группа?", _hits(), Settings(llm_url=endpoint + "/fail"), _fallback(calls))
    assert calls == [1]
    assert ans.answer == "extractive"
    assert "failed" in ans.reason and "500" in ans.reason and "extractive answer given" in ans.reason
    assert ans.notes == ["generator_failed"]  # the interface says so in its own language


@pytest.mark.parametrize("path", ["/hang", "/garbage"])
def test_endpoint_that_hangs_or_talks_nonsense_falls_back(endpoint, path):
    calls: list[int] = []
    settings = Settings(llm_url=endpoint + path, llm_timeout_s=1)
    t0 = time.perf_counter()
    ans = generate_answer("Когда создана группа?", _hits(), settings, _fallback(calls))
    assert time.perf_counter() - t0 < 2.5  # the timeout holds; the user is not kept waiting
    assert calls == [1] and ans.answer == "extractive" and ans.notes == ["generator_failed"]


def test_unreachable_endpoint_falls_back(endpoint):
    calls: list[int] = []
    settings = Settings(llm_url="http://127.0.0.1:9/v1/chat", llm_timeout_s=2)
    ans = generate_answer("Когда создана группа?", _hits(), settings, _fallback(calls))
    assert calls == [1] and "ConnectError" in ans.reason


def test_non_kk_ru_question_never_reaches_the_endpoint(endpoint):
    before = len(_ChatHandler.requests)
    calls: list[int] = []
    generate_answer("When is the second meeting?", _hits(), Settings(llm_url=endpoint + "/v1/chat"), _fallback(calls))
    assert calls == [1] and len(_ChatHandler.requests) == before
