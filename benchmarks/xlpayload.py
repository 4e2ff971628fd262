"""What xlwings' VBA client (Remote.bas) sends for a workbook, built from a real file: every
worksheet's values from A1 to the end of its used range, empty cells as null. xlwings' remote
engine, given this, records what an entry point does instead of touching Excel (tests and the
start-up benchmark use it; desktop Excel cannot run here).

`SOURCE` is the same function as text, for scripts run in another interpreter (a clean venv).
"""

SOURCE = r'''
def payload(path, extra_sheets=(), version=None):
    import os
    from python_calamine import CalamineWorkbook
    if version is None:
        import xlwings
        version = xlwings.__version__
    wb = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        width = max((len(r) for r in rows), default=0)
        values = [[None if v == "" else v for v in r] + [None] * (width - len(r)) for r in rows] or [[]]
        sheets.append({"name": name, "values": values, "pictures": [], "tables": []})
    sheets.extend(extra_sheets)
    return {"client": "VBA", "version": version,
            "book": {"name": os.path.basename(str(path)), "active_sheet_index": 0, "selection": "A1"},
            "sheets": sheets, "names": []}
'''

exec(SOURCE)
