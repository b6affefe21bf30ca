"""Tiling with keep-outs: pick the block packer for the cell family, keep the best decomposition."""

from __future__ import annotations

import numpy as np

from layoutgen.shapes import CellShape


def tile_with_keepouts(shape: CellShape, spec) -> tuple:  # noqa: ANN001
    """(x, y, rotation, strategy, upper_bound, bound_method) on a sheet with keep-outs."""
    from layoutgen.tiling import engine
    from layoutgen.tiling.keepouts import (
        circle_block_packer,
        pack_with_keepouts,
        polygon_block_packer,
        rect_block_packer,
    )

    k = spec.kerf
    if shape.kind in ("rect", "rounded"):
        packer = rect_block_packer(shape.width, shape.height, k, cut=spec.cut,
                                   rotation=spec.rotation)
    elif shape.kind == "circle":
        packer = circle_block_packer(shape.width, k)
    else:
        packer = polygon_block_packer(shape, k, engine.orientations(shape, spec.rotation))
    free = engine.tile(shape, _without_keepouts(spec))
    res = pack_with_keepouts(
        spec.usable_box, [(ko.geometry, ko.clearance) for ko in spec.keepouts], packer,
        shape=shape, kerf=k, base_upper_bound=free.upper_bound)
    return (np.asarray(res.x, float), np.asarray(res.y, float),
            np.asarray(res.rotation_deg, float), f"keep-outs/{res.strategy}",
            int(res.upper_bound), res.bound_method)


def _without_keepouts(spec):  # noqa: ANN001, ANN202
    import dataclasses

    return dataclasses.replace(spec, keepouts=())
