"""Reference outputs of the shipped examples: make them, store them, compare a run with them.

Refresh them on purpose, after a deliberate change to an output, then review what it prints and
the git diff of tests/reference/:

    python tests/refresh_references.py              # every examples/*.toml
    python tests/refresh_references.py iot_small    # only these examples
    python tests/refresh_references.py --check      # print the differences, store nothing

tests/test_reference_outputs.py runs every example and compares with what is stored here.
Under tests/reference/<example>/, MANIFEST.json lists every file a run writes and how it is
compared:

- text (summary.json, cells.csv, *.rules.toml, *.lyp, *.ngc, *.gcode, the laser *.svg, *.dxf,
  *.job.json): an xz-compressed copy `<file>.xz`, compared line by line (the first differing
  line is named). A text whose compressed copy would pass STORE_LIMIT is kept as its SHA-256,
  line count, one digest per BLOCK_LINES-line block and its first HEAD_LINES lines: a
  difference is located to a block (to the line inside the head);
- layout (*.gds, *.oas, the DRC marker *.drc.gds): stored as written, compared by KLayout XOR
  of every layer over the whole hierarchy (cell names and arrays may change, geometry may not);
- report (report.html): its parsed structure (sections, every table row, paragraphs, every
  figure's caption and pixel size, the files list), compared row by row; every figure decodes;
- picture (*.png, matplotlib's preview.svg): decodable, pixel size equal; bytes are not compared
  (they differ between matplotlib versions).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html.parser
import io
import json
import lzma
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import klayout.db as kdb
from PIL import Image

from layoutgen.cli import main as layoutgen_main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
REFERENCE = Path(__file__).resolve().parent / "reference"
MANIFEST = "MANIFEST.json"

STORE_LIMIT = 200_000  # bytes of xz a stored text may take; bigger: digests + head
BLOCK_LINES = 1000
HEAD_LINES = 40
LAYOUT_SUFFIXES = (".gds", ".oas")
PICTURE_SUFFIXES = (".png",)
SHOW = 160  # characters of a line shown in a message


@dataclass(frozen=True)
class Difference:
    """One way a run's outputs differ from the stored reference."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass(frozen=True)
class Figure:
    """One inline figure of the report."""

    alt: str
    caption: str
    mime: str
    width: int
    height: int
    figure_id: str = ""


@dataclass(frozen=True)
class Table:
    """One table of the report: the section it sits in and its rows of cell texts."""

    section: str
    rows: list[list[str]]

    def labels(self) -> list[str]:
        return [r[0] for r in self.rows if r]


@dataclass
class ReportPage:
    """What report.html shows, as parsed by html.parser (problems: figures that do not decode)."""

    title: str = ""
    heading: str = ""
    sections: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    paragraphs: list[list[str]] = field(default_factory=list)  # [section, text]
    figures: list[Figure] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def table(self, section: str) -> Table:
        """The first table of a section (KeyError naming the section if it has none)."""
        for t in self.tables:
            if t.section == section:
                return t
        raise KeyError(f"no table in section {section!r}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReportPage:
        return cls(title=d["title"], heading=d["heading"], sections=list(d["sections"]),
                   tables=[Table(t["section"], [list(r) for r in t["rows"]])
                           for t in d["tables"]],
                   paragraphs=[list(p) for p in d["paragraphs"]],
                   figures=[Figure(**f) for f in d["figures"]], files=list(d["files"]),
                   problems=list(d["problems"]))


# --------------------------------------------------------------------------- pictures


def picture_size(data: bytes, what: str) -> tuple[int, int]:
    """Pixel size of a PNG (fully decoded) or the width/height attributes of an SVG's root.

    ValueError naming `what` if it does not decode."""
    if data.startswith(b"\x89PNG"):
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                return im.size
        except Exception as exc:  # PIL raises many kinds
            raise ValueError(f"{what}: PNG does not decode ({exc})") from None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"{what}: neither a PNG nor a parseable SVG ({exc})") from None
    if not root.tag.endswith("svg"):
        raise ValueError(f"{what}: root element is {root.tag!r}, not svg")

    def num(v: str | None) -> int:
        return round(float((v or "0").rstrip("ptxm")))

    return num(root.get("width")), num(root.get("height"))


