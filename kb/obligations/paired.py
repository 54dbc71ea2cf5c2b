"""One obligation, two languages (issue 12, item 5): the register shown once per duty with both
quotes. Records of the Kazakh and Russian versions of an act that share a ``pair_key``
(``pairing.py``) become one ``PairedObligationRow``; anything else stays a row of its own.

Which obligations appear is decided on the flat rows (the register's filters); a pair appears when
either of its versions matches, and the other version is looked up (``partners``) so that a filter
that only one language satisfies (an actor id resolved in one version only, a Kazakh-only
``lang``) still shows both quotes. The row's own fields (actor, action, deadline, status) are
those of the version shown first: the one the ``lang`` filter asks for, else the Russian one;
the actor's agency ids and roles are the union of both versions'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kb.models import Actor, ObligationRow, PairedObligationRow

FIRST_LANG = "ru"  # the version shown first when the lang filter names none


def _merged_actor(first: Actor | None, other: Actor | None) -> Actor | None:
    if first is None or other is None:
        return first
    def own(a: Actor) -> list[str]:
        return list(a.ids) or ([a.id] if a.id else [])

    ids = list(dict.fromkeys([*own(first), *own(other)]))
    roles = list(dict.fromkeys([*first.roles, *other.roles]))
    return first.model_copy(update={"ids": ids, "roles": roles, "id": first.id or (ids[0] if ids else None)})


def _paired(rows: list[ObligationRow], prefer: str) -> PairedObligationRow:
    by_lang: dict[str, ObligationRow] = {}
    for r in rows:
        by_lang.setdefault(r.lang, r)
    first = by_lang.get(prefer) or rows[0]
    other = next((r for lang, r in by_lang.items() if r is not first), None)
    kk, ru = by_lang.get("kk"), by_lang.get("ru")
    return PairedObligationRow(
        **first.model_dump(exclude={"actor"}),
        actor=_merged_actor(first.actor, other.actor if other else None),
        langs=[lang for lang in ("kk", "ru") if lang in by_lang] or [first.lang],
        quote_kk=kk.quote if kk else None, quote_ru=ru.quote if ru else None,
        doc_id_kk=kk.doc_id if kk else None, doc_id_ru=ru.doc_id if ru else None,
        title_kk=kk.title if kk else None, title_ru=ru.title if ru else None,
    )


def pair_rows(
    rows: Iterable[ObligationRow],
    prefer: str | None = None,
    partners: Callable[[ObligationRow], Iterable[ObligationRow]] | None = None,
) -> list[PairedObligationRow]:
    """Rows (in register order) -> one row per pair, in the order each pair first appears.
    `partners(row)` gives the rows of the other versions of the row's act (looked up only for a
    pair whose other language is missing from `rows`)."""
    prefer = prefer or FIRST_LANG
    groups: dict[object, list[ObligationRow]] = {}
    for i, r in enumerate(rows):
        key = (r.pair_key, r.lang, i) if not r.pair_key else r.pair_key
        group = groups.setdefault(key, [])
        if all(g.lang != r.lang for g in group):  # two versions of one language: the second stands alone
            group.append(r)
        else:
            groups[(r.pair_key, r.lang, i)] = [r]
    if partners is not None:
        looked: dict[str, dict[str, ObligationRow]] = {}  # doc_id -> pair_key -> row of another version
        for key, group in groups.items():
            if not isinstance(key, str) or len(group) > 1:
                continue
            r = group[0]
            if r.doc_id not in looked:
                looked[r.doc_id] = {p.pair_key: p for p in partners(r) if p.pair_key and p.lang != r.lang}
            match = looked[r.doc_id].get(key)
            if match is not None:
                group.append(match)
    return [_paired(g, prefer) for g in groups.values()]
