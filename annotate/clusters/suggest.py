"""Suggested members of a cluster: claims whose quotes are near, by cosine similarity of
character n-gram TF-IDF vectors (scikit-learn), ranked.

One index per project and process: every live claim's quote (its first
``QUOTE_CHARS`` characters) as a row of a sparse matrix, kept in column order so that a
query reads only the columns of its own n-grams. The index is rebuilt when the project's
live claims change (their number, newest id or latest update), checked at most every
``RECHECK_S`` seconds, so a suggestion may miss a claim made in the last seconds.
docs/guide/clusters.md has the measurements against PostgreSQL's pg_trgm, and why this.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Count, Max

from annotate.models import Claim, ClaimCluster, ClusterDismissal, ClusterMember
from corpus.models import Project

if TYPE_CHECKING:  # scikit-learn and SciPy load on the first suggestion, not at start-up
    from sklearn.feature_extraction.text import TfidfVectorizer

QUOTE_CHARS = 400
NGRAMS = (3, 5)
MIN_SCORE = 0.15
RECHECK_S = 10.0
LIMIT = 10
COMMON_SHARE = 0.02
COMMON_FLOOR = 200
GOLD_KEY = 0  # the gold layer in ``Index.annotators`` (as ClusterMember.layer_key)
MEMBER_QUOTES = 50  # a cluster's query: the quotes of its first stating members


def vectorizer(claims: int, *, prune: bool = True) -> TfidfVectorizer:
    """Character n-grams inside word boundaries, lower-cased, sublinear tf, float32.
    N-grams in more than ``COMMON_SHARE`` of the claims (and in more than
    ``COMMON_FLOOR``) are left out: their IDF makes them weigh little in a cosine, and a
    query would read their long columns (most of its time on a big project)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        lowercase=True,
        sublinear_tf=True,
        dtype=np.float32,
        max_df=max(COMMON_FLOOR, int(claims * COMMON_SHARE)) if prune else 1.0,
    )


def fit(quotes: list[str]) -> tuple[TfidfVectorizer | None, Any]:
    """The fitted vectorizer and the quotes' matrix (CSC); (None, empty) without n-grams."""
    from scipy import sparse

    empty = sparse.csc_matrix((0, 0), dtype=np.float32)
    if not quotes:
        return None, empty
    for prune in (True, False):
        found = vectorizer(len(quotes), prune=prune)
        try:
            return found, found.fit_transform(quotes).tocsc()
        except ValueError:  # pruning left no n-gram (the same quote many times over)
            continue
    return None, empty  # no n-gram at all


def layer_key(annotator_id: int | None) -> int:
    return GOLD_KEY if annotator_id is None else annotator_id


@dataclass
class Index:
    stamp: tuple[Any, ...]
    checked: float
    ids: np.ndarray  # claim ids, ascending
    articles: np.ndarray
    annotators: np.ndarray  # 0 for gold
    vectorizer: TfidfVectorizer | None
    matrix: Any  # CSC, one L2-normalised row per claim

    def scores(self, query: Any) -> np.ndarray:
        """Cosine of every row with the (L2-normalised, 1 × V) query."""
        from scipy import sparse

        query = sparse.csr_matrix(query)
        if query.nnz == 0 or self.matrix.shape[0] == 0:
            return np.zeros(len(self.ids), dtype=np.float32)
        columns = self.matrix[:, query.indices]
        return np.asarray(columns @ query.data.astype(np.float32)).ravel()


_INDEXES: dict[int, Index] = {}
_LOCK = threading.Lock()


def _live(project: Project) -> Any:
    return Claim.objects.live().filter(article__project=project)


def _stamp(project: Project) -> tuple[Any, ...]:
    found = _live(project).aggregate(n=Count("pk"), top=Max("pk"), at=Max("updated"))
    return (found["n"], found["top"], found["at"])


def build_index(project: Project, stamp: tuple[Any, ...] | None = None) -> Index:
    rows = _live(project).order_by("pk").values_list("pk", "article_id", "annotator_id", "quote")
    ids: list[int] = []
    articles: list[int] = []
    annotators: list[int] = []
    quotes: list[str] = []
    for pk, article_id, annotator_id, quote in rows.iterator(chunk_size=5000):
        ids.append(pk)
        articles.append(article_id)
        annotators.append(layer_key(annotator_id))
        quotes.append(quote[:QUOTE_CHARS])
    found_vectorizer, matrix = fit(quotes)
    return Index(
        stamp=stamp if stamp is not None else _stamp(project),
        checked=time.monotonic(),
        ids=np.asarray(ids, dtype=np.int64),
        articles=np.asarray(articles, dtype=np.int64),
        annotators=np.asarray(annotators, dtype=np.int64),
        vectorizer=found_vectorizer,
        matrix=matrix,
    )


