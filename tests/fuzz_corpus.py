"""A deterministic corpus of malformed files for the ingestion fuzz test and bench.

    from fuzz_corpus import generate
    for case in generate(seed=0, per_format=200): parse_bytes(case.data, case.name)

Per format (pdf, docx, html, md, txt): valid seeds cut short, bytes flipped or
random, pathological nesting and repetition (the shapes that once took minutes:
"[" and "**a " in Markdown, "а\\n" lines, nested <table>, "міндетті ..." clauses),
zip bombs and spans in DOCX, broken PDF structure (self-referencing page trees,
huge counts), wrong extensions, NULs, huge lines and mixed encodings.

`scale` multiplies the size of the pathological cases (1.0: tens of KB, for CI;
the bench uses more). Everything depends only on the seed.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

FORMATS = ("pdf", "docx", "html", "md", "txt")

RU = ("Министерство экологии обязано в срок до 1 марта 2025 года представить отчет. "
      "Местные исполнительные органы обеспечивают сбор отходов.")
KK = ("Қазақстан Республикасының Үкіметі осы қаулыны орындауды қамтамасыз етсін. "
      "Кәсіпорынның операторы іс-шаралар жоспарын әзірлеуге және бекітуге міндетті.")


@dataclass(frozen=True)
class Case:
    name: str  # file name; its extension picks the reader
    data: bytes
    kind: str  # what was done to it ("truncated", "nested_table", ...)

    @property
    def fmt(self) -> str:
        return self.name.rsplit(".", 1)[-1]


# --- building blocks ----------------------------------------------------------------------------

def _text_seed() -> str:
    return f"Закон о защите окружающей среды\n\nСтатья 1. Общие положения\n\n1. {RU}\n2. {KK}\n\n{RU}\n"


def _md_seed() -> str:
    return (f"# Закон о защите\n\n## Статья 1\n\n1. **Министерство** обязано [см.](http://x/(a)).\n\n> {KK}\n\n"
            f"<table><tr><td>1</td><td>{RU}</td></tr></table>\n\n```\nСтатья 2\n```\n- {RU}\n")


def _html_seed() -> str:
    return (f"<html><head><title>Закон</title><meta name='date' content='2024-01-02'></head><body>"
            f"<nav>menu</nav><h1>Закон о защите</h1><p>{RU}</p><ul><li>{KK}<ul><li>{RU}</li></ul></li></ul>"
            f"<table><tr><th>№</th><th>Мероприятие</th></tr><tr><td rowspan=2>1</td><td colspan=2>{KK}</td></tr>"
            f"</table></body></html>")


def _mutate(data: bytes, rng: random.Random, flips: int) -> bytes:
    b = bytearray(data)
    for _ in range(flips):
        if not b:
            break
        i = rng.randrange(len(b))
        op = rng.random()
        if op < 0.5:
            b[i] = rng.randrange(256)
        elif op < 0.75:
            del b[i:i + rng.randint(1, 16)]
        else:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(b)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randint(1, max(1, len(data) - 1))]


# --- DOCX and ZIP ---------------------------------------------------------------------------------

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
       '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
       'document.main+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
         'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _document_xml(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'


def _p(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def _tc(text: str, span: int | None = None, vmerge: str | None = None) -> str:
    pr = ""
    if span is not None or vmerge is not None:
        pr = "<w:tcPr>"
        if span is not None:
            pr += f'<w:gridSpan w:val="{span}"/>'
        if vmerge is not None:
            pr += "<w:vMerge/>" if vmerge == "continue" else f'<w:vMerge w:val="{vmerge}"/>'
        pr += "</w:tcPr>"
    return f"<w:tc>{pr}{_p(text)}</w:tc>"


def docx_package(body: str, extra: dict[str, bytes] | None = None, level: int = zipfile.ZIP_DEFLATED) -> bytes:
    members = {"[Content_Types].xml": _CT.encode(), "_rels/.rels": _RELS.encode(),
               "word/document.xml": _document_xml(body).encode(), **(extra or {})}
    return _zip(members, level)


def docx_gridspan(span: int = 100_000_000) -> bytes:
    """The 36 KB DOCX that took 9 GB: one cell spanning a hundred million grid columns."""
    rows = "".join(f"<w:tr>{_tc('Заголовок', span)}{_tc('x')}</w:tr>" for _ in range(50))
    return docx_package(_p("Таблица") + f"<w:tbl>{rows}</w:tbl>")


def docx_vmerge(rows: int) -> bytes:
    """A vertical merge running down thousands of rows (python-docx walks it up per cell)."""
    body = f"<w:tr>{_tc('Начало', vmerge='restart')}{_tc('a')}</w:tr>"
    body += "".join(f"<w:tr>{_tc('', vmerge='continue')}{_tc(str(i))}</w:tr>" for i in range(rows))
    return docx_package(_p("Таблица") + f"<w:tbl>{body}</w:tbl>")


def zip_bomb(unzipped_mb: float) -> bytes:
    """A DOCX whose extra member inflates to `unzipped_mb` of zeros (about 1000:1)."""
    zeros = b"\0" * int(unzipped_mb * 1024 * 1024)
    return docx_package(_p(RU), {"word/media/bomb.bin": zeros})


def zip_lying_sizes(unzipped_mb: float) -> bytes:
    """A bomb whose headers claim the member is small: zipfile must stop at the claim."""
    data = bytearray(zip_bomb(unzipped_mb))
    name = b"word/media/bomb.bin"
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        local = z.getinfo(name.decode()).header_offset
    data[local + 22: local + 26] = (1000).to_bytes(4, "little")  # local header: uncompressed size
    pos = data.find(b"PK\x01\x02")  # central directory records
    while pos != -1:
        n = int.from_bytes(data[pos + 28: pos + 30], "little")
        if bytes(data[pos + 46: pos + 46 + n]) == name:
            data[pos + 24: pos + 28] = (1000).to_bytes(4, "little")
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def zip_many_members(count: int) -> bytes:
    return docx_package(_p(RU), {f"customXml/item{i}.xml": b"<a/>" for i in range(count)},
                        level=zipfile.ZIP_STORED)


# --- PDF --------------------------------------------------------------------------------------------

def raw_pdf(objects: list[str], root: int = 1, xref: bool = True) -> bytes:
    """A PDF from object bodies (numbered from 1), with a correct xref table when asked."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    start = len(out)
    if xref:
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        for off in offsets:
            out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{start}\n%%EOF\n".encode()
    return bytes(out)


