"""Hypothesis strategies for the differential suite (suites/test_differential.py).

Values a caller may pass, with the hostile ones mixed in: non-ASCII and mixed-case text,
control characters, NUL, lone surrogates, very long strings, integers at and past 2^31 and
2^63, timestamps in several UTC offsets with microseconds (and naive or out-of-range ones),
empty, deep and huge JSON, and ids that collide or name nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from storage.api import ActorKind, WriteContext

# --------------------------------------------------------------------------- text

#: words whose case folding or normalisation differs between naive implementations
TRICKY_WORDS = (
    "Straße",
    "STRASSE",
    "strasse",
    "Émile",
    "émile",
    "E\u0301mile",  # é as e + combining acute (NFC makes it one code point)
    "İstanbul",
    "ǅemal",
    "ﬁle",
    "ΣΊΣΥΦΟΣ",
    "σίσυφος",
    "日本語",
    "😀emoji",
    "MiXeD",
    "mixed",
    "a_b",
    "x",
    "X",
)
CONTROL = "".join(chr(c) for c in (*range(1, 32), 127)) + "\x85\u2028\u2029\ufeff"
NUL = "\x00"
LONE_SURROGATE = "\ud800"

#: a small alphabet, so that generated words collide with each other and with TRICKY_WORDS
_small_text = st.text(alphabet="aAbBéÉßs \t", max_size=8)
_unicode_text = st.text(max_size=24)  # any code point but surrogates
_control_text = st.text(alphabet=CONTROL + "ab", min_size=1, max_size=6)


def _long(unit: str) -> st.SearchStrategy[str]:
    return st.sampled_from((255, 256, 3000, 70_000)).map(lambda n: unit * n)


def _spliced(base: st.SearchStrategy[str], bad: str) -> st.SearchStrategy[str]:
    return st.tuples(base, base).map(lambda parts: parts[0] + bad + parts[1])


#: valid text (no NUL, no lone surrogate), often non-ASCII, mixed case or with controls
valid_text = st.one_of(
    st.sampled_from(TRICKY_WORDS),
    st.lists(st.sampled_from(TRICKY_WORDS), min_size=1, max_size=4).map(" ".join),
    _small_text,
    _unicode_text,
    _control_text,
    _long("é"),
    _long("a"),
    st.just(""),
)
#: text that the API must refuse (NUL or a lone surrogate)
invalid_text = st.one_of(_spliced(_small_text, NUL), _spliced(_small_text, LONE_SURROGATE))


def text(invalid: int = 8) -> st.SearchStrategy[str]:
    """Any text: valid, and about one in `invalid` refused by the API."""
    return st.one_of(*([valid_text] * (invalid - 1)), invalid_text)


#: non-blank valid text
valid_name = valid_text.map(lambda t: t if t.strip() else t + "n")
#: names, titles and kinds: mostly non-blank, sometimes blank or refused (a ValidationError)
name = st.one_of(
    *([valid_name] * 24),
    invalid_text,
    st.sampled_from(("", " ", "\t\n", "\u3000")),
)

# --------------------------------------------------------------------------- ids

#: a few ids used again and again, so that calls collide (duplicate ids) and differ only in
#: case or normalisation
ID_POOL = ("a", "A", "é", "É", "e\u0301", "ß", "SS", "id-1", "ID-1", "x" * 255, "日")
#: ids the API must refuse: blank, too long, NUL, a lone surrogate
BAD_IDS = ("", "  ", "x" * 256, "é" * 256, "id\x00", "id\ud800")

_uuid = st.uuids().map(str)
#: an id the API takes (maybe one taken already)
valid_id = st.one_of(_uuid, _uuid, _uuid, st.sampled_from(ID_POOL))
#: a caller-given id: mostly fine, sometimes taken, sometimes refused
literal_id = st.one_of(
    *([_uuid] * 9),
    *([st.sampled_from(ID_POOL)] * 4),
    st.text(alphabet="aAé-\t", min_size=1, max_size=4),
    st.sampled_from(BAD_IDS),
)
#: an id that names nothing (never one of the machine's symbols: those start with "gen:")
missing_id = st.one_of(st.uuids().map(str), st.sampled_from(("missing", "MISSING", "", "\x00")))

# --------------------------------------------------------------------------- integers

#: the API's integers are signed 64-bit: the last three are outside
INT_EDGES = (
    0,
    1,
    -1,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**32,
    2**63 - 1,
    -(2**63),
    2**63,
    -(2**63) - 1,
    2**64,
)
integer = st.one_of(st.sampled_from(INT_EDGES), st.integers(-3, 12))
#: a sequence: None (the API picks one), small (collides), or at the edges
sequence = st.one_of(st.none(), st.none(), st.integers(0, 4), st.sampled_from(INT_EDGES))
#: a sequence the API takes
valid_sequence = st.one_of(st.none(), st.none(), st.integers(0, 4), st.sampled_from(INT_EDGES[:-3]))
valid_integer = st.one_of(st.sampled_from(INT_EDGES[:-3]), st.integers(-3, 12))

# --------------------------------------------------------------------------- JSON


def nested(levels: int) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for _ in range(levels - 1):
        obj = {"a": obj}
    return obj


_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(INT_EDGES),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    valid_text,
)
_json_value = st.recursive(
    _json_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(valid_text, children, max_size=4)
    ),
    max_leaves=12,
)
_small_json = st.dictionaries(valid_text, _json_value, max_size=5)
#: JSON objects the API takes: mostly small, now and then empty, 128 levels deep or huge
valid_json = st.one_of(
    *([_small_json] * 6),
    st.just({}),
    st.sampled_from((nested(127), nested(128), {f"k{i}": i for i in range(2000)})),
)
#: JSON objects: mostly small ones; now and then empty, 127 to 129 levels deep (the limit
#: is 128), huge, or one the API refuses (NaN, a lone surrogate in a value or a key, a
#: tuple, which would not come back as it went in)
json_object = st.one_of(
    *([_small_json] * 6),
    st.just({}),
    st.sampled_from(
        (
            nested(127),
            nested(128),
            nested(129),
            {f"k{i}": i for i in range(2000)},
            {"s": "é" * 70_000},
            {"n": float("nan")},
            {"s": LONE_SURROGATE},
            {LONE_SURROGATE: 1},
            {"t": (1, 2)},
        )
    ),
)

# --------------------------------------------------------------------------- time

OFFSETS = (
    UTC,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-8)),
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=-12)),
    timezone(timedelta(hours=23, minutes=59, seconds=59, microseconds=999999)),
)
offset = st.sampled_from(OFFSETS)
#: fixed instants, the same on every backend (naive and out-of-range ones are refused)
absolute_time = st.one_of(
    st.sampled_from(
        (
            datetime(2000, 1, 1, tzinfo=UTC),
            datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(1, 1, 1, tzinfo=OFFSETS[1]),  # before year 1 in UTC
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=OFFSETS[2]),  # after 9999 in UTC
            datetime(2026, 1, 1, 12, 0),  # naive
        )
    ),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=offset),
)
#: how far from a stored instant a time argument lies: on it, or a microsecond either side
nudge = st.sampled_from((timedelta(0), timedelta(microseconds=1), timedelta(microseconds=-1)))
#: thresholds for find_stalled_workflows whose answer does not depend on timing
threshold = st.sampled_from(
    (
        timedelta(0),
        timedelta(microseconds=-1),
        timedelta(days=-1),
        timedelta(days=1),
        timedelta(days=3650),
        timedelta.max,
        timedelta.min,
    )
)

# --------------------------------------------------------------------------- who writes


def write_context(ids: st.SearchStrategy[str]) -> st.SearchStrategy[WriteContext]:
    """Mostly allowed writers (an AI write naming a job and a run among `ids`); sometimes
    an AI write the guard refuses, or text the API refuses."""
    actor = st.one_of(st.none(), st.sampled_from(("alice", "Alice", "ÉMILE")), valid_text)
    some_id = st.one_of(ids, _uuid, st.sampled_from(("", " ")))

    def ai(actor_id: str | None, job: str | None, run: str | None) -> WriteContext:
        return WriteContext(ActorKind.AI, actor_id=actor_id, job_id=job, workflow_id=run)

    human = st.builds(lambda a: WriteContext(ActorKind.HUMAN, actor_id=a), actor)
    return st.one_of(
        *([human] * 10),
        *([st.builds(lambda a: WriteContext(ActorKind.SYSTEM, actor_id=a), actor)] * 3),
        *([st.builds(ai, actor, ids, ids)] * 5),
        st.builds(ai, actor, st.one_of(st.none(), some_id), st.one_of(st.none(), some_id)),
        st.builds(lambda a: WriteContext(ActorKind.HUMAN, actor_id=a), invalid_text),
    )
