"""`SqlDatabase`: the whole storage API, once, over any backend's `Driver`."""

from __future__ import annotations

from storage.backends._content import ContentMixin
from storage.backends._jobs import JobsMixin
from storage.backends._schema import SchemaMixin
from storage.migrations.runner import MigrationsMixin


class SqlDatabase(ContentMixin, JobsMixin, MigrationsMixin, SchemaMixin):
    """Implements `storage.api.Database` on top of a `Driver`.

    Mixins by topic (each built on `CoreDatabase`, which owns transactions):
    `ContentMixin` (workspaces, documents, blocks, canvases, write guard), `JobsMixin`
    (AI jobs, workflows, janitor), `IndexesMixin` (search, counters, rebuild; via both),
    `MigrationsMixin` and `SchemaMixin` (fingerprint, reset).
    """
