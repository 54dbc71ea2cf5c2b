"""OCR of page images with Tesseract (the `tesseract` binary, run as a subprocess).

The binary is called directly rather than through a wrapper: one command line, a timeout
per page (`subprocess.run(timeout=...)` kills a page that hangs), and nothing to pin.
Debian packages it with its language data: tesseract-ocr, tesseract-ocr-kaz, tesseract-ocr-rus.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-kaz tesseract-ocr-rus"


class OcrUnavailable(Exception):
    """Tesseract, or every language asked for, is missing on this machine."""


class OcrFailed(Exception):
    """OCR of one page failed or timed out; str() says why."""


def _binary() -> str | None:
    return shutil.which("tesseract")


@lru_cache(maxsize=1)
def _installed_langs(binary: str) -> frozenset[str]:
    try:
        out = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = (out.stdout + "\n" + out.stderr).splitlines()
    # the first line is "List of available languages in ...": the codes follow, one a line
    return frozenset(ln.strip() for ln in lines if ln.strip() and " " not in ln.strip())


def languages(wanted: str) -> tuple[str, list[str]]:
    """(the `-l` argument Tesseract gets, the wanted languages this machine lacks).
    Raises OcrUnavailable, naming what to install, without the binary or any wanted language."""
    codes = [c for c in wanted.replace(",", "+").split("+") if c.strip()]
    binary = _binary()
    if binary is None:
        raise OcrUnavailable(
            f"OCR needs tesseract-ocr with the {_packs(codes)} language data ({INSTALL_HINT})"
        )
    have = _installed_langs(binary)
    usable = [c for c in codes if c in have]
    missing = [c for c in codes if c not in have]
    if not usable:
        raise OcrUnavailable(
            f"OCR needs Tesseract's {_packs(codes)} language data, missing here ({INSTALL_HINT})"
        )
    return "+".join(usable), missing


def _packs(codes: list[str]) -> str:
    return ", ".join(f"tesseract-ocr-{c}" for c in codes) or "(no language given)"


def ocr_png(png: bytes, langs: str, timeout_s: float, dpi: int) -> str:
    """The text Tesseract reads in one PNG image. Raises OcrFailed (timeout, crash, bad image)."""
    binary = _binary()
    if binary is None:
        raise OcrUnavailable(f"OCR needs tesseract-ocr ({INSTALL_HINT})")
    # One thread per page: parsing runs several files at once on few cores.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        out = subprocess.run(
            [binary, "stdin", "stdout", "-l", langs, "--dpi", str(dpi), "--psm", "3"],
            input=png,
            capture_output=True,
            timeout=timeout_s if timeout_s and timeout_s > 0 else None,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OcrFailed(f"timed out after {timeout_s:g} s (KB_OCR_PAGE_TIMEOUT_S)") from None
    except OSError as e:
        raise OcrFailed(f"tesseract could not run ({e})") from e
    if out.returncode != 0:
        tail = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrFailed(f"tesseract exit {out.returncode}: {(tail[-1] if tail else 'no message')[:160]}")
    return out.stdout.decode("utf-8", "replace")
