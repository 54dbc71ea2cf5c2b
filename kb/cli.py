"""The `kb` command line. Thin: every command calls a library function."""

from __future__ import annotations

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
    """Parse and store documents under KB_DATA_DIR; unchanged files are skipped."""
    from kb.pipeline import ingest_paths

    with Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as bar:
        task = bar.add_task("ingesting", total=None)

        def progress(done: int, total: int, result) -> None:
            bar.update(task, completed=done, total=total, description=Path(result.path).name[:40])

        report = ingest_paths(paths, progress=progress, force=force)

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


def _display(path: str) -> str:
    """A path relative to the working directory when it is under it (shorter in the table)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


if __name__ == "__main__":
    app()
