"""The HTML of ``storybeam report``: one self-contained page, every article-derived string escaped.

Safety: article text (headlines, titles, sources, errors) is untrusted. Every value goes through
:func:`html.escape` (quotes too) on its way into the page; the page's one script never builds markup from
data (it only reorders rows, hides them and reads ``data-`` attributes); and a Content-Security-Policy
allows nothing but that script (by its hash) and inline styles, so even a string that escaped escaping
could neither run script nor load anything from the network.
"""
from __future__ import annotations

import base64
import hashlib
import math
from collections import Counter, defaultdict
from datetime import datetime, timezone
from html import escape
from typing import Any

from pipelines.report import RunTables

SIZE_BUCKETS = ((1, 1), (2, 2), (3, 5), (6, 10), (11, 20), (21, 50), (51, 100), (101, None))
DEAD_LETTER_EXAMPLES = 3

_CSS = """
:root { --ink:#1d2433; --muted:#5b6478; --line:#d9dee8; --accent:#2f6fdb; --soft:#eef3fc; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0;
       background: #f6f7fb; }
header { background: #1d2433; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .where { color: #c5cde0; font-size: 13px; word-break: break-all; }
main { padding: 18px 28px 40px; max-width: 1500px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 18px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card b { display: block; font-size: 22px; }
.card span { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin-bottom: 18px; }
section h2 { font-size: 16px; margin: 0 0 10px; }
.row { display: flex; gap: 18px; flex-wrap: wrap; }
.row > section { flex: 1 1 420px; }
#search { width: 100%; max-width: 520px; padding: 7px 10px; border: 1px solid var(--line); border-radius: 6px;
          font-size: 14px; margin-bottom: 8px; }
#shown { color: var(--muted); margin-left: 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; white-space: nowrap; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable:hover { color: var(--accent); }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.event:hover { background: #fafbff; }
details summary { cursor: pointer; font-weight: 600; }
.event-summary { color: var(--muted); margin: 6px 0; max-width: 900px; }
.copy-group { list-style: none; margin: 6px 0; padding: 6px 10px; border-left: 3px solid var(--line); background: #fafbfd; }
.copy-group.copies { border-left-color: #e0a33a; }
.copy-group .label { font-size: 11px; color: var(--muted); text-transform: uppercase; }
.member { margin: 2px 0; }
.member .src { font-weight: 600; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 9px; background: var(--soft);
       color: var(--accent); margin-left: 4px; }
.tag.copy { background: #fdf1dd; color: #9a5b00; }
.muted { color: var(--muted); }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg .bar { fill: var(--accent); }
svg .span { stroke: var(--accent); stroke-width: 2; }
svg .dot { fill: var(--accent); fill-opacity: .55; stroke: #1d4fa6; }
.small { font-size: 12px; }
"""

_JS = """
(function () {
  var table = document.getElementById('events');
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var shown = document.getElementById('shown');
  var search = document.getElementById('search');
  function update() {
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var hit = !q || r.getAttribute('data-search').indexOf(q) !== -1;
      r.hidden = !hit;
      if (hit) { n += 1; }
    });
    shown.textContent = n + ' of ' + rows.length + ' events shown';
  }
  search.addEventListener('input', update);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    if (!th.classList.contains('sortable')) { return; }
    th.addEventListener('click', function () {
      var numeric = th.getAttribute('data-type') === 'number';
      var dir = th.getAttribute('aria-sort') === 'descending' ? 'ascending'
              : th.getAttribute('aria-sort') === 'ascending' ? 'descending'
              : (numeric ? 'descending' : 'ascending');
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir);
      var sign = dir === 'ascending' ? 1 : -1;
      rows.sort(function (a, b) {
        var x = a.cells[index].getAttribute('data-sort'), y = b.cells[index].getAttribute('data-sort');
        if (numeric) {
          x = x === '' ? -Infinity : parseFloat(x);
          y = y === '' ? -Infinity : parseFloat(y);
          if (x !== y) { return sign * (x < y ? -1 : 1); }
        } else if (x !== y) {
          return sign * (x < y ? -1 : 1);
        }
        return parseInt(a.getAttribute('data-rank'), 10) - parseInt(b.getAttribute('data-rank'), 10);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  update();
})();
"""


def _e(value: Any) -> str:
    """Escaped text for the page: every value shown passes through here."""
    return escape("" if value is None else str(value), quote=True)


