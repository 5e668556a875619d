"""Suggested members of a cluster: claims whose quotes are near, by cosine similarity of
character n-gram TF-IDF vectors (scikit-learn), ranked.

The project's index is built by a background task (``annotate.clusters.indexing``): every
live claim's quote (its first ``QUOTE_CHARS`` characters) as a row of a sparse matrix,
kept in column order so that a query reads only the columns of its own n-grams, saved as
NumPy arrays in ``default_storage``. A request never fits: it loads the last built index
(once per process and build) and transforms the query with it. The n-grams are hashed
(``HashingVectorizer``) rather than kept in a vocabulary, so the fitted state is one array
of IDF weights: a query made of a claim written after the build is transformed like any
other. docs/guide/clusters.md has the measurements against PostgreSQL's pg_trgm.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage

from annotate.models import Claim, ClaimCluster, ClusterDismissal, ClusterIndex, ClusterMember
from corpus.models import Project

if TYPE_CHECKING:  # numpy, scikit-learn and SciPy load on the first suggestion, not at start-up
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

QUOTE_CHARS = 400
NGRAMS = (3, 5)
FEATURES = 2**22  # hashed n-gram columns (two n-grams rarely share one below ~10^5)
MIN_SCORE = 0.15
LIMIT = 10
FIT_CHUNK = 20_000  # quotes hashed at a time while fitting
SLACK = 10  # more candidates than shown: claims deleted since the build are dropped
COMMON_SHARE = 0.02
COMMON_FLOOR = 200
GOLD_KEY = 0  # the gold layer in ``Index.annotators`` (as ClusterMember.layer_key)
MEMBER_QUOTES = 50  # a cluster's query: the quotes of its first stating members


def hashing() -> HashingVectorizer:
    """Character n-grams inside word boundaries, lower-cased, counted (no sign, no norm)."""
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        lowercase=True,
        alternate_sign=False,
        norm=None,
        n_features=FEATURES,
        dtype=np.float32,
    )


@dataclass
class Model:
    """The fitted part: the hashed n-gram columns the index keeps (ascending; not the
    n-grams no claim had, nor those left out as too common) and their IDF weights. The
    index's matrix has one column per kept n-gram, in this order."""

    columns: np.ndarray  # int64, hashed column ids, ascending
    idf: np.ndarray  # float32, one per column

    def weigh(self, counts: Any) -> Any:
        """Hashed counts → sublinear tf × IDF on the kept columns, rows L2-normalised
        (CSR, float32, ``len(columns)`` wide)."""
        import numpy as np
        from scipy import sparse
        from sklearn.preprocessing import normalize

        counts = counts.tocsr()
        where = np.searchsorted(self.columns, counts.indices)
        where[where == len(self.columns)] = 0
        kept = self.columns[where] == counts.indices if len(self.columns) else where < 0
        data = np.where(kept, (1.0 + np.log(counts.data)) * self.idf[where], 0.0)
        matrix = sparse.csr_matrix(
            (data.astype(np.float32), where, counts.indptr),
            shape=(counts.shape[0], len(self.columns)),
        )
        matrix.eliminate_zeros()
        return normalize(matrix, copy=False)

    def transform(self, quotes: list[str]) -> Any:
        return self.weigh(hashing().transform([q[:QUOTE_CHARS] for q in quotes]))


