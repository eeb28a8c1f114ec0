"""The charts and number formats of every report page, in one module.

Sample, cohort, timeline, validation and simulation pages draw with the
functions here; their Jinja templates format numbers with the same
functions (:data:`FILTERS`) and place charts with the macros of
``templates/charts.html``.

Every chart is a self-contained ``<svg>`` (no scripts, no external
resources, no ``style`` attributes so a strict Content-Security-Policy
allows it) with ``role="img"``, a ``<title>`` and a ``<desc>`` that says in
words what the chart shows; the page puts the same numbers in a table next
to it.  All text is escaped here (markupsafe), so names from input files can
never become markup.  Colours are the Okabe-Ito palette (distinguishable with
the common colour-vision deficiencies; Okabe M, Ito K 2008, "Color Universal
Design"), and text is dark grey on white (contrast above 7:1).
"""

from __future__ import annotations

import functools
import itertools
import math
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

import numpy as np
from markupsafe import Markup, escape

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Line colours of the simulation charts, which draw up to a dozen series at once.
SERIES_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
                  "#b2182b", "#666666", "#8c510a", "#35978f")
GREY = "#8c8c8c"
LIGHT = "#d9d9d9"
TEXT = "#1b1b1b"
MUTED = "#555555"
REFERENCE_FILL = "#cfe3f3"
POSITIVE = "#0072B2"
NEGATIVE = "#D55E00"

P = ParamSpec("P")
R = TypeVar("R")

_ids = itertools.count(1)
#: The chart ids of the page being rendered (see :func:`page_ids`); when
#: unset, the process-wide counter above.
_page_ids: ContextVar[Iterator[int] | None] = ContextVar("chart_page_ids", default=None)


def _uid(prefix: str) -> str:
    return f"{prefix}{next(_page_ids.get() or _ids)}"


@contextmanager
def page_ids() -> Iterator[None]:
    """Number the charts drawn inside from 1 again: ids need only be unique
    within a page, and a page numbered from 1 is the same bytes whatever the
    process rendered before (the web app keeps rendered reports, and its
    scoring workers render them too)."""
    token = _page_ids.set(itertools.count(1))
    try:
        yield
    finally:
        _page_ids.reset(token)


def numbered_page(render: Callable[P, R]) -> Callable[P, R]:
    """Decorate a page renderer so its charts are numbered from 1
    (:func:`page_ids`): a sample page written by ``analyze`` is then the same
    bytes whether it is the first or the hundredth page of the run."""

    @functools.wraps(render)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with page_ids():
            return render(*args, **kwargs)

    return wrapper


# --- number formats ---------------------------------------------------------------------


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def fixed(v: float, digits: int = 2) -> str:
    """``v`` with ``digits`` decimals; "–" for missing or infinite values."""
    if v is None or not math.isfinite(v):
        return "–"
    if digits == 0:
        return f"{v:.0f}"
    return f"{v:.{digits}f}"


def signed(v: float) -> str:
    """Two significant digits with a sign: +0.11, -0.0094."""
    if v is None or not math.isfinite(v):
        return "–"
    return f"{v:+.2g}" if abs(v) >= 1e-4 else f"{v:+.1e}"


def compact(v: float) -> str:
    """A tick label of a chart whose values span decades: 0, 0.5, 120, 1e-3, 2e5."""
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-2:
        return f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e")
    return f"{v:g}"


def cell(v, digits: int = 1) -> str:
    """A table cell: text as it is, numbers with ``digits`` decimals (three
    significant digits below 0.01, so small values do not show as 0.0)."""
    if isinstance(v, str):
        return v
    return format(v, f".{digits}f") if abs(v) >= 0.01 or v == 0 else format(v, ".3g")


def share_text(fraction: float) -> str:
    """A fraction as percent with one decimal; tiny non-zero shares as '<0.1 %'."""
    if fraction is None or not math.isfinite(fraction):
        return "–"
    if 0 < fraction < 0.0005:
        return "<0.1 %"
    return f"{100 * fraction:.1f} %"


def percent(v, digits: int = 1) -> str:
    """A fraction as percent with ``digits`` decimals ("–" when missing)."""
    return f"{100.0 * float(v):.{digits}f} %" if _finite(v) else "–"


