"""Language identification lives in `ingest.langid` (ingestion needs it and must not import kb);
re-exported here for kb's modules."""

from ingest.langid import (  # noqa: F401
    KK_LETTERS,
    KK_SHARE,
    MIXED_SHARE,
    Lang,
    combine,
    detect,
    detect_or_none,
    kk_letter_share,
)
