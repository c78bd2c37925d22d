"""The one table `make bench` prints, with each target beside its figure."""

from __future__ import annotations

from typing import Any


def _row(rows: list[tuple[str, str, str]], name: str, value: str, target: str = "") -> None:
    rows.append((name, value, target))


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _stage_rows(rows: list[tuple[str, str, str]], stages: dict[str, Any]) -> None:
    """CPU per stage and the budget: pipeline CPU per Janome CPU second, stage by stage."""
    shares = " · ".join(
        f"{label} {stages[key + '_share'] * 100:.0f}%"
        for key, label in (
            ("extract", "decode+BS4"),
            ("analyze", "analysis"),
            ("pickle", "pickling"),
            ("add_document", "Whoosh add"),
            ("commit", "Whoosh commit"),
        )
    )
    _row(rows, f"CPU per stage ({stages['docs']} articles, 1 process)", shares)
    janome_share = stages["janome_alone_cpu_s"] / stages["pipeline_cpu_s"]
    _row(rows, "  of which Janome alone", f"{janome_share * 100:.0f}% of the pipeline's CPU")
    # 1.4x Janome on 2 cores allows 2 / 1.4 = 1.43 CPU s per Janome-second: 1 for Janome, 0.43 for the rest.
    janome_cpu = stages["janome_alone_cpu_s"]
    spent = stages["pipeline_cpu_s"] / janome_cpu
    _row(
        rows,
        "CPU budget: pipeline CPU s per Janome CPU s",
        f"{spent:.2f}",
        f"<= 1.43 for 1.4x: {_verdict(spent <= 1.43)}",
    )
    for key, label in (
        ("read", "read"),
        ("extract", "decode + BeautifulSoup"),
        ("analyze", "analysis (Janome, n-grams, readings, grouping)"),
        ("pickle", "pickling to the writer and back"),
        ("add_document", "writer: add_document"),
        ("commit", "writer: commit (sort, term table, flat parts)"),
    ):
        _row(rows, f"  {label}", f"{stages[key + '_cpu_s'] / janome_cpu:.2f}")


def print_table(results: dict[str, Any], points: list[dict[str, Any]]) -> None:
    """Print every figure measured so far (missing parts are left out)."""
    rows: list[tuple[str, str, str]] = []
    if stages := results.get("stages"):
        _stage_rows(rows, stages)
    full, janome = results.get("full"), results.get("janome")
    if full:
        _row(rows, "full index: articles", f"{full['docs']:,} ({full['chars']:,} chars)")
        _row(rows, "full index: wall time", f"{full['wall_s']:.0f} s ({full['cpu_s']:.0f} CPU s)")
        _row(rows, "full index: documents/s", f"{full['docs_per_s']:.1f}")
        _row(rows, "full index: characters/s", f"{full['chars_per_s']:,}")
        if janome:
            _row(rows, "Janome alone, 1 core: characters/s", f"{janome['chars_per_s']:,} ({janome['docs']} articles)")
            ratio = full["ratio_to_janome"]
            _row(rows, "full index ÷ Janome alone", f"{ratio:.2f}x", f">= 1.4x: {_verdict(ratio >= 1.4)}")
            _row(
                rows,
                "  same, CPU-time estimate on 2 idle cores",
                f"{full['ideal_ratio_to_janome']:.2f}x",
                "(contention-free)",
            )
        _row(rows, "full index: other load on the machine", f"{full['others_cores']:.2f} cores busy")
        _row(
            rows,
            "indexer peak RSS: writer / all processes",
            f"{full['writer_peak_rss_mb']:.0f} MB / {full['all_peak_rss_mb']:.0f} MB",
        )
        size = f"{full['index_mb']:.0f} MB"
        if "size_ratio_to_text" in full:
            ratio = full["size_ratio_to_text"]
            size += f" = {ratio:.2f}x the text ({full['text_mb']:.1f} MB UTF-8)"
            _row(rows, "index size (everything the indexer writes)", size, f"<= 8x (goal 6x): {_verdict(ratio <= 8)}")
        else:
            _row(rows, "index size", size)
    if reindex := results.get("reindex"):
        ok = reindex["max_s"] <= 1.0
        _row(
            rows,
            f"reindex 1 changed article of {reindex['docs_in_index']:,}",
            f"{reindex['median_s']:.2f} s median, {reindex['max_s']:.2f} s max",
            f"<= 1 s: {_verdict(ok)}",
        )
    if queries := results.get("queries"):
        q = queries["queries"]
        size = queries["size"]
        _row(
            rows,
            f"queries ({size:,} articles, {q['connections']} clients): p50 / p95 / p99",
            f"{q['p50_ms']:.0f} / {q['p95_ms']:.0f} / {q['p99_ms']:.0f} ms",
            f"p99 <= 100 ms: {_verdict(q['p99_ms'] <= 100)}",
        )
        _row(
            rows,
            "  throughput",
            f"{q['qps']:.0f} queries/s ({q['errors'] + q['non2xx']} errors)",
            f">= 150/s: {_verdict(q['qps'] >= 150)}",
        )
        _row(
            rows,
            "  server CPU per query",
            f"{q['server_cpu_ms_per_query']:.1f} ms",
            f"other load {q['others_cores']:.2f} cores",
        )
        _row(
            rows,
            "app startup (Janome + index, to first /healthz)",
            f"{q['startup_s']:.2f} s" + (f" ({q['startup_cpu_s']:.1f} CPU s in all)" if "startup_cpu_s" in q else ""),
            f"< 2 s: {_verdict(q['startup_s'] < 2)}",
        )
    for p in points:
        b, q = p["build"], p["queries"]
        target = ""
        if p["size"] >= 50000:
            target = f"p99 <= 100 ms: {_verdict(q['p99_ms'] <= 100)}, build <= 25 min: {_verdict(b['wall_s'] <= 1500)}"
        _row(
            rows,
            f"growth {p['size']:,}: index time (2-core CPU est.) / size / writer RSS / p99 / CPU per query",
            f"{b['wall_s'] / 60:.1f} min ({b['ideal_2core_wall_s'] / 60:.1f}) / {b['index_mb']:.0f} MB"
            + (f" ({b['size_ratio_to_text']:.1f}x)" if "size_ratio_to_text" in b else "")
            + f" / {b['writer_peak_rss_mb']:.0f} MB / {q['p99_ms']:.0f} ms ({q['qps']:.0f} q/s)"
            f" / {q['server_cpu_ms_per_query']:.1f} ms",
            target,
        )
    if not rows:
        print("bench: no results yet")
        return
    if fields := results.get("fields"):
        from bench.perf.fields import print_fields

        print("Bytes per field, full ldcc index (MB; stored values compressed one by one):")
        print_fields(fields["table"], fields["text_bytes"])
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    line = "-" * (sum(widths) + 6)
    print(line)
    for name, value, target in rows:
        print(f"{name:<{widths[0]}}  {value:>{widths[1]}}  {target}")
    print(line)
