"""The CLI never shows a traceback (issue 14, item 8): document text is escaped in Rich output,
symlink loops, unreadable folders and file names that are not UTF-8 are per-file errors that
name the file, the run goes on to its summary, and symlinks out of an ingested folder are not
followed unless asked. Real files in tmp_path; the small test model where ingestion embeds."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.config import Settings
from kb.pipeline import Hooks, ingest_paths

CORPUS = Path(__file__).resolve().parents[1] / "corpora"
GOOD = CORPUS / "seeds/kk/2025-stockholm-nip-press-release.txt"
MARKUP_TITLE = "Приказ [/] о мерах [bold]по охране[/bold] озонового слоя"
MARKUP_DOC = (
    f"# {MARKUP_TITLE}\n\n"
    "1. Министерство экологии обязано до 1 марта 2024 года утвердить план мер по охране озонового слоя [red].\n\n"
    "2. Акимат [/] должен представить отчёт о выполнении плана.\n"
)


@pytest.fixture
def settings(tmp_path, monkeypatch, embedding_model_dir):
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KB_EMBEDDING_MODEL", str(embedding_model_dir))
    from kb.config import get_settings

    get_settings.cache_clear()
    yield Settings()
    get_settings.cache_clear()


@pytest.fixture
def runner():
    return CliRunner()


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def test_markup_in_titles_and_text_is_printed_literally(tmp_path, settings, runner):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "[red]приказ[bold].md").write_text(MARKUP_DOC, encoding="utf-8")

    parsed = runner.invoke(app_(), ["parse", str(folder / "[red]приказ[bold].md")])
    no_traceback(parsed)
    assert parsed.exit_code == 0 and MARKUP_TITLE in parsed.stdout and "[red]" in parsed.stdout

    ingested = runner.invoke(app_(), ["ingest", str(folder)])
    no_traceback(ingested)
    assert ingested.exit_code == 0, ingested.output
    assert "[/]" in ingested.stdout and "added 1" in ingested.stdout

    listed = runner.invoke(app_(), ["documents"])
    no_traceback(listed)
    assert listed.exit_code == 0 and "[bold]по" in listed.stdout.replace("\n", "")

    found = runner.invoke(app_(), ["search", "охрана озонового слоя"])
    no_traceback(found)
    assert found.exit_code == 0, found.output
    assert MARKUP_TITLE in found.stdout

    answered = runner.invoke(app_(), ["ask", "Кто должен утвердить план мер по охране озонового слоя?"])
    no_traceback(answered)
    assert answered.exit_code == 0 and MARKUP_TITLE in answered.stdout

    registry = runner.invoke(app_(), ["obligations", "--all"])
    no_traceback(registry)
    assert registry.exit_code == 0, registry.output


def test_symlink_loop_and_bad_name_are_file_errors_and_summary_is_printed(tmp_path, settings, runner):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(GOOD, folder / "good.txt")
    os.symlink("loop.txt", folder / "loop.txt")  # points at itself
    os.symlink("b.md", folder / "a.md")
    os.symlink("a.md", folder / "b.md")
    bad = os.path.join(os.fsencode(folder), b"bad\xff\xfe.txt")
    with open(bad, "wb") as f:
        f.write(GOOD.read_bytes())

    result = runner.invoke(app_(), ["ingest", str(folder)])
    no_traceback(result)
    assert result.exit_code == 1
    assert "added 1" in result.stdout and "failed 4" in result.stdout  # the summary survives
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 4, result.stderr
    for name in ("loop.txt", "a.md", "b.md"):
        assert any(f"{folder / name}: symlink loop" in ln for ln in errors), errors
    assert any(f"{folder}/bad\\xff\\xfe.txt: file name is not valid UTF-8" in ln for ln in errors), errors

    # named on the command line, the same file errors the same way
    named = runner.invoke(app_(), ["ingest", str(folder / "loop.txt"), os.fsdecode(bad)])
    no_traceback(named)
    assert named.exit_code == 1 and "symlink loop" in named.stderr and "bad\\xff\\xfe.txt" in named.stderr


def test_unreadable_folder_is_an_error_and_the_walk_goes_on(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(GOOD, folder / "good.txt")
    shutil.copy(GOOD, folder / "locked" / "hidden-away.txt")
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path) == folder / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    settings = Settings(data_dir=tmp_path / "data")
    report = ingest_paths([folder], settings, hooks=Hooks())
    assert [(Path(f.path).name, f.status, f.reason) for f in report.files] == [
        ("good.txt", "added", None),
        ("locked", "failed", "cannot read folder (Permission denied)"),
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_for_real(tmp_path):
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(GOOD, folder / "good.txt")
    (folder / "locked").chmod(0)
    try:
        report = ingest_paths([folder], Settings(data_dir=tmp_path / "data"), hooks=Hooks())
    finally:
        (folder / "locked").chmod(0o755)
    assert {(Path(f.path).name, f.status) for f in report.files} == {("good.txt", "added"), ("locked", "failed")}


def make_outside_links(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    (outside / "more").mkdir(parents=True)
    (outside / "secret.txt").write_text("Секретный файл вне папки: пароль администратора 12345.", encoding="utf-8")
    shutil.copy(GOOD, outside / "more" / "elsewhere.txt")
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(GOOD, folder / "sub" / "good.txt")
    os.symlink(outside / "secret.txt", folder / "secret.txt")
    os.symlink(outside / "more", folder / "more")
    os.symlink(folder / "sub" / "good.txt", folder / "alias.txt")  # inside: followed
    os.symlink(folder / "sub", folder / "sub-again")  # inside: walked once, through its real path
    return folder, outside


def test_symlinks_out_of_the_folder_are_skipped_unless_asked(tmp_path):
    folder, _ = make_outside_links(tmp_path)
    report = ingest_paths([folder], Settings(data_dir=tmp_path / "data"), hooks=Hooks())
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["secret.txt"].status == "skipped" and "outside the folder" in by_name["secret.txt"].reason
    assert "--follow-symlinks" in by_name["secret.txt"].reason and by_name["secret.txt"].notice
    assert by_name["more"].status == "skipped" and "outside the folder" in by_name["more"].reason
    assert "elsewhere.txt" not in by_name
    assert by_name["alias.txt"].status == "added" and by_name["good.txt"].status == "unchanged"
    assert by_name["sub-again"].status == "skipped"
    assert report.ok

    followed = ingest_paths([folder], Settings(data_dir=tmp_path / "data2"), hooks=Hooks(), follow_symlinks=True)
    names = {Path(f.path).name: f.status for f in followed.files}
    assert names["secret.txt"] == "added" and "elsewhere.txt" in names
    assert names["sub-again"] == "skipped" and followed.ok


def test_followed_symlink_back_to_a_parent_is_a_loop_error(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(GOOD, folder / "sub" / "good.txt")
    os.symlink("..", folder / "sub" / "up")
    report = ingest_paths([folder], Settings(data_dir=tmp_path / "data"), hooks=Hooks(), follow_symlinks=True)
    assert [(Path(f.path).name, f.status) for f in report.files] == [("good.txt", "added"), ("up", "failed")]
    assert "symlink loop" in report.files[1].reason


def test_cli_reports_skipped_symlinks_and_follows_when_asked(tmp_path, settings, runner):
    folder, outside = make_outside_links(tmp_path)
    result = runner.invoke(app_(), ["ingest", str(folder)])
    no_traceback(result)
    assert result.exit_code == 0, result.output
    flat = result.stdout.replace("\n", " ")
    assert "secret.txt" in flat and "outside the folder" in flat
    from kb.store import DocStore

    assert all("outside" not in s.source for s in DocStore(settings).list())

    followed = runner.invoke(app_(), ["ingest", "--follow-symlinks", str(folder)])
    assert followed.exit_code == 0, followed.output
    assert any(s.source.endswith("secret.txt") for s in DocStore(settings).list())


def test_unexpected_error_is_one_line_not_a_traceback(tmp_path, settings, runner, monkeypatch):
    from kb.service import KnowledgeBase

    def boom(self, *a, **k):
        raise KeyError("catalog entry vanished")

    monkeypatch.setattr(KnowledgeBase, "list_documents", boom)
    result = runner.invoke(app_(), ["documents"])
    no_traceback(result)
    assert result.exit_code != 0
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "catalog entry vanished" in line


def app_():
    from kb.cli import app

    return app
