"""Score the extractor on the real-shaped CMS pages of tests/fixtures/cms (and, for comparison, peers).

python -m bench.extraction                      # the table and the totals
python -m bench.extraction --json out.json      # the same as JSON
python -m bench.extraction --peer htmldate      # dates found by htmldate (if installed) on the same pages
python -m bench.extraction --snapshot snap.json # what the extractor takes from every page of corpus/
python -m bench.extraction --compare a.json b.json  # what changed between two snapshots
python -m bench.extraction --cpu                # extraction CPU per page: corpus/ and rendered ldcc pages
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer.extract import ExtractionError, extract_file

REPO = Path(__file__).resolve().parent.parent
PAGES = REPO / "tests" / "fixtures" / "cms"
MANIFEST = PAGES / "pages.toml"


@dataclass(frozen=True)
class Case:
    """One page of the set and what should come out of it."""

    file: str
    platform: str
    title: str
    date: str
    category: str
    first: str
    last: str
    keep: tuple[str, ...] = ()
    boilerplate: tuple[str, ...] = ()


@dataclass
class Score:
    """How the extractor did on one page."""

    file: str
    title: bool = False
    body: bool = False  # first and last sentence (and every `keep`) in the body
    clean: bool = False  # no boilerplate string in the body
    date: str = "missing"  # right, wrong, missing, none (no date expected, none found)
    category: bool = False
    leaked: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    got: dict[str, str] = field(default_factory=dict)


def load_cases(manifest: Path = MANIFEST) -> list[Case]:
    """The pages of the set, in manifest order."""
    with manifest.open("rb") as fh:
        data = tomllib.load(fh)
    return [
        Case(**{**p, "keep": tuple(p.get("keep", ())), "boilerplate": tuple(p.get("boilerplate", ()))})
        for p in data["page"]
    ]


def date_verdict(expected: str, found: dt.date | None) -> str:
    """right / wrong / missing, or none when the page shows no date and none was found."""
    if found is None:
        return "none" if not expected else "missing"
    return "right" if found.isoformat() == expected else "wrong"


def score_case(case: Case, pages: Path = PAGES) -> Score:
    """Extract one page and compare it with the manifest."""
    data = (pages / case.file).read_bytes()
    score = Score(case.file)
    try:
        art = extract_file(data, case.file)
    except ExtractionError as exc:
        score.got = {"error": str(exc)}
        score.date = date_verdict(case.date, None)
        return score
    body = art.body
    score.title = art.title == case.title
    score.lost = [s for s in (case.first, case.last, *case.keep) if s not in body]
    score.body = not score.lost
    score.leaked = [s for s in case.boilerplate if s in body]
    score.clean = not score.leaked
    score.date = date_verdict(case.date, art.date)
    score.category = art.category == case.category
    score.got = {
        "title": art.title,
        "date": art.date.isoformat() if art.date else "",
        "category": art.category,
        "chars": str(len(body)),
    }
    return score


def totals(scores: list[Score], cases: list[Case]) -> dict[str, int]:
    """Counts over the set."""
    dated = sum(1 for c in cases if c.date)
    return {
        "pages": len(scores),
        "title": sum(s.title for s in scores),
        "body": sum(s.body for s in scores),
        "clean": sum(s.clean for s in scores),
        "dated_pages": dated,
        "date_right": sum(s.date == "right" for s in scores),
        "date_wrong": sum(s.date == "wrong" for s in scores),
        "date_missing": sum(s.date == "missing" for s in scores),
        "category_pages": sum(1 for c in cases if c.category),
        "category": sum(s.category for s in scores),  # a page without a category counts when none is found
    }


def print_report(scores: list[Score], cases: list[Case]) -> None:
    """One line per page, then the totals."""
    mark = {True: "ok", False: "--"}
    print(f"{'page':24} title body clean date    category  got")
    for s in scores:
        got = " ".join(f"{k}={v}" for k, v in s.got.items() if k in ("date", "category", "error"))
        print(f"{s.file:24} {mark[s.title]:5} {mark[s.body]:4} {mark[s.clean]:5} {s.date:7} {mark[s.category]:9} {got}")
        for text in s.lost:
            print(f"{'':24}   lost: {text[:50]}")
        for text in s.leaked:
            print(f"{'':24}   leaked: {text[:50]}")
        if not s.title and "title" in s.got:
            print(f"{'':24}   title: {s.got['title'][:60]}")
    t = totals(scores, cases)
    print(
        f"\ntitle right {t['title']}/{t['pages']}, first+last sentence kept {t['body']}/{t['pages']}, "
        f"boilerplate-free {t['clean']}/{t['pages']}, date right {t['date_right']}/{t['dated_pages']} "
        f"(wrong {t['date_wrong']}, missing {t['date_missing']}), category right {t['category']}/{t['pages']}"
    )


def peer_dates(peer: str, cases: list[Case]) -> None:
    """Dates found by htmldate on the same pages (right / wrong / missing), for comparison."""
    if peer != "htmldate":
        msg = f"unknown peer {peer!r}"
        raise SystemExit(msg)
    from htmldate import find_date  # a peer only: not a dependency of the project

    from indexer.encoding import decode_html

    for extensive in (False, True):
        verdicts: list[str] = []
        for case in cases:
            html = decode_html((PAGES / case.file).read_bytes()).text
            found = find_date(html, original_date=True, extensive_search=extensive)
            verdicts.append(date_verdict(case.date, dt.date.fromisoformat(found) if found else None))
            print(f"  {case.file:24} {verdicts[-1]:7} {found or ''}")
        dated = sum(1 for c in cases if c.date)
        print(
            f"htmldate (original_date=True, extensive_search={extensive}): right {verdicts.count('right')}/{dated}, "
            f"wrong {verdicts.count('wrong')}, missing {verdicts.count('missing')}\n"
        )


def corpus_pages(corpus: Path) -> list[Path]:
    """Every page of a corpus directory, sorted."""
    return sorted(p for p in corpus.rglob("*") if p.suffix in (".html", ".htm"))


def snapshot(corpus: Path) -> dict[str, dict[str, object]]:
    """What the extractor takes from every page of a corpus (for --compare)."""
    out: dict[str, dict[str, object]] = {}
    for path in corpus_pages(corpus):
        rel = path.relative_to(corpus).as_posix()
        try:
            art = extract_file(path.read_bytes(), rel)
        except ExtractionError as exc:
            out[rel] = {"error": str(exc)}
            continue
        out[rel] = {
            "title": art.title,
            "date": art.date.isoformat() if art.date else "",
            "category": art.category,
            "tags": list(art.tags),
            "description": art.description,
            "body": art.body,
        }
    return out


def compare(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> int:
    """Print every page whose fields changed, with the body lines lost and gained; return the count."""
    changed = 0
    for rel in sorted(set(before) | set(after)):
        a, b = before.get(rel, {}), after.get(rel, {})
        if a == b:
            continue
        changed += 1
        print(rel)
        for key in sorted((set(a) | set(b)) - {"body"}):
            if a.get(key) != b.get(key):
                print(f"  {key}: {a.get(key)!r} -> {b.get(key)!r}")
        old_lines, new_lines = str(a.get("body", "")).split("\n"), str(b.get("body", "")).split("\n")
        for line in old_lines:
            if line not in new_lines:
                print(f"  - {line}")
        for line in new_lines:
            if line not in old_lines:
                print(f"  + {line}")
    print(f"{changed} of {len(set(before) | set(after))} pages changed")
    return changed


def cpu_per_page(pages: list[bytes], repeat: int = 3) -> float:
    """Mean CPU seconds to extract one page (best of `repeat` passes)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for n, data in enumerate(pages):
            with contextlib.suppress(ExtractionError):
                extract_file(data, f"p{n}.html")
        best = min(best, time.process_time() - started)
    return best / max(1, len(pages))


