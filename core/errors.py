from __future__ import annotations


class DomainError(Exception):
    """A request that is well-formed but conflicts with the current state (409 in the API).

    Services raise it; views turn it into a message and the API into JSON `{"detail": ...}`.
    """
