"""Tiling with keep-outs: pick the block packer for the cell family, keep the best decomposition."""

from __future__ import annotations

import numpy as np

from layoutgen.shapes import CellShape


def tile_with_keepouts(shape: CellShape, spec, *, force: bool = False) -> tuple:  # noqa: ANN001
    """(x_nm, y_nm, rotation, strategy, upper_bound, bound_method) on a sheet with keep-outs."""
    from layoutgen.tiling import engine
    from layoutgen.tiling.keepouts import (
        circle_block_packer_nm,
        pack_with_keepouts_nm,
        polygon_block_packer_nm,
        rect_reduced_packer_nm,
    )

    k = spec.kerf_nm
    rect_cell = None
    if shape.kind in ("rect", "rounded"):
        rect_cell = (shape.width_nm, shape.height_nm)
        packer = rect_reduced_packer_nm(shape.width_nm, shape.height_nm, k, cut=spec.cut,
                                        rotation=spec.rotation)
    elif shape.kind == "circle":
        packer = circle_block_packer_nm(shape.width_nm, k)
    else:
        outline, _ = engine.polygon_outline(shape, spec, force)
        packer = polygon_block_packer_nm(shape, k, engine.orientations(shape, spec.rotation),
                                         outline)
    free = engine.tile(shape, _without_keepouts(spec), force=force)
    res = pack_with_keepouts_nm(
        spec.usable_box_nm, [(ko.geometry, ko.clearance_nm) for ko in spec.keepouts], packer,
        shape=shape, kerf=k, base_upper_bound=free.upper_bound, rect_cell=rect_cell)
    return (np.asarray(res.x, np.int64), np.asarray(res.y, np.int64),
            np.asarray(res.rotation_deg, float), f"keep-outs/{res.strategy}",
            int(res.upper_bound), res.bound_method)


def _without_keepouts(spec):  # noqa: ANN001, ANN202
    import dataclasses

    return dataclasses.replace(spec, keepouts=())
