"""The JSON API against its OpenAPI description, with schemathesis: no 5xx, every answer matches the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from search_app import create_app
from search_app.openapi import openapi_document
from tests.factories import empty_index, open_app
from tests.strategies import FUZZ

# The document as the app serves it (serving it needs no index).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", create_app({"TESTING": True, "INDEX_DIR": "-"}))


@pytest.fixture(scope="module")
def full_app(built_index: Path) -> Iterator[Flask]:
    with open_app(built_index) as app:
        yield app


@pytest.fixture(scope="module", params=["empty", "missing"])
def degraded_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app over an index with no documents, and over no index at all (503)."""
    root = tmp_path_factory.mktemp(request.param)
    with open_app(empty_index(root / "index") if request.param == "empty" else root / "index") as app:
        yield app


# Every check but one: a query can be valid by the schema and still be a syntax
# error the reader must fix (400), such as "-経費" alone.
EXCLUDED = [positive_data_acceptance]
SCHEMA_FUZZ = settings(FUZZ, suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.filter_too_much])


@schema.parametrize()
@SCHEMA_FUZZ
def test_api_conforms_to_its_description(case: schemathesis.Case, full_app: Flask) -> None:
    case.call_and_validate(app=full_app, excluded_checks=EXCLUDED)


@schema.parametrize()
@settings(SCHEMA_FUZZ, max_examples=30)
def test_api_conforms_without_documents_or_index(case: schemathesis.Case, degraded_app: Flask) -> None:
    # Without an index the documented answer is a 503; its body is still checked against the schema.
    case.call_and_validate(app=degraded_app, excluded_checks=[*EXCLUDED, not_a_server_error])


def test_the_served_document_is_the_packaged_one(client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == openapi_document()
    assert set(response.json["paths"]) >= {"/api/search", "/healthz"}


def test_the_document_describes_the_limits_the_app_enforces() -> None:
    from search_app.engine.service import MAX_PAGE, MAX_PER_PAGE
    from search_app.engine.syntax import MAX_QUERY_CHARS

    params = {p["name"]: p["schema"] for p in openapi_document()["paths"]["/api/search"]["get"]["parameters"]}
    assert params["q"]["maxLength"] == MAX_QUERY_CHARS
    assert params["page"]["maximum"] == MAX_PAGE
    assert params["per_page"]["maximum"] == MAX_PER_PAGE
