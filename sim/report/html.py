"""The report's HTML: one self-contained page, its figures inside it as base64 PNG, nothing fetched.

A strategist forwards the file; whoever opens it needs no network, no fonts and no scripts. So
the page carries its own short style sheet, every image is a ``data:`` URL, and the text is
escaped. A small Markdown reader turns the ``.md`` tables the commands already write (validation,
sensitivity, calibration) into HTML without a dependency.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d1d1f;
max-width:1100px;margin:32px auto;padding:0 24px;line-height:1.45}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}
.kind{color:#666;font-size:14px;margin-bottom:18px}
.headline{font-size:19px;font-weight:600;background:#f3f7fc;border-left:5px solid #1976d2;
padding:12px 16px;margin:12px 0}
.headline ul{font-size:15px;font-weight:normal;margin:8px 0 4px;padding-left:22px}
.headline p{font-size:15px;font-weight:normal;margin:8px 0 0}
.note{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #e3e3e3;padding:4px 10px;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#fafafa}
img{max-width:100%;height:auto;border:1px solid #eee;margin:8px 0}
code{background:#f4f4f4;padding:0 3px;border-radius:3px;font-size:90%}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:14px}dt{color:#666}dd{margin:0}
"""


def esc(text: object) -> str:
    """Text as HTML (never markup)."""
    return html.escape(str(text), quote=True)


def page(title: str, kind: str, body: Iterable[str]) -> str:
    """The whole document."""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1><div class='kind'>{esc(kind)}</div>" + "".join(body) + "</body></html>\n"
    )


def heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{esc(text)}</h{level}>"


def paragraph(text: str, css: str = "") -> str:
    return f"<p{f' class={css!r}' if css else ''}>{esc(text)}</p>"


def headline(text: str) -> str:
    """The answer, set apart from everything else; its lines ``- ...`` become a list, other lines paragraphs."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) <= 1:
        return f"<div class='headline' id='headline'>{esc(text.strip())}</div>"
    parts: list[str] = [esc(lines[0])]
    items: list[str] = []
    for line in [*lines[1:], ""]:
        if line.startswith("- "):
            items.append(f"<li>{esc(line[2:])}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line:
            parts.append(f"<p>{esc(line)}</p>")
    return f"<div class='headline' id='headline'>{''.join(parts)}</div>"


def facts(rows: Iterable[tuple[str, object]]) -> str:
    """A definition list: what was run, with which seeds and versions."""
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows) + "</dl>"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = ()) -> str:
    """A table; the columns in ``numeric`` are right-aligned."""
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{esc(c)}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure(path: Path, alt: str) -> str:
    """A PNG inside the page as a data URL (an unreadable file is named, not fatal)."""
    try:
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    except OSError:
        return paragraph(f"(figure {Path(path).name} could not be read)", "note")
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{data}'>"


_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![*\w])\*(\w[^*]*?\w)\*(?![*\w])"), r"<em>\1</em>"),
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
]


def inline(text: str) -> str:
    """Markdown's bold, italic and code spans; everything else escaped."""
    out = esc(text)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def markdown(text: str, folder: Path) -> str:
    """The Markdown the commands write: headings, paragraphs, lists, pipe tables and local PNG figures.

    A figure ``![alt](name.png)`` is read from ``folder`` and embedded; a link elsewhere is kept
    as text (the report fetches nothing).
    """
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        if m := re.match(r"^(#{1,4})\s+(.*)$", line):
            level = min(len(m.group(1)) + 1, 4)  # the report's own title is the only h1
            out.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
            i += 1
        elif m := re.match(r"^!\[([^\]]*)\]\(([^)\s]+)\)$", line.strip()):
            target = m.group(2)
            local = folder / target
            if "/" not in target and target.endswith(".png") and local.is_file():
                out.append(figure(local, m.group(1)))
            else:
                out.append(paragraph(f"(figure {target})", "note"))
            i += 1
        elif line.lstrip().startswith("|"):
            block = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            out.append(_table(block))
        elif re.match(r"^\s*[-*]\s+", line):
            items = []
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                items.append(re.sub(r"^\s*[-*]\s+", "", lines[i]))
                i += 1
            out.append("<ul>" + "".join(f"<li>{inline(t)}</li>" for t in items) + "</ul>")
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not re.match(r"^(#|\||!\[|\s*[-*]\s)", lines[i]):
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{inline(' '.join(para))}</p>")
    return "".join(out)


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table(block: list[str]) -> str:
    rows = [_cells(r) for r in block if not re.fullmatch(r"\|?[\s:|-]+\|?", r)]
    if not rows:
        return ""
    head = "".join(f"<th>{inline(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
