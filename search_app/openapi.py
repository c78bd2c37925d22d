"""The OpenAPI description of the JSON API, served at /api/openapi.json."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3 document (search_app/openapi.json), read once."""
    text = resources.files("search_app").joinpath("openapi.json").read_text(encoding="utf-8")
    return json.loads(text)


@bp.get("/api/openapi.json")
def openapi_json() -> Any:
    """The API description, for clients and for schema-driven tests."""
    return jsonify(openapi_document())
