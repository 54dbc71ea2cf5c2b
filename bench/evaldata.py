"""Evaluation data for search and question answering: models, loaders, doc keys.

Search judgments name documents by a language-neutral key so one set of judgments
serves both same-language runs (both versions of every act indexed) and
cross-language runs (only the other language's version indexed):

- an act is ``kzlaw-<act_code>``: both ``rus.md`` and ``kaz.md`` of its folder under
  ``corpora/kazakhstan-law/`` (the folder name ends with the act code);
- a part of a code is ``kzlaw-<act_code>/<part>``: ``rus/<part>.md`` and ``kaz/<part>.md``
  of the code's folder;
- a seed exists in one language only and keeps its path: ``seeds/ru/<name>.txt``.

`doc_key` maps any ingested path (absolute, repo-relative or corpora-relative) to
that key, so a bench scores a hit with ``doc_key(hit.document.source)``. The act keys
are the `act_key` ingestion gives documents (`ingest.mirror.act_key`).

The data lives in ``bench/data/search_queries.yaml`` and ``bench/data/qa_questions.yaml``;
``bench/data/README.md`` explains how it was written and judged.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

QueryLang = Literal["kk", "ru"]
QuestionType = Literal["when", "who", "what", "obligation"]

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPORA_DIR = REPO_ROOT / "corpora"
DATA_DIR = Path(__file__).resolve().parent / "data"
QUERIES_FILE = DATA_DIR / "search_queries.yaml"
QUESTIONS_FILE = DATA_DIR / "qa_questions.yaml"

LANGS: tuple[QueryLang, ...] = ("kk", "ru")
ACT_SUFFIX = ".md"


class EvalDataError(ValueError):
    """An evaluation file is missing, malformed or names something that does not exist."""


# ---------------------------------------------------------------- document keys


def _parts(source_path: str | Path) -> list[str]:
    text = str(source_path)
    # Windows paths arrive from uploads and other machines; normalise before splitting.
    path = PureWindowsPath(text) if "\\" in text else PurePosixPath(text)
    return [p for p in path.parts if p not in ("", ".", "/", "\\")]


MIRROR = "kazakhstan-law"
MIRROR_LANGS = {"rus": "ru", "kaz": "kk"}
_ACT_FOLDER = re.compile(r"-(\d{3,})$")
_KEY = re.compile(r"^kzlaw-(\d+)(?:/([^/\\]+))?$")


def doc_key(source_path: str | Path) -> str:
    """Language-neutral key of a corpus document.

    >>> doc_key("/w/corpora/kazakhstan-law/government/06-government/103-pravitelstvo/2022/0711-o-r-169752/kaz.md")
    'kzlaw-169752'
    >>> doc_key("kazakhstan-law/codes/02-codes/2021/0102-e-151312/rus/ecocode-2021-ch21-ozone-layer.md")
    'kzlaw-151312/ecocode-2021-ch21-ozone-layer'
    >>> doc_key("corpora/seeds/ru/almaty-bat-press-release.txt")
    'seeds/ru/almaty-bat-press-release.txt'
    >>> doc_key("kzlaw-169752")  # already a key
    'kzlaw-169752'
    """
    text = str(source_path)
    if _KEY.match(text):
        return text
    parts = _parts(source_path)
    if MIRROR in parts:
        rest = parts[max(i for i, p in enumerate(parts) if p == MIRROR) + 1 :]
        if len(rest) >= 3 and rest[-1].endswith(ACT_SUFFIX):
            if rest[-1][: -len(ACT_SUFFIX)] in MIRROR_LANGS:  # <act folder>/rus.md
                m = _ACT_FOLDER.search(rest[-2])
                if m:
                    return f"kzlaw-{m.group(1)}"
            elif rest[-2] in MIRROR_LANGS:  # <code folder>/rus/<part>.md
                m = _ACT_FOLDER.search(rest[-3])
                if m:
                    return f"kzlaw-{m.group(1)}/{rest[-1][: -len(ACT_SUFFIX)]}"
        raise ValueError(
            f"{source_path}: expected kazakhstan-law/.../<folder>-<code>/(rus|kaz).md "
            "or .../<folder>-<code>/(rus|kaz)/<part>.md"
        )
    anchor = max((i for i, p in enumerate(parts) if p == "seeds"), default=None)
    if anchor is None:
        raise ValueError(f"{source_path}: not a corpus path (no 'kazakhstan-law/' or 'seeds/' component)")
    rest = parts[anchor + 1 :]
    if len(rest) == 2 and rest[0] in LANGS and rest[1]:
        return f"seeds/{rest[0]}/{rest[1]}"
    raise ValueError(f"{source_path}: expected seeds/<kk|ru>/<file>")


def is_act(key: str) -> bool:
    return key.startswith("kzlaw-")


def act_files(corpora_dir: Path | None = None) -> dict[str, dict[str, Path]]:
    """Every act (and code part) under corpora/kazakhstan-law/: key -> {lang: file}."""
    root = (corpora_dir or CORPORA_DIR) / MIRROR
    out: dict[str, dict[str, Path]] = {}
    for path in sorted(root.rglob(f"*{ACT_SUFFIX}")):
        try:
            key = doc_key(path)
        except ValueError:
            continue  # README.md and other files outside the layout
        lang = MIRROR_LANGS.get(path.stem) or MIRROR_LANGS.get(path.parent.name)
        if lang:
            out.setdefault(key, {})[lang] = path
    return out


def doc_files(key: str, corpora_dir: Path | None = None) -> dict[str, Path]:
    """The files a key stands for, by language (both languages for an act, one for a seed)."""
    root = corpora_dir or CORPORA_DIR
    if doc_key(key) != key:
        raise ValueError(f"{key}: not a document key (expected e.g. {doc_key(key)!r})")
    if is_act(key):
        files = act_files(root).get(key)
        if not files:
            raise ValueError(f"{key}: no such act under {root / MIRROR}")
        return files
    _, lang, name = key.split("/", 2)
    return {lang: root / "seeds" / lang / name}


def doc_langs(key: str) -> tuple[str, ...]:
    """Languages in which the document exists."""
    return LANGS if is_act(key) else (key.split("/")[1],)


# ---------------------------------------------------------------- models


class Judgment(BaseModel):
    doc: str = Field(description="Language-neutral key: kzlaw-<act_code>[/<part>] or seeds/<lang>/<file>")
    grade: Literal[1, 2] = Field(description="2 = answers the query, 1 = partially relevant")
    passage: dict[QueryLang, str] = Field(
        default_factory=dict, description="Exact substring of the raw file in that language"
    )

    @field_validator("doc")
    @classmethod
    def _doc_is_key(cls, v: str) -> str:
        key = doc_key(v)
        if key != v:
            raise ValueError(f"{v!r} is a file path; judgments use the key {key!r}")
        return v

    @model_validator(mode="after")
    def _passage_langs(self) -> Judgment:
        missing = set(self.passage) - set(doc_langs(self.doc))
        if missing:
            raise ValueError(f"passage given in {sorted(missing)} but {self.doc} has no such version")
        if any(not s.strip() for s in self.passage.values()):
            raise ValueError("empty passage")
        return self


class SearchQuery(BaseModel):
    id: str
    lang: QueryLang
    text: str = Field(min_length=3)
    relevant: list[Judgment] = Field(min_length=1)

    @model_validator(mode="after")
    def _judgments(self) -> SearchQuery:
        docs = [j.doc for j in self.relevant]
        dup = [d for d, n in Counter(docs).items() if n > 1]
        if dup:
            raise ValueError(f"document judged twice: {dup}")
        if not any(j.grade == 2 for j in self.relevant):
            raise ValueError("no document with grade 2 (every query needs an answer)")
        return self

    def grades(self) -> dict[str, int]:
        """Document key -> grade, the qrels of this query."""
        return {j.doc: j.grade for j in self.relevant}


class QAQuestion(BaseModel):
    id: str
    lang: QueryLang
    type: QuestionType
    text: str = Field(min_length=3)
    doc: str = Field(description="Corpora-relative file holding the answer span")
    answer: str = Field("", description="Empty only for an unanswerable (near-miss) question")
    answer_alt: list[str] = Field(default_factory=list)
    # QA set v2 (bench/data/qa_questions_v2.yaml): the act's split, near-miss questions
    # (`answerable: false`: the right response is a refusal) and list items.
    # blind3: the v3 set (bench/data/qa_questions_v3.yaml), run once by the lead; blind4: the v4 set;
    # blind5: the v5 set (bench/data/qa_questions_v5.yaml), likewise;
    # dev5: bench/data/qa_questions_dev5.yaml, development questions written before their first run.
    split: Literal["dev", "blind", "blind3", "blind4", "blind5", "dev5"] = "dev"
    answerable: bool = True
    items: list[str] = Field(default_factory=list)
    why: str | None = None

    @field_validator("doc")
    @classmethod
    def _doc_is_file(cls, v: str) -> str:
        key = doc_key(v)  # raises on paths outside the corpus
        if is_act(key) and not v.endswith(ACT_SUFFIX):
            raise ValueError(f"{v!r}: give the act file in one language, e.g. kazakhstan-law/.../rus.md")
        if v.startswith(("/", "corpora/")):
            raise ValueError(f"{v!r}: give the path relative to corpora/")
        return v

    @model_validator(mode="after")
    def _answer_when_answerable(self) -> QAQuestion:
        if self.answerable and not self.answer:
            raise ValueError("an answerable question needs `answer`")
        return self

    @property
    def answers(self) -> list[str]:
        """The expected span and its accepted alternatives."""
        return [self.answer, *self.answer_alt]

    @property
    def doc_lang(self) -> str:
        path = PurePosixPath(self.doc)
        if is_act(doc_key(self.doc)):  # .../rus.md, .../kaz/<part>.md
            return MIRROR_LANGS.get(path.stem) or MIRROR_LANGS[path.parent.name]
        return path.parts[1]

    @property
    def cross_language(self) -> bool:
        return self.doc_lang != self.lang

    @property
    def key(self) -> str:
        return doc_key(self.doc)


# ---------------------------------------------------------------- loading


def _load_list(path: Path, model: type[BaseModel]) -> list:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise EvalDataError(f"{path}: file not found") from e
    except yaml.YAMLError as e:
        raise EvalDataError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(raw, list):
        raise EvalDataError(f"{path}: expected a list of items, got {type(raw).__name__}")
    items, seen = [], set()
    for i, entry in enumerate(raw):
        label = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
        try:
            item = model.model_validate(entry)
        except ValidationError as e:
            raise EvalDataError(f"{path}: item {label}: {e}") from e
        if item.id in seen:
            raise EvalDataError(f"{path}: item {label}: duplicate id")
        seen.add(item.id)
        items.append(item)
    return items


def load_queries(path: Path | str | None = None) -> list[SearchQuery]:
    """The search queries with their graded relevance judgments."""
    return _load_list(Path(path) if path else QUERIES_FILE, SearchQuery)


def load_act_queries(path: Path | str, split: str | None = None) -> list[SearchQuery]:
    """Act-level questions (bench/data/act_queries.yaml: `queries` judged by act folder and
    act_code, each with a `split`) as SearchQuery items judged by kzlaw-<act_code> keys."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise EvalDataError(f"{path}: cannot read ({e})") from e
    if not isinstance(raw, dict) or not isinstance(raw.get("queries"), list):
        raise EvalDataError(f"{path}: expected a mapping with a `queries` list")
    out = []
    for q in raw["queries"]:
        if split and q.get("split") != split:
            continue
        relevant = [{"doc": f"kzlaw-{r['act_code']}", "grade": r["grade"]} for r in q["relevant"]]
        out.append(SearchQuery(id=q["id"], lang=q["lang"], text=q["text"], relevant=relevant))
    return out


def load_questions(path: Path | str | None = None) -> list[QAQuestion]:
    """The QA questions with their expected answer spans."""
    return _load_list(Path(path) if path else QUESTIONS_FILE, QAQuestion)


# ---------------------------------------------------------------- summary


def summary(queries: list[SearchQuery] | None = None, questions: list[QAQuestion] | None = None) -> str:
    """A plain-text table of what the evaluation sets contain."""
    queries = load_queries() if queries is None else queries
    questions = load_questions() if questions is None else questions
    lines = ["set        lang  items  multi-doc  cross-lang"]
    for lang in LANGS:
        qs = [q for q in queries if q.lang == lang]
        multi = sum(sum(j.grade == 2 for j in q.relevant) >= 2 for q in qs)
        lines.append(f"search     {lang:4}  {len(qs):5}  {multi:9}  {'-':>10}")
    for lang in LANGS:
        qs = [q for q in questions if q.lang == lang]
        cross = sum(q.cross_language for q in qs)
        lines.append(f"qa         {lang:4}  {len(qs):5}  {'-':>9}  {cross:10}")
    types = Counter(q.type for q in questions)
    lines.append("qa types: " + ", ".join(f"{t}={n}" for t, n in sorted(types.items())))
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary())
