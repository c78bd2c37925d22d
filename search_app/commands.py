"""Flask CLI commands: `flask --app search_app index`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from indexer.pipeline import IndexWriteError, run
from indexer.store import IndexBusyError


@click.command("index")
@click.option("--corpus", default="corpus", show_default=True, help="directory of HTML pages")
@click.option("--rebuild", is_flag=True, help="build a fresh index and swap it in")
@with_appcontext
def index_command(corpus: str, rebuild: bool) -> None:
    """Bring the app's index (INDEX_DIR) up to date with a corpus directory."""
    try:
        summary = run(corpus, current_app.config["INDEX_DIR"], rebuild=rebuild, jobs=1)
    except (IndexBusyError, IndexWriteError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    for path, problem in summary.problems:
        click.echo(f"skipped {path}: {problem}", err=True)
    click.echo(summary.line())


def init_app(app: Flask) -> None:
    """Register the CLI commands."""
    app.cli.add_command(index_command)
