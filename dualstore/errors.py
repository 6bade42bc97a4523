"""The harness's own exceptions (it raises no driver's and no adopter's types)."""

from __future__ import annotations


class HarnessError(Exception):
    """An operation of the harness on a backend failed (admin SQL, a lock, a store's
    setup). The message names the server by its redacted URL and never shows a password;
    the driver's error is kept as `__cause__`, without its frames."""


class BackendGone(HarnessError):
    """The backend's server cannot be reached (it went away, or never answered)."""


class ResetError(HarnessError):
    """The default reset cannot empty a store (e.g. tables that reference each other)."""
