"""`SqlDatabase`: the whole storage API, once, over any backend's `Driver`."""

from __future__ import annotations

from storage.backends._content import ContentMixin
from storage.backends._jobs import JobsMixin
from storage.backends._migrations import MigrationsMixin
from storage.backends._schema import SchemaMixin


class SqlDatabase(ContentMixin, JobsMixin, MigrationsMixin, SchemaMixin):
    """Implements `storage.api.Database` on top of a `Driver`.

    Mixins by topic, each in a module of this package and built on `CoreDatabase`
    (`_core`, which owns transactions): `ContentMixin` (`_content`: workspaces, documents,
    blocks, canvases, write guard), `JobsMixin` (`_jobs`: AI jobs, workflows, janitor),
    `IndexesMixin` (`_indexes`: search, counters, rebuild; under both),
    `MigrationsMixin` (`_migrations`) and `SchemaMixin` (`_schema`: fingerprint, reset).
    """
