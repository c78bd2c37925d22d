"""Debian's Chromium, for the browser tests and the screenshots (the server they visit: tests/factories.serve)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Playwright's own browser downloads cannot reach this machine: only a system Chromium is used.
INSTALL_HINT = "apt-get install chromium to run the browser tests"


def chromium_path() -> str | None:
    """SEARCH_CHROMIUM when set, else Debian's /usr/bin/chromium, else `chromium` on PATH."""
    configured = os.environ.get("SEARCH_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    if Path(DEFAULT_CHROMIUM).is_file():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def missing_chromium_reason() -> str | None:
    """Why the browser tests cannot run here, or None when a Chromium was found."""
    if chromium_path() is not None:
        return None
    where = os.environ.get("SEARCH_CHROMIUM") or DEFAULT_CHROMIUM
    return f"Chromium not found at {where}: {INSTALL_HINT} (or set SEARCH_CHROMIUM)"
