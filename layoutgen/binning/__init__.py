"""Tester maps -> bins, yield by zone, pictures and pick maps (`layoutgen bin`).

Entry point: `layoutgen.binning.stage.bin_maps`; writers in `stage.write_bin_outputs`.
"""
