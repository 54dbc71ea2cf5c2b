"""`kb keys`: create, list and revoke API keys (stored hashed in the document database).

Run on the server (it writes to KB_DATA_DIR's database, or KB_DATABASE_URL): the secret
is printed once and cannot be shown again.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kb.models import ROLES

app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _store():
    from kb.config import get_settings
    from kb.keys import KeyStore

    return KeyStore(get_settings())


@app.command("create")
def create(
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}"),
    name: str = typer.Option("", "--name", help="What the key is for (shown in lists)"),
    as_json: bool = typer.Option(False, "--json", help="Print the record and secret as JSON"),
) -> None:
    """Create a key and print its secret once."""
    if role not in ROLES:
        err_console.print(f"Error: --role must be one of {', '.join(ROLES)}, got {escape(role)!r}")
        raise typer.Exit(2)
    try:
        record, secret = _store().create(role, name)
    except ValueError as exc:
        err_console.print(f"Error: {escape(str(exc))}")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps({"key": record.model_dump(mode="json"), "secret": secret}, ensure_ascii=False))
        return
    console.print(f"Created key [bold]{record.id}[/bold] ({record.role}). Its secret, shown only now:")
    print(secret)


@app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json")) -> None:
    """List keys (never their secrets)."""
    records = _store().list()
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False))
        return
    table = Table("id", "role", "name", "created", "last used", "revoked")
    for r in records:
        table.add_row(
            r.id, r.role, escape(r.name), f"{r.created_at:%Y-%m-%d %H:%M}",
            f"{r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else "",
            f"{r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "",
        )
    console.print(table)


@app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="A key id (see `kb keys list`)")) -> None:
    """Revoke a key: it stops working at once."""
    if not _store().revoke(key_id):
        err_console.print(f"Error: no active key with id {escape(key_id)!r}")
        raise typer.Exit(1)
    console.print(f"Revoked {escape(key_id)}.")