def is_picture(name: str, data: bytes) -> bool:
    """PNGs and matplotlib's SVGs (not the laser job's SVG, which is a text output)."""
    return name.endswith(PICTURE_SUFFIXES) or (
        name.endswith(".svg") and b'id="matplotlib.' in data)


# --------------------------------------------------------------------------- report.html


class _ReportParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ReportPage()
        self._stack: list[str] = []
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._img: tuple[str, str, int, int] | None = None  # alt, mime, w, h
        self._figure_id = ""

    def _section(self) -> str:
        return self.page.sections[-1] if self.page.sections else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("title", "h1", "h2", "th", "td", "p", "li", "figcaption"):
            self._text = []
        if tag == "table":
            self.page.tables.append(Table(self._section(), []))
        elif tag == "tr" and self.page.tables:
            self._row = []
            self.page.tables[-1].rows.append(self._row)
        elif tag == "figure":
            self._figure_id = a.get("id") or ""
        elif tag == "img":
            self._image(a.get("src") or "", a.get("alt") or "")
        self._stack.append(tag)

    def _image(self, src: str, alt: str) -> None:
        head, _, payload = src.partition(",")
        mime = head.removeprefix("data:").removesuffix(";base64")
        if not head.startswith("data:") or not head.endswith(";base64"):
            self.page.problems.append(f"figure {alt!r}: not an inline base64 image ({head[:40]})")
            self._img = (alt, mime, 0, 0)
            return
        try:
            w, h = picture_size(base64.b64decode(payload, validate=True), f"figure {alt!r}")
        except (ValueError, binascii.Error) as exc:
            self.page.problems.append(str(exc))
            w = h = 0
        self._img = (alt, mime, w, h)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("table", "tr"):
            self._row = None if tag == "tr" else self._row
        while self._stack and self._stack.pop() != tag:
            pass
        if self._text is None or tag not in ("title", "h1", "h2", "th", "td", "p", "li",
                                             "figcaption"):
            return
        text = " ".join("".join(self._text).split())
        if tag in ("th", "td") and self._row is not None:
            self._row.append(text)
            self._text = None
            return
        self._text = None
        if tag == "title":
            self.page.title = text
        elif tag == "h1":
            self.page.heading = text
        elif tag == "h2":
            self.page.sections.append(text)
        elif tag == "p":
            self.page.paragraphs.append([self._section(), text])
        elif tag == "li":
            self.page.files.append(text)
        elif tag == "figcaption":
            alt, mime, w, h = self._img or ("", "", 0, 0)
            self.page.figures.append(Figure(alt, text, mime, w, h, self._figure_id))
            self._img = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def parse_report(text: str) -> ReportPage:
    """The sections, tables, paragraphs, figures and files list report.html shows."""
    p = _ReportParser()
    p.feed(text)
    p.close()
    if p._img is not None:
        p.page.problems.append(f"figure {p._img[0]!r} has no caption")
    return p.page