def index_for(project: Project) -> Index:
    """The project's index, rebuilt if its claims changed (checked every RECHECK_S)."""
    with _LOCK:
        index = _INDEXES.get(project.pk)
        now = time.monotonic()
        if index is not None and now - index.checked < RECHECK_S:
            return index
        stamp = _stamp(project)
        if index is None or index.stamp != stamp:
            index = build_index(project, stamp)
            _INDEXES[project.pk] = index
        index.checked = now
        return index


def forget(project_id: int | None = None) -> None:
    """Drop the cached index of a project (of every project with None)."""
    with _LOCK:
        if project_id is None:
            _INDEXES.clear()
        else:
            _INDEXES.pop(project_id, None)


def _query_vector(index: Index, quotes: list[str]) -> Any:
    """The L2-normalised sum of the quotes' vectors."""
    from scipy import sparse

    assert index.vectorizer is not None
    summed = index.vectorizer.transform([q[:QUOTE_CHARS] for q in quotes]).sum(axis=0)
    vector = sparse.csr_matrix(summed, dtype=np.float32)
    norm = float(np.sqrt(vector.multiply(vector).sum()))
    return vector / norm if norm else vector


def ranked(
    index: Index,
    *,
    quotes: list[str],
    exclude_ids: set[int],
    exclude_articles: set[int],
    annotator_key: int | None,
    limit: int = LIMIT,
    min_score: float = MIN_SCORE,
) -> list[tuple[int, float]]:
    """(claim id, score) of the nearest claims, best first. ``annotator_key`` keeps only
    that layer's claims (None: every claim)."""
    if index.vectorizer is None:
        return []
    query = _query_vector(index, quotes)
    scores = index.scores(query)
    mask = scores >= min_score
    if annotator_key is not None:
        mask &= index.annotators == annotator_key
    if exclude_articles:
        mask &= ~np.isin(index.articles, np.fromiter(exclude_articles, dtype=np.int64))
    if exclude_ids:
        mask &= ~np.isin(index.ids, np.fromiter(exclude_ids, dtype=np.int64))
    candidates = np.flatnonzero(mask)
    if len(candidates) > limit:
        top = np.argpartition(-scores[candidates], limit - 1)[:limit]
        candidates = candidates[top]
    order = sorted(candidates.tolist(), key=lambda r: (-float(scores[r]), int(index.ids[r])))
    return [(int(index.ids[r]), round(float(scores[r]), 4)) for r in order]


@dataclass
class Suggested:
    claim: Claim
    score: float


def suggestions_for_claim(claim: Claim, *, curator: bool, limit: int = LIMIT) -> list[Suggested]:
    """Claims of other articles near the claim, best first: for a curator any claim of the
    project, for an annotator their own."""
    project = claim.article.project
    index = index_for(project)
    found = ranked(
        index,
        quotes=[claim.quote],
        exclude_ids={claim.pk},
        exclude_articles={claim.article_id},
        annotator_key=None if curator else layer_key(claim.annotator_id),
        limit=limit,
    )
    return _load(found)


def suggestions_for_cluster(
    cluster: ClaimCluster, *, curator: bool, limit: int = LIMIT
) -> list[Suggested]:
    """Claims near the cluster's stating members (or its statement while it has none),
    not yet in it and not turned down for it, best first, from the claims the layer may
    hold."""
    members = list(
        ClusterMember.objects.filter(cluster=cluster).values_list(
            "claim_id", "relation", "claim__quote"
        )
    )
    quotes = [quote for _, relation, quote in members if relation == "member"][:MEMBER_QUOTES]
    dismissed = set(
        ClusterDismissal.objects.filter(cluster=cluster).values_list("claim_id", flat=True)
    )
    index = index_for(cluster.project)
    pool_key = None
    if cluster.annotator_id is not None and not curator:
        pool_key = layer_key(cluster.annotator_id)
    found = ranked(
        index,
        quotes=quotes or [cluster.statement],
        exclude_ids={pk for pk, _, _ in members} | dismissed,
        exclude_articles=set(),
        annotator_key=pool_key,
        limit=limit,
    )
    return _load(found)


def _load(found: list[tuple[int, float]]) -> list[Suggested]:
    """The suggested claims with their article (no text), source and annotator: one
    query."""
    if not found:
        return []
    loaded = (
        Claim.objects.live()
        .filter(pk__in=[pk for pk, _ in found])
        .select_related("article", "source", "annotator")
        .defer("article__text", "article__metadata")
    )
    by_id = {c.pk: c for c in loaded}
    return [Suggested(by_id[pk], score) for pk, score in found if pk in by_id]
