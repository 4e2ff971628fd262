"""bdt — budget disclosure toolkit (部门预算公开工具).

Public API (everything the command line and the Excel buttons do is one call of it):

    >>> import toolkit
    >>> d = toolkit.load("examples/xinzhou-beijing-office-2023.xlsx")
    >>> d.get("t3", "total", "total")
    Decimal('224.31')
"""
__version__ = "0.1.0"



def __getattr__(name):
    # `toolkit.load_schema` without importing the schema module on `import toolkit` (which every
    # command and `bdt --version` pay): it is imported on first use.
    if name == "load_schema":
        from .schema import load_schema

        return load_schema
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def load(path, schema=None):
    """Read a filled workbook into a typed `Disclosure` (see toolkit.model)."""
    from .io.reader import read_workbook

    return read_workbook(path, schema=schema)


__all__ = ["load", "load_schema", "__version__"]
