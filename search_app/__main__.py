"""Entry point for `python -m search_app`."""

from __future__ import annotations

from search_app.server import main

if __name__ == "__main__":
    main()
