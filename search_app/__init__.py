"""Flask app serving ranked, highlighted search over the indexed articles."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# Flask is imported where the app is made, so that the engine (search_app.engine) loads without it.
if TYPE_CHECKING:
    from flask import Flask, Response

# Sent with every response. The templates hold no inline script or style, so
# the policy allows only this site's own files; nothing may frame the pages.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Cross-origin links (an article's original URL) get the origin only, never the query.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Set the security headers a handler has not set itself."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: defaults, then instance/config.py, then SEARCH_* variables (or test_config)."""
    from flask import Flask

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object("search_app.config")
    app.json.ensure_ascii = False  # readable Japanese in the JSON API
    app.json.sort_keys = False
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        # SEARCH_INDEX_DIR=... → INDEX_DIR; values are parsed as JSON where they can be.
        app.config.from_prefixed_env("SEARCH")
    else:
        app.config.from_mapping(test_config)
    app.config["INDEX_DIR"] = os.fspath(app.config["INDEX_DIR"])

    from search_app import api, atom, commands, metrics, openapi, opensearch, services, views

    services.init_app(app)
    commands.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(atom.bp)
    app.register_blueprint(opensearch.bp)
    app.after_request(add_security_headers)
    return app
