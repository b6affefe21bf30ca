"""The shape of a report section: what a stage hands the HTML report (and a parser reads back).

A stage outside the core pipeline (binning, stacking, laser parameters) provides
`report_section(result) -> ReportSection`; the report renders any list of them the same way:
`<section id=...>` with an `<h2>`, then each table as `<table id=...>` with a `<th>` header row
and one `<tr>` per row, then each figure (a file in the run folder) as an inlined `<figure>`.
Cells are display strings: format numbers with `layoutgen.display.fmt`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportTable:
    """One table: a stable id, its column names and its rows (display strings)."""

    id: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class ReportFigure:
    """A picture written into the run folder (inlined by the report) and its caption."""

    file: str
    caption: str


@dataclass(frozen=True)
class ReportSection:
    """A titled part of the report: paragraphs (plain text), tables and figures."""

    id: str
    title: str
    tables: tuple[ReportTable, ...] = ()
    figures: tuple[ReportFigure, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
