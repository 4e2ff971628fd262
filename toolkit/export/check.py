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
codes the bureau accepts; `waivers`: a waiver file's reviewed findings, each covering one finding
while its figure is unchanged — toolkit.waivers; both recorded in the document), never by a
switch of its own.
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
    waivers: dict = field(default_factory=dict)  # code -> reason (--waive: whole rules)
    outcome: object = None  # toolkit.waivers.Outcome of a waiver file (per finding), or None

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
        if any(f.rule in self.waivers and f.waived is None for f in self.waived):
            parts.append("已豁免：" + "；".join(
                f"{code}{('（' + why + '）') if why else ''}" for code, why in sorted(self.waivers.items())
                if any(f.rule == code for f in self.waived)))
        each = [f for f in self.waived if f.waived is not None]
        if each:
            parts.append("已豁免（经审核）：" + "；".join(
                f"{f.rule} {f.location()}（{f.waived.reason}，{f.waived.by}{('，' + f.waived.at) if f.waived.at else ''}）"
                for f in each))
        return "。".join(parts) + "。" if parts else None


def exported_findings(d, values: dict, fingerprints: dict | None = None, waive=None, waivers=None, config=None) -> Status:
    """Validate the document that will be published (the filled model), minus waived rules;
    `config`: the bureau's rule settings (toolkit.config.Config) it is checked with.

    `waivers` (toolkit.waivers.Waivers): the findings a waiver still covers are marked waived and
    do not count as errors (export is refused only for open errors); `Status.outcome` says which
    waivers applied, which are stale (the figure changed) and which are unused."""
    from ..findings import ERROR, is_open
    from ..rules import validate

    model = filled_model(d, values, fingerprints)
    findings = validate(model, config=config)
    outcome = None
    if waivers is not None:
        findings = waivers.apply(findings, model, filled=True)
        outcome = waivers.outcome(model, filled=True)
    codes = parse_waive(waive)
    errors = [f for f in findings if f.severity == ERROR and is_open(f) and f.rule not in codes]
    waived = [f for f in findings if f.severity == ERROR and (not is_open(f) or f.rule in codes)]
    return Status(findings, errors, waived, codes, outcome)


__all__ = ["filled_model", "exported_findings", "Status", "DRAFT_MARK", "parse_waive"]
