"""Scale benchmark (issue 13, item 5): the knowledge base grown to 10,000 documents and
1,000,000 passages, against the baseline a user could assemble in an afternoon.

What runs, in one process and in this order (progress bars with an ETA throughout):

1. **The real corpus** (corpora/) is ingested with `KnowledgeBase.ingest` (parse, entities,
   obligations, embedding with the default backend, index): the relevant documents of the
   query set. Timed, but not the throughput figure.
2. **Units**: sentences of those stored documents, 8-60 words, none containing a judged answer
   passage of bench/data/search_queries.yaml (so generated documents never carry an answer),
   `--units` of them per language, embedded ONCE with the same model and backend.
3. **Real ingest throughput**: `--sample` generated files (Markdown acts, every 5th a PDF)
   written to disk and ingested with `KnowledgeBase.ingest`, the shipped pipeline end to end
   (parse + extract + embed + index, the default backend): files/s, pages/s, passages/s and
   per CPU-second (this process and its parse workers), peak RAM, disk. Then the embedding
   speed-up: the default backend vs `KB_EMBED_BACKEND=torch` on the same 200 of those passages,
   taking turns, best CPU time of 2.
4. **Growth to each size** (`--sizes`, default 10k, 100k, 1M passages): generated documents
   (stitched from 3-6 units of different real documents, same language; 20-180 passages a
   document) are stored in the document store (real Document records, act links) and their
   passages upserted into the index with
     - dense vector = the normalised mean of their units' real embeddings (a stand-in: embedding
       1M passages with the real model is ~16 h of CPU here; the mean's cosine to the real
       embedding of the stitched text is measured on 100 passages and reported);
     - sparse vector = real BM25 weights of the generated text (kb.lang.terms analysis, the
       formula of kb.index.sparse);
     - payload = kb.indexer.passage_payload, as the indexer writes it.
   Then: upsert time, `optimize()` (HNSW) time, disk, peak RAM; `POST /api/v1/search` over HTTP
   (uvicorn serving `api.app:create_app(kb)` on 127.0.0.1, query embedding included, the 90
   queries, default request) p50/p95 and nDCG@10 before optimize (first `--pre-queries`) and
   after; and the **baseline**: bm25s (Snowball stemming via PyStemmer: russian for ru; Kazakh
   has no Snowball stemmer, so kk tokens are not stemmed) + brute-force numpy cosine over the
   same vectors, fused by RRF (k=60), timed in process with the query embedding included.

    .venv/bin/python bench/scale.py                          # full run, writes bench/results/scale.md
    .venv/bin/python bench/scale.py --sizes 2000 --sample 20 --no-write    # smoke run (~3 min)

Data lives under bench/out/scale* (git-ignored); each run starts from an empty knowledge base.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

RRF_K = 60
GENRES = ["decision", "plan", "law", "order", "report", "news", "press_release"]
_SENT = re.compile(r"(?<=[.!?;])\s+|\n+")
_WORD = re.compile(r"\w+", re.UNICODE)
PAGE_CHARS = 1800  # a "page" of a text file: a typical printed page of an act


# ---------------------------------------------------------------------- pure functions


def split_sentences(text: str, min_words: int = 8, max_words: int = 60) -> list[str]:
    """Sentences of running text with `min_words`..`max_words` words (headings and list stubs out)."""
    out = []
    for s in _SENT.split(text):
        s = " ".join(s.split())
        if min_words <= len(_WORD.findall(s)) <= max_words:
            out.append(s)
    return out


@dataclass
class GenDoc:
    """A generated document: passages, each a list of unit indices (into one language's units)."""

    index: int
    lang: str
    genre: str
    title: str
    date: dt.date
    passages: list[list[int]] = field(default_factory=list)


def generate_doc(index: int, units_by_lang: dict[str, list[int]], source_of: list[int], seed: int,
                 passages: tuple[int, int] = (20, 180), per_passage: tuple[int, int] = (3, 6)) -> GenDoc:
    """The `index`-th generated document, the same for the same arguments (its own RNG).

    Languages alternate (odd: kk, even: ru); each passage stitches `per_passage` units drawn
    from different source documents where it can (so a passage mixes acts)."""
    rng = random.Random(seed * 1_000_003 + index)
    lang = "kk" if index % 2 else "ru"
    pool = units_by_lang[lang]
    doc = GenDoc(
        index=index, lang=lang, genre=rng.choice(GENRES),
        title="",
        date=dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9300)),
    )
    for _ in range(rng.randint(*passages)):
        k = rng.randint(*per_passage)
        picked: list[int] = []
        sources: set[int] = set()
        for _ in range(4 * k):
            u = pool[rng.randrange(len(pool))]
            if source_of[u] not in sources or len(sources) >= k:
                picked.append(u)
                sources.add(source_of[u])
            if len(picked) == k:
                break
        doc.passages.append(picked)
    head = {"kk": "Жинақ", "ru": "Сборник"}[lang]
    doc.title = f"{head} № {index}: {doc.genre} {doc.date.year}"
    return doc


def rrf(rankings: list[list[str]], k: int = RRF_K) -> list[str]:
    """Reciprocal-rank fusion: ids by the sum of 1/(k + rank) over the lists (rank from 1);
    ties keep the order of first appearance."""
    score: dict[str, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking, start=1):
            score[pid] = score.get(pid, 0.0) + 1.0 / (k + rank)
    return sorted(score, key=lambda pid: -score[pid])


