"""Site profiles (TOML selectors per folder or URL), the re-index when they change, and --explain."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.cli import main
from indexer.extract import extract_article
from indexer.pipeline import run
from indexer.profiles import ProfileError, load_profiles
from indexer.store import open_index
from tests.factories import REPO, run_indexer

CMS = REPO / "tests" / "fixtures" / "cms"
# A template the heuristics read wrong on purpose: the title is a <div>, the date and category plain text.
ODD_PAGE = """<html><head><title>サイト</title></head><body>
<div class="hl">週末の市場で野菜を買う</div><div class="when">掲載 2020年5月3日</div><div class="kind">くらし</div>
<div class="txt"><p>朝六時の市場は人でいっぱいでした。</p><div class="promo">今だけ半額セール</div>
<p>季節の野菜を三種類買いました。</p></div></body></html>"""
PROFILE = """
[[site]]
path = "odd/"
title = ".hl"
date = ".when"
category = ".kind"
body = ".txt"
drop = [".promo"]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_profile_names_the_parts_of_a_template(tmp_path: Path) -> None:
    profiles = load_profiles(write(tmp_path / "p.toml", PROFILE))
    art = extract_article(ODD_PAGE, "odd/a.html", profiles=profiles)
    assert (art.title, str(art.date), art.category) == ("週末の市場で野菜を買う", "2020-05-03", "くらし")
    assert art.body == "朝六時の市場は人でいっぱいでした。\n季節の野菜を三種類買いました。"
    # Pages outside the profile's folder keep the heuristics.
    assert extract_article(ODD_PAGE, "other/a.html", profiles=profiles).title != "週末の市場で野菜を買う"


def test_a_url_profile_and_a_selector_that_matches_nothing(tmp_path: Path) -> None:
    profiles = load_profiles(write(tmp_path / "p.toml", '[[site]]\nurl = "https://x.example.jp/"\ndate = ".nope"\n'))
    page = ODD_PAGE.replace("<head>", '<head><link rel="canonical" href="https://x.example.jp/a/">')
    art = extract_article(page, "a.html", profiles=profiles)
    assert art.date is None  # what the heuristics find on this template: no date
    assert any("matched nothing" in w for w in art.warnings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[site]\npath = 'x/'\n", "p.toml: not valid TOML"),
        ("[[site]]\npath = 'x/'\nbody = 'div..x'\n", "p.toml:3: [[site]] #1: invalid CSS selector for body 'div..x'"),
        (
            "[[site]]\npath = 'x/'\n\n[[site]]\npath = 'y/'\ntitel = 'h1'\n",
            "p.toml:6: [[site]] #2: unknown key 'titel'",
        ),
        ("[[site]]\ntitle = 'h1'\n", "needs `path`"),
        ("[[site]]\npath = 'x/'\ndrop = [1]\n", "drop must be a list"),
        ("title = 'h1'\n", "unknown top-level key"),
    ],
)
def test_a_bad_profiles_file_is_refused_with_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=None) as info:
        load_profiles(write(tmp_path / "p.toml", text))
    assert message in str(info.value)


def test_the_indexer_refuses_a_bad_profile_and_writes_nothing(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "odd/a.html", ODD_PAGE)
    write(corpus / "profiles.toml", "[[site]]\npath = 'odd/'\nbody = '>>'\n")
    assert main(["--corpus", str(corpus), "--index", str(tmp_path / "i"), "--jobs", "1"]) == 1
    assert "profiles.toml:3" in capsys.readouterr().err
    assert not (tmp_path / "i").exists()


def test_a_changed_profile_reindexes_the_pages_it_applies_to(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "odd/a.html", ODD_PAGE)
    write(corpus / "other/b.html", ODD_PAGE)
    index = tmp_path / "index"
    args = ["--corpus", str(corpus), "--index", str(index), "--jobs", "1", "-q"]
    assert main(args) == 0
    write(corpus / "profiles.toml", PROFILE)  # read from the corpus root by default
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()[-1]
    assert "0 added, 1 updated" in out
    assert "(1 re-indexed because their site profile changed)" in out
    with open_index(index).searcher() as s:
        assert s.document(path="odd/a.html")["title"] == "週末の市場で野菜を買う"
    assert main(args) == 0
    assert "1 updated" not in capsys.readouterr().out  # unchanged profile: nothing to do
    summary = run(corpus, index, jobs=1)  # without the profiles: back to the heuristics
    assert (summary.updated, summary.reprofiled) == (1, 1)


def test_explain_prints_what_was_taken_and_dropped(tmp_path: Path) -> None:
    page = shutil.copy(CMS / "wp-cocoon.html", tmp_path / "page.html")
    proc = run_indexer("--explain", str(page), "--corpus", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "title: 格安SIMに乗り換えて半年、通信費はいくら下がったか" in out
    assert "date: 2020-07-03  [time element marked published]" in out
    assert "category: 通信費" in out
    assert "first: 我が家は夫婦と子ども二人の四人家族で" in out
    assert "class/id 'ad': <div class=\"ad-area" in out
    assert "スポンサーリンク" in out.split("dropped")[1]


@pytest.mark.parametrize(
    ("data", "message"), [(b"\x00" * 64, "cannot extract"), (b"<html><body></body></html>", "no article found")]
)
def test_explain_refuses_a_page_it_cannot_extract(tmp_path: Path, capsys, data: bytes, message: str) -> None:
    page = tmp_path / "bad.html"
    page.write_bytes(data)
    assert main(["--explain", str(page), "--corpus", str(tmp_path)]) == 1
    assert message in capsys.readouterr().err
    assert main(["--explain", str(tmp_path / "missing.html")]) == 1
    assert "cannot read" in capsys.readouterr().err