def _stream(content: bytes, compress: bool = False) -> str:
    data = zlib.compress(content) if compress else content
    filt = " /Filter /FlateDecode" if compress else ""
    return f"<< /Length {len(data)}{filt} >>\nstream\n" + data.decode("latin-1") + "\nendstream"


def pdf_text(lines: list[str], pages: int = 1) -> bytes:
    """ASCII text pages in Helvetica (no embedded font needed)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for _ in range(pages):
        content = "BT /F1 10 Tf 40 800 Td " + " ".join(
            f"({ln.replace('(', '').replace(')', '')}) Tj 0 -12 Td" for ln in lines) + " ET"
        objs.append(_stream(content.encode("latin-1", "replace")))
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {len(objs)} 0 R "
                    "/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    return raw_pdf(objs)


def pdf_page_loop() -> bytes:
    """A page tree whose Kids point back at itself."""
    return raw_pdf(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"])


def pdf_huge_count() -> bytes:
    return raw_pdf(["<< /Type /Catalog /Pages 2 0 R >>",
                    "<< /Type /Pages /Kids [3 0 R] /Count 2147483647 >>",
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1e30 1e30] >>"])


def pdf_deep_array(depth: int) -> bytes:
    return raw_pdf(["<< /Type /Catalog /Pages 2 0 R /X " + "[" * depth + "]" * depth + " >>",
                    "<< /Type /Pages /Kids [] /Count 0 >>"])


def pdf_many_ops(count: int) -> bytes:
    """One page whose content stream draws `count` one-letter strings (and as many rects)."""
    ops = "BT /F1 8 Tf " + " ".join(f"1 0 0 1 {(i * 7) % 560} {800 - (i // 80) % 790} Tm (a) Tj"
                                   for i in range(count)) + " ET "
    ops += " ".join(f"{(i * 3) % 500} {(i * 5) % 800} 5 5 re S" for i in range(count))
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", _stream(ops.encode(), compress=True),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>"]
    return raw_pdf(objs)


# --- the pathological texts ----------------------------------------------------------------

def pathological_texts(scale: float = 1.0) -> dict[str, tuple[str, bytes]]:
    """name -> (extension, bytes). At scale=10 these are the sizes the test campaign used
    for most shapes (100 KB of "[" ...); the bench passes larger scales."""
    k = int(10_000 * scale)
    return {
        "md_open_brackets": (".md", b"[" * k),
        "md_bold_runs": (".md", b"**a " * (k // 2)),
        "md_link_opens": (".md", b"[a](" * (k // 4)),
        "md_heading_spaces": (".md", b"# a" + b" " * k + b"b"),
        "md_emphasis_underscores": (".md", b"__a " * (k // 2)),
        "md_quotes": (".md", b">" * k + b" a"),
        "md_unclosed_fence": (".md", b"```\n" + "а\n".encode() * (k // 3)),
        "md_table_lines": (".md", b"<table>\n" + b"<tr><td>a</td>\n" * (k // 15)),
        "txt_letter_lines": (".txt", "а\n".encode() * (k // 3)),
        "txt_hyphen_lines": (".txt", "сло-\nво\n".encode() * (k // 12)),
        "txt_mindetti": (".txt", "міндетті ".encode() * (k // 17)),
        "txt_one_word": (".txt", "а".encode() * (k // 2)),
        "txt_underscores": (".txt", b"_" * k + b"a"),
        "txt_spaces": (".txt", b"a" + b" \x0b" * (k // 2) + b"b"),
        "txt_tabs": (".txt", (b"a\t" * (k // 20) + b"\n") * 10),
        "txt_pipes": (".txt", (b"|a" * (k // 20) + b"|\n") * 10),
        "txt_dots": (".txt", b"a" + b". " * (k // 2)),
        "txt_semicolons": (".txt", "Министерство обязано; ".encode() * (k // 40)),
        "html_nested_tables": (".html", b"<table><tr><td>" * (k // 15)),
        "html_nested_tables_text": (".html", b"<table><tr><td>a " * (k // 17)),
        "html_nested_divs": (".html", b"<div>a " * (k // 7)),
        "html_nested_lists": (".html", b"<ul><li>a " * (k // 10)),
        "html_nested_spans": (".html", b"<p>" + b"<b>a " * (k // 6)),
        "html_spans": (".html", b"<table>" + b"<tr><td rowspan=100 colspan=100>a</td></tr>" * (k // 45)
                       + b"</table>"),
        "html_unclosed_paragraphs": (".html", b"<p>a <b>b</b> c" * (k // 15)),
        "html_unclosed_comment": (".html", b"<p>a</p><!--" + b"a" * k),
        "html_attributes": (".html", b"<p " + b"a=b " * (k // 4) + b">x</p>"),
    }


# --- generators per format ------------------------------------------------------------------------

def _pdf_cases(rng: random.Random, n: int, scale: float) -> Iterator[Case]:
    seeds = [pdf_text(["Zakon o zashchite", "Statya 1. Obshchie polozheniya", "1. Ministerstvo obyazano."], 2)]
    try:
        from ingest_samples import make_pdf

        seeds.append(_fixed_pdf_stamps(make_pdf(rows=6)))
    except Exception:  # fpdf2 or its font missing: ASCII seeds only
        pass
    fixed: list[tuple[str, Callable[[], bytes]]] = [
        ("page_loop", pdf_page_loop),
        ("huge_count", pdf_huge_count),
        ("deep_array", lambda: pdf_deep_array(int(2000 * scale))),
        ("many_ops", lambda: pdf_many_ops(int(300 * scale))),
        ("many_pages", lambda: pdf_text(["a"], pages=int(30 * scale))),
        ("no_xref", lambda: raw_pdf(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"],
                                    xref=False)),
        ("header_only", lambda: b"%PDF-1.7\n"),
        ("encrypted_marker", lambda: seeds[0].replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 2 0 R")),
        ("docx_as_pdf", lambda: b"%PDF" + docx_package(_p(RU))),
        ("nul_bytes", lambda: b"%PDF-1.4\n" + b"\0" * 5000),
    ]
    yield from _cycle("pdf", rng, n, seeds, fixed)


def _fixed_pdf_stamps(data: bytes) -> bytes:
    """fpdf2 stamps the time, a file id and a random font-subset tag: fixed, same lengths (the xref
    offsets stay right), so that the corpus depends on the seed alone."""
    data = re.sub(rb"\(D:\d{14}[^)]*\)", lambda m: b"(D:20240101000000" + b"0" * (len(m.group(0)) - 18) + b")", data)
    data = re.sub(rb"/ID \[<[0-9A-F]+><[0-9A-F]+>\]", lambda m: re.sub(rb"[0-9A-F]", b"0", m.group(0)), data)
    return re.sub(rb"/[A-Z]{6}\+", b"/AAAAAA+", data)


def _docx_cases(rng: random.Random, n: int, scale: float) -> Iterator[Case]:
    seeds = [docx_package(_p("Закон") + _p(RU) + "<w:tbl><w:tr>" + _tc("1") + _tc(KK, 2) + "</w:tr></w:tbl>")]
    try:
        from ingest_samples import make_docx

        seeds.append(_fixed_docx_stamps(make_docx()))
    except Exception:
        pass
    fixed = [
        ("gridspan_1e8", lambda: docx_gridspan()),
        ("gridspan_bad", lambda: docx_package("<w:tbl><w:tr>" + _tc("a", "x") + "</w:tr></w:tbl>" + _p(RU))),
        ("vmerge_chain", lambda: docx_vmerge(int(1500 * scale))),
        ("vmerge_first_row", lambda: docx_package("<w:tbl><w:tr>" + _tc("", vmerge="continue") + "</w:tr></w:tbl>"
                                                  + _p(RU))),
        ("zip_bomb", lambda: zip_bomb(min(120.0, 12.0 * scale))),
        ("zip_lying_sizes", lambda: zip_lying_sizes(2.0)),
        ("zip_many_members", lambda: zip_many_members(int(2100 * max(1.0, scale / 10)))),
        ("deep_xml", lambda: docx_package("<w:p>" * int(5000 * scale) + "</w:p>" * int(5000 * scale))),
        ("billion_laughs", lambda: docx_package("").replace(b"<w:document", b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                                                            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><w:document')),
        ("long_paragraph", lambda: docx_package(_p("міндетті " * int(2000 * scale)))),
        ("many_paragraphs", lambda: docx_package(_p("а") * int(3000 * scale))),
        ("nested_tables", lambda: docx_package("<w:tbl><w:tr><w:tc>" * 200 + _p("a") + "</w:tc></w:tr></w:tbl>" * 200)),
        ("no_document_xml", lambda: _zip({"[Content_Types].xml": _CT.encode()})),
        ("pdf_as_docx", lambda: b"PK" + pdf_text(["a"])),
        ("empty_zip", lambda: _zip({})),
    ]
    yield from _cycle("docx", rng, n, seeds, fixed)


def _fixed_docx_stamps(data: bytes) -> bytes:
    """python-docx stamps the save time (member dates, core properties): fixed."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    if "docProps/core.xml" in members:
        members["docProps/core.xml"] = re.sub(rb">\d{4}-\d\d-\d\dT[\d:]+Z<", b">2024-01-01T00:00:00Z<",
                                              members["docProps/core.xml"])
    return _zip(members)