def fit(quotes: list[str]) -> tuple[Model | None, Any]:
    """The fitted model and the quotes' matrix (CSC); (None, empty) without n-grams.
    IDF as scikit-learn's smooth IDF, ln((1 + n) / (1 + df)) + 1. N-grams in more than
    ``COMMON_SHARE`` of the claims (and in more than ``COMMON_FLOOR``) are left out: their
    IDF makes them weigh little in a cosine, and a query would read their long columns
    (most of its time on a big project). Two passes over the quotes, ``FIT_CHUNK`` at a
    time (the document frequencies, then the kept columns), so that memory holds the
    pruned matrix, never the whole count matrix (gigabytes at 600,000 claims)."""
    import numpy as np
    from scipy import sparse

    empty = sparse.csc_matrix((0, 0), dtype=np.float32)
    if not quotes:
        return None, empty
    vectorizer = hashing()
    chunks = [
        [q[:QUOTE_CHARS] for q in quotes[i : i + FIT_CHUNK]]
        for i in range(0, len(quotes), FIT_CHUNK)
    ]
    n = len(quotes)
    df = np.zeros(FEATURES, dtype=np.int64)
    for chunk in chunks:
        df += np.bincount(vectorizer.transform(chunk).indices, minlength=FEATURES)
    common = df > max(COMMON_FLOOR, int(n * COMMON_SHARE))
    for keep in (df > 0) & ~common, df > 0:  # unpruned if pruning left no n-gram
        columns = np.flatnonzero(keep)
        if not len(columns):
            continue
        idf = (np.log((1.0 + n) / (1.0 + df[columns])) + 1.0).astype(np.float32)
        model = Model(columns.astype(np.int64), idf)
        parts = [model.weigh(vectorizer.transform(chunk)) for chunk in chunks]
        return model, sparse.vstack(parts, format="csr").tocsc()
    return None, empty  # no n-gram at all


def layer_key(annotator_id: int | None) -> int:
    return GOLD_KEY if annotator_id is None else annotator_id


@dataclass
class Index:
    file: str  # where it was loaded from ("" if built in memory)
    ids: np.ndarray  # claim ids, ascending
    articles: np.ndarray
    annotators: np.ndarray  # 0 for gold
    model: Model | None
    matrix: Any  # CSC, one L2-normalised row per claim

    def scores(self, query: Any) -> np.ndarray:
        """Cosine of every row with the (L2-normalised, 1 × V) query."""
        import numpy as np
        from scipy import sparse

        query = sparse.csr_matrix(query)
        if query.nnz == 0 or self.matrix.shape[0] == 0:
            return np.zeros(len(self.ids), dtype=np.float32)
        columns = self.matrix[:, query.indices]
        return np.asarray(columns @ query.data.astype(np.float32)).ravel()

    @property
    def nbytes(self) -> int:
        matrix = self.matrix
        arrays = (self.ids, self.articles, self.annotators, matrix.data, matrix.indices)
        return sum(a.nbytes for a in arrays) + matrix.indptr.nbytes


def build(rows: Any) -> Index:
    """The index of (claim id, article id, annotator id, quote) rows in ascending id order
    (the background task's work: this is the fitting)."""
    import numpy as np

    ids: list[int] = []
    articles: list[int] = []
    annotators: list[int] = []
    quotes: list[str] = []
    for pk, article_id, annotator_id, quote in rows:
        ids.append(pk)
        articles.append(article_id)
        annotators.append(layer_key(annotator_id))
        quotes.append(quote[:QUOTE_CHARS])
    model, matrix = fit(quotes)
    return Index(
        file="",
        ids=np.asarray(ids, dtype=np.int64),
        articles=np.asarray(articles, dtype=np.int64),
        annotators=np.asarray(annotators, dtype=np.int64),
        model=model,
        matrix=matrix,
    )


def dump(index: Index) -> bytes:
    """The index as an ``.npz`` of plain arrays (read back with ``allow_pickle=False``:
    a file in shared storage is never code)."""
    import numpy as np

    buffer = io.BytesIO()
    matrix = index.matrix
    np.savez(
        buffer,
        ids=index.ids,
        articles=index.articles,
        annotators=index.annotators,
        columns=index.model.columns if index.model is not None else np.zeros(0, np.int64),
        idf=index.model.idf if index.model is not None else np.zeros(0, np.float32),
        data=matrix.data,
        indices=matrix.indices,
        indptr=matrix.indptr,
        shape=np.asarray(matrix.shape, dtype=np.int64),
    )
    return buffer.getvalue()