def number(v, digits: int = 2) -> str:
    """Anything number-like with ``digits`` decimals ("–" when missing or not a number)."""
    return fixed(float(v), digits) if _finite(v) else "–"


def time_label(t, name: str | None = None) -> str:
    """'2' -> 'time 2' (or 'week_num 2' given the time column's name); labels
    that already say what they are ('time2', a date) stay."""
    text = str(t)
    bare = text[1:] if text.startswith("-") else text
    return f"{name or 'time'} {text}" if bare.replace(".", "", 1).isdigit() else text


#: The number formats as Jinja filters, registered by the report environment.
FILTERS = {"num": number, "pct": percent, "share": share_text, "timelabel": time_label, "cell": cell, "sig": signed}


# --- SVG building blocks -------------------------------------------------------------------


def _n(v: float) -> str:
    """A coordinate, short."""
    return f"{v:.1f}".rstrip("0").rstrip(".") if abs(v - round(v)) > 1e-9 else str(int(round(v)))


def _short(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: The ranks a group label of a diversity chart ends with ("A, genus").
_RANK_SUFFIXES = ("domain", "kingdom", "phylum", "class", "order", "family", "genus", "species", "strain")


def _short_group(text: str, limit: int) -> str:
    """A group label cut to ``limit`` characters keeping the rank it ends with
    ("Multiple_sclerosi…, genus"): boxes of one group at three ranks all read
    "Multiple_sclerosis_in…" when the rank was cut off (an outside check)."""
    text = str(text)
    head, sep, rank = text.rpartition(", ")
    if len(text) <= limit or not sep or rank not in _RANK_SUFFIXES:
        return _short(text, limit)
    return _short(head, max(limit - len(rank) - 2, 4)) + sep + rank


def _lines(text: str, limit: int, *, most: int) -> list[str]:
    """``text`` wrapped at word breaks into lines of ``limit`` characters, at
    most ``most`` of them; the last is cut with "…" when more would follow."""
    lines = textwrap.wrap(" ".join(str(text).split()), limit, break_long_words=True, break_on_hyphens=False)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: limit - 2].rstrip() + " …"
    return lines


def _svg(width: float, height: float, title: str, desc: str, body: list[str], cls: str = "chart") -> Markup:
    uid = _uid("c")
    head = (
        f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" aria-labelledby="{uid}t {uid}d" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif" font-size="12" fill="{TEXT}">'
        f'<title id="{uid}t">{escape(title)}</title><desc id="{uid}d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int | None = None, weight: str | None = None,
          fill: str | None = None) -> str:
    attrs = f'x="{_n(x)}" y="{_n(y)}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if size:
        attrs += f' font-size="{size}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if fill:
        attrs += f' fill="{fill}"'
    return f"<text {attrs}>{escape(text)}</text>"


def nothing_to_draw(reason: str, *, what: str = "No value to draw") -> str:
    """What a chart says instead of an empty axis: "No value to draw: the
    input gives relative abundances, not read counts ..." (the reason the
    score's cell gives), or just that there is none when no reason is known."""
    reason = str(reason or "").strip().rstrip(".")
    return f"{what}: {reason}." if reason else f"{what}."


def _words(x: float, y: float, text: str, width: float, *, size: int = 12, fill: str = MUTED) -> tuple[list[str], int]:
    """``text`` as lines from ``(x, y)`` within ``width`` pixels; the elements
    and the height they take."""
    # SVG text does not wrap.  White space folded, and a word is never cut: not at a hyphen
    # ("Bifidobacterium-rich", "16S-only") nor inside a word longer than a line (a sample's
    # file name), which gets a line of its own
    lines = textwrap.wrap(" ".join(str(text).split()), max(int((width - x) / (size * 0.55)), 12),
                          break_long_words=False, break_on_hyphens=False) or [""]
    return [_text(x, y + 14 * i, line, size=size, fill=fill) for i, line in enumerate(lines)], 14 * len(lines)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values from ``lo`` to ``hi``: steps of 1, 2, 2.5
    or 5 times a power of ten, the first at or above ``lo``."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    out = []
    v = start
    while v <= hi + step * 1e-9:
        out.append(round(v, 10))
        v += step
    return out