def _zip(members: dict[str, bytes], level: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", level) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, compress_type=level)
    return buf.getvalue()


def _text_fixed(ext: str, scale: float) -> list[tuple[str, Callable[[], bytes]]]:
    texts = pathological_texts(scale)
    fixed: list[tuple[str, Callable[[], bytes]]] = [
        (name, (lambda d=data: d)) for name, (e, data) in texts.items() if e == ext
    ]
    body = {".md": _md_seed(), ".html": _html_seed(), ".txt": _text_seed()}[ext]
    k = int(10_000 * scale)
    fixed += [
        ("nul_bytes", lambda: body.encode()[:200] + b"\0" * 50 + body.encode()[200:]),
        ("one_invalid_byte", lambda: body.encode()[:101] + b"\xff" + body.encode()[101:]),
        ("mixed_encodings", lambda: body.encode() + body.encode("cp1251", "replace")),
        ("cp1251", lambda: body.encode("cp1251", "replace")),
        ("utf16_odd", lambda: body.encode("utf-16")[:-1]),
        ("utf16_no_bom", lambda: body.encode("utf-16-le")),
        ("bom_then_garbage", lambda: b"\xef\xbb\xbf" + bytes(range(128, 256)) * 4),
        ("control_chars", lambda: bytes(range(1, 32)) * 40),
        ("huge_line", lambda: ("Министерство обязано " * (k // 38)).encode()),
        ("pdf_magic", lambda: b"%PDF-1.4\n" + body.encode()),
        ("zip_magic", lambda: docx_package(_p(RU))),
        ("only_spaces", lambda: b" \n\t" * 100),
        ("only_digits", lambda: b"12 34\n" * 200),
        ("latin1", lambda: "Café résumé naïve déjà vu. " .encode("latin-1") * 20),
    ]
    return fixed


def _text_cases(fmt: str, rng: random.Random, n: int, scale: float) -> Iterator[Case]:
    ext = "." + fmt
    body = {".md": _md_seed(), ".html": _html_seed(), ".txt": _text_seed()}[ext]
    yield from _cycle(fmt, rng, n, [body.encode()], _text_fixed(ext, scale))


def _cycle(fmt: str, rng: random.Random, n: int, seeds: list[bytes],
           fixed: list[tuple[str, Callable[[], bytes]]]) -> Iterator[Case]:
    """The fixed shapes once each, then random damage to the seeds up to n cases."""
    count = 0
    for kind, make in fixed:
        if count >= n:
            return
        yield Case(f"{fmt}-{count:03d}-{kind}.{fmt}", make(), kind)
        count += 1
    others = [f for f in FORMATS if f != fmt]
    while count < n:
        seed = rng.choice(seeds)
        roll = rng.random()
        if roll < 0.35:
            kind, data = "truncated", _truncate(seed, rng)
        elif roll < 0.7:
            kind, data = "mutated", _mutate(seed, rng, rng.randint(1, 40))
        elif roll < 0.8:
            kind, data = "random_bytes", bytes(rng.randrange(256) for _ in range(rng.randint(1, 4000)))
        elif roll < 0.9:
            kind, data = "repeated_slice", _repeat_slice(seed, rng)
        else:
            kind = "wrong_extension"
            fmt_data = rng.choice(others)
            data = {"pdf": pdf_text(["a"]), "docx": docx_package(_p(RU)), "html": _html_seed().encode(),
                    "md": _md_seed().encode(), "txt": _text_seed().encode()}[fmt_data]
        yield Case(f"{fmt}-{count:03d}-{kind}.{fmt}", data, kind)
        count += 1


def _repeat_slice(data: bytes, rng: random.Random) -> bytes:
    """A slice of the file repeated in place (deep nesting, long runs)."""
    if len(data) < 2:
        return data * 100
    i = rng.randrange(len(data) - 1)
    j = min(len(data), i + rng.randint(1, 32))
    return data[:i] + data[i:j] * rng.randint(50, 500) + data[j:]


def generate(seed: int = 0, per_format: int = 200, scale: float = 1.0,
             formats: tuple[str, ...] = FORMATS) -> Iterator[Case]:
    """`per_format` cases for each format, the same for the same arguments."""
    for fmt in formats:
        rng = random.Random(f"{seed}-{fmt}")
        if fmt == "pdf":
            yield from _pdf_cases(rng, per_format, scale)
        elif fmt == "docx":
            yield from _docx_cases(rng, per_format, scale)
        else:
            yield from _text_cases(fmt, rng, per_format, scale)


def write(folder, seed: int = 0, per_format: int = 200, scale: float = 1.0) -> int:
    """Write the corpus into a folder (for `kb ingest` runs by hand); returns the count."""
    from pathlib import Path

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for case in generate(seed, per_format, scale):
        (out / case.name).write_bytes(case.data)
        n += 1
    return n


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-format", type=int, default=200)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    print(write(a.folder, a.seed, a.per_format, a.scale), "files written to", a.folder)
