"""What a failed PostgreSQL connection's message says: the one reading of it.

libpq reports most connection failures as text without an SQLSTATE (psycopg's `sqlstate`
is None for them), so they are told apart by the stable phrases libpq and the server use.
The backend maps them to typed errors (`postgres.map_error`); the harness decides from them
whether waiting for a server can help (`dualstore.provision.pgerrors`). Text only: it
imports no driver.
"""

from __future__ import annotations

import enum
import re
from typing import Final


class Refusal(enum.Enum):
    """A connection failure that trying again cannot fix."""

    #: bad user name or password, no pg_hba.conf entry, no password given
    LOGIN = "login"
    #: the user name names no role
    UNKNOWN_ROLE = "unknown role"
    #: the database name names no database
    NO_DATABASE = "no database"
    #: the URL or conninfo has an option libpq refuses (checked only when it connects)
    BAD_OPTION = "bad option"


_LOGIN: Final = ("authentication failed", "no pg_hba.conf entry", "no password supplied")
_UNKNOWN_ROLE: Final = re.compile(r'role "[^"]*" does not exist')
_NO_DATABASE: Final = re.compile(r'database "[^"]*" does not exist')
_BAD_OPTION: Final = (
    "invalid dsn",
    "invalid connection option",
    "invalid integer value",
    "invalid uri",
    "invalid percent-encoded",
    "invalid port number",
)
#: 'invalid sslmode value: "x"', and so for every option with fixed choices
_BAD_CHOICE: Final = re.compile(r'invalid \S+ value: "')


def refusal(message: str) -> Refusal | None:
    """The refusal `message` reports, or None if waiting may help."""
    lowered = message.lower()
    if any(phrase in lowered for phrase in _LOGIN):
        return Refusal.LOGIN
    if _UNKNOWN_ROLE.search(lowered):
        return Refusal.UNKNOWN_ROLE
    if _NO_DATABASE.search(lowered):
        return Refusal.NO_DATABASE
    if any(phrase in lowered for phrase in _BAD_OPTION) or _BAD_CHOICE.search(lowered):
        return Refusal.BAD_OPTION
    return None
