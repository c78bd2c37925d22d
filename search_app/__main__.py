"""Entry point for `python -m search_app` (the production server) and `python -m search_app report`."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["report"]:
        from search_app.report import main as report

        sys.exit(report(sys.argv[2:]))
    from search_app.server import main

    main()
