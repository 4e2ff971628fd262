"""The 情况说明 reader: figures in a clerk's own text, parsed into statements (no workbook needed).

A paragraph is split into sentences on 。 and each sentence into tokens `number + unit`
(万元 亿元 元 % and the counts 个 辆 人 人次 次 批 台, areas 平方米). The *lead* of a token — the text back
to the previous token or clause punctuation (，；：。、) — says what the token is:

- `Mention`  the amount of a known quantity: a phrase of the vocabulary at the end of the lead, with
  only filler words (为、共计、预算数…) between it and the number. Of the phrases ending there the
  longest wins (“一般公共预算基本支出” over “基本支出”, “财政拨款支出预算” is 财政拨款支出 and not
  支出预算), and it must start at a word boundary (the vocabulary's `boundaries`, the department's
  name, punctuation): “专项业务费支出预算” is not 支出预算. A phrase the vocabulary does not know,
  or knows as unchecked (政府购买服务, 事业收入), gives an `Unchecked` statement — reported, never
  compared with a guessed quantity. A phrase far from its number is not enough
  (“项目支出中办公用房租赁费65万元” is not 项目支出);
- `Change`   an amount after 增加/减少… with a comparison (比上年、与2022年…), or a “与上年相同/持平”
  phrase (a change of 0). It belongs to the quantity named in its own clause (“基本支出比上年增加…”),
  else to the last quantity of its clause group (up to ；) — but after an enumeration
  “总额A，其中：B，C，比上年减少…” to the group's head A;
- `Rate`     增长/下降 R% right after a change (or on its own, with a comparison);
- `Share`    占 P%: of the last mention, relative to the total named after 占, else to the
  sentence's subject (its first mention, or the paragraph's subject when that is itself a part).

Every figure keeps its precision as written (`places`: 33% has 0, 33.1% has 1) so the checks compare
at that precision. Explanations (主要原因是/由于… to the end of the sentence, and on through sentences
that open with 一是/2./此外…) are reasons: their figures (购车价格17.22万元) are not statements.

The reader also reports, for rules that need no table: years written before a statement or in a
comparison (`YearRef`), blank figures (a unit with no number: “占%”), counts with their parts
(“共有5辆，其中……”), enumerations (“主要包括：…”) and repeated words or punctuation.

The vocabulary is data: toolkit/schema/narrative_vocabulary.yaml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TEN_THOUSAND = Decimal(10000)
HALF_CENT = Decimal("0.005")
VOCABULARY = Path(__file__).with_name("schema") / "narrative_vocabulary.yaml"


def vocabulary(path: str | None = None) -> dict:
    """The reader's vocabulary (YAML), parsed once per content: kept per process by the file's
    path, size and modification time (a process that lives on, such as xlwings' UDF server, sees
    an edited file) and per user as a pickle keyed by its bytes (toolkit.cache)."""
    p = Path(path or VOCABULARY)
    st = p.stat()
    return _vocabulary(str(p), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4)
def _vocabulary(path: str, mtime_ns: int, size: int) -> dict:
    from .cache import cached, key
    from .schema import yaml_load

    raw = Path(path).read_bytes()
    return cached("vocabulary", key(raw, "v1"), lambda: yaml_load(raw.decode("utf-8")),
                  lambda obj: isinstance(obj, dict))


# ============================================================================ text: tokens, leads
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")

UNITS = {"万元": "money", "亿元": "money", "元": "money", "%": "pct", "个": "count", "辆": "vehicle",
         "人次": "person_times", "人": "person", "次": "times", "批": "batch", "台": "machine",
         "平方米": "area", "㎡": "area"}
MONEY_SCALE = {"万元": Decimal(1), "亿元": TEN_THOUSAND, "元": 1 / TEN_THOUSAND}  # to 万元
TOKEN = re.compile(r"(?<![\d.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*"
                   r"(?P<unit>万元|亿元|元|%|个|辆|人次|人|次|批|台|平方米|㎡)")
CLAUSE_PUNCT = frozenset("，；：。、,;:！？!?")
SENTENCE_END = re.compile(r"[。！？!?]")
GROUP_SEP = frozenset("；;")

# words that may stand between a keyword and its number (“三公”经费预算数为9.00万元)
FILLER = re.compile(r"(?:\s|[（(]类[）)]|类科目|类|的|为|是|共|共计|合计|总计|总额|总体|规模|达到|达|安排|预算数|预算|数|金额|资金|计|约"
                    r"|财政拨款|年度|本年|全年|：|:)*")
FILLER_LONGEST = 4  # characters of FILLER's longest word (财政拨款): the tail scan in `at_end` relies on it
COMPARE = re.compile(r"(?:比|较|与|和|同)(?:20\d\d\s*年度?|上年度?|上一年度?|去年)|同比")
CONTINUES = re.compile(r"\s*(?:(?:比|较|与|同)(?:20\d\d\s*年度?|上年度?|上一年度?|去年)|同比)")
CHANGE_END = re.compile(r"(?P<verb>增加|增长|上升|提高|增|多|减少|下降|降低|压减|缩减|减|少)了?(?:预算|资金|经费)?\s*$")
RATE_END = re.compile(r"(?P<verb>增长率|增长|增加|上升|提高|增幅|涨幅|增|下降率|减少|下降|降低|降幅|减幅|减)"
                      r"(?:了|为|率|幅度)?(?:为|是|约)?\s*$")
SHARE_LEAD = re.compile(r"占(?:比)?(?P<base>[^，；。]*?)(?:的)?(?:比例|比重)?(?:为|是|约)?\s*$")
SAME = re.compile(r"(?:与|和|同|较|比)(?:20\d\d年度?|上年度?|上一年度?|去年)[^，；。、,;\d]{0,10}?"
                  r"(?:相同|持平|一致|不变|相等|无变化|没有变化|无增减)|同比(?:持平|不变|无变化)")
OPENING = re.compile(r"(?:\s|[；;，,：:]|其中|20\d\d年度?|本年度?|全年|本部门|部门|本单位)*")  # before a statement's keyword
ORDINAL = re.compile(r"(?:[一二三四五六七八九十]+是|[（(]?[一二三四五六七八九十\d]{1,2}[）)、.．]|第[一二三四五六七八九十]"
                     r"|首先|其次|再次|最后|另外|此外|同时|加之)")
EXPLAIN = re.compile(r"主要原因|原因是|原因为|原因如下|主要是因为|主要是由于|主要由于|由于|因为")
DOWN = ("减", "下降", "降", "少")

# 【…】 is a gap marker, except a year in a 文号 written with 【】 for 〔〕 (沪府规【2016】168号, seen in a real document)
GAP_MARKS = re.compile(r"【(?!\d{4}】\d+号)[^】]*】|[＿_]{2,}|[（(]?(?:请填写|请补充|待填写|待补充)[^）)，。；]{0,20}[）)]?"
                       r"|(?<![A-Za-z])[XxＸｘ×]{2,}(?![A-Za-z])")


def normalise(text: str) -> str:
    """Full-width digits, point and percent to ASCII, one for one (positions stay the same)."""
    return text.translate(_FULLWIDTH)


def to_decimal(num: str) -> Decimal:
    return Decimal(num.replace(",", ""))


def r2(x: Decimal) -> Decimal:
    """x rounded to 0.01; a figure too large to hold 0.01 (a share of a 1e-300 denominator, a
    30-digit number typed in the text) is returned as it is: it is compared, never rounded."""
    if not x.is_finite() or x.adjusted() >= 20:
        return x
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def pct(part: Decimal, whole: Decimal) -> Decimal:
    return r2(part / whole * HUNDRED)


def quote(text: str, start: int, end: int) -> str:
    """The phrase as the reader sees it, whitespace collapsed and outer punctuation trimmed."""
    return re.sub(r"\s+", "", text[start:end]).strip("，；：。、,;: ")


def is_down(verb: str) -> bool:
    return any(verb.startswith(w) or verb.endswith(w) for w in DOWN)


@dataclass(frozen=True)
class Token:
    """A number with its unit: 224.31万元, 33.13%, 3个."""

    start: int
    end: int
    number: Decimal
    unit: str
    places: int = 2  # decimals as written: 33% → 0, 33.1% → 1

    @property
    def family(self) -> str:
        return UNITS[self.unit]


def places(num: str) -> int:
    return len(num.split(".", 1)[1]) if "." in num else 0


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    return [Token(m.start(), m.end(), to_decimal(m["num"]), m["unit"], places(m["num"]))
            for m in TOKEN.finditer(text, start, len(text) if end is None else end)]


def rounded(x: Decimal, n: int) -> Decimal:
    """x rounded half up to n decimals (the precision a figure is written with)."""
    if not x.is_finite() or x.adjusted() >= 20:
        return x
    return x.quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)


def half_unit(n: int) -> Decimal:
    """Half a unit of the n-th decimal: what rounding to n decimals may have moved a figure."""
    return Decimal(5).scaleb(-n - 1)


def lead_start(text: str, pos: int, floor: int) -> int:
    """Where the clause leading to `pos` starts: after the previous punctuation, not before `floor`."""
    i = pos
    while i > floor and text[i - 1] not in CLAUSE_PUNCT:
        i -= 1
    return i


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, split after 。; a sentence that opens with 比上年/与上年… continues the previous one."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        head = text[s:e].lstrip(" \t\r\n，；、,;")
        if merged and CONTINUES.match(head):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


# a unit or % with no number before it: a figure the clerk left unfilled (“占%”、“基本支出万元”、“增长%”)
BLANK_FIGURE = re.compile(r"(?<!单位)(?<!单位为)(?<!以)(?<!每)(?P<lead>占比|占|为|是|达|计|约|增长|增加|下降|减少|降低|提高|上升|增幅|降幅|"
                          r"支出|收入|经费|拨款|资金|预算|费|合计|总计|总额|共|安排|结转|购置|实有|现有|编制)"
                          r"[\s　]*(?P<unit>万元|亿元|元|%|辆)(?![\d])")
BLANK_COUNT = re.compile(r"项目[\s　]*个(?=[，。；、,;])")


def blank_figures(text: str) -> list[tuple[int, int, str]]:
    """(start, end, phrase) of each unit written without its number."""
    text = normalise(text or "")
    out = []
    for m in BLANK_FIGURE.finditer(text):
        if m["unit"] == "元" and text[m.start("unit") - 1:m.start("unit")] in ("万", "亿"):
            continue
        out.append((m.start(), m.end(), m.group()))
    out += [(m.start(), m.end(), m.group()) for m in BLANK_COUNT.finditer(text)]
    return sorted(out)


COUNT_UNITS = ("个", "辆", "人", "人次", "次", "批", "台")
WHOLE_LEAD = re.compile(r"共有|共计|共|合计|总计|总数|实有|现有|保有|总共|一共")
OPEN_END = re.compile(r"等[^，；。,;\d]{0,4}$")


@dataclass
class CountGroup:
    """“共有公务用车5辆，其中：执法执勤用车3辆，机要通信用车1辆”: a whole count and its listed parts."""

    whole: Token
    parts: list
    start: int
    end: int
    open_end: bool  # the list says it is not complete (等、其他)


def count_groups(text: str) -> list[CountGroup]:
    """Whole counts (共有/合计/实有 N辆) followed by “其中” and parts in the same unit, in one sentence
    (a sentence that opens with 其中 continues the previous one)."""
    text = normalise(text or "")
    spans = []
    for s, e in sentences(text):
        if spans and text[s:e].lstrip(" \t\r\n").startswith("其中"):
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    out = []
    for s, e in spans:
        toks = [t for t in tokens(text, s, e) if t.unit in COUNT_UNITS]
        i = 0
        while i < len(toks):
            t = toks[i]
            lead = text[lead_start(text, t.start, s):t.start]
            rest = [u for u in toks[i + 1:] if u.unit == t.unit]
            if WHOLE_LEAD.search(lead) and rest and "其中" in text[t.end:rest[0].start]:
                after = text.index("其中", t.end)
                parts = [u for u in rest if u.start > after]
                # a second whole in the list starts a new group
                cut = next((k for k, u in enumerate(parts)
                            if WHOLE_LEAD.search(text[lead_start(text, u.start, s):u.start])), len(parts))
                parts = parts[:cut]
                if parts:
                    tail = text[parts[-1].end:e]
                    open_end = bool(OPEN_END.search(text[after:parts[-1].start]) or re.match(r"\s*等", tail))
                    out.append(CountGroup(t, parts, t.start, parts[-1].end, open_end))
                    i = toks.index(parts[-1]) + 1
                    continue
            i += 1
    return out


DOUBLED_PUNCT = re.compile(r"[，。；：、,;：]\s*[，。；：、,;]")
DOUBLED_WORD = re.compile(r"([\u4e00-\u9fff]{1,4})\1")


def _pair(text: str, i: int) -> bool:
    return 0 <= i and i + 2 <= len(text) and text[i] == text[i + 1] and bool(CJK.match(text[i]))


def doublings(text: str, allowed=None) -> list[tuple[int, int, str]]:
    """(start, end, text) of each repeated word (“增加增加”、“的的”、“经费费”) and each doubled
    punctuation (“。。”、“。；”、“，，”); the vocabulary's reduplications (常常、认认真真) are words."""
    text = normalise(text or "")
    allowed = set(vocabulary().get("reduplications", ())) if allowed is None else set(allowed)
    singles = set(vocabulary().get("doubled_characters", ()))
    out = [(m.start(), m.end(), m.group()) for m in DOUBLED_PUNCT.finditer(text)]
    for m in DOUBLED_WORD.finditer(text):
        word = m.group()
        if word in allowed or m[1] * 2 in allowed:
            continue
        if len(m[1]) == 1 and m[1] not in singles:
            continue  # 安徽省省直、教职工工资: a character ending one word and starting the next
        if len(m[1]) == 1 and (_pair(text, m.end()) or _pair(text, m.start() - 2)):
            continue  # 认认真真: AABB, a word of doubled characters
        out.append((m.start(), m.end(), word))
    return sorted(out)


