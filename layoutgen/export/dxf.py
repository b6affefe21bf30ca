"""DXF R2010 of the laser job (ezdxf): one layer per operation, one colour per layer.

Every stroke is an LWPOLYLINE in millimetres ($INSUNITS = 4), in marking order; closed paths
are closed polylines. Coordinates are rounded once to DECIMALS (9 decimals of a mm, finer than
the layout's 1 nm grid: placements and grid geometry are written exactly, chord vertices of
curves keep their precision) before ezdxf sees them: each vertex is the float nearest a number
of at most 9 decimals, which ezdxf writes as that number (5.06, never 5.0600000000000005).
Each entity also carries its layer's ACI colour explicitly, so tools
that map colours to pens (EZCAD) and tools that map layers to cut settings (LightBurn) both see
one setting per operation; the layer description lists the operation's parameters.
The CLASSES section is sorted, so the bytes do not depend on PYTHONHASHSEED.
"""

from __future__ import annotations

from pathlib import Path

from layoutgen.export import numbers as fmt
from layoutgen.fileio import atomic_path
from layoutgen.toolpath.model import Toolpath

ACI = {"fiducial": 3, "isolation": 5, "singulation": 1}  # green, blue, red
LAYER = {"fiducial": "FIDUCIAL", "isolation": "ISOLATION", "singulation": "SINGULATION"}
DECIMALS = 9  # mm: written exactly for every whole-nm coordinate (the layout grid is 1e-6)


def write_dxf(tp: Toolpath, path: str | Path) -> Path:
    """Write the job as DXF R2010 (atomically)."""
    import ezdxf

    # ezdxf's fixed metadata (dates, GUIDs, marker): the same job gives the same bytes
    fixed = ezdxf.options.write_fixed_meta_data_for_testing
    ezdxf.options.write_fixed_meta_data_for_testing = True
    try:
        return _write(ezdxf.new("R2010", setup=False), tp, Path(path))
    finally:
        ezdxf.options.write_fixed_meta_data_for_testing = fixed


def _write(doc, tp: Toolpath, target: Path) -> Path:  # noqa: ANN001
    doc.header["$INSUNITS"] = 4  # millimetres
    doc.header["$MEASUREMENT"] = 1  # metric
    msp = doc.modelspace()
    for i, op in enumerate(tp.operations):
        name = LAYER.get(op.name, op.name.upper())
        color = ACI.get(op.name, 2 + i)
        layer = doc.layers.add(name, color=color)
        p = op.params
        layer.description = (f"{op.name}: power {p.power_pct:g} %, speed {p.mark_speed_mm_s:g} "
                             f"mm/s, passes {p.passes}, {p.frequency_khz:g} kHz, "
                             f"{p.pulse_width_ns:g} ns, spot {p.spot_um:g} um")
        attribs = {"layer": name, "color": color}
        paths = op.paths
        xy = (fmt.scaled(paths.xy, DECIMALS) / 10.0 ** DECIMALS).tolist()  # rounded once
        starts = paths.starts.tolist()
        closed = paths.closed.tolist()
        for k in range(paths.count):
            pts = xy[starts[k]:starts[k + 1]]
            if closed[k]:
                pts = pts[:-1]
            msp.add_lwpolyline(pts, format="xy", close=closed[k], dxfattribs=attribs)
    _sort_classes(doc)
    with atomic_path(target) as tmp:
        doc.saveas(tmp)
    return target


def _sort_classes(doc) -> None:  # noqa: ANN001
    """Register the CLASSES section now, in sorted order: ezdxf adds the classes of the entity
    types in use by iterating a set (its order follows PYTHONHASHSEED); the save adds none."""
    from collections import OrderedDict

    doc.commit_pending_changes()
    doc.update_all()
    doc.classes.classes = OrderedDict(sorted(doc.classes.classes.items()))
