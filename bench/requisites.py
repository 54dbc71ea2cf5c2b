"""Requisites benchmark: kind, date, number, issuer and status of every shipped act with a
meta.yaml, read (a) from its official requisite line alone and (b) from its texts alone
(rus and kaz files parsed with no sidecar).

    .venv/bin/python bench/requisites.py            # writes bench/results/requisites.md
    .venv/bin/python bench/requisites.py --no-write

The answer key is meta.yaml's other fields (approved_on; form/type_codes with approved_by
for the kind) and, for number, issuer and status, tests/data/requisites_gold.yaml (read by
hand from the requisite lines), else the line read plainly — the same key as
tests/test_requisites.py. Issuers are compared on 5-letter word stems, so the text's
nominative "Правительство Республики Казахстан" matches the line's genitive
"Правительства ..."; Kazakh texts name the issuer in Kazakh, which the Russian key cannot
judge, so their issuer column counts only how often one is stated. A code's parts are
files of one act: each is scored against the code's requisites.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from ingest import mirror, parse_bytes  # noqa: E402
from ingest.requisites import parse_requisite  # noqa: E402
from test_requisites import FIELDS, expected_from_meta  # noqa: E402

CORPORA = REPO / "corpora"
OUT = REPO / "bench" / "results" / "requisites.md"


def _stems(text: str | None) -> tuple[str, ...] | None:
    return tuple(w[:5] for w in re.findall(r"\w+", text.lower())) if text else None


def _same(field: str, got, want) -> bool:
    if field == "issuer":
        return _stems(got) == _stems(want)
    return got == want


def run() -> tuple[dict, int, dict[str, int], list[str]]:
    """Scores: {source: {field: (right, stated)}}; number of acts; files per language; misses."""
    scores: dict[str, dict[str, list[int]]] = {
        s: {f: [0, 0] for f in FIELDS} for s in ("line", "text ru", "text kk")
    }
    files = {"ru": 0, "kk": 0}
    misses: list[str] = []
    acts = [a for a in mirror.discover(CORPORA / "kazakhstan-law") if a.sidecar]
    metas = {a.sidecar for a in acts}
    for meta_path in sorted(metas):
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        want = expected_from_meta(meta)
        got = parse_requisite(meta["requisite"])
        for f in FIELDS:
            value = getattr(got, f)
            ok = _same(f, value, want[f])
            scores["line"][f][0] += ok
            scores["line"][f][1] += value not in (None, "unknown")
            if not ok:
                misses.append(f"line {meta['act_code']}: {f} {value!r} != {want[f]!r}")
        for act in (a for a in acts if a.sidecar == meta_path):
            for lang, path in sorted(act.files.items()):
                files[lang] += 1
                doc = parse_bytes(path.read_bytes(), path.name)  # no sidecar: the text alone
                req = doc.requisites
                for f in FIELDS:
                    value = getattr(req, f) if req else None
                    stated = value not in (None, "unknown")
                    key = f"text {lang}"
                    scores[key][f][1] += stated
                    if f == "issuer" and lang == "kk":
                        continue  # a Kazakh name: the Russian key cannot judge it
                    scores[key][f][0] += _same(f, value, want[f])
    return scores, len(metas), files, misses


def table(scores: dict, n_acts: int, files: dict[str, int]) -> list[str]:
    totals = {"line": n_acts, "text ru": files["ru"], "text kk": files["kk"]}
    lines = [
        f"| field | requisite line ({n_acts} acts) | text alone, rus ({files['ru']} files) "
        f"| text alone, kaz ({files['kk']} files) |",
        "|---|---|---|---|",
    ]
    for f in FIELDS:
        cells = []
        for source in ("line", "text ru", "text kk"):
            right, stated = scores[source][f]
            n = totals[source]
            if f == "issuer" and source == "text kk":
                cells.append(f"n/a (stated {stated}/{n})")
            else:
                cells.append(f"{right / n:.2f} ({right}/{n}; stated {stated})")
        lines.append(f"| {f} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    scores, n_acts, files, misses = run()
    lines = [
        "# Requisites benchmark",
        "",
        f"Machine: {platform.machine()}, 2 cores (shared box), Python {platform.python_version()}; "
        f"date {dt.date.today().isoformat()}. Reproduce: `.venv/bin/python bench/requisites.py`.",
        "",
        "Accuracy per field: right / all (and how often the source states the field at all).",
        "A text alone rarely states its own requisites: the mirrors' texts open with the title, so",
        "date and number come only from an appendix label or a repeal note, and a text never says",
        "an act is in force (status stays unknown, counted wrong here).",
        "",
        *table(scores, n_acts, files),
        "",
        *(f"- miss: {m}" for m in misses),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        OUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
