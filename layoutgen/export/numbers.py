"""The one bulk number formatter of every writer: coordinates and CSV columns as text with numpy
(no Python loop per vertex or row).

Every writer rounds its coordinates once, here (`scaled`: whole nm, then half to even at the
writer's stated decimals), and prints them from digit tables (`fixed`, `number`); `format_csv`
prints the numeric tables (cells.csv, placements).

A line of output is assembled from blocks of bytes, one (rows, width) uint8 array per field,
side by side; a NUL byte is "nothing here", so variable-width text (a number without its
leading zeros or sign, a word only some rows have) is padded with NULs, and the joined rows are
the buffer with its NUL bytes dropped. Numbers are fixed-point decimals looked up in digit
tables, never formatted one by one.

`Part` (data, keep-mask) is the older interface (SVG and JSON writers): `number`, `text`,
`join` and `rows_in_chunks` keep it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

CHUNK = 1 << 20  # rows formatted at once (bounds the temporary memory)
_GROUP = 4  # digits per table lookup
_TABLE_DIGITS = 6  # whole decimals up to this many digits come from one table (10**6 rows)

Part = tuple[np.ndarray, np.ndarray]

_TABLES: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _tables(width: int) -> tuple[np.ndarray, np.ndarray]:
    """ASCII of 0 .. 10**width - 1 in `width` columns: zero-padded, and with the leading zeros
    as NUL (one digit always kept)."""
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
        lead = np.arange(width)[None, :] < width - nd[:, None]
        _TABLES[width] = (d, np.where(lead, 0, d).astype(np.uint8))
    return _TABLES[width]


def _int_digits(v: np.ndarray, width: int, pad: bool) -> np.ndarray:
    """(n, width) ASCII of non-negative integers below 10**width: zero-padded (pad) or with
    NULs for the leading zeros (one digit always kept)."""
    out = np.empty((len(v), width), np.uint8)
    col = width
    rest = v
    while col > 0:
        w = min(_GROUP, col)
        zero, nul = _tables(w)
        low = rest % 10 ** w
        rest = rest // 10 ** w
        if pad:
            out[:, col - w:col] = zero[low]
        elif col == width and w == width:  # a single group
            out[:, :] = nul[low]
        else:
            more = rest > 0  # digits above this group: keep its zeros
            blk = np.where(more[:, None], zero[low], nul[low])
            if col < width:  # above the units group: nothing at all if it and all above are 0
                blk = np.where(((low == 0) & ~more)[:, None], np.uint8(0), blk)
            out[:, col - w:col] = blk
        col -= w
    return out


def _decimal_table(nint: int, decimals: int) -> np.ndarray:
    """Text of every integer below 10**(nint + decimals) as a decimal with `decimals` places,
    its integer part in nint columns with NULs for leading zeros."""
    key = -(nint * 16 + decimals)
    if key not in _TABLES:
        v = np.arange(10 ** (nint + decimals), dtype=np.int64)
        ip, fp = np.divmod(v, 10 ** decimals)
        t = np.empty((len(v), nint + 1 + decimals), np.uint8)
        t[:, :nint] = _int_digits(ip, nint, False)
        t[:, nint] = ord(".")
        t[:, nint + 1:] = _int_digits(fp, decimals, True)
        _TABLES[key] = (t, t)
    return _TABLES[key][0]


def fixed(q: np.ndarray, decimals: int) -> np.ndarray:
    """NUL-padded text of the integers q / 10**decimals: '-12.345', '0.500', '7' (decimals 0).
    The block's width fits the largest magnitude."""
    q = np.asarray(q, np.int64)
    a = np.abs(q)
    top = int(a.max(initial=0)) // 10 ** decimals
    nint = max(1, len(str(top)))
    width = 1 + nint + (1 + decimals if decimals else 0)
    out = np.empty((len(q), width), np.uint8)
    out[:, 0] = np.where(q < 0, ord("-"), 0)
    if decimals and nint + decimals <= _TABLE_DIGITS:  # one lookup per number
        out[:, 1:] = _decimal_table(nint, decimals)[a]
        return out
    ip, fp = np.divmod(a, 10 ** decimals)
    out[:, 1:1 + nint] = _int_digits(ip, nint, False)
    if decimals:
        out[:, 1 + nint] = ord(".")
        out[:, 2 + nint:] = _int_digits(fp, decimals, True)
    return out