def _time(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") if value else ""


def _span(first: datetime | None, last: datetime | None) -> str:
    if first is None:
        return "time unknown"
    if last is None or last == first:
        return f"{_time(first)} UTC"
    hours = (last - first).total_seconds() / 3600
    length = f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} days"
    return f"{_time(first)} \u2192 {_time(last)} UTC ({length})"


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"


def _bucket(size: int) -> str:
    for low, high in SIZE_BUCKETS:
        if high is None:
            return f"{low}+"
        if low <= size <= high:
            return str(low) if low == high else f"{low}\u2013{high}"
    return str(size)


def _histogram(events: list[dict[str, Any]]) -> str:
    counts = Counter(_bucket(int(e["article_count"])) for e in events)
    labels = [(str(lo) if lo == hi else f"{lo}+" if hi is None else f"{lo}\u2013{hi}") for lo, hi in SIZE_BUCKETS]
    # Every bucket up to the largest one used, so that empty sizes show as gaps.
    used = [i for i, label in enumerate(labels) if counts.get(label)]
    labels = labels[: (used[-1] + 1 if used else 1)]
    width, height, pad = 520, 190, 30
    bar_w = (width - 2 * pad) / max(1, len(labels))
    top = max(counts.values(), default=1)
    parts = [f'<svg id="size-histogram" viewBox="0 0 {width} {height + 30}" width="100%" role="img" '
             f'aria-label="Histogram of event sizes">']
    for i, label in enumerate(labels):
        n = counts.get(label, 0)
        h = 0 if top == 0 else (height - 30) * n / top
        x = pad + i * bar_w + 4
        y = height - h
        parts.append(f'<g class="bucket" data-bucket="{_e(label)}" data-count="{n}">'
                     f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 8:.1f}" height="{h:.1f}">'
                     f'<title>{_e(label)} articles: {n} events</title></rect>'
                     f'<text x="{x + (bar_w - 8) / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{n}</text>'
                     f'<text x="{x + (bar_w - 8) / 2:.1f}" y="{height + 16}" text-anchor="middle">{_e(label)}</text></g>')
    parts.append(f'<text x="{width / 2:.0f}" y="{height + 30}" text-anchor="middle">articles per event</text></svg>')
    return "".join(parts)


def _timeline(events: list[dict[str, Any]]) -> str:
    dated = sorted((e for e in events if e.get("first_published_at")),
                   key=lambda e: (e["first_published_at"], e["event_id"]))
    undated = len(events) - len(dated)
    if not dated:
        return f'<p class="muted" id="timeline-empty">No event has a known publish time ({undated} events).</p>'
    start = min(e["first_published_at"] for e in dated)
    end = max((e.get("last_published_at") or e["first_published_at"]) for e in dated)
    total = max((end - start).total_seconds(), 3600.0)
    width, lane, pad = 1000, 20, 10
    height = pad * 2 + lane * len(dated) + 24
    label_w = 0

    def x(t: datetime) -> float:
        return label_w + pad + (width - label_w - 2 * pad) * (t - start).total_seconds() / total

    parts = [f'<svg id="timeline" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="Events on a timeline">']
    for i, e in enumerate(dated):
        y = pad + i * lane + lane / 2
        first, last = e["first_published_at"], e.get("last_published_at") or e["first_published_at"]
        r = 3 + 2.2 * math.sqrt(int(e["article_count"]))
        # The label goes right of the span, or left of its start when the span ends near the right edge.
        if x(last) + r + 260 < width:
            label_x, anchor = x(last) + r + 4, "start"
        else:
            label_x, anchor = x(first) - r - 4, "end"
        title = f"{e['headline']} \u2014 {e['article_count']} articles, {_span(first, last)}"
        parts.append(f'<g class="tl-event" data-event-id="{_e(e["event_id"])}"><title>{_e(title)}</title>'
                     f'<line class="span" x1="{x(first):.1f}" y1="{y:.1f}" x2="{x(last):.1f}" y2="{y:.1f}"/>'
                     f'<circle class="dot" cx="{x(first):.1f}" cy="{y:.1f}" r="{r:.1f}"/>'
                     f'<text class="tl-label" x="{label_x:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}">'
                     f'{_e(_short(e["headline"]))}</text></g>')
    base = height - 8
    parts.append(f'<text x="{pad}" y="{base}">{_e(_time(start))} UTC</text>'
                 f'<text x="{width - pad}" y="{base}" text-anchor="end">{_e(_time(end))} UTC</text></svg>')
    if undated:
        parts.append(f'<p class="muted small">{undated} events without a known publish time are not on the timeline.</p>')
    return "".join(parts)


