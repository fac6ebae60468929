"""`flask --app wsgi export-ocds`: the OCDS release package on stdout or in a file, checked against the shipped
schemas before it is written (exit 1 with the reason on stderr when refused)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


def _refuse(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("export-ocds")
@click.option("--category", "category_slug", default=None, help="Only the contracts of this category (slug).")
@click.option("--contract", "contract_number", default=None, help="Only this contract (number).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Write the package to this file instead of standard output.")
@with_appcontext
def export_ocds_command(category_slug: str | None, contract_number: str | None, output: Path | None) -> None:
    """Export contracts, clauses and monthly results as an OCDS 1.1 release package (metrics extension)."""
    from .schema import package_problems
    from .services import ExportRefused, export_package

    try:
        export = export_package(category_slug=category_slug, contract_number=contract_number)
    except ExportRefused as refused:
        _refuse(str(refused))
        return
    problems = package_problems(export.package_for_validation())
    if problems:
        _refuse("The package does not fit the OCDS 1.1 schemas; nothing written:\n  " + "\n  ".join(problems[:20]))
    if output is None:
        click.echo(export.text, nl=False)
        return
    try:
        output.write_text(export.text, encoding="utf-8")
    except OSError as exc:
        _refuse(f"Cannot write {output}: {exc.strerror or exc}")
    releases = len(export.package["releases"])
    click.echo(f"Wrote {releases} release{'s' if releases != 1 else ''} to {output}.", err=True)
