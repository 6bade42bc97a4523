"""Schema migrations: ``NNNN_name.sql`` files with a matching ``NNNN_name.down.sql``.

One SQL text per file serves both backends. `files` finds, orders and splits them; the
storage API applies them (`storage.backends._migrations`).
"""
