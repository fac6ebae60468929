"""Evidence files of a vendor's dispute (SPEC §8): the type is checked by content, not by name alone.

A .pdf, .png or .jpg must start with its format's signature; a .xlsx gets the same zip checks as an uploaded
sheet (entries, zip bombs, DTDs); a .csv must be text. Every refusal names the file and the limit or type.
"""
from __future__ import annotations

from pathlib import Path

from .limits import SNIFF_BYTES, SheetLimits, SheetRefused, _inspect_csv, _inspect_workbook, _looks_like, megabytes

EVIDENCE_TYPES = ".pdf, .xlsx, .csv, .png, .jpg"
SIGNATURES = {"pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",)}
KINDS = {".pdf": "pdf", ".xlsx": "xlsx", ".csv": "csv", ".png": "png", ".jpg": "jpg", ".jpeg": "jpg"}
MEDIA_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
NAMES = {"pdf": "a PDF document", "png": "a PNG image", "jpg": "a JPEG image"}


class EvidenceRefused(ValueError):
    """str(error) names the file and says what is wrong and what is accepted."""


def evidence_kind(filename: str) -> str | None:
    return KINDS.get(Path(filename or "").suffix.lower())


def inspect_evidence(path: Path, filename: str, max_bytes: int, sheet_limits: SheetLimits) -> str:
    """The file's kind ('pdf', 'xlsx', 'csv', 'png', 'jpg') when its content matches its name; EvidenceRefused
    otherwise."""
    path = Path(path)
    size = path.stat().st_size
    kind = evidence_kind(filename)
    if kind is None:
        suffix = Path(filename or "").suffix.lower() or "without an extension"
        raise EvidenceRefused(f"{filename}: files {suffix} are not accepted as evidence. Accepted: {EVIDENCE_TYPES}.")
    if size == 0:
        raise EvidenceRefused(f"{filename}: the file is empty (0 bytes).")
    if size > max_bytes:
        raise EvidenceRefused(f"{filename}: the file is {megabytes(size)}; the limit for an evidence file is "
                              f"{megabytes(max_bytes)}.")
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if kind in SIGNATURES:
        if not head.startswith(SIGNATURES[kind]):
            raise EvidenceRefused(f"{filename}: the file is named .{kind} but is not {NAMES[kind]} "
                                  f"(it looks like {_looks_like(head)}). Accepted: {EVIDENCE_TYPES}.")
        return kind
    try:
        if kind == "xlsx":
            _inspect_workbook(path, head, sheet_limits)
        else:
            _inspect_csv(head, complete=size <= SNIFF_BYTES)
    except SheetRefused as exc:
        raise EvidenceRefused(f"{filename}: {exc}".replace(" Accepted file types: .xlsx (Excel workbook) and .csv "
                                                           "(UTF-8 text, comma or semicolon).",
                                                           f" Accepted: {EVIDENCE_TYPES}.")) from None
    return kind