class Scale:
    """Linear map from data to pixels, with 'nice' ticks."""

    def __init__(self, lo: float, hi: float, px0: float, px1: float) -> None:
        if not math.isfinite(lo) or not math.isfinite(hi):
            lo, hi = 0.0, 1.0
        if hi - lo < 1e-12:
            pad = abs(lo) * 0.1 or 1.0
            lo, hi = lo - pad, hi + pad
        self.lo, self.hi, self.px0, self.px1 = lo, hi, px0, px1

    def __call__(self, v: float) -> float:
        """The pixel position of value ``v`` (clipped to the scale)."""
        v = min(max(v, self.lo), self.hi)
        return self.px0 + (v - self.lo) / (self.hi - self.lo) * (self.px1 - self.px0)

    def ticks(self, n: int = 5) -> list[float]:
        """Round values across the scale (:func:`nice_ticks`)."""
        return nice_ticks(self.lo, self.hi, n)


def nice_range(values: Sequence[float], fixed: tuple[float, float] | None = None) -> tuple[float, float]:
    """``fixed`` if given, else the range of the finite ``values`` padded by 5 %."""
    if fixed is not None:
        return fixed
    arr = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if not len(arr):
        return 0.0, 1.0
    lo, hi = float(arr.min()), float(arr.max())
    pad = (hi - lo) * 0.05 or (abs(hi) * 0.1 or 1.0)
    return lo - pad, hi + pad


def shown_ticks(ticks: Sequence[float], digits: int) -> list[float]:
    """The ticks whose label at ``digits`` decimals is the tick itself: an axis
    of one value (a cohort of a single sample) spans 0.9 to 1.1, whose
    ticks at 0 decimals would read "1 1 1 1 1".  Labels that would still
    repeat (none representable) keep the first of each."""
    step = 10.0 ** -min(digits if digits >= 0 else 0, 12)
    exact = [t for t in ticks if abs(t / step - round(t / step)) < 1e-6]
    if exact:
        return exact
    seen: dict[str, float] = {}
    for t in ticks:
        seen.setdefault(fixed(t, digits), t)
    return list(seen.values())


def _axis(scale: Scale, y: float, digits: int) -> list[str]:
    out = [f'<line x1="{_n(scale.px0)}" x2="{_n(scale.px1)}" y1="{_n(y)}" y2="{_n(y)}" stroke="{MUTED}"/>']
    for t in shown_ticks(scale.ticks(), digits):
        x = scale(t)
        out.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(y)}" y2="{_n(y + 4)}" stroke="{MUTED}"/>')
        out.append(_text(x, y + 17, fixed(t, digits if abs(t) < 1000 else 0), anchor="middle", size=12, fill=MUTED))
    return out


# --- one value against a reference -----------------------------------------------


def rows_needed(*summaries) -> bool:
    """Whether any of the summaries is to be drawn (their rows need room above the bar)."""
    return any(bool(s) for s in summaries)