NM_DECIMALS = 6  # the layout grid: 1 nm = 1e-6 mm


def scaled(values: np.ndarray, decimals: int) -> np.ndarray:
    """Millimetre values as integers in units of 10**-decimals, rounded once.

    Every coordinate of the job carries a whole nm count (placements, cell geometry; a float
    sum such as template vertex + cell centre is within 1e-9 nm of it), so each value is first
    read back as its nm integer, then rounded to `decimals` in integer arithmetic, half to
    even: the exact value rounded once, never its binary neighbour (2.4655 -> 2.466, where
    rint(2.4655 * 1000) gives 2465). At `decimals` >= 6 the value is rounded directly (a
    whole-nm value becomes exactly nm * 10**(decimals - 6); off-grid chord vertices keep
    their precision).
    """
    v = np.asarray(values, float)
    if decimals >= NM_DECIMALS:  # finer than the grid: whole nm land exactly on n * 10**k
        return np.rint(v * 10.0 ** decimals).astype(np.int64)  # (exact for |v| < 4.5 m at 9)
    nm = np.rint(v * 10.0 ** NM_DECIMALS).astype(np.int64)
    step = 10 ** (NM_DECIMALS - decimals)
    q, r = np.divmod(nm, step)  # floor division: r in [0, step)
    return q + ((2 * r > step) | ((2 * r == step) & (q % 2 == 1)))


def decimal_text(value: float, decimals: int) -> str:
    """One value as fixed-point text, rounded exactly as `scaled` rounds (headers, comments)."""
    q = int(scaled(np.array([value]), decimals)[0])
    sign, a = ("-" if q < 0 else ""), abs(q)
    if not decimals:
        return f"{sign}{a}"
    ip, fp = divmod(a, 10 ** decimals)
    return f"{sign}{ip}.{fp:0{decimals}d}"


def choice(choices: Sequence[str], which: np.ndarray | None = None, rows: int | None = None
           ) -> np.ndarray:
    """NUL-padded constant text per row: choices[which[i]] (the first for all rows if `which`
    is None; `rows` rows, broadcast)."""
    enc = [c.encode("ascii") for c in choices]
    tab = np.zeros((len(enc), max(max((len(e) for e in enc), default=0), 1)), np.uint8)
    for i, e in enumerate(enc):
        tab[i, :len(e)] = np.frombuffer(e, np.uint8)
    if which is None:
        return np.broadcast_to(tab[0], (1 if rows is None else rows, tab.shape[1]))
    return tab[np.asarray(which, np.int64)]


def lines(blocks: list[np.ndarray]) -> bytes:
    """The rows of the blocks side by side, NUL bytes dropped."""
    rows = max(b.shape[0] for b in blocks)
    width = sum(b.shape[1] for b in blocks)
    buf = np.empty((rows, width), np.uint8)
    c = 0
    for b in blocks:
        w = b.shape[1]
        buf[:, c:c + w] = b
        c += w
    return _drop_nul(buf)


def _drop_nul(buf: np.ndarray) -> bytes:
    flat = buf.reshape(-1)
    return flat[flat != 0].tobytes()


def number(values: np.ndarray, decimals: int) -> Part:
    """Fixed-point decimal text of each value: '-12.345', '0.500', '7' (decimals = 0)."""
    d = fixed(scaled(values, decimals), decimals)
    return d, d != 0


def text(choices: Sequence[str], which: np.ndarray | None = None, rows: int | None = None
         ) -> Part:
    """Constant text per row: choices[which[i]] (one choice for all rows if `which` is None)."""
    d = choice(choices, which, rows)
    return d, d != 0


