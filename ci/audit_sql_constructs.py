"""DB005's table: SQL constructs that run on only one of SQLite and PostgreSQL (or that
behave differently on each), with the portable way to write them.

Each entry is (regular expression, what it is and what to write instead). The table is
data, never executed; see `ci.audit_python_rules` for why DB002 leaves it alone.
"""

from __future__ import annotations

import re

_CONSTRUCTS: tuple[tuple[str, str], ...] = (
    (r"\?\d+", "numbered `?N` parameter (SQLite only): use plain placeholders"),
    (r"(?<![\w$])\$\d+\b", "numbered `$N` parameter (PostgreSQL only): use plain placeholders"),
    (r"\bstrftime\s*\(", "strftime() is SQLite only: timestamps come from the application"),
    (r"\b(?:julianday|unixepoch)\s*\(", "SQLite date function: compute times in the application"),
    (r"\bdatetime\b", "DATETIME (type or function) is SQLite only: timestamps come from the app"),
    (r"\bNOW\s*\(\s*\)", "NOW() is PostgreSQL only: timestamps come from the application"),
    (
        r"\bCURRENT_(?:TIMESTAMP|DATE|TIME)\b|\bLOCALTIMESTAMP\b",
        "server clock value differs in type and format per backend: pass the time as a parameter",
    ),
    (r"\bCREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\b", "triggers are not portable: do it in the API"),
    (r"\bAUTOINCREMENT\b", "AUTOINCREMENT is SQLite only: IDs are application-generated UUIDs"),
    (r"\b(?:SMALL|BIG)?SERIAL\b", "SERIAL is PostgreSQL only: IDs are application-generated UUIDs"),
    (r"\bnextval\s*\(|\bCREATE\s+SEQUENCE\b", "sequences are PostgreSQL only"),
    (r"\bINSERT\s+OR\s+\w+", "INSERT OR ... is SQLite only: use INSERT ... ON CONFLICT ... DO ..."),
    (
        r"\bREPLACE\s+INTO\b",
        "REPLACE INTO is SQLite only: use INSERT ... ON CONFLICT ... DO UPDATE",
    ),
    (r"\bCREATE\s+OR\s+REPLACE\b", "CREATE OR REPLACE is PostgreSQL only"),
    (r"\bILIKE\b", "ILIKE is PostgreSQL only: compare lower() values, or search the token index"),
    (r"\bGLOB\b|\bREGEXP\b|\bSIMILAR\s+TO\b", "pattern operator that only one backend has"),
    (r"::\s*[A-Za-z_]", "`::` cast is PostgreSQL only: use CAST(x AS type) or convert in Python"),
    (r"\bJSONB?\b(?!\s*\()", "JSON/JSONB column type: store JSON as TEXT"),
    (r"\bjsonb?_\w+\s*\(|->>?", "JSON functions/operators differ per backend: decode in Python"),
    (r"\bIFNULL\s*\(", "IFNULL() is SQLite only: use COALESCE()"),
    (r"\bGROUP_CONCAT\s*\(|\bSTRING_AGG\s*\(", "string aggregation differs per backend"),
    (r"\bLIMIT\s+[^\s,;]+\s*,", "LIMIT offset, count is SQLite only: use LIMIT n OFFSET m"),
    (r"\bTRUNCATE\b", "TRUNCATE is PostgreSQL only: use DELETE FROM"),
    (r"\bUNLOGGED\b", "UNLOGGED tables are PostgreSQL only"),
    (r"\bWITHOUT\s+ROWID\b|\browid\b", "rowid is SQLite only: use the table's own key"),
    (r"\bBLOB\b|\bBYTEA\b", "binary column type differs per backend"),
    (r"`", "backtick quoting is not standard SQL: use double quotes"),
    (r"\bPRAGMA\b|\bpragma_\w+\s*\(|\bsqlite_\w+", "SQLite-only pragma/catalog"),
    (r"\bpg_\w+|\binformation_schema\b", "PostgreSQL-only catalog or function"),
)

NON_PORTABLE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), why) for pattern, why in _CONSTRUCTS
)

# Comments and quoted text are blanked out (newlines kept, so line numbers stay right)
# before the table is applied: a '::' inside a string literal is not a cast.
_QUOTED_OR_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", re.S)


def blank_quoted_and_comments(sql: str) -> str:
    return _QUOTED_OR_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), sql)


def non_portable_constructs(sql: str) -> list[tuple[int, str, str]]:
    """(offset, matched text, explanation) for every non-portable construct in `sql`."""
    visible = blank_quoted_and_comments(sql)
    hits: list[tuple[int, str, str]] = []
    for pattern, why in NON_PORTABLE:
        for match in pattern.finditer(visible):
            hits.append((match.start(), match.group(0), why))
    return sorted(hits)
