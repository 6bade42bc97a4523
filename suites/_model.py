"""A plain in-memory model of workspaces, documents and blocks: the differential suite's
third oracle. It follows docs/storage-api.md, not the storage code: the rules of each
value, which error comes first, uniqueness, cascades, ordering, the counters of documents
and blocks, and search over block contents. Savepoints are snapshots of it.

Ids are the machine's keys (a caller's id, or the symbol of a generated one); the model
predicts an outcome as a value or the `storage.errors` class the call must raise.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from storage.api import ActorKind, BlockUpdate, NewBlock, WriteContext
from storage.errors import Conflict, GuardError, NotFound, StorageError, ValidationError

INT64 = range(-(2**63), 2**63)
MAX_ID = 255
MAX_DEPTH = 128
MAX_LIMIT = 1000


class Refused(Exception):
    """The model's verdict that a call fails with `kind`."""

    def __init__(self, kind: type[StorageError]) -> None:
        super().__init__(kind.__name__)
        self.kind = kind


# --------------------------------------------------------------------------- value rules


def text(value: object) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise Refused(ValidationError)
    if not _unicode(value):
        raise Refused(ValidationError)
    return value


def _unicode(value: str) -> bool:
    """No lone surrogate: the text has a UTF-8 encoding."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def optional_text(value: object) -> str | None:
    return None if value is None else text(value)


def nonblank(value: object) -> str:
    if not text(value).strip():
        raise Refused(ValidationError)
    return str(value)


def identifier(value: object) -> str:
    if len(nonblank(value)) > MAX_ID:
        raise Refused(ValidationError)
    return str(value)


def int64(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in INT64:
        raise Refused(ValidationError)
    return value


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list | tuple):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def json_object(value: object) -> dict[str, Any]:
    if not isinstance(value, dict) or _depth(value) > MAX_DEPTH:
        raise Refused(ValidationError)
    if not all(map(_unicode, _strings(value))):
        raise Refused(ValidationError)
    try:
        again = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise Refused(ValidationError) from None
    if again != value:
        raise Refused(ValidationError)
    return value


def write_context(ctx: WriteContext) -> tuple[str, str | None, str | None, str | None]:
    """The provenance a write records (its event id aside), or the guard's refusal."""
    ids = optional_text(ctx.actor_id), optional_text(ctx.job_id), optional_text(ctx.workflow_id)
    if ctx.actor_kind is ActorKind.AI and any(not (i or "").strip() for i in ids[1:]):
        raise Refused(GuardError)
    return (ctx.actor_kind.value, *ids)


_WORD = re.compile(r"\w+")


def tokens(value: str) -> set[str]:
    return set(_WORD.findall(unicodedata.normalize("NFC", value).casefold()))


# --------------------------------------------------------------------------- the model


@dataclass
class Workspace:
    id: str
    name: str
    provenance: tuple[Any, ...]
    order: int


@dataclass
class Document:
    id: str
    workspace_id: str
    title: str
    provenance: tuple[Any, ...]


@dataclass
class Block:
    id: str
    document_id: str
    sequence: int
    kind: str
    raw_content: str
    display_content: str
    derived_content: dict[str, Any]
    provenance: tuple[Any, ...]