def join(parts: list[Part]) -> bytes:
    """Rows of the concatenated parts, masked bytes dropped."""
    rows = max(p[0].shape[0] for p in parts)
    width = sum(p[0].shape[1] for p in parts)
    buf = np.zeros((rows, width), np.uint8)
    c = 0
    for d, m in parts:
        w = d.shape[1]
        np.copyto(buf[:, c:c + w], d, where=m)
        c += w
    return _drop_nul(buf)


def rows_in_chunks(n: int, build) -> Iterator[bytes]:  # noqa: ANN001
    """Call build(lo, hi) -> list of parts for each chunk of rows; yield the joined bytes."""
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        yield join(build(lo, hi))


# CSV tables (cells.csv, placements): numeric columns, one vectorised pass

_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], np.uint8)


def _scaled(values: np.ndarray, decimals: int) -> np.ndarray:
    v = np.asarray(values)
    if decimals:
        return np.round(v.astype(float) * 10.0**decimals).astype(np.int64)
    return v.astype(np.int64)


def _digits(out: np.ndarray, mask: np.ndarray | None, rest: np.ndarray, right: int,
            count: int) -> np.ndarray:
    """Write `count` decimal digits of `rest` into rows right-count .. right-1 of the
    column-major matrix `out`; mark digits above the number's length invalid (if mask given).
    Returns what is left of `rest`."""
    ndig = None
    if mask is not None:
        ndig = np.searchsorted(10 ** np.arange(1, 19, dtype=np.int64), rest, "right") + 1
    k = 0
    while k < count:
        take = 2 if count - k >= 2 else 1
        rest, part = np.divmod(rest, 100 if take == 2 else 10)
        if take == 2:
            out[right - k - 2] = _PAIRS[part, 0]
            out[right - k - 1] = _PAIRS[part, 1]
        else:
            out[right - k - 1] = part + 48
        if mask is not None and ndig is not None:
            for j in range(take):
                mask[right - k - 1 - j] = ndig > k + j
        k += take
    return rest


def format_csv(header: tuple[str, ...], columns: list[tuple]) -> bytes:
    """CSV bytes of numeric columns given as (values, decimals): one vectorised pass.

    A column given as (ints, decimals, True) is already in units of 10**-decimals (e.g. nm
    with 6 decimals) and is printed exactly.

    Each field is laid out right-aligned in a fixed-width byte matrix with a validity mask
    (sign, leading digits); the mask then squeezes the matrix into the CSV text.
    """
    n = len(columns[0][0]) if columns else 0
    head = (",".join(header) + "\n").encode()
    if n == 0:
        return head
    scaled = [(np.asarray(c[0], np.int64) if len(c) > 2 and c[2] else _scaled(c[0], c[1]), c[1])
              for c in columns]
    layout = []
    width = 0
    for sv, d in scaled:
        top = int(np.abs(sv).max()) // 10**d
        d_int = len(str(top))
        w = 1 + d_int + (d + 1 if d else 0)  # sign, integer digits, point and decimals
        layout.append((width, w, d_int))
        width += w + 1  # and the separator
    mat = np.empty((width, n), np.uint8)  # column-major: every write is contiguous
    mask = np.ones((width, n), bool)
    for (sv, d), (start, w, d_int), k in zip(scaled, layout, range(len(scaled)), strict=True):
        neg = sv < 0
        rest = np.abs(sv)
        mat[start] = ord("-")
        mask[start] = neg
        right = start + w
        if d:
            rest = _digits(mat, None, rest, right, d)
            mat[right - d - 1] = ord(".")
            right -= d + 1
        _digits(mat, mask, rest, right, d_int)
        mat[start + w] = ord("\n") if k == len(scaled) - 1 else ord(",")
    return head + np.ascontiguousarray(mat.T)[np.ascontiguousarray(mask.T)].tobytes()