def position_chart(
    value: float,
    *,
    title: str,
    desc: str,
    reference: dict[str, float] | None = None,
    context: dict[str, float] | None = None,
    scale: tuple[float, float] | None = None,
    digits: int = 2,
    bar: bool = False,
    width: int = 400,
    missing: str = "",
) -> Markup:
    """Where one value lies: on a fixed scale (``bar=True`` draws a filled
    bar, for 0-100 scores) and against a reference population drawn as a box
    (``reference`` with p5, p25, p50, p75, p95).

    A missing value is said in words with ``missing``, the reason it is
    missing; with no reference to draw either, there is no axis at all."""
    summaries = [s for s in (reference, context) if s]
    if not math.isfinite(value) and not summaries:
        lines, height = _words(12, 18, nothing_to_draw(missing), width)
        return _svg(width, height + 12, title, desc, lines, cls="chart position")
    pts = [value] + [v for s in summaries for v in s.values()]
    lo, hi = nice_range(pts, scale)
    left, right = 12, width - 12
    sc = Scale(lo, hi, left, right)
    body: list[str] = []
    y = 18 if rows_needed(reference, context) else 8
    if bar:
        body.append(f'<rect x="{_n(left)}" y="{y}" width="{_n(right - left)}" height="18" fill="{LIGHT}" rx="3"/>')
        if math.isfinite(value):
            body.append(f'<rect x="{_n(left)}" y="{y}" width="{_n(sc(value) - left)}" height="18" fill="{POSITIVE}" rx="3"/>')
        # a box row's label sits above its box: leave it a line of its own under the bar
        y += 34 if rows_needed(reference, context) else 26
    rows = []
    if reference:
        rows.append(("healthy reference", reference, REFERENCE_FILL))
    if context:
        rows.append(("public metagenomes", context, "#eeeeee"))
    for label, s, fill in rows:
        x5, x25, x50, x75, x95 = (sc(s[k]) for k in ("p5", "p25", "p50", "p75", "p95"))
        body.append(f'<line x1="{_n(x5)}" x2="{_n(x95)}" y1="{y + 8}" y2="{y + 8}" stroke="{MUTED}"/>')
        body.append(f'<rect x="{_n(x25)}" y="{y}" width="{_n(max(x75 - x25, 1))}" height="16" fill="{fill}" stroke="{MUTED}"/>')
        body.append(f'<line x1="{_n(x50)}" x2="{_n(x50)}" y1="{y}" y2="{y + 16}" stroke="{TEXT}" stroke-width="2"/>')
        body.append(_text(right, y - 4, label, anchor="end", size=12, fill=MUTED))
        y += 36
    if math.isfinite(value):
        x = sc(value)
        top = 4
        body.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top}" y2="{y}" stroke="{TEXT}" stroke-width="2"/>')
        body.append(f'<path d="M{_n(x - 6)},{top - 2} L{_n(x + 6)},{top - 2} L{_n(x)},{top + 6} Z" fill="{TEXT}"/>')
    body.extend(_axis(sc, y + 2, digits))
    y += 26
    if not math.isfinite(value):  # the reference is drawn, the sample has no mark on it: say why
        lines, height = _words(left, y + 10, nothing_to_draw(missing, what="This sample has no value"), width)
        body.extend(lines)
        y += height + 4
    return _svg(width, y, title, desc, body, cls="chart position")


# --- composition ---------------------------------------------------------------------


def composition_bar(items: Sequence[tuple[str, float]], *, title: str, desc: str, width: int = 760) -> Markup:
    """One 100 % stacked bar (fractions summing to about 1) with a legend."""
    left, right = 8, width - 8
    total = sum(max(v, 0.0) for _, v in items) or 1.0
    body: list[str] = []
    x = float(left)
    colours = {}
    for i, (label, v) in enumerate(items):
        colour = _composition_colour(label, i)
        colours[label] = colour
        w = (right - left) * max(v, 0.0) / total
        if w <= 0:
            continue
        body.append(
            f'<rect x="{_n(x)}" y="6" width="{_n(w)}" height="28" fill="{colour}" stroke="#ffffff">'
            f"<title>{escape(label)}: {escape(share_text(v))}</title></rect>"
        )
        x += w
    # legend, wrapped
    lx, ly = float(left), 52.0
    for label, v in items:
        text = f"{_short(label, 34)} {share_text(v)}"
        w = 18 + 7.2 * len(text)
        if lx + w > right and lx > left:
            lx, ly = float(left), ly + 18
        body.append(f'<rect x="{_n(lx)}" y="{_n(ly - 10)}" width="11" height="11" fill="{colours[label]}" stroke="{MUTED}" stroke-width="0.5"/>')
        body.append(_text(lx + 15, ly, text, size=12))
        lx += w + 10
    return _svg(width, ly + 10, title, desc, body, cls="chart composition")


def _composition_colour(label: str, i: int) -> str:
    low = label.lower()
    if low.startswith("unassigned") or low.startswith("not assigned"):
        return "#f2f2f2"
    if low.startswith("other"):
        return GREY
    return PALETTE[i % (len(PALETTE) - 1)]