def load(raw: bytes, file: str = "") -> Index:
    import numpy as np
    from scipy import sparse

    with np.load(io.BytesIO(raw), allow_pickle=False) as found:
        idf, columns = found["idf"], found["columns"]
        shape = tuple(int(v) for v in found["shape"])
        matrix = sparse.csc_matrix((found["data"], found["indices"], found["indptr"]), shape=shape)
        return Index(
            file=file,
            ids=found["ids"],
            articles=found["articles"],
            annotators=found["annotators"],
            model=Model(columns, idf) if len(idf) else None,
            matrix=matrix,
        )


# The loaded index of each project in this process, by the file it came from.
_LOADED: dict[int, Index] = {}
_LOCK = threading.Lock()


def loaded(row: ClusterIndex | None) -> Index | None:
    """The index of the row's last build, read from storage once per process and build;
    None before the first build. Never fits."""
    if row is None or not row.file:
        return None
    index = _LOADED.get(row.project_id)
    if index is not None and index.file == row.file:
        return index
    with _LOCK:
        index = _LOADED.get(row.project_id)
        if index is None or index.file != row.file:
            with default_storage.open(row.file, "rb") as handle:
                index = load(handle.read(), row.file)
            _LOADED[row.project_id] = index
        return index


def current(project: Project) -> Index | None:
    return loaded(ClusterIndex.objects.filter(project=project).first())


def forget(project_id: int | None = None) -> None:
    """Drop the loaded index of a project (of every project with None) from this process."""
    with _LOCK:
        if project_id is None:
            _LOADED.clear()
        else:
            _LOADED.pop(project_id, None)


def _query_vector(index: Index, quotes: list[str]) -> Any:
    """The L2-normalised sum of the quotes' vectors."""
    import numpy as np
    from scipy import sparse

    assert index.model is not None
    summed = index.model.transform(quotes).sum(axis=0)
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
    import numpy as np

    if index.model is None:
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


def suggestions_for_claim(
    claim: Claim, *, curator: bool, index: Index | None = None, limit: int = LIMIT
) -> list[Suggested]:
    """Claims of other articles near the claim, best first: for a curator any claim of the
    project, for an annotator their own. From ``index`` (by default the project's last
    built one); none before the first build."""
    index = index or current(claim.article.project)
    if index is None:
        return []
    found = ranked(
        index,
        quotes=[claim.quote],
        exclude_ids={claim.pk},
        exclude_articles={claim.article_id},
        annotator_key=None if curator else layer_key(claim.annotator_id),
        limit=limit + SLACK,
    )
    return _load(found)[:limit]


def suggestions_for_cluster(
    cluster: ClaimCluster, *, curator: bool, index: Index | None = None, limit: int = LIMIT
) -> list[Suggested]:
    """Claims near the cluster's stating members (or its statement while it has none),
    not yet in it and not turned down for it, best first, from the claims the layer may
    hold. From ``index`` (by default the project's last built one)."""
    index = index or current(cluster.project)
    if index is None:
        return []
    members = list(
        ClusterMember.objects.filter(cluster=cluster).values_list(
            "claim_id", "relation", "claim__quote"
        )
    )
    quotes = [quote for _, relation, quote in members if relation == "member"][:MEMBER_QUOTES]
    dismissed = set(
        ClusterDismissal.objects.filter(cluster=cluster).values_list("claim_id", flat=True)
    )
    pool_key = None
    if cluster.annotator_id is not None and not curator:
        pool_key = layer_key(cluster.annotator_id)
    found = ranked(
        index,
        quotes=quotes or [cluster.statement],
        exclude_ids={pk for pk, _, _ in members} | dismissed,
        exclude_articles=set(),
        annotator_key=pool_key,
        limit=limit + SLACK,
    )
    return _load(found)[:limit]


def _load(found: list[tuple[int, float]]) -> list[Suggested]:
    """The suggested claims that are still live, with their article (no text), source and
    annotator: one query."""
    if not found:
        return []
    claims = (
        Claim.objects.live()
        .filter(pk__in=[pk for pk, _ in found])
        .select_related("article", "source", "annotator")
        .defer("article__text", "article__metadata")
    )
    by_id = {c.pk: c for c in claims}
    return [Suggested(by_id[pk], score) for pk, score in found if pk in by_id]
