"""Bad input: one clear error naming the file and reason; other files still ingested;
nothing stored earlier damaged; the CLI exits non-zero."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest import IngestError, parse_bytes, parse_file
from ingest_samples import make_pdf
from kb.config import Settings

CORPUS = Path(__file__).resolve().parents[1] / "corpora"
GOOD_KK = CORPUS / "seeds/kk/2025-stockholm-nip-press-release.txt"
GOOD_RU = CORPUS / "kazakhstan-law/local-astana/08-local-decisions/150-goroda-nur-sultan/15000000-goroda-nur-sultan/2020/0128-ob-obiavlenii-chrezvychainoi-situatsii-prirodnogo-kharaktera-mes-139112/rus.md"


def encrypted_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "secret")
    pdf.set_encryption(owner_password="owner", user_password="user")
    return bytes(pdf.output())


def bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, words the reason must contain)."""
    files = {
        "empty": ("empty.txt", b"", "empty"),
        "blank": ("blank.md", b"  \n\n \t\n", "empty"),
        "binary": ("binary.txt", b"\x00\x01\x02\x03garbage\x00\xff" * 50, "binary"),
        "pdf_as_txt": ("renamed.txt", b"%PDF-1.7\n" + b"\x00\x01" * 20, "binary"),
        "corrupt_pdf": ("corrupt.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF", "pdf"),
        "not_pdf": ("fake.pdf", b"just some text, not a pdf", "not a pdf"),
        "encrypted_pdf": ("locked.pdf", encrypted_pdf(), "encrypted"),
        "corrupt_docx": ("broken.docx", b"PK\x03\x04 this is not really a zip", "docx"),
        "unknown_ext": ("data.xyz", "Текст".encode(), "unsupported file type .xyz"),
    }
    out = {}
    for key, (name, data, reason) in files.items():
        path = folder / name
        path.write_bytes(data)
        out[key] = (path, reason)
    return out


@pytest.fixture
def settings(tmp_path, monkeypatch, embedding_model_dir):
    # `kb ingest` also embeds and indexes: share the session's converted model.
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KB_EMBEDDING_MODEL", str(embedding_model_dir))
    from kb.config import get_settings

    get_settings.cache_clear()
    yield Settings()
    get_settings.cache_clear()


@pytest.mark.parametrize("key", [
    "empty", "blank", "binary", "pdf_as_txt", "corrupt_pdf", "not_pdf", "encrypted_pdf", "corrupt_docx",
    "unknown_ext",
])
def test_bad_file_gives_one_line_error_naming_file_and_reason(tmp_path, key):
    path, reason = bad_files(tmp_path)[key]
    with pytest.raises(IngestError) as info:
        parse_file(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path) + ": ")
    assert reason in message.lower()
    assert info.value.path == str(path)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        parse_file(tmp_path / "nope.txt")
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(IngestError, match="not a regular file"):
        parse_file(tmp_path / "dir.txt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path):
    f = tmp_path / "locked.txt"
    f.write_text("Текст")
    f.chmod(0)
    with pytest.raises(IngestError, match="cannot read"):
        parse_file(f)


def test_size_limit(tmp_path):
    f = tmp_path / "big.txt"
    f.write_bytes("Документ о лимитах.\n".encode() * 40000)  # ~0.9 MB
    small = Settings(data_dir=tmp_path, max_file_mb=0.5)
    with pytest.raises(IngestError, match=r"over the 0.5 MB limit"):
        parse_file(f, small)
    with pytest.raises(IngestError, match="over the 0.5 MB limit"):
        parse_bytes(f.read_bytes(), "upload.txt", small)


def test_scanned_pdf_without_text(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 100, 50)
    with pytest.raises(IngestError, match="no extractable text"):
        parse_bytes(bytes(pdf.output()), "scan.pdf")


def test_cli_ingest_with_bad_files(tmp_path, settings):
    from kb.cli import app
    from kb.store import DocStore

    runner = CliRunner()
    # a good document stored earlier must survive everything below
    first = runner.invoke(app, ["ingest", str(GOOD_RU)])
    assert first.exit_code == 0, first.output
    store = DocStore(settings)
    (before,) = store.list()
    before_doc = store.get(before.id)

    folder = tmp_path / "inbox"
    folder.mkdir()
    bad = bad_files(folder)
    shutil.copy(GOOD_KK, folder / "good-kk.txt")
    (folder / "plan.pdf").write_bytes(make_pdf(rows=5))
    (folder / "README.md").write_text("# not a document")
    (folder / ".hidden.txt").write_text("скрытый файл")
    result = runner.invoke(app, ["ingest", str(folder), str(GOOD_RU)])
    assert result.exit_code != 0
    err = result.stderr
    for key, (path, reason) in bad.items():
        if key == "unknown_ext":
            continue  # in a folder walk an unknown type is skipped, not an error
        line = next(ln for ln in err.splitlines() if str(path) in ln)
        assert line.startswith("error: ") and reason in line.lower()
    assert str(bad["unknown_ext"][0]) not in err
    assert "README" not in err and ".hidden" not in err

    ids = {s.id for s in store.list()}
    assert before.id in ids and len(ids) == 3  # the act, the kk press release, the PDF
    assert store.get(before.id) == before_doc
    # no partial documents left behind: every stored document is whole
    for summary in store.list():
        assert store.get(summary.id).blocks and summary.blocks == len(store.get(summary.id).blocks)

    # an explicitly named file of an unknown type is an error
    result = runner.invoke(app, ["ingest", str(bad["unknown_ext"][0])])
    assert result.exit_code != 0 and "unsupported file type .xyz" in result.stderr


def test_cli_parse(tmp_path, settings):
    from kb.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["parse", str(GOOD_RU), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["lang"] == "ru" and doc["genre"] == "order" and doc["blocks"]
    assert doc["text"][doc["blocks"][3]["start"]:doc["blocks"][3]["end"]] == doc["blocks"][3]["text"]
    summary = runner.invoke(app, ["parse", str(GOOD_KK)])
    assert summary.exit_code == 0 and "press_release" in summary.stdout
    assert not settings.sqlite_path.exists()  # parse stores nothing
    bad = tmp_path / "empty.md"
    bad.write_bytes(b"")
    failed = runner.invoke(app, ["parse", str(bad)])
    assert failed.exit_code == 1
    assert failed.stderr.strip() == f"error: {bad}: empty file"