def compare_reports(stored: ReportPage, now: ReportPage, name: str = "report.html",
                    pictures: frozenset[str] = frozenset()) -> list[Difference]:
    """Every way the report now differs from the stored one, row by row (rows labelled with a
    picture's file name compare the label only: picture bytes vary with matplotlib)."""
    out = [Difference(name, p) for p in now.problems]

    def differ(what: str, a: object, b: object) -> None:
        if a != b:
            out.append(Difference(name, f"{what}: stored {a!r}, now {b!r}"))

    differ("title", stored.title, now.title)
    differ("heading", stored.heading, now.heading)
    differ("sections", stored.sections, now.sections)
    differ("number of tables", len(stored.tables), len(now.tables))
    for a, b in zip(stored.tables, now.tables, strict=False):
        where = f"table in {a.section!r}"
        if a.labels() != b.labels():
            missing = [x for x in a.labels() if x not in b.labels()]
            extra = [x for x in b.labels() if x not in a.labels()]
            out.append(Difference(name, f"{where}: row labels differ (missing {missing}, new "
                                        f"{extra}; now {b.labels()})"))
        # rows in order when the labels agree (a label may repeat: zones "across", "along"),
        # else by label
        pairs = (list(zip([r for r in a.rows if r], [r for r in b.rows if r], strict=True))
                 if a.labels() == b.labels() else
                 [(r, {x[0]: x for x in b.rows if x}.get(r[0])) for r in a.rows if r])
        for row, now_row in pairs:
            if row and now_row is not None and now_row != row and row[0] not in pictures:
                out.append(Difference(name, f"{where}, row {row[0]!r}: stored {row[1:]}, "
                                            f"now {now_row[1:]}"))
    for i, (pa, pb) in enumerate(zip(stored.paragraphs, now.paragraphs, strict=False)):
        differ(f"paragraph {i + 1} (in {pa[0]!r})", pa, pb)
    differ("number of paragraphs", len(stored.paragraphs), len(now.paragraphs))
    differ("figures", [(f.figure_id, f.caption, f.mime, f.width, f.height)
                       for f in stored.figures],
           [(f.figure_id, f.caption, f.mime, f.width, f.height) for f in now.figures])
    differ("files listed", stored.files, now.files)
    return out


# --------------------------------------------------------------------------- text outputs


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _blocks(lines: list[bytes]) -> list[str]:
    return [sha256_of(b"".join(lines[i:i + BLOCK_LINES]))[:16]
            for i in range(0, len(lines), BLOCK_LINES)]


