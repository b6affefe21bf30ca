"""A sized product on the sheet: cells per sheet, products per sheet and per roll metre."""

from __future__ import annotations

from typing import Any

from layoutgen.deck import Deck
from layoutgen.sizing import Product
from layoutgen.tiling.engine import sheet_spec_from_deck, tile


def sheet_figures(product: Product, deck: Deck) -> dict[str, Any]:
    """Tile the product's cell outline on the deck's sheet; products need `layers` cells each."""

    spec = sheet_spec_from_deck(deck)
    tiling = tile(product.cell, spec)
    per_sheet = tiling.count // product.layers
    return {
        "sheet_mm": [spec.width, spec.length],
        "cells_per_sheet": tiling.count,
        "cells_upper_bound": tiling.upper_bound,
        "tiling_strategy": tiling.strategy,
        "products_per_sheet": per_sheet,
        "products_per_roll_m": round(per_sheet / (spec.length / 1000), 3),
    }
