"""The sheet layout room: `model` (SheetLayout, SheetFeatures), `assemble` (build_layout, one
master per orientation), `features` (keep-outs, contact rail, fiducials, label anchors) and
`grid` (mm <-> whole nm, the deck's sheet and usable box on the nm grid)."""
