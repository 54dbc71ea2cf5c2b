"""One obligation, two languages (issue 12, item 5): a key shared by the Kazakh and Russian records.

The two language versions of an act have the same structure (sections, points, sub-points) but
different path labels ("п. 4" / "4-тармақ", "пп. 1)" / "1) тармақша", "Статья 12" / "12-бап",
"Приложение" / "Қосымша"). The key is the act key + the language-neutral path + the ordinal of
the obligation within that path, so the register can show a pair once with both quotes:
``pair_key = "<act_key>|<path>|<n>"``, e.g. ``"gov-2016-589|app/p3|0"`` (``pair_path``: what
encloses a point or an article is left out, since headings differ between the versions). Documents without an
act key get none (a key made from a file name would pair nothing).
"""

from __future__ import annotations

import re

from kb.models import PATH_SEP, Document, Obligation

# label -> neutral token; first match wins. Numbers are kept, words dropped.
_LABELS = [
    (re.compile(r"^(?:пп\.\s*)?(\d+(?:-\d+)?)\)\s*(?:тармақша)?$", re.I), "sp"),
    (re.compile(r"^п\.\s*(\d+(?:-\d+)?)$|^(\d+(?:-\d+)?)-тармақ$", re.I), "p"),
    (re.compile(r"^(?:Статья\s+(\d+(?:-\d+)?)|(\d+(?:-\d+)?)-бап)\b", re.I), "a"),
    (re.compile(r"^(?:Глава\s+(\d+)|(\d+)-тарау)\b", re.I), "ch"),
    (re.compile(r"^(?:Раздел\s+(\d+)|(\d+)-бөлім)\b", re.I), "sec"),
    (re.compile(r"^(?:Приложение|Қосымша)\s*(?:№?\s*(\d+))?|^(\d+)-қосымша", re.I), "app"),
    (re.compile(r"^(\d+(?:\.\d+)*)\.\s"), "s"),  # numbered heading "1. Общие положения"
]


def neutral_path(path: list[str]) -> str:
    """'Приложение › 1. Общие положения › п. 4 › пп. 1)' -> 'app/s1/p4/sp1' (same for the kk labels)."""
    out = []
    for label in path:
        label = label.strip()
        for pat, tag in _LABELS:
            m = pat.match(label)
            if m:
                num = next((g for g in m.groups() if g), "")
                out.append(f"{tag}{num}")
                break
        else:
            out.append("?")  # an unnumbered heading: its position still counts, its words do not
    return "/".join(out)


# Tokens that number a point or an article: numbered uniquely within an act (articles) or within
# an appendix (points of Rules run on across their sections), so what encloses them is dropped
# from the key. The two versions do not always carry the same headings ("2. Правила и
# требования ..." against an unnumbered "ЕБА-мен жарақтандыру ... талаптар"): keeping sections,
# chapters and unnumbered headings above a point would split such a pair.
_UNIQUE = re.compile(r"^(?:p|a)\d")
_ENCLOSING = re.compile(r"^(?:s|ch|sec)[\d.]*$|^\?$")


def pair_path(path: list[str]) -> str:
    """The part of the neutral path that names the same place in both versions:
    'app/s2/p7/sp1' -> 'app/p7/sp1', 'ch3/a12/p2' -> 'a12/p2'; a path with no point or article
    keeps every token."""
    tokens = neutral_path(path).split("/") if path else []
    last = max((i for i, t in enumerate(tokens) if _UNIQUE.match(t)), default=-1)
    if last < 0:
        return "/".join(tokens)
    first = min(i for i, t in enumerate(tokens) if _UNIQUE.match(t))
    head = [t for t in tokens[:first] if not _ENCLOSING.match(t)]
    if any(t.startswith("a") for t in tokens[first:last + 1]):
        head = [t for t in head if t.startswith("app")]  # an article's number is unique in the act
    return "/".join(head + tokens[first:])


def assign_pair_keys(doc: Document, items: list[Obligation]) -> None:
    """Set pair_key on each obligation (in place), in reading order."""
    act = getattr(doc, "act_key", None)
    if not act:
        return
    seen: dict[str, int] = {}
    for o in items:
        path = pair_path(o.quote.block_path.split(PATH_SEP)) if o.quote.block_path else ""
        n = seen.get(path, 0)
        seen[path] = n + 1
        o.pair_key = f"{act}|{path}|{n}"
