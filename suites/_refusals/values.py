"""The refusals of search, counters, values and the write guard:
call -> (error class, the whole message)."""

from __future__ import annotations

from storage.api import (
    NewAiJob,
    NewBlock,
    WriteContext,
)
from storage.errors import GuardError, NotFound, StorageError, ValidationError
from suites._factories import (
    HUMAN,
    nested,
)
from suites._refusals._common import (
    EARLIEST_PLUS_ONE,
    MISSING,
    NOT_UNICODE,
    SILENT_FIX,
    Call,
    doc,
)

REFUSALS: dict[str, tuple[Call, type[StorageError], str]] = {
    # ----------------------------------------------------------------- search, counters
    "search-query": (
        lambda db: db.search(5),  # type: ignore[arg-type]
        ValidationError,
        "search query must be a string, not int",
    ),
    "search-workspace-id": (
        lambda db: db.search("x", workspace_id=5),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "search-limit-zero": (
        lambda db: db.search("x", limit=0),
        ValidationError,
        "search limit must be between 1 and 1000, not 0",
    ),
    "search-limit-bool": (
        lambda db: db.search("x", limit=True),
        ValidationError,
        "search limit must be an integer, not bool",
    ),
    "counters-workspace-id": (
        lambda db: db.get_counters(" "),
        ValidationError,
        "workspace_id must not be empty",
    ),
    "counters-missing": (
        lambda db: db.get_counters(MISSING),
        NotFound,
        f"workspace {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- values
    "text-nul": (
        lambda db: db.create_workspace("a\x00b", HUMAN),
        ValidationError,
        "workspace name contains a NUL character, which cannot be stored",
    ),
    "text-surrogate": (
        lambda db: db.create_workspace("ab\ud800", HUMAN),
        ValidationError,
        f"workspace name contains a lone surrogate (U+D800 at index 2): {NOT_UNICODE}",
    ),
    "id-too-long": (
        lambda db: db.create_workspace("w", HUMAN, id="x" * 256),
        ValidationError,
        "workspace id is longer than 255 characters",
    ),
    "sequence-str": (
        lambda db: db.create_block(doc(db), NewBlock("p", "t", sequence="1"), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "sequence must be an integer, not str",
    ),
    "sequence-past-int64": (
        lambda db: db.create_block(doc(db), NewBlock("p", "t", sequence=2**63), HUMAN),
        ValidationError,
        f"sequence {2**63} is outside the signed 64-bit range",
    ),
    "sequence-below-int64": (
        lambda db: db.create_block(doc(db), NewBlock("p", "t", sequence=-(2**63) - 1), HUMAN),
        ValidationError,
        f"sequence {-(2**63) - 1} is outside the signed 64-bit range",
    ),
    "json-surrogate-in-a-value": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs={"a": [{"b": "x\ud800"}]})),
        ValidationError,
        f"job inputs['a'][0]['b'] contains a lone surrogate (U+D800 at index 1): {NOT_UNICODE}",
    ),
    "json-surrogate-in-a-key": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs={"a": {"\udc80": 1}})),
        ValidationError,
        f"a key in job inputs['a'] contains a lone surrogate (U+DC80 at index 0): {NOT_UNICODE}",
    ),
    "json-too-deep": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs=nested(129))),
        ValidationError,
        "job inputs nests more than 128 levels of objects and arrays (or contains itself); "
        "flatten it to at most 128 levels",
    ),
    "json-not-serialisable": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs={"a": {1, 2}})),
        ValidationError,
        "job inputs is not JSON-serialisable: Object of type set is not JSON serializable",
    ),
    "json-no-round-trip": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs={"a": (1, 2)})),
        ValidationError,
        "job inputs would not round-trip through JSON unchanged",
    ),
    "datetime-out-of-range": (
        lambda db: db.prune_ai_jobs(EARLIEST_PLUS_ONE),
        ValidationError,
        f"cutoff {EARLIEST_PLUS_ONE!r} is out of range in UTC",
    ),
    # ----------------------------------------------------------------- write guard
    "guard-not-a-context": (
        lambda db: db.create_workspace("w", "human"),  # type: ignore[arg-type]
        ValidationError,
        "ctx must be a WriteContext, not str",
    ),
    "guard-actor-id": (
        lambda db: db.create_workspace("w", WriteContext.human(5)),  # type: ignore[arg-type]
        ValidationError,
        "ctx.actor_id must be a string, not int",
    ),
    "guard-job-id": (
        lambda db: db.create_workspace("w", WriteContext.ai("m", job_id=5, workflow_id="r")),  # type: ignore[arg-type]
        ValidationError,
        "ctx.job_id must be a string, not int",
    ),
    "guard-workflow-id": (
        lambda db: db.create_workspace("w", WriteContext.ai("m", job_id="j", workflow_id=5)),  # type: ignore[arg-type]
        ValidationError,
        "ctx.workflow_id must be a string, not int",
    ),
    "guard-ai-names-neither": (
        lambda db: db.create_workspace("w", WriteContext.ai("m")),
        GuardError,
        f"refused an AI content write without job_id and workflow_id {SILENT_FIX}",
    ),
    "guard-ai-names-no-job": (
        lambda db: db.create_workspace("w", WriteContext.ai("m", workflow_id="r")),
        GuardError,
        f"refused an AI content write without job_id {SILENT_FIX}",
    ),
    "guard-ai-names-a-blank-run": (
        lambda db: db.create_workspace("w", WriteContext.ai("m", job_id="j", workflow_id=" ")),
        GuardError,
        f"refused an AI content write without workflow_id {SILENT_FIX}",
    ),
    "guard-actor-kind": (
        lambda db: db.create_workspace("w", WriteContext("robot")),  # type: ignore[arg-type]
        ValidationError,
        "ctx.actor_kind 'robot' is not one of: human, ai, system",
    ),
}