def _show(line: bytes | None, at: int = 0) -> str:
    """A line for a message: from a little before column `at`, at most SHOW characters."""
    if line is None:
        return "(end of file)"
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    start = max(0, min(at - SHOW // 3, len(text) - SHOW))
    shown = text[start:start + SHOW]
    return ("..." if start else "") + repr(shown) + ("..." if start + SHOW < len(text) else "")


def _pair(x: bytes | None, y: bytes | None) -> str:
    """'stored ..., now ...' of two differing lines, both shown around the first difference."""
    a, b = x or b"", y or b""
    at = next((i for i, (u, v) in enumerate(zip(a, b, strict=False)) if u != v), min(len(a),
                                                                                  len(b)))
    col = f" (column {at + 1})" if at > SHOW // 2 else ""
    return f"stored {_show(x, at)}, now {_show(y, at)}{col}"


def text_entry(data: bytes, store_limit: int = STORE_LIMIT) -> tuple[dict[str, Any], bytes | None]:
    """How a text output is stored: (manifest entry, xz bytes to store or None for digests)."""
    lines = _lines(data)
    entry: dict[str, Any] = {"sha256": sha256_of(data), "bytes": len(data), "lines": len(lines)}
    packed = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
    if len(packed) <= store_limit:
        return {"kind": "text", **entry}, packed
    head = [ln.decode("utf-8", "replace") for ln in lines[:HEAD_LINES]]
    return {"kind": "digest", **entry, "block_lines": BLOCK_LINES, "blocks": _blocks(lines),
            "head": head}, None


def first_difference(stored: bytes, now: bytes) -> str:
    """'line N: stored ..., now ...' for the first differing line of two texts."""
    a, b = _lines(stored), _lines(now)
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"line {i + 1}: {_pair(x, y)}"
    n = min(len(a), len(b))
    return (f"line {n + 1}: stored {_show(a[n] if n < len(a) else None)}, now "
            f"{_show(b[n] if n < len(b) else None)} (stored {len(a)} lines, now {len(b)})")


def compare_digest(entry: dict[str, Any], now: bytes) -> str | None:
    """Where a text kept as digests differs (None if it does not)."""
    if sha256_of(now) == entry["sha256"]:
        return None
    lines = _lines(now)
    head = [ln.encode("utf-8") for ln in entry["head"]]
    for i, (x, y) in enumerate(zip(head, lines, strict=False)):
        if x != y:
            return f"line {i + 1}: {_pair(x, y)}"
    step = int(entry["block_lines"])
    for k, (bx, by) in enumerate(zip(entry["blocks"], _blocks(lines), strict=False)):
        if bx != by:
            return (f"lines {k * step + 1}-{(k + 1) * step} differ (kept as digests, the "
                    f"stored text is not in the repository); that block now starts "
                    f"{_show(lines[k * step])}")
    return (f"stored {entry['lines']} lines ({entry['bytes']} bytes), now {len(lines)} "
            f"({len(now)} bytes): the common lines are equal")


# --------------------------------------------------------------------------- layouts


def _layer_regions(path: Path) -> tuple[kdb.Layout, dict[tuple[int, int], kdb.Region]]:
    ly = kdb.Layout()
    ly.read(str(path))
    tops = ly.top_cells()
    regions: dict[tuple[int, int], kdb.Region] = {}
    for li in ly.layer_indexes():
        info = ly.get_info(li)
        r = kdb.Region()
        for top in tops:
            r += kdb.Region(top.begin_shapes_rec(li))
        if not r.is_empty():
            regions[(info.layer, info.datatype)] = r
    return ly, regions


def compare_layouts(stored: Path, now: Path, name: str) -> list[Difference]:
    """KLayout XOR of every layer (whole hierarchy flattened) between two layout files."""
    a, ra = _layer_regions(stored)
    b, rb = _layer_regions(now)
    if abs(a.dbu - b.dbu) > 1e-12:
        return [Difference(name, f"database unit: stored {a.dbu:g} um, now {b.dbu:g} um")]
    out: list[Difference] = []
    for key in sorted(set(ra) | set(rb)):
        x = ra.get(key, kdb.Region()) ^ rb.get(key, kdb.Region())
        if x.is_empty():
            continue
        box = x.bbox()
        out.append(Difference(name, (
            f"layer {key[0]}/{key[1]}: XOR not empty ({x.count()} polygons, area "
            f"{x.area() * a.dbu ** 2 / 1e6:.6g} mm2, within x {box.left * a.dbu / 1000:g}.."
            f"{box.right * a.dbu / 1000:g} mm, y {box.bottom * a.dbu / 1000:g}.."
            f"{box.top * a.dbu / 1000:g} mm; stored {ra[key].count() if key in ra else 0} "
            f"polygons, now {rb[key].count() if key in rb else 0})")))
    return out


# --------------------------------------------------------------------------- one example


def run_example(example: str, out: Path) -> Path:
    """`layoutgen run examples/<example>.toml -o out -q` in this process; the output folder."""
    job = EXAMPLES / f"{example}.toml"
    if not job.is_file():
        raise FileNotFoundError(f"no example {job}")
    try:
        layoutgen_main(["run", str(job), "-o", str(out), "-q", "--overwrite"])
    except SystemExit as exc:
        if exc.code:
            raise RuntimeError(f"layoutgen run {job.name} exited {exc.code}") from None
    return out


def snapshot(out: Path, store_limit: int = STORE_LIMIT
             ) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest of a run's output folder and the files to store beside it."""
    files: dict[str, Any] = {}
    stored: dict[str, bytes] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):  # bins/, stacks/ too
        name, data = path.relative_to(out).as_posix(), path.read_bytes()
        blob = name.replace("/", "__")  # stored flat beside MANIFEST.json
        if name == "report.html":
            files[name] = {"kind": "report",
                           "page": asdict(parse_report(data.decode("utf-8")))}
        elif name.endswith(LAYOUT_SUFFIXES):
            files[name] = {"kind": "layout", "stored": blob, "bytes": len(data)}
            stored[blob] = data
        elif is_picture(path.name, data):
            w, h = picture_size(data, name)
            files[name] = {"kind": "picture", "width": w, "height": h, "bytes": len(data)}
        else:
            entry, packed = text_entry(data, store_limit)
            if packed is not None:
                entry["stored"] = f"{blob}.xz"
                stored[entry["stored"]] = packed
            files[name] = entry
    return {"format": "layoutgen-reference/1", "files": files}, stored


def load_manifest(ref_dir: Path) -> dict[str, Any]:
    return json.loads((ref_dir / MANIFEST).read_text(encoding="utf-8"))


def compare_file(ref_dir: Path, name: str, entry: dict[str, Any], now: Path,
                 pictures: frozenset[str] = frozenset()) -> list[Difference]:
    """How one output file differs from its manifest entry (pictures: for the report)."""
    kind = entry["kind"]
    data = now.read_bytes()
    if kind == "text":
        if sha256_of(data) == entry["sha256"]:
            return []
        old = lzma.decompress((ref_dir / entry["stored"]).read_bytes())
        return [Difference(name, first_difference(old, data))]
    if kind == "digest":
        where = compare_digest(entry, data)
        return [] if where is None else [Difference(name, where)]
    if kind == "layout":
        return compare_layouts(ref_dir / entry["stored"], now, name)
    if kind == "picture":
        try:
            size = picture_size(data, name)
        except ValueError as exc:
            return [Difference(name, str(exc))]
        want = (entry["width"], entry["height"])
        return [] if size == want else [Difference(name, f"pixel size: stored {want}, now "
                                                         f"{size}")]
    if kind == "report":
        return compare_reports(ReportPage.from_dict(entry["page"]),
                               parse_report(data.decode("utf-8")), name, pictures)
    return [Difference(name, f"unknown kind {kind!r} in {MANIFEST}")]


def compare_outputs(ref_dir: Path, out: Path) -> list[Difference]:
    """Every difference between a run's output folder and the reference stored in ref_dir."""
    if not (ref_dir / MANIFEST).is_file():
        return [Difference(MANIFEST, f"no reference stored in {ref_dir} (make it with "
                                     f"python tests/refresh_references.py {ref_dir.name})")]
    files = load_manifest(ref_dir)["files"]
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    diffs = [Difference(n, "stored in the reference, not written by the run")
             for n in sorted(set(files) - written)]
    diffs += [Difference(n, "written by the run, not in the reference")
              for n in sorted(written - set(files))]
    pictures = frozenset(n for n, e in files.items() if e["kind"] == "picture")
    for name in sorted(set(files) & written):
        diffs += compare_file(ref_dir, name, files[name], out / name, pictures)
    return diffs


def describe(example: str, diffs: list[Difference]) -> str:
    """A readable message: the example, then one line per difference."""
    lines = [f"{example}: {len(diffs)} difference(s) from tests/reference/{example}/ "
             f"(if intended: python tests/refresh_references.py {example})"]
    shown = [str(d) if len(str(d)) <= 600 else str(d)[:600] + " ..." for d in diffs]
    return "\n".join([*lines, *(f"  {d}" for d in shown)])


def store(example: str, out: Path, reference: Path = REFERENCE) -> None:
    """Replace tests/reference/<example>/ with the snapshot of a run's output folder."""
    manifest, blobs = snapshot(out)
    manifest["example"] = example
    target = reference / example
    new = reference / f".new-{example}"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    for name, data in sorted(blobs.items()):
        (new / name).write_bytes(data)
    (new / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n",
                                encoding="utf-8")
    old = reference / f".old-{example}"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def all_examples() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.toml"))


def main(argv: list[str]) -> int:
    """Re-run the examples named (all by default), print what changed, store the new outputs
    (with --check: store nothing; exit 1 if anything changed)."""
    check = "--check" in argv
    names = [a for a in argv if a != "--check"] or all_examples()
    changed = False
    unknown = sorted(set(names) - set(all_examples()))
    if unknown:
        print(f"no such example: {', '.join(unknown)} (have {', '.join(all_examples())})")
        return 2
    for example in names:
        with tempfile.TemporaryDirectory(prefix=f"ref-{example}-") as tmp:
            out = run_example(example, Path(tmp) / "out")
            diffs = compare_outputs(REFERENCE / example, out)
            print(describe(example, diffs) if diffs else f"{example}: unchanged", flush=True)
            changed |= bool(diffs)
            if check:
                continue
            store(example, out)
        size = sum(p.stat().st_size for p in (REFERENCE / example).iterdir())
        print(f"{example}: stored {size / 1e3:,.0f} kB in {REFERENCE / example}")
    return int(check and changed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
