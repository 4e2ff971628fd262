"""The macro-enabled template: a VBA project written from source text, and the buttons that call it.

* `ovba` — [MS-OVBA] compression, data encryption and the project streams;
* `cfb` — a minimal [MS-CFB] compound file writer (and reader, for checks);
* `xlsm` — `build_xlsm(path, schema=None)`, the template workbook plus `vbaProject.bin` and buttons.
"""
from .xlsm import build_xlsm, build_xlsm_bytes

__all__ = ["build_xlsm", "build_xlsm_bytes"]
