"""Lot planning: products per sheet, sheets and roll length for a lot at a cell yield."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from layoutgen.errors import LayoutgenError


@dataclass(frozen=True)
class LotPlan:
    """How much sheet a lot of products takes."""

    products: int
    layers: int
    cells_per_sheet: int
    cell_yield: float
    good_cells_per_sheet: int
    products_per_sheet: int
    sheets: int
    roll_m: float
    rolls: float
    cells_to_spare: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def lot_plan(products: int, layers: int, cells_per_sheet: int, cell_yield: float,
             sheet_length_mm: float, roll_length_m: float) -> LotPlan:
    """Sheets and roll metres for `products` stacks of `layers` cells at the expected yield."""
    if not 0 < cell_yield <= 1:
        raise LayoutgenError(f"lot.cell_yield: must be in (0, 1], got {cell_yield:g}")
    good = math.floor(cells_per_sheet * cell_yield + 1e-9)
    per_sheet = good // layers
    if per_sheet < 1:
        raise LayoutgenError(
            f"a sheet yields {good} good cells, fewer than the {layers} one product stacks: "
            "use a bigger sheet or a smaller cell")
    sheets = math.ceil(products / per_sheet)
    roll_m = sheets * sheet_length_mm / 1000
    return LotPlan(
        products=products, layers=layers, cells_per_sheet=cells_per_sheet,
        cell_yield=cell_yield, good_cells_per_sheet=good, products_per_sheet=per_sheet,
        sheets=sheets, roll_m=round(roll_m, 6), rolls=round(roll_m / roll_length_m, 6),
        cells_to_spare=sheets * good - products * layers,
    )