def _members(event: dict[str, Any], articles: list[dict[str, Any]]) -> str:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in articles:
        groups[a["dup_group_id"]].append(a)
    out = []
    for group_id, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        members = sorted(members, key=lambda a: (a["is_duplicate"], a["article_id"]))
        copies = len(members) > 1
        label = f"copy group {group_id} \u2014 {len(members)} copies" if copies else "single report"
        items = []
        for a in members:
            tags = []
            if a.get("is_canonical"):
                tags.append('<span class="tag">canonical</span>')
            if a.get("is_duplicate"):
                tags.append(f'<span class="tag copy">copy of {_e(a["dup_anchor_id"])} '
                            f'({float(a["dup_similarity"]):.2f})</span>')
            if a.get("source_inferred"):
                tags.append('<span class="tag">source read from page</span>')
            byline = f' <span class="muted">by {_e(", ".join(a["authors"]))}</span>' if a.get("authors") else ""
            items.append(
                f'<li class="member" data-article-id="{_e(a["article_id"])}">'
                f'<span class="src">{_e(a.get("source") or "unknown source")}</span> \u2014 '
                f'<span class="title">{_e(a.get("title") or a["article_id"])}</span>{byline} '
                f'<span class="muted small">{_e(_time(a.get("published_at")))} \u00b7 {_e(a["article_id"])} \u00b7 '
                f'similarity {float(a["event_similarity"]):.2f}</span>{"".join(tags)}</li>')
        out.append(f'<ul class="copy-group{" copies" if copies else ""}" data-dup-group="{_e(group_id)}">'
                   f'<li class="label">{_e(label)}</li>{"".join(items)}</ul>')
    return "".join(out)


def _largest(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: (-int(e["article_count"]), e.get("first_published_at") is None,
                                         e.get("first_published_at") or datetime.min.replace(tzinfo=timezone.utc),
                                         e["event_id"]))


def _events_table(events: list[dict[str, Any]], by_event: dict[str, list[dict[str, Any]]], max_events: int) -> str:
    listed = _largest(events)[:max_events]
    rows = []
    for rank, e in enumerate(listed):
        first, last = e.get("first_published_at"), e.get("last_published_at")
        sources = ", ".join(e.get("sources") or []) or "unknown"
        members = by_event.get(e["event_id"], [])
        searchable = " ".join([e["headline"], e.get("summary") or "", sources] +
                              [a.get("title") or "" for a in members]).lower()
        hours = (last - first).total_seconds() / 3600 if first and last else None
        partition = f" \u00b7 dt={_e(e['dt'])}" if e.get("dt") else ""
        rows.append(
            f'<tr class="event" data-rank="{rank}" data-event-id="{_e(e["event_id"])}" data-search="{_e(searchable)}">'
            f'<td data-sort="{_e(e["headline"].lower())}"><details><summary class="headline">{_e(e["headline"])}'
            f'</summary><p class="event-summary">{_e(e.get("summary"))}</p>'
            f'<div class="members">{_members(e, members)}</div>'
            f'<p class="muted small">{_e(e["event_id"])}{partition}</p>'
            f'</details></td>'
            f'<td class="num size" data-sort="{int(e["article_count"])}">{int(e["article_count"])}</td>'
            f'<td class="sources" data-sort="{_e(sources.lower())}">{_e(sources)}</td>'
            f'<td class="num" data-sort="{int(e.get("source_count") or 0)}">{int(e.get("source_count") or 0)}</td>'
            f'<td class="span" data-sort="{_e(first.isoformat() if first else "")}">{_e(_span(first, last))}</td>'
            f'<td class="num" data-sort="{"" if hours is None else f"{hours:.3f}"}">'
            f'{"" if hours is None else f"{hours:.0f} h"}</td>'
            f'<td class="num" data-sort="{float(e["cohesion"]):.6f}">{float(e["cohesion"]):.2f}</td></tr>')
    note = (f'<p class="muted small">The {max_events} largest of {len(events)} events are listed; the charts count '
            f'every event.</p>' if len(events) > max_events else "")
    return (
        '<input id="search" type="search" placeholder="Search headlines, summaries, sources, titles" '
        'aria-label="Search events"><span id="shown"></span>' + note +
        '<table id="events"><thead><tr>'
        '<th class="sortable" data-type="text">Headline</th>'
        '<th class="sortable" data-type="number">Articles</th>'
        '<th class="sortable" data-type="text">Sources</th>'
        '<th class="sortable" data-type="number">Outlets</th>'
        '<th class="sortable" data-type="text">Published (first \u2192 last)</th>'
        '<th class="sortable" data-type="number">Span</th>'
        '<th class="sortable" data-type="number">Cohesion</th>'
        '</tr></thead><tbody>' + "".join(rows) + '</tbody></table>')


