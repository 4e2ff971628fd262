"""The standard 情况说明 paragraphs, written from the figures in the register of published disclosures.

`generate(values)` takes a value source (the filled figures) and returns {paragraph key: text}.
Where a paragraph needs what only a person can say (why something changed), it leaves a marked
gap 【请填写：…】 that the validator reports (N508) until the clerk replaces it.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")


def gap(what: str) -> str:
    return f"【请填写：{what}】"


def m(v) -> str:
    """A figure with two decimals (areas; amounts go through the schema's precision, `mu` in
    `generate`)."""
    return format((v or ZERO).quantize(CENT, ROUND_HALF_UP), "f")


def pct(part, whole) -> str:
    if not whole:
        return "0.00"
    x = Decimal(100) * (part or ZERO) / whole
    if x.adjusted() >= 20:  # a share of a vanishing figure (a 1e-46 上年数): too large to hold 0.01
        return format(x, "f")
    return format(x.quantize(CENT, ROUND_HALF_UP), "f")


def change_phrase(now, prior, noun: str = "上年", prec=None) -> str:
    """比上年减少9.32万元，下降3.99% / 与上年持平 (the amount in `prec`'s unit and decimals:
    the schema's `money`; two decimals of 万元 when not given)."""
    if prior is None:
        return f"比{noun}{gap('上年数（在「说明数据」中填写后自动生成）')}"
    diff = (now or ZERO) - prior
    if diff == 0:
        return f"与{noun}持平"
    word, rate_word = ("增加", "增长") if diff > 0 else ("减少", "下降")
    rate = f"，{rate_word}{pct(abs(diff), prior)}%" if prior else ""
    amount = prec.text(abs(diff)) if prec is not None else f"{m(abs(diff))}万元"
    return f"比{noun}{word}{amount}{rate}"


class Figures:
    """Read access to the filled figures: get(sheet, row, col) -> value, plus block rows."""

    def __init__(self, d, lookup):
        self.d = d
        self.lookup = lookup

    def a(self, sheet, row, col="") -> Decimal:
        v = self.lookup(sheet, row, col)
        return v if isinstance(v, Decimal) else ZERO

    def v(self, sheet, row, col=""):
        return self.lookup(sheet, row, col)

    def rows(self, sheet, block="items"):
        return self.d.rows(sheet, block)


def _classes(f: Figures, table: str, col: str, names: dict) -> list[tuple[str, Decimal]]:
    out = []
    for r in f.rows(table):
        code = r.get("code")
        if code and len(code) == 3:
            value = f.a(table, r.key, col)
            if value:
                out.append((names.get(code) or f.v(table, r.key, "name") or code, value))
    return out


def generate(d, lookup) -> dict[str, str]:
    """All standard paragraphs from the figures given by `lookup` (filled values)."""
    f = Figures(d, lookup)
    P = d.schema.money  # the tables' unit and decimals: the text writes its figures the same way

    def mu(v) -> str:
        """An amount with the tables' unit, as published: “224.31万元”, “2,243,100.00元”."""
        return P.text(v or ZERO)

    year = d.year or ""
    dept = d.dept_name or ""
    prev = f"{int(year) - 1}年" if year else "上年"
    class_names = {r.of: (r.cells["ex_item"].text.split("、", 1)[-1]) for r in d.schema.sheet("t1").rows
                   if getattr(r, "of", None)}
    p: dict[str, str] = {}

    inc, inc_cur, inc_carry = f.a("t1", "grand", "in_amt"), f.a("t1", "subtotal", "in_amt"), f.a("t1", "carry", "in_amt")
    exp, exp_cur, exp_carry = f.a("t1", "grand", "ex_total"), f.a("t1", "subtotal", "ex_cur"), f.a("t1", "subtotal", "ex_carry")
    prior_inc, prior_exp = f.v("notes", "prior_income"), f.v("notes", "prior_expense")
    reason = f.v("notes", "change_reason")

    def because(now, prior):
        if prior is None or now == prior:
            return ""
        return f"，主要原因是{reason.rstrip('。；;') if reason else gap('收支增减变动的主要原因')}"

    p["s1"] = (f"{year}年度预算收入总计{mu(inc)}，其中：本年收入{mu(inc_cur)}，上年结转{mu(inc_carry)}，"
               f"{change_phrase(inc, prior_inc, prec=P)}{because(inc, prior_inc)}；"
               f"本年部门预算支出总计{mu(exp)}，其中：本年预算安排{mu(exp_cur)}，上年结转{mu(exp_carry)}，"
               f"{change_phrase(exp, prior_exp, prec=P)}{because(exp, prior_exp)}。")

    sources = [("一般公共预算拨款收入", "gpb"), ("政府性基金预算拨款收入", "gf"), ("国有资本经营预算拨款收入", "soc"),
               ("财政专户管理资金收入", "special"), ("单位资金", "unit")]
    parts = [f"{name}{mu(f.a('t2', 'total', col))}，占{pct(f.a('t2', 'total', col), inc)}%" for name, col in sources]
    parts.append(f"上年结转{mu(inc_carry)}，占{pct(inc_carry, inc)}%")
    p["s2"] = f"{year}年度预算收入{mu(inc)}，主要包括" + "；".join(parts) + "。"

    total, basic, project = f.a("t3", "total", "total"), f.a("t3", "total", "basic"), f.a("t3", "total", "project")
    p["s3"] = (f"{year}年度支出预算{mu(total)}，其中：基本支出{mu(basic)}，占{pct(basic, total)}%；"
               f"项目支出{mu(project)}，占{pct(project, total)}%。")

    t4_total = f.a("t4", "grand", "in_amt")
    classes4 = [(class_names.get(r.of, ""), f.a("t4", r.key, "ex_sub")) for r in d.schema.sheet("t4").rows
                if getattr(r, "of", None) and f.a("t4", r.key, "ex_sub")]
    p["s4"] = (f"{year}年度财政拨款收支总预算{mu(t4_total)}。收入为一般公共预算拨款{mu(f.a('t4', 'c201', 'in_amt'))}，"
               f"政府性基金预算拨款{mu(f.a('t4', 'c202', 'in_amt'))}，国有资本经营预算拨款{mu(f.a('t4', 'c203', 'in_amt'))}。"
               f"其中：当年拨款收入{mu(f.a('t4', 'subtotal', 'in_amt'))}，上年结转收入{mu(f.a('t4', 'carry', 'in_amt'))}。"
               + ("支出包括：" + "、".join(f"{n}{mu(v)}" for n, v in classes4) + "。" if classes4 else "无财政拨款支出。"))

    gpb = f.a("t5", "total", "total")
    p["s5_1"] = f"{year}年度一般公共预算当年拨款{mu(gpb)}，{change_phrase(gpb, f.v('notes', 'prior_gpb'), prec=P)}。"
    classes5 = _classes(f, "t5", "total", class_names)
    p["s5_2"] = (f"{year}年度一般公共预算当年拨款{mu(gpb)}，主要用于以下方面："
                 + "；".join(f"{n}{mu(v)}，占{pct(v, gpb)}%" for n, v in classes5) + "。") if classes5 else \
        f"{year}年度无一般公共预算当年拨款。"

    personnel, public = f.a("t6", "total", "personnel"), f.a("t6", "total", "public")
    p["s6_1"] = f"{year}年度一般公共预算基本支出{mu(f.a('t5', 'total', 'basic'))}，其中："
    # names and amounts as this fill writes them (not as the file had them: derived cells may be blank)
    leaves = [(r, name) for r in f.rows("t6") if not r.is_parent and (name := f.v("t6", r.key, "name"))]
    pn = [name for r, name in leaves if f.a("t6", r.key, "personnel")]
    pu = [name for r, name in leaves if f.a("t6", r.key, "public")]
    p["s6_2"] = f"人员经费{mu(personnel)}" + (f"，主要包括：{'、'.join(pn)}；" if pn else "；")
    p["s6_3"] = f"公用经费{mu(public)}" + (f"，主要包括：{'、'.join(pu)}等。" if pu else "。")

    items = [("因公出国（境）费", "abroad", "prior_abroad"), ("公务接待费", "reception", "prior_reception"),
             ("公务用车运行维护费", "car_run", "prior_car_run"), ("公务用车购置费", "car_buy", "prior_car_buy")]
    sg = f.a("t10", "total", "total")
    prior_sg = f.v("notes", "prior_sangong")

    def same_or_change(now, prior):
        if prior is None:
            return f"比{prev}预算{gap('上年预算数')}"
        if now == prior:
            return f"与{prev}预算数相同"
        return f"比{prev}预算{'增加' if now > prior else '减少'}{mu(abs(now - prior))}"

    text = f"{year}年财政拨款安排的“三公”经费预算{mu(sg)}，{same_or_change(sg, prior_sg)}。其中："
    text += "；".join(f"{name}{mu(f.a('t10', row, 'total'))}，{same_or_change(f.a('t10', row, 'total'), f.v('notes', pk))}"
                      for name, row, pk in items) + "。"
    if prior_sg is not None and prior_sg != sg:
        sreason = f.v("notes", "sangong_reason")
        text += f"增减变动的主要原因是{sreason.rstrip('。') if sreason else gap('“三公”经费增减变动原因')}。"
    p["s7"] = text

    jg = f.a("t11", "total", "total")
    jreason = f.v("notes", "jiguan_reason")
    if jg:
        p["s8"] = (f"{year}年机关运行经费预算{mu(jg)}，{change_phrase(jg, f.v('notes', 'prior_jiguan'), prec=P)}"
                   + (f"，主要原因是{jreason.rstrip('。')}" if jreason else "") + "。")
    else:
        p["s8"] = jreason or f"{year}年本部门无机关运行经费预算。"

    p["s9"] = (f"{year}年{dept}部门各单位政府采购预算总额{mu(f.a('notes', 'proc_total'))}。其中：政府采购货物预算"
               f"{mu(f.a('notes', 'proc_goods'))}、政府采购工程预算{mu(f.a('notes', 'proc_works'))}、"
               f"政府采购服务预算{mu(f.a('notes', 'proc_services'))}。")
    n = f.v("notes", "perf_count")
    p["s10_1"] = (f"{year}年{dept}部门实行绩效目标管理的项目{int(n or 0)}个，"
                  f"涉及一般公共预算当年拨款{mu(f.a('notes', 'perf_amount'))}。")
    refs = [f"{what}见表{spec.number}" for key, what in (("perf_project", "项目支出绩效目标"), ("perf_dept", "部门整体支出绩效目标"))
            if d.schema.has(key) and (spec := d.schema.sheet(key)).number is not None and d.instances(key)]
    if refs:  # forms published as numbered tables (bj-14's 表13/表14): the text cites their 表号 from the schema
        p["s10_1"] += "，".join(refs) + "。"
    p["s10_2"] = f.v("notes", "perf_summary") or gap("整体支出和项目支出绩效目标情况")
    vehicles = f.v("notes", "vehicles")
    p["s11_1"] = f.v("notes", "vehicle_text") or (
        f"本部门实有公务用车{int(vehicles)}辆。" if vehicles is not None else gap("车辆情况"))
    area = f.v("notes", "rented_area")
    owned = f.v("notes", "owned_area")
    housing = []
    if owned:
        housing.append(f"自有办公用房{m(owned)}平方米")
    if area:
        housing.append(f"租赁办公用房{m(area)}平方米")
    p["s11_2"] = ("、".join(housing) + "。") if housing else gap("房屋情况")
    p["s11_3"] = f.v("notes", "assets_other") or "无"
    p["s12_1"] = f.v("notes", "service_catalogue") or gap("政府购买服务指导性目录情况")
    p["s12_2"] = f.v("notes", "other") or "无另需说明情况。"
    return p
