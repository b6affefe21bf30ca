"""Identical-rectangle packing: the exact integer solver, its kernels and bounds."""