@dataclass
class Model:
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    created: int = 0
    saved: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    # -- savepoints
    def begin(self) -> None:
        self.saved.append(copy.deepcopy((self.workspaces, self.documents, self.blocks)))

    def keep(self) -> None:
        self.saved.pop()

    def roll_back(self) -> None:
        self.workspaces, self.documents, self.blocks = self.saved.pop()

    # -- workspaces
    def create_workspace(self, name: object, ctx: WriteContext, id: str | None) -> Workspace:
        provenance = write_context(ctx)
        checked = nonblank(name)
        key = id if id is None else identifier(id)
        if key in self.workspaces or any(w.name == checked for w in self.workspaces.values()):
            raise Refused(Conflict)
        self.created += 1
        return Workspace(key or "", checked, provenance, self.created)

    def add_workspace(self, workspace: Workspace) -> None:
        self.workspaces[workspace.id] = workspace

    def list_workspaces(self) -> list[Workspace]:
        return sorted(self.workspaces.values(), key=lambda w: w.order)

    def get_workspace(self, workspace_id: object) -> Workspace | None:
        return self.workspaces.get(text(workspace_id))

    def delete_workspace(self, workspace_id: object, ctx: WriteContext) -> None:
        write_context(ctx)
        if self.workspaces.pop(text(workspace_id), None) is None:
            raise Refused(NotFound)
        for doc in [d for d in self.documents.values() if d.workspace_id == workspace_id]:
            self._drop_document(doc.id)

    # -- documents
    def create_document(
        self, workspace_id: object, title: object, ctx: WriteContext, id: str
    ) -> Document:
        provenance = write_context(ctx)
        key, ws, checked = identifier(id), text(workspace_id), nonblank(title)
        if ws not in self.workspaces:
            raise Refused(NotFound)
        if key in self.documents:
            raise Refused(Conflict)
        document = Document(key, ws, checked, provenance)
        self.documents[key] = document
        return document

    def list_documents(self, workspace_id: object) -> list[Document]:
        wanted = text(workspace_id)
        found = [d for d in self.documents.values() if d.workspace_id == wanted]
        return sorted(found, key=lambda d: (d.title, d.id))

    def get_document(self, document_id: object) -> Document | None:
        return self.documents.get(text(document_id))

    def delete_document(self, document_id: object, ctx: WriteContext) -> None:
        write_context(ctx)
        if text(document_id) not in self.documents:
            raise Refused(NotFound)
        self._drop_document(str(document_id))

    def _drop_document(self, document_id: str) -> None:
        del self.documents[document_id]
        for block in [b for b in self.blocks.values() if b.document_id == document_id]:
            del self.blocks[block.id]

    # -- blocks
    def _new_block(self, block: NewBlock) -> Block:
        """A block as given (document, provenance and a missing sequence filled later)."""
        raw = text(block.raw_content)
        display = raw if block.display_content is None else text(block.display_content)
        derived = json_object({} if block.derived_content is None else block.derived_content)
        sequence = -1 if block.sequence is None else int64(block.sequence)
        kind = nonblank(block.kind)
        return Block(identifier(block.id), "", sequence, kind, raw, display, derived, ())

    def list_blocks(self, document_id: object) -> list[Block]:
        wanted = text(document_id)
        return sorted(
            (b for b in self.blocks.values() if b.document_id == wanted), key=lambda b: b.sequence
        )

    def get_block(self, block_id: object) -> Block | None:
        return self.blocks.get(text(block_id))

    def _insert(self, block: Block) -> None:
        if block.id in self.blocks or any(
            b.document_id == block.document_id and b.sequence == block.sequence
            for b in self.blocks.values()
        ):
            raise Refused(Conflict)
        self.blocks[block.id] = block

    def create_block(self, document_id: object, new: NewBlock, ctx: WriteContext) -> Block:
        provenance = write_context(ctx)
        block = self._new_block(new)
        doc = text(document_id)
        if doc not in self.documents:
            raise Refused(NotFound)
        if new.sequence is None:
            taken = [b.sequence for b in self.blocks.values() if b.document_id == doc]
            block.sequence = max(taken) + 1 if taken else 0
            int64(block.sequence)
        block.document_id, block.provenance = doc, provenance
        self._insert(block)
        return block

    def update_block(self, block_id: object, update: BlockUpdate, ctx: WriteContext) -> Block:
        provenance = write_context(ctx)
        if update.is_empty():
            raise Refused(ValidationError)
        kind = None if update.kind is None else nonblank(update.kind)
        raw, display = optional_text(update.raw_content), optional_text(update.display_content)
        derived = None if update.derived_content is None else json_object(update.derived_content)
        sequence = None if update.sequence is None else int64(update.sequence)
        old = self.blocks.get(text(block_id))
        if old is None:
            raise Refused(NotFound)
        new = copy.copy(old)
        new.kind = old.kind if kind is None else kind
        new.raw_content = old.raw_content if raw is None else raw
        new.display_content = old.display_content if display is None else display
        new.derived_content = old.derived_content if derived is None else derived
        new.sequence = old.sequence if sequence is None else sequence
        new.provenance = provenance
        if any(
            b.id != new.id and b.document_id == new.document_id and b.sequence == new.sequence
            for b in self.blocks.values()
        ):
            raise Refused(Conflict)
        self.blocks[new.id] = new
        return new

    def delete_block(self, block_id: object, ctx: WriteContext) -> None:
        write_context(ctx)
        if self.blocks.pop(text(block_id), None) is None:
            raise Refused(NotFound)

    def replace_blocks(
        self, document_id: object, blocks: list[NewBlock], ctx: WriteContext
    ) -> list[Block]:
        provenance = write_context(ctx)
        prepared = []
        for position, new in enumerate(blocks):
            block = self._new_block(new)
            if new.sequence is None:
                block.sequence = position
            prepared.append(block)
        doc = text(document_id)
        if doc not in self.documents:
            raise Refused(NotFound)
        kept = {k: b for k, b in self.blocks.items() if b.document_id != doc}
        before, self.blocks = self.blocks, kept
        try:
            for block in prepared:
                block.document_id, block.provenance = doc, provenance
                self._insert(block)
        except Refused:
            self.blocks = before
            raise
        return sorted(prepared, key=lambda b: b.sequence)

    # -- derived data
    def counts(self, workspace_id: object) -> tuple[int, int]:
        """(documents, blocks) of the workspace."""
        wanted = identifier(workspace_id)
        if wanted not in self.workspaces:
            raise Refused(NotFound)
        docs = {d.id for d in self.documents.values() if d.workspace_id == wanted}
        return len(docs), sum(b.document_id in docs for b in self.blocks.values())

    def search(self, query: object, workspace_id: object, limit: object) -> list[str]:
        """The ids of the blocks found, in the order `search` returns them."""
        count = int64(limit)
        if not 1 <= count <= MAX_LIMIT:
            raise Refused(ValidationError)
        wanted, scope = tokens(text(query)), optional_text(workspace_id)
        if not wanted:
            return []
        found = [
            b.id
            for b in self.blocks.values()
            if wanted <= tokens(b.raw_content)
            and (scope is None or self.documents[b.document_id].workspace_id == scope)
        ]
        return sorted(found)[:count]
