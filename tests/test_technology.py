"""The technology registry is the one source: the deck defaults, the GDS layers, the .lyp, the DRC
marker layer and every picture's palette agree with it (and a planted wrong colour is caught)."""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import klayout.db as db
import pytest

from layoutgen import technology as tech
from layoutgen.deck import load_deck
from layoutgen.drc import run_drc
from layoutgen.export.gds import write_layout, write_lyp
from layoutgen.export.manifest import write_manifest
from layoutgen.layout.assemble import build_layout
from layoutgen.layout.model import SheetFeatures, SheetLayout
from layoutgen.render import figure as fig
from layoutgen.render import layout as render_layout
from layoutgen.render.layout import write_previews
from layoutgen.render.tiling import tiling_preview
from layoutgen.render.toolpath import toolpath_preview
from layoutgen.shapes import rect
from layoutgen.tiling.engine import sheet_spec_from_deck, tile
from layoutgen.tiling.result import Tiling
from layoutgen.toolpath.generate import build_toolpath

ROOT = Path(__file__).resolve().parents[1]
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")
KEEPOUT = 'tiling.keepouts=[{name="clamp", x_mm=20, y_mm=20, w_mm=5, h_mm=5, clearance_mm=0.5}]'
DECK = load_deck([], ["sheet.width_mm=60", "sheet.length_mm=50", "layout.labels=true", KEEPOUT])
SHAPE = rect(10, 8)


@pytest.fixture(scope="module")
def sheet() -> tuple[Tiling, SheetLayout]:
    t = tile(SHAPE, sheet_spec_from_deck(DECK))
    layout = build_layout(t, SHAPE, DECK)
    assert layout.count > 0 and all(layout.features[n] for n in tech.SHEET_LAYER_NAMES)
    return t, layout


# --- the registry itself ------------------------------------------------------------------

def test_registry_is_consistent() -> None:
    names = [layer.name for layer in tech.LAYERS]
    assert len(set(names)) == len(names) == len(tech.LAYER_NAMES)
    assert [layer.order for layer in tech.LAYERS] == list(range(len(tech.LAYERS)))
    assert tech.by_draw_order(list(reversed(names))) == names
    assert len({layer.gds for layer in tech.LAYERS}) == len(tech.LAYERS)
    colours = [layer.colour for layer in tech.LAYERS] + [op.colour for op in tech.OPERATIONS]
    for colour in colours:
        assert re.fullmatch(r"#[0-9a-f]{6}", colour), colour
    assert all(re.fullmatch(r"I\d+", layer.dither) for layer in tech.LAYERS)
    assert tech.CELL_LAYER_NAMES == ("SINGULATION", "ISOLATION", "ELECTROLYTE", "CATHODE",
                                     "ANODE_CC", "PAD")
    ops = tech.OPERATIONS
    for key in ("name", "colour", "aci", "lightburn_index"):
        assert len({getattr(op, key) for op in ops}) == len(ops), key
    with pytest.raises(KeyError):
        tech.layer("METAL1")


def test_sheet_features_have_one_field_per_sheet_layer() -> None:
    fields = set(SheetFeatures.__dataclass_fields__)
    assert fields == {n.lower() for n in tech.SHEET_LAYER_NAMES}
    with pytest.raises(KeyError):
        SheetFeatures()["CATHODE"]


# --- deck defaults ----------------------------------------------------------------------------

def _layer_mismatches(table: dict[str, object]) -> list[str]:
    """Layers whose (layer, datatype) in `table` differ from the registry (or are missing)."""
    want = tech.default_layer_map()
    names = sorted(set(want) | set(table))
    return [n for n in names if tuple(table.get(n, ())) != want.get(n)]  # type: ignore[arg-type]


def test_deck_defaults_carry_the_registry_numbers() -> None:
    toml = tomllib.loads((ROOT / "rules" / "default.toml").read_text(encoding="utf-8"))
    assert _layer_mismatches(toml["layers"]) == []
    layers = load_deck().layers
    assert _layer_mismatches({n: getattr(layers, n) for n in type(layers).model_fields}) == []
    assert set(type(layers).model_fields) == set(tech.LAYER_NAMES)
    planted = dict(toml["layers"], CATHODE=[23, 0])
    assert _layer_mismatches(planted) == ["CATHODE"]


# --- GDS and the DRC marker layer --------------------------------------------------------------

def _shape_counts(path: Path) -> dict[tuple[int, int], int]:
    ly = db.Layout()
    ly.read(str(path))
    top = ly.top_cell()
    out: dict[tuple[int, int], int] = {}
    for li in ly.layer_indexes():
        info = ly.get_info(li)
        n = sum(1 for _ in top.begin_shapes_rec(li).each())
        if n:
            out[(info.layer, info.datatype)] = n
    return out


def test_gds_layers_are_the_registry_layers(tmp_path, sheet) -> None:  # noqa: ANN001
    _, layout = sheet
    info = write_layout(layout, tmp_path / "s.gds")
    counts = _shape_counts(info.gds_path)
    expect = {tech.layer(n).gds: layout.count for n in tech.CELL_LAYER_NAMES}
    expect |= {tech.layer(n).gds: len(layout.features[n]) for n in tech.SHEET_LAYER_NAMES}
    expect[tech.layer("LABEL").gds] = layout.count  # one id label per cell
    assert counts == expect


