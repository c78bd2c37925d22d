"""Flask app serving ranked, highlighted search over the indexed articles."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: defaults, then instance/config.py, then SEARCH_* variables (or test_config)."""
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

    from search_app import api, commands, services, views

    services.init_app(app)
    commands.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    return app
