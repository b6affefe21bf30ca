"""Rule deck loading, merging, overrides and validation."""

from __future__ import annotations

import json
import tomllib

import pytest

from conftest import assert_user_error
from layoutgen.deck import deck_to_toml, default_deck_path, load_deck
from layoutgen.errors import LayoutgenError


def test_default_deck_has_canonical_keys() -> None:
    d = load_deck()
    assert d.stack.substrate_um == 10
    assert d.stack.cathode_um == 10
    assert d.stack.cathode_capacity_uah_cm2_um == 69.2
    assert d.stack.utilization == 0.94
    assert d.stack.voltage_v == 3.9
    assert d.stack.electrolyte_um > 0 and d.stack.anode_cc_um > 0
    assert d.layers.CATHODE == (20, 0) and d.layers.DRC_MARKER == (99, 0)
    assert default_deck_path().is_file()


def test_later_deck_wins_and_set_wins_over_decks(tmp_path) -> None:
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text("[stack]\nsubstrate_um = 20\ncathode_um = 8\n")
    b.write_text("[stack]\nsubstrate_um = 30\n")
    d = load_deck([a, b])
    assert d.stack.substrate_um == 30 and d.stack.cathode_um == 8
    d = load_deck([a, b], ["stack.substrate_um=40", "tiling.rotation=0", "tiling.cut=guillotine"])
    assert d.stack.substrate_um == 40 and d.tiling.rotation == "0"
    assert d.tiling.cut == "guillotine"


def test_resolved_deck_round_trips_through_toml(tmp_path) -> None:
    d = load_deck(overrides=["layout.labels=true"])
    text = deck_to_toml(d)
    tomllib.loads(text)
    p = tmp_path / "resolved.toml"
    p.write_text(text)
    assert load_deck([p]) == d


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[stack]\nfoo_um = 1\n", ["bad.toml", "stack.foo_um", "allowed"]),
        ("[stacks]\nsubstrate_um = 1\n", ["bad.toml", "stacks"]),
        ("[stack]\nutilization = 1.2\n", ["bad.toml", "stack.utilization", "less than or equal"]),
        ("[stack]\ncathode_um = 'thick'\n", ["bad.toml", "stack.cathode_um", "number"]),
        ("[stack]\nsubstrate_um = -5\n", ["bad.toml", "stack.substrate_um", "greater than 0"]),
        ("[sheet]\nedge_x_mm = 160\n", ["bad.toml", "no usable area"]),
        ("[layers]\nCATHODE = [10, 0]\n", ["bad.toml", "share"]),
        ("[stack\nx=1", ["bad.toml", "not valid TOML"]),
    ],
)
def test_bad_decks_give_one_line_errors(tmp_path, cli, content: str, words: list[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(content)
    with pytest.raises(LayoutgenError):
        load_deck([bad])
    assert_user_error(cli("rules", "check", str(bad)), *words)
    assert_user_error(cli("rules", "show", "--rules", str(bad)), *words)


def test_missing_deck_and_bad_set(cli) -> None:
    assert_user_error(cli("rules", "show", "--rules", "nope.toml"), "nope.toml", "not found")
    assert_user_error(cli("rules", "show", "--set", "stack.utilization"), "section.key=value")
    assert_user_error(cli("rules", "show", "--set", "stack.utilization=2"), "--set",
                      "stack.utilization")
    assert_user_error(cli("rules", "show", "--set", "tiling.cut=diagonal"), "tiling.cut",
                      "'free' or 'guillotine'")


def test_rules_show_writes_the_deck_commented_from_the_schema(cli) -> None:
    r = cli("rules", "show", "--set", "tiling.kerf_um=60")
    assert r.code == 0
    lines = r.out.splitlines()
    i = lines.index("kerf_um = 60.0")
    assert lines[i - 1] == "# Least street between two cells [um, 0 <= x <= 100000]"
    assert lines[lines.index("[tiling]") - 1] == "# Placement rules."


def test_rules_show_json_and_check_ok(cli, tmp_path) -> None:
    r = cli("rules", "show", "--json", "--set", "stack.substrate_um=25")
    assert r.code == 0
    data = json.loads(r.out)
    assert data["stack"]["substrate_um"] == 25
    good = tmp_path / "good.toml"
    good.write_text("[process]\nisolation_width_um = 40\n")
    r = cli("rules", "check", str(good))
    assert r.code == 0 and "ok" in r.out