def test_drc_markers_go_on_the_registry_marker_layer(tmp_path, sheet) -> None:  # noqa: ANN001
    _, layout = sheet
    info = write_layout(layout, tmp_path / "s.gds")
    write_manifest(layout, tmp_path / "cells.csv")
    strict = load_deck([], ["sheet.width_mm=60", "sheet.length_mm=50", KEEPOUT,
                            "process.isolation_width_um=500"])
    rep = run_drc(info.gds_path, strict, tmp_path / "cells.csv")
    assert not rep.ok
    ly = db.Layout()
    ly.read(str(rep.marker_path))
    marker = ly.find_layer(db.LayerInfo(*tech.layer("DRC_MARKER").gds))
    assert marker is not None
    assert sum(1 for _ in ly.top_cell().begin_shapes_rec(marker).each()) > 0


# --- the .lyp -------------------------------------------------------------------------------

def _lyp_mismatches(path: Path, layers: object) -> list[str]:
    """Entries of a .lyp that disagree with the registry (order top first, colour, dither) or
    with the deck's layer numbers."""
    props = ET.parse(path).getroot().findall("properties")
    names = [p.findtext("name", "").split()[0] for p in props]
    bad = [] if names == list(reversed(tech.LAYER_NAMES)) else [f"order {names}"]
    for p, name in zip(props, names, strict=True):
        entry = tech.layer(name)
        ld = getattr(layers, name)
        got = (p.findtext("fill-color"), p.findtext("frame-color"), p.findtext("dither-pattern"),
               p.findtext("source"))
        if got != (entry.colour, entry.colour, entry.dither, f"{ld[0]}/{ld[1]}@1"):
            bad.append(f"{name} {got}")
    return bad


def test_lyp_is_the_registry(tmp_path) -> None:
    layers = load_deck([], ["layers.PAD=[31, 2]"]).layers
    path = write_lyp(layers, tmp_path / "x.lyp")
    assert _lyp_mismatches(path, layers) == []
    text = path.read_text(encoding="utf-8")
    cathode = tech.layer("CATHODE").colour
    planted = tmp_path / "planted.lyp"
    planted.write_text(text.replace(cathode, "#123456", 1), encoding="utf-8")
    assert [m.split()[0] for m in _lyp_mismatches(planted, layers)] == ["CATHODE"]


# --- pictures ---------------------------------------------------------------------------------

PICTURE_ONLY = {*fig.ORIENTATION_COLOURS.values(), fig.OTHER_ORIENTATION, fig.JUMP_COLOUR,
                fig.SHEET_FACE, fig.FRAME_COLOUR}
CHROME = {"#000000", "#ffffff", "#cccccc"}  # matplotlib's axes, text, figure and legend frame


def _colours(path: Path) -> set[str]:
    return {c.lower() for c in HEX.findall(path.read_text(encoding="utf-8"))}


def _check_palette(path: Path, must: set[str]) -> None:
    """Every colour in the picture is a registry, picture-palette or chrome colour, and the
    colours of what it draws (`must`) are there."""
    used = _colours(path)
    allowed = ({layer.colour for layer in tech.LAYERS} | {op.colour for op in tech.OPERATIONS}
               | {c.lower() for c in PICTURE_ONLY} | CHROME)
    assert used <= allowed, sorted(used - allowed)
    assert must <= used, sorted(must - used)


def test_layout_preview_uses_the_layer_colours(tmp_path, sheet) -> None:  # noqa: ANN001
    _, layout = sheet
    write_previews(layout, [tmp_path / "p.svg"])
    must = {tech.layer(n).colour for n in (*tech.CELL_LAYER_NAMES, *tech.SHEET_LAYER_NAMES)}
    _check_palette(tmp_path / "p.svg", must)


def test_a_planted_wrong_colour_is_caught(tmp_path, sheet, monkeypatch) -> None:  # noqa: ANN001
    _, layout = sheet
    real = fig.layer_colour
    monkeypatch.setattr(render_layout, "layer_colour",
                        lambda name: "#123456" if name == "CATHODE" else real(name))
    write_previews(layout, [tmp_path / "p.svg"])
    with pytest.raises(AssertionError, match="123456"):
        _check_palette(tmp_path / "p.svg", set())


def test_tiling_preview_uses_the_registry_and_orientation_palette(tmp_path, sheet) -> None:  # noqa: ANN001
    t, _ = sheet
    tiling_preview(t, SHAPE, sheet_spec_from_deck(DECK), [tmp_path / "t.svg"])
    must = {tech.layer(n).colour for n in ("SHEET", "USABLE", "KEEPOUT")}
    must |= {fig.orientation_colour(r).lower() for r in set(t.rotation_deg.tolist())}
    _check_palette(tmp_path / "t.svg", must)


def test_toolpath_preview_uses_the_operation_colours(tmp_path, sheet) -> None:  # noqa: ANN001
    _, layout = sheet
    tp = build_toolpath(layout)
    toolpath_preview(tp, tmp_path / "j.svg")
    must = {tech.operation(op.name).colour for op in tp.operations if op.paths.count}
    must |= {tech.layer("SHEET").colour, tech.layer("FIELD").colour}
    assert len(must) >= 4
    _check_palette(tmp_path / "j.svg", must)


MY_ROOMS = ("layoutgen/layout", "layoutgen/render", "layoutgen/export/gds.py",
            "layoutgen/drc.py", "layoutgen/pattern.py")


def test_no_colour_literals_outside_the_two_palettes() -> None:
    """Colours live in technology.py (layers, operations) and render/figure.py (picture-only)."""
    found = []
    for room in MY_ROOMS:
        base = ROOT / room
        for path in sorted([base] if base.is_file() else base.rglob("*.py")):
            if path.name == "figure.py":
                continue
            for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if HEX.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{k}: {line.strip()}")
    assert found == []
