"""Schema migrations: ``NNNN_name.sql`` files with a matching ``NNNN_name.down.sql``.

One SQL text per file serves both backends. `runner` finds, orders and applies them.
"""
