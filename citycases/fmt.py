"""Formatting helpers for the book's computed prose: escaping data text, numbers, years, dates and tables.

Every string that comes from data (city names, series labels, event titles, source titles, URLs) goes
through `md()` before it is put into Markdown, or `html()` before it is put into HTML, so a title such as
`<script>` or `"><img onerror=...>` is shown as text, never interpreted. `md()` is the book's one Markdown
escaper: the runner (`citycases.run`) uses it for page titles too, so this module imports nothing heavy
(pandas only inside the few functions that need it).
"""
from __future__ import annotations

import html as _html
import math
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~$&])")
_URL = re.compile(r"https?://[^\s<>\"'`]+")


def md(text) -> str:
    """Data text as literal text in (MyST or CommonMark) Markdown: every markup character is escaped and
    whitespace (including newlines, which could start a new block) is collapsed to single spaces."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def html(text) -> str:
    """Data text as literal text in HTML (element content or a quoted attribute)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return _html.escape(" ".join(str(text).split()), quote=True)


def safe_url(url) -> str | None:
    """The URL if it is a plain http(s) URL without characters that could break out of a link, else None."""
    if url is None or not isinstance(url, str):
        return None
    u = url.strip()
    return u if _URL.fullmatch(u) else None


def md_link(label, url) -> str:
    """A Markdown link with escaped label; an unsafe or missing URL gives the label alone."""
    u = safe_url(url)
    if u is None:
        return md(label)
    # Parentheses are percent-encoded so they cannot close the link destination early.
    u = u.replace("(", "%28").replace(")", "%29")
    return f"[{md(label)}]({u})"


def html_link(label, url) -> str:
    u = safe_url(url)
    if u is None:
        return html(label)
    return f'<a href="{html(u)}">{html(label)}</a>'


def is_missing(x) -> bool:
    if x is None:
        return True
    import pandas as pd
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def num(x, decimals: int = 1) -> str:
    """A number for prose: thousands separators, fixed decimals; missing values read 'n/a'."""
    if is_missing(x):
        return "n/a"
    x = float(x)
    if decimals == 0:
        return f"{round(x):,}"
    return f"{x:,.{decimals}f}"


def smart(x) -> str:
    """Whole numbers without decimals, others with two."""
    if is_missing(x):
        return "n/a"
    return count(x) if float(x) == round(float(x)) else num(x, 2)


def count(x) -> str:
    return num(x, 0)


def pct(x, decimals: int = 0, signed: bool = True) -> str:
    """A percentage change: '−82%' / '+14%' (true minus sign)."""
    if is_missing(x):
        return "n/a"
    s = f"{abs(float(x)):,.{decimals}f}%"
    if not signed:
        return s
    if round(float(x), decimals) == 0:
        return s
    return ("\u2212" if x < 0 else "+") + s


def ratio(x, decimals: int = 1) -> str:
    """'3.4×'; a ratio that would round to 1.0× but is not 1 gets one more decimal ('0.97×'), so that a
    'higher' or 'lower' beside it never reads against '1.0×'."""
    if is_missing(x):
        return "n/a"
    x = float(x)
    if round(x, decimals) == 1 and round(x, decimals + 1) != 1:
        decimals += 1
    return f"{x:,.{decimals}f}\u00d7"


def sig(x, digits: int = 3) -> str:
    """A number rounded for people: at most `digits` significant figures (11.4, 266, 2,750)."""
    if is_missing(x):
        return "n/a"
    x = float(x)
    if x == 0:
        return "0"
    from decimal import ROUND_HALF_UP, Decimal
    places = digits - 1 - int(math.floor(math.log10(abs(x))))
    # half up on the number as written (11.35 -> 11.4), to `digits` significant figures even above 1,000
    rounded = float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
    out = num(rounded, max(0, places))
    # "at most": trailing zeros after the point add no information for a reader (1.2, not 1.20)
    return out.rstrip("0").rstrip(".") if "." in out else out


def interval(low, high) -> str:
    """'95% interval 4.8–18.4'; empty when either limit is missing."""
    if is_missing(low) or is_missing(high):
        return ""
    return f"95% interval {sig(low)}\u2013{sig(high)}"


def change_with_interval(ch: dict | None) -> str:
    """'−45% (95% interval −71% to +6%; within year-to-year chance)' from metrics.change_between."""
    if not ch:
        return "n/a"
    out = pct(ch["pct"])
    if is_missing(ch.get("low")) or is_missing(ch.get("high")):
        return out
    hi = "+\u221e" if math.isinf(ch["high"]) else pct(ch["high"])
    out += f" (95% interval {pct(ch['low'])} to {hi}"
    if ch.get("significant") is False:
        out += "; too small to tell apart from year-to-year chance"
    return out + ")"


def year_span(first, last) -> str:
    if is_missing(first) or is_missing(last):
        return "n/a"
    first, last = int(first), int(last)
    return str(first) if first == last else f"{first}\u2013{last}"


def years_list(years) -> str:
    """[2001, 2002, 2003, 2007] -> '2001–2003, 2007'."""
    ys = sorted(int(y) for y in years)
    if not ys:
        return "none"
    runs, start, prev = [], ys[0], ys[0]
    for y in ys[1:]:
        if y == prev + 1:
            prev = y
            continue
        runs.append(year_span(start, prev))
        start = prev = y
    runs.append(year_span(start, prev))
    return ", ".join(runs)


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def join_and(items) -> str:
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def month_label(ym: str) -> str:
    """'2009-03' -> 'March 2009'."""
    import pandas as pd
    ts = pd.Timestamp(f"{ym}-01")
    return ts.strftime("%B %Y")


def date_label(d: str) -> str:
    """Event dates as precise as they are known: '2002-10-16' -> '16 October 2002', '2008-03' -> 'March 2008'."""
    d = str(d)
    if re.fullmatch(r"\d{4}", d):
        return d
    if re.fullmatch(r"\d{4}-\d{2}", d):
        return month_label(d)
    import pandas as pd
    ts = pd.Timestamp(d)
    return f"{ts.day} {ts.strftime('%B %Y')}"


def md_table(header: list[str], rows: list[list], align: list[str] | None = None) -> str:
    """A Markdown table; every cell is escaped unless it is already Markdown (wrap it in Raw)."""
    def cell(x):
        return x.text if isinstance(x, Raw) else md(x)
    align = align or ["l"] * len(header)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


class Raw:
    """Markdown that is already safe (built from escaped parts)."""
    def __init__(self, text: str):
        self.text = text


def table_html(df, *, summary: str | None = None, index: bool = True, float_format=None,
               label: str | None = None) -> str:
    """A DataFrame as an escaped HTML table, optionally folded in a <details> element."""
    fmt = float_format or (lambda v: f"{v:,.2f}")
    body = df.to_html(escape=True, index=index, na_rep="", float_format=fmt, border=0,
                      classes=["citycases-table"])
    # Wide tables scroll inside the page column; a focusable, labelled region lets keyboard users scroll too.
    body = (f'<div class="citycases-table-wrap" role="region" tabindex="0" aria-label="{html(label or summary or "Table")}" '
            f'style="overflow-x:auto">\n{body}\n</div>')
    if summary:
        return f"<details><summary>{html(summary)}</summary>\n{body}\n</details>"
    return body


def show_md(s: str) -> None:
    """Display computed Markdown (already escaped) as a cell output."""
    from IPython.display import Markdown, display
    display(Markdown(s))


def show_html(s: str) -> None:
    from IPython.display import HTML, display
    display(HTML(s))
