"""The refusals of workspaces, documents and blocks:
call -> (error class, the whole message)."""

from __future__ import annotations

from datetime import datetime

from storage.api import (
    BlockUpdate,
    JobFilter,
    NewAiJob,
    NewBlock,
)
from storage.errors import NotFound, StorageError, ValidationError
from suites._factories import (
    HUMAN,
    make_job,
    make_workspace,
)
from suites._refusals._common import (
    MISSING,
    Call,
    block,
    doc,
    doc_ending_at_int64_max,
)

REFUSALS: dict[str, tuple[Call, type[StorageError], str]] = {
    # ----------------------------------------------------------------- workspaces
    "get-workspace-id": (
        lambda db: db.get_workspace(5),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "delete-workspace-id": (
        lambda db: db.delete_workspace(5, HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "delete-workspace-missing": (
        lambda db: db.delete_workspace(MISSING, HUMAN),
        NotFound,
        f"workspace {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- documents
    "list-documents-id": (
        lambda db: db.list_documents(5),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "get-document-id": (
        lambda db: db.get_document(5),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "delete-document-id": (
        lambda db: db.delete_document(5, HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "delete-document-missing": (
        lambda db: db.delete_document(MISSING, HUMAN),
        NotFound,
        f"document {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- blocks
    "list-blocks-id": (
        lambda db: db.list_blocks(5),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "get-block-id": (
        lambda db: db.get_block(5),  # type: ignore[arg-type]
        ValidationError,
        "block_id must be a string, not int",
    ),
    "delete-block-id": (
        lambda db: db.delete_block(5, HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "block_id must be a string, not int",
    ),
    "delete-block-missing": (
        lambda db: db.delete_block(MISSING, HUMAN),
        NotFound,
        f"block {MISSING!r} does not exist",
    ),
    "update-block-id": (
        lambda db: db.update_block(5, BlockUpdate(kind="k"), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "block_id must be a string, not int",
    ),
    "update-block-missing": (
        lambda db: db.update_block(MISSING, BlockUpdate(kind="k"), HUMAN),
        NotFound,
        f"block {MISSING!r} does not exist",
    ),
    "update-block-not-an-update": (
        lambda db: db.update_block(block(db), "x", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "update must be a BlockUpdate, not str",
    ),
    "update-block-empty": (
        lambda db: db.update_block(block(db), BlockUpdate(), HUMAN),
        ValidationError,
        "empty block update: at least one field must be given",
    ),
    "update-block-kind": (
        lambda db: db.update_block(block(db), BlockUpdate(kind=" "), HUMAN),
        ValidationError,
        "block kind must not be empty",
    ),
    "update-block-raw": (
        lambda db: db.update_block(block(db), BlockUpdate(raw_content=5), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "raw_content must be a string, not int",
    ),
    "update-block-display": (
        lambda db: db.update_block(block(db), BlockUpdate(display_content=5), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "display_content must be a string, not int",
    ),
    "update-block-derived": (
        lambda db: db.update_block(block(db), BlockUpdate(derived_content=[]), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "derived_content must be a JSON object (dict), not list",
    ),
    "update-block-sequence-bool": (
        lambda db: db.update_block(block(db), BlockUpdate(sequence=True), HUMAN),
        ValidationError,
        "sequence must be an integer, not bool",
    ),
    "update-block-sequence-float": (
        lambda db: db.update_block(block(db), BlockUpdate(sequence=1.0), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "sequence must be an integer, not float",
    ),
    "create-block-document-id": (
        lambda db: db.create_block(5, NewBlock("p", "t"), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "create-block-missing-document": (
        lambda db: db.create_block(MISSING, NewBlock("p", "t"), HUMAN),
        NotFound,
        f"document {MISSING!r} does not exist",
    ),
    "create-block-not-a-block": (
        lambda db: db.create_block(doc(db), "text", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "block must be a NewBlock, not str",
    ),
    "create-block-id": (
        lambda db: db.create_block(doc(db), NewBlock("p", "t", id=""), HUMAN),
        ValidationError,
        "block id must not be empty",
    ),
    "create-block-kind": (
        lambda db: db.create_block(doc(db), NewBlock("", "t"), HUMAN),
        ValidationError,
        "block kind must not be empty",
    ),
    "create-block-raw": (
        lambda db: db.create_block(doc(db), NewBlock("p", None), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "raw_content must be a string, not NoneType",
    ),
    "create-block-display": (
        lambda db: db.create_block(doc(db), NewBlock("p", "t", display_content=b"x"), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "display_content must be a string, not bytes",
    ),
    "create-block-derived": (
        lambda db: db.create_block(doc(db), NewBlock("p", "t", derived_content=[]), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "derived_content must be a JSON object (dict), not list",
    ),
    "create-block-sequence-bool": (
        lambda db: db.create_block(doc(db), NewBlock("p", "t", sequence=False), HUMAN),
        ValidationError,
        "sequence must be an integer, not bool",
    ),
    "create-block-after-the-last-sequence": (
        lambda db: db.create_block(doc_ending_at_int64_max(db), NewBlock("p", "next"), HUMAN),
        ValidationError,
        f"next sequence {2**63} is outside the signed 64-bit range",
    ),
    "create-document-workspace-id": (
        lambda db: db.create_document(5, "t", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "create-document-missing-workspace": (
        lambda db: db.create_document(MISSING, "t", HUMAN),
        NotFound,
        f"workspace {MISSING!r} does not exist",
    ),
    "create-document-title": (
        lambda db: db.create_document(make_workspace(db).id, "\t", HUMAN),
        ValidationError,
        "document title must not be empty",
    ),
    "create-document-id": (
        lambda db: db.create_document(make_workspace(db).id, "t", HUMAN, id="x" * 256),
        ValidationError,
        "document id is longer than 255 characters",
    ),
    "create-workspace-name": (
        lambda db: db.create_workspace(" ", HUMAN),
        ValidationError,
        "workspace name must not be empty",
    ),
    "create-workspace-id": (
        lambda db: db.create_workspace("w", HUMAN, id=" "),
        ValidationError,
        "workspace id must not be empty",
    ),
    "create-job-kind": (
        lambda db: db.create_ai_job(NewAiJob(" ")),
        ValidationError,
        "job kind must not be empty",
    ),
    "create-job-id": (
        lambda db: db.create_ai_job(NewAiJob("k", id="")),
        ValidationError,
        "job id must not be empty",
    ),
    "create-job-workspace-id": (
        lambda db: db.create_ai_job(NewAiJob("k", workspace_id=5)),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "create-job-missing-workspace": (
        lambda db: db.create_ai_job(NewAiJob("k", workspace_id=MISSING)),
        NotFound,
        f"workspace {MISSING!r} does not exist",
    ),
    "create-job-inputs": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs=None)),  # type: ignore[arg-type]
        ValidationError,
        "job inputs must be a JSON object (dict), not NoneType",
    ),
    "create-run-id": (
        lambda db: db.create_workflow_run(make_job(db).id, id=""),
        ValidationError,
        "workflow run id must not be empty",
    ),
    "list-jobs-kind": (
        lambda db: db.list_ai_jobs(JobFilter(kind=5)),  # type: ignore[arg-type]
        ValidationError,
        "job kind must be a string, not int",
    ),
    "list-jobs-workspace-id": (
        lambda db: db.list_ai_jobs(JobFilter(workspace_id=5)),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "list-jobs-created-from": (
        lambda db: db.list_ai_jobs(JobFilter(created_from=datetime(2024, 1, 1))),
        ValidationError,
        "created_from must be timezone-aware (got a naive datetime)",
    ),
    "list-jobs-created-to": (
        lambda db: db.list_ai_jobs(JobFilter(created_to="2024")),  # type: ignore[arg-type]
        ValidationError,
        "created_to must be a datetime, not str",
    ),
    "replace-blocks-id": (
        lambda db: db.replace_blocks(5, [], HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "replace-blocks-missing": (
        lambda db: db.replace_blocks(MISSING, [], HUMAN),
        NotFound,
        f"document {MISSING!r} does not exist",
    ),
    "replace-blocks-not-a-list": (
        lambda db: db.replace_blocks(doc(db), "abc", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "blocks must be a list of NewBlock values, not str",
    ),
    "replace-blocks-item": (
        lambda db: db.replace_blocks(doc(db), [NewBlock("p", "t"), "x"], HUMAN),  # type: ignore[list-item]
        ValidationError,
        "blocks must be NewBlock values, not str",
    ),
}
