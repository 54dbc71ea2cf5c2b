"""A small Kazakh `Language` for spaCy, which ships none.

Importing this module registers it, after which `spacy.blank("kk")` works:

    import kb.lang.kazakh  # noqa: F401
    nlp = spacy.blank("kk")

What it adds to spaCy's language-independent defaults:
* stop words from kb/data/kk_stopwords.txt;
* `like_num` for Kazakh number words (бір, екі, ... мың, миллион) and ordinals
  written with a hyphen (1-ші, 14-бап is split by the infix rule instead);
* tokenizer exceptions for abbreviations (т.б., т.с.с., ж., қ., ...) from
  kb/data/abbreviations.yaml, so that the sentencizer does not split there;
* "№" split off as a prefix, so "№351" gives "№", "351" like "№ 351".

* an infix splitting "14-баптың" into "14", "-", "баптың" (short tails such as
  1-ші, 351-п, 2022-ге stay one token).

Quotes «…» and digit groups ("2022 жылғы") need nothing special.
"""

from __future__ import annotations

from spacy.attrs import LIKE_NUM, NORM, ORTH
from spacy.language import BaseDefaults, Language
from spacy.lang.punctuation import TOKENIZER_INFIXES, TOKENIZER_PREFIXES, TOKENIZER_SUFFIXES
from spacy.lang.tokenizer_exceptions import BASE_EXCEPTIONS
from spacy.util import registry, update_exc

from kb.lang.script import load_word_list, load_yaml

_NUMBER_WORDS = frozenset(
    "нөл бір екі үш төрт бес алты жеті сегіз тоғыз он жиырма отыз қырық елу алпыс жетпіс сексен тоқсан "
    "жүз мың миллион миллиард триллион жарты".split()
)
_ORDINAL_ENDINGS = ("ыншы", "інші", "ншы", "нші")


def like_num(text: str) -> bool:
    text = text.replace(",", "").replace(".", "").replace(" ", "")
    if text.isdigit():
        return True
    if text.count("/") == 1:
        num, denom = text.split("/")
        if num.isdigit() and denom.isdigit():
            return True
    low = text.lower()
    if low in _NUMBER_WORDS:
        return True
    if "-" in low:  # 1-ші, 2-інші
        head, _, tail = low.partition("-")
        return head.isdigit() and tail in ("ші", "шы", "нші", "ншы", "інші", "ыншы")
    # бір-інші, екі-нші, он-ыншы: ordinals of the number words
    return any(low.endswith(end) and low[: -len(end)] in _NUMBER_WORDS for end in _ORDINAL_ENDINGS)


def abbreviation_exceptions(lang: str) -> dict[str, list[dict]]:
    """Tokenizer exceptions keeping each abbreviation of `lang` one token."""
    table = load_yaml("abbreviations.yaml")
    items = table.get(lang)
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        raise ValueError(f"kb/data/abbreviations.yaml: {lang!r}: expected a list of strings")
    exc: dict[str, list[dict]] = {}
    for abbr in items:
        for form in {abbr, abbr[:1].upper() + abbr[1:]}:
            exc[form] = [{ORTH: form, NORM: abbr}]
    return exc


class KazakhDefaults(BaseDefaults):
    stop_words = set(load_word_list("kk_stopwords.txt"))
    lex_attr_getters = {LIKE_NUM: like_num}
    tokenizer_exceptions = update_exc(BASE_EXCEPTIONS, abbreviation_exceptions("kk"))
    prefixes = ["№", *TOKENIZER_PREFIXES]
    # spaCy's lower-case class lacks the Kazakh letters, so "тармақ." would
    # keep its full stop without this rule
    suffixes = [r"(?<=[әғқңөұүһіӘҒҚҢӨҰҮҺІ])\.", *TOKENIZER_SUFFIXES]
    # 14-баптың -> 14, -, баптың (a numbered article); 1-ші, 351-п, 2022-ге stay whole
    infixes = [r"(?<=[0-9])-(?=[^\W\d_]{3,})", *TOKENIZER_INFIXES]


@registry.languages("kk")
class Kazakh(Language):
    lang = "kk"
    Defaults = KazakhDefaults


__all__ = ["Kazakh", "KazakhDefaults", "like_num"]
