"""Signed links that open one record to whoever holds them, without an account (a complaint's tracking page, ...).

A token is the active schema's name and the record's own parts, signed with the site's key under a salt of the
caller's. `signed_link_parts` gives the parts back only for a token signed with that salt, for the active schema and
with the expected number of parts; anything else (tampered with, another salt's, another station's) is None, so every
wrong link fails alike.
"""

from django.core import signing
from django.db import connection

SEPARATOR = "."


def signed_link_token(*, salt: str, parts: tuple[str, ...]) -> str:
    """The signed token naming `parts` in the active schema (no part may hold the separator)."""
    if any(SEPARATOR in part for part in parts):
        raise ValueError("a signed link's part cannot hold the separator")
    return signing.Signer(salt=salt).sign(SEPARATOR.join((connection.schema_name, *parts)))


def signed_link_parts(*, salt: str, token: str, count: int) -> tuple[str, ...] | None:
    """The `count` parts a token signed with `salt` in the active schema names, or None."""
    try:
        value = signing.Signer(salt=salt).unsign(token or "")
    except signing.BadSignature:
        return None
    schema, *parts = value.split(SEPARATOR)
    if schema != connection.schema_name or len(parts) != count or not all(parts):
        return None
    return tuple(parts)
