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
        cands += self._shared(text, toks, cands, tkeys)
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

    def _descend(self, nodes: list[Node], words: list[frozenset[str]]) -> list[Node]:
        """The trie nodes reached from `nodes` through `words` (keys per word)."""
        for ks in words:
            nxt = {id(c): c for n in nodes for k in ks if (c := n.children.get(k)) is not None}
            if not nxt:
                return []
            nodes = list(nxt.values())
        return nodes

    def _is_joiner(self, text: str, toks: list[K.Token], a: int, b: int, lang: str) -> int | None:
        """Index of the first token after a joiner between tokens a and b=a+1 ("и", "және",
        or a bare comma), else None."""
        joiners = set(K.settings()["coord_joiners"].get(lang, []))
        gap = text[toks[a].end : toks[b].start].strip()
        if gap == ",":
            return b
        if gap == "" and toks[b].text.lower() in joiners and b + 1 < len(toks):
            if text[toks[b].end : toks[b + 1].start].strip() == "":
                return b + 1
        return None

    def _shared(self, text: str, toks: list[K.Token], cands: list[Match],
                tkeys: dict[str, list[frozenset[str]]]) -> list[Match]:
        """Conjuncts that borrow part of a neighbouring agency name.

        "акиматам Карагандинской области и области Ұлытау": the leading words listed under
        `coord_shared_lead` ("акиматам") are lent to the conjunct after the joiner, which is
        then matched as "акимат области Ұлытау". "Қарағанды және Ұлытау облыстарының
        әкімдіктері": the trailing words from the first one listed under `coord_shared_tail`
        ("облыстарының әкімдіктері") are lent to the conjunct before the joiner. A conjunct
        is tagged over its own words only; chains ("A, B и C") are followed."""
        cfg = K.settings()
        out: list[Match] = []
        for m in cands:
            if m.kind != "agency" or m.lang not in tkeys:
                continue
            lang, tk = m.lang, tkeys[m.lang]
            root = self.tries[lang]
            lead = {k for w in cfg.get("coord_shared_lead", {}).get(lang, []) for k in K.keys(w, lang)}
            tail = {k for w in cfg.get("coord_shared_tail", {}).get(lang, []) for k in K.keys(w, lang)}
            if lead:
                n = 0
                while m.start_tok + n < m.end_tok and tk[m.start_tok + n] & lead:
                    n += 1
                last = m.end_tok
                while n and last + 1 < len(toks):
                    nxt = self._is_joiner(text, toks, last, last + 1, lang)
                    if nxt is None:
                        break
                    starts = [nd for k in range(1, n + 1)
                              for nd in self._descend([root], tk[m.start_tok : m.start_tok + k])]
                    best = None
                    for nd in starts:
                        hit = self._walk(nd, text, toks, nxt, lang, exact=False, tkeys=tk).get("agency")
                        if hit and hit[1][0] != m.id and (best is None or hit[0] > best[0]):
                            best = hit
                    if best is None:
                        break
                    out.append(Match(nxt, best[0], best[1][0], "agency", lang))
                    last = best[0]
            if tail:
                t = next((t for t in range(m.start_tok + 1, m.end_tok + 1) if tk[t] & tail), None)
                if t is None:
                    continue
                lent = tk[t : m.end_tok + 1]
                first = m.start_tok
                while first - 1 >= 0:
                    if self._is_joiner(text, toks, first - 1, first, lang) == first:
                        j = first - 1  # a bare comma: the conjunct ends right before it
                    elif first - 2 >= 0 and self._is_joiner(text, toks, first - 2, first - 1, lang) == first:
                        j = first - 2  # "және" at first - 1
                    else:
                        break
                    found = None
                    for s in range(j, max(-1, j - 4), -1):  # a conjunct of up to four words
                        if s < j and not self._gap_ok(text, toks[s], toks[s + 1]):
                            break
                        ends = self._descend(self._descend([root], tk[s : j + 1]), lent)
                        pay = next((nd.payload for nd in ends if nd.payload and nd.payload[1] == "agency"
                                    and nd.payload[0] != m.id), None)
                        if pay is not None:
                            found = Match(s, j, pay[0], "agency", lang)
                    if found is None:
                        break
                    out.append(found)
                    first = found.start_tok
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