def cpu_report(corpus: Path, ldcc: Path, ldcc_sample: int) -> dict[str, float]:
    """Extraction CPU per page on the bundled corpus, the CMS set and rendered ldcc pages."""
    result = {
        "corpus_ms": 1000 * cpu_per_page([p.read_bytes() for p in corpus_pages(corpus)]),
        "cms_set_ms": 1000 * cpu_per_page([(PAGES / c.file).read_bytes() for c in load_cases()]),
    }
    if ldcc.is_dir():
        from bench.perf.corpus import read_ldcc, render, select

        sources = select(read_ldcc(ldcc), ldcc_sample)
        result["ldcc_ms"] = 1000 * cpu_per_page([render(s).encode("utf-8") for s in sources], repeat=1)
        result["ldcc_pages"] = len(sources)
    for key, value in result.items():
        print(f"{key}: {value:.2f}")
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the scoring (or a snapshot, a comparison, a CPU measurement)."""
    parser = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the scores as JSON here")
    parser.add_argument("--peer", help="score a peer's dates on the same pages: htmldate")
    parser.add_argument("--snapshot", type=Path, help="write what is extracted from every page of --corpus here")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"), help="diff two snapshots")
    parser.add_argument("--cpu", action="store_true", help="extraction CPU per page")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--ldcc", type=Path, default=REPO.parent / "shared" / "data" / "ldcc")
    parser.add_argument("--ldcc-sample", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.snapshot:
        args.snapshot.write_text(json.dumps(snapshot(args.corpus), ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    if args.compare:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        compare(before, after)
        return 0
    if args.cpu:
        cpu_report(args.corpus, args.ldcc, args.ldcc_sample)
        return 0
    cases = load_cases()
    if args.peer:
        peer_dates(args.peer, cases)
        return 0
    scores = [score_case(c) for c in cases]
    print_report(scores, cases)
    if args.json:
        payload = {"totals": totals(scores, cases), "pages": [asdict(s) for s in scores]}
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
