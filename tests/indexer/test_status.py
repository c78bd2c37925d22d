"""index-status.json: the indexer's last run for machines, and the index's age in /healthz."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from indexer.pipeline import run
from indexer.status import live_commit, read_status, status_path
from tests.factories import make_app
from tests.pages import SAMPLE_PAGES


def test_a_run_writes_its_summary_beside_the_index(corpus: Path, tmp_path: Path) -> None:
    (corpus / "binary.html").write_bytes(b"\x00\xff\xfe" * 500)
    index = tmp_path / "var" / "index"
    before = time.time()
    run(corpus, index, jobs=1)
    status = json.loads((tmp_path / "var" / "index-status.json").read_text(encoding="utf-8"))
    assert status_path(index) == tmp_path / "var" / "index-status.json"
    assert (status["added"], status["updated"], status["deleted"], status["skipped"]) == (len(SAMPLE_PAGES), 0, 0, 1)
    assert status["rebuilt"] is True
    assert status["skipped_reasons"][0]["path"] == "binary.html"
    assert "cannot decode" in status["skipped_reasons"][0]["reason"]
    assert status["generation"] == index.resolve().name
    assert status["commit"] == live_commit(index).number
    assert status["start"] <= status["end"]
    assert status["start"] >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(before - 1))


@pytest.mark.parametrize("change", ["nothing", "an edited page", "a deleted page"])
def test_every_run_rewrites_the_status(corpus: Path, tmp_path: Path, change: str) -> None:
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    first = read_status(index)
    page = corpus / "2021/keihi.html"
    if change == "an edited page":
        page.write_bytes(page.read_bytes().replace("タクシー代".encode(), "新幹線代".encode()))
    elif change == "a deleted page":
        page.unlink()
    run(corpus, index, jobs=1)
    second = read_status(index)
    assert second["end"] >= first["end"]
    assert second["rebuilt"] is False
    assert (second["added"], second["updated"], second["deleted"]) == {
        "nothing": (0, 0, 0),
        "an edited page": (0, 1, 0),
        "a deleted page": (0, 0, 1),
    }[change]
    assert second["generation"] == first["generation"]
    assert second["commit"] == first["commit"] + (0 if change == "nothing" else 1)


def test_healthz_reports_the_index_age(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    status_file = status_path(index)
    data = json.loads(status_file.read_text(encoding="utf-8"))
    data["committed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    status_file.write_text(json.dumps(data), encoding="utf-8")
    client = make_app(index).test_client()
    body = client.get("/healthz").json
    assert body["status"] == "ok" and body["documents"] == len(SAMPLE_PAGES)
    assert 3599 <= body["index_age_seconds"] < 3700
    assert body["generation"] == index.resolve().name
    assert body["last_run"] == data["end"]
    os.unlink(status_file)
    assert client.get("/healthz").json["index_age_seconds"] is None


def test_a_damaged_status_file_is_ignored(built_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.symlink_to(built_index.resolve(), target_is_directory=True)
    status_path(index).write_text("{not json", encoding="utf-8")
    assert read_status(index) is None
    body = make_app(index).test_client().get("/healthz").json
    assert body["status"] == "ok" and body["index_age_seconds"] is None
