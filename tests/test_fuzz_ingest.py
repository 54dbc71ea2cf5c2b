"""Hostile input: every file ends in a Document or a clean IngestError naming it, in bounded time.

The fuzz corpus (tests/fuzz_corpus.py, deterministic by seed) runs through the parser;
the regression tests replay the shapes an outside test campaign found taking minutes
(or gigabytes) at the sizes it used, each under a hard time limit so that a
regression fails instead of hanging CI.
"""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from fuzz_corpus import FORMATS, docx_gridspan, docx_vmerge, generate, zip_bomb, zip_lying_sizes, zip_many_members
from ingest import IngestError, parse_bytes
from kb.config import Settings
from kb.models import Document

# Per file in the fuzz run; the slowest generated file parses in well under a second.
FUZZ_FILE_LIMIT_S = 10.0
PER_FORMAT = 200


class HardLimit(BaseException):
    """A BaseException, so that no reader's `except Exception` can turn it into an IngestError."""


@contextmanager
def hard_limit(seconds: float, what: str):
    """Fail the test (instead of hanging) when the block runs longer than `seconds`:
    a timer signal interrupts Python code and the regex engine alike."""

    def on_alarm(signum, frame):
        raise HardLimit(f"{what} took longer than {seconds:g} s")

    assert threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _settings(**kw) -> Settings:
    base = dict(parse_timeout_s=FUZZ_FILE_LIMIT_S, max_unzipped_mb=10.0)
    base.update(kw)
    return Settings(**base)


def _outcome(data: bytes, name: str, settings: Settings) -> Document | IngestError:
    try:
        return parse_bytes(data, name, settings)
    except IngestError as e:
        return e


# --- the fuzz corpus ------------------------------------------------------------------------------

def test_fuzz_corpus_is_deterministic():
    a = [(c.name, c.data) for c in generate(seed=3, per_format=40)]
    b = [(c.name, c.data) for c in generate(seed=3, per_format=40)]
    assert a == b and len(a) == 40 * len(FORMATS)
    assert a != [(c.name, c.data) for c in generate(seed=4, per_format=40)]


def test_fuzz_corpus_parses_or_fails_cleanly():
    settings = _settings()
    problems: list[str] = []
    outcomes = {"document": 0, "error": 0}
    started = time.monotonic()
    for case in generate(seed=0, per_format=PER_FORMAT):
        t = time.monotonic()
        try:
            result = parse_bytes(case.data, case.name, settings)
        except IngestError as e:
            outcomes["error"] += 1
            if e.path != case.name or not str(e).startswith(case.name + ": ") or "\n" in str(e) or not e.reason:
                problems.append(f"{case.name}: unclear error {str(e)!r}")
        except BaseException as e:  # noqa: BLE001 - anything else is the bug this test looks for
            problems.append(f"{case.name} ({case.kind}): {type(e).__name__}: {e}")
        else:
            outcomes["document"] += 1
            if not isinstance(result, Document) or not result.text:
                problems.append(f"{case.name}: not a document with text")
        elapsed = time.monotonic() - t
        if elapsed > FUZZ_FILE_LIMIT_S + 2:
            problems.append(f"{case.name} ({case.kind}): {elapsed:.1f} s")
    assert not problems, "\n".join(problems)
    # both outcomes occur: the corpus is neither all garbage nor all valid
    assert outcomes["document"] > 50 and outcomes["error"] > 50, outcomes
    assert time.monotonic() - started < 120


# --- the campaign's slow files, at its sizes --------------------------------------------------------

@pytest.mark.parametrize("name, data, limit", [
    ("brackets.md", b"[" * 100_000, 10),  # 127 s before
    ("bold.md", b"**a " * 50_000, 15),  # 417 s before
    ("letters.txt", "а\n".encode() * 100_000, 15),  # over 15 min before
    ("nested.html", b"<table><tr><td>" * 20_000, 20),  # 300 KB; 6.6 MB took over 5 min
    ("nested-lists.html", b"<ul><li>a " * 30_000, 20),
    ("unclosed-p.html", b"<p>a <b>b</b> c" * 20_000, 20),  # sloppy HTML: 158 s with html.parser
    ("table-rows.md", b"<table>\n" + b"<tr><td>a</td>\n" * 20_000, 20),  # rows never closed
    ("underscores.txt", b"_" * 300_000 + b"a", 10),
    ("one-word.txt", "а".encode() * 300_000, 15),  # lingua on one 300K-letter word
])
def test_pathological_text_parses_in_bounded_time(name, data, limit):
    with hard_limit(limit, f"parsing {name}"):
        result = _outcome(data, name, _settings(parse_timeout_s=limit))
    if isinstance(result, IngestError):
        assert result.reason == "no text content", result  # "[[[...": no words at all
    else:
        assert result.text