def gap_marks(text: str) -> list[str]:
    """The clerk's gap markers left in a paragraph, in order, each once."""
    seen = []
    for m in GAP_MARKS.finditer(text or ""):
        if m.group() not in seen:
            seen.append(m.group())
    return seen



# ============================================================================ lexicon: words → quantity keys
class _Span:
    __slots__ = ("_start", "_end")

    def __init__(self, start: int, end: int):
        self._start, self._end = start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


class _Literal:
    """A keyword without quotes or brackets: found with str.find, as its regex would find it
    (non-overlapping, left to right), without compiling ≈300 patterns in every process."""

    __slots__ = ("word",)

    def __init__(self, word: str):
        self.word = word

    def finditer(self, text: str):
        word = self.word
        i = text.find(word)
        if i < 0:
            return ()
        n, out = len(word), []
        while i >= 0:
            out.append(_Span(i, i + n))
            i = text.find(word, i + n)
        return out


_KW_SPECIAL = frozenset("“”\"‘’'「」（()）")


@lru_cache(maxsize=None)  # one per phrase: a department's 2,000 row names overflow re's own cache (512)
def _kw_pattern(word: str):
    """A keyword as a regex: quotes optional (“三公”经费 = 三公经费), either kind of bracket (a plain
    word: `_Literal`, the same matches)."""
    if word and not _KW_SPECIAL.intersection(word):
        return _Literal(word)
    out = []
    for ch in word:
        if ch in "“”\"‘’'「」":
            out.append("[“”\"‘’'「」]?")
        elif ch in "（(":
            out.append("[（(]")
        elif ch in "）)":
            out.append("[）)]")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


