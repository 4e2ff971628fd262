"""Export: the finished disclosure from the filled model — PDF, Word, print xlsx, HTML, open data.

    >>> from toolkit.export import export
    >>> export("单位.xlsx", ["pdf", "data"], "公开文件")        # doctest: +SKIP
    {'pdf': PosixPath('公开文件/单位-2023年部门预算公开.pdf'), 'data': PosixPath('公开文件/data')}

One document model (`document.build_document`) is built once from the workbook — every derived
figure recomputed from the inputs by `toolkit.fill.compute`, never taken from cached values — and
rendered by the back ends `pdf`, `docx` and `html`; `xlsx` and `data` write the same tables.
A workbook with error-severity findings is refused (`ExportRefused`) unless ``force=True``.
"""
from __future__ import annotations

import re
from pathlib import Path

FORMATS = ("pdf", "docx", "xlsx", "html", "data")
FORMAT_NAMES = {"pdf": "PDF", "docx": "Word", "xlsx": "打印版 xlsx", "html": "HTML", "data": "开放数据"}


class ExportRefused(Exception):
    """The workbook has error-severity findings and force was not given."""

    def __init__(self, errors: list):
        self.errors = errors
        super().__init__(refusal_message(errors))


def refusal_message(errors: list, limit: int = 5) -> str:
    lines = [f"未导出：工作簿（按填充后的数字，即将公开的内容）有 {len(errors)} 个“错误”级问题，按现状公开会把错误发布出去。"]
    for f in errors[:limit]:
        lines.append(f"  {f.rule} {f.message}")
    if len(errors) > limit:
        lines.append(f"  ……另有 {len(errors) - limit} 个，运行 bdt validate 查看全部。")
    lines.append("请修正后再导出；经审核可以接受的问题用 bdt waive 逐项豁免（记录理由和审核人）；如确需按现状导出草稿，请加 --force"
                 "（Python 中 force=True；文件每页标注“草稿·未通过校验”）。")
    return "\n".join(lines)


def parse_formats(formats) -> list[str]:
    """"pdf,docx" or ["pdf", "docx"] → a checked, ordered list."""
    if formats is None:
        return list(FORMATS)
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out = []
    for f in items:
        f = f.strip().lower().lstrip(".")
        if not f:
            continue
        if f == "all":
            return list(FORMATS)
        if f not in FORMATS:
            raise ValueError(f"不支持的导出格式「{f}」；可选：{','.join(FORMATS)}")
        if f not in out:
            out.append(f)
    if not out:
        raise ValueError(f"没有指定导出格式；可选：{','.join(FORMATS)}")
    return out


_UNSAFE = re.compile('[\\\\/:*?"<>|\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]+')
NAME_BYTES = 150  # of a file system's 255 bytes a name may use: room for the suffix and a temp prefix


def safe_name(text: str, limit: int = 80, suffix: str = "") -> str:
    """A file name with no path separators, control characters or characters Windows forbids, at
    most `limit` characters and NAME_BYTES bytes of UTF-8 (a 32,767-character department name
    still gives a file name); `suffix` is kept whole after a shortened name."""
    name = _UNSAFE.sub("_", text or "").strip(" ._")[:limit] or "部门预算公开"
    room = NAME_BYTES - len(suffix.encode("utf-8"))
    while len(name.encode("utf-8")) > room:
        name = name[:-1]
    return name.rstrip(" ._") + suffix


def output_stem(d) -> str:
    dept = d.dept_name or (Path(str(d.path)).stem if getattr(d, "path", None) else "部门")
    year = f"{d.year}年" if d.year else ""
    return safe_name(_UNSAFE.sub("_", str(dept)).strip(" ._")[:40] or "部门", suffix=f"-{year}部门预算公开")


def default_out_dir(path) -> Path:
    p = Path(str(path))
    return p.with_name(safe_name(p.stem) + "-公开")


class ExportResult(dict):
    """{format: path}, plus `status` (`check.Status`: the findings of what was exported, draft or not)."""

    status = None
    rounding = None  # toolkit.rounding.Published: the policy, adjustments or 尾差 of the figures

    @property
    def draft(self) -> bool:
        return bool(self.status is not None and self.status.draft)