def test_obligation_extraction_of_a_long_clause_is_bounded():
    # 510 KB of "міндетті " ran over 15 minutes through obligation extraction
    from kb.obligations import extract

    data = "міндетті ".encode() * 30_000
    with hard_limit(30, "obligations of 510 KB of 'міндетті'"):
        doc = parse_bytes(data, "mindetti.txt", _settings(parse_timeout_s=30))
        extract(doc)


@pytest.mark.parametrize("text", [
    # cue words of conditions, deadlines and actor stops repeated in one clause that a trigger
    # fires on: each try used to rescan the clause from every position
    "кезде " * 20_000 + "операторы хабарлауға міндетті.",
    "жағдайда " * 15_000 + "операторы хабарлауға міндетті.",
    "жұмыс кезінде " * 15_000 + "операторы хабарлауға міндетті.",
    "егер " * 30_000 + "болса, операторы хабарлауға міндетті.",
    "ааааа " * 30_000 + "мерзімде хабарлауға міндетті.",
    "жүктелсін " * 30_000 + "орынбасарына жүктелсін.",
    "Министерство обязано разрабатывать и " * 6_000 + "утверждать планы.",
    "а" * 200_000 + "сын",
])
def test_obligation_rules_are_linear_on_repeated_cues(text):
    from kb.obligations import extract

    with hard_limit(30, f"obligations of {text[:20]!r}..."):
        doc = parse_bytes(text.encode(), "cues.txt", _settings(parse_timeout_s=30))
        extract(doc)


def test_obligation_extraction_past_its_budget_names_the_document():
    from kb.obligations import extract
    from kb.obligations.extract import ExtractionTimeout

    text = "\n\n".join(f"{i}. Министерство обязано представить отчет до 1 марта 2025 года." for i in range(3000))
    doc = parse_bytes(text.encode(), "plan.txt", _settings())
    with pytest.raises(ExtractionTimeout, match=r"plan\.txt: obligation extraction took longer than 0\.01 s"):
        extract(doc, timeout_s=0.01)


# --- the per-file budget --------------------------------------------------------------------------

def _slow_text() -> bytes:
    return "\n\n".join(f"{i}. Министерство экологии обязано представить отчет." for i in range(60_000)).encode()


def test_budget_fails_the_file_with_a_clear_error():
    with hard_limit(30, "parsing past the budget"):
        with pytest.raises(IngestError) as err:
            parse_bytes(_slow_text(), "big.txt", _settings(parse_timeout_s=0.3))
    assert str(err.value) == "big.txt: parsing took longer than 0.3 s (limit KB_PARSE_TIMEOUT_S)"


def test_budget_holds_in_worker_threads():
    # the API parses uploads in worker threads, where no timer signal can reach:
    # the readers' own checks must stop the file
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(_outcome, _slow_text(), "big.txt", _settings(parse_timeout_s=0.3)).result(timeout=60)
    assert isinstance(result, IngestError) and "parsing took longer than 0.3 s" in result.reason
    assert time.monotonic() - started < 5


def test_a_slow_file_fails_and_the_batch_goes_on(tmp_path):
    from kb.pipeline import Hooks, ingest_paths

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-slow.txt").write_bytes(_slow_text())
    (folder / "b-good.txt").write_text("Закон об отходах\n\nМинистерство обязано вести учет отходов.\n",
                                       encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", parse_timeout_s=1.0)
    parse_bytes(b"warm up the language model", "warm.txt", settings)
    with hard_limit(60, "the batch"):
        report = ingest_paths([folder], settings, hooks=Hooks())
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in report.files}
    assert by_name["a-slow.txt"].status == "failed"
    assert by_name["a-slow.txt"].reason == "parsing took longer than 1 s (limit KB_PARSE_TIMEOUT_S)"
    assert by_name["b-good.txt"].status == "added", by_name["b-good.txt"]


# --- DOCX packages ----------------------------------------------------------------------------------

