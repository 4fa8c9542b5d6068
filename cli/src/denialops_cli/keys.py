"""`denialops keys create | list | revoke`: tenant API keys, managed in intake's database directly.

Direct database access, not an admin HTTP endpoint: managing keys needs a credential that exists before
any key does, and the database credentials an operator already holds are that credential; an admin
endpoint would be one more privileged surface on the public API. The database is found the way the
intake service finds it (`MONGODB_URI`, `INTAKE_MONGODB_DATABASE`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.table import Table

from denialops_intake.settings import IntakeSettings
from denialops_intake.tenants import TENANT_ID, TenantStore
from denialops_shared.mongo import Document, create_client, database

app = typer.Typer(help="Manage tenant API keys (stored hashed in intake's database).", no_args_is_help=True)
console = Console()
T = TypeVar("T")


def _with_store(action: Callable[[TenantStore], Awaitable[T]]) -> T:
    settings = IntakeSettings()

    async def run() -> T:
        client: AsyncMongoClient[Document] = create_client(settings)
        try:
            store = TenantStore(database(client, settings))
            await store.create_indexes()
            return await action(store)
        finally:
            await client.close()

    return asyncio.run(run())


def write_key(path: Path, key: str) -> None:
    """Write the key readable by its owner only (it is a password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    path.chmod(0o600)


@app.command()
def create(
    tenant: Annotated[str, typer.Argument(help="Tenant id: 2-63 lowercase letters, digits or dashes.")],
    name: Annotated[str, typer.Option(help="What the key is for (shown by `keys list`).")] = "default",
    out: Annotated[Path | None, typer.Option(help="Write the key to this file (mode 600), not to the screen.")] = None,
) -> None:
    """Create a key for a tenant (registering the tenant if it is new). The key is shown once."""
    if not TENANT_ID.fullmatch(tenant):
        raise typer.BadParameter("2-63 lowercase letters, digits or dashes", param_hint="TENANT")
    key, plain = _with_store(lambda store: store.create_key(tenant, name))
    if out is None:
        typer.echo(plain)
        console.print(f"key {key.key_id} for tenant {tenant}: keep it secret, it is not shown again", style="dim")
    else:
        write_key(out, plain)
        console.print(f"key {key.key_id} for tenant {tenant} written to {out}")


@app.command("list")
def list_keys(tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None) -> None:
    """Every key (never the key itself): id, tenant, name, created, revoked."""
    keys = _with_store(lambda store: store.list_keys(tenant))
    table = Table("key id", "tenant", "name", "created", "revoked")
    for key in keys:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "-"
        table.add_row(key.key_id, key.tenant_id, key.name, key.created_at.isoformat(timespec="seconds"), revoked)
    console.print(table)


@app.command()
def revoke(key_id: Annotated[str, typer.Argument(help="The key id, as `keys list` shows it.")]) -> None:
    """Revoke a key: requests with it get 401 from then on."""
    if not _with_store(lambda store: store.revoke_key(key_id)):
        console.print(f"[red]error[/red] no active key {key_id}")
        raise typer.Exit(1)
    console.print(f"key {key_id} revoked")