def hbar_chart(
    items: Sequence[tuple[str | tuple[str, str], float]],
    *,
    title: str,
    desc: str,
    digits: int | None = 1,
    unit: str = "",
    width: int = 560,
    label_chars: int = 38,
    font: int = 12,
) -> Markup:
    """Horizontal bars, one per item; negative values go left of zero (diverging).

    An item's label is a name, or a ``(name, detail)`` pair: the detail is
    written smaller beneath the name, wrapped on at most two lines (a taxon
    and the trait it acts through), so that neither is cut to share a line;
    the full text is the bar's tooltip."""
    if not items:
        return _svg(width, 24, title, desc, [_text(8, 16, "nothing to show", fill=MUTED)])
    labels = [(lbl, "") if isinstance(lbl, str) else lbl for lbl, _ in items]
    longest = max(len(str(name)) for name, _ in labels)
    if any(detail for _, detail in labels):
        longest = label_chars  # a detail wraps to the full width
    label_w = min(label_chars, longest) * font * 0.56 + 12
    vals = [v for _, v in items]
    lo = min(0.0, min(vals))
    hi = max(0.0, max(vals))
    value_room = 8 * font * 0.6  # value labels sit beside the bars, never over the names
    sc = Scale(lo, hi if hi > lo else lo + 1, label_w + (value_room if lo < 0 else 0), width - value_room)

    def show(v: float) -> str:
        return signed(v) if digits is None else fixed(v, digits)

    zero = sc(0.0)
    body = []
    y = 6
    for (name, detail), (_, v) in zip(labels, items, strict=True):
        # a detail wraps onto at most two lines beneath its name; a bar stands beside the name
        details = _lines(detail, int(label_chars * font / (font - 1)), most=2) if detail else []
        x0, x1 = sorted((zero, sc(v)))
        colour = NEGATIVE if v < 0 else POSITIVE
        full = f"{name}: {detail}" if detail else str(name)
        body.append(f"<g><title>{escape(full)}: {escape(show(v))}{escape(unit)}</title>")
        body.append(_text(label_w - 6, y + 11, _short(name, label_chars), anchor="end", size=font))
        for i, line in enumerate(details):
            body.append(_text(label_w - 6, y + 24 + 13 * i, line, anchor="end", size=font - 1, fill=MUTED))
        body.append(f'<rect x="{_n(x0)}" y="{y}" width="{_n(max(x1 - x0, 1))}" height="14" fill="{colour}"/>')
        tx = x1 + 4 if v >= 0 else x0 - 4
        body.append(_text(tx, y + 11, f"{show(v)}{unit}", anchor="start" if v >= 0 else "end", size=font, fill=MUTED))
        body.append("</g>")
        y += 20 + 13 * len(details) + (4 if details else 0)
    if lo < 0:
        body.append(f'<line x1="{_n(zero)}" x2="{_n(zero)}" y1="2" y2="{_n(y)}" stroke="{MUTED}"/>')
    return _svg(width, y + 4, title, desc, body, cls="chart hbar")


# --- over time ---------------------------------------------------------------------------


