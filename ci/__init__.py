"""Helpers used by CI only: the storage-access and SQL-portability audit (`ci.audit_db_access`).

Nothing here is part of the installed `storage` package.
"""
