"""The order of the publication document, as data (the layout of the published seed document).

Each entry is a small mapping; `expand()` turns the list into document blocks:

    {"cover": true}                      cover page (部门名称, "{year}年度部门预算公开")
    {"contents": "目 录"}                 the table of contents (目录); page numbers start after it
    {"part": TEXT}                       a 第N部分 heading on a new page (level 1, in the 目录)
    {"heading": TEXT, "level": 2|3, "toc": bool}
    {"paragraph": KEY}                   a 情况说明 paragraph (workbook text, else the generated one)
    {"info": "duties" | "organisation"}  第一部分 from the 基本信息 sheet
    {"tables": "all"}                    every table of the schema, in 表号 order, each on a new page; forms
                                         with a `number:` (bj-14's 表13/表14) are placed here too
    {"forms": [KEY, …]}                  performance forms without a `number:` (every instance of a repeated form)
    {"chart": "pie"|"bar", "title": T, "table": KEY, "column": COL, "classes": true | "rows": [...]}
    {"glossary": true}                   名词解释 from the workbook, else DEFAULT_GLOSSARY

A province whose document differs passes its own list to `build_document(d, outline=…)`.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..schema import FormSpec, TableSpec
from .document import (TOC, Chart, Cover, Heading, PageBreak, Paragraph, Values, build_form, build_table,
                       cn_number, fmt_value, neutralise)

OUTLINE: list = [
    {"cover": True},
    {"contents": "目 录"},
    {"part": "第一部分 概况"},
    {"heading": "一、本部门职责"},
    {"info": "duties"},
    {"heading": "二、机构设置情况"},
    {"info": "organisation"},
    {"part": "第二部分 {year}年部门预算报表"},
    {"tables": "all"},
    {"part": "第三部分 {year}年度部门预算情况说明", "form": "narrative"},  # the part is left out without that form
    {"heading": "一、部门预算收支数据变动情况及原因"},
    {"paragraph": "s1"},
    {"heading": "二、收入预算情况说明"},
    {"paragraph": "s2"},
    {"heading": "三、支出预算情况说明"},
    {"paragraph": "s3"},
    {"heading": "四、财政拨款收支预算总体情况说明"},
    {"paragraph": "s4"},
    {"heading": "五、一般公共预算支出情况说明"},
    {"heading": "（一）一般公共预算当年拨款规模变化情况", "level": 3, "toc": False},
    {"paragraph": "s5_1"},
    {"heading": "（二）一般公共预算当年拨款结构情况", "level": 3, "toc": False},
    {"paragraph": "s5_2"},
    {"chart": "pie", "key": "gpb_structure", "title": "一般公共预算当年拨款结构图", "table": "t5",
     "column": "total", "classes": True},
    {"heading": "六、一般公共预算基本支出情况说明"},
    {"paragraph": "s6_1"},
    {"paragraph": "s6_2"},
    {"paragraph": "s6_3"},
    {"heading": "七、“三公”经费增减变动原因说明"},
    {"paragraph": "s7"},
    {"chart": "bar", "key": "sangong", "title": "三公经费分布图", "table": "t10", "column": "total",
     "rows": ["abroad", "reception", "car_buy", "car_run"]},
    {"heading": "八、机关运行经费增减变动原因说明"},
    {"paragraph": "s8"},
    {"heading": "九、政府采购情况"},
    {"paragraph": "s9"},
    {"heading": "十、绩效管理情况"},
    {"heading": "1、绩效管理情况", "level": 3, "toc": False},
    {"paragraph": "s10_1"},
    {"heading": "2、绩效目标情况（附表说明）", "level": 3, "toc": False},
    {"paragraph": "s10_2"},
    {"forms": ["perf_dept", "perf_project"]},
    {"heading": "十一、国有资产占有使用情况"},
    {"heading": "1、车辆情况", "level": 3, "toc": False},
    {"paragraph": "s11_1"},
    {"heading": "2、房屋情况", "level": 3, "toc": False},
    {"paragraph": "s11_2"},
    {"heading": "3、其他国有资产占有使用情况", "level": 3, "toc": False},
    {"paragraph": "s11_3"},
    {"heading": "十二、其他说明"},
    {"heading": "（一）政府购买服务指导性目录", "level": 3, "toc": True},
    {"paragraph": "s12_1"},
    {"heading": "（二）其他", "level": 3, "toc": True},
    {"paragraph": "s12_2"},
    {"part": "第四部分 名词解释"},
    {"glossary": True},
]

# 名词解释 used when the workbook's 名词解释 sheet is left blank (our own wording of the usual terms)
DEFAULT_GLOSSARY = [
    "财政拨款收入：本级财政当年拨付给本部门的资金，包括一般公共预算、政府性基金预算和国有资本经营预算拨款。",
    "一般公共预算：以税收为主体的财政收入，用于保障和改善民生、推动经济社会发展、维护国家安全、"
    "维持国家机构正常运转等方面的收支预算。",
    "政府性基金预算：依照法律、行政法规在一定期限内向特定对象征收、收取或以其他方式筹集，"
    "专门用于特定公共事业发展的资金的收支预算。",
    "国有资本经营预算：对国有资本收益作出支出安排的收支预算。",
    "财政专户管理资金：缴入财政专户、按规定实行专户管理的资金，主要是教育收费。",
    "单位资金：财政拨款和财政专户管理资金以外的资金，包括事业收入、事业单位经营收入、上级补助收入、"
    "附属单位上缴收入和其他收入等。",
    "上年结转：以前年度预算安排但尚未执行完毕、结转到本年度仍按原定用途继续使用的资金。",
    "基本支出：为保障机构正常运转、完成日常工作任务而安排的支出，由人员经费和公用经费组成。",
    "项目支出：在基本支出之外，为完成特定行政工作任务或事业发展目标而安排的支出。",
    "“三公”经费：用财政拨款安排的因公出国（境）费、公务用车购置及运行维护费和公务接待费。"
    "因公出国（境）费指公务出国（境）的国际旅费、国外城市间交通费、住宿费、伙食费、培训费、公杂费等支出；"
    "公务用车购置及运行维护费指公务用车购置支出（含车辆购置税）以及按规定保留的公务用车的燃料、维修、"
    "过路过桥、保险等支出；公务接待费指按规定开支的各类公务接待（含外宾接待）支出。",
    "机关运行经费：行政单位和参照公务员法管理的事业单位使用财政拨款安排的基本支出中的公用经费，"
    "用于办公、印刷、邮电、差旅、会议、日常维修、办公用房水电和物业管理、公务用车运行维护等维持机关日常运转的支出。",
    "政府购买服务：政府把属于自身职责范围、适合通过市场方式提供的服务事项，按照政府采购的方式和程序"
    "交给符合条件的服务供应商承担，并根据服务的数量和质量向其付费。",
]

_ORDINAL = re.compile(r"^\s*([一二三四五六七八九十]+、|\d+[、.．]|（[一二三四五六七八九十]+）)")


def _paragraph_text(V: Values, key: str) -> str | None:
    v = V.get("narrative", key)
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    return neutralise(v if isinstance(v, str) else fmt_value(v))


def _own_form(d, key: str, outline: list, at: int) -> bool:
    """Whether the schema's form `key` is its own, not the one the outline's part is written for: its fields
    are not exactly the paragraphs the part places (sx-13's are; sh-9's are a few of them, with other titles)."""
    placed = set()
    for item in outline[at + 1:]:
        if "part" in item or "glossary" in item:
            break
        if "paragraph" in item:
            placed.add(item["paragraph"])
    return set(d.schema.sheet(key).fields) != placed


def _form_part(V: Values, item: dict) -> list:
    """A part written from the form's rows: each label a heading, each filled field its paragraph."""
    from ..schema import FormRow

    d = V.d
    spec = d.schema.sheet(item["form"])
    blocks: list = [Heading(1, V.label(spec.title), toc=True)]
    for row in spec.rows:
        if not isinstance(row, FormRow):
            continue
        label = next((c.spec.text for c in row.cells if c.field is None and c.spec.text and c.spec.style is None), None)
        for c in row.cells:
            if c.field is None:
                continue
            text = _paragraph_text(V, c.field)
            if text:
                if label:
                    blocks.append(Heading(2, V.label(label), toc=True))
                blocks.extend(Paragraph(p) for p in text.split("\n") if p.strip())
    return blocks


