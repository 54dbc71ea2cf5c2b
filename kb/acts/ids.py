"""What an act id looks like, and the act a document is by itself.

An act id is the document's act_key when it has one ("kzlaw-<act_code>"), otherwise the
act it was paired or linked to (kept in the store), otherwise "doc-<first 16 characters
of the document id>": a document nobody paired is an act of its own.
"""

from __future__ import annotations

import re

from kb.models import Document

ACT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
_ACT_ID = re.compile(ACT_ID_PATTERN)
OWN_PREFIX = "doc-"


def is_valid_act_id(value: object) -> bool:
    return isinstance(value, str) and _ACT_ID.fullmatch(value) is not None


def own_act_id(doc_id: str) -> str:
    """The act a document is when nothing pairs it with another."""
    return OWN_PREFIX + doc_id[:16]


def default_act_id(doc: Document) -> str:
    """The act id a document has before the store says otherwise: its act_key, or its own."""
    return doc.act_key if doc.act_key and is_valid_act_id(doc.act_key) else own_act_id(doc.id)
