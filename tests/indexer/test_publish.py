"""`python -m indexer publish DEST`: replicas get whole generations, in an order no reader notices."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from whoosh import index as whoosh_index

from indexer import publish
from indexer.cli import main as indexer_main
from indexer.pipeline import run
from indexer.status import live_commit, read_status
from tests.factories import make_app, serve, write_corpus
from tests.pages import ADDED_PAGES

needs_rsync = pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync is not installed")
QUERIES = ("経費精算", "銀河鉄道", "タクシー代", "けいひ", "経費")


def generations(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.with_name(dest.name + ".generations").iterdir())


def ship(source: Path, dest: Path, mode: str) -> None:
    args = ["publish", str(dest), "--index", str(source), "--wait", "30"]
    assert indexer_main([*args, "--rsync"] if mode == "rsync" else args) == 0


MODES = ["local", pytest.param("rsync", marks=needs_rsync)]


@pytest.mark.parametrize("mode", MODES)
def test_publish_ships_the_live_commit_and_keeps_one_previous(corpus: Path, tmp_path: Path, mode: str) -> None:
    source = tmp_path / "src" / "index"
    dest = tmp_path / "replica" / "index"
    run(corpus, source, jobs=1)
    ship(source, dest, mode)
    first = live_commit(source)
    assert dest.is_symlink() and dest.resolve().name == f"{first.generation}-{first.number:06d}"
    assert whoosh_index.exists_in(str(dest))
    assert read_status(dest) == read_status(source)
    assert not (dest.resolve() / "MAIN_WRITELOCK").exists()
    ship(source, dest, mode)  # nothing new: nothing written
    assert len(generations(dest)) == 1
    write_corpus(corpus, ADDED_PAGES)
    run(corpus, source, jobs=1)
    ship(source, dest, mode)
    assert len(generations(dest)) == 2  # the previous one stays for readers that resolved the old link
    old, new = (dest.with_name("index.generations") / g for g in generations(dest))
    shared = [n for n in os.listdir(old) if n.endswith(".seg") and (new / n).exists()]
    assert shared and all(os.stat(old / n).st_ino == os.stat(new / n).st_ino for n in shared)  # linked, not copied
    run(corpus, source, rebuild=True, jobs=1)
    ship(source, dest, mode)
    assert len(generations(dest)) == 2  # the oldest was pruned
    assert dest.resolve().name.startswith(source.resolve().name)
    app = make_app(dest)
    expected = make_app(source).test_client()
    for q in QUERIES:
        got = app.test_client().get("/api/search", query_string={"q": q}).json
        want = expected.get("/api/search", query_string={"q": q}).json
        assert [h["path"] for h in got["hits"]] == [h["path"] for h in want["hits"]]


def test_the_toc_comes_after_its_segments_and_the_link_after_its_generation(corpus: Path, tmp_path: Path) -> None:
    source, dest = tmp_path / "src" / "index", tmp_path / "replica" / "index"
    run(corpus, source, jobs=1)
    placed: list[str] = []
    swapped: list[bool] = []
    real_publish = publish.IndexLocation.publish

    def spy_place(src: Path, target: Path, previous: Path | None) -> None:
        placed.append(src.name)
        # The link still shows the replica's previous state while files arrive.
        assert not dest.exists() or dest.resolve() != target.parent
        publish._place(src, target, previous)

    def spy_swap(self: publish.IndexLocation, gen: Path) -> None:
        swapped.append(whoosh_index.exists_in(str(gen)) and not gen.name.startswith("."))
        real_publish(self, gen)

    publish.IndexLocation.publish = spy_swap  # type: ignore[method-assign]
    try:
        publish.publish_local(source, dest, place=spy_place)
    finally:
        publish.IndexLocation.publish = real_publish  # type: ignore[method-assign]
    assert placed[-1].endswith(".toc") and not any(n.endswith(".toc") for n in placed[:-1])
    assert swapped == [True]


@pytest.mark.parametrize(
    ("dest", "parts"),
    [
        ("search2:/srv/search/index", ("search2", "/srv/search/index")),
        ("user@10.0.0.2:/srv/index", ("user@10.0.0.2", "/srv/index")),
        ("/srv/search/index", None),
        ("replica/index", None),
    ],
)
def test_destinations(dest: str, parts: tuple[str, str] | None) -> None:
    assert publish.remote_parts(dest) == parts


def test_publishing_without_an_index_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert indexer_main(["publish", str(tmp_path / "r"), "--index", str(tmp_path / "none")]) == 1
    assert "no index at" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def _answers(base: str) -> dict[str, list[tuple[str, bool]]]:
    found = {}
    for q in QUERIES:
        with urllib.request.urlopen(f"{base}/api/search?q={quote(q)}", timeout=30) as resp:
            found[q] = [(h["path"], h["partial"]) for h in json.loads(resp.read())["hits"]]
    return found


def _until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the replicas did not catch up"
        time.sleep(0.2)


@pytest.mark.parametrize("mode", MODES)
def test_two_replicas_serve_the_same_results_through_publishes(corpus: Path, tmp_path: Path, mode: str) -> None:
    source = tmp_path / "src" / "index"
    replicas = [tmp_path / "a" / "index", tmp_path / "b" / "index"]
    run(corpus, source, jobs=1)
    for r in replicas:
        ship(source, r, mode)
    reference = make_app(source, RELOAD_INTERVAL=0).test_client()

    def expected() -> dict[str, list[tuple[str, bool]]]:
        return {
            q: [(h["path"], h["partial"]) for h in reference.get("/api/search", query_string={"q": q}).json["hits"]]
            for q in QUERIES
        }

    expected_before = expected()
    env = {"SEARCH_RELOAD_INTERVAL": "0.2", "SEARCH_LOG_DB": ""}
    failures: list[str] = []
    served = [0]
    stop = threading.Event()

    def hammer(bases: list[str]) -> None:
        while not stop.is_set():
            for base in bases:
                for q in QUERIES:
                    try:
                        with urllib.request.urlopen(f"{base}/api/search?q={quote(q)}", timeout=30) as resp:
                            json.loads(resp.read())
                            served[0] += 1
                    except (OSError, ValueError) as exc:
                        failures.append(f"{base} {q}: {exc}")

    with (
        serve(replicas[0], tmp_path / "a.log", workers=2, env=env) as base_a,
        serve(replicas[1], tmp_path / "b.log", workers=2, env=env) as base_b,
    ):
        bases = [base_a, base_b]
        clients = [threading.Thread(target=hammer, args=(bases,)) for _ in range(2)]
        for t in clients:
            t.start()
        try:
            history = []
            for step in ("add", "change", "rebuild"):
                if step == "add":
                    write_corpus(corpus, ADDED_PAGES)
                    run(corpus, source, jobs=1)
                elif step == "change":
                    page = corpus / "2021/keihi.html"
                    page.write_bytes(page.read_bytes().replace("タクシー代".encode(), "銀河鉄道代".encode()))
                    run(corpus, source, jobs=1)
                else:
                    run(corpus, source, rebuild=True, jobs=1)
                want = expected()
                history.append(want)
                for r in replicas:
                    ship(source, r, mode)
                _until(lambda want=want: all(_answers(b) == want for b in bases))
        finally:
            stop.set()
            for t in clients:
                t.join()
    assert failures == []
    assert served[0] > 0
    # Each step changed what the replicas answer: the added pages, then the edited article.
    assert history[0] != expected_before
    assert history[0]["銀河鉄道"] == []
    assert ("2021/keihi.html", False) in history[1]["銀河鉄道"]
