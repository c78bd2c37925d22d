from pathlib import Path
import pytest
import schemathesis
from hypothesis import settings, HealthCheck
from search_app import create_app
from tests.conftest import make_app

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", create_app({"TESTING": True, "INDEX_DIR": "/nonexistent"}))

@pytest.fixture(scope="module")
def api_app(built_index: Path):
    return make_app(built_index)

@schema.parametrize()
@settings(max_examples=1000, derandomize=True, database=None, deadline=None)
def test_api(case, api_app):
    from schemathesis.specs.openapi.checks import positive_data_acceptance
    case.call_and_validate(app=api_app, excluded_checks=[positive_data_acceptance])