@dataclass(frozen=True)
class Keyword:
    word: str
    key: str  # quantity key; "" for a known phrase that is not checked
    family: str  # money | count | vehicle | area
    pattern: re.Pattern
    alternatives: tuple = ()  # other quantity keys the figure may equal (财政拨款收入: 收入总计 or 当年)


@dataclass(frozen=True)
class Hit:
    keyword: Keyword
    start: int  # in the searched string
    end: int
    unknown: bool = False  # a known phrase that is the tail of a longer, unknown one

    @property
    def key(self) -> str:
        return "" if self.unknown else self.keyword.key


# a 功能分类 类 in 三、支出预算 is 表3's (all funds), in 四、财政拨款 表4's, elsewhere 表5's (一般公共预算)
CLASS_PARAGRAPH_TABLE = {"s3": "t3", "s4": "t4"}
CONTINUED_FROM = {"s6_2": "s6_1", "s6_3": "s6_1"}  # 六、基本支出 is one section in three cells
NUMBERING = re.compile(r"^[一二三四五六七八九十百]+、")
CJK = re.compile(r"[\u4e00-\u9fff]")


def function_classes(schema) -> list[tuple[str, str]]:
    """(code, name) of the 功能分类 classes, from 表1's rows (“一、一般公共服务支出” → 201, 一般公共服务支出)."""
    out = []
    try:
        rows = schema.sheet("t1").rows
    except KeyError:
        return out
    for row in rows:
        spec = getattr(row, "cells", {}).get("ex_item")
        if getattr(row, "of", None) and spec is not None and spec.text:
            out.append((row.of, NUMBERING.sub("", spec.text)))
    return out


