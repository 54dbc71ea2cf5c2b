"""ingest/ stands alone: importing any of its modules pulls in nothing from kb/."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import ingest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(["ingest"] + [f"ingest.{m.name}" for m in pkgutil.walk_packages(ingest.__path__)])

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m == "kb" or m.startswith("kb."))))
"""


def _kb_modules_after_import(module: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, f"importing {module} failed:\n{out.stderr}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_ingest_module_is_listed():
    # the readers, the mirror layout, sidecars and requisites are all covered below
    assert {"ingest.parse", "ingest.mirror", "ingest.sidecar", "ingest.requisites", "ingest.models",
            "ingest.langid", "ingest.read_markdown", "ingest.data"} <= set(MODULES)


def test_no_ingest_module_imports_kb():
    # one fresh interpreter per module: an import hidden in any of them would show up
    leaks = {m: kb for m in MODULES if (kb := _kb_modules_after_import(m))}
    assert not leaks, f"ingest modules importing kb: {leaks}"


def test_parsing_a_mirror_act_imports_no_kb(tmp_path):
    act = tmp_path / "government" / "2023" / "0201-x-178481"
    act.mkdir(parents=True)
    (act / "rus.md").write_text("# Об уменьшении площади заказника\n\n1. Уменьшить площадь.\n", encoding="utf-8")
    (act / "meta.yaml").write_text("act_code: '178481'\nrequisite: Постановление Правительства "
                                   "Республики Казахстан от 1 февраля 2023 года № 69\n", encoding="utf-8")
    code = (
        "import sys, ingest\n"
        f"doc = ingest.parse_file({str(act / 'rus.md')!r})\n"
        "assert doc.requisites.number == '69', doc.requisites\n"
        "print(sorted(m for m in sys.modules if m == 'kb' or m.startswith('kb.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_kb_models_reexports_the_ingest_records():
    import ingest.models as im
    import kb.models as km

    for name in ("Document", "Block", "Entity", "Obligation", "ActRequisites", "Registration", "LangPair"):
        assert getattr(km, name) is getattr(im, name), name