def _info(V: Values, what: str) -> list:
    d = V.d
    out = []
    if what == "duties":
        for r in d.rows("info", "duties"):
            if r.get("text"):
                out.append(Paragraph(neutralise(str(r.get("text")))))
    elif what == "organisation":
        summary = V.get("info", "org_summary")
        if summary:
            out.append(Paragraph(neutralise(str(summary))))
        for n, r in enumerate(d.rows("info", "divisions"), 1):
            name, duties = r.get("name") or "", r.get("duties") or ""
            head = f"（{cn_number(n)}）{name}。" if name else ""
            if head or duties:
                out.append(Paragraph(neutralise(f"{head}{duties}")))
            staff, leaders = r.get("staff"), r.get("leaders")
            parts = []
            if staff is not None:
                parts.append(f"编制{fmt_value(staff, 'count')}名")
            if leaders:
                parts.append(str(leaders).rstrip("。"))
            if parts:
                out.append(Paragraph(neutralise("，".join(parts) + "。")))
    return out


def _chart(V: Values, item: dict) -> Chart:
    d = V.d
    table, col = item["table"], item.get("column", "total")
    labels, values = [], []
    spec = d.schema.sheet(table)
    if item.get("classes"):
        names = {r.of: r.cells["ex_item"].text.split("、", 1)[-1] for r in d.schema.sheet("t1").rows
                 if getattr(r, "of", None) and "ex_item" in r.cells}
        for r in d.rows(table):
            code = r.get("code")
            if code and len(str(code)) == 3:
                v = V.get(table, r.key, col)
                if isinstance(v, Decimal) and v:
                    labels.append(r.get("name") or names.get(str(code)) or str(code))
                    values.append(v)
    else:
        for key in item.get("rows", []):
            row = spec.fixed_row(key)
            label_cells = [cs.text for cs in row.cells.values() if cs.role == "label" and cs.text]
            label = re.sub(r"^[①②③④⑤⑥⑦⑧⑨]", "", label_cells[0] if label_cells else key)
            v = V.get(table, key, col)
            labels.append(label)
            values.append(v if isinstance(v, Decimal) else Decimal(0))
    base = V.get(table, "total", col) if item.get("classes") else None  # as the 情况说明 computes shares
    return Chart(kind=item.get("chart", "pie"), title=V.label(item.get("title", "")), labels=labels, values=values,
                 unit=d.schema.unit, key=item.get("key", table), base=base if isinstance(base, Decimal) else None)


