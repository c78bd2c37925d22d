"""Every constant that changes how articles are ranked, each with what it does and what it was measured to give.

"make eval" is `python -m bench.eval_relevance --systems project` (MRR@10 on JSQuAD's 4,442
questions and 2,000 livedoor headlines, docs/relevance.md); each setting was chosen for both
sets at once. Bounds that only cap the cost of hostile queries stay beside the code they bound.
"""

from __future__ import annotations

# ---------------------------------------------------------------- word BM25F (title, body, tags)

# BM25 of the words in each field, with BM25's own idf (searcher.BM25). make eval chose
# K1 1.2 and B 0.5: the word ranking of the first relevance row, 0.933 JSQuAD, 0.610 ldcc.
WORD_K1 = 1.2
WORD_B = 0.5
# A sentence's and a relaxed query's word feature: each field's BM25 times this. The index's
# term frequencies already carry the schema's boosts (indexer.schema.FIELD_BOOSTS, the same
# numbers), so these count the field a second time; with them sentences reached 0.948 JSQuAD,
# 0.695 ldcc (the "scored with numpy" row). Keywords keep the compiler's boosts (1.0 per field).
UNIT_FIELD_WEIGHT = {"title": 3.0, "tags": 1.5, "body": 1.0}

# ---------------------------------------------------------------- the compiled query (compiler.py)

# How much a match through each kind of evidence counts, relative to a word match. N-grams
# and readings find what Janome's words miss but must never outrank real word matches
# (京都 before 東京都): they count only where the word is missing (0.25, 0.3). A synonym is
# matched as a whole expression (0.8). Part of the 0.933 / 0.610 word ranking.
NGRAM_WEIGHT = 0.25
READING_WEIGHT = 0.3
SYNONYM_WEIGHT = 0.8
# A phrase of the words typed together (経費精算), and of separate words standing within
# NEAR_SLOP positions of each other, lifts the articles where they do: score + this × the
# phrase's BM25. Part of the 0.933 / 0.610 word ranking; not measured apart from it.
PROXIMITY_BOOST = 2.0
NEAR_SLOP = 8
# A stretch of plain text with this many content words reads as a sentence (ranked as a
# whole, any word a candidate), not as keywords (every one must match).
SENTENCE_WORDS = 3
# At most this many distinct n-grams of the query go into the n-gram feature.
MAX_GRAMS = 64

# ---------------------------------------------------------------- character n-gram BM25 (text_ng)

# BM25 over text_ng (the title's n-grams TITLE_REPEAT times plus the body's): the usual
# 1.2 / 0.75 suits character n-grams on both sets (the grid of the "scored with numpy" row).
GRAM_K1 = 1.2
GRAM_B = 0.75

# ---------------------------------------------------------------- the one scoring function

# Score = words / best + FUSION_WEIGHT × n-grams / best (each scaled to its best candidate):
# adding the n-gram feature took JSQuAD from 0.933 to 0.947; 3 is one setting for both sets.
FUSION_WEIGHT = 3.0
# Keywords: how many of the word ranking's best candidates the n-grams re-rank (more when a
# page asks for more). The n-grams are read for those candidates only (the keyword p50).
FUSION_DEPTH = 100
# Sentences and relaxed keywords: score × (1 + COVERAGE_BOOST × share²), share = the fraction
# of the query's words an article has (all of them: twice). JSQuAD rewards coverage; it costs
# ldcc about 0.015 (docs/relevance.md); 1.0 kept JSQuAD at 0.948.
COVERAGE_BOOST = 1.0
# Every candidate keeps a score above 0 (one found by its reading alone has no word or n-gram score).
MIN_SCORE = 1e-12

# ---------------------------------------------------------------- the article's opening (openings.py)

# Sentences and relaxed keywords: the best LEAD_DEPTH candidates × (1 + LEAD_BOOST × lead),
# lead = the idf-weighted share of the query's bigrams in the title, or in the body weighted
# exp(-position / LEAD_DECAY). ldcc 0.825 → 0.868, JSQuAD unchanged (short paragraphs); on
# whole Wikipedia articles, where answers sit deep inside, it costs 0.005. Boost 6–8 gave
# ldcc about +0.004 more; 4 and the decay were kept as the smoother choice.
LEAD_BOOST = 4.0
# Characters after which a first occurrence weighs 1/e of one at the start.
LEAD_DECAY = 300.0
# Candidates re-ranked (the rest keep their order below them: the boost only raises).
LEAD_DEPTH = 30
# Body characters looked at: later first occurrences weigh almost nothing (exp(-2000/300)).
LEAD_SCAN = 2000

# ---------------------------------------------------------------- related articles (related.py)

# An article's key character bigrams (tf·idf) make up its similarity query, scored with the
# word BM25 above over title_ng and body_ng. Not measured by make eval (no judged pairs):
# chosen by reading the lists on livedoor news and the bundled corpus.
RELATED_KEY_TERMS = 24
# A title (or tag) bigram counts as this many in the text.
RELATED_TITLE_WEIGHT = 3
# Only the opening of a long article is analyzed: enough for its topic, and bounded work.
RELATED_TEXT_CHARS = 4000
# Terms in more documents than this share of the collection say nothing about a topic.
RELATED_MAX_DF_SHARE = 0.5
