"""The hostile-input corpus of issue 14: every case, its files, and how to run and judge it.

A data module (no test functions): tests/test_hostile.py and benchmarks/hostile.py both build the
corpus with `build_cases(root)`, run it with `run_corpus(...)` and judge it with `problems(...)`.

A case is (id, class, argv, expected). expected is
  "error"        exit 2, exactly one non-empty stderr line, starting "error:", no traceback, and
                 the case folder (the run's cwd, holding every output folder) exactly as before:
                 no new or changed files, no .staging* folder, no .part file;
  "ok"           exit 0, no traceback, no .staging*/.part left;
  "either"       a resource bomb whose input is legal: "ok" or "error" both do, within the limits;
  "interrupted"  a signal sent mid-run (once a .staging folder exists): a non-zero exit, at most
                 one stderr line, no traceback, and the case folder as before.
Every case runs in its own folder under root/cases; its input files are copied there first.
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
MEM_LIMIT = 2 << 30  # RLIMIT_AS, bytes
CPU_LIMIT = 20  # RLIMIT_CPU, seconds
# a hang guard only (a child blocked without using CPU), then the process group is killed; the
# work bound is CPU_LIMIT, which a loaded machine does not stretch (a legal `run` of the iot
# example took 30 s of wall time on the shared 2-core machine: a 30 s wall limit failed it)
WALL_LIMIT = 300.0
EXPECTED = ("error", "ok", "either", "interrupted")
CLI = (sys.executable, "-m", "layoutgen")

Arg = str | bytes


@dataclass(frozen=True)
class Case:
    """One hostile input: the argv given to `layoutgen` in a fresh folder holding `files`."""

    id: str
    cls: str
    argv: tuple[Arg, ...]
    expected: str
    files: tuple[tuple[str, str], ...] = ()  # (name in the case folder, input name or "/" dir)
    pre: tuple[tuple[str, ...], ...] = ()  # commands run first (their files count as "before")
    signal: int | None = None  # sent once a .staging folder shows up in the case folder


@dataclass
class Result:
    """What one case did."""

    case: Case
    code: int | None
    out: str
    err: str
    seconds: float
    maxrss_kb: int
    before: dict[str, tuple[int, int]] = field(default_factory=dict)
    after: dict[str, tuple[int, int]] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)
    killed: str = ""  # "wall" when the wall timeout killed it
    setup_error: str = ""
    signalled: bool = False


# ---------------------------------------------------------------- input files


def _wearable_text() -> str:
    """The wearable job without its [test] maps: the cases here are about the job file's
    text, and polars reserves more address space than RLIMIT_AS leaves the run."""
    text = (EXAMPLES / "wearable_patch.toml").read_text(encoding="utf-8")
    return text.split("\n[test]\n")[0].rstrip() + "\n"


def _job(body: str, name: str = "hostile") -> str:
    """A small valid-looking job file around `body` (a [product] tail and extra tables)."""
    return (f'[product]\nname = "{name}"\nfootprint = "10x8"\ncapacity_mah = 1\n{body}\n'
            "[sheet]\nwidth_mm = 50\nlength_mm = 50\n")


def _circle_wkt(n: int, r: float = 5.0) -> str:
    pts = [(r + r * math.cos(2 * math.pi * i / n), r + r * math.sin(2 * math.pi * i / n))
           for i in range(n)]
    pts.append(pts[0])
    return "POLYGON ((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in pts) + "))\n"


def _circle_dxf(path: Path, n: int, r: float = 5.0) -> None:
    import ezdxf

    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    pts = [(r + r * math.cos(2 * math.pi * i / n), r + r * math.sin(2 * math.pi * i / n))
           for i in range(n)]
    for i in range(n):
        msp.add_line(pts[i], pts[(i + 1) % n])
    doc.saveas(path)


def _open_dxf(path: Path) -> None:
    import ezdxf

    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    for a, b in (((0, 0), (10, 0)), ((10, 0), (10, 8)), ((10, 8), (0, 8))):
        msp.add_line(a, b)
    doc.saveas(path)


def _empty_gds(path: Path) -> None:
    import gdstk

    gdstk.Library("EMPTY").write_gds(str(path))


def _deep(open_: str, close: str, depth: int, inner: str = "1") -> str:
    return open_ * depth + inner + close * depth


DEPTH = 10_000


def make_inputs(folder: Path, good_layout: bool = True) -> dict[str, Path]:
    """Write every input file of the corpus into `folder`; name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    texts: dict[str, bytes] = {}
    wear = _wearable_text()
    texts["wearable.toml"] = wear.encode()
    texts["job_latin1.toml"] = ("# taille: 20 x 15 mm, épaisseur ≤ 1 mm\n"
                                .replace("≤", "<=") + wear).encode("latin-1")
    texts["job_utf16.toml"] = wear.encode("utf-16")
    texts["job_nul.toml"] = _job('polygon = "a\x00b"').encode()
    texts["job_utf8_comment.toml"] = ("# épaisseur ≤ 1 mm, ✓\n" + wear).encode()
    texts["deck_latin1.toml"] = "[stack]\n# épaisseur du substrat\nsubstrate_um = 12.0\n".encode(
        "latin-1")
    texts["deck_utf16.toml"] = "[stack]\nsubstrate_um = 12.0\n".encode("utf-16")
    texts["cell_latin1.wkt"] = "POLYGON ((0 0, 10 0, 10 8, 0 8, 0 0)) \xb5\n".encode("latin-1")
    texts["cell_utf16.wkt"] = "POLYGON ((0 0, 10 0, 10 8, 0 8, 0 0))\n".encode("utf-16")
    texts["cell_nul.wkt"] = b"POLYGON ((0 0, 10 0, 10 8,\x00 0 8, 0 0))\n"
    texts["cell_crlf.wkt"] = b"POLYGON ((0 0, 10 0, 10 8, 0 8, 0 0))\r\n"
    texts["empty.toml"] = b""
    texts["empty.wkt"] = b""
    texts["blank.wkt"] = b"   \n\t\n"
    texts["empty.dxf"] = b""
    texts["empty.gds"] = b""
    texts["empty_product.toml"] = b"[product]\n"
    binary = bytes(range(256)) * 64
    for name in ("binary.toml", "binary.wkt", "binary.dxf", "binary.gds", "binary.csv"):
        texts[name] = binary
    texts["gzip.gds"] = b"\x1f\x8b\x08\x00" + binary[:512]
    texts["deep_inline.toml"] = ("a = " + _deep("{b = ", "}", DEPTH) + "\n").encode()
    texts["deep_array.toml"] = ("a = " + _deep("[", "]", DEPTH) + "\n").encode()
    texts["deep_header.toml"] = ("[" + ".".join(["a"] * DEPTH) + "]\nx = 1\n").encode()
    texts["deep_dotted.toml"] = (".".join(["a"] * DEPTH) + " = 1\n").encode()
    texts["job_deep.toml"] = _job("corner_radius_mm = " + _deep("[", "]", DEPTH)).encode()
    texts["circle20k.wkt"] = _circle_wkt(20_000).encode()
    texts["big_name.toml"] = _job("", name="a" * 20_000_000).encode()
    for key, value in {
        "capacity_nan": "capacity_mah = nan", "capacity_inf": "capacity_mah = inf",
        "capacity_huge": "capacity_mah = 1e308", "capacity_true": "capacity_mah = true",
        "thick_1e999": "max_thickness_mm = 1e999", "thick_false": "max_thickness_mm = false",
        "retention_true": "retention = true", "corner_true": "corner_radius_mm = true",
    }.items():
        texts[f"job_{key}.toml"] = _job(value).encode()
    texts["job_layers_huge.toml"] = _job("").replace(
        "capacity_mah = 1", "layers = 99999999999999999999").encode()
    texts["job_layers_true.toml"] = _job("").replace("capacity_mah = 1", "layers = true").encode()
    texts["job_footprint_furlong.toml"] = _job("").replace(
        '"10x8"', '"10 furlongs x 8"').encode()
    texts["job_footprint_Mm.toml"] = _job("").replace('"10x8"', '"10Mmx8Mm"').encode()
    texts["job_name_dotdot.toml"] = _job("", name="..").encode()
    texts["job_name_dot.toml"] = _job("", name=".").encode()
    texts["job_products_true.toml"] = (_job("") + "[lot]\nproducts = true\n").encode()
    texts["job_width_true.toml"] = _job("").replace("width_mm = 50", "width_mm = true").encode()
    texts["job_missing_polygon.toml"] = (
        b'[product]\nname = "x"\nshape = "polygon"\npolygon = "nope.dxf"\ncapacity_mah = 1\n'
)
    texts["job_missing_deck.toml"] = (_job("") + '[rules]\ndecks = ["nope.toml"]\n').encode()
    texts["job_keepout_nan.toml"] = (_job("") + '[rules]\nset = ["tiling.keepouts = '
                                     '[{x_mm = nan, y_mm = 10, w_mm = 5, h_mm = 5}]"]\n').encode()
    texts["deck_keepout_nan.toml"] = (b"[[tiling.keepouts]]\nx_mm = nan\ny_mm = 10\nw_mm = 5\n"
                                      b"h_mm = 5\n")
    texts["deck_keepout_inf.toml"] = (b"[[tiling.keepouts]]\nx_mm = 10\ny_mm = 10\nw_mm = inf\n"
                                      b"h_mm = 5\n")
    texts["deck_utilization_true.toml"] = b"[stack]\nutilization = true\n"
    texts["deck_unknown_key.toml"] = b"[stack]\nsubstrate_thickness = 10\n"
    texts["deck_ok.toml"] = b"[stack]\nsubstrate_um = 12.0\n"
    texts["cell_huge.wkt"] = b"POLYGON ((0 0, 1e308 0, 1e308 1e308, 0 1e308, 0 0))\n"
    texts["cell_nan.wkt"] = b"POLYGON ((0 0, nan 0, 10 8, 0 8, 0 0))\n"
    texts["cell_multi.wkt"] = (b"MULTIPOLYGON (((0 0, 4 0, 4 4, 0 4, 0 0)), "
                               b"((6 0, 9 0, 9 4, 6 4, 6 0)))\n")
    texts["cell_bowtie.wkt"] = b"POLYGON ((0 0, 10 8, 10 0, 0 8, 0 0))\n"
    texts["job_formats_pdf.toml"] = (_job("") + '[outputs]\nformats = ["gds", "pdf"]\n').encode()
    texts["job_polygon_dev_zero.toml"] = (
        b'[product]\nname = "x"\nshape = "polygon"\npolygon = "/dev/zero"\ncapacity_mah = 1\n')
    texts["job_polygon_passwd.toml"] = (
        b'[product]\nname = "x"\nshape = "polygon"\npolygon = "../../../../../../etc/passwd"\n'
        b'capacity_mah = 1\n')
    texts["job_deck_deep.toml"] = (_job("") + '[rules]\ndecks = ["deep_array.toml"]\n').encode()
    texts["job_lot_huge.toml"] = (_job("") + "[lot]\nproducts = 1000000000000000000\n").encode()
    paths: dict[str, Path] = {}
    for name, data in texts.items():
        p = folder / name
        p.write_bytes(data)
        paths[name] = p
    _circle_dxf(folder / "lines20k.dxf", 20_000)
    _empty_gds(folder / "nocells.gds")
    _open_dxf(folder / "open.dxf")
    for name in ("lines20k.dxf", "nocells.gds", "open.dxf"):
        paths[name] = folder / name
    shutil.copy(EXAMPLES / "tab_cell.dxf", folder / "tab_cell.dxf")
    shutil.copy(REPO / "docs" / "wearable_preview.png", folder / "picture.png")
    tab = (EXAMPLES / "tab_cell.toml").read_text(encoding="utf-8")
    (folder / "tab_cell.toml").write_text(tab, encoding="utf-8")
    for name in ("tab_cell.dxf", "picture.png", "tab_cell.toml"):
        paths[name] = folder / name
    for name in ("hearable_round.toml", "iot_small.toml"):
        shutil.copy(EXAMPLES / name, folder / name)
        paths[name] = folder / name
    if good_layout:
        good = folder / "good"
        subprocess.run([*CLI, "layout", "--sheet", "50x50", "--cell", "10x8", "-o", str(good),
                        "--no-preview"], check=True, capture_output=True)
        for name in ("sheet.gds", "sheet.rules.toml", "cells.csv"):
            paths[f"good/{name}"] = good / name
        data = (good / "sheet.gds").read_bytes()
        (folder / "truncated.gds").write_bytes(data[: len(data) // 2])
        paths["truncated.gds"] = folder / "truncated.gds"
    return paths


# ---------------------------------------------------------------- the cases

GOOD_LAYOUT = (("sheet.gds", "good/sheet.gds"), ("sheet.rules.toml", "good/sheet.rules.toml"),
               ("cells.csv", "good/cells.csv"))
SHEET = ("--sheet", "50x50", "--cell", "10x8")


def _cases() -> list[Case]:
    cases: list[Case] = []

    def add(id_: str, cls: str, argv: Iterable[Arg], expected: str = "error",
            files: Iterable[str | tuple[str, str]] = (), **kw: object) -> None:
        fs = tuple((f, f) if isinstance(f, str) else f for f in files)
        cases.append(Case(id_, cls, tuple(argv), expected, fs, **kw))  # type: ignore[arg-type]

    # --- encodings: job file, deck, WKT not UTF-8; argv bytes that are not UTF-8
    enc = "encoding"
    add("run-job-latin1", enc, ["run", "job_latin1.toml", "-o", "out", "-q"],
        files=["job_latin1.toml"])
    add("run-job-utf16", enc, ["run", "job_utf16.toml", "-o", "out", "-q"],
        files=["job_utf16.toml"])
    add("run-job-nul", enc, ["run", "job_nul.toml", "-o", "out", "-q"], files=["job_nul.toml"])
    add("layout-job-latin1", enc, ["layout", "--job", "job_latin1.toml", "-o", "out"],
        files=["job_latin1.toml"])
    add("toolpath-job-latin1", enc, ["toolpath", "--job", "job_latin1.toml", "-o", "out"],
        files=["job_latin1.toml"])
    add("rules-check-latin1", enc, ["rules", "check", "deck_latin1.toml"],
        files=["deck_latin1.toml"])
    add("rules-check-utf16", enc, ["rules", "check", "deck_utf16.toml"],
        files=["deck_utf16.toml"])
    add("rules-show-latin1", enc, ["rules", "show", "--rules", "deck_latin1.toml"],
        files=["deck_latin1.toml"])
    add("size-rules-latin1", enc, ["size", "-f", "10x10", "-n", "1", "--rules",
                                   "deck_latin1.toml"], files=["deck_latin1.toml"])
    add("tile-rules-utf16", enc, ["tile", *SHEET, "--rules", "deck_utf16.toml"],
        files=["deck_utf16.toml"])
    add("drc-rules-latin1", enc, ["drc", "sheet.gds", "--rules", "deck_latin1.toml"],
        files=[*GOOD_LAYOUT, "deck_latin1.toml"])
    add("tile-wkt-latin1", enc, ["tile", "--sheet", "50x50", "--polygon", "cell_latin1.wkt"],
        files=["cell_latin1.wkt"])
    add("tile-wkt-utf16", enc, ["tile", "--sheet", "50x50", "--polygon", "cell_utf16.wkt"],
        files=["cell_utf16.wkt"])
    add("tile-wkt-nul", enc, ["tile", "--sheet", "50x50", "--polygon", "cell_nul.wkt"],
        files=["cell_nul.wkt"])
    add("size-argv-not-utf8", enc, ["size", "-f", b"10\xffx10", "-n", "1"])
    add("tile-argv-not-utf8", enc, ["tile", "--sheet", "50x50", "--cell", b"\xfe\xff"])
    add("rules-show-set-not-utf8", enc, ["rules", "show", "--set", b"stack.substrate_um=\xff"])
    add("run-job-utf8-comment-ok", enc, ["run", "job_utf8_comment.toml", "-o", "out", "-q"],
        "ok", files=["job_utf8_comment.toml"])
    add("tile-wkt-crlf-ok", enc, ["tile", "--sheet", "50x50", "--polygon", "cell_crlf.wkt"],
        "ok", files=["cell_crlf.wkt"])

    # --- NaN, inf and huge numbers
    num = "number"
    for id_, argv in [
        ("size-capacity-1e308", ["-f", "10x10", "--capacity", "1e308"]),
        ("size-capacity-nan", ["-f", "10x10", "--capacity", "nan"]),
        ("size-capacity-inf", ["-f", "10x10", "--capacity", "inf"]),
        ("size-capacity-negative", ["-f", "10x10", "--capacity", "-1"]),
        ("size-capacity-zero", ["-f", "10x10", "--capacity", "0"]),
        ("size-max-thickness-1e999", ["-f", "10x10", "--max-thickness", "1e999"]),
        ("size-max-thickness-tiny", ["-f", "10x10", "--max-thickness", "1e-300"]),
        ("size-max-thickness-nan", ["--capacity", "10", "--max-thickness", "nan"]),
        ("size-footprint-1e308", ["--footprint", "1e308x1e308", "--layers", "1"]),
        ("size-footprint-nan", ["--footprint", "nanxnan", "--layers", "1"]),
        ("size-footprint-inf", ["--footprint", "infx10", "--layers", "1"]),
        ("size-layers-huge", ["-f", "10x10", "--layers", "99999999999999999999"]),
        ("size-layers-negative", ["-f", "10x10", "--layers", "-1"]),
        ("size-layers-zero", ["-f", "10x10", "--layers", "0"]),
        ("size-retention-nan", ["-f", "10x10", "-n", "1", "--retention", "nan"]),
        ("size-retention-over-1", ["-f", "10x10", "-n", "1", "--retention", "1.5"]),
        ("size-retention-zero", ["-f", "10x10", "-n", "1", "--retention", "0"]),
        ("size-aspect-nan", ["--capacity", "10", "--max-thickness", "1.2", "--aspect", "nan"]),
        ("size-aspect-huge", ["--capacity", "10", "--max-thickness", "1.2", "--aspect",
                              "1e308"]),
        ("size-aspect-zero", ["--capacity", "10", "--max-thickness", "1.2", "--aspect", "0"]),
        ("size-corner-radius-nan", ["-f", "10x10", "-n", "1", "--shape", "rounded",
                                    "--corner-radius", "nan"]),
        ("size-sheet-inf", ["-f", "10x10", "-n", "1", "--sheet", "infxinf"]),
    ]:
        add(id_, num, ["size", *argv])
    sweep = ["size", "sweep", "--param", "stack.substrate_um"]
    add("sweep-from-nan", num, [*sweep, "--from", "nan", "--to", "100", "--step", "10"])
    add("sweep-to-inf", num, [*sweep, "--from", "10", "--to", "inf", "--step", "10"])
    add("sweep-step-zero", num, [*sweep, "--from", "10", "--to", "100", "--step", "0"])
    add("sweep-step-negative", num, [*sweep, "--from", "10", "--to", "100", "--step", "-10"])
    add("sweep-step-nan", num, [*sweep, "--from", "10", "--to", "100", "--step", "nan"])
    add("compare-footprint-nan", num, ["size", "compare", "-f", "nanx10", "-f", "10x10",
                                       "--capacity", "10"])
    add("compare-capacity-1e308", num, ["size", "compare", "-f", "10x10", "--capacity",
                                        "1e308"])
    add("tile-sheet-1e308", num, ["tile", "--sheet", "1e308x1e308", "--cell", "10x8"])
    add("tile-cell-nan", num, ["tile", "--sheet", "50x50", "--cell", "nanx8"])
    add("tile-kerf-inf", num, ["tile", *SHEET, "--kerf", "inf"])
    add("tile-kerf-negative", num, ["tile", *SHEET, "--kerf", "-1"])
    add("tile-edge-nan", num, ["tile", *SHEET, "--edge", "nan"])
    add("tile-keepout-nan-x", num, ["tile", *SHEET, "--keepout", "nan,10,5,5"])
    add("tile-keepout-inf-clearance", num, ["tile", *SHEET, "--keepout", "10,10,5,5,inf"])
    add("tile-cell-sub-nm", num, ["tile", "--sheet", "50x50", "--cell", "0.0000001x8"])
    add("tile-cell-odd-nm", num, ["tile", "--sheet", "50x50", "--cell", "10.000001x8"])
    add("tile-set-kerf-nan", num, ["tile", *SHEET, "--set", "tiling.kerf_um=nan"])
    add("tile-set-kerf-inf", num, ["tile", *SHEET, "--set", "tiling.kerf_um=inf"])
    add("rules-show-set-nan", num, ["rules", "show", "--set", "stack.substrate_um=nan"])
    add("rules-show-set-1e999", num, ["rules", "show", "--set", "sheet.width_mm=1e999"])
    add("rules-check-keepout-nan", num, ["rules", "check", "deck_keepout_nan.toml"],
        files=["deck_keepout_nan.toml"])
    add("tile-rules-keepout-inf", num, ["tile", *SHEET, "--rules", "deck_keepout_inf.toml"],
        files=["deck_keepout_inf.toml"])
    add("run-job-keepout-nan", num, ["run", "job_keepout_nan.toml", "-o", "out", "-q"],
        files=["job_keepout_nan.toml"])
    for key in ("capacity_nan", "capacity_inf", "capacity_huge", "thick_1e999"):
        add(f"run-job-{key.replace('_', '-')}", num, ["run", f"job_{key}.toml", "-o", "out",
                                                        "-q"], files=[f"job_{key}.toml"])
    add("run-job-layers-huge", num, ["run", "job_layers_huge.toml", "-o", "out", "-q"],
        files=["job_layers_huge.toml"])
    add("tile-set-max-cells-huge", num, ["tile", *SHEET, "--set",  # a cap may refuse it
                                         "tiling.max_cells=99999999999999999999"], "either")
    add("tile-exact-grid-ok", num, ["tile", "--sheet", "94.8x46.6", "--cell", "10x6", "--kerf",
                                    "0.1", "--edge", "2"], "ok")

    # --- empty files and empty values
    emp = "empty"
    add("run-empty-job", emp, ["run", "empty.toml", "-o", "out", "-q"], files=["empty.toml"])
    add("run-empty-product", emp, ["run", "empty_product.toml", "-o", "out", "-q"],
        files=["empty_product.toml"])
    add("layout-job-empty", emp, ["layout", "--job", "empty.toml", "-o", "out"],
        files=["empty.toml"])
    add("tile-wkt-empty", emp, ["tile", "--sheet", "50x50", "--polygon", "empty.wkt"],
        files=["empty.wkt"])
    add("tile-wkt-blank", emp, ["tile", "--sheet", "50x50", "--polygon", "blank.wkt"],
        files=["blank.wkt"])
    add("tile-dxf-empty", emp, ["tile", "--sheet", "50x50", "--polygon", "empty.dxf"],
        files=["empty.dxf"])
    add("size-footprint-empty", emp, ["size", "--footprint", "", "--layers", "1"])
    add("tile-sheet-empty", emp, ["tile", "--sheet", "", "--cell", "10x8"])
    add("tile-cell-empty", emp, ["tile", "--sheet", "50x50", "--cell", ""])
    add("tile-out-empty", emp, ["tile", *SHEET, "-o", ""])
    add("layout-out-empty", emp, ["layout", *SHEET, "-o", ""])
    add("rules-show-set-empty", emp, ["rules", "show", "--set", ""])
    add("toolpath-format-empty", emp, ["toolpath", *SHEET, "--format", "", "-o", "out"])
    add("rules-check-empty-ok", emp, ["rules", "check", "empty.toml"], "ok", files=["empty.toml"])
    add("size-rules-empty-ok", emp, ["size", "-f", "10x10", "-n", "1", "--rules", "empty.toml"],
        "ok", files=["empty.toml"])

    # --- binary files
    binc = "binary"
    add("run-binary", binc, ["run", "binary.toml", "-o", "out", "-q"], files=["binary.toml"])
    add("run-png", binc, ["run", "picture.png", "-o", "out", "-q"], files=["picture.png"])
    add("layout-job-binary", binc, ["layout", "--job", "binary.toml", "-o", "out"],
        files=["binary.toml"])
    add("rules-check-binary", binc, ["rules", "check", "binary.toml"], files=["binary.toml"])
    add("size-rules-binary", binc, ["size", "-f", "10x10", "-n", "1", "--rules", "binary.toml"],
        files=["binary.toml"])
    add("tile-wkt-binary", binc, ["tile", "--sheet", "50x50", "--polygon", "binary.wkt"],
        files=["binary.wkt"])
    add("tile-dxf-binary", binc, ["tile", "--sheet", "50x50", "--polygon", "binary.dxf"],
        files=["binary.dxf"])
    add("tile-dxf-png", binc, ["tile", "--sheet", "50x50", "--polygon", "cell.dxf"],
        files=[("cell.dxf", "picture.png")])
    add("drc-binary-gds", binc, ["drc", "binary.gds"], files=["binary.gds"])
    add("drc-gzip-gds", binc, ["drc", "gzip.gds"], files=["gzip.gds"])
    add("drc-manifest-binary", binc, ["drc", "sheet.gds", "--manifest", "binary.csv"],
        files=[*GOOD_LAYOUT, "binary.csv"])
    add("drc-manifest-png", binc, ["drc", "sheet.gds"],
        files=[GOOD_LAYOUT[0], GOOD_LAYOUT[1], ("cells.csv", "picture.png")])

    # --- folders given as files
    dirc = "directory"
    for id_, argv in [
        ("run-dir", ["run", "d", "-o", "out", "-q"]),
        ("rules-check-dir", ["rules", "check", "d"]),
        ("rules-show-rules-dir", ["rules", "show", "--rules", "d"]),
        ("size-rules-dir", ["size", "-f", "10x10", "-n", "1", "--rules", "d"]),
        ("tile-polygon-dir", ["tile", "--sheet", "50x50", "--polygon", "d"]),
        ("tile-polygon-dir-dxf", ["tile", "--sheet", "50x50", "--polygon", "d.dxf"]),
        ("tile-polygon-dir-wkt", ["tile", "--sheet", "50x50", "--polygon", "d.wkt"]),
        ("drc-dir", ["drc", "d.gds"]),
        ("layout-job-dir", ["layout", "--job", "d", "-o", "out"]),
        ("sweep-csv-dir", [*sweep, "--from", "10", "--to", "30", "--step", "10", "--csv", "d"]),
        ("sweep-plot-dir", [*sweep, "--from", "10", "--to", "30", "--step", "10", "--plot",
                            "d.png"]),
    ]:
        add(id_, dirc, argv, files=[("d", "/"), ("d.dxf", "/"), ("d.wkt", "/"), ("d.gds", "/"),
                                    ("d.png", "/")])
    add("drc-manifest-dir", dirc, ["drc", "sheet.gds", "--manifest", "d"],
        files=[*GOOD_LAYOUT, ("d", "/")])

    # --- missing files
    mis = "missing"
    for id_, argv in [
        ("run-missing", ["run", "nope.toml", "-o", "out", "-q"]),
        ("rules-check-missing", ["rules", "check", "nope.toml"]),
        ("rules-show-rules-missing", ["rules", "show", "--rules", "nope.toml"]),
        ("size-rules-missing", ["size", "-f", "10x10", "-n", "1", "--rules", "nope.toml"]),
        ("tile-polygon-missing-wkt", ["tile", "--sheet", "50x50", "--polygon", "nope.wkt"]),
        ("tile-polygon-missing-dxf", ["tile", "--sheet", "50x50", "--polygon", "nope.dxf"]),
        ("drc-missing", ["drc", "nope.gds"]),
        ("layout-job-missing", ["layout", "--job", "nope.toml", "-o", "out"]),
        ("toolpath-job-missing", ["toolpath", "--job", "nope.toml", "-o", "out"]),
    ]:
        add(id_, mis, argv)
    add("drc-manifest-missing", mis, ["drc", "sheet.gds", "--manifest", "nope.csv"],
        files=GOOD_LAYOUT)
    add("run-job-polygon-missing", mis, ["run", "job_missing_polygon.toml", "-o", "out", "-q"],
        files=["job_missing_polygon.toml"])
    add("run-job-deck-missing", mis, ["run", "job_missing_deck.toml", "-o", "out", "-q"],
        files=["job_missing_deck.toml"])
    add("tile-polygon-unknown-ext", mis, ["tile", "--sheet", "50x50", "--polygon", "cell.stl"],
        files=[("cell.stl", "cell_crlf.wkt")])

    # --- deep TOML nesting
    deep = "nesting"
    for name in ("deep_inline", "deep_array", "deep_header", "deep_dotted"):
        tag = name.replace("_", "-")
        add(f"rules-check-{tag}", deep, ["rules", "check", f"{name}.toml"],
            files=[f"{name}.toml"])
        add(f"run-{tag}", deep, ["run", f"{name}.toml", "-o", "out", "-q"],
            files=[f"{name}.toml"])
    add("size-rules-deep-inline", deep, ["size", "-f", "10x10", "-n", "1", "--rules",
                                         "deep_inline.toml"], files=["deep_inline.toml"])
    add("tile-rules-deep-array", deep, ["tile", *SHEET, "--rules", "deep_array.toml"],
        files=["deep_array.toml"])
    add("run-job-deep-value", deep, ["run", "job_deep.toml", "-o", "out", "-q"],
        files=["job_deep.toml"])
    add("layout-job-deep", deep, ["layout", "--job", "deep_inline.toml", "-o", "out"],
        files=["deep_inline.toml"])
    add("rules-show-set-deep", deep, ["rules", "show", "--set",
                                      "stack.substrate_um=" + _deep("[", "]", DEPTH)])
    add("rules-show-set-deep-inline", deep, ["rules", "show", "--set",
                                             "stack.substrate_um=" + _deep("{a = ", "}", DEPTH)])

    # --- unknown units and malformed sizes
    uni = "units"
    for id_, argv in [
        ("size-footprint-Mm", ["size", "-f", "10Mmx10Mm", "-n", "1"]),
        ("size-footprint-furlongs", ["size", "-f", "10 furlongs", "-n", "1"]),
        ("size-max-thickness-uM", ["size", "-f", "10x10", "--max-thickness", "1uM"]),
        ("size-footprint-xx", ["size", "-f", "10xx10", "-n", "1"]),
        ("size-footprint-3d", ["size", "-f", "10x10x10", "-n", "1"]),
        ("size-footprint-no-width", ["size", "-f", "x10", "-n", "1"]),
        ("size-footprint-zero", ["size", "-f", "0x10", "-n", "1"]),
        ("size-footprint-negative", ["size", "-f", "-10x10", "-n", "1"]),
        ("size-footprint-comma", ["size", "-f", "10,10", "-n", "1"]),
        ("size-shape-triangle", ["size", "-f", "10x10", "-n", "1", "--shape", "triangle"]),
        ("tile-cell-furlongs", ["tile", "--sheet", "50x50", "--cell", "10furlongsx8"]),
        ("tile-kerf-Um", ["tile", *SHEET, "--kerf", "50Um"]),
        ("tile-edge-furlong", ["tile", *SHEET, "--edge", "5furlong"]),
        ("tile-keepout-Mm", ["tile", *SHEET, "--keepout", "10,10,20Mm,5"]),
        ("tile-rotation-45", ["tile", *SHEET, "--rotation", "45"]),
        ("tile-cut-diagonal", ["tile", *SHEET, "--cut", "diagonal"]),
        ("tile-shape-hexagon", ["tile", *SHEET, "--shape", "hexagon"]),
        ("toolpath-format-pdf", ["toolpath", *SHEET, "--format", "ngc,pdf", "-o", "out"]),
        ("tile-set-kerf-string", ["tile", *SHEET, "--set", 'tiling.kerf_um="50um"']),
        ("sweep-param-unknown", [*sweep[:3], "stack.nonexistent", "--from", "1", "--to", "2",
                                 "--step", "1"]),
        ("sweep-param-text", [*sweep[:3], "tiling.rotation", "--from", "1", "--to", "2",
                              "--step", "1"]),
        ("sweep-plot-txt", [*sweep, "--from", "10", "--to", "30", "--step", "10", "--plot",
                            "plot.txt"]),
    ]:
        add(id_, uni, argv)
    add("run-job-footprint-furlongs", uni, ["run", "job_footprint_furlong.toml", "-o", "out",
                                            "-q"], files=["job_footprint_furlong.toml"])
    add("run-job-footprint-Mm", uni, ["run", "job_footprint_Mm.toml", "-o", "out", "-q"],
        files=["job_footprint_Mm.toml"])
    add("rules-check-unknown-key", uni, ["rules", "check", "deck_unknown_key.toml"],
        files=["deck_unknown_key.toml"])
    add("size-max-thickness-um-ok", uni, ["size", "-f", "10x10", "--max-thickness", "1000um"],
        "ok")
    add("tile-cell-units-ok", uni, ["tile", "--sheet", "5cmx50mm", "--cell", "1cmx8000um"], "ok")

    # --- booleans given as numbers (and numbers as booleans)
    boo = "boolean"
    for key in ("capacity_true", "thick_false", "retention_true", "corner_true", "layers_true",
                "products_true", "width_true"):
        add(f"run-job-{key.replace('_', '-')}", boo, ["run", f"job_{key}.toml", "-o", "out",
                                                        "-q"], files=[f"job_{key}.toml"])
    add("rules-check-utilization-true", boo, ["rules", "check", "deck_utilization_true.toml"],
        files=["deck_utilization_true.toml"])
    for key, value in (("stack.substrate_um", "true"), ("tiling.max_cells", "true"),
                       ("laser.fiducial.passes", "true"), ("layout.labels", "1"),
                       ("sheet.width_mm", "false")):
        add(f"rules-show-set-{key.replace('.', '-').replace('_', '-')}-{value}", boo,
            ["rules", "show", "--set", f"{key}={value}"])

    # --- resource bombs
    bomb = "bomb"
    add("tile-wkt-20k-vertices", bomb, ["tile", "--sheet", "100x100", "--polygon",
                                        "circle20k.wkt"], "either", files=["circle20k.wkt"])
    add("layout-wkt-20k-vertices", bomb, ["layout", "--sheet", "100x100", "--polygon",
                                          "circle20k.wkt", "-o", "out"], "either",
        files=["circle20k.wkt"])
    add("tile-dxf-20k-lines", bomb, ["tile", "--sheet", "100x100", "--polygon", "lines20k.dxf"],
        "either", files=["lines20k.dxf"])
    add("toolpath-dxf-20k-lines", bomb, ["toolpath", "--sheet", "100x100", "--polygon",
                                         "lines20k.dxf", "-o", "out"], "either",
        files=["lines20k.dxf"])
    add("tile-circle-1um", bomb, ["tile", "--sheet", "300x300", "--cell", "1um", "--shape",
                                  "circle"])
    add("tile-rect-1um", bomb, ["tile", "--sheet", "300x300", "--cell", "1umx1um"])
    add("tile-rect-2um-force", bomb, ["tile", "--sheet", "300x300", "--cell", "2umx2um",
                                      "--force"])
    add("layout-rect-2um-force", bomb, ["layout", "--sheet", "300x300", "--cell", "2umx2um",
                                        "--force", "-o", "out"])
    add("layout-chord-tolerance-tiny", bomb, [
        "layout", "--sheet", "300x300", "--cell", "10", "--shape", "circle", "-o", "out",
        "--set", "layout.chord_tolerance_um=0.000001"])
    add("layout-rounded-chord-tiny", bomb, [
        "layout", "--sheet", "300x300", "--cell", "10x8", "--shape", "rounded",
        "--corner-radius", "2", "-o", "out", "--set", "layout.chord_tolerance_um=0.000001"])
    add("toolpath-field-1um", bomb, ["toolpath", "--sheet", "300x300", "--cell", "10x8", "-o",
                                     "out", "--set", "laser.field_mm=0.001"])
    add("layout-field-1um", bomb, ["layout", "--sheet", "300x300", "--cell", "10x8", "-o", "out",
                                   "--set", "laser.field_mm=0.001"])
    add("toolpath-scribe-overlap", bomb, ["toolpath", "--sheet", "300x300", "--cell", "10x8",
                                          "-o", "out", "--set", "laser.scribe_overlap=0.999999"])
    add("run-dev-zero", bomb, ["run", "/dev/zero", "-o", "out", "-q"])
    add("run-dev-urandom", bomb, ["run", "/dev/urandom", "-o", "out", "-q"])
    add("rules-check-dev-zero", bomb, ["rules", "check", "/dev/zero"])
    add("size-rules-dev-zero", bomb, ["size", "-f", "10x10", "-n", "1", "--rules", "/dev/zero"])
    add("tile-polygon-dev-zero", bomb, ["tile", "--sheet", "50x50", "--polygon", "/dev/zero"])
    add("tile-polygon-dev-zero-dxf", bomb, ["tile", "--sheet", "50x50", "--polygon", "z.dxf"],
        files=[("z.dxf", "@/dev/zero")])
    add("drc-dev-zero", bomb, ["drc", "/dev/zero"])
    add("run-job-20mb-name", bomb, ["run", "big_name.toml", "-o", "out", "-q"],
        files=["big_name.toml"])
    add("sweep-billion-steps", bomb, [*sweep, "--from", "0", "--to", "1e9", "--step", "1"])
    add("sweep-tiny-step", bomb, [*sweep, "--from", "10", "--to", "100", "--step", "1e-300"])
    add("tile-sheet-2100-cell-100um", bomb, ["tile", "--sheet", "2100x2100", "--cell",
                                             "0.1x0.1"])

    # --- output problems
    outc = "output"
    for cmd in (["tile", *SHEET], ["layout", *SHEET], ["toolpath", *SHEET]):
        add(f"{cmd[0]}-out-is-file", outc, [*cmd, "-o", "taken"], files=[("taken",
                                                                          "wearable.toml")])
        add(f"{cmd[0]}-out-under-file", outc, [*cmd, "-o", "taken/sub"],
            files=[("taken", "wearable.toml")])
    add("run-out-is-file", outc, ["run", "wearable.toml", "-o", "taken", "-q"],
        files=["wearable.toml", ("taken", "wearable.toml")])
    unwritable = "ro/out" if os.geteuid() != 0 else "/proc/layoutgen-hostile/out"
    add("layout-out-unwritable", outc, ["layout", *SHEET, "-o", unwritable],
        files=[("ro", "/ro")])
    add("run-out-unwritable", outc, ["run", "wearable.toml", "-o", unwritable, "-q"],
        files=["wearable.toml", ("ro", "/ro")])
    add("sweep-csv-unwritable", outc, [*sweep, "--from", "10", "--to", "30", "--step", "10",
                                       "--csv", unwritable + ".csv"], files=[("ro", "/ro")])
    add("drc-out-is-file", outc, ["drc", "sheet.gds", "-o", "taken"],
        files=[*GOOD_LAYOUT, ("taken", "wearable.toml")])
    add("run-product-named-dotdot", outc, ["run", "job_name_dotdot.toml", "-o", "out", "-q"],
        files=["job_name_dotdot.toml"])
    add("run-product-named-dot", outc, ["run", "job_name_dot.toml", "-o", "out", "-q"],
        files=["job_name_dot.toml"])
    add("layout-name-dotdot", outc, ["layout", *SHEET, "-o", "out", "--name", ".."])
    add("toolpath-name-escape", outc, ["toolpath", *SHEET, "-o", "out", "--name", "../evil"])
    add("layout-name-huge", outc, ["layout", *SHEET, "-o", "out", "--name", "a" * 300])
    add("run-out-holds-other-job", outc, ["run", "wearable.toml", "-o", "out", "-q"],
        files=["wearable.toml", "hearable_round.toml"],
        pre=(("run", "hearable_round.toml", "-o", "out", "-q"),))
    add("layout-out-holds-other-layout", outc, ["layout", *SHEET, "-o", "out", "--name", "b"],
        pre=(("layout", "--sheet", "60x60", "--cell", "10x8", "-o", "out", "--name", "a"),))
    add("layout-rerun-same-ok", outc, ["layout", *SHEET, "-o", "out"], "ok",
        pre=(("layout", *SHEET, "-o", "out"),))
    add("sweep-csv-new-folder-ok", outc, [*sweep, "--from", "10", "--to", "30", "--step", "10",
                                          "--csv", "new/s.csv"], "ok")

    # --- drc on files that are not layouts
    drc = "drc"
    add("drc-dxf", drc, ["drc", "tab_cell.dxf"], files=["tab_cell.dxf"])
    add("drc-empty-gds", drc, ["drc", "empty.gds"], files=["empty.gds"])
    add("drc-no-cells-gds", drc, ["drc", "nocells.gds"], files=["nocells.gds"])
    add("drc-truncated-gds", drc, ["drc", "truncated.gds"], files=["truncated.gds"])
    add("drc-toml", drc, ["drc", "wearable.toml"], files=["wearable.toml"])
    add("drc-toml-as-gds", drc, ["drc", "job.gds"], files=[("job.gds", "wearable.toml")])
    add("drc-png-as-oas", drc, ["drc", "pic.oas"], files=[("pic.oas", "picture.png")])
    add("drc-good-ok", drc, ["drc", "sheet.gds"], "ok", files=GOOD_LAYOUT)

    # --- missing option arguments and other usage errors
    use = "usage"
    for id_, argv in [
        ("size-footprint-no-value", ["size", "--footprint"]),
        ("size-capacity-no-value", ["size", "-f", "10x10", "--capacity"]),
        ("size-layers-not-int", ["size", "-f", "10x10", "--layers", "ten"]),
        ("size-unknown-option", ["size", "--bogus"]),
        ("tile-sheet-no-value", ["tile", "--sheet"]),
        ("tile-cell-no-value", ["tile", "--sheet", "50x50", "--cell"]),
        ("tile-no-cell", ["tile", "--sheet", "50x50"]),
        ("tile-verify-value", ["tile", *SHEET, "--verify=yes"]),
        ("layout-out-no-value", ["layout", *SHEET, "-o"]),
        ("toolpath-format-no-value", ["toolpath", *SHEET, "--format"]),
        ("run-no-job", ["run"]),
        ("drc-no-file", ["drc"]),
        ("rules-check-no-files", ["rules", "check"]),
        ("sweep-missing-to", ["size", "sweep", "--param", "stack.substrate_um", "--from", "10"]),
        ("compare-no-footprint", ["size", "compare", "--capacity", "10"]),
        ("unknown-command", ["frobnicate"]),
        ("rules-show-set-no-equals", ["rules", "show", "--set", "stack.substrate_um"]),
        ("rules-show-set-unknown-key", ["rules", "show", "--set", "stack.nope=1"]),
        ("rules-show-set-no-key", ["rules", "show", "--set", "=5"]),
        ("rules-show-set-trailing-dot", ["rules", "show", "--set", "stack.=5"]),
        ("layout-job-and-cell", ["layout", "--job", "wearable.toml", "--cell", "10x8", "-o",
                                 "out"]),
    ]:
        add(id_, use, argv, files=["wearable.toml"] if "job" in id_ else ())

    # --- broken outlines and job contents
    geo = "outline"
    for name in ("cell_huge", "cell_nan", "cell_multi", "cell_bowtie"):
        add(f"tile-wkt-{name[5:]}", geo, ["tile", "--sheet", "50x50", "--polygon",
                                          f"{name}.wkt"], files=[f"{name}.wkt"])
    add("tile-dxf-open", geo, ["tile", "--sheet", "50x50", "--polygon", "open.dxf"],
        files=["open.dxf"])
    add("run-job-formats-pdf", geo, ["run", "job_formats_pdf.toml", "-o", "out", "-q"],
        files=["job_formats_pdf.toml"])
    add("run-job-polygon-dev-zero", geo, ["run", "job_polygon_dev_zero.toml", "-o", "out",
                                          "-q"], files=["job_polygon_dev_zero.toml"])
    add("run-job-polygon-passwd", geo, ["run", "job_polygon_passwd.toml", "-o", "out", "-q"],
        files=["job_polygon_passwd.toml"])
    add("run-job-deck-deep", geo, ["run", "job_deck_deep.toml", "-o", "out", "-q"],
        files=["job_deck_deep.toml", "deep_array.toml"])
    add("rules-check-good-then-binary", geo, ["rules", "check", "deck_ok.toml", "binary.toml"],
        files=["deck_ok.toml", "binary.toml"])
    add("run-job-lot-huge", bomb, ["run", "job_lot_huge.toml", "-o", "out", "-q"], "either",
        files=["job_lot_huge.toml"])
    keepouts = [a for i in range(2000) for a in
                ("--keepout", f"{5 + (i % 40) * 1.1:.1f},{5 + (i // 40) * 0.8:.1f},0.5,0.3")]
    add("tile-2000-keepouts", bomb, ["tile", "--sheet", "60x60", "--cell", "1x1", *keepouts],
        "either")

    # --- legal inputs among the hostile ones
    legal = "legal"
    add("size-forward-ok", legal, ["size", "-f", "10x10", "--capacity", "10"], "ok")
    add("size-compare-ok", legal, ["size", "compare", "-f", "10x10", "-f", "12x8",
                                   "--capacity", "10"], "ok")
    add("size-sweep-ok", legal, [*sweep, "--from", "10", "--to", "30", "--step", "10"], "ok")
    add("rules-show-ok", legal, ["rules", "show", "--json"], "ok")
    add("rules-check-ok", legal, ["rules", "check", "deck_ok.toml"], "ok", files=["deck_ok.toml"])
    add("tile-tab-dxf-ok", legal, ["tile", "--sheet", "50x50", "--polygon", "tab_cell.dxf"],
        "ok", files=["tab_cell.dxf"])
    add("toolpath-ok", legal, ["toolpath", *SHEET, "-o", "out"], "ok")
    add("run-iot-ok", legal, ["run", "iot_small.toml", "-o", "out", "-q"], "ok",
        files=["iot_small.toml"])

    # --- signals mid-run: no .staging folder may be left
    sig = "signal"
    for s in (signal.SIGTERM, signal.SIGINT):
        tag = s.name.lower()
        add(f"run-{tag}", sig, ["run", "wearable.toml", "-o", "out", "-q"], "interrupted",
            files=["wearable.toml"], signal=s)
        add(f"layout-{tag}", sig, ["layout", "--sheet", "300x300", "--cell", "3x3", "-o", "out"],
            "interrupted", signal=s)
        add(f"toolpath-{tag}", sig, ["toolpath", "--sheet", "300x300", "--cell", "3x3", "-o",
                                     "out"], "interrupted", signal=s)
    return cases


CASES: list[Case] = _cases()


def case_inputs_needed() -> set[str]:
    """Every input file some case copies."""
    return {src for c in CASES for _, src in c.files if not src.startswith(("/", "@"))}


# ---------------------------------------------------------------- running and judging


def _limits() -> None:
    """preexec_fn: 2 GiB of address space, ~20 s of CPU, its own process group."""
    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder`: relative path -> (size, mtime ns)."""
    snap: dict[str, tuple[int, int]] = {}
    for p in folder.rglob("*"):
        if p.is_file() or p.is_symlink():
            st = p.lstat()
            snap[str(p.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return snap


def leftovers(folder: Path) -> list[str]:
    """.staging* folders and .part files anywhere under `folder`."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.name.startswith(".staging") or p.name.endswith(".part"))


def _setup(case: Case, folder: Path, inputs: dict[str, Path]) -> None:
    folder.mkdir(parents=True)
    for name, src in case.files:
        dst = folder / name
        if src.startswith("/"):
            dst.mkdir(parents=True, exist_ok=True)
            if src == "/ro" and os.geteuid() != 0:
                dst.chmod(0o555)
        elif src.startswith("@"):
            dst.symlink_to(src[1:])
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(inputs[src], dst)


def _spawn(argv: tuple[Arg, ...], cwd: Path, log: Path) -> tuple[subprocess.Popen, object, object]:
    out = open(log.with_suffix(".out"), "wb")
    err = open(log.with_suffix(".err"), "wb")
    proc = subprocess.Popen([*CLI, *argv], cwd=cwd, stdout=out, stderr=err,
                            stdin=subprocess.DEVNULL, preexec_fn=_limits,
                            start_new_session=True)
    return proc, out, err


def _wait(proc: subprocess.Popen, folder: Path, sig: int | None) -> tuple[int, int, str, bool]:
    """Wait for the child (sending `sig` once a .staging folder appears); code, rss, killed."""
    t0 = time.monotonic()
    signalled = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_maxrss, "", signalled
        if time.monotonic() - t0 > WALL_LIMIT:
            os.killpg(proc.pid, signal.SIGKILL)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_maxrss, "wall", signalled
        if sig is not None and not signalled and any(folder.rglob(".staging*")):
            os.kill(proc.pid, sig)
            signalled = True
        time.sleep(0.01 if sig is not None else 0.02)


def run_case(case: Case, root: Path, inputs: dict[str, Path]) -> Result:
    """Run one case in root/cases/<id> under the limits; what it did."""
    folder = root / "cases" / case.id
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    _setup(case, folder, inputs)
    setup_error = ""
    for i, pre in enumerate(case.pre):
        proc, o, e = _spawn(pre, folder, logs / f"{case.id}.pre{i}")
        code, _, _, _ = _wait(proc, folder, None)
        o.close()
        e.close()
        if code != 0:
            setup_error = f"setup command {' '.join(pre)} exited {code}"
    before = snapshot(folder)
    t0 = time.monotonic()
    proc, o, e = _spawn(case.argv, folder, logs / case.id)
    code, rss, killed, signalled = _wait(proc, folder, case.signal)
    seconds = time.monotonic() - t0
    o.close()
    e.close()
    out = (logs / f"{case.id}.out").read_bytes().decode("utf-8", "replace")
    err = (logs / f"{case.id}.err").read_bytes().decode("utf-8", "replace")
    return Result(case, code, out, err, seconds, rss, before, snapshot(folder),
                  leftovers(folder), killed, setup_error, signalled)


def problems(r: Result) -> list[str]:
    """Why the result misses its case's expectation (empty: it meets it)."""
    c = r.case
    bad: list[str] = []
    if r.setup_error:
        return [r.setup_error]
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    if r.killed:
        bad.append(f"killed after {WALL_LIMIT:g} s wall time")
    elif r.code is not None and r.code < 0:
        bad.append(f"killed by signal {-r.code} (CPU limit {CPU_LIMIT} s or memory "
                   f"{MEM_LIMIT >> 30} GiB?)")
    if "Traceback" in r.err:
        bad.append("traceback on stderr")
    if r.leftovers:
        bad.append(f"left {', '.join(r.leftovers[:3])}")
    new = sorted(set(r.after) - set(r.before))
    changed = sorted(k for k in r.before if r.after.get(k) != r.before[k])
    as_error = c.expected == "error" or (c.expected == "either" and r.code != 0)
    if as_error or c.expected == "interrupted":
        if new:
            bad.append(f"new files {', '.join(new[:3])}" + (" ..." if len(new) > 3 else ""))
        if changed:
            bad.append(f"changed or removed {', '.join(changed[:3])}")
    if c.expected == "interrupted":
        if not r.signalled:
            bad.append("ended before a .staging folder appeared (no signal sent)")
        if r.code == 0:
            bad.append("exit 0 after the signal")
        if len(lines) > 1:
            bad.append(f"{len(lines)} lines on stderr")
    elif as_error:
        if r.code != 2:
            bad.append(f"exit {r.code}, not 2")
        if len(lines) != 1:
            bad.append(f"{len(lines)} lines on stderr, not 1")
        elif not lines[0].startswith("error:"):
            bad.append(f"stderr line does not start with 'error:': {lines[0][:80]!r}")
    elif r.code != 0:
        bad.append(f"exit {r.code}, not 0")
    if bad and lines:
        bad.append(f"stderr ends: {lines[-1][:160]!r}")
    return bad


def warm_up(root: Path) -> None:
    """Compile/cache the numba kernels once without limits, so no case pays for it."""
    folder = root / "warmup"
    folder.mkdir(parents=True, exist_ok=True)
    for argv in (["tile", "--sheet", "300x300", "--cell", "10x8"],
                 ["tile", "--sheet", "300x300", "--cell", "10x8", "--cut", "guillotine"],
                 ["tile", "--sheet", "100x100", "--cell", "5", "--shape", "circle"]):
        subprocess.run([*CLI, *argv], cwd=folder, capture_output=True, check=False)


def run_corpus(root: Path, cases: list[Case] | None = None, workers: int = 2,
               on_result: Callable[[Result], None] | None = None) -> dict[str, Result]:
    """Build the inputs in root, run every case (in `workers` threads); id -> result."""
    cases = CASES if cases is None else cases
    inputs = make_inputs(root / "inputs")
    warm_up(root)

    def one(case: Case) -> Result:
        r = run_case(case, root, inputs)
        if on_result is not None:
            on_result(r)
        return r

    # slow cases first so the pool does not end on one long tail
    order = sorted(cases, key=lambda c: (c.signal is None, not c.pre, c.cls != "bomb"))
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(one, order))
    return {r.case.id: r for r in results}


def check_ids() -> None:
    """Ids are unique and expectations known (a corpus sanity check)."""
    ids = [c.id for c in CASES]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate case ids: {sorted(dup)}")
    for c in CASES:
        if c.expected not in EXPECTED:
            raise ValueError(f"{c.id}: unknown expectation {c.expected!r}")


check_ids()