class Lexicon:
    """Phrase → quantity key, by unit family, with paragraph-specific meanings (from the vocabulary)."""

    def __init__(self, classes: list[tuple[str, str]], dept: str = "", vocab: dict | None = None):
        v = vocab or vocabulary()
        self.vocab = v
        self.classes = dict(classes)
        self.names: dict[str, str] = {}
        self.general = self._keywords(v.get("quantities", {}), "money")
        self.general += [Keyword(w, keys[0], "money", _kw_pattern(w), tuple(keys[1:]))
                         for w, keys in v.get("alternatives", {}).items()]
        for key, spec in v.get("counts", {}).items():
            self.general += self._keywords({key: spec["phrases"]}, spec["family"])
        self.general += [Keyword(name, f"class:t5:{code}", "money", _kw_pattern(name)) for code, name in classes]
        econ = v.get("economic_classes", {})
        self.economic = {str(code): words for code, words in econ.get("classes", {}).items()}
        self.economic_paragraphs = set(econ.get("paragraphs", ()))
        unchecked = list(v.get("unchecked", ())) + [w for words in self.economic.values() for w in words]
        self.general += [Keyword(w, "", "money", _kw_pattern(w)) for w in unchecked]
        self.boundaries = sorted(v.get("boundaries", ()), key=len, reverse=True)
        self.dept = dept or ""
        for key, words in v.get("quantities", {}).items():
            self.names.setdefault(key, words[0])
        for para_words in v.get("paragraphs", {}).values():
            for key, words in para_words.items():
                self.names.setdefault(key, words[0])
        self._by_para: dict[str, list[Keyword]] = {}
        self._ends: dict = {}  # (paragraph, family) -> index of its keywords for `at_end`
        self.row_words: dict[str, list[Keyword]] = {}

    @staticmethod
    def _keywords(table: dict, family: str) -> list[Keyword]:
        return [Keyword(w, key, family, _kw_pattern(w)) for key, words in table.items() for w in words]

    @classmethod
    def for_schema(cls, schema, dept: str = "") -> Lexicon:
        return cls(function_classes(schema), dept)

    def keywords(self, para: str | None) -> list[Keyword]:
        if para not in self._by_para:
            extra = self._keywords(self.vocab.get("paragraphs", {}).get(para, {}), "money")
            table = CLASS_PARAGRAPH_TABLE.get(para)
            if table:
                extra += [Keyword(name, f"class:{table}:{code}", "money", _kw_pattern(name))
                          for code, name in self.classes.items()]
                extra += self.row_words.get(table, [])
            if para in self.economic_paragraphs:
                extra += [Keyword(w, f"econ:t6:{code}", "money", _kw_pattern(w))
                          for code, words in self.economic.items() for w in words]
            words = {k.word for k in extra}
            self._by_para[para] = extra + [k for k in self.general if k.word not in words]
        return self._by_para[para]

    def add_rows(self, rows: dict) -> None:
        """The disclosure's own 功能分类 rows ({table: [(code, name)]}) as phrases: “初中教育支出” is
        表5's 2050203, not 教育支出 (205). 表3's rows serve 三、支出预算, 表5's everywhere else."""
        for table, items in rows.items():
            kws = [Keyword(name, f"class:{table}:{code}", "money", _kw_pattern(name))
                   for code, name in items if name and len(code) > 3]
            if table == "t5":
                self.general += kws
            self.row_words[table] = self.row_words.get(table, []) + kws
            self.classes.update({code: name for code, name in items if name and len(code) > 3})
        self._by_para.clear()
        self._ends.clear()

    def at_boundary(self, before: str) -> bool:
        """May a phrase start right after `before`? Not when `before` ends in a word that makes it part
        of a longer phrase (工资福利|支出预算); the vocabulary's boundaries and the department's name may."""
        before = before.rstrip(" \t\r\n“”\"'‘’「」")
        if not before or not CJK.match(before[-1]) or OPENING.fullmatch(before):
            return True
        if self.dept and before.endswith(self.dept):
            return True
        return any(before.endswith(b) for b in self.boundaries)

    def at_end(self, text: str, family: str, para: str | None) -> Hit | None:
        """The phrase that ends `text` (only filler words after it).

        Of several, the longest — the one that starts earliest, the whole noun phrase before the number:
        “一般公共预算基本支出” over “基本支出”, “项目支出预算” as 项目支出 (预算 is filler) over “支出预算”.
        A money phrase that does not start at a word boundary is `unknown` (not checked).
        """
        best = None
        for kw in self._end_candidates(text, family, para):
            for m in kw.pattern.finditer(text):
                if not FILLER.fullmatch(text, m.end()):
                    continue
                if best is None or (-m.start(), m.end()) > (-best.start, best.end):
                    best = Hit(kw, m.start(), m.end())
        if best is not None and family == "money" and not self.at_boundary(text[:best.start]):
            return Hit(best.keyword, best.start, best.end, unknown=True)
        return best

    def _end_candidates(self, text: str, family: str, para: str | None) -> list[Keyword]:
        """The keywords of `family` that may end `text` before its trailing filler words, in the
        lexicon's order: every pattern keyword, and of the plain words (a department's thousands of
        row names among them) only those that are the text just before a filler-only tail — found
        by looking up the text's suffixes, not by searching the text for every word."""
        index = self._ends.get((para, family))
        if index is None:
            words: dict = {}
            patterns = []
            for i, kw in enumerate(self.keywords(para)):
                if kw.family != family:
                    continue
                if isinstance(kw.pattern, _Literal):
                    words.setdefault(kw.word, []).append((i, kw))
                else:
                    patterns.append((i, kw))
            index = self._ends[(para, family)] = (words, patterns, max(map(len, words), default=0))
        words, patterns, longest = index
        found = list(patterns)
        misses = 0
        for e in range(len(text), 0, -1):
            if not FILLER.fullmatch(text, e):
                misses += 1
                if misses > FILLER_LONGEST:
                    break  # no filler word spans this many non-filler positions: none starts earlier
                continue
            misses = 0
            for n in range(1, min(longest, e) + 1):
                hit = words.get(text[e - n:e])
                if hit:
                    found.extend(hit)
        if len(found) > len(patterns):
            found = sorted(set(found), key=lambda x: x[0])
        return [kw for _, kw in found]

    def inside(self, text: str, family: str, para: str | None) -> Hit | None:
        """The longest keyword anywhere in `text` (for the total named after 占)."""
        best = None
        for kw in self.keywords(para):
            if kw.family != family:
                continue
            for m in kw.pattern.finditer(text):
                if best is None or m.end() - m.start() > best.end - best.start:
                    best = Hit(kw, m.start(), m.end())
        return best

    def name(self, key: str) -> str:
        """The quantity's name in messages."""
        if key.startswith("class:"):
            _, _, code, *col = key.split(":")
            name = self.classes.get(code, key)
            return name + ({"basic": "·基本支出", "project": "·项目支出"}.get(col[0], "") if col else "")
        if key.startswith("econ:"):
            return self.economic.get(key.rsplit(":", 1)[1], [key])[0]
        if key in OTHER_NAMES:
            return OTHER_NAMES[key]
        return self.names.get(key, key)


