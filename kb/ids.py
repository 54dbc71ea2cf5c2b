"""What a document id may look like, in one place for the store, the CLI and the API.

Ids arrive from URLs and command lines. The store never builds a path from one, but a
malformed id is still answered early and the same way everywhere: not found.
"""

from __future__ import annotations

import re

DOC_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
DOC_ID_MAX_LEN = 128
_DOC_ID = re.compile(DOC_ID_PATTERN)


def is_valid_doc_id(value: object) -> bool:
    """True when `value` is a string that can be a document id (1-128 of A-Z a-z 0-9 _ -)."""
    # fullmatch, not match: "$" would accept a trailing newline.
    return isinstance(value, str) and _DOC_ID.fullmatch(value) is not None