def timeline_chart(
    times: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    desc: str,
    band: float | None = None,
    scale: tuple[float, float] | None = None,
    digits: int = 2,
    flags: Sequence[bool | None] | None = None,
    width: int = 400,
    time_name: str | None = None,
    missing: str = "",
) -> Markup:
    """A score at each time point (``time_name`` names bare numbers, :func:`time_label`).  ``band`` shades first value ± band (the
    smallest real difference): points outside it changed by more than
    measurement variation.  ``flags[i]`` marks the step into point i.
    When no time point has a value the chart says why in words
    (``missing``) instead of drawing an empty plot."""
    vals = [float(v) for v in values]
    if not any(math.isfinite(v) for v in vals):
        lines, height = _words(12, 18, nothing_to_draw(missing, what="No value at any time point"), width)
        return _svg(width, height + 12, title, desc, lines, cls="chart timeline")
    pts = vals + ([vals[0] - band, vals[0] + band] if band and math.isfinite(vals[0]) else [])
    lo, hi = nice_range(pts, scale)
    height = 170
    top, bottom, left, right = 14, height - 40, 56, width - 44
    y = Scale(lo, hi, bottom, top)
    step = (right - left) / max(len(vals) - 1, 1)
    xs = [left + i * step if len(vals) > 1 else (left + right) / 2 for i in range(len(vals))]
    body = []
    for tick in shown_ticks(y.ticks(4), digits):
        py = y(tick)
        body.append(f'<line x1="{left}" x2="{right}" y1="{_n(py)}" y2="{_n(py)}" stroke="#e6e6e6"/>')
        body.append(_text(left - 6, py + 4, fixed(tick, digits), anchor="end", size=12, fill=MUTED))
    if band and math.isfinite(vals[0]):
        y0, y1 = y(vals[0] + band), y(vals[0] - band)
        body.append(f'<rect x="{left}" y="{_n(y0)}" width="{right - left}" height="{_n(max(y1 - y0, 1))}" fill="{REFERENCE_FILL}"/>')
    # the line starts at the first time with a value, not at the first time: a
    # path led by "L" (the first sample's score missing) is invalid SVG and not drawn
    drawn = [(xs[i], v) for i, v in enumerate(vals) if math.isfinite(v)]
    path = " ".join(f"{'M' if k == 0 else 'L'}{_n(px)},{_n(y(v))}" for k, (px, v) in enumerate(drawn))
    if path:
        body.append(f'<path d="{path}" fill="none" stroke="{POSITIVE}" stroke-width="2"/>')
    for i, (t, v) in enumerate(zip(times, vals)):
        if math.isfinite(v):
            flagged = bool(flags and i < len(flags) and flags[i])
            colour = NEGATIVE if flagged else POSITIVE
            shape = (
                f'<rect x="{_n(xs[i] - 6)}" y="{_n(y(v) - 6)}" width="12" height="12" fill="{colour}"/>'
                if flagged
                else f'<circle cx="{_n(xs[i])}" cy="{_n(y(v))}" r="5" fill="{colour}"/>'
            )
            body.append(f"<g><title>{escape(time_label(t, time_name))}: {escape(fixed(v, digits))}</title>{shape}</g>")
        body.append(_text(xs[i], bottom + 20, _short(time_label(t, time_name), 14), anchor="middle", size=12))
    return _svg(width, height, title, desc, body, cls="chart timeline")


# --- cohort distributions ------------------------------------------------------------


def distribution_chart(
    groups: Sequence[tuple[str, Sequence[float], dict[str, float] | None]],
    *,
    title: str,
    desc: str,
    reference: dict[str, float] | None = None,
    scale: tuple[float, float] | None = None,
    digits: int = 2,
    width: int = 400,
    missing: str = "",
) -> Markup:
    """Every sample as a dot and a box (quartiles, whiskers 5th-95th
    percentile) per group; the healthy reference as a shaded box on top.
    ``groups`` holds ``(label, values, summary)``, the summary (p5 ... p95 of
    the values) computed beforehand
    (:func:`gutbalance.reference.statistics.summary`).

    A group without a value says so in its row, with ``missing`` (why the
    values are missing); with nothing at all to draw (every value missing,
    no reference) there is no axis, only those words."""
    clean = [(lbl, np.asarray([v for v in vals if v is not None and math.isfinite(v)], dtype=float)) for lbl, vals, _ in groups]
    boxes = {lbl: s for lbl, _, s in groups}
    pts = [v for _, arr in clean for v in arr.tolist()] + (list(reference.values()) if reference else [])
    if not pts:
        lines, height = _words(12, 18, nothing_to_draw(missing), width)
        return _svg(width, height + 12, title, desc, lines, cls="chart distribution")
    lo, hi = nice_range(pts, scale)
    label_w = min(22, max([len(str(lbl)) for lbl, _ in clean] + [17])) * 6.8 + 10
    sc = Scale(lo, hi, label_w, width - 14)
    body = []
    y = 6
    rows = ([("healthy reference", None)] if reference else []) + list(clean)
    rng = np.random.default_rng(0)  # fixed jitter: the same data draw the same picture
    for lbl, arr in rows:
        body.append(_text(label_w - 6, y + 15, _short_group(lbl, 22), anchor="end", size=12))
        if arr is None:
            s = reference
            fill = REFERENCE_FILL
        elif len(arr):
            s = boxes[lbl]
            fill = "#ffffff"
        else:
            s = None
            fill = ""
        if s:
            x5, x25, x50, x75, x95 = (sc(s[k]) for k in ("p5", "p25", "p50", "p75", "p95"))
            body.append(f'<line x1="{_n(x5)}" x2="{_n(x95)}" y1="{y + 11}" y2="{y + 11}" stroke="{MUTED}"/>')
            body.append(f'<rect x="{_n(x25)}" y="{y + 2}" width="{_n(max(x75 - x25, 1))}" height="18" fill="{fill}" stroke="{MUTED}"/>')
            body.append(f'<line x1="{_n(x50)}" x2="{_n(x50)}" y1="{y + 2}" y2="{y + 20}" stroke="{TEXT}" stroke-width="2"/>')
        if arr is not None and not len(arr):
            # a group without a value gets words in its row, not an empty lane
            lines, height = _words(label_w, y + 15, nothing_to_draw(missing, what="no value"), width, size=11)
            body.extend(lines)
            y += max(30, height + 10)
            continue
        if arr is not None:
            jitter = rng.uniform(-7, 7, size=len(arr))
            for v, j in zip(arr.tolist(), jitter.tolist()):
                body.append(f'<circle cx="{_n(sc(v))}" cy="{_n(y + 11 + j)}" r="2.5" fill="{POSITIVE}" fill-opacity="0.6"/>')
        y += 30
    body.extend(_axis(sc, y + 2, digits))
    return _svg(width, y + 24, title, desc, body, cls="chart distribution")