OTHER_NAMES = {
    "t12.count": "实行绩效目标管理的项目个数", "notes.vehicles": "实有车辆数", "notes.vehicle_quota": "车辆编制数",
    "notes.rented_area": "租赁办公用房面积", "notes.owned_area": "自有办公用房面积",
    "t4.carry.in_amt": "上年财政拨款结转", "t4.grand.ex_sub": "财政拨款支出总计",
}



# ============================================================================ parsed statements
@dataclass
class Mention:
    """“基本支出74.31万元”: the stated amount of a known quantity."""

    key: str
    value: Decimal  # as written, in `unit`
    unit: str
    start: int  # where the keyword starts (the phrase quoted in messages)
    end: int  # end of the number and unit
    sentence: int
    word: str = ""  # the keyword as the text writes it
    places: int = 2  # decimals as written
    alternatives: tuple = ()  # other quantities the figure may be (财政拨款收入: 收入总计 or 当年拨款)

    def wan(self) -> Decimal:
        """The amount in 万元 (a money mention)."""
        return self.value * MONEY_SCALE.get(self.unit, Decimal(1))


@dataclass
class Unchecked:
    """“专项业务费支出预算50万元”: a figure after a phrase the vocabulary does not know (or knows as not
    checked); it is reported as not checked, never compared with a guessed quantity."""

    phrase: str
    value: Decimal
    unit: str
    start: int
    end: int


