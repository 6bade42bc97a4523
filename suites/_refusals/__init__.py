"""The refusal tables of suites/test_messages.py, one module per part of the API: each
maps a call to the error class it must raise and its whole message.

    content     workspaces, documents, blocks
    canvases    canvases and their graphs
    runs        AI jobs, workflow runs, node executions, the janitor
    values      search, counters, values, the write guard
"""

from __future__ import annotations

from storage.errors import StorageError
from suites._refusals import canvases, content, runs, values
from suites._refusals._common import Call

#: every refusal, in the order of the API's parts
REFUSALS: dict[str, tuple[Call, type[StorageError], str]] = {
    **content.REFUSALS,
    **canvases.REFUSALS,
    **runs.REFUSALS,
    **values.REFUSALS,
}
