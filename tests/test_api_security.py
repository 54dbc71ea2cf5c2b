"""Keys, roles, ids, cross-site writes, headers and body limits (issue 14), on the FakeKB."""

from __future__ import annotations

import os
import stat

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import ErrorBody
from api_fakes import FakeKB
from kb.config import Settings
from kb.service_file import ServiceFile

V1 = "/api/v1"
UPLOAD = {"file": ("note.txt", "Министерство экологии направляет отчет.".encode(), "text/plain")}


@pytest.fixture
def kb() -> FakeKB:
    return FakeKB()


@pytest.fixture
def keys(kb):
    return {role: kb.keys.create(role, f"{role} key")[1] for role in ("read", "write", "admin")}


@pytest.fixture
def anon(kb):
    with TestClient(create_app(kb), raise_server_exceptions=False) as c:
        yield c


def _error(r, status: int) -> str:
    assert r.status_code == status, r.text
    body = ErrorBody.model_validate(r.json())  # every error has the declared shape
    assert "Traceback" not in r.text
    return body.detail


# -- keys and roles ------------------------------------------------------------------------------
def test_anonymous_writes_are_401_with_a_bearer_challenge(anon):
    r = anon.post(f"{V1}/documents", files=UPLOAD)
    assert "write" in _error(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    _error(anon.delete(f"{V1}/documents/ru-xss-news"), 401)
    _error(anon.post(f"{V1}/jobs", files={"files": UPLOAD["file"]}), 401)
    assert anon.get(f"{V1}/documents/ru-xss-news").status_code == 200  # nothing was deleted


def test_the_catalog_cannot_be_deleted_by_anyone(anon, keys):
    """The original bug: DELETE /documents/catalog wiped the store."""
    before = anon.get(f"{V1}/documents").json()["total"]
    _error(anon.delete(f"{V1}/documents/catalog"), 401)
    r = anon.delete(f"{V1}/documents/catalog", headers={"Authorization": f"Bearer {keys['admin']}"})
    _error(r, 404)
    _error(anon.get(f"{V1}/documents/catalog"), 404)
    assert anon.get(f"{V1}/documents").json()["total"] == before


@pytest.mark.parametrize("doc_id", ["x" * 300, "..", "..%2F..%2Fetc%2Fpasswd", "a.b", "%00", "catalog.json"])
def test_malformed_ids_are_404_never_500(anon, keys, doc_id):
    _error(anon.get(f"{V1}/documents/{doc_id}"), 404)
    r = anon.delete(f"{V1}/documents/{doc_id}", headers={"X-API-Key": keys["write"]})
    assert r.status_code == 404, r.text
    _error(anon.get(f"{V1}/jobs/{doc_id}"), 404)


def test_a_read_key_cannot_write_and_a_write_key_can(anon, keys):
    r = anon.post(f"{V1}/documents", files=UPLOAD, headers={"Authorization": f"Bearer {keys['read']}"})
    assert "'write'" in _error(r, 403)
    r = anon.post(f"{V1}/documents", files=UPLOAD, headers={"Authorization": f"Bearer {keys['write']}"})
    assert r.status_code == 201, r.text
    r = anon.delete(f"{V1}/documents/{r.json()['id']}", headers={"X-API-Key": keys["write"]})
    assert r.status_code == 204


def test_an_invalid_or_revoked_key_is_401_even_for_reads(anon, kb, keys):
    _error(anon.get(f"{V1}/documents", headers={"X-API-Key": "kb_000000000000_" + "x" * 43}), 401)
    _error(anon.get(f"{V1}/documents", headers={"Authorization": "Bearer nonsense"}), 401)
    record = next(k for k in kb.keys.list() if k.role == "write")
    assert kb.keys.revoke(record.id)
    _error(anon.post(f"{V1}/documents", files=UPLOAD, headers={"X-API-Key": keys["write"]}), 401)


def test_reads_need_a_key_when_the_service_requires_one(kb, keys):
    settings = kb.settings.model_copy(update={"require_read_key": True})
    with TestClient(create_app(kb, settings=settings), raise_server_exceptions=False) as c:
        _error(c.get(f"{V1}/search", params={"q": "ртути"}), 401)
        _error(c.get(f"{V1}/documents"), 401)
        assert c.get(f"{V1}/search", params={"q": "ртути"}, headers={"X-API-Key": keys["read"]}).status_code == 200
        assert c.get(f"{V1}/health").status_code == 200  # monitoring needs no key


def test_admins_manage_keys_and_others_cannot(anon, keys):
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    _error(anon.get(f"{V1}/keys", headers={"X-API-Key": keys["write"]}), 403)
    _error(anon.get(f"{V1}/keys"), 401)
    created = anon.post(f"{V1}/keys", json={"role": "read", "name": "dashboard"}, headers=admin)
    assert created.status_code == 201, created.text
    secret, key_id = created.json()["secret"], created.json()["key"]["id"]
    listed = anon.get(f"{V1}/keys", headers=admin).json()
    assert any(k["id"] == key_id for k in listed) and all("secret" not in k for k in listed)
    assert secret not in anon.get(f"{V1}/keys", headers=admin).text
    assert anon.delete(f"{V1}/keys/{key_id}", headers=admin).status_code == 204
    _error(anon.get(f"{V1}/documents", headers={"X-API-Key": secret}), 401)


# -- cross-site requests, CORS and headers -------------------------------------------------------------
def test_cross_site_writes_are_refused_even_with_a_key(anon, keys):
    headers = {"X-API-Key": keys["write"], "Origin": "https://evil.example"}
    assert "cross-site" in _error(anon.post(f"{V1}/documents", files=UPLOAD, headers=headers), 403)
    headers = {"X-API-Key": keys["write"], "Sec-Fetch-Site": "cross-site"}
    _error(anon.post(f"{V1}/documents", files=UPLOAD, headers=headers), 403)
    # The staff page itself (same origin) may write.
    same = {"X-API-Key": keys["write"], "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert anon.post(f"{V1}/documents", files=UPLOAD, headers=same).status_code == 201


def test_cors_is_closed_by_default_and_opens_for_configured_origins(kb, keys):
    with TestClient(create_app(kb), raise_server_exceptions=False) as c:
        r = c.get(f"{V1}/documents", headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in r.headers
    settings = kb.settings.model_copy(update={"cors_origins": ["https://portal.example"]})
    with TestClient(create_app(kb, settings=settings), raise_server_exceptions=False) as c:
        r = c.get(f"{V1}/documents", headers={"Origin": "https://portal.example"})
        assert r.headers["access-control-allow-origin"] == "https://portal.example"
        headers = {"Origin": "https://portal.example", "X-API-Key": keys["write"]}
        assert c.post(f"{V1}/documents", files=UPLOAD, headers=headers).status_code == 201


@pytest.mark.parametrize("path", ["/", "/static/app.js", f"{V1}/documents", f"{V1}/nope", "/docs", f"{V1}/health"])
def test_security_headers_on_every_response(anon, path):
    r = anon.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    if path == "/":
        assert "'unsafe-inline'" not in r.headers["content-security-policy"]


# -- bodies, errors, paths ----------------------------------------------------------------------
def test_a_body_over_the_limit_is_refused_while_it_streams(anon, kb, keys):
    limit = int(kb.settings.max_file_mb * 1024 * 1024) + 1024 * 1024
    # Declared too large: refused before a byte is read.
    r = anon.post(f"{V1}/documents", content=b"x", headers={"Content-Length": str(limit + 1), "X-API-Key": keys["write"]})
    assert r.status_code == 413
    # Not declared (chunked): counted while it streams.

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"y" * 65536

    r = anon.post(f"{V1}/documents", content=chunks(), headers={"X-API-Key": keys["write"], "Content-Type": "multipart/form-data; boundary=zz"})
    assert "larger than" in _error(r, 413)


def test_422_bodies_match_the_declared_schema(anon):
    schema = anon.get("/openapi.json").json()
    op = schema["paths"][f"{V1}/search"]["post"]
    assert op["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    declared = set(schema["components"]["schemas"]["ErrorBody"]["properties"])
    r = anon.post(f"{V1}/search", json={"q": "x", "top_k": -1})
    assert set(r.json()) <= declared and _error(r, 422)


def test_openapi_declares_the_key_schemes_and_auth_errors(anon):
    schema = anon.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    upload = schema["paths"][f"{V1}/documents"]["post"]
    assert upload["security"] and {"401", "403"} <= set(upload["responses"])


def test_no_absolute_server_paths_in_responses(anon, kb):
    doc = next(iter(kb.docs.values()))
    doc.source = os.path.join(os.getcwd(), "corpora", "x.md")
    other = list(kb.docs.values())[1]
    other.source = "/srv/secret/archive/y.md"
    body = anon.get(f"{V1}/documents").text + anon.get(f"{V1}/health").text
    assert os.getcwd() not in body and "/srv/secret" not in body
    assert "corpora/x.md" in body and "archive/y.md" in body


# -- jobs ---------------------------------------------------------------------------------------
def test_upload_job_runs_in_the_background_and_reports_progress(anon, kb, keys):
    files = [("files", ("a.txt", "Первый документ.".encode(), "text/plain")),
             ("files", ("b.pdf", b"not a pdf", "application/pdf"))]
    r = anon.post(f"{V1}/jobs", files=files, headers={"X-API-Key": keys["write"]})
    assert r.status_code == 202, r.text
    job = kb.jobs.wait(r.json()["id"], timeout=30)
    assert job.status == "done" and job.done == 2 and job.added == 1
    assert [f.path for f in job.failed] == ["upload:b.pdf"]
    assert anon.get(f"{V1}/jobs/{job.id}").json()["status"] == "done"
    assert any(j["id"] == job.id for j in anon.get(f"{V1}/jobs").json())


def test_server_path_jobs_need_the_admin_role(anon, keys, tmp_path):
    body = {"paths": [str(tmp_path)]}
    _error(anon.post(f"{V1}/jobs", json=body, headers={"X-API-Key": keys["write"]}), 403)
    _error(anon.post(f"{V1}/jobs", json={"paths": []}, headers={"X-API-Key": keys["admin"]}), 422)


# -- the service file -----------------------------------------------------------------------
def test_service_file_is_private_and_ignored_once_its_process_is_gone(tmp_path):
    settings = Settings(data_dir=tmp_path, port=8123)
    published = ServiceFile.publish(settings)
    assert stat.S_IMODE(os.stat(published.path).st_mode) == 0o600
    found = ServiceFile.read(settings)
    assert found and found.url == "http://127.0.0.1:8123" and found.token == published.token
    published.path.write_text(published.path.read_text().replace(str(os.getpid()), "999999999"))
    assert ServiceFile.read(settings) is None
    published.path.write_text('{"url": "http://127.0.0.1:1", "pid": %d, "token": "t"}' % os.getpid())
    published.remove()
    assert not published.path.exists()


def test_the_service_token_is_an_admin_key(kb):
    app = create_app(kb)
    app.state.publish = True
    with TestClient(app, raise_server_exceptions=False) as c:
        token = ServiceFile.read(kb.settings).token
        assert c.get(f"{V1}/keys", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert ServiceFile.read(kb.settings) is None  # removed at shutdown
