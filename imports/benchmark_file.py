"""Reading and checking an "outcomes-benchmark" file (docs/benchmark-format.md) against its JSON Schema.

Pure: bytes in, a checked document or a list of problems naming the JSON path out."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

FORMAT = "outcomes-benchmark"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "benchmark" / "v1.schema.json"
MAX_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS = 20


class BenchmarkFileError(ValueError):
    """The file was refused; `problems` each name the JSON path and what is wrong there."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class BenchmarkFile:
    document: dict[str, Any]
    sha256: str

    @property
    def city(self) -> str:
        return str(self.document["city"]["name"])

    @property
    def category_slug(self) -> str:
        return str(self.document["category"]["slug"])

    @property
    def exported_at(self) -> datetime:
        return datetime.strptime(self.document["city"]["exported_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def json_path(parts: Any) -> str:
    """`$.clauses.pci_after.months[0].median` from the error's path parts."""
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def problems_of(document: Any) -> list[str]:
    """Every way the document breaks the schema, or the rules the schema cannot say, by JSON path."""
    from jsonschema import Draft202012Validator  # here, not at the top: commands start without it

    validator = Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    problems = [f"{json_path(e.absolute_path)}: {e.message}" for e in errors]
    if not problems:
        problems = _rules_beyond_the_schema(document)
    return problems[:MAX_PROBLEMS]


def _rules_beyond_the_schema(document: dict[str, Any]) -> list[str]:
    problems = []
    if document["range"]["from"] > document["range"]["to"]:
        problems.append("$.range.from: comes after $.range.to")
    for key, clause in document["clauses"].items():
        if clause["key"] != key:
            problems.append(f"$.clauses.{key}.key: is {clause['key']!r}, not the key it is filed under ({key!r})")
    try:
        datetime.strptime(document["city"]["exported_at"], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        problems.append("$.city.exported_at: is not a real date and time")
    return problems


def read_benchmark(data: bytes) -> BenchmarkFile:
    """The checked file, or BenchmarkFileError naming each problem's JSON path."""
    if len(data) > MAX_BYTES:
        raise BenchmarkFileError([f"$: the file is {len(data):,} bytes; the limit is {MAX_BYTES:,}"])
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BenchmarkFileError(["$: not a UTF-8 text file"]) from None
    except json.JSONDecodeError as exc:
        raise BenchmarkFileError([f"$: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]) from None
    if isinstance(document, dict) and document.get("format") == FORMAT \
            and document.get("format_version") != FORMAT_VERSION:
        raise BenchmarkFileError([f"$.format_version: {document.get('format_version')!r} is not a version this "
                                  f"application reads (it reads {FORMAT_VERSION})"])
    problems = problems_of(document)
    if problems:
        raise BenchmarkFileError(problems)
    return BenchmarkFile(document, hashlib.sha256(canonical_bytes(document)).hexdigest())


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """The document's content, independent of spacing and key order (what "the same file" means)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
