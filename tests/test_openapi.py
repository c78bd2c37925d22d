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
from whoosh import index as whoosh_index

from indexer.schema import build_schema
from indexer.store import IndexLocation
from search_app import create_app
from search_app.openapi import openapi_document
from tests.conftest import make_app
from tests.strategies import FUZZ

# The document as the app serves it (serving it needs no index).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", create_app({"TESTING": True, "INDEX_DIR": "-"}))


def empty_index(path: Path) -> Path:
    """A published Whoosh index with no documents."""
    loc = IndexLocation(path)
    gen = loc.new_generation()
    whoosh_index.create_in(str(gen), build_schema()).close()
    loc.publish(gen)
    return path


@pytest.fixture(scope="module", params=["built", "empty", "missing"])
def api_app(
    request: pytest.FixtureRequest, built_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Flask]]:
    """The app over a full index, an index with no documents, and no index at all (503)."""
    if request.param == "built":
        index = built_index
    elif request.param == "empty":
        index = empty_index(tmp_path_factory.mktemp("empty") / "index")
    else:
        index = tmp_path_factory.mktemp("missing") / "index"
    app = make_app(index)
    yield request.param, app
    app.extensions["search_service"].handle.close()


@schema.parametrize()
@settings(FUZZ, suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.filter_too_much])
def test_api_conforms_to_its_description(case: schemathesis.Case, api_app: tuple[str, Flask]) -> None:
    state, app = api_app
    # Every check but these: a query can be valid by the schema and still be a
    # syntax error the reader must fix (400), such as "-経費" alone; and without
    # an index the documented answer is a 503 (its body is still checked).
    excluded = [positive_data_acceptance, *([not_a_server_error] if state == "missing" else [])]
    case.call_and_validate(app=app, excluded_checks=excluded)


def test_the_served_document_is_the_packaged_one(client) -> None:  # noqa: ANN001 - the conftest client
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == openapi_document()
    assert set(response.json["paths"]) >= {"/api/search", "/healthz"}


def test_the_document_describes_the_limits_the_app_enforces() -> None:
    from search_app.query import MAX_QUERY_CHARS
    from search_app.search import MAX_PAGE, MAX_PER_PAGE

    params = {p["name"]: p["schema"] for p in openapi_document()["paths"]["/api/search"]["get"]["parameters"]}
    assert params["q"]["maxLength"] == MAX_QUERY_CHARS
    assert params["page"]["maximum"] == MAX_PAGE
    assert params["per_page"]["maximum"] == MAX_PER_PAGE