def test_docx_huge_gridspan_is_refused_without_expanding_it():
    data = docx_gridspan(10_000_000)  # the campaign's file had 100000000: 9 GB
    assert len(data) < 40_000
    with hard_limit(10, "a DOCX with gridSpan=10000000"):
        with pytest.raises(IngestError) as err:
            parse_bytes(data, "span.docx", _settings())
    assert err.value.path == "span.docx"
    assert "spans 10000000 grid columns, over the limit of 1000" in err.value.reason


def test_docx_long_vertical_merge_is_read_in_linear_time():
    with hard_limit(30, "a DOCX vMerge chain"):
        doc = parse_bytes(docx_vmerge(3000), "merge.docx", _settings())
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert len(rows) >= 3000 and all(r.cells[0] == "Начало" for r in rows)


def test_docx_zip_limits():
    s = _settings(max_unzipped_mb=5.0, max_zip_members=100)
    with pytest.raises(IngestError, match=r"bomb\.docx: DOCX package unzips to 6\.0 MB, over the limit of 5 MB"):
        parse_bytes(zip_bomb(6.0), "bomb.docx", s)
    with pytest.raises(IngestError, match=r"many\.docx: DOCX package has 203 members, over the limit of 100"):
        parse_bytes(zip_many_members(200), "many.docx", s)
    # headers that understate a member's size: reading stops at the stated size
    result = _outcome(zip_lying_sizes(2.0), "lying.docx", s)
    assert isinstance(result, (Document, IngestError))


def test_html_spans_cannot_multiply_cells_without_bound():
    rows = b"<tr><td rowspan=100 colspan=100>a</td></tr>" * 400
    with hard_limit(10, "HTML spans"):
        result = _outcome("<p>Текст</p><table>".encode() + rows + b"</table>", "spans.html", _settings())
    assert isinstance(result, IngestError) and "more than 1000 columns" in result.reason


# --- encoding ---------------------------------------------------------------------------------------

UTF8_TEXT = ("Закон Республики Казахстан об охране окружающей среды\n\n"
             "Статья 1. Министерство экологии обязано вести учёт отходов и публиковать отчёт.\n"
             "Қазақстан Республикасының Үкіметі осы қаулыны орындауды қамтамасыз етсін.\n")


@pytest.mark.parametrize("damage", ["one", "three", "truncated"])
def test_damaged_utf8_stays_utf8_with_replacements(damage):
    data = UTF8_TEXT.encode("utf-8")
    at = [data.index(b" ", n) for n in (40, 90, 150)]  # between words: one bad byte each
    if damage == "one":
        data = data[:at[0]] + b"\xff" + data[at[0]:]
    elif damage == "three":
        data = data[:at[0]] + b"\xff" + data[at[0]:at[1]] + b"\xc0" + data[at[1]:at[2]] + b"\x80" + data[at[2]:]
    else:
        data = data.rstrip(b".\n")[:-1]  # cut inside the last letter
    doc = parse_bytes(data, "damaged.txt")
    assert doc.meta["encoding"] == "utf-8"
    assert "\ufffd" in doc.text and "Министерство экологии" in doc.text and "обязано вести учёт" in doc.text
    count = {"one": 1, "three": 3, "truncated": 1}[damage]
    assert doc.meta["decode_warning"] == f"{count} invalid UTF-8 byte(s) replaced with U+FFFD"


def test_damaged_utf8_with_bom_stays_utf8():
    body = UTF8_TEXT.encode()
    at = body.index(b" ", 30)
    data = b"\xef\xbb\xbf" + body[:at] + b"\xfe" + body[at:]
    doc = parse_bytes(data, "bom.md")
    assert doc.meta["encoding"] == "utf-8-sig" and "\ufffd" in doc.text
    assert doc.meta["decode_warning"].startswith("1 invalid UTF-8 byte")


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r", "cp866"])
def test_single_byte_code_pages_are_not_taken_for_damaged_utf8(encoding):
    text = UTF8_TEXT.replace("ә", "а").replace("ғ", "г").replace("қ", "к").replace("ң", "н") \
        .replace("ү", "у").replace("ұ", "у").replace("ө", "о").replace("һ", "х").replace("і", "и") \
        .replace("Қ", "К").replace("Ү", "У")
    doc = parse_bytes(text.encode(encoding), "legacy.txt")
    assert doc.meta["encoding"] == encoding and "decode_warning" not in doc.meta
    assert "Министерство экологии обязано" in doc.text
