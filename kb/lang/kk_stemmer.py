"""Kazakh suffix-stripping stemmer driven by kb/data/kk_suffixes.yaml.

Kazakh is agglutinative: министр-лік-тер-і-нің = "of the ministries". The
stemmer peels suffixes slot by slot from the end of the word (finite verb ->
case -> possessive -> plural -> participle/verbal noun -> negation -> voice),
trying the longest form of each slot first and backtracking when a later
constraint fails. A form is accepted only where Kazakh would use it:

* voicing: the suffix's first consonant must fit the sound before it
  (-ның after vowels and м н ң, -дың after л р й у ж з, -тың after voiceless);
* vowel harmony: back suffixes (а ы) follow back stems, front (е і) front ones;
* the n-forms of cases (-нда, -на, -н) need a 3rd person possessive under them;
* verbal-only slots (negation, passive) apply only after a verbal suffix, so
  nouns like ауыл or жасыл keep their -ыл;
* a minimum stem length and a protect list (roots and names whose ending
  only looks like a suffix).

Finally a final г/ғ/б voiced before a vowel-initial suffix is restored to
к/қ/п (министрлігі -> министрлік, аумағы -> аумақ, талабы -> талап).

The rules are deliberately conservative: for retrieval a missed suffix costs
less recall than a wrong cut costs precision, and both forms of a word still
share most of their letters for the dense retriever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from kb.lang.script import DATA_DIR, fold, load_yaml

SUFFIX_FILE = "kk_suffixes.yaml"
_BACK_SUFFIX_VOWELS = set("аоұы")
_FRONT_SUFFIX_VOWELS = set("әөүіе")


@dataclass(frozen=True)
class Form:
    form: str
    after: frozenset[str]
    harmony: str | None  # "back", "front" or None
    requires: str | None = None
    restore: str = ""
    stem_pattern: re.Pattern | None = None
    stem_not_pattern: re.Pattern | None = None


@dataclass(frozen=True)
class Slot:
    name: str
    forms: tuple[Form, ...]
    verbal: bool = False
    only_after_forms: frozenset[str] | None = None  # strip only right before one of these
    repeat: int = 1
    then: int | None = None  # index of the slot to continue with after a strip


@dataclass
class _Table:
    classes: dict[str, frozenset[str]]
    back: frozenset[str]
    front: frozenset[str]
    glides: frozenset[str]
    silent: frozenset[str]
    min_stem: int
    min_verb_stem: int
    short_verb_roots: frozenset[str]
    slots: tuple[Slot, ...]
    restore_final: dict[str, str]
    restore_g_needs_front_vowel: bool
    no_restore: frozenset[str]
    stem_fixes: dict[str, str]
    lexicon: dict[str, str]
    protect: frozenset[str]
    protect_endings: tuple[str, ...]
    all_forms: frozenset[str] = field(default_factory=frozenset)


def _err(where: str, why: str) -> ValueError:
    return ValueError(f"{DATA_DIR / SUFFIX_FILE}: {where}: {why}")


def _words(value, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _err(where, "expected a list of strings")
    return [fold(v) for v in value]


def _mapping(value, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _err(where, "expected a mapping of strings to strings")
    return {fold(k): fold(v) for k, v in value.items()}


def _harmony_of(text: str) -> str | None:
    if set(text) & _BACK_SUFFIX_VOWELS:
        return "back"
    if set(text) & _FRONT_SUFFIX_VOWELS:
        return "front"
    return None


def parse_table(raw: dict) -> _Table:
    """Validate the YAML mapping and build the stemmer's tables."""
    try:
        alphabet = raw["alphabet"]
        classes = {k: frozenset(v) for k, v in alphabet["classes"].items()}
        slots_raw = raw["slots"]
    except (KeyError, TypeError, AttributeError) as exc:
        raise _err("alphabet/slots", f"missing or malformed ({exc})") from exc
    slots = []
    for i, s in enumerate(slots_raw):
        where = f"slots[{i}]"
        if not isinstance(s, dict) or "name" not in s or "forms" not in s:
            raise _err(where, "each slot needs 'name' and 'forms'")
        forms = []
        for j, f in enumerate(s["forms"]):
            fwhere = f"{where} ({s['name']}).forms[{j}]"
            if not isinstance(f, dict) or not isinstance(f.get("form"), str) or not f["form"]:
                raise _err(fwhere, "needs a non-empty 'form'")
            after = f.get("after")
            if not isinstance(after, list) or not after:
                raise _err(fwhere, "needs a non-empty 'after' list of letter classes")
            unknown = [a for a in after if a not in classes]
            if unknown:
                raise _err(fwhere, f"unknown letter class(es) {unknown}; known: {sorted(classes)}")
            pattern = f.get("stem_pattern")
            not_pattern = f.get("stem_not_pattern")
            forms.append(
                Form(
                    form=f["form"],
                    after=frozenset(after),
                    harmony=_harmony_of(f["form"]) if f.get("harmony") else None,
                    requires=f.get("requires"),
                    restore=f.get("restore", ""),
                    stem_pattern=re.compile(pattern) if pattern else None,
                    stem_not_pattern=re.compile(not_pattern) if not_pattern else None,
                )
            )
        forms.sort(key=lambda x: len(x.form), reverse=True)
        slots.append(
            Slot(
                name=s["name"],
                forms=tuple(forms),
                verbal=bool(s.get("verbal", False)),
                only_after_forms=frozenset(s["only_after_forms"]) if "only_after_forms" in s else None,
                repeat=int(s.get("repeat", 1)),
            )
        )
    names = [s.name for s in slots]
    for i, (s, raw_slot) in enumerate(zip(list(slots), slots_raw)):
        then = raw_slot.get("then")
        if then is not None:
            if then not in names[i + 1 :]:
                raise _err(f"slot {s.name!r}", f"'then' names unknown or earlier slot {then!r}")
            slots[i] = Slot(s.name, s.forms, s.verbal, s.only_after_forms, s.repeat, names.index(then))
    for s in slots:
        for f in s.forms:
            if f.requires and f.requires not in names[names.index(s.name) + 1 :]:
                raise _err(f"slot {s.name!r} form {f.form!r}", f"requires unknown or earlier slot {f.requires!r}")
    table = _Table(
        classes=classes,
        back=frozenset(alphabet.get("back_vowels", "")),
        front=frozenset(alphabet.get("front_vowels", "")),
        glides=frozenset(alphabet.get("glides", "")),
        silent=frozenset(alphabet.get("silent", "")),
        min_stem=int(raw.get("min_stem", 2)),
        min_verb_stem=int(raw.get("min_verb_stem", 3)),
        short_verb_roots=frozenset(_words(raw.get("short_verb_roots", []), "short_verb_roots")),
        slots=tuple(slots),
        restore_final=_mapping(raw.get("restore_final", {}), "restore_final"),
        restore_g_needs_front_vowel=bool(raw.get("restore_g_needs_front_vowel", True)),
        no_restore=frozenset(_words(raw.get("no_restore", []), "no_restore")),
        stem_fixes=_mapping(raw.get("stem_fixes", {}), "stem_fixes"),
        lexicon=_mapping(raw.get("lexicon", {}), "lexicon"),
        protect=frozenset(_words(raw.get("protect", []), "protect")),
        protect_endings=tuple(_words(raw.get("protect_endings", []), "protect_endings")),
    )
    table.all_forms = frozenset(f.form for s in slots for f in s.forms)
    return table