@dataclass
class YearRef:
    """A year written in a statement's lead (“2022年度支出预算…”) or in a comparison (“比2021年…”)."""

    year: int
    start: int
    end: int
    kind: str  # "statement" | "comparison"


@dataclass
class Change:
    """“比上年减少9.32万元，下降3.99%” or “与上年相同”: a stated change on last year."""

    key: str
    amount: Decimal | None  # signed, in `unit`; 0 for 与上年相同; None when only a rate is given
    unit: str | None
    rate: Decimal | None  # signed percentage, None when not stated
    start: int
    end: int
    same: bool = False
    mention: Mention | None = None  # the amount of the quantity stated right before, if any
    rate_down: bool | None = None  # the rate's own direction (to catch 减少…增长)
    places: int = 2  # of the amount, as written
    rate_places: int = 2  # of the rate, as written
    of: Mention | None = None  # the stated amount of its quantity in the same group (adjacent or not)

    @property
    def down(self) -> bool | None:
        if self.amount:
            return self.amount < 0
        return None

    def amount_wan(self) -> Decimal | None:
        if self.amount is None:
            return None
        return self.amount * MONEY_SCALE.get(self.unit, Decimal(1))


@dataclass
class Share:
    """“基本支出74.31万元，占33.13%”: a part's share of a total."""

    part: Mention
    base: str  # quantity key of the total
    percent: Decimal
    start: int
    end: int
    base_word: str = ""  # the total as the text names it
    places: int = 2  # of the percentage, as written


@dataclass
class Paragraph:
    """What one 情况说明 paragraph states."""

    key: str
    text: str
    mentions: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    shares: list = field(default_factory=list)
    unchecked: list = field(default_factory=list)
    years: list = field(default_factory=list)
    subject: Mention | None = None  # the total the paragraph ends on (carried into a continuing paragraph)

    def phrase(self, start: int, end: int) -> str:
        return quote(self.text, start, end)


class _Sentence:
    """Running state while reading one sentence."""

    def __init__(self, index: int, start: int, end: int, subject: Mention | None):
        self.index, self.start, self.end = index, start, end
        self.carried = subject  # the paragraph's subject so far
        self.group_mentions: list[Mention] = []
        self.first: Mention | None = None
        self.first_is_part = False
        self.last = None  # last Mention | Change | Share | None (an unchecked number resets it)

    @property
    def subject(self) -> Mention | None:
        return self.carried if self.first_is_part or self.first is None else self.first


