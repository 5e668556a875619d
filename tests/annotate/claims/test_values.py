"""The claim's values (``annotate.claims.values``): the one unpacking of arguments by name,
and a change applied to a whole claim."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from annotate.chains.links import LinkInput
from annotate.claims.checks import StanceInput
from annotate.claims.forms import ClaimInput
from annotate.claims.values import (
    UNSET,
    ClaimChanges,
    ClaimFields,
    check_known,
    claim_changes,
    claim_fields,
)


def test_arguments_by_name_split_into_fields_and_labels() -> None:
    fields = claim_fields({"start": 1, "end": 4, "source": 7, "claim_type": "factual"})
    assert (fields.start, fields.end, fields.source) == (1, 4, 7)
    assert fields.labels == {"claim_type": "factual"}
    assert fields.get("claim_type") == "factual" and fields.get("attribution") == ""
    changes = claim_changes({"note": "x", "attribution": "direct"})
    assert (changes.note, changes.source, changes.mention) == ("x", UNSET, UNSET)
    assert changes.labels == {"attribution": "direct"}


def test_a_change_replaces_only_what_it_sets() -> None:
    whole = ClaimFields(
        start=0,
        end=5,
        quote="Ankar",
        source=3,
        mention=(10, 14),
        stances=[StanceInput(1, "favor")],
        note="n",
        labels={"attribution": "direct", "claim_type": "factual"},
    )
    assert whole.changed(ClaimChanges()) == whole
    changed = whole.changed(ClaimChanges(mention=None, labels={"claim_type": "predictive"}))
    assert changed.mention is None and changed.source == 3 and changed.note == "n"
    assert changed.labels == {"attribution": "direct", "claim_type": "predictive"}


def test_a_change_sets_the_chain_only_when_it_gives_one() -> None:
    whole = ClaimFields(start=0, end=5, chain=[LinkInput(source=4, reliability="B")])
    assert ClaimChanges().chain is UNSET
    assert whole.changed(ClaimChanges(note="x")).chain == whole.chain
    assert whole.changed(ClaimChanges(chain=[])).chain == []
    assert claim_fields({"start": 0, "end": 5, "chain": [LinkInput(9)]}).chain == [LinkInput(9)]
    assert claim_changes({"chain": []}).chain == []


def test_the_form_sends_its_chain_only_with_a_chain_section() -> None:
    without = ClaimInput.from_post(QueryDict("version=2"), with_span=False, with_version=True)
    assert without.changes().chain is UNSET and without.chain is None
    posted = QueryDict(
        "version=2&chain-present=1&chain-source=5&chain-mention_start=&chain-mention_end="
        "&chain-reliability=C&chain-source=6&chain-mention_start=3&chain-mention_end=9"
        "&chain-reliability="
    )
    data = ClaimInput.from_post(posted, with_span=False, with_version=True)
    assert data.changes().chain == [
        LinkInput(source=5, mention=None, reliability="C"),
        LinkInput(source=6, mention=(3, 9), reliability=""),
    ]
    emptied = ClaimInput.from_post(
        QueryDict("version=2&chain-present=1"), with_span=False, with_version=True
    )
    assert emptied.changes().chain == []
    with pytest.raises(ValidationError, match="incomplete"):
        ClaimInput.from_post(
            QueryDict("version=2&chain-present=1&chain-source=5"),
            with_span=False,
            with_version=True,
        )


def test_unknown_labels_are_refused() -> None:
    with pytest.raises(ValidationError, match="Unknown claim fields: colour"):
        check_known({"colour": "red", "claim_type": "factual"})


def test_the_form_without_a_mention_leaves_the_mention_alone() -> None:
    posted = QueryDict("version=2&source=5&claim_type=factual&stance-9=favor")
    data = ClaimInput.from_post(posted, with_span=False, with_version=True)
    assert data.changes().mention is None  # the workspace's form clears an unmarked mention
    kept = data.changes(mention=False)  # the gold form has no mention field
    assert kept.mention is UNSET and kept.start is None
    assert kept.source == 5 and kept.stances == [StanceInput(9, "favor")]
    assert kept.labels["claim_type"] == "factual"
