"""Every shipped example's outputs equal the references stored in tests/reference/.

A failure names the example, the file and its first differing line (GDS: the layer whose XOR is
not empty; report.html: the row). If the change is intended, refresh on purpose and review:
`python tests/refresh_references.py EXAMPLE` (see that script's docstring for what is stored).
The planted faults below prove the comparison can fail.
"""

from __future__ import annotations

import io
import lzma
import shutil
from collections.abc import Callable
from pathlib import Path

import klayout.db as kdb
import pytest
from PIL import Image

import refresh_references as R

EXAMPLES = R.all_examples()
PLANT = "iot_small"  # the quickest example: its run is reused for the planted faults
Messages = Callable[[Path], list[str]]  # the differences of an output folder


@pytest.fixture(scope="module")
def run_outputs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Each example run once for the module (in this process, through `layoutgen run`)."""
    done: dict[str, Path] = {}

    def get(example: str) -> Path:
        if example not in done:
            done[example] = R.run_example(example, tmp_path_factory.mktemp(example) / "out")
        return done[example]

    return get


def test_every_example_has_a_reference_and_no_stale_one() -> None:
    stored = sorted(p.name for p in R.REFERENCE.iterdir() if p.is_dir()
                    and not p.name.startswith("."))
    assert stored == EXAMPLES, "refresh with python tests/refresh_references.py"


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_matches_reference(example: str, run_outputs: Callable[[str], Path]) -> None:
    diffs = R.compare_outputs(R.REFERENCE / example, run_outputs(example))
    assert not diffs, R.describe(example, diffs)


# --------------------------------------------------------------------------- planted faults


@pytest.fixture(scope="module")
def fresh_reference(tmp_path_factory: pytest.TempPathFactory,
                    run_outputs: Callable[[str], Path]) -> Path:
    """A reference made from this run of the quickest example (so the planted faults test the
    comparison, whether or not today's outputs equal the stored ones)."""
    root = tmp_path_factory.mktemp("fresh-reference")
    R.store(PLANT, run_outputs(PLANT), root)
    return root / PLANT


@pytest.fixture
def planted(tmp_path: Path, run_outputs: Callable[[str], Path], fresh_reference: Path) -> Path:
    """A copy of the quickest example's outputs, to plant faults in (it matches first)."""
    out = tmp_path / "out"
    shutil.copytree(run_outputs(PLANT), out)
    assert R.compare_outputs(fresh_reference, out) == []
    return out


@pytest.fixture
def messages(fresh_reference: Path) -> Messages:
    return lambda out: [str(d) for d in R.compare_outputs(fresh_reference, out)]


def test_a_changed_text_line_is_named(planted: Path, messages: Messages) -> None:
    path = planted / "cells.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(",", ";", 1)
    path.write_text("".join(lines), encoding="utf-8")
    (msg,) = messages(planted)
    assert msg.startswith("cells.csv: line 4: stored ") and ";" in msg


def test_a_shorter_text_is_named(planted: Path, messages: Messages) -> None:
    path = planted / "summary.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 1], encoding="utf-8")
    (msg,) = messages(planted)
    assert msg.startswith("summary.json: line ") and "now (end of file)" in msg


def test_missing_and_new_files_are_named(planted: Path, messages: Messages) -> None:
    (planted / "cells.csv").unlink()
    (planted / "extra.txt").write_text("x\n", encoding="utf-8")
    assert messages(planted) == [
        "cells.csv: stored in the reference, not written by the run",
        "extra.txt: written by the run, not in the reference",
    ]


def test_a_moved_gds_shape_shows_in_the_xor(planted: Path, messages: Messages) -> None:
    (gds,) = [p for p in planted.glob("*.gds") if not p.name.endswith(".drc.gds")]
    ly = kdb.Layout()
    ly.read(str(gds))
    li = ly.layer(kdb.LayerInfo(1, 0))
    # 1 x 2 um just outside the sheet's lower-left corner (inside it would merge with the sheet)
    ly.top_cells()[0].shapes(li).insert(kdb.Box(-3000, -3000, -2000, -1000))
    ly.write(str(gds))
    msgs = messages(planted)
    assert len(msgs) == 1 and msgs[0].startswith(f"{gds.name}: layer 1/0: XOR not empty (1 "
                                                 "polygons, area 2e-06 mm2"), msgs


def test_a_report_row_dropped_or_mislabelled_is_named(planted: Path, messages: Messages) -> None:
    path = planted / "report.html"
    text = path.read_text(encoding="utf-8")
    page = R.parse_report(text)
    rows = {r[0]: r for r in page.table("Product").rows}
    packaged, unpackaged = rows["VED packaged"][1], rows["VED unpackaged (cell as built)"][1]
    assert packaged != unpackaged
    # swap the two VED values: the labels now name the wrong figure
    swapped = text.replace(f">{packaged}<", ">@@<").replace(f">{unpackaged}<", f">{packaged}<")
    path.write_text(swapped.replace(">@@<", f">{unpackaged}<"), encoding="utf-8")
    msgs = messages(planted)
    assert any("row 'VED packaged': stored" in m for m in msgs), msgs
    # drop the cells-per-sheet row
    start = text.index("cells per sheet</t")
    start = text.rindex("<tr", 0, start)
    path.write_text(text[:start] + text[text.index("</tr>", start) + 5:], encoding="utf-8")
    msgs = messages(planted)
    assert any("row labels differ (missing ['cells per sheet']" in m for m in msgs), msgs


def test_a_broken_report_figure_is_named(planted: Path, messages: Messages) -> None:
    path = planted / "report.html"
    text = path.read_text(encoding="utf-8")
    i = text.index("data:image/png;base64,") + len("data:image/png;base64,") + 200
    path.write_text(text[:i] + "AAAA" + text[i + 4:], encoding="utf-8")
    msgs = messages(planted)
    assert any(m.startswith("report.html: figure ") and "does not decode" in m
               for m in msgs), msgs


def test_a_resized_picture_is_named(planted: Path, messages: Messages) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (10, 20), "white").save(buf, "PNG")
    (planted / "sheet.png").write_bytes(buf.getvalue())
    (msg,) = messages(planted)
    assert msg.startswith("sheet.png: pixel size: stored (") and "now (10, 20)" in msg


def test_a_text_kept_as_digests_locates_the_block() -> None:
    lines = [f"G1 X{i} Y{i}\n" for i in range(3 * R.BLOCK_LINES)]
    old = "".join(lines).encode()
    entry, packed = R.text_entry(old, store_limit=0)
    assert entry["kind"] == "digest" and packed is None
    assert R.compare_digest(entry, old) is None
    lines[1500] = "G1 X0 Y0\n"
    where = R.compare_digest(entry, "".join(lines).encode())
    assert where is not None and where.startswith(f"lines {R.BLOCK_LINES + 1}-"
                                                  f"{2 * R.BLOCK_LINES} differ")
    lines[5] = "M5\n"
    where = R.compare_digest(entry, "".join(lines).encode())
    assert where == "line 6: stored 'G1 X5 Y5', now 'M5'"


def test_stored_texts_decompress_to_their_digest() -> None:
    for example in EXAMPLES:
        ref = R.REFERENCE / example
        for name, entry in R.load_manifest(ref)["files"].items():
            if entry["kind"] == "text":
                data = lzma.decompress((ref / entry["stored"]).read_bytes())
                assert R.sha256_of(data) == entry["sha256"], f"{example}/{name}"
