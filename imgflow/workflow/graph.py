"""The workflow's links as a graph: who feeds whom, and in what order things run.

Built once from the nodes and links and kept until they change (the
workflow drops it on every node or link event), so the engine can ask for
the order and the nodes upstream on every scheduling pass without re-sorting.
"""
from __future__ import annotations

import heapq
from typing import Iterable


class Graph:
    def __init__(self, nodes: Iterable[int], edges: Iterable[tuple[int, int]]):
        self.parents: dict[int, set[int]] = {n: set() for n in nodes}
        self.children: dict[int, set[int]] = {n: set() for n in self.parents}
        for source, sink in edges:
            self.parents[sink].add(source)
            self.children[source].add(sink)
        self._order: list[int] | None = None
        self._reach: dict[tuple[int, bool], frozenset[int]] = {}

    @property
    def order(self) -> list[int]:
        """Every node after all nodes that feed it; ties by smallest id.

        Kahn's algorithm rather than graphlib's sorter: a file may hold a
        cycle through a node whose widget is missing (its links cannot be
        checked), and such nodes are left out instead of failing the sort.
        """
        if self._order is None:
            waiting = {n: len(p) for n, p in self.parents.items()}
            ready = [n for n, count in waiting.items() if count == 0]
            heapq.heapify(ready)
            self._order = []
            while ready:
                node = heapq.heappop(ready)
                self._order.append(node)
                for child in self.children[node]:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        heapq.heappush(ready, child)
        return self._order

    def downstream(self, node: int) -> frozenset[int]:
        """Nodes reachable from node (not including it)."""
        return self._reachable(node, True)

    def upstream(self, node: int) -> frozenset[int]:
        """Nodes from which node is reachable (not including it)."""
        return self._reachable(node, False)

    def _reachable(self, node: int, forward: bool) -> frozenset[int]:
        key = (node, forward)
        if key not in self._reach:
            step = self.children if forward else self.parents
            seen: set[int] = set()
            stack = [node]
            while stack:
                for nxt in step.get(stack.pop(), ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
            self._reach[key] = frozenset(seen)
        return self._reach[key]
