"""Clusters in the JSONL export: a list per claim when the project has clusters, nothing
added when it has none (tests/annotate/exchange/test_golden.py holds the bytes)."""

from __future__ import annotations

import json
from typing import Any

from annotate.clusters import services
from tests.annotate.clusters.scene import Corpus
from tests.annotate.exchange.helpers import export_bytes


def _claims(data: bytes) -> dict[int, dict[str, Any]]:
    return {
        claim["claim_id"]: claim
        for line in data.decode().splitlines()
        for claim in json.loads(line)["claims"]
    }


def test_a_project_without_clusters_exports_no_clusters_key(corpus: Corpus) -> None:
    claims = _claims(export_bytes("jsonl", corpus.project, layer="gold"))
    assert claims and all("clusters" not in c for c in claims.values())


def test_each_claim_carries_its_clusters(corpus: Corpus, curator: Any) -> None:
    before = export_bytes("jsonl", corpus.project, layer="gold")
    gold = services.cluster_create(
        project=corpus.project,
        actor=curator,
        annotator_id=None,
        statement="Turkey's influence grows",
        claim_ids=[corpus.same[0].pk, corpus.same[1].pk],
    )
    services.cluster_member_add(
        cluster=gold, actor=curator, claim_id=corpus.other[0].pk, relation="contradicts"
    )
    mine = services.cluster_create(
        project=corpus.project,
        actor=curator,
        annotator_id=curator.pk,
        statement="mine",
        claim_ids=[corpus.same[0].pk],
    )
    after = export_bytes("jsonl", corpus.project, layer="gold")
    claims = _claims(after)
    assert claims[corpus.same[0].pk]["clusters"] == [
        {
            "id": gold.pk,
            "layer": "gold",
            "annotator": None,
            "statement": "Turkey's influence grows",
            "relation": "member",
        },
        {
            "id": mine.pk,
            "layer": "annotator",
            "annotator": curator.username,
            "statement": "mine",
            "relation": "member",
        },
    ]
    assert claims[corpus.other[0].pk]["clusters"][0]["relation"] == "contradicts"
    assert claims[corpus.same[2].pk]["clusters"] == []
    # Everything else is as before: drop the key and the lines are the same objects.
    for claim in claims.values():
        del claim["clusters"]
    assert claims == _claims(before)
