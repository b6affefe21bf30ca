"""Write examples/tab_cell.dxf: a 9 x 7 mm product outline with a 3 x 1.6 mm terminal tab.

Run once (`python examples/make_tab_cell.py`); the DXF is committed beside this script.
"""

from pathlib import Path

import ezdxf

OUTLINE = [(0, 0), (9, 0), (9, 7), (6, 7), (6, 8.6), (3, 8.6), (3, 7), (0, 7)]


def main() -> None:
    doc = ezdxf.new("R2010", setup=False)
    doc.header["$INSUNITS"] = 4  # millimetres
    doc.header["$TDCREATE"] = 2460000.0  # fixed dates: the file is byte-stable
    doc.header["$TDUPDATE"] = 2460000.0
    doc.modelspace().add_lwpolyline(OUTLINE, close=True, dxfattribs={"layer": "OUTLINE"})
    doc.saveas(Path(__file__).with_name("tab_cell.dxf"))


if __name__ == "__main__":
    main()
