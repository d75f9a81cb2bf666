"""Checks a payload against the discovery documents shipped with the client.

A fake that returns something the real API could not (a misspelt field, a
number where the API sends a string, a key the schema does not have) fails
here, so the fakes stay honest about the API.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import googleapiclient

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
DOCS = {
    "forms": "forms.v1",
    "sheets": "sheets.v4",
    "gmail": "gmail.v1",
    "drive": "drive.v3",
}


@functools.cache
def document(api: str) -> dict[str, Any]:
    return json.loads((DOCUMENTS / f"{DOCS[api]}.json").read_text(encoding="utf-8"))


def method(api: str, method_id: str) -> dict[str, Any]:
    """A method by its discovery id, e.g. ``forms.forms.responses.list``."""

    def walk(resources: dict[str, Any]):
        for resource in resources.values():
            yield from resource.get("methods", {}).values()
            yield from walk(resource.get("resources", {}))

    for found in walk(document(api)["resources"]):
        if found["id"] == method_id:
            return found
    raise KeyError(f"{api}: no method {method_id}")


def problems(api: str, schema: str, payload: Any) -> list[str]:
    """Every way ``payload`` differs from the schema named ``schema``."""
    found: list[str] = []
    _check(document(api)["schemas"], {"$ref": schema}, payload, schema, found)
    return found


def check_response(api: str, method_id: str, payload: Any) -> None:
    """Raise AssertionError when ``payload`` is not a possible response."""
    ref = method(api, method_id)["response"]["$ref"]
    errors = problems(api, ref, payload)
    assert not errors, f"{method_id} response is not a {ref}: " + "; ".join(errors)


def check_request(api: str, method_id: str, payload: Any) -> None:
    """Raise AssertionError when ``payload`` is not a valid request body."""
    ref = method(api, method_id)["request"]["$ref"]
    errors = problems(api, ref, payload)
    assert not errors, f"{method_id} request is not a {ref}: " + "; ".join(errors)


def _check(schemas, spec, value, path, found) -> None:
    if "$ref" in spec:
        spec = schemas[spec["$ref"]]
    kind = spec.get("type")
    if kind == "any" or kind is None and "properties" not in spec:
        return
    if kind == "string":
        if not isinstance(value, str):
            found.append(f"{path}: expected a string, got {value!r}")
        elif "enum" in spec and value not in spec["enum"]:
            found.append(f"{path}: {value!r} is not one of {spec['enum']}")
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            found.append(f"{path}: expected an integer, got {value!r}")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            found.append(f"{path}: expected a number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            found.append(f"{path}: expected true/false, got {value!r}")
    elif kind == "array":
        if not isinstance(value, list):
            found.append(f"{path}: expected an array, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check(schemas, spec["items"], item, f"{path}[{i}]", found)
    else:
        if not isinstance(value, dict):
            found.append(f"{path}: expected an object, got {type(value).__name__}")
            return
        properties = spec.get("properties", {})
        extra = spec.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                _check(schemas, properties[key], item, f"{path}.{key}", found)
            elif extra is not None:
                _check(schemas, extra, item, f"{path}[{key!r}]", found)
            else:
                found.append(f"{path}: no field {key!r} in the schema")