def export(src, formats=FORMATS, out_dir=None, force: bool = False, schema=None, values: dict | None = None,
           waive=None, status=None, typography: str | None = None, waivers=None, config=None,
           rounding: str | None = None) -> dict:
    """Export a workbook (path or read `Disclosure`) to the given formats; returns {format: path}
    (an `ExportResult`, whose `.status` holds the findings of the exported document).

    What is validated is what is exported: the *filled* model (`check.filled_model`), so a figure
    fill corrects and the clerk's 情况说明 that still states the old one are caught. Raises
    `ExportRefused` when that has error findings (other than the `waive`d rule codes) and `force`
    is false; with `force` the document is exported marked 草稿·未通过校验 on every page and in its
    properties (no switch turns the mark off: correct or waive the errors). With no CJK font file
    installed the PDF uses a standard non-embedded font (`fonts.fallback_warning()`).
    `typography="official"`: the PDF and the DOCX in the 党政机关公文 style (GB/T 9704) where its
    fonts are installed (`fonts.typography(...).warning()` names the missing ones).
    `waivers` (toolkit.waivers.Waivers): error findings a waiver still covers do not refuse the
    export and do not make it a draft; they are recorded in the document properties and the data
    package (`Status.note`).
    `config`: the bureau's rule settings (toolkit.config.Config) the document is checked with
    (a rule switched off or turned into a warning does not refuse the export).
    `rounding`: ``round`` or ``balance`` (default: the schema's ``publication.rounding``): the
    documents carry the *published* figures of `toolkit.rounding.publish` (the workbook keeps the
    exact ones); `.rounding` of the result lists the 尾差 or the 舍位平衡 adjustments. A balance
    that cannot keep every figure within one unit is refused (`ExportRefused`, A312).
    """
    from ..model import paused_gc

    with paused_gc():  # the model, its checks and documents: many acyclic objects (toolkit.model.paused_gc);
        #                measured 35–45 % of a data export at 2,000 rows spent in the cycle collector
        return _export(src, formats, out_dir, force, schema, values, waive, status, typography, waivers, config,
                       rounding)


def _export(src, formats, out_dir, force, schema, values, waive, status, typography, waivers, config, rounding):
    import toolkit

    from ..fill import compute
    from ..model import Disclosure
    from .check import exported_findings
    from .document import build_document

    fmts = parse_formats(formats)
    if typography is not None:
        from .fonts import typography as find_typography

        find_typography(typography)  # an unknown style fails before any work
    d = src if isinstance(src, Disclosure) else toolkit.load(src, schema=schema)
    fingerprints = None
    if values is None:
        plan = compute(d)
        values, fingerprints = plan.values, plan.fingerprints
    if status is None:  # else: `check.exported_findings` of exactly these values (the batch's, computed once)
        status = exported_findings(d, values, fingerprints, waive, waivers=waivers, config=config)
    if status.errors and not force:
        raise ExportRefused(status.errors)
    published = publish_values(d, values, rounding)
    if published.unbalanced:
        raise ExportRefused([f for f in published.findings(d) if f.rule == "A312"])
    doc = build_document(d, published_values(d, values, published))
    doc.mark, doc.note = status.mark, status.note
    doc.waivers = [dict(f.to_dict(), waived=f.waived.to_dict()) for f in status.findings if f.waived is not None] or None
    out = Path(out_dir) if out_dir is not None else default_out_dir(d.path if getattr(d, "path", None) else "export")
    out.mkdir(parents=True, exist_ok=True)
    stem = output_stem(d)
    result = ExportResult()
    result.status = status
    result.rounding = published
    if "pdf" in fmts and "docx" in fmts:  # the DOCX's 目录 takes its page numbers from the PDF's layout
        fmts = ["pdf"] + [f for f in fmts if f != "pdf"]
    info: dict = {}
    for f in fmts:
        if f == "data":
            from .data import render_data

            target = out / "data"
            render_data(doc, d, target)
        else:
            import importlib

            from ..io.atomic import atomic_output

            target = out / f"{stem}.{f}"
            extra = {"pdf_info": info["pdf"]} if f == "docx" and "pdf" in info else {}
            if f in ("pdf", "docx") and typography is not None:
                extra["typography"] = typography
            render = getattr(importlib.import_module(f".{f}", __name__), f"render_{f}")
            with atomic_output(target) as fh:  # complete or absent; mode from the umask (or the old file's)
                info[f] = render(doc, fh, **extra)
        result[f] = target
    return result


def publish_values(d, values: dict, rounding: str | None = None):
    """The published figures (`toolkit.rounding.publish`) of the filled model `values`."""
    from ..rounding import publish

    return publish(d, values, rounding)


def published_values(d, values: dict, published) -> dict:
    """`values` with every amount replaced by its published figure, and the generated 情况说明
    paragraphs written again from those figures (a paragraph states what the tables show)."""
    changed = any(values.get(k, d.get(*k)) != v for k, v in published.values.items())
    out = {**values, **published.values}  # also 150.000000 → 150.00: the published precision
    if not changed:
        return out
    paras = [k for k in values if k[0] == "narrative" and isinstance(values[k], str)]
    if paras:
        from ..narrative import generate

        text = generate(d, lambda s, r, c="": out[(s, r, c)] if (s, r, c) in out else d.get(s, r, c))
        for k in paras:
            if k[1] in text and text[k[1]] is not None:
                out[k] = text[k[1]]
    return out


__all__ = ["export", "publish_values", "published_values", "ExportResult", "ExportRefused", "FORMATS", "parse_formats", "safe_name", "output_stem", "refusal_message"]
