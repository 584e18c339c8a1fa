"""The chain maps (产业链图谱): segments, supplier→buyer links, missing links.

All chains are flattened into one global segment index so that the firm kernel can use
plain integer arrays. Missing links (缺链环节) and supplier access are recomputed each
step from the number of firms producing locally in every segment.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from chainsim.config.schema import Chain


class ChainIndex:
    """Global segment numbering and the linked-segment structure of all chains."""

    def __init__(self, chains: dict[str, Chain]) -> None:
        self.chain_ids = list(chains)
        self.segment_ids: list[tuple[str, str]] = []  # (chain id, segment id)
        seg_chain, incumbents, anchors, weights, industrial, fixed = [], [], [], [], [], []
        self.graphs: dict[str, nx.DiGraph] = {}
        offset: dict[tuple[str, str], int] = {}
        for c, (cid, chain) in enumerate(chains.items()):
            g = nx.DiGraph()
            for sid, seg in chain.segments.items():
                offset[(cid, sid)] = len(self.segment_ids)
                self.segment_ids.append((cid, sid))
                seg_chain.append(c)
                incumbents.append(seg.incumbents)
                anchors.append(seg.anchor_incumbents)
                weights.append(seg.pool_weight)
                industrial.append(chain.industrial if seg.industrial is None else seg.industrial)
                fixed.append(
                    chain.fixed_asset_share if seg.fixed_asset_share is None else seg.fixed_asset_share
                )
                g.add_node(sid, name_en=seg.name_en, name_zh=seg.name_zh)
            g.add_edges_from(chain.edges)
            self.graphs[cid] = g
        n = len(self.segment_ids)
        self.n_segments = n
        self.segment_chain: NDArray[np.int32] = np.array(seg_chain, dtype=np.int32)
        self.chain_industrial: NDArray[np.bool_] = np.array([chains[c].industrial for c in self.chain_ids])
        # 工业 or not per segment: the segment's own flag, else its chain's
        self.segment_industrial: NDArray[np.bool_] = np.array(industrial, dtype=bool)
        # share of fixed-asset (固投类) projects per segment: the segment's, else its chain's
        self.segment_fixed_asset_share: NDArray[np.float64] = np.array(fixed, dtype=np.float64)
        self.incumbents: NDArray[np.int64] = np.array(incumbents, dtype=np.int64)
        self.anchor_incumbents: NDArray[np.int64] = np.array(anchors, dtype=np.int64)
        self.chain_pool_share: NDArray[np.float64] = np.array([chains[c].pool_share for c in self.chain_ids])
        w = np.array(weights)
        within = w / np.bincount(self.segment_chain, weights=w)[self.segment_chain]
        # chain c's segments occupy (c, c + 1] of this cumulative scale: one searchsorted
        # of (chain + u) finds a firm's segment
        self.segment_cum: NDArray[np.float64] = self.segment_chain + np.concatenate(
            [np.cumsum(within[self.segment_chain == c]) for c in range(len(self.chain_ids))]
        )
        # Symmetric neighbour matrix: a segment's suppliers and buyers.
        adj = np.zeros((n, n))
        for cid, chain in chains.items():
            for a, b in chain.edges:
                i, j = offset[(cid, a)], offset[(cid, b)]
                adj[i, j] = adj[j, i] = 1.0
        self.neighbours: list[NDArray[np.int64]] = [np.flatnonzero(adj[i]) for i in range(n)]
        self._adjacency = adj.astype(np.int64)
        self._degree = np.maximum(self._adjacency.sum(axis=1), 1)
        # segment → chain membership, for per-chain sums of every replicate in one product
        self._member = (self.segment_chain[:, None] == np.arange(len(self.chain_ids))[None, :]).astype(
            np.int64
        )
        self.offset = offset
        self._segments_per_chain = np.bincount(self.segment_chain, minlength=len(self.chain_ids))

    def segments_of_chains(self, chain_ids: list[str]) -> NDArray[np.int64]:
        wanted = [self.chain_ids.index(c) for c in chain_ids]
        return np.flatnonzero(np.isin(self.segment_chain, wanted))

    def missing(self, local_producers: NDArray[np.int64], ratio: float) -> NDArray[np.bool_]:
        """Segments whose local producers number fewer than ``ratio`` × their chain's mean
        (one row per replicate). Integer sums: the same in any batch."""
        per_chain = local_producers.astype(np.float64) @ self._member
        mean = per_chain / self._segments_per_chain
        missing: NDArray[np.bool_] = local_producers < ratio * mean[..., self.segment_chain]
        return missing

    def supplier_access(self, present: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Share of each segment's suppliers and buyers that are present locally (one row
        per replicate; integer counts, then one division)."""
        return (present.astype(np.float64) @ self._adjacency) / self._degree
