"""Agreement on clustering against figures worked out by hand."""

from __future__ import annotations

import pytest

from annotate.review.agreement.clustering import clustering_agreement, links


def test_links_are_the_pairs_sharing_a_cluster() -> None:
    assert links({1: "a", 2: "a", 3: "a", 4: "b"}) == {
        frozenset({1, 2}),
        frozenset({1, 3}),
        frozenset({2, 3}),
    }


def test_two_clusterings_by_hand() -> None:
    # Key {1,2,3} {4,5}; response {1,2} {3,4,5}.
    # Links: key 12 13 23 45, response 12 34 35 45; common 12 45 → P = R = F1 = 2/4.
    # B³ per item (precision, recall): 1 (2/2, 2/3), 2 (2/2, 2/3), 3 (1/3, 1/3),
    # 4 (2/3, 2/2), 5 (2/3, 2/2) → P = (1+1+1/3+2/3+2/3)/5 = 11/15, R = (2/3+2/3+1/3+1+1)/5
    # = 11/15, F1 = 11/15.
    found = clustering_agreement(
        {1: "a", 2: "a", 3: "a", 4: "b", 5: "b"}, {1: "x", 2: "x", 3: "y", 4: "y", 5: "y"}
    )
    assert found.items == 5
    assert (found.key_links, found.response_links, found.common_links) == (4, 4, 2)
    assert found.link_precision == pytest.approx(0.5)
    assert found.link_recall == pytest.approx(0.5)
    assert found.link_f1 == pytest.approx(0.5)
    assert found.b3_precision == pytest.approx(11 / 15)
    assert found.b3_recall == pytest.approx(11 / 15)
    assert found.b3_f1 == pytest.approx(11 / 15)


def test_an_item_one_side_left_out_is_its_own_cluster_there() -> None:
    # Key {1,2,3}; response {1,2} and 3 unclustered (a singleton).
    # Links: key 12 13 23, response 12 → P = 1/1, R = 1/3, F1 = 2·(1/3)/(4/3) = 1/2.
    # B³: 1 (2/2, 2/3), 2 (2/2, 2/3), 3 (1/1, 1/3) → P = 1, R = (2/3+2/3+1/3)/3 = 5/9,
    # F1 = 2·(5/9)/(14/9) = 10/14.
    found = clustering_agreement({1: "a", 2: "a", 3: "a"}, {1: "x", 2: "x"})
    assert found.items == 3
    assert found.link_precision == pytest.approx(1.0)
    assert found.link_recall == pytest.approx(1 / 3)
    assert found.link_f1 == pytest.approx(0.5)
    assert found.b3_precision == pytest.approx(1.0)
    assert found.b3_recall == pytest.approx(5 / 9)
    assert found.b3_f1 == pytest.approx(10 / 14)


def test_identical_clusterings_agree_fully_whatever_the_labels() -> None:
    found = clustering_agreement({1: "a", 2: "a", 3: "b"}, {1: 7, 2: 7, 3: 9})
    assert found.link_f1 == 1.0
    assert found.b3_f1 == 1.0


def test_nothing_to_divide_by_is_none_not_zero() -> None:
    empty = clustering_agreement({}, {})
    assert empty.items == 0
    assert empty.link_precision is None and empty.b3_f1 is None
    # Only singletons on the response side: no response links, precision undefined.
    found = clustering_agreement({1: "a", 2: "a"}, {1: "x", 2: "y"})
    assert found.link_precision is None
    assert found.link_recall == 0.0
    assert found.link_f1 is None
    assert found.b3_precision == pytest.approx(1.0)
    assert found.b3_recall == pytest.approx(0.5)
