"""Optional written answers from an OpenAI-compatible chat endpoint (`KB_LLM_URL`).

The model sees only the retrieved passages, numbered, and must cite them as [n].
Citation numbers that point at no given passage are dropped from the text and
reported in `Answer.reason`: a citation the user cannot follow is worse than none.
Each kept citation quotes its whole passage at the passage's offsets, so it can be
checked against the document like an extractive one.

The extractive answerer stays in charge where a written answer cannot help: a
question in neither Kazakh nor Russian, nothing retrieved, or an endpoint that
fails (its answer is returned with the failure noted in `reason`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from kb.config import Settings
from kb.langid import detect
from kb.models import Answer, Citation, Hit

_CITE = re.compile(r"\[(\d{1,3})\]")
_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)

SYSTEM = (
    "You answer questions about Kazakhstan's environmental regulation using ONLY the numbered passages "
    "given. Cite every statement with the passage number in square brackets, e.g. [2]. Answer in the "
    "language of the question (Kazakh or Russian). If the passages do not answer the question, say so "
    "and cite nothing."
)


def _prompt(question: str, hits: list[Hit]) -> str:
    parts = []
    for n, hit in enumerate(hits, 1):
        where = f"{hit.document.title}" + (f" — {hit.block_path}" if hit.block_path else "")
        parts.append(f"[{n}] ({where})\n{hit.text}")
    return "Passages:\n\n" + "\n\n".join(parts) + f"\n\nQuestion: {question}"


def _with_note(answer: Answer, note: str) -> Answer:
    """The extractive answer, marked as a fallback (`notes`: the interface says so in its language)."""
    answer.reason = f"{answer.reason}; {note}" if answer.reason else note
    if "generator_failed" not in answer.notes:
        answer.notes.append("generator_failed")
    return answer


def generate_answer(
    question: str, hits: list[Hit], settings: Settings, fallback: Callable[[], Answer]
) -> Answer:
    if not _CYRILLIC.search(question) or not hits:
        return fallback()
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    body = {
        "model": settings.llm_model,
        "temperature": 0,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": _prompt(question, hits)}],
    }
    try:
        resp = httpx.post(settings.llm_url, json=body, headers=headers, timeout=settings.llm_timeout_s)
        resp.raise_for_status()
        text = resp.json()["choices"][0]["message"]["content"].strip()
    except Exception as e:  # noqa: BLE001 -- any failure of the endpoint means the extractive answer, never a 500
        return _with_note(
            fallback(), f"generator at {settings.llm_url} failed ({type(e).__name__}: {e}); extractive answer given"
        )
    if not text:
        return _with_note(fallback(), f"generator at {settings.llm_url} returned an empty answer; extractive answer given")

    cited = [int(n) for n in _CITE.findall(text)]
    unknown = sorted({n for n in cited if not 1 <= n <= len(hits)})
    if unknown:
        text = _CITE.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(hits) else "", text)
        text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    valid = sorted({n for n in cited if 1 <= n <= len(hits)})
    citations = [
        Citation(
            n=n, doc_id=hits[n - 1].document.id, title=hits[n - 1].document.title,
            source=hits[n - 1].document.source, block_path=hits[n - 1].block_path, page=hits[n - 1].page,
            start=hits[n - 1].start, end=hits[n - 1].end, quote=hits[n - 1].text,
        )
        for n in valid
    ]
    notes = ["written by the generator from the numbered passages"]
    if unknown:
        notes.append(f"dropped citations to unknown passages: {', '.join(map(str, unknown))} "
                     f"(only {len(hits)} passages were given)")
    if not citations:
        notes.append("the generated answer cites no passage, so it is not treated as an answer")
    qlang = detect(question)
    lang = detect(text) if text else qlang
    return Answer(
        question=question, answered=bool(citations), answer=text, answer_lang=lang,
        source_lang_marked=lang != qlang and qlang in ("kk", "ru") and lang in ("kk", "ru"),
        citations=citations, confidence=0.6 if citations else 0.2, confidence_level="medium" if citations else "low",
        passages=hits, reason="; ".join(notes),
    )
