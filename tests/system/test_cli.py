"""The command lines: python -m indexer, the flask command, python -m search_app --help."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner

from indexer.cli import main
from tests.factories import make_app, run_indexer, run_python


def test_indexer_prints_a_summary(corpus: Path, tmp_path: Path, capsys) -> None:
    (corpus / "bad.html").write_bytes(b"\x00" * 64)
    assert main(["--corpus", str(corpus), "--index", str(tmp_path / "i"), "--jobs", "1"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("rebuilt: 5 added, 0 updated, 0 deleted, 0 unchanged, 1 skipped in ")
    assert "skipped bad.html: cannot decode" in err
    assert main(["--corpus", str(corpus), "--index", str(tmp_path / "i"), "-q"]) == 0
    assert capsys.readouterr().out.startswith("indexed: 0 added, 0 updated, 0 deleted, 5 unchanged, 1 skipped")


def test_indexer_reads_environment_defaults(corpus: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SEARCH_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "env-index"))
    assert main(["--jobs", "1"]) == 0
    assert (tmp_path / "env-index").is_symlink()
    assert "5 added" in capsys.readouterr().out


def test_indexer_exits_non_zero_when_the_index_cannot_be_written(corpus: Path, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    assert main(["--corpus", str(corpus), "--index", str(blocker / "index"), "--jobs", "1"]) == 1
    assert "error" in capsys.readouterr().err


def test_indexer_missing_corpus(tmp_path: Path, capsys) -> None:
    assert main(["--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "i")]) == 1
    assert "corpus directory not found" in capsys.readouterr().err


def test_indexer_rejects_bad_jobs(capsys) -> None:
    try:
        main(["--jobs", "0"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "positive integer" in capsys.readouterr().err


def test_python_m_indexer_runs(corpus: Path, tmp_path: Path) -> None:
    proc = run_indexer("--corpus", str(corpus), "--index", str(tmp_path / "i"))
    assert proc.returncode == 0, proc.stderr
    assert "5 added" in proc.stdout


def test_flask_index_command(corpus: Path, tmp_path: Path) -> None:
    app = make_app(tmp_path / "cli-index")
    runner: FlaskCliRunner = app.test_cli_runner()
    result = runner.invoke(args=["index", "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "5 added" in result.output
    with app.test_client() as client:
        assert client.get("/healthz").json["documents"] == 5


def test_flask_index_command_reports_a_busy_index(runner: FlaskCliRunner, corpus: Path) -> None:
    from indexer.store import IndexLocation

    with IndexLocation(runner.app.config["INDEX_DIR"]).lock():
        result = runner.invoke(args=["index", "--corpus", str(corpus)])
    assert result.exit_code == 1
    assert "another indexer" in result.output


def test_server_help() -> None:
    proc = run_python("-m", "search_app", "--help")
    assert proc.returncode == 0
    assert "--port" in proc.stdout