class KazakhStemmer:
    """Stem one Kazakh word at a time; see the module docstring for the rules."""

    def __init__(self, table: _Table):
        self.t = table
        self._vowels = table.classes.get("vowel", frozenset())
        # a stem needs a vowel; у counts (су, ту) though it is a glide elsewhere
        self._syllabic = self._vowels | {"у"}
        self.stem = lru_cache(maxsize=200_000)(self._stem)

    @classmethod
    def from_file(cls, name: str = SUFFIX_FILE) -> "KazakhStemmer":
        return cls(parse_table(load_yaml(name)))

    # -- phonology --------------------------------------------------------

    def _last_sound(self, stem: str) -> str:
        for ch in reversed(stem):
            if ch not in self.t.silent:
                return ch
        return ""

    def _last_vowel_class(self, stem: str) -> str | None:
        """back/front of the stem's last vowel; None if it has none.

        у and ю are glides after a vowel (тау, жою) and in the word-final
        verbal noun (бекіту): there the vowel before them decides. Elsewhere
        (ресурс, бюджет) у is a real, back vowel.
        """
        n = len(stem)
        for i in range(n - 1, -1, -1):
            ch = stem[i]
            if ch in self.t.glides:
                if ch == "й" or i == n - 1 or (i > 0 and stem[i - 1] in self._vowels):
                    continue
                return "back"
            if ch in self.t.back:
                return "back"
            if ch in self.t.front:
                return "front"
        return None

    def _protected(self, stem: str) -> bool:
        return stem in self.t.protect or stem.endswith(self.t.protect_endings)

    def _fits(self, rest: str, form: Form, slot: Slot) -> bool:
        if slot.verbal:
            if len(rest) < self.t.min_verb_stem and rest not in self.t.short_verb_roots:
                return False
        elif len(rest) < self.t.min_stem:
            return False
        if not any(ch in self._syllabic for ch in rest):
            return False
        last = self._last_sound(rest)
        if not any(last in self.t.classes[c] for c in form.after):
            return False
        if form.harmony:
            vowel = self._last_vowel_class(rest)
            if vowel is not None and vowel != form.harmony:
                return False
        if form.stem_pattern is not None and not form.stem_pattern.search(rest):
            return False
        if form.stem_not_pattern is not None and form.stem_not_pattern.search(rest):
            return False
        return True

    # -- search -----------------------------------------------------------

    def _parses(self, s: str, i: int, after: Form | None, need: str | None, used: int):
        """Yield (stem, innermost stripped form) for every valid parse, best first.

        `after` is the form stripped just before (to its right); `need` a slot
        that must strip something (the n-forms of cases need a possessive).
        """
        slots = self.t.slots
        if i == len(slots) or self._protected(s):
            if not need:
                yield s, None
            return
        slot = slots[i]
        allowed = slot.only_after_forms is None or (after is not None and after.form in slot.only_after_forms)
        if allowed:
            for form in slot.forms:
                if not s.endswith(form.form):
                    continue
                rest = s[: -len(form.form)] + form.restore
                if not self._fits(rest, form, slot):
                    continue
                if used + 1 < slot.repeat:
                    deeper = self._parses(rest, i, form, form.requires, used + 1)
                else:
                    nxt = slot.then if slot.then is not None else i + 1
                    deeper = self._parses(rest, nxt, form, form.requires, 0)
                for stem, inner in deeper:
                    yield stem, inner or form
        if need == slot.name and used == 0:
            return
        yield from self._parses(s, i + 1, after, None if need == slot.name else need, 0)

    def _best_parse(self, w: str) -> tuple[str, Form | None]:
        """The first parse in priority order, unless a later one reaches a known
        stem from `protect` (ауда-ны vs аудан-ы: the protect list knows аудан)."""
        first = None
        for n, (stem, inner) in enumerate(self._parses(w, 0, None, None, 0)):
            if first is None:
                first = (stem, inner)
            if stem != w and self._protected(stem):
                return stem, inner
            if n >= 64:  # the alternatives are few; this only bounds pathological input
                break
        return first if first is not None else (w, None)

    def _stem(self, word: str) -> str:
        w = fold(word.strip())
        if not w:
            return w
        if "-" in w:
            head, _, tail = w.rpartition("-")
            # БҰҰ-ның, 2022-ге: the suffix after the hyphen belongs to the head
            if tail in self.t.all_forms or not tail:
                return head
            return f"{head}-{self.stem(tail)}" if head else self.stem(tail)
        if w in self.t.lexicon:
            return self.t.lexicon[w]
        if self._protected(w) or not any(ch in self._syllabic for ch in w):
            return w
        stem, inner = self._best_parse(w)
        if stem == w:
            return w
        # у counts: шығ-у is шық + у, voiced like шығ-ып
        if inner is not None and (inner.form[0] in self._vowels or inner.form[0] == "у"):
            stem = self._restore_final(stem)
        stem = self.t.stem_fixes.get(stem, stem)
        return self.t.lexicon.get(stem, stem)  # олар-дың -> олар -> ол

    def _restore_final(self, stem: str) -> str:
        last = stem[-1]
        if last in "кқ" and len(stem) > 2 and stem[-2] not in self._vowels and stem not in self.t.stem_fixes:
            # бет-кі, сырт-қы, бастап-қы: the attributive suffix after a
            # voiceless consonant (парк-і, банк-і are loans with a back vowel)
            if last == "қ" or self._last_vowel_class(stem[:-1]) == "front":
                return stem[:-1]
            return stem
        repl = self.t.restore_final.get(last)
        if not repl or stem in self.t.no_restore:
            return stem
        if (
            last in "гғ"
            and len(stem) > 2
            and stem[-2] not in self._vowels
            and (last == "ғ" or self._last_vowel_class(stem[:-1]) == "front")
        ):
            # негіз-гі, заман-ғы: after a consonant г/ғ starts the attributive
            # suffix -гі/-ғы; it is not a voiced final к/қ (a back-vowel stem
            # with г is a loan: округ)
            return stem[:-1]
        if last == "г" and self.t.restore_g_needs_front_vowel and self._last_vowel_class(stem[:-1]) != "front":
            return stem
        return stem[:-1] + repl

    def is_suffix(self, text: str) -> bool:
        """True if `text` is one of the table's suffix forms (e.g. the "ның" of "БҰҰ-ның")."""
        return fold(text) in self.t.all_forms


@lru_cache(maxsize=1)
def default_stemmer() -> KazakhStemmer:
    return KazakhStemmer.from_file()


def stem(word: str) -> str:
    """Stem of one Kazakh word, lower-cased (e.g. министрлігінің -> министрлік)."""
    return default_stemmer().stem(word)