# --- validation: ROC curves ------------------------------------------------------------


def roc_chart(
    curves: Sequence[tuple[str, Sequence[float], Sequence[float], float]],
    *,
    title: str,
    desc: str,
    width: int = 360,
) -> Markup:
    """ROC curves (false-positive rate across, true-positive rate up) of
    several scores on one plot, with the chance diagonal; ``curves`` holds
    ``(label, fpr, tpr, auc)``.  The legend gives each curve's AUC."""
    height = width + 16 * len(curves) + 30
    left, right, top = 44, width - 12, 12
    bottom = top + (right - left)
    x = Scale(0.0, 1.0, left, right)
    y = Scale(0.0, 1.0, bottom, top)
    body = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="{LIGHT}"/>']
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        body.append(_text(left - 6, y(t) + 4, fixed(t), anchor="end", size=11, fill=MUTED))
        body.append(_text(x(t), bottom + 15, fixed(t), anchor="middle", size=11, fill=MUTED))
    body.append(_text((left + right) / 2, bottom + 29, "false-positive rate (against group called label)",
                      anchor="middle", size=11, fill=MUTED))
    body.append(f'<line x1="{_n(x(0))}" y1="{_n(y(0))}" x2="{_n(x(1))}" y2="{_n(y(1))}" stroke="{GREY}" '
                'stroke-dasharray="4 3"/>')
    for i, (label, fpr, tpr, area) in enumerate(curves):
        colour = PALETTE[i % len(PALETTE)]
        dash = "" if i < len(PALETTE) else ' stroke-dasharray="6 2"'
        path = " ".join(f"{'M' if k == 0 else 'L'}{_n(x(a))},{_n(y(b))}" for k, (a, b) in enumerate(zip(fpr, tpr)))
        body.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}>'
                    f"<title>{escape(label)}: AUC {escape(fixed(area))}</title></path>")
        ly = bottom + 46 + 16 * i
        body.append(f'<line x1="{left}" x2="{left + 18}" y1="{_n(ly - 4)}" y2="{_n(ly - 4)}" stroke="{colour}" '
                    f'stroke-width="3"{dash}/>')
        body.append(_text(left + 24, ly, f"{label}: AUC {fixed(area)}", size=12))
    return _svg(width, height, title, desc, body, cls="chart roc")


# --- simulated trajectories ---------------------------------------------------------------


