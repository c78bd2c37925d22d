"""A corpus for the load test: ldcc articles rendered as CMS-style pages, or synthetic pages when ldcc is absent."""

from __future__ import annotations

import html
import random
from pathlib import Path

# The ldcc files to skip: documentation, not articles.
LDCC_SKIP = {"LICENSE.txt", "README.txt", "CHANGES.txt"}
ATTRIBUTION = "livedoor ニュースコーパス（株式会社ロンウイット、CC BY-ND 2.1 JP）より、本文は改変せずに掲載"


def page_html(title: str, paragraphs: list[str], *, date: str, category: str, url: str, note: str = "") -> str:
    """One article as a blog page: header, article with meta line, sidebar and footer."""
    esc = html.escape
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs if p.strip())
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<title>{esc(title)} | 負荷試験ブログ</title>
<link rel="canonical" href="{esc(url)}">
</head><body>
<header class="site-header"><p class="site-title">負荷試験ブログ</p><nav><a href="/">ホーム</a></nav></header>
<main class="site-main"><article class="post">
<header class="entry-header"><h1 class="entry-title">{esc(title)}</h1>
<div class="entry-meta"><time class="entry-date published" datetime="{esc(date)}">{esc(date[:10])}</time>
<span class="cat-links"><a href="/c/" rel="category tag">{esc(category)}</a></span></div></header>
<div class="entry-content">
{body}
</div>
<footer class="entry-footer"><p class="source">{esc(note)}</p></footer>
</article></main>
<aside class="sidebar"><p>サイドバー</p></aside>
<footer class="site-footer"><p>フッター</p></footer>
</body></html>
"""


def ldcc_files(ldcc: Path, limit: int) -> list[Path]:
    """Up to `limit` article files, taken round-robin from the categories so every one is represented."""
    per_category = [
        sorted(p for p in d.glob("*.txt") if p.name not in LDCC_SKIP) for d in sorted(ldcc.iterdir()) if d.is_dir()
    ]
    picked: list[Path] = []
    i = 0
    while len(picked) < limit and any(i < len(files) for files in per_category):
        picked.extend(files[i] for files in per_category if i < len(files))
        i += 1
    return picked[:limit]


def render_ldcc(ldcc: Path, out: Path, limit: int) -> int:
    """Render ldcc articles (text unmodified) as pages under out/<category>/; return how many."""
    count = 0
    for src in ldcc_files(ldcc, limit):
        lines = src.read_text(encoding="utf-8").splitlines()
        if len(lines) < 4:
            continue
        url, date, title, body = lines[0].strip(), lines[1].strip(), lines[2].strip(), lines[3:]
        target = out / src.parent.name / (src.stem + ".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        text = page_html(title, body, date=date, category=src.parent.name, url=url, note=ATTRIBUTION)
        target.write_text(text, encoding="utf-8")
        count += 1
    return count


# Synthetic pages: sentences from a small office vocabulary, seeded so every run is the same.
_TOPICS = ("経費精算", "年末調整", "見積書", "請求書", "印鑑", "契約書", "勤怠管理", "社会保険", "備品購入", "出張旅費")
_WORDS = ("申請", "承認", "提出", "締め日", "担当者", "書類", "確認", "経理部", "総務部", "規程", "保管", "電子化")
_TEMPLATES = (
    "{t}の{w1}は毎月{n}日までに{w2}します。",
    "{w1}と{w2}を分けて{t}を進めます。",
    "{t}について{w1}から質問がありました。",
    "新しい{w1}では{t}の{w2}が不要になりました。",
)


def synthesize(out: Path, count: int, seed: int = 7) -> int:
    """Write `count` synthetic pages under out/synthetic/; return how many."""
    rng = random.Random(seed)
    target_dir = out / "synthetic"
    target_dir.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        topic = _TOPICS[i % len(_TOPICS)]
        paragraphs = [
            "".join(
                rng.choice(_TEMPLATES).format(
                    t=topic, w1=rng.choice(_WORDS), w2=rng.choice(_WORDS), n=rng.randint(1, 28)
                )
                for _ in range(rng.randint(3, 8))
            )
            for _ in range(rng.randint(3, 10))
        ]
        title = f"{topic}の手引き その{i}"
        date = f"20{10 + i % 15:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        page = page_html(title, paragraphs, date=date, category="事務", url=f"https://example.jp/{i}/")
        (target_dir / f"p{i:05d}.html").write_text(page, encoding="utf-8")
    return count


def build_corpus(out: Path, data: Path, docs: int) -> tuple[int, str]:
    """Fill `out` with `docs` pages (ldcc if present, else synthetic); return (count, source)."""
    ldcc = data / "ldcc"
    if ldcc.is_dir():
        return render_ldcc(ldcc, out, docs), f"ldcc ({ldcc})"
    return synthesize(out, docs), "synthetic (ldcc not found)"
