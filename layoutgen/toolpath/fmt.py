"""Bulk text formatting of coordinates with numpy (no Python loop per vertex).

A line of output is assembled from parts, each a (rows, width) uint8 block and a keep-mask:
fixed-point numbers (leading zeros and the sign dropped by the mask) and per-row choices of
constant text. The rows are joined with one boolean-mask gather, chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

CHUNK = 1 << 20  # rows formatted at once (bounds the temporary memory)

Part = tuple[np.ndarray, np.ndarray]


_TABLES: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _digits(width: int) -> tuple[np.ndarray, np.ndarray]:
    """ASCII of 0 .. 10**width - 1 zero-padded to `width`, and the keep-mask that drops the
    leading zeros (one digit always kept)."""
    if width not in _TABLES:
        v = np.arange(10 ** width, dtype=np.int64)
        d = np.empty((len(v), width), np.uint8)
        rest = v.copy()
        for k in range(width):
            d[:, width - 1 - k] = 48 + rest % 10
            rest //= 10
        nd = np.ones(len(v), np.int64)
        for k in range(1, width):
            nd += v >= 10 ** k
        keep = np.arange(width)[None, :] >= width - nd[:, None]
        _TABLES[width] = (d, keep)
    return _TABLES[width]


def number(values: np.ndarray, decimals: int) -> Part:
    """Fixed-point decimal text of each value: '-12.345', '0.500', '7' (decimals = 0)."""
    v = np.asarray(values, float)
    q = np.rint(v * 10.0 ** decimals).astype(np.int64)
    neg = q < 0
    a = np.abs(q)
    ip, fp = np.divmod(a, 10 ** decimals)
    top = int(ip.max(initial=0))
    nint = max(1, len(str(top)))
    width = 1 + nint + (1 + decimals if decimals else 0)
    out = np.empty((len(v), width), np.uint8)
    keep = np.ones((len(v), width), bool)
    out[:, 0] = ord("-")
    keep[:, 0] = neg
    # integer part: table lookups in blocks of up to 4 digits
    hi_w = nint - min(nint, 4)
    lo_w = nint - hi_w
    d, k = _digits(lo_w)
    low = ip % 10 ** lo_w
    out[:, 1 + hi_w:1 + nint] = d[low]
    if hi_w:
        dh, kh = _digits(hi_w)
        high = ip // 10 ** lo_w
        out[:, 1:1 + hi_w] = dh[high]
        big = high > 0
        keep[:, 1:1 + hi_w] = kh[high] & big[:, None]
        keep[:, 1 + hi_w:1 + nint] = np.where(big[:, None], True, k[low])
    else:
        keep[:, 1:1 + nint] = k[low]
    if decimals:
        out[:, nint + 1] = ord(".")
        out[:, nint + 2:] = _digits(decimals)[0][fp]
    return out, keep


def text(choices: Sequence[str], which: np.ndarray | None = None, rows: int | None = None
         ) -> Part:
    """Constant text per row: choices[which[i]] (one choice for all rows if `which` is None)."""
    enc = [c.encode("ascii") for c in choices]
    width = max((len(e) for e in enc), default=0)
    tab = np.zeros((len(enc), max(width, 1)), np.uint8)
    msk = np.zeros((len(enc), max(width, 1)), bool)
    for i, e in enumerate(enc):
        tab[i, :len(e)] = np.frombuffer(e, np.uint8)
        msk[i, :len(e)] = True
    if which is None:
        n = 1 if rows is None else rows
        return np.broadcast_to(tab[0], (n, tab.shape[1])), np.broadcast_to(msk[0],
                                                                           (n, tab.shape[1]))
    which = np.asarray(which, np.int64)
    return tab[which], msk[which]


def join(parts: list[Part]) -> bytes:
    """Rows of the concatenated parts, masked bytes dropped."""
    rows = max(p[0].shape[0] for p in parts)
    width = sum(p[0].shape[1] for p in parts)
    data = np.empty((rows, width), np.uint8)
    mask = np.empty((rows, width), bool)
    c = 0
    for d, m in parts:
        w = d.shape[1]
        data[:, c:c + w] = d
        mask[:, c:c + w] = m
        c += w
    return data[mask].tobytes()


def rows_in_chunks(n: int, build) -> Iterator[bytes]:  # noqa: ANN001
    """Call build(lo, hi) -> list of parts for each chunk of rows; yield the joined bytes."""
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        yield join(build(lo, hi))