def _groups(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clause-group spans of a sentence, split after each ；."""
    out, s = [], start
    for i in range(start, end):
        if text[i] in GROUP_SEP:
            out.append((s, i + 1))
            s = i + 1
    out.append((s, end))
    return out


def _opens_with_mention(text: str, start: int, end: int, lex: Lexicon, para) -> bool:
    """The group starts straight with “keyword + amount” (公务接待费2.50万元…): a statement, not a reason."""
    first = next(iter(tokens(text, start, end)), None)
    if first is None:
        return False
    lead = text[start:first.start]
    hit = lex.at_end(lead, first.family, para)
    return hit is not None and bool(hit.key) and OPENING.fullmatch(lead[:hit.start]) is not None


def explanations(text: str, spans: list[tuple[int, int]], lex: Lexicon, para) -> list[tuple[int, int]]:
    """Spans of explanation, whose figures are reasons (追加资金20万元), not statements to check.

    An explanation runs from 主要原因是/由于… to the end of its sentence, and on through following
    sentences that open with a list marker (一是…、2.…、此外…). Inside its sentence, a clause group
    (after ；) that opens straight with a keyword and its amount resumes the statements.
    """
    out, running = [], False
    for s, e in spans:
        if running and not ORDINAL.match(text[s:e].lstrip(" \t\r\n，；、,;")):
            running = False
        for gs, ge in _groups(text, s, e):
            if running and _opens_with_mention(text, gs, ge, lex, para):
                running = False
            if running:
                out.append((gs, ge))
                continue
            m = EXPLAIN.search(text, gs, ge)
            if m:
                out.append((m.start(), ge))
                running = True
    return out


def parse_paragraph(text: str, lexicon: Lexicon, para: str | None = None, subject: Mention | None = None) -> Paragraph:
    """Read a paragraph into mentions, changes and shares (no table values needed).

    `subject` is the total that shares refer to when the paragraph names none itself (六、基本支出:
    “人员经费…，占…%” in s6_2 is a share of the 基本支出 stated in s6_1).
    """
    text = normalise(text or "")
    out = Paragraph(para or "", text)
    spans = sentences(text)
    muted = explanations(text, spans, lexicon, para)
    for i, (s, e) in enumerate(spans):
        st = _Sentence(i, s, e, subject)
        _read_sentence(text, st, lexicon, para, out, muted)
        subject = st.subject
    out.subject = subject
    out.years = sorted(out.years + comparison_years(text, muted), key=lambda y: y.start)
    return out


def _read_sentence(text: str, st: _Sentence, lex: Lexicon, para, out: Paragraph, muted) -> None:
    events = [(t.start, "token", t) for t in tokens(text, st.start, st.end)]
    events += [(m.start(), "same", m) for m in SAME.finditer(text, st.start, st.end)]
    events.sort(key=lambda ev: ev[0])
    floor = st.start
    for pos, kind, ev in events:
        if any(ch in GROUP_SEP for ch in text[floor:pos]):
            st.group_mentions = []
        if any(a <= pos < b for a, b in muted):
            floor = ev.end if kind == "token" else ev.end()
            st.last = None
            continue
        ls = lead_start(text, pos, floor)
        if kind == "same":
            _read_same(text, st, ev, ls, lex, para, out)
            floor = ev.end()
            continue
        lead = text[ls:pos]
        if ev.family == "pct":
            _read_percent(text, st, ev, ls, lead, lex, para, out)
        elif ev.family == "money" and CHANGE_END.search(lead):
            _read_change(text, st, ev, ls, lead, lex, para, out)
        else:
            _read_mention(text, st, ev, ls, lead, lex, para, out)
        floor = ev.end


STATEMENT_YEAR = re.compile(r"(20\d\d)\s*年(?:度)?(?!\s*\d{1,2}\s*月|底|末|初|以来|至|起|前|后)")
COMPARISON_YEAR = re.compile(r"(?:比|较|与|同)(20\d\d)\s*年(?!\s*\d{1,2}\s*月)")


def _statement_years(text: str, ls: int, upto: int, out: Paragraph) -> None:
    """Years in a statement's lead, before its phrase (“2022年度支出预算…”)."""
    for m in STATEMENT_YEAR.finditer(text, ls, upto):
        if not any(y.start == m.start() for y in out.years):
            out.years.append(YearRef(int(m[1]), m.start(), m.end(), "statement"))


def _read_mention(text, st: _Sentence, tok: Token, ls: int, lead: str, lex: Lexicon, para, out: Paragraph):
    hit = lex.at_end(lead, tok.family, para)
    if hit is None and tok.family == "count" and re.match(r"\s*(?:绩效)?项目", text[tok.end:]):
        hit = Hit(Keyword("项目", "t12.count", "count", _kw_pattern("项目")), len(lead), len(lead))
    if hit is None:
        st.last = None
        return
    if tok.family == "money":
        _statement_years(text, ls, ls + hit.start, out)
    key = hit.key
    prev = st.group_mentions[-1] if st.group_mentions else None
    if key in ITEM_COLUMNS and prev is not None and not prev.key and "其中" in text[prev.end:ls + hit.start]:
        key = ""  # 初中教育支出X元（not checked），其中：基本支出Y元 — the unknown item's, not the total's
    if not key:
        start = ls + (hit.start if not hit.unknown and hit.key else len(OPENING.match(lead).group()))
        word = quote(text, start, ls + hit.end) if (hit.unknown or hit.key) else hit.keyword.word
        out.unchecked.append(Unchecked(word, tok.number, tok.unit, start, tok.end))
        if tok.family == "money":  # later changes and 其中 in this group are not the previous quantity's
            st.group_mentions.append(Mention("", tok.number, tok.unit, start, tok.end, st.index, word, tok.places))
        st.last = None
        return
    if key in ITEM_COLUMNS and prev is not None and prev.key.startswith("class:") and prev.key.count(":") == 2 \
            and "其中" in text[prev.end:ls + hit.start]:
        key = f"{prev.key}:{ITEM_COLUMNS[key]}"  # 初中教育支出X元，其中：基本支出Y元 — the item's own 基本支出
    m = Mention(key, tok.number, tok.unit, ls + hit.start, tok.end, st.index, quote(lead, hit.start, hit.end),
                tok.places, hit.keyword.alternatives)
    out.mentions.append(m)
    if tok.family == "money":
        st.group_mentions.append(m)
        if st.first is None:
            st.first = m
    st.last = m


ITEM_COLUMNS = {"t3.total.basic": "basic", "t5.total.basic": "basic", "t3.total.project": "project",
                "t5.total.project": "project"}
UNKNOWN = object()  # a change or share about a phrase the reader does not know


def _target(text, st: _Sentence, ls: int, upto: int, lex: Lexicon, para):
    """The quantity a change in the clause starting at `ls` is about: (key, phrase start, mention);
    UNKNOWN when the clause names a phrase that is not checked."""
    clause = text[ls:upto]
    cm = COMPARE.search(clause)
    if cm:  # 基本支出比上年增加…: the quantity is named in the clause itself
        hit = lex.at_end(clause[:cm.start()], "money", para)
        if hit and hit.key:
            return hit.key, ls + hit.start, None
        if hit:
            return UNKNOWN
    elif (hit := lex.at_end(clause, "money", para)) is not None:  # 其中因公出国(境)费增加…: its own clause
        return (hit.key, ls + hit.start, None) if hit.key else UNKNOWN
    gm = st.group_mentions
    if not gm:
        return None
    m = gm[0] if len(gm) >= 3 else gm[-1]  # after an enumeration “A，其中：B，C，比上年…” the change is A's
    if not m.key:
        return UNKNOWN
    return m.key, m.start, m


def _read_change(text, st: _Sentence, tok: Token, ls: int, lead: str, lex: Lexicon, para, out: Paragraph):
    verb = CHANGE_END.search(lead)["verb"]
    tgt = _target(text, st, ls, ls + CHANGE_END.search(lead).start(), lex, para)
    if tgt is UNKNOWN or tgt is None or not COMPARE.search(text, min(tgt[1], ls), tok.start):
        st.last = None  # 增加预算30万元 with no comparison: not a change on last year
        return
    key, start, mention = tgt
    sign = -1 if is_down(verb) else 1
    adjacent = mention is not None and mention is st.last
    ch = Change(key, sign * tok.number, tok.unit, None, ls, tok.end,
                mention=mention if adjacent else None, places=tok.places, of=mention)
    out.changes.append(ch)
    st.last = ch


def _read_same(text, st: _Sentence, m: re.Match, ls: int, lex: Lexicon, para, out: Paragraph):
    tgt = _target(text, st, ls, m.start(), lex, para)
    if tgt is None or tgt is UNKNOWN:
        st.last = None
        return
    key, start, mention = tgt
    adjacent = mention is not None and mention is st.last
    ch = Change(key, ZERO, None, None, start if (adjacent or mention is None) else m.start(), m.end(), same=True,
                mention=mention if adjacent else None)
    out.changes.append(ch)
    st.last = ch


# what 占 may say of its total without naming it (占全部支出的、占比)
SHARE_BASE_PLAIN = re.compile(r"(?:\s|本年|全年|本部门|部门|本单位|单位|全部|总|的|总额|比例|比重|比)*")


def _read_percent(text, st: _Sentence, tok: Token, ls: int, lead: str, lex: Lexicon, para, out: Paragraph):
    sm = SHARE_LEAD.search(lead)
    if sm:
        part = st.last if isinstance(st.last, Mention) and st.last.unit in MONEY_SCALE else None
        if part is None:
            st.last = None
            return
        base_text = sm["base"]
        named = lex.inside(base_text, "money", para) if base_text.strip() else None
        if named and named.key:
            base, word = named.key, quote(base_text, named.start, named.end)
        elif named or not SHARE_BASE_PLAIN.fullmatch(base_text):
            # 占专项资金的…: a total the reader does not know — not compared with a guessed one
            out.unchecked.append(Unchecked(f"占{quote(base_text, 0, len(base_text))}", tok.number, tok.unit,
                                           ls + sm.start(), tok.end))
            st.last = None
            return
        else:
            if part is st.first:
                st.first_is_part = True
            subject = st.subject
            if subject is None or subject is part:
                st.last = None
                return
            base, word = subject.key, subject.word
        sh = Share(part, base, tok.number, part.start, tok.end, word, tok.places)
        out.shares.append(sh)
        st.last = sh
        return
    rm = RATE_END.search(lead)
    if not rm:
        st.last = None
        return
    down = is_down(rm["verb"])
    if isinstance(st.last, Change) and st.last.rate is None and not st.last.same:
        ch = st.last
        ch.rate = -tok.number if down else tok.number
        ch.rate_down = down
        ch.rate_places = tok.places
        ch.end = tok.end
        return
    tgt = _target(text, st, ls, ls + rm.start(), lex, para)
    if tgt is UNKNOWN or tgt is None or not COMPARE.search(text, min(tgt[1], ls), tok.start):
        st.last = None
        return
    key, start, mention = tgt
    ch = Change(key, None, None, -tok.number if down else tok.number, ls, tok.end, rate_down=down,
                rate_places=tok.places)
    out.changes.append(ch)
    st.last = ch


def comparison_years(text: str, muted) -> list[YearRef]:
    """Years in comparisons (比2022年、与2022年预算数相同), outside explanations."""
    return [YearRef(int(m[1]), m.start(), m.end(), "comparison") for m in COMPARISON_YEAR.finditer(text)
            if not any(a <= m.start() < b for a, b in muted)]
