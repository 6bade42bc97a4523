"""Helpers used by CI only: the storage-access and SQL-portability audit (`ci.audit_db_access`
and its rules, `audit_*`), the mutation report (`mutation_report`), and `noxsupport`, what
the noxfile decides before a session installs anything.

Nothing here is part of the installed `storage` package.
"""
