"""Issue 14, numbers and messages: finite, in-range, strictly typed deck and job values; `size`
refusing absurd inputs; errors naming what the user gave (%g numbers); no '<bool>' in --help."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import assert_user_error
from layoutgen import sizing
from layoutgen.deck import load_deck, shown
from layoutgen.errors import LayoutgenError
from layoutgen.sweep import MAX_POINTS, sweep_values

LONG_NUMBER = re.compile(r"\d{16,}")  # no 309-digit (or any > 15-digit) number in a message
DECK = load_deck()
FLOAT_KEYS = sorted(k for k, v in DECK.flat().items() if isinstance(v, float))
INT_KEYS = sorted(k for k, v in DECK.flat().items()
                  if isinstance(v, int) and not isinstance(v, bool))
BOOL_KEYS = sorted(k for k, v in DECK.flat().items() if isinstance(v, bool))


def _one_line(result) -> str:  # noqa: ANN001
    assert_user_error(result)
    line = result.err.strip().splitlines()[-1]
    assert not LONG_NUMBER.search(line), line
    return line


def _job(tmp_path, product: str, extra: str = "") -> str:  # noqa: ANN001
    path = tmp_path / "job.toml"
    path.write_text(f'[product]\nname = "x"\nfootprint = "10x10"\n{product}\n{extra}',
                    encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ size: absurd inputs


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-f", "10x10", "--capacity", "1e308"], ["--capacity", "1e+308", "1e+09"]),
        (["-f", "10x10", "--capacity", "nan"], ["--capacity", "nan", "positive"]),
        (["-f", "10x10", "--capacity", "inf"], ["--capacity", "inf"]),
        (["-f", "10x10", "--max-thickness", "1e999"], ["--max-thickness"]),
        (["-f", "10x10", "--max-thickness", "1e6"], ["--max-thickness", "1000"]),
        (["-f", "1e308x1e308", "--layers", "1"], ["--footprint"]),
        (["-f", "1e6x1e6", "--layers", "1"], ["--footprint", "2100"]),
        (["-f", "10x10", "--layers", "99999999999999999999"], ["--layers", "1e+20", "10,000"]),
        (["-f", "10x10", "--layers", "10001"], ["--layers", "10,000"]),
        (["-f", "10x10", "--layers", "1", "--retention", "nan"], ["--retention", "nan"]),
        (["--capacity", "10", "--max-thickness", "1", "--aspect", "1e308"], ["--aspect"]),
        (["--capacity", "10", "--max-thickness", "1", "--aspect", "nan"], ["--aspect"]),
        (["--capacity", "1e6", "--max-thickness", "1"], ["--capacity", "2100"]),
        (["-f", "10x10", "--capacity", "1e6"], ["--capacity", "1e+06", "10,000 layers"]),
    ],
)
def test_size_refuses_absurd_inputs(cli, args: list[str], words: list[str]) -> None:
    line = _one_line(cli("size", *args))
    for w in words:
        assert w in line, (w, line)


@pytest.mark.parametrize(
    ("ends", "word"),
    [
        (["--from", "nan", "--to", "100", "--step", "10"], "--from"),
        (["--from", "10", "--to", "inf", "--step", "10"], "--to"),
        (["--from", "10", "--to", "100", "--step", "nan"], "--step"),
        (["--from", "0", "--to", "1e300", "--step", "1"], "--to"),
        (["--from", "1", "--to", "1000000", "--step", "0.001"], "points"),
        (["--from", "-10", "--to", "10", "--step", "10"], "stack.substrate_um = -10"),
    ],
)
def test_sweep_refuses_absurd_ranges(cli, tmp_path, ends: list[str], word: str) -> None:
    out = tmp_path / "s.csv"
    r = cli("size", "sweep", "--param", "stack.substrate_um", *ends, "--csv", out)
    assert word in _one_line(r)
    assert not out.exists()


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True),
       st.floats(allow_nan=True))
def test_sweep_values_bounded_or_one_error(start: float, stop: float, step: float) -> None:
    try:
        values = sweep_values(start, stop, step)
    except LayoutgenError as exc:
        assert not LONG_NUMBER.search(str(exc))
        return
    assert 1 <= len(values) <= MAX_POINTS
    assert all(math.isfinite(v) for v in values)


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(1e-3, 1e6))
def test_sweep_values_in_range_reach_the_end(start: float, stop: float, step: float) -> None:
    assume(start <= stop and (stop - start) / step < MAX_POINTS - 1)
    values = sweep_values(start, stop, step)
    assert values[0] == pytest.approx(start, abs=1e-9)
    assert values[-1] <= stop + 2e-9 * step + 1e-9  # stop is inclusive up to rounding
    assert stop - values[-1] < step + 1e-6
    assert len(values) == math.floor((stop - start) / step + 1e-9) + 1


@given(st.floats(min_value=1e-3, max_value=1e9, allow_nan=False))
def test_capacity_in_range_never_overflows(capacity: float) -> None:
    fp = sizing.footprint_of("rect", 10, 10)
    try:
        p = sizing.layers_for_capacity(fp, capacity, DECK)
    except LayoutgenError as exc:
        assert "10,000 layers" in str(exc)
        return
    assert p.eol_capacity_mAh >= capacity * (1 - 1e-9) and p.layers <= sizing.MAX_LAYERS


# ------------------------------------------------------------------ decks: finite, strict


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(FLOAT_KEYS),
       value=st.sampled_from(["nan", "inf", "-inf", "true", "false", '"10"']))
def test_every_float_key_refuses_non_numbers(tmp_path, key: str, value: str) -> None:
    section, name = key.rsplit(".", 1)
    deck = tmp_path / "d.toml"
    deck.write_text(f"[{section}]\n{name} = {value}\n", encoding="utf-8")
    with pytest.raises(LayoutgenError) as info:
        load_deck([deck])
    text = str(info.value)
    assert "d.toml" in text and key in text, text


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(INT_KEYS), value=st.sampled_from(["true", "2.5", "3.0", "nan"]))
def test_every_int_key_refuses_bools_and_floats(tmp_path, key: str, value: str) -> None:
    section, name = key.rsplit(".", 1)
    deck = tmp_path / "d.toml"
    deck.write_text(f"[{section}]\n{name} = {value}\n", encoding="utf-8")
    with pytest.raises(LayoutgenError, match=re.escape(key)):
        load_deck([deck])


@pytest.mark.parametrize("key", BOOL_KEYS)
def test_every_bool_key_refuses_numbers(key: str) -> None:
    with pytest.raises(LayoutgenError, match="true or false"):
        load_deck(overrides=[f"{key}=1"])


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[tiling]\nkeepouts = [{x_mm = nan, y_mm = 0, w_mm = 10, h_mm = 10}]\n",
         ["d.toml", "tiling.keepouts[0].x_mm = nan", "finite"]),
        ("[stack]\nsubstrate_um = true\n", ["d.toml", "stack.substrate_um = true"]),
        ("[tiling]\nmax_cells = 10.5\n", ["d.toml", "tiling.max_cells", "whole number"]),
        ("[layers]\nSHEET = [true, 0]\n", ["d.toml", "layers.SHEET"]),
        ("[stack]\nutilization = 1e308\n", ["d.toml", "stack.utilization = 1e+308", "1"]),
        ("[tiling]\nkeepouts = [{x_mm = 290, y_mm = 0, w_mm = 20, h_mm = 10}]\n",
         ["d.toml", "tiling.keepouts[0]", "inside"]),
        ("[tiling]\nkerf_um = 10\n", ["d.toml", "spot_um", "kerf_um"]),
    ],
)
def test_rules_check_and_run_refuse_alike(cli, tmp_path, content: str, words: list[str]) -> None:
    deck = tmp_path / "d.toml"
    deck.write_text(content, encoding="utf-8")
    checked = _one_line(cli("rules", "check", deck))
    job = _job(tmp_path, "layers = 1", '[rules]\ndecks = ["d.toml"]\n')
    out = tmp_path / "out"
    ran = _one_line(cli("run", job, "-o", out, "-q"))
    assert not out.exists()
    for w in words:
        assert w in checked and w in ran, (w, checked, ran)
    assert checked.split("d.toml: ", 1)[1] == ran.split("d.toml: ", 1)[1]


def test_huge_but_legal_values_pass() -> None:
    d = load_deck(overrides=["tiling.max_cells=99999999999999999999"])
    assert d.tiling.max_cells == 99999999999999999999
    assert load_deck(overrides=["stack.substrate_um=100"]).stack.substrate_um == 100


@given(st.one_of(st.integers(), st.floats(), st.booleans(),
                 st.lists(st.integers(), max_size=20), st.text(max_size=500)))
def test_shown_values_are_short(value: object) -> None:
    text = shown(value)
    assert len(text) <= 80 and not LONG_NUMBER.search(text), text


# ------------------------------------------------------------------ job files


@pytest.mark.parametrize(
    ("product", "extra", "words", "not_words"),
    [
        ("capacity_mah = true", "", ["job.toml: product.capacity_mah = true", "number"],
         ["--capacity"]),
        ("capacity_mah = 1e308", "", ["job.toml: product.capacity_mah = 1e+308"],
         ["--capacity"]),
        ("capacity_mah = nan", "", ["job.toml: product.capacity_mah = nan", "finite"], []),
        ("max_thickness_mm = 1e999", "", ["job.toml: product.max_thickness_mm = inf"], []),
        ("layers = 99999999999999999999", "", ["job.toml: product.layers = 1e+20", "10,000"],
         ["--layers"]),
        ("layers = 2.0", "", ["job.toml: product.layers = 2.0", "whole number"], []),
        ("capacity_mah = 1e6\nmax_thickness_mm = 1", "",
         ["job.toml: product.capacity_mah = 1e+06 mAh", "product.max_thickness_mm = 1 mm"],
         ["--capacity", "--max-thickness"]),
        ("layers = 90\nmax_thickness_mm = 1", "",
         ["job.toml: product.layers = 90", "product.max_thickness_mm = 1 mm"], ["--layers"]),
        ("max_thickness_mm = 0.05", "", ["job.toml: product.max_thickness_mm = 0.05 mm",
                                         "not even one layer"], ["--max-thickness"]),
        ("layers = 1", "[sheet]\nwidth_mm = 1e308\n", ["job.toml: sheet.width_mm = 1e+308"],
         ["job [sheet]"]),
        ("layers = 1", "[sheet]\nwidth_mm = 10\nlength_mm = 10\nedge_x_mm = 1\nedge_y_mm = 1\n",
         ["job.toml: product.footprint = '10x10'", "does not fit"], ["--cell"]),
        ("layers = 1", '[rules]\nset = ["stack.utilization = 2"]\n',
         ["job.toml: rules.set", "stack.utilization = 2"], ["--set"]),
        ("layers = 1", "[lot]\nproducts = true\n", ["job.toml: lot.products = true"], []),
    ],
)
def test_job_errors_name_the_job_key(cli, tmp_path, product: str, extra: str,
                                     words: list[str], not_words: list[str]) -> None:
    path = _job(tmp_path, product, extra)
    out = tmp_path / "out"
    line = _one_line(cli("run", path, "-o", out, "-q"))
    assert not out.exists()
    for w in words:
        assert w in line, (w, line)
    for w in not_words:
        assert w not in line, (w, line)


def test_sizing_names_default_to_flags_and_follow_the_job() -> None:
    fp = sizing.footprint_of("rect", 10, 10)
    with pytest.raises(LayoutgenError, match="^--capacity 1e\\+06 mAh"):
        sizing.layers_for_capacity(fp, 1e6, DECK, max_thickness_mm=1)
    names = sizing.Names.job("a.toml")
    with pytest.raises(LayoutgenError, match="^a.toml: product.capacity_mah = 1e\\+06 mAh"):
        sizing.layers_for_capacity(fp, 1e6, DECK, max_thickness_mm=1, names=names)
    with pytest.raises(LayoutgenError, match="^a.toml: product.layers"):
        sizing.design(fp, 0, DECK, names=names)


# ------------------------------------------------------------------ --help


@pytest.mark.parametrize("command", [["size"], ["size", "sweep"], ["size", "compare"],
                                     ["rules", "show"], ["tile"], ["layout"], ["toolpath"],
                                     ["run"]])
def test_help_shows_no_bool_metavar(cli, command: list[str]) -> None:
    r = cli(*command, "--help")
    assert r.code == 0, r.err
    assert "--help" in r.out and "<bool>" not in r.out, r.out
