"""Cluster planning as tables: (current clusters, duplicate links) -> joins, merges, new."""

from __future__ import annotations

import pytest

from hirehound.dedup._clusters import ClusterPlan, SplitPlan, plan_clusters, plan_split


@pytest.mark.parametrize(
    ("current", "links", "expected"),
    [
        # A unique posting: a cluster of its own.
        ({1: None}, [], ClusterPlan({}, [], [[1]])),
        # Already clustered and unchanged: stays (the writer skips it).
        ({1: 10}, [], ClusterPlan({1: 10}, [], [])),
        # A new copy of a clustered posting joins its cluster.
        ({1: 10, 2: None}, [(2, 1)], ClusterPlan({1: 10, 2: 10}, [], [])),
        # Two new postings of one job within a chunk: one new cluster seeded by the first.
        ({1: None, 2: None}, [(2, 1)], ClusterPlan({}, [], [[1, 2]])),
        # A copy bridging two clusters merges the higher id into the lower.
        (
            {1: 10, 2: 20, 3: None},
            [(3, 1), (3, 2)],
            ClusterPlan({1: 10, 2: 10, 3: 10}, [(20, 10)], []),
        ),
        # Links to postings not loaded (deleted meanwhile) are ignored.
        ({1: None}, [(1, 99)], ClusterPlan({}, [], [[1]])),
        # Independent groups stay apart.
        (
            {1: None, 2: None, 3: 30},
            [(2, 1)],
            ClusterPlan({3: 30}, [], [[1, 2]]),
        ),
    ],
)
def test_plan_clusters(
    current: dict[int, int | None], links: list[tuple[int, int]], expected: ClusterPlan
) -> None:
    assert plan_clusters(current, links) == expected


@pytest.mark.parametrize(
    ("members", "head", "same", "expected"),
    [
        # Everyone still matches: nothing changes.
        ({1: None, 2: 1, 3: 1}, 1, [(1, 2), (1, 3)], SplitPlan([], [])),
        # A member whose text changed leaves alone and becomes unique.
        ({1: None, 2: 1, 3: 1}, 1, [(1, 2)], SplitPlan([[3]], [(3, "unique", None)])),
        # Two copies that still match each other leave together; the later points at the other.
        (
            {1: None, 2: 1, 3: 1},
            1,
            [(2, 3)],
            SplitPlan([[2, 3]], [(2, None, 3), (3, None, 2)]),
        ),
        # The head keeps the cluster even when its own original leaves.
        ({1: None, 2: 1}, 2, [], SplitPlan([[1]], [(2, "unique", None), (1, "unique", None)])),
    ],
)
def test_plan_split(
    members: dict[int, int | None],
    head: int,
    same: list[tuple[int, int]],
    expected: SplitPlan,
) -> None:
    plan = plan_split(members, head, same)
    assert plan.split == expected.split
    assert sorted(plan.fixes, key=str) == sorted(expected.fixes, key=str)
