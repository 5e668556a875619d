"""The corpus shared by a module (``_module_corpus``, conftest.py): a test's writes, in the
database and on its objects, are gone for the next test of the module."""

from __future__ import annotations

import pytest

from annotate.models import Claim
from tests.annotate.exchange.conftest import Corpus

pytestmark = pytest.mark.usefixtures("_module_corpus")


def _assert_untouched(corpus: Corpus) -> None:
    assert corpus.project.name == "Turkic world"
    assert len(corpus.claims) == 7 and len(corpus.gold) == 3
    assert corpus.claims[0].quote != "changed"
    live = Claim.objects.filter(deleted_at__isnull=True)
    assert set(live.values_list("pk", flat=True)) == {c.pk for c in corpus.claims + corpus.gold}
    corpus.project.refresh_from_db()
    assert corpus.project.name == "Turkic world"


@pytest.mark.parametrize("turn", [1, 2])
def test_a_test_changes_nothing_for_the_next(corpus: Corpus, turn: int) -> None:
    # Either turn may come first (or run on the other xdist worker): both start the same.
    _assert_untouched(corpus)
    Claim.objects.filter(pk=corpus.claims[-1].pk).delete()
    corpus.project.name = f"renamed in turn {turn}"
    corpus.project.save()
    corpus.claims[0].quote = "changed"
    corpus.claims.pop()


def test_the_corpus_after_the_changes_is_the_one_built(corpus: Corpus) -> None:
    _assert_untouched(corpus)
