"""The live workbook behind the Excel buttons, as the library sees it: an engine adapter.

`BookAdapter` gives the reader (toolkit.io.reader.read_book) a live xlwings Book through the two
calls it needs, one whole-range read per sheet. The writers batch: `paint` makes one colour
matrix per marked sheet, `write_cells` one block of values per run of cells (`runs`), `write_sheet`
one block for a whole sheet. The number of calls to Excel grows with the number of sheets, not of
cells. Only pure-Python imports here (xlwings Lite runs it too); no decision is taken here: what
to write comes from the library (toolkit.fill, toolkit.findings), this module only writes it.
"""
from __future__ import annotations

from decimal import Decimal

from .findings import cell_order
from .layout import consecutive_runs

DOC = "docs/excel.md 第六节「常见提示」"


def alert(book, text: str, title: str = "预算公开工具") -> None:
    """A message box; engines without dialogs (or tests without an app): the sheet says it too."""
    try:
        book.app.alert(text, title=title)
    except Exception:
        pass


# ---------------------------------------------------------------------------- reading


class _SheetGrid:
    def __init__(self, rows):
        self._rows = rows

    def to_python(self, skip_empty_area=False):
        return self._rows


class BookAdapter:
    """A live xlwings Book seen through the two calls the reader needs; one range read per sheet."""

    def __init__(self, book):
        self.book = book
        self.sheet_names = [s.name for s in book.sheets]
        self._cache = {}

    def sheet(self, name):
        return self.book.sheets[name]

    def get_sheet_by_name(self, name):
        if name not in self._cache:
            sheet = self.book.sheets[name]
            used = sheet.used_range
            last = used.last_cell
            rows = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value or []
            self._cache[name] = _SheetGrid([["" if v is None else v for v in row] for row in rows])
        return self._cache[name]

    def rows(self, name) -> list:
        """The values of a sheet (empty list when the workbook has no such sheet)."""
        return self.get_sheet_by_name(name).to_python() if name in self.sheet_names else []


def read(book, schema=None):
    """(adapter, Disclosure) of a live workbook: the same checks and model as for files; a
    WorkbookError (Chinese, naming sheet and cell) otherwise."""
    from .io.reader import read_book

    adapter = BookAdapter(book)
    return adapter, read_book(adapter, schema, book.name)  # no schema: the one its _meta names (sh-9 …)


# ---------------------------------------------------------------------------- writing


def paint(book, by_sheet: dict) -> int:
    """{sheet: {A1: "#RRGGBB" or None}} → one setRangeColors per sheet: a matrix over the marked
    area, 'keep' (Ellipsis) elsewhere. Sheets the workbook does not have are skipped."""
    actions = 0
    names = [s.name for s in book.sheets]
    for sheet_name, cells in by_sheet.items():
        if sheet_name not in names or not cells:
            continue
        coords = {cell_order(c): color for c, color in cells.items()}
        rows = [r for r, _ in coords]
        cols = [c for _, c in coords]
        r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
        matrix = [[coords.get((r, c), ...) for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]
        rng = book.sheets[sheet_name].range((r0, c0), (r1, c1))
        if hasattr(rng, "set_colors"):
            rng.set_colors(matrix)
        else:  # desktop engines: colour cell by cell is what COM offers; keep it to marked cells
            for (r, c), color in coords.items():
                book.sheets[sheet_name].range((r, c)).color = color
        actions += 1
    return actions


def runs(cells: dict) -> list[tuple[int, int, int, int, list]]:
    """Cover {(row, col): value} with rectangles made only of these cells: (r0, c0, r1, c1, values).

    Row-wise runs first, then runs with the same column span in consecutive rows are stacked,
    so a table's derived columns become a few blocks however many rows the department has.
    """
    by_row: dict = {}
    for (r, c), v in cells.items():
        by_row.setdefault(r, []).append(c)
    spans = [(r, c0, c1) for r in sorted(by_row) for c0, c1 in consecutive_runs(by_row[r])]
    rects = []  # [r0, c0, r1, c1]
    open_by_cols: dict = {}
    for r, c0, c1 in spans:
        rect = open_by_cols.get((c0, c1))
        if rect is not None and rect[2] == r - 1:
            rect[2] = r
        else:
            rect = [r, c0, r, c1]
            rects.append(rect)
            open_by_cols[(c0, c1)] = rect
    return [(r0, c0, r1, c1, [[_xl(cells[(r, c)]) for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)])
            for r0, c0, r1, c1 in rects]


def _xl(v):
    if isinstance(v, Decimal):
        return float(v)  # Excel stores doubles; the two decimals survive exactly as in a typed cell
    return v


def write_cells(book, by_sheet: dict) -> int:
    """{sheet: {A1: value}} → one block write per run of cells; returns the number of writes."""
    writes = 0
    for sheet_name, cells in by_sheet.items():
        sheet = book.sheets[sheet_name]
        for r0, c0, r1, c1, values in runs({cell_order(a): v for a, v in cells.items()}):
            sheet.range((r0, c0), (r1, c1)).value = values
            writes += 1
    return writes


def write_sheet(book, name: str, rows: list[list], width: int) -> None:
    """Replace the contents of sheet `name` (added after the last sheet if missing) by `rows`."""
    names = [s.name for s in book.sheets]
    if name in names:
        sheet = book.sheets[name]
        sheet.clear_contents()
    else:
        sheet = book.sheets.add(name=name, after=book.sheets[len(names) - 1])
    sheet.range((1, 1), (len(rows), width)).value = rows


def findings_values(rows: list[list]) -> list[list]:
    """The library's findings rows (toolkit.findings.findings_rows) as a live sheet takes them:
    the cell as a HYPERLINK formula to it, amounts as numbers (text when beyond two decimals)."""
    out = []
    for level, rule, sheet, cell, message, expected, actual in rows:
        link = f'=HYPERLINK("#\'{sheet}\'!{cell}","{cell}")' if cell else ""
        out.append([level, rule, sheet, link, message, _plain(expected), _plain(actual)])
    return out


def _plain(v):
    if isinstance(v, Decimal):
        return float(v) if v == v.quantize(Decimal("0.01")) else str(v)
    return v