def _glossary(V: Values) -> list:
    d = V.d
    terms = [str(r.get("text")).strip() for r in d.rows("glossary", "terms") if r.get("text")]
    if not terms:
        terms = [f"{cn_number(i)}、{t}" for i, t in enumerate(DEFAULT_GLOSSARY, 1)]
    return [Paragraph(neutralise(t)) for t in terms if t]


def _numbered(schema) -> list:
    """The tables and the forms numbered as tables (`number:` on a form), in 表号 order (a stable sort:
    sx-13, numbered in schema order, keeps its order)."""
    specs = [s for s in schema.sheets if isinstance(s, TableSpec) or getattr(s, "number", None) is not None]
    return sorted(specs, key=lambda s: s.number)


def expand(outline: list, V: Values) -> list:
    d = V.d
    blocks: list = []
    skipping = False  # inside a part whose form the schema lacks, or one given by the form's own rows
    for i, item in enumerate(outline):
        if "part" in item or "glossary" in item:
            skipping = "form" in item and not d.schema.has(item["form"])
            if "form" in item and not skipping and _own_form(d, item["form"], outline, i):
                if blocks and not isinstance(blocks[-1], PageBreak):
                    blocks.append(PageBreak())
                blocks.extend(_form_part(V, item))  # a table set's own 情况说明 (sh-9): its headings, its order
                skipping = True
        if skipping:
            continue
        if "cover" in item:
            blocks.append(Cover(dept=V.label("{dept_name}"), title=V.label(item.get("title", "{year}年度部门预算公开"))))
            blocks.append(PageBreak())
        elif "contents" in item:
            blocks.append(TOC(title=item["contents"] or "目 录"))
            blocks.append(PageBreak())
        elif "part" in item:
            if blocks and not isinstance(blocks[-1], PageBreak):
                blocks.append(PageBreak())
            blocks.append(Heading(1, V.label(item["part"]), toc=item.get("toc", True)))
        elif "heading" in item:
            level = int(item.get("level", 2))
            blocks.append(Heading(level, V.label(item["heading"]), toc=item.get("toc", level <= 2)))
        elif "paragraph" in item:
            text = _paragraph_text(V, item["paragraph"])
            if text:
                blocks.append(Paragraph(text))
        elif "info" in item:
            blocks.extend(_info(V, item["info"]))
        elif "tables" in item:
            first = True
            for spec in _numbered(d.schema):
                insts = d.instances(spec.key)  # a repeated form's instances are key#1, key#2…
                if not insts:
                    continue  # an optional table the workbook leaves out: not published (the others keep their 表号)
                for n, inst in enumerate(insts):
                    if not first:
                        blocks.append(PageBreak())
                    if isinstance(spec, TableSpec):
                        blocks.append(build_table(V, spec, inst))
                    else:  # a form numbered as a table (表13/表14): among the tables, its first instance in the 目录
                        t = build_form(V, spec, inst)
                        t.toc, t.level = n == 0, 2
                        blocks.append(t)
                    first = False
        elif "chart" in item:
            if d.present(item["table"]) and (not item.get("classes") or d.present("t1")):
                blocks.append(_chart(V, item))  # no chart of a table this table set (or workbook) lacks
        elif "forms" in item:
            placed = False
            for key in item["forms"]:
                if not d.schema.has(key):
                    continue
                spec = d.schema.sheet(key)
                if not isinstance(spec, FormSpec) or spec.number is not None:
                    continue  # a numbered form is published among the tables ({"tables": "all"})
                for inst in d.instances(key):
                    blocks.append(PageBreak())
                    blocks.append(build_form(V, spec, inst))
                    placed = True
            if placed:
                blocks.append(PageBreak())
        elif "glossary" in item:
            blocks.extend(_glossary(V))
        else:
            raise ValueError(f"unknown outline entry {item!r}")
    return blocks


__all__ = ["OUTLINE", "DEFAULT_GLOSSARY", "expand"]