def first_unique(keys: list[str], n: int) -> list[str]:
    """The first `n` distinct keys, in order (passages folded into their documents)."""
    out: list[str] = []
    for key in keys:
        if key not in out:
            out.append(key)
            if len(out) == n:
                break
    return out


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gain (the grade) and log2 discount: what ranx's "ndcg" computes."""
    dcg = sum(grades.get(key, 0) / math.log2(i + 2) for i, key in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def source_key(source: str) -> str:
    """The judgments' key of a stored document's source; generated documents get their own."""
    from bench.evaldata import doc_key

    try:
        return doc_key(source)
    except ValueError:
        return "gen:" + source


# ---------------------------------------------------------------------- measuring


def cpu_s() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def reset_peak_rss() -> None:
    """Linux: start VmHWM (peak RSS) afresh, so each stage reports its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def du_mib(path: Path) -> float:
    """Allocated bytes (the engine preallocates sparse files)."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file()) / 2**20


def log(msg: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {msg}", flush=True)


def bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, mininterval=10 if not sys.stderr.isatty() else 0.5, unit_scale=True)


# ---------------------------------------------------------------------- the baseline


class Baseline:
    """bm25s over PyStemmer-stemmed tokens + brute-force cosine in numpy, fused by RRF."""

    STEMMERS = {"ru": "russian"}  # Snowball has no Kazakh (nor any Cyrillic Turkic) algorithm

    def __init__(self):
        import Stemmer

        self.stemmers = {lang: Stemmer.Stemmer(alg) for lang, alg in self.STEMMERS.items()}
        self.vocab: dict[str, int] = {}

    def tokens(self, text: str, lang: str) -> list[str]:
        words = _WORD.findall(text.lower())
        stem = self.stemmers.get(lang)
        return stem.stemWords(words) if stem else words

    def ids(self, text: str, lang: str) -> list[int]:
        vocab = self.vocab
        return [vocab.setdefault(t, len(vocab)) for t in self.tokens(text, lang)]

    def build(self, token_ids: list[list[int]], vectors: np.ndarray, keys: list[str]) -> float:
        import bm25s
        from bm25s.tokenization import Tokenized

        t = time.perf_counter()
        self.bm25 = bm25s.BM25()
        self.bm25.index(Tokenized(ids=token_ids, vocab=dict(self.vocab)), show_progress=False)
        self.vectors = vectors
        self.keys = keys
        return time.perf_counter() - t

    def search(self, embed, q: str, lang: str, depth: int = 100, k: int = 10) -> list[str]:
        qv = np.asarray(embed(q), dtype=np.float32)
        sims = self.vectors @ qv
        top = np.argpartition(-sims, depth)[:depth]
        dense = [str(i) for i in top[np.argsort(-sims[top])]]
        toks = [t for t in self.tokens(q, lang) if t in self.bm25.vocab_dict]
        lexical: list[str] = []
        if toks:
            # get_scores + argpartition: bm25s.retrieve() starts a thread pool per call (~50 ms)
            scores = self.bm25.get_scores(toks)
            top = np.argpartition(-scores, depth)[:depth]
            lexical = [str(i) for i in top[np.argsort(-scores[top])] if scores[i] > 0]
        fused = rrf([dense, lexical])
        return first_unique([self.keys[int(i)] for i in fused], k)


# ---------------------------------------------------------------------- the knowledge base


class Scale:
    def __init__(self, args):
        from kb.config import Settings

        self.args = args
        self.out = args.out_dir
        self.data = self.out / "kb"
        self.settings = Settings(data_dir=self.data, corpora_dir=ROOT / "corpora")
        self.rows: dict = {"sizes": []}
        self.baseline = Baseline()
        # per passage of the index, in the baseline's order: token ids, vector, judgments key
        self.tok: list[list[int]] = []
        self.vec_chunks: list[np.ndarray] = []
        self.keys: list[str] = []
        self.next_doc = 0
        self.seen: set[str] = set()  # point ids of real passages already in the baseline

    def kb(self):
        from kb.service import KnowledgeBase

        return KnowledgeBase(self.settings)

    # -- 1 + 3: the real pipeline -------------------------------------------------
    def ingest(self, kb, paths: list[Path], desc: str) -> dict:
        done_bar = None

        def progress(done: int, total: int, result) -> None:
            nonlocal done_bar
            if done_bar is None:
                done_bar = bar(total, desc)
            done_bar.update(1)

        n0 = kb.index.count()
        reset_peak_rss()
        t, c = time.perf_counter(), cpu_s()
        report = kb.ingest(paths, progress=progress)
        wall, cpu = time.perf_counter() - t, cpu_s() - c
        if done_bar is not None:
            done_bar.close()
        ids = [f.doc_id for f in report.files if f.status in ("added", "updated") and f.doc_id]
        pages = 0.0
        for doc_id in ids:
            doc = kb.docs.get(doc_id)
            pages += doc.pages if doc.meta.get("format") == "pdf" and doc.pages else len(doc.text) / PAGE_CHARS
        return dict(files=len(ids), failed=report.count("failed"), passages=kb.index.count() - n0, pages=pages,
                    wall_s=wall, cpu_s=cpu, peak_rss_mib=peak_rss_mib())

    def write_sample(self, units, source_of, by_lang, n: int) -> Path:
        from fpdf import FPDF

        from ingest_samples import font_path

        folder = self.out / "sample"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i in range(n):
            g = generate_doc(10**6 + i, by_lang, source_of, self.args.seed, passages=(4, 10), per_passage=(2, 4))
            head = {"kk": "{n}-бап.", "ru": "Статья {n}."}[g.lang]
            paras = [" ".join(units[u] for u in p) for p in g.passages]
            if i % 5 == 4:
                pdf = FPDF()
                pdf.add_font("DejaVu", "", font_path())
                pdf.set_font("DejaVu", size=11)
                pdf.add_page()
                pdf.multi_cell(0, 7, g.title, new_x="LMARGIN", new_y="NEXT")
                for j, para in enumerate(paras, 1):
                    pdf.multi_cell(0, 6, f"{head.format(n=j)} {para}", new_x="LMARGIN", new_y="NEXT")
                    pdf.ln(3)
                (folder / f"gen-{i:04d}.pdf").write_bytes(bytes(pdf.output()))
            else:
                body = "\n\n".join(f"## {head.format(n=j)}\n\n{para}" for j, para in enumerate(paras, 1))
                (folder / f"gen-{i:04d}.md").write_text(f"# {g.title}\n\n{body}\n", encoding="utf-8")
        return folder

    def embed_speedup(self, kb, sample: Path) -> dict:
        """Default backend vs torch on the same 200 passages the sample ingest embedded."""
        from bench.embed import time_pass
        from kb.chunking import chunk_document
        from kb.embeddings import ensure_model
        from kb.embeddings.embedder import Embedder
        from kb.indexer import embed_text

        count = kb.ingest_embedder.count_tokens
        texts = []
        for doc in kb.docs:
            if str(sample) in doc.source:
                texts += [embed_text(p) for p in chunk_document(doc, count=count)]
        step = max(1, len(texts) // 200)
        texts = texts[::step][:200]
        path = ensure_model(self.settings).resolve()
        embs = {name: Embedder(path, torch_threads=self.settings.torch_threads, backend=name)
                for name in (self.settings.embed_backend, "torch")}
        best = {name: math.inf for name in embs}
        for name, e in embs.items():
            e.encode_passages(texts[:16], batch_size=16)
        for r in range(2):
            for name, e in embs.items():  # taking turns: the neighbours' load hits both alike
                _, c, _ = time_pass(lambda xs, e=e: e.encode_passages(xs, batch_size=self.settings.embed_batch_size), texts)
                best[name] = min(best[name], c)
                log(f"  embed pass {r + 1}: {name} {len(texts) / c:.1f} passages/CPU-s")
        default = self.settings.embed_backend
        detail = embs[default].backend_detail
        ntok = np.mean([count(t) for t in texts])
        return dict(passages=len(texts), mean_tokens=float(ntok), backend=detail,
                    default_pps=len(texts) / best[default], torch_pps=len(texts) / best["torch"],
                    ratio=best["torch"] / best[default])

    # -- 2: units ------------------------------------------------------------------
    def units(self, kb):
        from bench.evaldata import load_queries
        from kb.lang import terms

        queries = load_queries()
        answers = [s for q in queries for j in q.relevant for s in j.passage.values()]
        judged = {j.doc for q in queries for j in q.relevant}
        found: dict[str, list[tuple[str, int]]] = {"kk": [], "ru": []}
        for d, doc in enumerate(sorted(kb.docs, key=lambda x: x.source)):
            if doc.lang not in found or "/sample/" in doc.source or doc.source.startswith("generated/"):
                continue
            if self.args.units_from == "unjudged" and source_key(doc.source) in judged:
                continue  # a distractor must not carry the judged documents' own sentences
            for s in split_sentences(doc.text):
                if not any(a in s for a in answers):
                    found[doc.lang].append((s, d))
        units: list[str] = []
        langs: list[str] = []
        source_of: list[int] = []
        rng = random.Random(self.args.seed)
        for lang, items in found.items():
            items = list(dict.fromkeys(items))
            for s, d in rng.sample(items, min(self.args.units, len(items))):
                units.append(s)
                langs.append(lang)
                source_of.append(d)
        log(f"units: {sum(1 for x in langs if x == 'kk')} kk + {sum(1 for x in langs if x == 'ru')} ru sentences "
            f"(of {len(found['kk'])} + {len(found['ru'])}); embedding them once")
        t, c = time.perf_counter(), cpu_s()
        vecs = np.zeros((len(units), kb.ingest_embedder.dim), dtype=np.float32)
        with bar(len(units), "embed units") as b:
            for i in range(0, len(units), 64):
                vecs[i:i + 64] = kb.ingest_embedder.encode_passages(units[i:i + 64], batch_size=16)
                b.update(len(units[i:i + 64]))
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        self.rows["units"] = dict(n=len(units), wall_s=time.perf_counter() - t, cpu_s=cpu_s() - c)
        from kb.index.sparse import term_index

        unit_terms = [Counter(term_index(x) for x in terms(u, lg)) for u, lg in zip(units, langs)]
        unit_tok = [self.baseline.ids(u, lg) for u, lg in zip(units, langs)]
        by_lang = {lang: [i for i, x in enumerate(langs) if x == lang] for lang in ("kk", "ru")}
        return units, vecs, unit_terms, unit_tok, source_of, by_lang

    def standin_check(self, kb, units, vecs, source_of, by_lang, queries, n: int = 150) -> dict:
        """Calibrate and check the stand-in vectors against real embeddings of stitched passages.

        A plain mean of unit vectors is pulled towards the units' centroid: stand-ins would sit
        closer to one another and to any query than real embeddings do (hubs). So the centroid,
        times beta, is subtracted before normalising; beta is the one that makes the stand-ins' mean
        pairwise cosine equal that of the real embeddings of the same texts (no query involved).
        Reported: cosine to the real embedding, and (a check only) the mean best query score."""
        picks = [generate_doc(2 * 10**6 + i, by_lang, source_of, self.args.seed, passages=(1, 1)).passages[0]
                 for i in range(n)]
        texts = [" ".join(units[u] for u in p) for p in picks]
        real = np.asarray(kb.ingest_embedder.encode_passages(texts, batch_size=16), dtype=np.float32)
        real /= np.linalg.norm(real, axis=1, keepdims=True)
        means = np.stack([vecs[p].mean(axis=0) for p in picks])
        centroid = vecs.mean(axis=0)

        def unit(m):
            return m / np.linalg.norm(m, axis=1, keepdims=True)

        def pairwise(m):
            return float(np.mean(np.sum(m * np.roll(m, 1, axis=0), axis=1)))

        target = pairwise(real)
        beta = min(np.arange(0.0, 0.81, 0.05), key=lambda b: abs(pairwise(unit(means - b * centroid)) - target))
        self.beta, self.centroid = float(beta), centroid
        stand, plain = unit(means - beta * centroid), unit(means)
        qv = np.stack([kb.embedder.encode_queries([q.text])[0] for q in queries]).astype(np.float32)
        return dict(n=n, beta=float(beta), cos_mean=float(np.sum(real * stand, axis=1).mean()),
                    cos_min=float(np.sum(real * stand, axis=1).min()),
                    plain_cos_mean=float(np.sum(real * plain, axis=1).mean()),
                    pairwise_real=target, pairwise_stand=pairwise(stand), pairwise_plain=pairwise(plain),
                    qmax_real=float((qv @ real.T).max(axis=1).mean()), qmax_stand=float((qv @ stand.T).max(axis=1).mean()),
                    qmax_plain=float((qv @ plain.T).max(axis=1).mean()))

    # -- 4: growth -----------------------------------------------------------------
    def add_real_points(self, kb) -> None:
        """The baseline's copy of the passages the real pipeline indexed (vectors as stored),
        those not added before."""
        from bench.latency import corpus_points
        from kb.index.base import DENSE

        pts = [p for p in corpus_points(kb.index) if str(p.id) not in self.seen]
        if not pts:
            return
        pts.sort(key=lambda p: str(p.id))
        self.seen |= {str(p.id) for p in pts}
        self.vec_chunks.append(np.array([p.vector[DENSE] for p in pts], dtype=np.float32))
        for p in pts:
            self.tok.append(self.baseline.ids(p.payload["text"], p.payload.get("passage_lang") or p.payload["lang"]))
            self.keys.append(source_key(p.payload["source"]))

    def regenerate(self, target: int, have: int, units, vecs, unit_tok, source_of, by_lang) -> None:
        """The baseline's copy of the generated passages a run wrote (same seed, same order), without
        writing anything: for --resume."""
        need, added = target - have, 0
        b = bar(need, f"regenerate {need:,}")
        while added < need:
            g = generate_doc(self.next_doc, by_lang, source_of, self.args.seed)
            self.next_doc += 1
            g.passages = g.passages[: need - added]
            dense = np.stack([vecs[p].mean(axis=0) for p in g.passages]) - self.beta * self.centroid
            dense /= np.linalg.norm(dense, axis=1, keepdims=True)
            self.vec_chunks.append(dense.astype(np.float32))
            for p in g.passages:
                self.tok.append([t for u in p for t in unit_tok[u]])
                self.keys.append(f"gen:generated/{g.lang}/gen-{g.index:05d}.md")
            added += len(g.passages)
            b.update(len(g.passages))
        b.close()

    def grow(self, kb, target: int, units, vecs, unit_terms, unit_tok, source_of, by_lang) -> dict:
        from ingest.models import Document
        from kb.acts.pairing import signature
        from kb.chunking import passage_id
        from kb.index.base import IndexPoint, SparseVec
        from kb.index.sparse import AVG_LEN, B, K1
        from kb.indexer import passage_payload
        from kb.models import Passage

        have = kb.index.count()
        need = target - have
        if need <= 0:
            return dict(docs=0, points=0, gen_s=0.0, store_s=0.0, upsert_s=0.0)
        gen_s = store_s = upsert_s = 0.0
        docs = added = 0
        pending: list = []
        reset_peak_rss()
        b = bar(need, f"grow to {target:,}")
        while added < need:
            t = time.perf_counter()
            g = generate_doc(self.next_doc, by_lang, source_of, self.args.seed)
            self.next_doc += 1
            g.passages = g.passages[: need - added]
            texts = [" ".join(units[u] for u in p) for p in g.passages]
            body = g.title + "\n\n"
            spans = []
            for text in texts:
                spans.append((len(body), len(body) + len(text)))
                body += text + "\n\n"
            doc_id = "g" + hashlib.sha256(f"{self.args.seed}:{g.index}".encode()).hexdigest()[:15]
            doc = Document(
                id=doc_id, source=f"generated/{g.lang}/gen-{g.index:05d}.md", lang=g.lang, genre=g.genre,
                title=g.title, date=g.date, text=body.rstrip(), act_key=f"gen-{g.index:05d}",
                meta={"format": "md", "generated": "scale benchmark"},
            )
            dense = np.stack([vecs[p].mean(axis=0) for p in g.passages]) - self.beta * self.centroid
            dense /= np.linalg.norm(dense, axis=1, keepdims=True)
            points = []
            for n, (p, text, (start, end)) in enumerate(zip(g.passages, texts, spans)):
                counts: Counter[int] = Counter()
                for u in p:
                    counts.update(unit_terms[u])
                norm = K1 * (1.0 - B + B * sum(counts.values()) / AVG_LEN)
                idx = sorted(counts)
                sparse = SparseVec(idx, [counts[i] * (K1 + 1.0) / (counts[i] + norm) for i in idx])
                passage = Passage(id=passage_id(doc_id, n), doc_id=doc_id, number=n, text=text, start=start,
                                  end=end, lang=g.lang)
                points.append(IndexPoint(passage.id, dense[n].tolist(), sparse,
                                         passage_payload(doc, passage, act_id=doc.act_key)))
                self.tok.append([t for u in p for t in unit_tok[u]])
                self.keys.append("gen:" + doc.source)
            self.vec_chunks.append(dense.astype(np.float32))
            t1 = time.perf_counter()
            kb.docs.put(doc)
            kb._move_points(kb.acts.attach(doc, signature(doc)))
            t2 = time.perf_counter()
            pending += points
            if len(pending) >= 1000:
                kb.index.upsert(pending)
                pending = []
            t3 = time.perf_counter()
            gen_s += t1 - t
            store_s += t2 - t1
            upsert_s += t3 - t2
            docs += 1
            added += len(points)
            b.update(len(points))
        t = time.perf_counter()
        if pending:
            kb.index.upsert(pending)
        kb.index.flush()
        upsert_s += time.perf_counter() - t
        b.close()
        return dict(docs=docs, points=added, gen_s=gen_s, store_s=store_s, upsert_s=upsert_s,
                    peak_rss_mib=peak_rss_mib())

    # -- measuring search ----------------------------------------------------------
    def http(self, kb, queries, n: int | None = None) -> dict:
        from bench.latency import Server, post_json

        import http.client

        qs = queries if n is None else queries[:n]
        with Server(kb) as server:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
            lat, ndcg = [], []
            for i, q in enumerate(qs[:3] + qs):  # 3 warm-up requests
                ms, raw = post_json(conn, "/api/v1/search", {"q": q.text, "top_k": 10})
                if i >= 3:
                    lat.append(ms)
                    hits = json.loads(raw)["hits"]
                    ranked = first_unique([source_key(h["document"]["source"]) for h in hits], 10)
                    ndcg.append(ndcg_at(ranked, q.grades()))
            conn.close()
        return dict(n=len(lat), p50=pct(lat, 50), p95=pct(lat, 95), ndcg=float(np.mean(ndcg)))

    def baseline_eval(self, kb, queries) -> dict:
        vectors = np.concatenate(self.vec_chunks) if len(self.vec_chunks) > 1 else self.vec_chunks[0]
        self.vec_chunks = [vectors]
        reset_peak_rss()
        build_s = self.baseline.build(self.tok, vectors, self.keys)
        embed = lambda q: kb.embedder.encode_queries([q])[0]  # noqa: E731 - the same model and backend
        for q in queries[:3]:
            self.baseline.search(embed, q.text, q.lang)
        lat, ndcg = [], []
        for q in queries:
            t = time.perf_counter()
            ranked = self.baseline.search(embed, q.text, q.lang)
            lat.append((time.perf_counter() - t) * 1000)
            ndcg.append(ndcg_at(ranked, q.grades()))
        # numpy's default (one BLAS thread per core) thrashes on a loaded 2-core box: also one thread
        from threadpoolctl import threadpool_limits

        lat1 = []
        with threadpool_limits(1):
            for q in queries:
                t = time.perf_counter()
                self.baseline.search(embed, q.text, q.lang)
                lat1.append((time.perf_counter() - t) * 1000)
        return dict(passages=len(self.keys), build_s=build_s, p50=pct(lat, 50), p95=pct(lat, 95),
                    p50_1t=pct(lat1, 50), p95_1t=pct(lat1, 95),
                    ndcg=float(np.mean(ndcg)), peak_rss_mib=peak_rss_mib())

    def save(self) -> None:
        (self.out / "results.json").write_text(json.dumps(self.rows, indent=1, default=str), encoding="utf-8")
        if not self.args.no_write:
            write_markdown(self.rows, self.args)

    def measure_size(self, kb, row: dict, queries, prev: dict | None, pre: bool = True) -> None:
        """At one size: search before optimize, the baseline, optimize(), search after."""
        size = row["size"]
        if pre:
            row["http_before"] = self.http(kb, queries, self.args.pre_queries)
            log(f"   before optimize: {row['http_before']}")
        # the baseline needs no HNSW: measured before optimize(), which may not end in time at 1M
        row["baseline"] = self.baseline_eval(kb, queries)
        log(f"   baseline: {row['baseline']}")
        row["load_baseline"] = os.getloadavg()
        self.save()
        if prev:
            eta = prev["optimize_s"] * size / prev["size"] * math.log(size) / math.log(prev["size"])
            log(f"   optimize() started; ETA ~{eta / 60:.0f} min (the last size's time scaled by n log n)")
        else:
            log("   optimize() started")
        reset_peak_rss()
        t = time.perf_counter()
        kb.index.optimize()
        row["optimize_s"] = time.perf_counter() - t
        row["optimize_peak_rss_mib"] = peak_rss_mib()
        row["disk_mib"] = du_mib(self.data)
        row["qdrant_mib"] = du_mib(self.data / "qdrant") if (self.data / "qdrant").exists() else None
        log(f"   optimize {row['optimize_s']:.0f} s, disk {row['disk_mib']:.0f} MiB")
        self.save()
        row["http"] = self.http(kb, queries)
        row["load_http"] = os.getloadavg()
        log(f"   HTTP after optimize: {row['http']}")
        row["rss_mib"] = peak_rss_mib()
        self.save()

    def resume(self) -> None:
        """Finish the one size of a run that stopped after growing (`--resume LOG`): the knowledge base
        is reused as it is; the baseline's copy is rebuilt (corpus points from the corpus cache, the
        generated ones regenerated); growth figures are read from the stopped run's log."""
        import ast

        from bench.evaldata import load_queries

        args = self.args
        size = args.sizes[0]
        line = next(x for x in args.resume.read_text(encoding="utf-8").splitlines() if f"'size': {size}," in x)
        row = ast.literal_eval(line.split("]", 1)[1].strip())
        before = next((x for x in args.resume.read_text(encoding="utf-8").splitlines() if "before optimize:" in x), None)
        if before:
            row["http_before"] = ast.literal_eval(before.split("before optimize:", 1)[1].strip())
        row["resumed"] = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
        self.rows.update(started=row["resumed"], machine=machine(), command="python bench/scale.py " + " ".join(sys.argv[1:]))
        self.rows["sizes"].append(row)
        queries = load_queries()
        copy = self.out / "corpus-copy"
        shutil.rmtree(copy, ignore_errors=True)
        subprocess.run(["cp", "-a", "--sparse=always", str(args.corpus_cache / "kb"), str(copy)], check=True)
        from kb.config import Settings
        from kb.service import KnowledgeBase

        corpus = KnowledgeBase(Settings(data_dir=copy, corpora_dir=ROOT / "corpora"))
        units, vecs, unit_terms, unit_tok, source_of, by_lang = self.units(corpus)
        self.rows["standin"] = self.standin_check(corpus, units, vecs, source_of, by_lang, queries)
        self.add_real_points(corpus)
        corpus.close()
        del corpus
        kb = self.kb()
        self.regenerate(size, len(self.keys), units, vecs, unit_tok, source_of, by_lang)
        assert len(self.keys) == kb.index.count(), (len(self.keys), kb.index.count())
        ref = ROOT / "bench/out/scale/results.json"  # the first run's smaller sizes, for the optimize() ETA
        prev = None
        if ref.exists():
            prev = next((r for r in json.loads(ref.read_text(encoding="utf-8"))["sizes"][::-1] if "optimize_s" in r), None)
        self.measure_size(kb, row, queries, prev, pre=False)
        self.rows["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
        self.rows["load"] = os.getloadavg()
        self.save()

    # -- the run -----------------------------------------------------------------------
    def run(self) -> None:
        from bench.evaldata import load_queries

        args = self.args
        if args.resume:
            return self.resume()
        shutil.rmtree(self.out, ignore_errors=True)
        self.out.mkdir(parents=True)
        self.rows["started"] = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
        self.rows["machine"] = machine()
        self.rows["command"] = "python bench/scale.py " + " ".join(sys.argv[1:])
        queries = load_queries()
        cache = args.corpus_cache
        if cache and (cache / "corpus.json").exists():
            log(f"1. corpora/ as ingested before ({cache}, copied)")
            # cp --sparse: the engine preallocates sparse files, which a plain copy would fill
            subprocess.run(["cp", "-a", "--sparse=always", str(cache / "kb"), str(self.data)], check=True)
            self.rows["corpus"] = json.loads((cache / "corpus.json").read_text(encoding="utf-8"))
            kb = self.kb()
        else:
            kb = self.kb()
            log("1. ingesting corpora/ (the real documents)")
            self.rows["corpus"] = self.ingest(kb, [ROOT / "corpora"], "ingest corpora/")
            self.rows["corpus"]["measured"] = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
            if cache:
                kb.close()
                shutil.rmtree(cache, ignore_errors=True)
                cache.mkdir(parents=True)
                subprocess.run(["cp", "-a", "--sparse=always", str(self.data), str(cache / "kb")], check=True)
                (cache / "corpus.json").write_text(json.dumps(self.rows["corpus"]), encoding="utf-8")
        log(f"   {self.rows['corpus']}")
        self.add_real_points(kb)
        self.rows["corpus_only"] = dict(passages=kb.index.count(), documents=len(kb.docs),
                                        http=self.http(kb, queries), baseline=self.baseline_eval(kb, queries))
        log(f"   corpus only: {self.rows['corpus_only']}")
        units, vecs, unit_terms, unit_tok, source_of, by_lang = self.units(kb)
        self.rows["standin"] = self.standin_check(kb, units, vecs, source_of, by_lang, queries)
        log(f"   stand-in vectors vs real: {self.rows['standin']}")
        if args.sample:
            folder = self.write_sample(units, source_of, by_lang, args.sample)
            log(f"3. ingesting {args.sample} generated files (the real pipeline)")
            self.rows["sample"] = self.ingest(kb, [folder], "ingest sample")
            self.rows["sample"]["disk_mib"] = du_mib(self.data)
            log(f"   {self.rows['sample']}")
            self.rows["embed"] = self.embed_speedup(kb, folder)
            log(f"   {self.rows['embed']}")
            self.save()
        self.add_real_points(kb)
        prev = None
        for size in args.sizes:
            log(f"4. growing to {size:,} passages")
            row = dict(size=size)
            row["grow"] = self.grow(kb, size, units, vecs, unit_terms, unit_tok, source_of, by_lang)
            row["passages"] = kb.index.count()
            row["documents"] = len(kb.docs)
            row["disk_before_mib"] = du_mib(self.data)
            self.rows["sizes"].append(row)
            log(f"   {row}")
            self.measure_size(kb, row, queries, prev, pre=bool(args.pre_queries))
            prev = row
        self.rows["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
        self.rows["load"] = os.getloadavg()
        self.save()
        kb.close()


def validate(args) -> None:
    """Stand-in vectors against real ones at a size where embedding everything is affordable.

    Grows a knowledge base to the first of --sizes with stand-ins (no sample files), measures
    nDCG@10 in process (kb.search; no optimize, so exact search) for the default request and
    dense / lexical alone; then embeds every generated passage for real (same model, backend,
    "passage: " prefix as the indexer), rewrites those points' dense vectors, and measures again."""
    from bench.evaldata import load_queries
    from bench.latency import corpus_points
    from kb.index.base import DENSE, LEXICAL, IndexPoint, SparseVec
    from kb.models import SearchRequest

    sc = Scale(args)
    shutil.rmtree(sc.out, ignore_errors=True)
    sc.out.mkdir(parents=True)
    subprocess.run(["cp", "-a", "--sparse=always", str(args.corpus_cache / "kb"), str(sc.data)], check=True)
    queries = load_queries()
    kb = sc.kb()
    units, vecs, unit_terms, unit_tok, source_of, by_lang = sc.units(kb)
    sc.standin_check(kb, units, vecs, source_of, by_lang, queries)
    sc.grow(kb, args.sizes[0], units, vecs, unit_terms, unit_tok, source_of, by_lang)

    def measure(label: str) -> dict:
        out = {}
        for mode in ("hybrid", "dense", "lexical"):
            nd = []
            for q in queries:
                r = kb.search(SearchRequest(q=q.text, top_k=10, mode=mode))
                nd.append(ndcg_at(first_unique([source_key(h.document.source) for h in r.hits], 10), q.grades()))
            out[mode] = float(np.mean(nd))
        log(f"   {label}: {out}")
        return out

    result = {"size": kb.index.count(), "beta": sc.beta, "standin": measure("stand-in vectors")}
    gen = [p for p in corpus_points(kb.index) if p.payload["source"].startswith("generated/")]
    log(f"   embedding {len(gen):,} generated passages for real")
    t, c = time.perf_counter(), cpu_s()
    real = []
    with bar(len(gen), "embed generated") as b:
        for i in range(0, len(gen), 64):
            chunk = gen[i:i + 64]
            real += list(kb.ingest_embedder.encode_passages([p.payload["text"] for p in chunk], batch_size=16))
            b.update(len(chunk))
    result["embed_cpu_s"] = cpu_s() - c
    result["embed_wall_s"] = time.perf_counter() - t
    pts = []
    for p, v in zip(gen, real):
        sv = p.vector.get(LEXICAL)
        pts.append(IndexPoint(str(p.id), [float(x) for x in v], SparseVec(list(sv.indices), list(sv.values)), p.payload))
    for i in range(0, len(pts), 1000):
        kb.index.upsert(pts[i:i + 1000])
    kb.index.flush()
    stand = np.array([p.vector[DENSE] for p in gen], dtype=np.float32)
    realm = np.asarray(real, dtype=np.float32)
    realm /= np.linalg.norm(realm, axis=1, keepdims=True)
    result["cos_mean"] = float(np.sum(stand * realm, axis=1).mean())
    result["real"] = measure("real vectors")
    (sc.out / "validate.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    kb.close()


def diagnose(args) -> None:
    """Where quality and time go, on a knowledge base a run left (--diagnose DATA_DIR), in process:
    nDCG@10 of the default request and its variants, the engine searches a request makes and
    their time (query embedding cached, so the search alone), and HNSW recall@10 of the dense
    vector against exact search. Writes <DATA_DIR>/../diagnose.json."""
    import qdrant_edge as qe

    from bench.evaldata import load_queries
    from kb.config import Settings
    from kb.index.base import DENSE
    from kb.models import SearchRequest
    from kb.service import KnowledgeBase

    kb = KnowledgeBase(Settings(data_dir=args.diagnose, corpora_dir=ROOT / "corpora"))
    kb._reconciled = True  # measure the index as the run left it
    queries = load_queries()
    ret = kb.retriever
    shipped = (ret.fusion, ret.candidates, ret.pool_by_lang)
    shipped_params = kb.index._params  # KB_HNSW_EF as configured
    calls = [0, 0]  # engine searches, engine calls (a batch is one call)
    search_many = kb.index.search_many

    def counting(requests, **k):
        calls[0] += len(requests)
        calls[1] += 1
        return search_many(requests, **k)

    kb.index.search_many = counting
    out: dict = {"passages": kb.index.count()}

    def run(label: str, fusion=None, candidates=None, pooled=None, ef=None, **req) -> None:
        ret.fusion, ret.candidates = fusion or shipped[0], candidates or shipped[1]
        ret.pool_by_lang = shipped[2] if pooled is None else pooled
        kb.index._params = qe.SearchParams(hnsw_ef=ef) if ef else shipped_params
        nd, lat = [], []
        calls[0] = calls[1] = 0
        for q in queries:
            ret.query_vector(q.text)
            t = time.perf_counter()
            r = kb.search(SearchRequest(q=q.text, top_k=10, **req))
            lat.append((time.perf_counter() - t) * 1000)
            nd.append(ndcg_at(first_unique([source_key(h.document.source) for h in r.hits], 10), q.grades()))
        out[label] = dict(ndcg=float(np.mean(nd)), p50=pct(lat, 50), p95=pct(lat, 95), searches=calls[0] / len(queries),
                          calls=calls[1] / len(queries))
        log(f"   {label}: {out[label]}")

    run(f"default (hybrid DBSF, one per act, a pool per language, hnsw_ef={kb.settings.hnsw_ef or 'engine default'})")
    run("dense only", mode="dense")
    run("lexical only", mode="lexical")
    run("hybrid RRF", fusion="rrf")
    run("hybrid DBSF, 200 candidates a side", candidates=200)
    run("hybrid DBSF, one pool", pooled=False)
    run("group=document", group="document")
    run("group=passage", group="passage")
    for ef in args.ef:
        run(f"default, hnsw_ef={ef}", ef=ef)
    ret.fusion, ret.candidates, ret.pool_by_lang = shipped
    kb.index._params = shipped_params
    vectors = [kb.embedder.encode_queries([q.text])[0].tolist() for q in queries[:40]]
    for ef in [None, *args.ef]:
        hits = n = 0
        for v in vectors:
            near = qe.Query.Nearest(v, using=DENSE)
            approx = {p.id for p in kb.index._shard.query(
                qe.QueryRequest(limit=10, query=near, params=qe.SearchParams(hnsw_ef=ef) if ef else None))}
            exact = {p.id for p in kb.index._shard.query(
                qe.QueryRequest(limit=10, query=near, params=qe.SearchParams(exact=True)))}
            hits += len(approx & exact)
            n += 10
        out["hnsw_recall10" if ef is None else f"hnsw_recall10_ef{ef}"] = hits / n
        log(f"   HNSW dense recall@10 vs exact (40 queries, hnsw_ef={ef or 'default'}): {hits / n:.3f}")
    (args.diagnose.parent / "diagnose.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    kb.close()


def machine() -> str:
    from bench.embed import cpu_model

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu_model()}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


# ---------------------------------------------------------------------- report


def table(rows: dict) -> list[str]:
    out = [
        "| passages | documents | upsert (engine) | optimize (HNSW) | disk | peak RSS of the bench process: grow / optimize / baseline "
        "| ours p50 / p95 (HTTP) | ours nDCG@10 | baseline p50 / p95 (in process) | baseline nDCG@10 | Δ nDCG@10 (ours − baseline) "
        "| p95 ours / baseline (its faster setting) |",
        "|---|---:|---|---|---:|---|---|---:|---|---:|---:|---:|",
    ]
    entries = ([dict(rows["corpus_only"], label="corpus only")] if rows.get("corpus_only") else []) + rows["sizes"]
    for r in entries:
        g, h, bl = r.get("grow", {}), r.get("http"), r.get("baseline")
        up = f"{g['points'] / g['upsert_s']:,.0f} pts/s ({g['upsert_s']:.0f} s)" if g.get("upsert_s") else "—"
        opt = f"{r['optimize_s']:.0f} s" if "optimize_s" in r else ("—" if "label" in r else "not finished")
        rss = " / ".join(f"{x / 1024:.1f}" if x else "—" for x in (
            g.get("peak_rss_mib"), r.get("optimize_peak_rss_mib"), (bl or {}).get("peak_rss_mib"))) + " GiB"
        disk = r.get("disk_mib") or r.get("disk_before_mib")
        cells = [
            f"{r['passages']:,}" + (f" ({r['label']})" if "label" in r else "") + (" ²" if r.get("run") else ""),
            f"{r['documents']:,}", up, opt,
            f"{disk:,.0f} MiB" if disk else "—", rss,
            f"{h['p50']:.0f} / **{h['p95']:.0f} ms**" if h else "—", f"{h['ndcg']:.3f}" if h else "—",
            (f"{bl['p50']:.0f} / {bl['p95']:.0f} ms" + (f" (1 BLAS thread: {bl['p50_1t']:.0f} / {bl['p95_1t']:.0f} ms)"
                                                        if "p95_1t" in bl else "")) if bl else "—",
            f"{bl['ndcg']:.3f}" if bl else "—",
            f"{h['ndcg'] - bl['ndcg']:+.3f}" if h and bl else "—",
            f"{h['p95'] / min(bl['p95'], bl.get('p95_1t', math.inf)):.2f}" if h and bl else "—",
        ]
        out.append("| " + " | ".join(cells) + " |")
    return out


def write_markdown(rows: dict, args) -> None:
    lines = ["# Scale: 10,000 documents, 1,000,000 passages (issue 13, item 5)", "",
             f"- Machine: {rows.get('machine')}; shared with other agents' jobs.",
             f"- Run started {rows.get('started')} UTC" + (f", finished {rows['finished']} UTC" if rows.get("finished") else
                                                           " (not finished when this file was written)"),
             f"- Command: `KB_EMBEDDING_MODEL=.cache/test-model .venv/bin/{rows.get('command')}`"]
    if rows.get("load"):
        lines.append(f"- Load average at the end (1/5/15 min): {' / '.join(f'{x:.1f}' for x in rows['load'])}")
    c = rows.get("corpus")
    if c:
        lines += ["", "## Real pipeline: ingest throughput", "",
                  "`KnowledgeBase.ingest` (parse in worker processes, entities, obligations, act pairing, embedding "
                  "with the default backend, index, HNSW after ≥10 documents). CPU-seconds: this process and its "
                  "parse workers.", "",
                  "| what | files | pages | passages | wall | files/s | pages/s | passages/s | passages per CPU-s "
                  "| pages per CPU-s | peak RSS |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, label in (("corpus", "corpora/ (real acts and seeds)"),
                            ("sample", f"{args.sample} generated files (4 of 5 Markdown, 1 of 5 PDF)")):
            s = rows.get(name)
            if s:
                lines.append(
                    f"| {label} | {s['files']} | {s['pages']:.0f} | {s['passages']:,} | {s['wall_s']:.0f} s "
                    f"| {s['files'] / s['wall_s']:.2f} | {s['pages'] / s['wall_s']:.1f} | {s['passages'] / s['wall_s']:.1f} "
                    f"| {s['passages'] / s['cpu_s']:.1f} | {s['pages'] / s['cpu_s']:.1f} | {s['peak_rss_mib']:,.0f} MiB |")
        e = rows.get("embed")
        if e:
            lines += ["", f"Embedding, same run, same {e['passages']} passages of the sample (mean {e['mean_tokens']:.0f} "
                      f"tokens), best of 2 passes taking turns: default backend ({e['backend']}) "
                      f"**{e['default_pps']:.1f}** passages/CPU-s vs `KB_EMBED_BACKEND=torch` {e['torch_pps']:.1f}: "
                      f"**{e['ratio']:.2f}×** (target ≥ 2×)."]
    s = rows.get("standin")
    if s:
        u = rows.get("units", {})
        lines += ["", "## Stand-in vectors", "",
                  f"{u.get('n', '?')} real sentences of the stored corpus documents (8-60 words, none containing a "
                  f"judged answer passage; from {args.units_from} documents: "
                  + ("those no query judges relevant, so a distractor never carries a relevant document's own "
                     "sentences" if args.units_from == "unjudged" else "all of them")
                  + f") were embedded once ({u.get('cpu_s', 0):.0f} CPU-s). A generated passage stitches 3-6 of them "
                  "from different documents of one language; its sparse vector is the real BM25 weighting of its "
                  "text (kb.lang.terms, kb.index.sparse's formula); its dense vector is the mean of its units' "
                  f"vectors minus β = {s['beta']:.2f} × the units' centroid, normalised. The plain mean sits too "
                  "close to everything (a hub): β is chosen, without looking at any query, so that the stand-ins' "
                  "mean pairwise cosine equals that of the real embeddings of the same texts. Check on "
                  f"{s['n']} stitched passages embedded for real:", "",
                  "| | real embedding | stand-in (β) | plain mean |", "|---|---:|---:|---:|",
                  f"| cosine to the real embedding, mean (min) | 1 | {s['cos_mean']:.3f} ({s['cos_min']:.3f}) | {s['plain_cos_mean']:.3f} |",
                  f"| mean pairwise cosine | {s['pairwise_real']:.3f} | {s['pairwise_stand']:.3f} | {s['pairwise_plain']:.3f} |",
                  f"| best score per query, mean over the 90 queries | {s['qmax_real']:.3f} | {s['qmax_stand']:.3f} | {s['qmax_plain']:.3f} |"]
    if rows["sizes"]:
        lines += ["", "## Index at each size: ours vs the afternoon baseline", "",
                  "Ours: `POST /api/v1/search` over HTTP (uvicorn serving `api.app:create_app(kb)` on 127.0.0.1, "
                  "keep-alive, one request at a time, default request: hybrid, one result per act, top 10), query "
                  "embedding included, the 90 queries of bench/data/search_queries.yaml once each after 3 warm-ups, "
                  "after optimize(). Baseline: bm25s 0.3.16 (PyStemmer 3.1.0 Snowball russian for ru passages and "
                  "queries; kk unstemmed, Snowball has no Kazakh) top 100 + numpy brute-force cosine over the same "
                  "vectors top 100, RRF k=60, folded to documents; in process (no HTTP), query embedding included "
                  "(same model and backend). nDCG@10: judged real documents relevant, every generated one a "
                  "distractor; both language versions of an act count as one.", ""]
        lines += table(rows)
        for r in rows["sizes"]:
            if r.get("run"):
                lines += ["", "² Measured by a second run: same code, machine and queries, its own copy of the corpus "
                          "knowledge base grown without the sample files by `python bench/scale.py --sizes 1000000 "
                          "--sample 0 --out-dir bench/out/scale-1m --no-write` (growth and search before optimize(); "
                          "the run then stopped on a bug in the baseline step, since fixed), finished from its knowledge "
                          f"base by `{r['run']}` started {r.get('started')} UTC (the baseline's copy rebuilt: the same "
                          "generation, regenerated), the baseline measured before optimize()."
                          + (f" Load average (1 min) when the baseline ran: {r['load_baseline'][0]:.1f}" if r.get("load_baseline") else "")
                          + (f"; when ours ran: {r['load_http'][0]:.1f}." if r.get("load_http") else ".")]
        pre = [r for r in rows["sizes"] if r.get("http_before")]
        if pre:
            lines += ["", "Ours before optimize() (segments not yet indexed: exact search; the first queries only): " + "; ".join(
                f"{r['passages']:,}: p50 {r['http_before']['p50']:.0f} / p95 {r['http_before']['p95']:.0f} ms, "
                f"nDCG@10 {r['http_before']['ndcg']:.3f} ({r['http_before']['n']} q)" for r in pre) + "."]
    v = rows.get("validate")
    if v:
        lines += ["", "## Stand-ins against real vectors (`--validate --sizes 5000`)", "",
                  f"The knowledge base grown to {v['size']:,} passages with stand-ins, then every generated passage "
                  f"embedded for real ({v['embed_cpu_s']:.0f} CPU-s) and its vector replaced (cosine of stand-in to "
                  f"real {v['cos_mean']:.3f}); nDCG@10 in process, exact search (no HNSW), default request and each "
                  "half alone:", "", "| vectors of the generated passages | default (hybrid) | dense only | lexical only |",
                  "|---|---:|---:|---:|"]
        for label, key in (("stand-ins", "standin"), ("real embeddings", "real")):
            r = v[key]
            lines.append(f"| {label} | {r['hybrid']:.3f} | {r['dense']:.3f} | {r['lexical']:.3f} |")
        lines += ["", "The stand-ins are somewhat harder distractors than real embeddings: the nDCG@10 figures at "
                  "larger sizes err on the low side for the dense half (ours and the baseline's alike)."]
    d = rows.get("diagnose")
    if d:
        lines += ["", f"## Where quality and time go at {d['passages']:,} passages (`--diagnose bench/out/scale/kb`)", "",
                  "In process, after optimize(); time of the search alone (query embedding cached); \"engine searches\" "
                  "= index queries one request makes, \"engine calls\" = round trips to the engine (searches batched since "
                  "session 4).", "",
                  "| request | nDCG@10 | p50 | p95 | engine searches / request | engine calls / request |",
                  "|---|---:|---:|---:|---:|---:|"]
        for label, r in d.items():
            if isinstance(r, dict):
                lines.append(f"| {label} | {r['ndcg']:.3f} | {r['p50']:.0f} ms | {r['p95']:.0f} ms | {r['searches']:.1f} "
                             f"| {r.get('calls', r['searches']):.1f} |")
        lines += ["", f"HNSW recall@10 of the dense vector against exact search (40 queries, default hnsw_ef): "
                  f"**{d['hnsw_recall10']:.2f}**" + "".join(
                      f"; hnsw_ef={k.rsplit('ef', 1)[1]}: {v:.2f}" for k, v in d.items() if k.startswith("hnsw_recall10_ef"))
                  + "."]
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / "scale.md"
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    notes = old[old.index("\n## Notes"):] if "\n## Notes" in old else ""
    out.write_text(text + notes, encoding="utf-8")
    print("\n".join(table(rows)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--sample", type=int, default=300, help="generated files ingested by the real pipeline")
    ap.add_argument("--units", type=int, default=3000, help="at most this many real sentences per language, embedded once")
    ap.add_argument("--units-from", choices=["unjudged", "all"], default="unjudged",
                    help="documents the sentences come from: those no query judges relevant (default), or all")
    ap.add_argument("--pre-queries", type=int, default=20, help="queries timed before optimize (0: none)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--corpus-cache", type=Path, default=ROOT / "bench" / "out" / "scale-corpus",
                    help="the corpus knowledge base ingested once and copied by later runs (its timing kept)")
    ap.add_argument("--out-dir", type=Path, default=None)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--validate", action="store_true",
                    help="stand-in vs real vectors at the first of --sizes (writes <out-dir>/validate.json)")
    ap.add_argument("--ef", nargs="*", type=int, default=[64, 128, 256],
                    help="--diagnose also runs the default request with these hnsw_ef values")
    ap.add_argument("--diagnose", type=Path, metavar="DATA_DIR",
                    help="quality and time of request variants on a knowledge base a run left")
    ap.add_argument("--resume", type=Path, metavar="LOG",
                    help="finish a stopped run's one size from its knowledge base (--out-dir) and log")
    ap.add_argument("--report", nargs="+", type=Path, metavar="RESULTS_JSON",
                    help="only write bench/results/scale.md from these runs' results.json (sizes merged, in order)")
    args = ap.parse_args()
    if args.report:
        runs = [json.loads(p.read_text(encoding="utf-8")) for p in args.report]
        rows = runs[0]
        for other in runs[1:]:
            have = {r["size"] for r in rows["sizes"]}
            rows["sizes"] += [dict(r, run=other.get("command"), started=other.get("started"))
                              for r in other["sizes"] if r["size"] not in have]
        args.sample, args.units_from = rows.get("sample", {}).get("files", 0), "unjudged"
        for name, path in (("validate", ROOT / "bench/out/scale-validate/validate.json"),
                           ("diagnose", ROOT / "bench/out/scale/diagnose.json")):
            if path.exists():
                rows[name] = json.loads(path.read_text(encoding="utf-8"))
        write_markdown(rows, args)
        return
    if args.diagnose:
        diagnose(args)
        return
    if args.validate:
        args.out_dir = args.out_dir or ROOT / "bench" / "out" / "scale-validate"
        validate(args)
        return
    args.out_dir = args.out_dir or ROOT / "bench" / "out" / ("scale" if not args.no_write else "scale-smoke")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    Scale(args).run()


if __name__ == "__main__":
    main()
