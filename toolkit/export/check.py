"""What is exported is what is validated: the filled model, its findings, and the draft mark.

Export prints the *filled* figures (every derived cell recomputed by `toolkit.fill.compute`), so
checking the workbook as the clerk saved it would check a different document from the one that
is published: a total corrected by fill no longer matches the clerk's own 情况说明, which still
states the old figure. `filled_model(d, values)` is the disclosure exactly as `bdt fill` would
write it (derived cells replaced, kept paragraphs kept, paragraph fingerprints recorded), and
`exported_findings` validates that.

A document exported with error findings left (``force=True``) is a *draft*: `draft_mark` gives
the text every back end prints on each page and in the document properties. The mark depends only
on the findings: it goes away when the errors are corrected or explicitly waived (`waive`: rule
codes the bureau accepts, each recorded in the document), never by a switch of its own.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

DRAFT_MARK = "草稿·未通过校验"


def filled_model(d, values: dict, fingerprints: dict | None = None):
    """A copy of `d` whose derived cells hold `values` (as `bdt fill` writes them); `d` is untouched."""
    f = copy.copy(d)
    f.entries = {inst: dict(cells) for inst, cells in d.entries.items()}
    for (inst, row, col), v in values.items():
        cells = f.entries.get(inst)
        if cells is None or (row, col) not in cells:
            continue
        e = cells[(row, col)]
        if e.value is not v:
            cells[(row, col)] = dataclasses.replace(e, value=v, raw=v)
    f.meta = dict(d.meta)
    for key, fp in (fingerprints or {}).items():
        f.meta[f"narrative:{key}"] = fp
    f.findings = list(d.findings)
    f._rows_cache = {}
    return f


def parse_waive(waive) -> dict:
    """"N504,P601" / ["N504"] / {"N504": "理由"} → {code: reason}."""
    if not waive:
        return {}
    if isinstance(waive, dict):
        return {str(k).strip().upper(): str(v or "") for k, v in waive.items() if str(k).strip()}
    items = waive.split(",") if isinstance(waive, str) else list(waive)
    return {str(k).strip().upper(): "" for k in items if str(k).strip()}


@dataclass
class Status:
    """The validation status of an exported document."""

    findings: list = field(default_factory=list)  # every finding of the filled model
    errors: list = field(default_factory=list)  # error findings not waived
    waived: list = field(default_factory=list)  # error findings waived
    waivers: dict = field(default_factory=dict)  # code -> reason

    @property
    def draft(self) -> bool:
        return bool(self.errors)

    @property
    def mark(self) -> str | None:
        """The draft mark printed on every page, or None for a document that passed."""
        if not self.errors:
            return None
        return DRAFT_MARK

    @property
    def note(self) -> str | None:
        """One sentence for document properties and the data package."""
        parts = []
        if self.errors:
            codes = sorted({f.rule for f in self.errors})
            parts.append(f"{DRAFT_MARK}：导出时仍有 {len(self.errors)} 个“错误”级问题（{'、'.join(codes)}），"
                         "不得作为正式公开文件")
        if self.waived:
            parts.append("已豁免：" + "；".join(
                f"{code}{('（' + why + '）') if why else ''}" for code, why in sorted(self.waivers.items())
                if any(f.rule == code for f in self.waived)))
        return "。".join(parts) + "。" if parts else None


def exported_findings(d, values: dict, fingerprints: dict | None = None, waive=None, config=None) -> Status:
    """Validate the document that will be published (the filled model), minus waived rules;
    `config`: the bureau's rule settings (toolkit.config.Config) it is checked with."""
    from ..findings import ERROR
    from ..rules import validate

    findings = validate(filled_model(d, values, fingerprints), config=config)
    waivers = parse_waive(waive)
    errors = [f for f in findings if f.severity == ERROR and f.rule not in waivers]
    waived = [f for f in findings if f.severity == ERROR and f.rule in waivers]
    return Status(findings, errors, waived, waivers)


__all__ = ["filled_model", "exported_findings", "Status", "DRAFT_MARK", "parse_waive"]
