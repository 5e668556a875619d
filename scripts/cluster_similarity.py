"""Measure the two candidate ways to suggest cluster members: character n-gram TF-IDF
(scikit-learn, ``annotate.clusters.suggest``) against PostgreSQL's pg_trgm similarity.

Two corpora:

* the seed articles' claims (tests/data/seed_eval.jsonl): no clusters are known there,
  so the figure is how often the two methods agree on the top 5 of each claim (among
  claims of other articles), and the time per query;
* a generated corpus: propositions, each said 4 times with the changes a repeat makes
  (a word dropped or swapped, a lead-in "X said that", curly quotes, case), amid
  distractors made of the same words (those of the seed articles). Every variant's
  siblings are known: recall@5 (share of its 3 siblings in the top 5) and MRR (of the
  first sibling), and the time per query at two sizes.

Run: ``scripts/with-postgres .venv/bin/python scripts/cluster_similarity.py`` (needs
DATABASE_URL to a PostgreSQL where ``CREATE EXTENSION pg_trgm`` is allowed; a temporary
table, nothing of Claimdesk's is touched). The figures are in docs/guide/clusters.md.
``--trgm-max N`` leaves pg_trgm out of the generated corpora bigger than N claims (its
20,000-claim run takes ~10 minutes); ``--sizes`` picks the generated corpora
(propositions:distractors, comma-separated).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()
from annotate.clusters.suggest import QUOTE_CHARS, fit  # noqa: E402

TOP = 5
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# The generator's words: those of the seed articles (a few thousand), so that n-grams are
# as common as in news text rather than in a toy vocabulary.
WORDS = sorted({w for path in SEEDS.glob("*.txt") for w in path.read_text().split() if w.isalpha()})
LEADS = ["", "officials said that ", "according to analysts, ", "the report claims that "]


def seed_quotes() -> list[tuple[int, str]]:
    path = Path(__file__).resolve().parent.parent / "tests" / "data" / "seed_eval.jsonl"
    found = []
    for i, line in enumerate(path.read_text().splitlines()):
        for claim in json.loads(line)["claims"]:
            found.append((i, claim["quote"]))
    return found


def variant(sentence: list[str], rng: random.Random) -> str:
    words = list(sentence)
    change = rng.randrange(4)
    if change == 0 and len(words) > 4:
        del words[rng.randrange(len(words))]
    elif change == 1 and len(words) > 2:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    elif change == 2:
        words = [w.lower() for w in words]
    text = rng.choice(LEADS) + " ".join(words)
    return text.replace("'", "’") if rng.random() < 0.5 else text


def generated(propositions: int, distractors: int, seed: int = 7) -> list[tuple[int, str]]:
    """(group, quote): 4 variants per proposition (group ≥ 0), distractors in group −1."""
    rng = random.Random(seed)
    rows = []
    for group in range(propositions):
        sentence = rng.sample(WORDS, rng.randrange(7, 13))
        rows += [(group, variant(sentence, rng)) for _ in range(4)]
    for _ in range(distractors):
        rows.append((-1, " ".join(rng.sample(WORDS, rng.randrange(7, 13)))))
    return rows


def tfidf_rank(quotes: list[str], queries: list[int]) -> tuple[dict[int, list[int]], float]:
    model, matrix = fit([q[:QUOTE_CHARS] for q in quotes])
    assert model is not None
    ranks, times = {}, []
    for i in queries:
        began = time.perf_counter()
        query = model.transform([quotes[i][:QUOTE_CHARS]])
        scores = np.asarray(matrix[:, query.indices] @ query.data).ravel()
        scores[i] = -1
        top = np.argpartition(-scores, TOP + 1)[: TOP + 1]
        ranks[i] = [int(r) for r in sorted(top, key=lambda r: -scores[r]) if r != i][:TOP]
        times.append(time.perf_counter() - began)
    return ranks, statistics.median(times) * 1000


def trgm_rank(
    conn: psycopg.Connection, quotes: list[str], queries: list[int]
) -> tuple[dict[int, list[int]], float]:
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS sim_quotes")
        cur.execute("CREATE TEMP TABLE sim_quotes (id int PRIMARY KEY, quote text)")
        with cur.copy("COPY sim_quotes (id, quote) FROM STDIN") as copy:
            for i, q in enumerate(quotes):
                copy.write_row((i, q[:QUOTE_CHARS]))
        cur.execute("CREATE INDEX ON sim_quotes USING gin (quote gin_trgm_ops)")
        cur.execute("ANALYZE sim_quotes")
        cur.execute("SET pg_trgm.similarity_threshold = 0.1")
        ranks, times = {}, []
        for i in queries:
            began = time.perf_counter()
            cur.execute(
                "SELECT id FROM sim_quotes WHERE quote %% %s AND id <> %s "
                "ORDER BY similarity(quote, %s) DESC, id LIMIT %s",
                (quotes[i][:QUOTE_CHARS], i, quotes[i][:QUOTE_CHARS], TOP),
            )
            ranks[i] = [row[0] for row in cur.fetchall()]
            times.append(time.perf_counter() - began)
    return ranks, statistics.median(times) * 1000


def quality(rows: list[tuple[int, str]], ranks: dict[int, list[int]]) -> tuple[float, float]:
    recall, reciprocal = [], []
    for i, found in ranks.items():
        group = rows[i][0]
        siblings = {j for j, (g, _) in enumerate(rows) if g == group and j != i}
        hits = [j for j in found if j in siblings]
        recall.append(len(hits) / len(siblings))
        first = next((k for k, j in enumerate(found) if j in siblings), None)
        reciprocal.append(1 / (first + 1) if first is not None else 0.0)
    return statistics.mean(recall), statistics.mean(reciprocal)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--trgm-max", type=int, default=10**9)
    parser.add_argument("--sizes", default="500:2000,2500:10000")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in size.split(":")) for size in args.sizes.split(",")]
    conn = psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://"))
    conn.autocommit = True
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    seeds = seed_quotes()
    quotes = [q for _, q in seeds]
    every = list(range(len(quotes)))
    tf, tf_ms = tfidf_rank(quotes, every)
    tg, tg_ms = trgm_rank(conn, quotes, every)
    overlap = statistics.mean(len(set(tf[i]) & set(tg[i])) / TOP for i in every)
    print(f"seed: {len(quotes)} claims; top-{TOP} overlap {overlap:.2f}; "
          f"ms/query tfidf {tf_ms:.2f}, pg_trgm {tg_ms:.2f}")  # fmt: skip
    for propositions, distractors in sizes:
        rows = generated(propositions, distractors)
        quotes = [q for _, q in rows]
        queries = list(range(0, propositions * 4, max(1, propositions * 4 // 400)))
        tf, tf_ms = tfidf_rank(quotes, queries)
        tf_r, tf_mrr = quality(rows, tf)
        line = (f"generated: {len(quotes)} claims, {len(queries)} queries; "
                f"tfidf recall@{TOP} {tf_r:.3f} MRR {tf_mrr:.3f} {tf_ms:.2f} ms")  # fmt: skip
        if len(quotes) <= args.trgm_max:
            tg, tg_ms = trgm_rank(conn, quotes, queries)
            tg_r, tg_mrr = quality(rows, tg)
            line += f"; pg_trgm recall@{TOP} {tg_r:.3f} MRR {tg_mrr:.3f} {tg_ms:.2f} ms"
        print(line, flush=True)


if __name__ == "__main__":
    main()
