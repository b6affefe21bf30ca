"""Placement of cell outlines on the roll sheet."""
