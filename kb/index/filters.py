"""SearchFilters as backend-neutral conditions; each backend turns them into its own classes.

The embedded engine and qdrant-client have separate model classes with the same
meaning, so the translation of the API's filters lives here once and the two
backends only map `AnyOf` and `DateRange` onto their classes.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.models import SearchFilters


@dataclass(frozen=True)
class AnyOf:
    """The payload field (or any element of a list field) equals one of `values`."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class DateRange:
    """The payload date lies in [gte, lte]; either bound may be open. ISO dates."""

    key: str
    gte: str | None
    lte: str | None


Condition = AnyOf | DateRange

# SearchFilters field -> payload field it constrains.
_LIST_FIELDS = {
    "lang": "lang",
    "genre": "genre",
    "convention": "conventions",
    "agency": "agencies",
    "doc_id": "doc_id",
    "kind": "act_kind",
    "status": "act_status",
    "act_id": "act_id",
}


def conditions(filters: SearchFilters | None) -> list[Condition]:
    """All conditions must hold; an empty list means no filter.

    Values are matched exactly, so an unknown id matches nothing (it never widens
    the search). A date filter excludes passages of undated documents.
    """
    if filters is None:
        return []
    out: list[Condition] = []
    for attr, key in _LIST_FIELDS.items():
        values = getattr(filters, attr)
        if values:
            out.append(AnyOf(key, tuple(str(v) for v in values)))
    if filters.date_from or filters.date_to:
        out.append(
            DateRange(
                "date",
                filters.date_from.isoformat() if filters.date_from else None,
                filters.date_to.isoformat() if filters.date_to else None,
            )
        )
    return out
