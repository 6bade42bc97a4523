"""Derived data: the search index and per-workspace counters, rebuildable at any time.

Tokens are computed here, in Python, for both backends: the ``\\w+`` words of the
NFC-normalised, case-folded text. So ``Straße`` matches ``STRASSE`` and ``Émile`` matches
``émile`` everywhere, whatever the database's ``LIKE``, case rules or collation would do.

Both derived tables are written in the same transaction as the canonical write that changes
them (the content methods call `_index_block` / `_bump_counters`), and `rebuild_indexes`
recomputes them from canonical rows alone, so corrupt derived rows are always repairable.
The writes are held back until the transaction level commits (`_Held`, see
`storage.backends._core`): a search and `get_counters` write what is held before reading.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from storage.api import IndexRebuildReport, SearchHit, WorkspaceCounters
from storage.backends import _sql
from storage.backends._core import CoreDatabase
from storage.backends._values import identifier, limit, optional_text, text
from storage.errors import NotFound

MAX_SEARCH_LIMIT = 1000
#: longer tokens are stored as a digest: PostgreSQL limits the size of an index entry
MAX_TOKEN_BYTES = 200
_WORD = re.compile(r"\w+")


def tokenize(value: str) -> set[str]:
    """The distinct search tokens of `value`."""
    return set(_WORD.findall(unicodedata.normalize("NFC", value).casefold()))


def index_key(token: str) -> str:
    """What the index stores for `token`: itself, or ``#`` + SHA-256 when it is long
    (``#`` never occurs in a token, so the two kinds of key cannot collide)."""
    encoded = token.encode()
    if len(encoded) <= MAX_TOKEN_BYTES:
        return token
    return "#" + hashlib.sha256(encoded).hexdigest()


def index_keys(value: str) -> list[str]:
    return sorted({index_key(token) for token in tokenize(value)})


@dataclass(frozen=True, slots=True)
class CounterDelta:
    documents: int = 0
    blocks: int = 0
    canvases: int = 0
    jobs: int = 0

    def __add__(self, other: CounterDelta) -> CounterDelta:
        return CounterDelta(
            self.documents + other.documents,
            self.blocks + other.blocks,
            self.canvases + other.canvases,
            self.jobs + other.jobs,
        )


class _Held:
    """The derived rows a transaction level has not written yet: search postings, and the
    counter changes summed per workspace (one upsert each, however many writes)."""

    __slots__ = ("counters", "postings")

    def __init__(self) -> None:
        self.postings: list[dict[str, str]] = []
        self.counters: dict[str, CounterDelta] = {}


class IndexesMixin(CoreDatabase):
    """`search`, `get_counters`, `rebuild_indexes` and the write-side maintenance."""

    # ----------------------------------------------------------------------- maintenance
    def _index_block(
        self,
        block_id: str,
        document_id: str,
        workspace_id: str,
        raw_content: str,
        *,
        new: bool = False,
    ) -> int:
        """(Re)write one block's tokens (`new`: a block just inserted, which has none yet);
        returns how many there are. The new postings are held until the level commits."""
        if not new:
            # (in a savepoint or a transaction of its own: nothing is held for the block)
            self._affected(_sql.DELETE_BLOCK_POSTINGS, {"block_id": block_id})
        rows = [
            {
                "token": token,
                "block_id": block_id,
                "document_id": document_id,
                "workspace_id": workspace_id,
            }
            for token in index_keys(raw_content)
        ]
        self._held().postings.extend(rows)
        return len(rows)

    def _bump_counters(self, workspace_id: str | None, delta: CounterDelta) -> None:
        """Add `delta` to a workspace's counters (held: one upsert per workspace when the
        level commits, writing its row on the first change)."""
        if workspace_id is None or delta == CounterDelta():
            return
        counters = self._held().counters
        counters[workspace_id] = counters.get(workspace_id, CounterDelta()) + delta

    def _held(self) -> _Held:
        pin = self._local.pin
        if pin.held is None:
            pin.held = _Held()
        held: _Held = pin.held
        return held

    def _write_held(self) -> None:
        pin = getattr(self._local, "pin", None)
        if pin is None or pin.held is None:
            return
        held: _Held = pin.held
        pin.held = None
        self._many(_sql.INSERT_SEARCH_POSTING, held.postings)
        self._many(
            _sql.BUMP_COUNTERS,
            [
                {
                    "workspace_id": workspace_id,
                    "documents": delta.documents,
                    "blocks": delta.blocks,
                    "canvases": delta.canvases,
                    "jobs": delta.jobs,
                }
                # in key order: two transactions upserting the same workspaces lock their
                # rows in the same order, so they cannot deadlock each other
                for workspace_id, delta in sorted(held.counters.items())
                if delta != CounterDelta()
            ],
        )

    # ----------------------------------------------------------------------- API
    def search(
        self, query: str, *, workspace_id: str | None = None, limit: int = 50
    ) -> list[SearchHit]:
        """Blocks whose raw content has every token of `query`, ordered by block id."""
        wanted_limit = _limit(limit)
        wanted = index_keys(text(query, "search query"))
        scope = optional_text(workspace_id, "workspace_id")
        if not wanted:
            return []
        with self._snapshot():  # one postings read per token
            self._write_held()  # (a transaction's search sees its own writes)
            hits: dict[str, tuple[str, str]] | None = None
            # Rarest-first would be faster; the intersection is the same in any order.
            for token in wanted:
                rows = self._rows(_sql.SELECT_POSTINGS, {"token": token, "workspace_id": scope})
                found = {r["block_id"]: (r["document_id"], r["workspace_id"]) for r in rows}
                hits = found if hits is None else {k: v for k, v in hits.items() if k in found}
                if not hits:
                    return []
        assert hits is not None
        return [
            SearchHit(
                block_id=block_id,
                document_id=hits[block_id][0],
                workspace_id=hits[block_id][1],
                matched_tokens=len(wanted),
            )
            for block_id in sorted(hits)[:wanted_limit]
        ]

    def get_counters(self, workspace_id: str) -> WorkspaceCounters:
        wanted = identifier(workspace_id, "workspace_id")
        self._write_held()
        row = self._read_one(_sql.SELECT_COUNTERS, {"workspace_id": wanted})
        if row is None:
            raise NotFound(f"workspace {wanted!r} does not exist")
        return WorkspaceCounters(
            workspace_id=row["workspace_id"],
            document_count=int(row["document_count"] or 0),
            block_count=int(row["block_count"] or 0),
            canvas_count=int(row["canvas_count"] or 0),
            job_count=int(row["job_count"] or 0),
        )

    def rebuild_indexes(self) -> IndexRebuildReport:
        """Drop every derived row and recompute it from canonical rows (one transaction)."""
        with self._writing():
            self._affected(_sql.DELETE_ALL_POSTINGS)
            self._affected(_sql.DELETE_ALL_COUNTERS)
            blocks = self._rows(_sql.SELECT_BLOCKS_TO_INDEX)
            token_rows = [
                {
                    "token": token,
                    "block_id": b["id"],
                    "document_id": b["document_id"],
                    "workspace_id": b["workspace_id"],
                }
                for b in blocks
                for token in index_keys(b["raw_content"])
            ]
            self._many(_sql.INSERT_SEARCH_POSTING, token_rows)
            counted = self._affected(_sql.RECOUNT_ALL_WORKSPACES)
        return IndexRebuildReport(
            blocks_indexed=len(blocks), tokens_written=len(token_rows), workspaces_counted=counted
        )


def _limit(value: object) -> int:
    return limit(value, "search limit", MAX_SEARCH_LIMIT)
