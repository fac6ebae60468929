"""The published OCDS 1.1 schemas the project ships (schemas/ocds/1.1, see its NOTICE.md), with the metrics
extension merged in as OCDS does (JSON Merge Patch, RFC 7386), and a validator for a release package.

No network: every `$ref` resolves to the shipped files. Draft 4, as OCDS 1.1 is written, with format checking
(date-time is checked through rfc3339-validator).
"""
from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "ocds" / "1.1"
RELEASE_SCHEMA_URI = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _load(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@cache
def release_schema() -> dict:
    """The OCDS 1.1 release schema patched with the metrics extension."""
    return merge_patch(_load("release-schema.json"), _load("metrics_extension/release-schema.json"))


@cache
def package_validator() -> Draft4Validator:
    registry: Registry = Registry().with_resource(
        RELEASE_SCHEMA_URI, Resource.from_contents(release_schema(), default_specification=DRAFT4))
    return Draft4Validator(_load("release-package-schema.json"), registry=registry,
                           format_checker=Draft4Validator.FORMAT_CHECKER)


def package_problems(package: dict) -> list[str]:
    """Every way the package breaks the schemas, each as "path: message"; empty when it is valid."""
    problems = sorted(package_validator().iter_errors(package), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(package)'}: {error.message}" for error in problems]