def _finite_runs(finite: np.ndarray) -> list[slice]:
    """The runs of consecutive True in ``finite``, as slices.

    >>> _finite_runs(np.array([True, True, False, True]))
    [slice(0, 2, None), slice(3, 4, None)]
    """
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(int), [0]])))
    return [slice(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def line_chart(
    times: np.ndarray,
    series: dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]],
    *,
    title: str,
    ylabel: str,
    log: bool = False,
    ylim: tuple[float, float] | None = None,
    shading: Sequence[tuple[float, float, str, str]] = (),
    markers: Sequence[tuple[float, str]] = (),
    width: int = 760,
    height: int = 320,
) -> Markup:
    """Lines over days, for simulated trajectories; ``series`` maps a label to
    ``(values, band_low, band_high)`` (bands shaded when given), ``log`` draws
    decades, ``shading`` marks windows ``(start, end, label, colour)`` and
    ``markers`` single days ``(day, label)``."""
    longest = max((len(label) for label in series), default=10)
    right = max(150, 50 + int(6.2 * longest))  # room for the legend
    width = max(width, right + 520)
    left, top, bottom = 70, 34, 44
    pw, ph = width - left - right, height - top - bottom
    t = np.asarray(times, dtype=float)
    t0, t1 = float(t[0]), float(t[-1]) if t[-1] > t[0] else float(t[0]) + 1
    values = [np.asarray(v, float) for s in series.values() for v in s if v is not None]
    if log:
        positive = np.concatenate([v[v > 0] for v in values]) if values else np.array([1.0])
        lo_v = float(positive.min()) if positive.size else 1e-3
        hi_v = float(positive.max()) if positive.size else 1.0
        lo_v = max(lo_v, hi_v * 1e-9)
        y_lo, y_hi = (math.floor(math.log10(lo_v)), math.ceil(math.log10(hi_v))) if ylim is None else map(math.log10, ylim)
        if y_hi <= y_lo:
            y_hi = y_lo + 1
    else:
        allv = np.concatenate(values) if values else np.array([0.0, 1.0])
        allv = allv[np.isfinite(allv)] if np.isfinite(allv).any() else np.array([0.0, 1.0])
        y_lo, y_hi = (float(allv.min()), float(allv.max())) if ylim is None else ylim
        if y_hi <= y_lo:
            y_hi = y_lo + 1

    def X(v):
        return left + (np.asarray(v, float) - t0) / (t1 - t0) * pw

    def Y(v):
        v = np.asarray(v, float)
        if log:
            with np.errstate(divide="ignore"):
                v = np.log10(np.where(v > 0, v, 10.0 ** (y_lo - 1)))
            v = np.clip(v, y_lo, y_hi)
        return top + (1 - (v - y_lo) / (y_hi - y_lo)) * ph

    out = [f'<svg class="chart line" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="sans-serif" font-size="11" role="img" aria-label="{escape(title)}">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>']
    for start, end, label, color in shading:
        xa, xb = X(max(start, t0)), X(min(end, t1))
        out.append(f'<rect x="{xa:.1f}" y="{top}" width="{max(xb - xa, 1):.1f}" height="{ph}" fill="{color}" opacity="0.18">'
                   f'<title>{escape(label)}</title></rect>')
    # axes and grid
    if log:
        for e in range(int(y_lo), int(y_hi) + 1):
            y = Y(10.0 ** e)
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">1e{e}</text>')
    else:
        for v in nice_ticks(y_lo, y_hi):
            y = Y(v)
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{compact(v)}</text>')
    for v in nice_ticks(t0, t1, 8):
        x = X(v)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#333"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{compact(v)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 8}" text-anchor="middle">day</text>')
    out.append(f'<text transform="translate(16 {top + ph / 2}) rotate(-90)" text-anchor="middle">{escape(ylabel)}</text>')
    for when, label in markers:
        x = X(when)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" stroke="#b2182b" stroke-dasharray="4 3">'
                   f'<title>{escape(label)}</title></line>')
    for i, (label, (vals, lo, hi)) in enumerate(series.items()):
        color = SERIES_PALETTE[i % len(SERIES_PALETTE)]
        vals = np.asarray(vals, float)
        # A missing value (a score the sample lacks, NaN) is no point: the line breaks there.
        for run in _finite_runs(np.isfinite(vals)):
            if lo is not None and hi is not None and np.isfinite(lo[run]).all() and np.isfinite(hi[run]).all():
                xs = X(t[run])
                upper = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, Y(hi[run])))
                lower = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs[::-1], Y(lo[run])[::-1]))
                out.append(f'<polygon points="{upper} {lower}" fill="{color}" opacity="0.18" stroke="none"/>')
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(X(t[run]), Y(vals[run])))
            out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.8"><title>{escape(label)}</title></polyline>')
        ly = top + 10 + i * 16
        shown = label if np.isfinite(vals).any() else f"{label} (missing)"
        out.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 30}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="3"/>')
        out.append(f'<text x="{left + pw + 36}" y="{ly + 4}">{escape(shown)}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))
