"""`export-benchmark` and `import-benchmark` (issue 16): exchange benchmark files with peer cities."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..unit_of_work import in_transaction


def _refuse(message: str) -> None:
    from models import db

    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


@click.command("export-benchmark")
@click.argument("category_slug")
@click.option("--city", required=True, help="Your city's name, as peers will see it.")
@click.option("--anonymise/--name-vendors", default=True, show_default=True,
              help="Vendors as 'Vendor A', 'Vendor B'… (default) or by name.")
@click.option("--from", "first", default=None, metavar="YYYY-MM", help="First month (default: 12 months to last month).")
@click.option("--to", "last", default=None, metavar="YYYY-MM", help="Last month (default: last month).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the file here (default: standard output).")
@in_transaction
def export_benchmark_command(category_slug: str, city: str, anonymise: bool, first: str | None, last: str | None,
                             output: Path | None) -> None:
    """Write the category's outcomes-benchmark file (final months only) for peer cities."""
    from imports.benchmark_file import dump

    from .services import BenchmarkInputError, category_by_slug, export_document, read_range

    category = category_by_slug(category_slug)
    if category is None:
        _refuse(f"No category with slug {category_slug!r}; nothing was exported.")
        return
    try:
        first, last = read_range(first, last)
        document = export_document(category, city, anonymise=anonymise, first=first, last=last)
    except BenchmarkInputError as exc:
        _refuse(f"{exc} Nothing was exported.")
        return
    text = dump(document)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output} ({category.slug}, {first}..{last}, {len(document['clauses'])} clauses, "
                   f"vendors {'named' if document['vendors_named'] else 'anonymised'}).", err=True)


@click.command("import-benchmark")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@in_transaction
def import_benchmark_command(file: Path) -> None:
    """Store a peer city's outcomes-benchmark file, checked against its JSON Schema."""
    from imports.benchmark_file import BenchmarkFileError

    from .services import BenchmarkInputError, import_benchmark

    try:
        outcome = import_benchmark(file.read_bytes())
    except BenchmarkFileError as exc:
        _refuse(f"{file.name} was refused; nothing was stored. {len(exc.problems)} problem"
                f"{'s' if len(exc.problems) != 1 else ''}:\n" + "\n".join(f"  - {p}" for p in exc.problems))
        return
    except BenchmarkInputError as exc:
        _refuse(f"{file.name} was refused; nothing was stored. {exc}")
        return
    click.echo(outcome.message)


COMMANDS = (export_benchmark_command, import_benchmark_command)
