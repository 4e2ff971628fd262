"""bdt — budget disclosure toolkit (部门预算公开工具).

Public API (everything the command line and the Excel buttons do is one call of it):

    >>> import toolkit
    >>> d = toolkit.load("examples/xinzhou-beijing-office-2023.xlsx")
    >>> d.get("t3", "total", "total")
    Decimal('224.31')
"""
__version__ = "0.1.0"

from .schema import load_schema  # noqa: E402


def load(path, schema=None):
    """Read a filled workbook into a typed `Disclosure` (see toolkit.model)."""
    from .io.reader import read_workbook

    return read_workbook(path, schema=schema)


__all__ = ["load", "load_schema", "__version__"]