def _error(row: dict[str, Any]) -> str:
    return " \u2014 " + _e(row["error"]) if row.get("error") else ""


def _dead_letters(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return '<p class="muted" id="dead-letters-none">No dead letters: every record read became an article.</p>'
    by_reason: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_reason[(r["stage"], r["reason"])].append(r)
    out = ['<table id="dead-letters"><thead><tr><th>Stage</th><th>Reason</th><th>Records</th><th>Examples</th>'
           '</tr></thead><tbody>']
    for (stage, reason), items in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        examples = sorted(items, key=lambda r: (r.get("input_file") or "", r.get("record_no") or 0,
                                                r.get("article_id") or ""))[:DEAD_LETTER_EXAMPLES]
        shown = "".join(
            f'<li>{_e(r.get("article_id") or "(no id)")} <span class="muted">{_e(r.get("input_file"))}'
            f'{"#" + str(r["record_no"]) if r.get("record_no") is not None else ""}</span>'
            f'{_error(r)}</li>' for r in examples)
        out.append(f'<tr class="dead-letter-reason" data-reason="{_e(stage)}:{_e(reason)}"><td>{_e(stage)}</td>'
                   f'<td>{_e(reason)}</td><td class="num">{len(items)}</td><td><ul class="small">{shown}</ul></td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _cards(run: RunTables) -> str:
    sources = {a.get("source") for a in run.articles if a.get("source")}
    multi = sum(1 for e in run.events if int(e["article_count"]) > 1)
    copies = sum(1 for a in run.articles if a.get("is_duplicate"))
    cards = [("events", len(run.events)), ("with 2+ articles", multi), ("articles", len(run.articles)),
             ("near-duplicate copies", copies), ("sources", len(sources)), ("dead letters", len(run.dead_letters))]
    return '<div class="cards">' + "".join(
        f'<div class="card" data-card="{_e(name)}"><b>{n}</b><span>{_e(name)}</span></div>' for name, n in cards) + "</div>"


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def render_report(run: RunTables, max_events: int = 5000) -> str:
    """The whole page for ``run``."""
    by_event: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in run.articles:
        by_event[a["event_id"]].append(a)
    runs = ", ".join(s.get("run_id", "?") for s in run.summaries) or "no run summary found"
    partitions = ", ".join(run.partitions) if run.partitions else "unpartitioned"
    policy = (f"default-src 'none'; script-src '{_script_hash(_JS)}'; style-src 'unsafe-inline'; "
              "img-src data:; base-uri 'none'; form-action 'none'")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(policy)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>storybeam report \u2014 {_e(run.output)}</title><style>{_CSS}</style></head><body>'
        f'<header><h1>storybeam report</h1><div class="where">{_e(run.output)} \u00b7 partitions: '
        f'{_e(partitions)} \u00b7 run: {_e(runs)}</div></header><main>'
        + _cards(run)
        + '<section id="events-section"><h2>Events</h2>'
        + _events_table(run.events, by_event, max_events) + '</section>'
        + '<div class="row"><section id="sizes-section"><h2>Event sizes</h2>' + _histogram(run.events) + '</section>'
        + '<section id="dead-letters-section"><h2>Dead letters by reason</h2>' + _dead_letters(run.dead_letters)
        + '</section></div>'
        + '<section id="timeline-section"><h2>Events on a timeline</h2>' + _timeline(_largest(run.events)[:max_events])
        + '</section></main>'
        f'<script>{_JS}</script></body></html>\n')

