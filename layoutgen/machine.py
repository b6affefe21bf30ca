"""The machine profile (`[machine]` in the deck): what the laser files are written for.

A galvo marker (a fibre laser with a scan head: fast jumps, fields, no feed limit to speak of)
and a gantry (a GRBL diode or CO2 machine: one head on X/Y axes with a feed limit, an
acceleration and a junction deviation) take different files and different times for one job.
The writers read the profile for feeds, arcs and power scale; the job metrics for the time
estimate. Shipped profiles: rules/machines/galvo_fiber.toml, rules/machines/grbl_diode.toml
(`--rules rules/machines/grbl_diode.toml`, or `--set machine.kind=gantry --set
machine.max_feed_mm_min=6000`).

Every field states its unit and range; values are typed strictly (no "6000" text for a number,
no float for an integer).
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field

from layoutgen.schema import Settings


class Machine(Settings):
    """The machine the laser files are written for (default: a galvo fibre marker)."""

    name: str = Field(default="galvo fiber marker", min_length=1, max_length=80,
        description="Profile name shown in the files and the report")
    kind: Literal["galvo", "gantry"] = Field(default="galvo",
        description=("galvo: a scan head (times from the operation speeds, fields, delays); "
                     "gantry: X/Y axes (feed limit, acceleration, junctions)"))
    max_feed_mm_min: float = Field(default=600000.0, gt=0, le=1e7,
        json_schema_extra={"unit": "mm/min"},
        description=("Highest marking feed (GRBL $110/$111); a faster operation is written at "
                     "this feed with its power lowered in proportion (same energy per mm)"))
    rapid_mm_min: float = Field(default=600000.0, gt=0, le=1e7,
        json_schema_extra={"unit": "mm/min"},
        description="Jump (G0) rate of a gantry; a galvo jumps at each operation's jump speed")
    acceleration_mm_s2: float = Field(default=1e6, gt=0, le=1e9,
        json_schema_extra={"unit": "mm/s^2"},
        description="Axis acceleration of a gantry (GRBL $120/$121); unused for a galvo")
    junction_deviation_mm: float = Field(default=0.01, ge=0, le=10,
        json_schema_extra={"unit": "mm"},
        description="GRBL $11: how fast a gantry may take a corner (0: stops at every corner)")
    arcs: bool = Field(default=True,
        description="The controller takes circular arcs (G2/G3); false: arcs written as chords")
    arc_tolerance_mm: float = Field(default=0.002, gt=0, le=1,
        json_schema_extra={"unit": "mm"},
        description="GRBL $12: chord error the controller cuts its own arcs to")
    chord_tolerance_um: float = Field(default=2.0, ge=0.01, le=1000,
        json_schema_extra={"unit": "um"},
        description="Largest sagitta of the chords written for an arc where arcs is false")
    power_scale: int = Field(default=1000, ge=1, le=100000,
        json_schema_extra={"unit": "S units"},
        description="GRBL $30: the S value of full power (S = power % x power_scale / 100)")

    @property
    def is_gantry(self) -> bool:
        return self.kind == "gantry"


def shipped_profiles() -> tuple[Machine, ...]:
    """The machine profiles shipped in rules/machines/ (installed as layoutgen.rules), by name."""
    try:  # package data after install; rules/machines/ in a checkout
        folder = Path(str(resources.files("layoutgen.rules").joinpath("machines")))
    except (ModuleNotFoundError, TypeError):
        folder = Path(__file__).resolve().parent.parent / "rules" / "machines"
    return tuple(Machine.model_validate(tomllib.loads(p.read_text(encoding="utf-8"))["machine"])
                 for p in sorted(folder.glob("*.toml")))
