"""Gazetteer matching on lemmas/stems: conventions and agencies in kk, ru and en text.

Each listed name becomes a path of word keys in a trie (one trie per language, plus one of
exact abbreviations). A text word follows every edge whose key is among its own keys, so
"Министерства экологии, геологии и природных ресурсов" reaches the node of "Министерство
экологии, геологии и природных ресурсов" and "министрлігінің" that of "министрлігі". Only
whitespace (line breaks included), commas, quotes and hyphens may separate the words of one
name. Per type, matches are chosen leftmost-longest and never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from kb.entities import keys as K
from kb.entities.gazetteer import Entry, Gazetteer, gazetteer


@dataclass(slots=True)
class Node:
    children: dict[str, Node] = field(default_factory=dict)
    payload: tuple[str, str, str] | None = None  # (entry id, kind, lang)


@dataclass(frozen=True, slots=True)
class Match:
    start_tok: int
    end_tok: int  # inclusive
    id: str
    kind: str
    lang: str


def _add(root: Node, words: list[str], lang: str, payload: tuple[str, str, str], exact: bool) -> None:
    nodes = [root]
    for w in words:
        ks = {w} if exact else K.keys(w, lang)
        child = Node()
        nxt = []
        for node in nodes:
            existing = [node.children[k] for k in ks if k in node.children]
            target = existing[0] if existing else child
            for k in ks:
                node.children.setdefault(k, target)
            nxt.append(target)
        nodes = list({id(n): n for n in nxt}.values())
    for node in nodes:
        if node.payload is None:
            node.payload = payload


class GazetteerMatcher:
    def __init__(self, gaz: Gazetteer):
        self.gaz = gaz
        self.tries: dict[str, Node] = {lang: Node() for lang in K.LANGS}
        self.abbr = Node()
        self.coord: dict[str, dict[str, str]] = {lang: {} for lang in K.LANGS}
        self.quals: dict[str, dict[str, Node]] = {}
        # First three letters of every key a listed word has: a text word whose own first
        # letters are not among them cannot match, so its lemma is never computed (lemmas
        # share their first letters with the inflected form).
        self.prefixes: dict[str, set[str]] = {lang: set() for lang in K.LANGS}
        for e in gaz.entries:
            self._add_entry(e)
        for lang, q in gaz.qualifiers.items():
            self.quals[lang] = {"before": Node(), "after": Node()}
            for side in ("before", "after"):
                for name in getattr(q, side):
                    words = [t.text for t in K.tokenize(name)]
                    # Qualifiers are matched right-to-left when they precede the name.
                    self._note(words, lang)
                    if side == "before":
                        words = words[::-1]
                    _add(self.quals[lang][side], words, lang, ("q", "q", lang), exact=False)

    def _note(self, words: list[str], lang: str) -> None:
        for w in words:
            self.prefixes[lang].update(k[:3] for k in K.keys(w, lang))
            self.prefixes[lang].add(K.fold(w)[:3])

    def _add_entry(self, e: Entry) -> None:
        for lang in K.LANGS:
            for name in e.all_names(lang):
                words = [t.text for t in K.tokenize(name)]
                self._note(words, lang)
                if words:
                    _add(self.tries[lang], words, lang, (e.id, e.kind, lang), exact=False)
            for ab in getattr(e.abbreviations, lang):
                words = [t.text for t in K.tokenize(ab)]
                if words:
                    _add(self.abbr, words, lang, (e.id, e.kind, lang), exact=True)
            for w in getattr(e.coord, lang):
                self._note([w], lang)
                for k in K.keys(w, lang):
                    self.coord[lang].setdefault(k, e.id)

    # -- matching -------------------------------------------------------------------
    def _gap_ok(self, text: str, a: K.Token, b: K.Token) -> bool:
        gap = text[a.end : b.start]
        allowed = K.settings()["name_gap"]
        if all(ch in allowed for ch in gap):
            return True
        # "г. Алматы", "қ. Астана": a one-letter abbreviation's full stop is not a boundary.
        return gap.strip() == "." and len(a.text) == 1

    def token_keys(self, toks: list[K.Token], lang: str) -> list[frozenset[str]]:
        pre = self.prefixes[lang]
        return [K.keys(t.text, lang) if K.fold(t.text)[:3] in pre else frozenset() for t in toks]

    def _walk(self, root: Node, text: str, toks: list[K.Token], i: int, lang: str, exact: bool,
              step: int = 1, tkeys: list[frozenset[str]] | None = None
              ) -> dict[str, tuple[int, tuple[str, str, str]]]:
        """Longest match from token i, per kind (an agency name may contain a convention's)."""
        active = [root]
        best: dict[str, tuple[int, tuple[str, str, str]]] = {}
        j = i
        while 0 <= j < len(toks):
            if j != i:
                a, b = (toks[j - 1], toks[j]) if step == 1 else (toks[j], toks[j + 1])
                if not self._gap_ok(text, a, b):
                    break
            w = toks[j].text
            ks = (w,) if exact else (tkeys[j] if tkeys is not None else K.keys(w, lang))
            nxt = {}
            for node in active:
                for k in ks:
                    child = node.children.get(k)
                    if child is not None:
                        nxt[id(child)] = child
            if not nxt:
                break
            active = list(nxt.values())
            for node in active:
                if node.payload is not None:
                    best[node.payload[1]] = (j, node.payload)
            j += step
        return best

    def find(self, text: str, lang: str, toks: list[K.Token] | None = None) -> list[Match]:
        toks = K.tokenize(text) if toks is None else toks
        langs = {"kk": ["kk", "en"], "ru": ["ru", "en"]}.get(lang, ["kk", "ru", "en"])
        cands: list[Match] = []
        tkeys = {tl: self.token_keys(toks, tl) for tl in langs}
        for i in range(len(toks)):
            for tl in langs:
                if not tkeys[tl][i]:
                    continue
                for j, (eid, kind, ml) in self._walk(self.tries[tl], text, toks, i, tl, exact=False,
                                                     tkeys=tkeys[tl]).values():
                    cands.append(Match(i, j, eid, kind, ml))
            for j, (eid, kind, ml) in self._walk(self.abbr, text, toks, i, "", exact=True).values():
                cands.append(Match(i, j, eid, kind, ml if ml in langs else langs[0]))
        cands += self._coordinated(text, toks, cands, langs)
        chosen = _leftmost_longest(cands)
        return [self._qualify(text, toks, m) for m in chosen]

    def _coordinated(self, text: str, toks: list[K.Token], cands: list[Match], langs: list[str]) -> list[Match]:
        """ "Базельской и Стокгольмской конвенций": the earlier conjuncts share the head."""
        cfg = K.settings()
        out: list[Match] = []
        for m in cands:
            if m.kind != "convention" or m.lang not in self.coord:
                continue
            coord, joiners = self.coord[m.lang], set(cfg["coord_joiners"].get(m.lang, []))
            if not coord:
                continue
            j = m.start_tok - 1
            while j >= 0:
                if toks[j].text.lower() in joiners and j - 1 >= 0:
                    if not self._gap_ok(text, toks[j], toks[j + 1]):
                        break
                    j -= 1
                elif not (text[toks[j].end : toks[j + 1].start].strip() in {",", ""}):
                    break
                if not self._gap_ok(text, toks[j], toks[j + 1]):
                    break
                hit = next((coord[k] for k in K.keys(toks[j].text, m.lang) if k in coord), None)
                if hit is None:
                    break
                out.append(Match(j, j, hit, "convention", m.lang))
                j -= 1
        return out

    def _qualify(self, text: str, toks: list[K.Token], m: Match) -> Match:
        """Extend an agency over an adjacent "Республики Казахстан" / "Қазақстан Республикасының"."""
        if m.kind != "agency" or m.lang not in self.quals:
            return m
        q = self.quals[m.lang]
        start, end = m.start_tok, m.end_tok
        if end + 1 < len(toks) and self._gap_ok(text, toks[end], toks[end + 1]):
            hit = self._walk(q["after"], text, toks, end + 1, m.lang, exact=False).get("q")
            if hit:
                end = hit[0]
        if start - 1 >= 0 and self._gap_ok(text, toks[start - 1], toks[start]):
            hit = self._walk(q["before"], text, toks, start - 1, m.lang, exact=False, step=-1).get("q")
            if hit:
                start = hit[0]
        return Match(start, end, m.id, m.kind, m.lang)


def _leftmost_longest(cands: list[Match]) -> list[Match]:
    chosen: list[Match] = []
    by_kind: dict[str, list[Match]] = {}
    for m in cands:
        by_kind.setdefault(m.kind, []).append(m)
    for ms in by_kind.values():
        ms.sort(key=lambda m: (m.start_tok, -(m.end_tok - m.start_tok)))
        last = -1
        for m in ms:
            if m.start_tok > last:
                chosen.append(m)
                last = m.end_tok
    chosen.sort(key=lambda m: m.start_tok)
    return chosen


@lru_cache(maxsize=1)
def default_matcher() -> GazetteerMatcher:
    return GazetteerMatcher(gazetteer())
