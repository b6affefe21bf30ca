"""The schema is the single source: descriptions, units and ranges of every deck and job key,
`rules explain`, CLI help, the commented rules.toml, the README's references and the shipped
deck are all read from it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from conftest import assert_user_error
from layoutgen import job, schema, technology
from layoutgen.deck import (
    Deck,
    Layers,
    Tiling,
    deck_to_toml,
    default_deck_path,
    default_deck_text,
    explain,
    field_choices,
    field_help,
    key_doc,
    load_deck,
    reference_markdown,
    with_values,
)
from layoutgen.errors import LayoutgenError

ROOT = Path(__file__).resolve().parents[1]
UNITLESS_KINDS = ("integer", "true/false", "text", "choice")


def _problems(sections: list[schema.SectionDoc]) -> list[str]:
    """Keys whose schema lacks a description, a unit (numbers) or a range (numbers, integers)."""
    bad = []
    for s in sections:
        if not s.description:
            bad.append(f"[{s.key}]: no description")
        for k in s.keys:
            if not k.description:
                bad.append(f"{k.key}: no description")
            if k.kind.startswith("number") and not k.unit:
                bad.append(f"{k.key}: a number without a unit")
            if k.kind.startswith(("number", "integer")) and not k.range:
                bad.append(f"{k.key}: a number without a range")
    return bad


def test_every_deck_and_job_key_is_documented() -> None:
    assert _problems(schema.section_docs(Deck)) == []
    assert _problems(schema.section_docs(job.Job)) == []


def test_the_documentation_check_catches_an_undocumented_field() -> None:
    class Toy(BaseModel):
        """A toy section."""

        width_mm: float = Field(default=1.0, gt=0, le=5, description="Width")
        bare: float = Field(default=1.0)  # no description, unit or range
        count: int = Field(default=1, description="How many")

    assert _problems(schema.section_docs(Toy)) == [
        "bare: no description", "bare: a number without a unit",
        "bare: a number without a range", "count: a number without a range"]


def test_key_docs_read_unit_range_choices_and_default() -> None:
    kerf = key_doc("tiling.kerf_um")
    assert (kerf.kind, kerf.unit, kerf.range) == ("number", "um", "0 <= x <= 100000")
    util = key_doc("stack.utilization")
    assert (util.unit, util.range) == ("fraction", "0 < x <= 1")
    assert key_doc("tiling.max_cells").range == "x > 0"
    assert key_doc("laser.fiducial.mark_speed_mm_s").unit == "mm/s"
    assert key_doc("stack.cathode_capacity_uah_cm2_um").unit == "uAh/cm2/um"
    rot = key_doc("tiling.rotation")
    assert rot.kind == "choice"
    assert rot.choices == get_args(Tiling.model_fields["rotation"].annotation) == ("any", "0", "90")
    assert key_doc("tiling.keepouts[3].clearance_mm") == key_doc("tiling.keepouts.clearance_mm")
    assert key_doc("tiling.keepouts[].clearance_mm").range == "0 <= x <= 1000"
    assert key_doc("tiling.max_polygon_vertices").default == 1000  # the model's own default


def test_field_help_gives_cli_options_their_text_and_choices() -> None:
    assert field_help("tiling.kerf_um") == ("Least street between two cells "
                                            "[um, 0 <= x <= 100000]")
    assert field_help("tiling.cut").endswith("[free | guillotine]")
    assert field_choices("tiling.cut") == ("free", "guillotine")
    assert field_choices("tiling.kerf_um") == ()
    assert "web edges" in field_help("sheet.edge_x_mm")
    with pytest.raises(KeyError, match="tiling.kerf"):
        field_help("tiling.kerf")


def test_explain_one_key_a_section_everything_and_refuses_unknown_names() -> None:
    one = explain("tiling.kerf_um")
    assert [[k.key for k in s.keys] for s in one.sections] == [["tiling.kerf_um"]]
    text = one.text()
    for word in ("tiling.kerf_um", "Least street", "um", "0 <= x <= 100000", "default  50.0"):
        assert word in text
    laser = explain("laser")
    assert [s.key for s in laser.sections][:4] == ["laser", "laser.fiducial", "laser.isolation",
                                                  "laser.singulation"]
    assert explain("laser.singulation.spot_um").sections[0].keys[0].default == 30.0
    keepouts = explain("tiling.keepouts")
    assert [s.key for s in keepouts.sections] == ["tiling", "tiling.keepouts[]"]
    every = explain()
    flat = load_deck().flat()
    documented = {k.key for s in every.sections for k in s.keys}
    assert set(flat) <= documented  # every key the deck holds is explained
    json.dumps(every.as_json(), allow_nan=False)
    with pytest.raises(LayoutgenError, match=r"did you mean tiling\.kerf_um.*sections: stack"):
        explain("tiling.kerf")


def test_rules_explain_command(cli) -> None:
    r = cli("rules", "explain", "tiling.cut")
    assert r.code == 0 and "free | guillotine" in r.out and "default" in r.out
    r = cli("rules", "explain", "layout", "--json")
    data = json.loads(r.out)
    assert data["sections"][0]["section"] == "layout"
    assert {k["key"] for k in data["sections"][0]["keys"]} >= {"layout.chord_tolerance_um",
                                                               "layout.pad_position"}
    r = cli("rules", "explain", "--markdown")
    assert r.code == 0 and r.out == reference_markdown()
    assert_user_error(cli("rules", "explain", "stack.nope"), "stack.nope", "no such deck key")


def _comment_above(lines: list[str], i: int) -> str:
    """The comment block right above line i, joined back into one text."""
    block: list[str] = []
    j = i - 1
    while j >= 0 and lines[j].startswith("# "):
        if not lines[j].startswith(("#   ", "# each item is")):  # a list's item keys
            block.insert(0, lines[j][2:])
        j -= 1
    return " ".join(block)


def test_written_rules_toml_comments_every_key_from_the_schema() -> None:
    text = deck_to_toml(load_deck())
    lines = text.splitlines()
    section = ""
    seen = set()
    docs = {k.key: k for s in schema.section_docs(Deck) for k in s.keys}
    for i, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip("[]")
            assert _comment_above(lines, i) == explain(section).sections[0].description
        elif line and not line.startswith("#"):
            key = f"{section}.{line.split(' = ')[0]}"
            assert _comment_above(lines, i) == docs[key].summary(), key
            seen.add(key)
    assert seen == set(load_deck().flat())


def test_comment_check_catches_a_missing_comment() -> None:
    lines = deck_to_toml(load_deck()).splitlines()
    i = lines.index("kerf_um = 50.0")
    del lines[i - 1]
    assert _comment_above(lines, i - 1) != key_doc("tiling.kerf_um").summary()


NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(util=st.floats(0.01, 1), voltage=st.floats(0.1, 10), labels=st.booleans(),
       rotation=st.sampled_from(("any", "0", "90")), microtabs=st.integers(0, 16),
       kerf_nm=st.integers(30_000, 10**8), name=NAMES,
       box=st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(1, 50)))
def test_written_rules_toml_loads_back_to_the_same_deck(
        tmp_path_factory: pytest.TempPathFactory, util: float, voltage: float, labels: bool,
        rotation: str, microtabs: int, kerf_nm: int, name: str,
        box: tuple[int, int, int]) -> None:
    x, y, w = box
    deck = with_values(load_deck(), {
        "stack.utilization": util, "stack.voltage_v": voltage, "layout.labels": labels,
        "tiling.rotation": rotation, "laser.microtabs": microtabs,
        "tiling.kerf_um": kerf_nm / 1000,
        "tiling.keepouts": [{"x_mm": x, "y_mm": y, "w_mm": w, "h_mm": w, "name": name}]})
    text = deck_to_toml(deck)
    path = tmp_path_factory.mktemp("deck") / "rules.toml"
    path.write_text(text, encoding="utf-8")
    assert load_deck([path]) == deck
    assert tomllib.loads(text)["tiling"]["keepouts"][0]["name"] == name


def test_shipped_deck_is_the_schema_rendering_of_its_values() -> None:
    assert default_deck_path().read_text(encoding="utf-8") == default_deck_text(), (
        "rules/default.toml differs from the schema: run python scripts/refresh_reference.py")


def test_layer_defaults_come_from_the_technology_registry() -> None:
    assert set(Layers.model_fields) == set(technology.LAYER_NAMES)
    plain = Layers()
    raw = tomllib.loads(default_deck_path().read_text(encoding="utf-8"))["layers"]
    for entry in technology.LAYERS:
        assert getattr(plain, entry.name) == (entry.number, entry.datatype)
        assert tuple(raw[entry.name]) == (entry.number, entry.datatype), entry.name
        assert key_doc(f"layers.{entry.name}").description == entry.purpose


README_BLOCKS = (("deck-reference", reference_markdown), ("job-reference", job.reference_markdown))


@pytest.mark.parametrize(("name", "make"), README_BLOCKS)
def test_readme_reference_is_generated_from_the_schema(name: str, make: object) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert schema.generated_block(readme, name) == make(), (  # type: ignore[operator]
        f"README {name} differs from the schema: run python scripts/refresh_reference.py")


def test_readme_check_catches_a_hand_edit() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    edited = readme.replace("Least street between two cells", "Least street", 1)
    assert schema.generated_block(edited, "deck-reference") != reference_markdown()
    fixed = schema.with_generated_block(edited, "deck-reference", reference_markdown())
    assert fixed == readme
    assert schema.generated_block("no markers here", "deck-reference") is None


def test_job_reference_documents_every_job_key() -> None:
    text = job.reference_markdown()
    for section in ("product", "rules", "sheet", "lot", "outputs"):
        model = job.Job.model_fields[section].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        assert f"### `[{section}]`" in text
        for key in model.model_fields:
            assert f"| `{key}` |" in text, f"{section}.{key}"
    assert "base_dir" not in text  # set by the loader, not a user key


def test_literal_choices_are_exactly_the_schema_s() -> None:
    for s in schema.section_docs(Deck):
        for k in s.keys:
            if k.kind == "choice":
                assert k.choices and all(c in k.summary() for c in k.choices), k.key
