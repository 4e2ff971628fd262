"""Generate realistic department workbooks (and the corrupt files a bureau really receives).

    python benchmarks/generate.py --n 200 --out /tmp/depts            # 200 department workbooks
    python benchmarks/generate.py --n 200 --out /tmp/depts --corrupt  # plus the corrupt cases

How: a handful of *variants* (different sizes: 10–60 function-code rows per table, 5–40
projects each with its performance form) are built from synthetic but internally consistent
figures with `toolkit.datafile.write_data` and then `toolkit.fill.fill` (so every total, copied
figure and 情况说明 paragraph is what the toolkit itself would write). Each department workbook is
a copy of a variant with its own name and code and, for about two in three, one to three typical
mistakes patched into the cells (toolkit.io.writer.write_cells: only the changed cells are
rewritten), so making 1,000 files takes about a minute, not an hour.

`make_corrupt_cases(seed, folder)` writes the broken files of the hardening tests: not a zip,
truncated, old .xls, encrypted, LibreOffice-saved, renamed/deleted sheet, inserted rows,
formulas without cached values, a zip bomb, an XML entity bomb, an empty file and an HTML
"xls". Used by tests/test_hardening.py, tests/test_batch*.py and benchmarks/batch.py.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED_EXAMPLE = ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx"
SEED_DATA = ROOT / "examples" / "xinzhou-beijing-office-2023.yaml"

CENT = Decimal("0.01")
PLACEHOLDER_NAME = "〔样本部门〕"
PLACEHOLDER_CODE = "999"
YEAR = 2023

CITIES = ["忻州市", "晋中市", "大同市", "朔州市", "吕梁市", "长治市", "晋城市", "临汾市", "运城市", "阳泉市"]
OFFICES = ["发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "民政局", "司法局", "财政局", "人力资源和社会保障局",
           "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局",
           "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "林业局",
           "机关事务管理局", "信访局", "档案馆", "图书馆", "博物馆", "疾病预防控制中心", "城市管理局", "行政审批服务管理局",
           "人民政府驻北京联络处", "地方志研究室", "党校", "妇女联合会", "共青团委员会", "总工会", "科学技术协会", "红十字会"]
PROJECT_WORDS = ["信息化系统运维", "业务培训", "专项调查", "宣传教育", "执法装备购置", "档案数字化", "办公用房租赁", "安全生产检查",
                 "重点项目前期工作", "专家咨询评审", "应急物资储备", "监测网络运行", "公益岗位补贴", "课题研究", "会议会展",
                 "法律顾问服务", "数据采集", "设备维修维护", "志愿服务活动", "标准制定"]

# economic codes of 基本支出 (部门经济分类) with their share of a person's cost (万元/人/年)
PERSONNEL = [("30101", "基本工资", (3.0, 4.5)), ("30102", "津贴补贴", (1.0, 2.0)), ("30107", "绩效工资", (1.5, 3.0))]
PUBLIC = [("30201", "办公费", (0.10, 0.30)), ("30207", "邮电费", (0.02, 0.08)), ("30211", "差旅费", (0.05, 0.20)),
          ("30226", "劳务费", (0.05, 0.30)), ("30228", "工会经费", (0.05, 0.09)), ("30229", "福利费", (0.10, 0.20))]


def q(x) -> Decimal:
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def money(rng: random.Random, lo: float, hi: float) -> Decimal:
    return q(Decimal(str(round(rng.uniform(lo, hi), 2))))


def s(v: Decimal) -> str:
    return format(v.quantize(CENT), "f")


# ---------------------------------------------------------------- function-code chains

def function_chains() -> list[tuple[str, str, list[str]]]:
    """(类, 款, [项…]) from the reference table, only where 类 and 款 rows exist."""
    from toolkit.reference import load_reference

    codes = load_reference().function_codes
    chains: dict[tuple[str, str], list[str]] = {}
    for c in sorted(codes):
        if len(c) == 7 and c[:5] in codes and c[:3] in codes:
            chains.setdefault((c[:3], c[:5]), []).append(c)
    return [(lei, kuan, xs) for (lei, kuan), xs in chains.items()]


SOCIAL_CHAINS = {("208", "20805"): ["2080505"], ("210", "21011"): ["2101101"], ("221", "22102"): ["2210201"]}


def pick_function_rows(rng: random.Random, n_rows: int) -> tuple[list[str], list[str]]:
    """Codes in table order (类, 款, 项…), about n_rows rows in all; returns (codes, 项 codes that
    carry the department's work: staff costs and projects). The social-insurance lines every
    department has (pension, medical, housing fund) are always there."""
    chains = function_chains()
    chosen = [(lei, kuan, SOCIAL_CHAINS[(lei, kuan)]) for lei, kuan, _ in chains if (lei, kuan) in SOCIAL_CHAINS]
    others = [c for c in chains if c[0] not in {lei for lei, _ in SOCIAL_CHAINS}]
    rng.shuffle(others)

    def count() -> int:  # rows: one per 类, one per 款, one per 项
        return len({c[0] for c in chosen}) + len(chosen) + sum(len(xs) for _, _, xs in chosen)

    for k, (lei, kuan, xs) in enumerate(others):
        room = n_rows - count() - 1 - (0 if any(c[0] == lei for c in chosen) else 1)
        if room < 1 and k > 0:
            break
        chosen.append((lei, kuan, xs[: max(room, 2)]))  # at least one line of the department's own work
    codes: list[str] = []
    work_items: list[str] = []
    for lei in sorted({c[0] for c in chosen}):
        codes.append(lei)
        for _, kuan, xs in sorted(c for c in chosen if c[0] == lei):
            codes.append(kuan)
            codes.extend(xs)
            if (lei, kuan) not in SOCIAL_CHAINS:
                work_items.extend(xs)
    return codes, work_items


# ---------------------------------------------------------------- one variant's data

def department_data(rng: random.Random, n_rows: int, n_projects: int, name: str = PLACEHOLDER_NAME,
                    code: str = PLACEHOLDER_CODE) -> dict:
    """A consistent data file (the shape of examples/*.yaml) with inputs only; fill derives the rest."""
    from toolkit.datafile import load_data

    seed = load_data(SEED_DATA)
    codes, items = pick_function_rows(rng, n_rows)
    staff = rng.randint(8, 120)
    divisions = rng.randint(3, 8)
    per_div = [staff // divisions + (1 if k < staff % divisions else 0) for k in range(divisions)]

    # 基本支出 by economic code
    econ: list[tuple[str, str, Decimal]] = []
    pay = [(c, n, money(rng, lo * staff, hi * staff)) for c, n, (lo, hi) in PERSONNEL]
    base = sum(v for _, _, v in pay)
    pension, medical, housing = q(base * Decimal("0.16")), q(base * Decimal("0.07")), q(base * Decimal("0.12"))
    other_social = q(base * Decimal("0.01"))
    econ += pay + [("30108", "机关事业单位基本养老保险缴费", pension), ("30110", "职工基本医疗保险缴费", medical),
                   ("30112", "其他社会保障缴费", other_social), ("30113", "住房公积金", housing)]
    reception = money(rng, 0.5, 5.0)
    car_run = money(rng, 2.0, 12.0) if rng.random() < 0.7 else Decimal(0)
    public = [(c, n, money(rng, lo * staff, hi * staff)) for c, n, (lo, hi) in PUBLIC]
    public.append(("30217", "公务接待费", reception))
    if car_run:
        public.append(("30231", "公务用车运行维护费", car_run))
    relief = money(rng, 0.05, 0.5)
    basic_total = sum(v for *_, v in econ) + sum(v for *_, v in public) + relief

    # 基本支出 by function: social items first, the rest on 项 that carry staff costs
    basic_by: dict[str, Decimal] = {"2080505": pension, "2101101": medical, "2210201": housing}
    rest = basic_total - pension - medical - housing
    runners = items[: max(1, min(len(items), 1 + len(items) // 4))]
    shares = [Decimal(rng.randint(2, 10)) for _ in runners]
    acc = Decimal(0)
    for k, c in enumerate(runners):
        v = rest - acc if k == len(runners) - 1 else q(rest * shares[k] / sum(shares))
        basic_by[c] = basic_by.get(c, Decimal(0)) + v
        acc += v

    # projects: each on a 项; every remaining 项 gets at least one
    proj_items = [c for c in items if c not in runners] or items
    projects = []
    used_names = set()
    for k in range(n_projects):
        word = PROJECT_WORDS[k % len(PROJECT_WORDS)]
        pname = f"{word}经费" if word not in used_names else f"{word}经费（{k // len(PROJECT_WORDS) + 1}期）"
        used_names.add(word)
        item = proj_items[k % len(proj_items)]
        projects.append((pname, item, money(rng, 2, 180)))
    project_by: dict[str, Decimal] = {}
    for _, item, amt in projects:
        project_by[item] = project_by.get(item, Decimal(0)) + amt
    # a 项 with neither basic nor project money gets a small basic amount moved from the runner
    for c in items:
        if c not in basic_by and c not in project_by:
            move = money(rng, 0.5, 3)
            donor = runners[0]
            if basic_by[donor] > move + 1:
                basic_by[donor] -= move
                basic_by[c] = move

    leaf = set(basic_by) | set(project_by)
    t3_items, t2_items = [], []
    for c in codes:
        if len(c) == 7 and c in leaf:
            b, p = basic_by.get(c), project_by.get(c)
            row = {"code": c}
            if b:
                row["basic"] = s(b)
            if p:
                row["project"] = s(p)
            t3_items.append(row)
            t2_items.append({"code": c, "gpb": s((b or 0) + (p or 0))})
        elif len(c) < 7:
            # a 类/款 row is kept only if some 项 below it has money
            if any(x.startswith(c) for x in leaf):
                t3_items.append({"code": c})
                t2_items.append({"code": c})
    total = sum(basic_by.values()) + sum(project_by.values())

    t6_items = [{"code": "301"}]
    for c, n, v in econ:
        t6_items.append({"code": c, "total": s(v)})
    t6_items.append({"code": "302"})
    for c, n, v in sorted(public):
        t6_items.append({"code": c, "total": s(v)})
    t6_items += [{"code": "303"}, {"code": "30305", "total": s(relief)}]

    prior = q(total * Decimal(str(round(rng.uniform(0.85, 1.15), 4))))
    prior_reception = q(reception * Decimal(str(round(rng.uniform(0.8, 1.2), 3))))
    prior_car_run = q(car_run * Decimal(str(round(rng.uniform(0.9, 1.1), 3)))) if car_run else Decimal(0)
    proc_services = money(rng, 1, 30)
    data = {
        "info": {
            "dept_name": name, "dept_code": code, "year": YEAR,
            "duties": [f"{k}、{t}" for k, t in enumerate(seed["info"]["duties"][: rng.randint(2, 5)], 1)],
            "org_summary": f"单位构成：{name}设{divisions}个内设机构。",
            "divisions": [{"name": f"第{k}科", "duties": "负责本科室职责范围内的工作。", "staff": n,
                           "leaders": "科级领导职数1名"} for k, n in enumerate(per_div, 1)],
        },
        "t2": {"items": t2_items},
        "t3": {"items": t3_items},
        "t5": {"items": [dict(r) for r in t3_items]},
        "t6": {"items": t6_items},
        "t7": {"_note": "注：本表无数据"}, "t8": {"_note": "注：本表无数据"}, "t9": {"_note": "注：本表无数据"},
        "t10": {"reception": {"gpb": s(reception)}, **({"car_run": {"gpb": s(car_run)}} if car_run else {})},
        "t11": {"_note": "注：本表无数据"},
        "t12": {"items": [{"name": n, "gpb": s(a)} for n, _, a in projects]},
        "t13": {"_note": "注：本表无数据"},
        "notes": {
            "prior_income": s(prior), "prior_expense": s(prior), "prior_gpb": s(prior),
            "change_reason": "人员变动及项目安排调整。",
            "prior_abroad": "0.00", "prior_reception": s(prior_reception), "prior_car_buy": "0.00",
            "prior_car_run": s(prior_car_run),
            "sangong_reason": "严格执行中央八项规定精神，压减公务接待和公务用车支出。",
            "jiguan_reason": "本部门所属均为事业单位，无机关运行经费。",
            "proc_goods": "0.00", "proc_works": "0.00", "proc_services": s(proc_services),
            "perf_summary": "部门整体支出绩效目标设定符合国家法律法规和部门职责，目标任务清晰、明确。",
            "vehicles": 1 if car_run else 0, "vehicle_quota": 1 if car_run else 0,
            "vehicle_text": "公务用车制度改革后保留公务用车1辆。" if car_run else "本部门无公务用车。",
            "rented_area": s(money(rng, 100, 900)),
            "assets_other": "无", "service_catalogue": "本部门按规定编制政府购买服务指导性目录。",
            "other": "无另需说明情况。",
        },
        "glossary": seed["glossary"],
        "perf_dept": {
            "divisions": divisions, "units": 0, "staff_quota": staff, "staff_actual": staff, "staff_onroll": staff,
            "staff_other": 0,
            "duties": "履行本部门法定职责，做好各项业务工作。", "strategy": "提升公共服务质量和效率。",
            "src_ssf": "0.00",
            "tasks": [{"function": "核心业务", "task": "完成年度重点任务。"}, {"function": "内部管理", "task": "加强预算和绩效管理。"}],
            "goal": "保障部门正常运转，完成年度重点工作任务，提高资金使用效益。",
            "indicators": [
                {"l1": "产出指标", "l2": "数量指标", "l3": "完成重点工作任务数", "value": "≥10项"},
                {"l2": "质量指标", "l3": "工作任务完成合格率", "value": "≥95%"},
                {"l2": "时效指标", "l3": "任务按期完成率", "value": "≥95%"},
                {"l2": "成本指标", "l3": "年度预算总额", "value": f"≤{int(total) + 1}万元"},
                {"l1": "效益指标", "l2": "社会效益指标", "l3": "公共服务水平", "value": "持续提升"},
                {"l1": "满意度指标", "l2": "服务对象满意度指标", "l3": "服务对象满意度", "value": "≥90%"},
            ],
        },
        "perf_project": [_project_form(rng, n, a, name) for n, _, a in projects],
    }
    return data


def _project_form(rng: random.Random, pname: str, amount: Decimal, dept: str) -> dict:
    yuan = str(int(amount * 10000))
    return {
        "name": pname, "implementer": dept, "attribute": "经常性项目", "period": "1年",
        "central_period": "0", "central_annual": "0", "province_period": "0", "province_annual": "0",
        "city_period": yuan, "city_annual": yuan, "self_period": "0", "self_annual": "0",
        "overview": f"{pname}用于保障相关业务工作开展。", "basis": "依据部门职责和年度工作安排。",
        "necessity": "保障业务工作正常开展。", "measures": "严格执行财务管理制度，专款专用。",
        "plan": "按季度推进，年底前完成。",
        "goal_period": "按时保质完成项目任务。", "goal_annual": "按时保质完成年度项目任务。",
        "indicators": [
            {"l1": "产出指标", "l2_period": "数量指标", "l3_period": "完成任务数", "value_period": "≥1项",
             "l2_annual": "数量指标", "l3_annual": "完成任务数", "value_annual": "≥1项"},
            {"l2_period": "质量指标", "l3_period": "验收合格率", "value_period": "≥95%",
             "l2_annual": "质量指标", "l3_annual": "验收合格率", "value_annual": "≥95%"},
            {"l2_period": "时效指标", "l3_period": "完成时限", "value_period": "≤12个月",
             "l2_annual": "时效指标", "l3_annual": "完成时限", "value_annual": "≤12个月"},
            {"l2_period": "成本指标", "l3_period": "项目成本", "value_period": f"≤{s(amount)}万元",
             "l2_annual": "成本指标", "l3_annual": "项目成本", "value_annual": f"≤{s(amount)}万元"},
            {"l1": "效益指标", "l2_period": "社会效益指标", "l3_period": "服务水平", "value_period": "持续提升",
             "l2_annual": "社会效益指标", "l3_annual": "服务水平", "value_annual": "持续提升"},
            {"l1": "满意度指标", "l2_period": "服务对象满意度指标", "l3_period": "服务对象满意度", "value_period": "≥90%",
             "l2_annual": "服务对象满意度指标", "l3_annual": "服务对象满意度", "value_annual": "≥90%"},
        ],
        "manager": "张三", "handler": "李四", "phone": f"1390350{rng.randint(1000, 9999)}", "date": "2022.10.26",
    }


# ---------------------------------------------------------------- variants and copies

@dataclass
class Variant:
    path: Path
    n_rows: int
    n_projects: int
    cells: dict  # (instance, row, col) -> (sheet, cell, value) for the cells mistakes are made in
    named: list  # (sheet, cell, text) of every text cell that holds the placeholder name or code
    narrative: dict  # paragraph key -> (sheet, cell)
    meta_rows: dict  # "narrative:key" -> row number in _meta


def build_variant(folder: Path, k: int, n_rows: int, n_projects: int, seed: int = 7) -> Variant:
    import toolkit
    from toolkit.datafile import write_data
    from toolkit.fill import fill

    rng = random.Random(seed * 1000 + k)
    raw = folder / f"variant{k:02d}.data.xlsx"
    write_data(department_data(rng, n_rows, n_projects), raw)
    out = folder / f"variant{k:02d}.xlsx"
    fill(raw, out)
    raw.unlink()
    d = toolkit.load(out)
    cells = {}
    named = []
    for inst, entries in d.entries.items():
        for (row, col), e in entries.items():
            cells[(inst, row, col)] = (e.sheet, e.cell, e.value)
            if isinstance(e.value, str) and (PLACEHOLDER_NAME in e.value or e.value == PLACEHOLDER_CODE):
                named.append((e.sheet, e.cell, e.value))
    # derived labels (titles) are not entries: find them in the sheets themselves
    from python_calamine import CalamineWorkbook

    from toolkit.layout import a1

    wb = CalamineWorkbook.from_path(str(out))
    seen = {(sh, c) for sh, c, _ in named}
    for sheet in wb.sheet_names:
        for r, row in enumerate(wb.get_sheet_by_name(sheet).to_python(), 1):
            for c, v in enumerate(row, 1):
                if isinstance(v, str) and PLACEHOLDER_NAME in v and (sheet, a1(r, c)) not in seen:
                    named.append((sheet, a1(r, c), v))
    meta = wb.get_sheet_by_name("_meta").to_python()
    meta_rows = {str(r[0]): i for i, r in enumerate(meta, 1) if r and str(r[0]).startswith("narrative:")}
    narrative = {row: (e.sheet, e.cell) for (row, _), e in d.entries["narrative"].items()}
    return Variant(out, n_rows, n_projects, cells, named, narrative, meta_rows)


def _cell(v: Variant, inst: str, row: str, col: str = ""):
    return v.cells.get((inst, row, col))


def _leaf_rows(v: Variant, inst: str, col: str) -> list[str]:
    """Block rows (items#n) of a table whose `col` holds an input amount (a 项 or 款 row)."""
    rows = sorted({r for (i, r, c), (_, _, val) in v.cells.items() if i == inst and c == col and val is not None
                   and r.startswith("items#")}, key=lambda r: int(r.split("#")[1]))
    codes = {r: v.cells.get((inst, r, "code"), (None, None, None))[2] for r in rows}
    return [r for r in rows if codes[r] and len(str(codes[r])) == 7] or rows


# each mistake: (name, weight, function(variant, rng) -> {(sheet, cell): value})
def _m_total_off(v, rng):
    sh, c, val = _cell(v, "t3", "total", "total")
    return {(sh, c): val + Decimal("1.00")}


def _m_rounding(v, rng):
    sh, c, val = _cell(v, "t3", "total", "basic")
    return {(sh, c): val + Decimal("0.01")}


def _m_text_number(v, rng):
    r = rng.choice(_leaf_rows(v, "t3", "basic") or _leaf_rows(v, "t3", "project"))
    col = "basic" if _cell(v, "t3", r, "basic")[2] is not None else "project"
    sh, c, val = _cell(v, "t3", r, col)
    return {(sh, c): format(val, "f")}


def _m_fullwidth(v, rng):
    r = rng.choice(_leaf_rows(v, "t2", "gpb"))
    sh, c, val = _cell(v, "t2", r, "gpb")
    return {(sh, c): format(val, "f").translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))}


def _m_bad_number(v, rng):
    r = rng.choice(_leaf_rows(v, "t12", "gpb"))
    sh, c, _ = _cell(v, "t12", r, "gpb")
    return {(sh, c): "约3万"}


def _m_unknown_code(v, rng):
    r = rng.choice(_leaf_rows(v, "t5", "basic") or _leaf_rows(v, "t5", "project"))
    sh, c, val = _cell(v, "t5", r, "code")
    return {(sh, c): str(val)[:5] + "98"}


def _m_missing_code(v, rng):
    sh, c, _ = _cell(v, "info", "dept_code")
    return {(sh, c): None}


def _m_negative(v, rng):
    r = rng.choice(_leaf_rows(v, "t6", "total"))
    sh, c, val = _cell(v, "t6", r, "total")
    return {(sh, c): -val}


def _m_project_name(v, rng):
    n = rng.randint(1, v.n_projects)
    sh, c, val = _cell(v, f"perf_project#{n}", "name")
    return {(sh, c): str(val).replace("经费", "费用")}


def _m_narrative(v, rng):
    sh, c, val = _cell(v, "narrative", "s3")
    import re

    m = re.search(r"\d+\.\d\d万元", val)
    if not m:
        return {}
    wrong = str(Decimal(m.group(0)[:-2]) + Decimal("10.00")) + "万元"
    return {(sh, c): val[: m.start()] + wrong + val[m.end():]}


def _m_spaces(v, rng):
    r = rng.choice(_leaf_rows(v, "t3", "basic") or _leaf_rows(v, "t3", "project"))
    sh, c, val = _cell(v, "t3", r, "code")
    return {(sh, c): f" {val} "}


def _m_sangong(v, rng):
    sh, c, val = _cell(v, "t10", "reception", "gpb")
    return {(sh, c): val + Decimal("2.00")}


MISTAKES = [
    ("合计与明细不符", 3, _m_total_off), ("尾差", 3, _m_rounding), ("数字以文本录入", 3, _m_text_number),
    ("全角数字", 2, _m_fullwidth), ("无法识别的数字", 2, _m_bad_number), ("科目编码不在参考表", 2, _m_unknown_code),
    ("部门代码为空", 1, _m_missing_code), ("负数金额", 1, _m_negative), ("绩效表项目名称不符", 2, _m_project_name),
    ("情况说明数字不符", 2, _m_narrative), ("编码多余空格", 2, _m_spaces), ("三公经费不一致", 1, _m_sangong),
]


def department_names(n: int, rng: random.Random) -> list[str]:
    names = []
    for k in range(n):
        city = CITIES[k // len(OFFICES) % len(CITIES)]
        office = OFFICES[k % len(OFFICES)]
        names.append(f"{city}{office}")
    return names


def make_copy(v: Variant, dst: Path, name: str, code: str, mistakes: list) -> Path:
    from toolkit.fill import fingerprint
    from toolkit.io.writer import write_cells

    changes: dict = {}
    for sh, c, text in v.named:
        new = text.replace(f"{PLACEHOLDER_CODE}-{PLACEHOLDER_NAME}", f"{code}-{name}").replace(PLACEHOLDER_NAME, name)
        if text == PLACEHOLDER_CODE:
            new = code
        changes.setdefault(sh, {})[c] = new
    # the generated paragraphs that name the department: keep their fingerprints right
    by_cell = {(sh, c): key for key, (sh, c) in v.narrative.items()}
    for sh, cells in list(changes.items()):
        for c, text in cells.items():
            key = by_cell.get((sh, c))
            if key and f"narrative:{key}" in v.meta_rows:
                changes.setdefault("_meta", {})[f"B{v.meta_rows['narrative:' + key]}"] = fingerprint(text)
    for (sh, c), value in mistakes:
        changes.setdefault(sh, {})[c] = value
    return write_cells(v.path, changes, dst)


def generate(n: int, out: Path, seed: int = 7, variants: int = 12, clean_share: float = 0.35,
             log=print, sizes: list | None = None) -> list[Path]:
    """Write n department workbooks into `out` (created); returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bdt-variants-"))
    try:
        nv = len(sizes) if sizes else max(1, min(variants, n))
        # (function rows, projects): rows spread evenly over 10–60, projects shuffled over 5–40
        sizes = sizes or [(10 + round(50 * k / max(nv - 1, 1)), 5 + round(35 * ((k * 7) % nv) / max(nv - 1, 1)))
                          for k in range(nv)]
        vs = [build_variant(work, k, rows, projects, seed) for k, (rows, projects) in enumerate(sizes)]
        log(f"  {nv} variants (function rows 10–60, projects 5–40) built in {time.perf_counter() - t0:.1f} s")
        names = department_names(n, rng)
        paths = []
        weights = [w for _, w, _ in MISTAKES]
        for k in range(n):
            v = vs[k % nv]
            chosen = []
            if rng.random() >= clean_share:
                chosen = rng.choices(MISTAKES, weights=weights, k=rng.randint(1, 3))
            edits = {}
            for _, _, fn in chosen:
                edits.update(fn(v, rng))
            dst = out / f"{k + 1:04d}-{names[k]}.xlsx"
            paths.append(make_copy(v, dst, names[k], f"{100 + k}", list(edits.items())))
        log(f"  {n} workbooks written in {time.perf_counter() - t0:.1f} s")
        return paths
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- a bureau: 部门 with their units

UNIT_SUFFIXES = ["机关", "事务服务中心", "信息中心", "综合保障中心", "监测站", "培训中心"]
BUREAU_FAULTS = ("clean", "left_out", "counted_twice", "unit_unbalanced", "unit_missing")


def _block_cell(d, table: str, code: str, col: str):
    row = next(r for r in d.rows(table) if r.get("code") == code)
    return row.entries[col]


def generate_bureau(n: int, out: Path, seed: int = 7, groups: int = 6, log=print) -> dict:
    """A finance bureau's folder: `n` departments, the first `groups` of them with a 本级 (机关)
    unit and 2–5 more units (`groups` ≥ 1). Each unit is a copy of a variant tagged 单位 in
    基本信息 with its 上级主管部门; units of one 部门 come from different variants, so no two have
    the same figures. A 部门's own workbook is the consolidation of its units
    (toolkit.consolidate: inputs summed, the rest derived by fill); the other departments are
    variant copies tagged 部门 (blank). Deliberate faults, one kind per 部门 in BUREAU_FAULTS order:

    * left_out: one 项 figure of the 部门's 表3 lacks one unit's amount;
    * counted_twice: one 项 figure of the 部门's 表5 has one unit's amount twice;
    * unit_unbalanced: one unit's 表3 合计 is 0.11 万元 (1,100 元) above its own items;
    * unit_missing: one unit's workbook is left out of the folder (the 部门 includes it).

    Returns a manifest {"departments": [...], "groups": [{name, code, head, units, fault}],
    "faults": [{dept, kind, sheet, cell, unit, amount}]} (also written as bureau.json)."""
    import json

    import toolkit
    from toolkit.consolidate import build_workbook, summed_data
    from toolkit.io.writer import write_cells

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    t0 = time.perf_counter()
    sizes = [(10 + 4 * k, 2 + k % 3) for k in range(6)]  # small variants: 6 distinct sets of figures
    work = Path(tempfile.mkdtemp(prefix="bdt-bureau-"))
    try:
        vs = [build_variant(work, k, rows, projects, seed) for k, (rows, projects) in enumerate(sizes)]
        log(f"  {len(vs)} variants built in {time.perf_counter() - t0:.1f} s")
        names = department_names(n, rng)
        manifest: dict = {"departments": [], "groups": [], "faults": []}
        for k, name in enumerate(names):
            code = f"{100 + k}"
            if k >= groups:
                dst = out / f"{k + 1:03d}-{name}.xlsx"
                make_copy(vs[k % len(vs)], dst, name, code, [])
                manifest["departments"].append({"name": name, "code": code, "file": dst.name})
                continue
            fault = BUREAU_FAULTS[k % len(BUREAU_FAULTS)]
            n_units = 3 + (k * 2) % 4  # 本级 + 2–5 units
            folder = out / f"{k + 1:03d}-{name}"
            folder.mkdir(exist_ok=True)
            unit_paths = []
            offset = rng.randrange(len(vs))
            for j in range(n_units):
                v = vs[(offset + j) % len(vs)]
                uname = f"{name}{UNIT_SUFFIXES[j]}"
                info = {row: (sh, cell) for (inst, row, col), (sh, cell, _) in v.cells.items()
                        if inst == "info" and row in ("entity", "parent")}
                tags = [(info["entity"], "单位"), (info["parent"], name)]
                dst = folder / f"{j + 1:02d}-{uname}.xlsx"
                unit_paths.append(make_copy(v, dst, uname, f"{code}{j + 1:03d}", tags))
            units = [toolkit.load(p) for p in unit_paths]
            data, _ = summed_data(units, {"dept_name": name, "dept_code": code, "year": YEAR, "entity": "部门"},
                                  extra_notes={"perf_dept": {"units": str(n_units)}})
            head = build_workbook(data, folder / f"00-{name}.xlsx")
            group = {"name": name, "code": code, "head": str(head.relative_to(out)), "fault": fault,
                     "units": [str(p.relative_to(out)) for p in unit_paths]}
            fault_rec = None
            if fault in ("left_out", "counted_twice"):
                table = "t3" if fault == "left_out" else "t5"
                col = "basic" if fault == "left_out" else "project"
                hd = toolkit.load(head)
                # a 项 figure of one unit that no other unit of the 部门 has at that line
                for j, u in enumerate(units):
                    cands = [r for r in u.rows(table) if r.level == 3 and isinstance(r.get(col), Decimal)
                             and r.get(col) > 0 and not any(o.get(col) is not None for w in units if w is not u
                                                            for o in w.rows(table) if o.get("code") == r.get("code"))]
                    if cands:
                        r = cands[0]
                        break
                amount = r.get(col)
                e = _block_cell(hd, table, r.get("code"), col)
                new = e.value - amount if fault == "left_out" else e.value + amount
                write_cells(head, {e.sheet: {e.cell: new}}, head)
                fault_rec = {"sheet": e.sheet, "cell": e.cell, "unit": units[j].dept_name, "amount": s(amount),
                             "code": r.get("code")}
            elif fault == "unit_unbalanced":
                u, p = units[1], unit_paths[1]
                e = u.entry("t3", "total", "total")
                write_cells(p, {e.sheet: {e.cell: e.value + Decimal("0.11")}}, p)
                fault_rec = {"sheet": e.sheet, "cell": toolkit.load(head).entry("t3", "total", "total").cell,
                             "unit": u.dept_name, "amount": "0.11"}
            elif fault == "unit_missing":
                gone = unit_paths[-1]
                fault_rec = {"sheet": None, "cell": None, "unit": units[-1].dept_name, "file": str(gone.relative_to(out))}
                gone.unlink()
                group["units"] = group["units"][:-1]
            if fault_rec:
                manifest["faults"].append({"dept": name, "kind": fault, **fault_rec})
            manifest["groups"].append(group)
        (out / "bureau.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        log(f"  bureau of {n} departments ({groups} with units) written in {time.perf_counter() - t0:.1f} s")
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- corrupt cases

def _rezip(src: Path, dst: Path, replace: dict) -> Path:
    with zipfile.ZipFile(src) as zf, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for i in zf.infolist():
            out.writestr(i.filename, replace.get(i.filename, zf.read(i.filename)))
    return dst


def _sheet_part(path: Path, sheet: str) -> str:
    from toolkit.io.writer import sheet_parts

    with zipfile.ZipFile(path) as zf:
        return sheet_parts(zf)[sheet]


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_convert(src: Path, jobs: list[tuple[Path, str]]) -> list[Path | None]:
    """src converted by LibreOffice (headless) to each (folder, format), the conversions running
    side by side (one profile each); None where LibreOffice is missing or failed."""
    exe = soffice()
    if not exe:
        return [None] * len(jobs)
    with tempfile.TemporaryDirectory(prefix="bdt-lo-") as tmp:
        procs = []
        for k, (folder, fmt) in enumerate(jobs):
            folder.mkdir(parents=True, exist_ok=True)
            profile = Path(tmp) / f"profile{k}"
            procs.append(subprocess.Popen([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                                           "--convert-to", fmt, "--outdir", str(folder), str(src)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for p in procs:
            try:
                p.wait(timeout=180)
            except subprocess.TimeoutExpired:
                p.kill()
    outs = [folder / (src.stem + "." + fmt.split(":")[0]) for folder, fmt in jobs]
    return [o if o.exists() else None for o in outs]


BOMB_BYTES = 120 * 1024 * 1024  # inflates beyond the 100 MB per-part cap


def make_zip_bomb(seed: Path, dst: Path, size: int = BOMB_BYTES) -> Path:
    """The seed with one worksheet part padded with `size` bytes of whitespace (~120 KB on disk)."""
    part = _sheet_part(seed, "表3 支出总表")
    with zipfile.ZipFile(seed) as zf, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for i in zf.infolist():
            if i.filename != part:
                out.writestr(i.filename, zf.read(i.filename))
                continue
            xml = zf.read(i.filename)
            head, tail = xml.split(b"<sheetData>", 1)
            zi = zipfile.ZipInfo(i.filename)
            zi.compress_type = zipfile.ZIP_DEFLATED
            with out.open(zi, "w", force_zip64=True) as fh:
                fh.write(head + b"<sheetData>")
                block = b" " * (1 << 20)
                for _ in range(size // len(block)):
                    fh.write(block)
                fh.write(tail)
    return dst


LAUGHS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE worksheet [\n <!ENTITY lol0 "lol">\n'
          + b"".join(b' <!ENTITY lol%d "%s">\n' % (k, b"&lol%d;" % (k - 1) * 10) for k in range(1, 10))
          + b"]>\n")  # &lol9; expands to 10**9 "lol"s


def make_entity_bomb(seed: Path, dst: Path) -> Path:
    """The seed with a billion-laughs DTD in a worksheet and the entity used in a cell."""
    part = _sheet_part(seed, "基本信息")
    with zipfile.ZipFile(seed) as zf:
        xml = zf.read(part)
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    body = body.replace(b"<sheetData>", b'<sheetData><row r="200"><c r="A200" t="inlineStr"><is><t>&lol9;</t></is></c></row>', 1)
    return _rezip(seed, dst, {part: LAUGHS + body.lstrip()})


def make_encrypted(seed: Path, dst: Path, password: str = "123456") -> Path | None:
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        return None
    with open(seed, "rb") as fh:
        buf = io.BytesIO()
        OOXMLFile(fh).encrypt(password, buf)
    dst.write_bytes(buf.getvalue())
    return dst


def make_uncached_formula(seed: Path, dst: Path) -> tuple[Path, str, str]:
    """An input cell holding =SUM(...) written by openpyxl (no cached value). Returns (path, sheet, cell)."""
    import openpyxl

    import toolkit

    d = toolkit.load(seed)
    row = next(r for r in d.rows("t3") if r.level == 3 and r.get("basic") is not None)
    e = row.entries["basic"]
    wb = openpyxl.load_workbook(seed)
    wb[e.sheet][e.cell] = f"=SUM({e.cell.rstrip('0123456789')}1:{e.cell.rstrip('0123456789')}2)"
    wb.save(dst)
    return dst, e.sheet, e.cell


def _edit_sheet(seed: Path, dst: Path, sheet: str, edits: dict) -> Path:
    """The seed with cells of one sheet replaced by raw XML {A1: "<c …>…</c>"} (anything a producer
    can write, valid for Excel or not); every other part byte for byte."""
    from toolkit.io.writer import edit_cells

    part = _sheet_part(seed, sheet)
    with zipfile.ZipFile(seed) as zf:
        xml = zf.read(part).decode("utf-8")
    xml = edit_cells(xml, {ref: (lambda old, p, x=x: x) for ref, x in edits.items()})
    return _rezip(seed, dst, {part: xml.encode("utf-8")})


def input_cells(seed: Path, table: str = "t3", col: str = "basic", n: int = 4) -> list:
    """(sheet, cell) of the first `n` used input amount cells of a table's block (mutation targets)."""
    import toolkit

    d = toolkit.load(seed)
    rows = [r for r in d.rows(table) if r.entries.get(col) is not None and r.entries[col].role == "input"
            and r.get(col) is not None]
    return [(r.entries[col].sheet, r.entries[col].cell) for r in rows[:n]]


HOSTILE_NUMBERS = ("inf", "NaN", "1E+26", "1e300", "-inf", "-1e16")


def make_hostile_numbers(seed: Path, dst: Path) -> tuple[Path, list]:
    """Amount cells holding numbers a cell can hold but money cannot (inf, NaN, 1E+26, 1e300…),
    written as <v> the way a producer other than Excel can. Returns (path, [(sheet, cell, text)])."""
    cells = input_cells(seed, n=len(HOSTILE_NUMBERS))
    sheet = cells[0][0]
    edits = {cell: f'<c r="{cell}"><v>{v}</v></c>' for (_, cell), v in zip(cells, HOSTILE_NUMBERS)}
    return _edit_sheet(seed, dst, sheet, edits), [(sheet, c, v) for (_, c), v in zip(cells, HOSTILE_NUMBERS)]


def make_hostile_text(seed: Path, dst: Path) -> tuple[Path, dict]:
    """Text a clerk's tools can put in cells: control characters in the department name (BEL,
    ESC), a code longer than any code (41 digits), and a 40,000-character 项目概况 (over Excel's
    32,767). Returns (path, {"name"|"code"|"overview": (sheet, cell)})."""
    import toolkit

    d = toolkit.load(seed)
    name, code, overview = d.entry("info", "dept_name"), d.entry("info", "dept_code"), d.entry("perf_project#1", "overview")
    path = _edit_sheet(seed, dst, name.sheet, {
        name.cell: f'<c r="{name.cell}" t="inlineStr"><is><t>某某局\x07\x1b办公室</t></is></c>',
        code.cell: f'<c r="{code.cell}" t="inlineStr"><is><t>{"1" * 41}</t></is></c>'})
    tmp = dst.with_name(dst.name + ".part")
    _edit_sheet(path, tmp, overview.sheet, {
        overview.cell: f'<c r="{overview.cell}" t="inlineStr"><is><t>{"项目概况。" * 8000}</t></is></c>'})
    os.replace(tmp, path)
    return path, {"name": (name.sheet, name.cell), "code": (code.sheet, code.cell),
                  "overview": (overview.sheet, overview.cell)}


def make_bad_shared_string(seed: Path, dst: Path) -> Path:
    """A cell pointing at a shared string that does not exist (calamine raises CalamineError)."""
    (sheet, cell), = input_cells(seed, n=1)
    return _edit_sheet(seed, dst, sheet, {cell: f'<c r="{cell}" t="s"><v>99999</v></c>'})


def make_undefined_entity(seed: Path, dst: Path) -> Path:
    """An XML entity reference no DTD defines (&nbsp; from an HTML-minded producer) in a sheet."""
    (sheet, cell), = input_cells(seed, n=1)
    return _edit_sheet(seed, dst, sheet, {cell: f'<c r="{cell}" t="inlineStr"><is><t>a&nbsp;b</t></is></c>'})


def make_far_cell(seed: Path, dst: Path, ref: str = "XFD1048576", sheet: str = "表3 支出总表") -> Path:
    """One value at a far cell: calamine would allocate the rectangle A1:ref (512 GiB at XFD1048576)."""
    return _edit_sheet(seed, dst, sheet, {ref: f'<c r="{ref}"><v>1</v></c>'})


def make_full_table_inserted_row(seed: Path, dst: Path, table: str = "t3") -> tuple[Path, str, int]:
    """A table block filled to capacity, then one blank row inserted inside it by the clerk: the
    last row lands on the note row. Returns (path, sheet, note row)."""
    import openpyxl

    from toolkit.layout import layout
    from toolkit.schema import load_schema

    spec = load_schema().sheet(table)
    lay = layout(spec)
    block = next(b for b in spec.blocks)
    first, cap = lay.block_rows[block.key]
    code_col = spec.col_keys.index("code") + 1
    basic_col = spec.col_keys.index("basic") + 1 if "basic" in spec.col_keys else code_col + 2
    wb = openpyxl.load_workbook(seed)
    ws = wb[spec.sheet]
    for i in range(cap):
        ws.cell(first + i, code_col, f"{2010101 + i}")
        ws.cell(first + i, basic_col, 1 + i)
    ws.insert_rows(first + cap // 2, 1)
    wb.save(dst)
    return dst, spec.sheet, lay.get("_note").row


def make_shifted_rows(seed: Path, dst: Path, table: str = "t3", delta: int = -1) -> tuple[Path, str, int]:
    """Rows deleted from (delta < 0) or inserted into (delta > 0) a table's last block the way
    Excel does it: the rows below move and so do their merged ranges, the note row's merge with
    them (openpyxl alone leaves the merges where they were). Returns (path, sheet, note row now)."""
    import openpyxl

    from toolkit.layout import layout
    from toolkit.schema import load_schema

    spec = load_schema().sheet(table)
    note = layout(spec).get("_note").row
    wb = openpyxl.load_workbook(seed)
    sheet = spec.sheet
    ws = wb[sheet]
    at = note - 5  # a block row a little above the note
    moved = [r for r in ws.merged_cells.ranges if r.min_row > at]
    for r in moved:
        ws.merged_cells.remove(r)
    if delta < 0:
        ws.delete_rows(at, -delta)
    else:
        ws.insert_rows(at, delta)
    for r in moved:
        r.shift(row_shift=delta)
        ws.merge_cells(r.coord)
    wb.save(dst)
    return Path(dst), sheet, note + delta


def make_value_outside(seed: Path, dst: Path, table: str = "t3") -> tuple[Path, str, list]:
    """Values typed below and to the right of a table (never read). Returns (path, sheet, cells)."""
    from toolkit.layout import a1, layout
    from toolkit.schema import load_schema

    spec = load_schema().sheet(table)
    lay = layout(spec)
    below = a1(lay.last_row + 2, 3)
    right = a1(lay.data_start, lay.ncols + 2)
    edits = {below: f'<c r="{below}"><v>123.45</v></c>',
             right: f'<c r="{right}" t="inlineStr"><is><t>备注：另有 50 万元</t></is></c>'}
    return _edit_sheet(seed, dst, spec.sheet, edits), spec.sheet, [below, right]


_PREFIX_NS = b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def make_prefixed_sheets(seed: Path, dst: Path) -> Path:
    """Every worksheet written with a namespace prefix (<x:worksheet>, <x:row>, <x:c>): valid OOXML
    some producers write."""
    import re

    out = {}
    with zipfile.ZipFile(seed) as zf:
        for name in zf.namelist():
            if not (name.startswith("xl/worksheets/sheet") and name.endswith(".xml")):
                continue
            xml = zf.read(name)
            xml = xml.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', _PREFIX_NS, 1)
            xml = re.sub(rb"<(/?)(?![?!])([A-Za-z]+)(?=[\s/>])", lambda m: b"<" + m.group(1) + b"x:" + m.group(2), xml)
            out[name] = xml
    return _rezip(seed, dst, out)


def make_copied_form(seed: Path, dst: Path) -> tuple[Path, str]:
    """A project form copied by Excel's “移动或复制” (its name gets “ (2)”)."""
    import openpyxl

    wb = openpyxl.load_workbook(seed)
    src = next(n for n in wb.sheetnames if n.startswith("项目绩效"))
    copy = wb.copy_worksheet(wb[src])
    copy.title = f"{src} (2)"
    wb.save(dst)
    return dst, copy.title


def make_corrupt_cases(seed: Path, folder: Path, libreoffice: bool = True, bomb: bool = True) -> dict:
    """Write the broken files a bureau meets into `folder`; returns {case: path}.

    Cases needing LibreOffice (old .xls, LibreOffice-saved) are left out when it is missing or
    libreoffice=False.
    """
    import openpyxl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    seed = Path(seed)
    data = seed.read_bytes()
    cases: dict[str, Path] = {}

    def put(case, name, content: bytes):
        p = folder / name
        p.write_bytes(content)
        cases[case] = p

    put("not_a_zip", "不是压缩包.xlsx", "这是一个改了扩展名的文本文件\n".encode("utf-8") * 20)
    put("truncated", "上传中断.xlsx", data[: len(data) // 2])
    put("empty", "空文件.xlsx", b"")
    put("html_xls", "系统导出.xls", "<html><body><table><tr><td>部门预算</td></tr></table></body></html>".encode("utf-8"))
    enc = make_encrypted(seed, folder / "加密的工作簿.xlsx")
    if enc:
        cases["encrypted"] = enc

    wb = openpyxl.load_workbook(seed)
    wb["表3 支出总表"].title = "支出总表"
    wb.save(folder / "改了表名.xlsx")
    cases["renamed_sheet"] = folder / "改了表名.xlsx"
    wb = openpyxl.load_workbook(seed)
    del wb["表10 三公经费表"]
    wb.save(folder / "删了一张表.xlsx")
    cases["deleted_sheet"] = folder / "删了一张表.xlsx"
    from toolkit.layout import layout
    from toolkit.schema import load_schema

    first_header = layout(load_schema().sheet("t5")).header_rows[0]
    wb = openpyxl.load_workbook(seed)
    wb["表5 一般公共预算支出表"].insert_rows(first_header + 1, 2)  # inside the header: every row below moves
    wb.save(folder / "插入了行.xlsx")
    cases["inserted_rows"] = folder / "插入了行.xlsx"
    cases["formula_no_cache"] = make_uncached_formula(seed, folder / "公式没有缓存值.xlsx")[0]
    cases["entity_bomb"] = make_entity_bomb(seed, folder / "实体炸弹.xlsx")
    cases["hostile_numbers"] = make_hostile_numbers(seed, folder / "极端数字.xlsx")[0]
    cases["bad_shared_string"] = make_bad_shared_string(seed, folder / "共享字符串索引错误.xlsx")
    cases["undefined_entity"] = make_undefined_entity(seed, folder / "未定义的实体.xlsx")
    cases["far_cell"] = make_far_cell(seed, folder / "极远单元格.xlsx")
    cases["far_cell_az"] = make_far_cell(seed, folder / "极远单元格AZ.xlsx", "AZ1048576")
    cases["full_table_inserted_row"] = make_full_table_inserted_row(seed, folder / "满表插入空行.xlsx")[0]
    cases["deleted_row"] = make_shifted_rows(seed, folder / "删除了一行.xlsx")[0]
    cases["value_outside"] = make_value_outside(seed, folder / "表外有数据.xlsx")[0]
    cases["prefixed_sheets"] = make_prefixed_sheets(seed, folder / "带前缀的XML.xlsx")
    cases["copied_form"] = make_copied_form(seed, folder / "复制的绩效表.xlsx")[0]
    cases["hostile_text"] = make_hostile_text(seed, folder / "控制字符与超长文字.xlsx")[0]
    if bomb:
        cases["zip_bomb"] = make_zip_bomb(seed, folder / "压缩炸弹.xlsx")
    if libreoffice and soffice():
        with tempfile.TemporaryDirectory(prefix="bdt-lo-out-") as tmp:
            src = Path(tmp) / "seed.xlsx"
            shutil.copy(seed, src)
            lo, xls = libreoffice_convert(src, [(Path(tmp) / "xlsx", "xlsx"), (Path(tmp) / "xls", "xls")])
            if lo:
                cases["libreoffice"] = Path(shutil.copy(lo, folder / "LibreOffice另存.xlsx"))
            if xls:
                cases["old_xls"] = Path(shutil.copy(xls, folder / "旧版格式.xls"))
    return cases


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=200, help="number of department workbooks (default 200)")
    p.add_argument("--out", required=True, help="folder to write them into")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--variants", type=int, default=12)
    p.add_argument("--corrupt", action="store_true", help="also write the corrupt cases (subfolder 问题文件)")
    p.add_argument("--bureau", type=int, metavar="N",
                   help="a bureau instead: N departments, the first --groups with units (本级 + 2–5), faults in bureau.json")
    p.add_argument("--groups", type=int, default=6, help="departments with units in --bureau (default 6)")
    a = p.parse_args(argv)
    if a.bureau:
        generate_bureau(a.bureau, Path(a.out), a.seed, a.groups)
        return 0
    generate(a.n, Path(a.out), a.seed, a.variants)
    if a.corrupt:
        cases = make_corrupt_cases(SEED_EXAMPLE, Path(a.out) / "问题文件")
        print(f"  {len(cases)} corrupt cases: {', '.join(sorted(cases))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
