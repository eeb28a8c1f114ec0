"""``gutbalance serve``: the web app (accounts, sample store, reports)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..errors import GutBalanceError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on.  Keep 127.0.0.1 and put a TLS proxy in front to serve others.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the SQLite database and the signing secret "
                   "[default: $GUTBALANCE_DATA_DIR or ~/.local/share/gutbalance].")
@click.option("--database-url", default=None, metavar="URL",
              help="Use this database instead of SQLite in the data folder, e.g. "
                   "postgresql+psycopg://user:password@host/dbname.")
@click.option("--behind-tls-proxy", is_flag=True, default=None,
              help="Served over HTTPS by a reverse proxy: Secure cookies and HSTS always, "
                   "and the proxy's X-Forwarded-* headers are trusted from --forwarded-allow-ips "
                   "(without this flag they are ignored from everyone).")
@click.option("--forwarded-allow-ips", default=None,
              help="Proxies (addresses or networks, comma-separated) whose X-Forwarded-For/-Proto headers "
                   "are trusted with --behind-tls-proxy [default: 127.0.0.1].")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Server processes sharing the port (they share the database: its throttles and job queue) "
                   "[default: $GUTBALANCE_SERVER_PROCESSES or 1].")
def serve(host: str, port: int, data_dir: Path | None, database_url: str | None,
          behind_tls_proxy: bool | None, forwarded_allow_ips: str | None, workers: int | None) -> None:
    """Start the web app: register, upload profiles, read reports.

    The database is created or migrated to the current schema first.
    """
    # light: neither reads the web extras
    from ..web import forkserver
    from ..web.core.config import load_settings

    settings = load_settings(
        data_dir=data_dir,
        database_url=database_url,
        behind_tls_proxy=behind_tls_proxy,
        forwarded_allow_ips=forwarded_allow_ips,
        server_processes=workers,
    )
    if settings.server_processes == 1:
        # The scoring workers' fork server imports and warms up on the other
        # core while this process imports the app (several processes: each
        # starts its own, in its app).
        forkserver.start()
    try:
        # the web app needs the web extras (uvicorn, FastAPI, SQLAlchemy): only `serve` loads them
        import uvicorn

        from ..web import create_app
        from ..web.db import make_engine, migrate
    except ModuleNotFoundError as exc:  # the web extra is not installed
        raise GutBalanceError(
            f"the web app needs the 'web' extra ({exc}): pip install \".[web]\" in gutbalance's source folder, "
            "as `pip install .` was"
        ) from None
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)  # fail here, with a message, rather than inside the server
    except Exception as exc:  # sqlalchemy.exc.OperationalError: no server, wrong password, ...
        raise click.ClickException(f"cannot prepare the database: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    where = "the database URL given" if database_url else str(settings.data_dir)
    click.echo(f"gutbalance web app on http://{host}:{port}/ (data: {where}); Ctrl-C stops it", err=True)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "server_header": False,
        "proxy_headers": False,  # the app reads them itself, only with --behind-tls-proxy (see create_app)
        "log_level": "info",
    }
    if settings.server_processes == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # Several processes: each builds its app from the environment (uvicorn
    # spawns them), so the settings given here travel as GUTBALANCE_* variables;
    # the signing secret is read from the data folder by each.
    os.environ.update(_environment(settings))
    uvicorn.run("gutbalance.web.app:create_app", factory=True, workers=settings.server_processes, **options)


def _environment(settings) -> dict[str, str]:
    """What the server processes must agree on, as ``GUTBALANCE_*`` variables.

    Password hashing slots and scoring worker processes are per server
    process: unless set, each server process gets its share of the
    default (hashing: one core fewer than the machine has), at least one."""
    from ..web.core.config import Settings

    env = {
        "GUTBALANCE_DATA_DIR": str(settings.data_dir),
        "GUTBALANCE_DATABASE_URL": settings.database_url,
        "GUTBALANCE_BEHIND_TLS_PROXY": "1" if settings.behind_tls_proxy else "0",
        "GUTBALANCE_FORWARDED_ALLOW_IPS": settings.forwarded_allow_ips,
    }
    defaults = Settings()
    for name in ("password_hash_concurrency", "worker_processes"):
        variable = f"GUTBALANCE_{name.upper()}"
        if variable not in os.environ:
            env[variable] = str(max(1, getattr(defaults, name) // settings.server_processes))
    return env


COMMANDS = [serve]
