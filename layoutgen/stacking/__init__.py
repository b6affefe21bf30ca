"""Matched stacks from binned cells: stacker, bounds, naive reference, checker, pick list, lot
plan from measured yield, pictures; `stage.stack_cells` is the one entry point."""
