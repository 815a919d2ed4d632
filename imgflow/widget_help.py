"""Widget help pages: one Markdown page per widget, for the canvas and the command line.

A page has two parts.  The reference part is generated from the widget's
declaration (its inputs, outputs and settings with their types, defaults,
choices, ranges and docs), so it cannot go stale.  The guide part is written
by hand: a ``help.md`` in the package that holds the widget's class, with
pictures (``*.png``) beside it.  A widget without one gets the reference part
only.  The canvas shows ``page.markdown`` in a QTextBrowser; ``imgflow help``
prints ``page_text(page.markdown)``: the same text without the markup.
"""
from __future__ import annotations

import re
import sys
import textwrap
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .api import Setting, Widget

HELP_FILE = "help.md"
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`")
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>#|-])")


@dataclass(frozen=True)
class HelpPage:
    widget: type[Widget]
    markdown: str
    folder: Path | None          # where the guide's pictures lie (None: no guide)

    @property
    def images(self) -> dict[str, Path]:
        """The pictures the page names, by the name it uses, that exist."""
        if self.folder is None:
            return {}
        found = {}
        for _alt, name in _IMAGE.findall(self.markdown):
            path = self.folder / name
            if "/" not in name.strip("./") and path.is_file():
                found[name] = path
        return found


def summary(widget: type[Widget]) -> str:
    """The description's first sentence: one line for tooltips and lists."""
    text = " ".join(widget.description.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def guide_folder(widget: type[Widget]) -> Path | None:
    """The folder of the package holding the widget's class (where help.md lies)."""
    module = sys.modules.get(widget.__module__)
    if module is None:
        return None
    package = module.__name__ if hasattr(module, "__path__") else module.__package__
    try:
        folder = Path(str(resources.files(package)))
    except (ImportError, TypeError, ValueError):
        return None
    return folder if folder.is_dir() else None


def guide(widget: type[Widget]) -> tuple[str, Path | None]:
    """The hand-written part and its folder, or ("", None) when the widget has none."""
    folder = guide_folder(widget)
    if folder is None or not (folder / HELP_FILE).is_file():
        return "", None
    try:
        return (folder / HELP_FILE).read_text(encoding="utf-8").strip(), folder
    except (OSError, UnicodeDecodeError):
        return "", None


def widget_page(widget: type[Widget]) -> HelpPage:
    text, folder = guide(widget)
    parts = [f"# {widget.name}",
             f"*{_escape(widget.category)}* · widget id `{widget.id}`",
             _escape(" ".join(widget.description.split()))]
    if text:
        parts.append(text)
    parts.append(reference(widget))
    return HelpPage(widget, "\n\n".join(p for p in parts if p) + "\n", folder)


def reference(widget: type[Widget]) -> str:
    """The generated part: channels and settings as the declaration states them."""
    lines = ["## Inputs", ""]
    lines += [_channel(c, _input_notes(c)) for c in widget.inputs] or ["None."]
    lines += ["", "## Outputs", ""]
    lines += [_channel(c, ["default"] if c.default and len(widget.outputs) > 1 else [])
              for c in widget.outputs] or ["None."]
    lines += ["", "## Settings", ""]
    lines += [_setting(s) for s in widget.settings] or ["None."]
    if widget.apply_control:
        lines += ["", "Its window has **Apply automatically**: when it is off, changed settings "
                      "and inputs wait until you press **Apply** (saved with the workflow; "
                      "`imgflow run` always applies)."]
    if widget.settings:
        example = widget.settings[0]
        lines += ["", f"On the command line: `imgflow run FILE --set "
                      f"\"{widget.name}.{example.name}=VALUE\"` (with the node's title); "
                      f"an output is written with `--export \"{widget.name}:OUTPUT=out.csv\"`."]
    return "\n".join(lines)


def _input_notes(channel) -> list[str]:
    return [note for flag, note in ((channel.multiple, "several links"),
                                    (channel.optional, "optional")) if flag]


def _channel(channel, notes: list[str]) -> str:
    kind = getattr(channel.type, "__name__", str(channel.type))
    extra = "".join(f", {n}" for n in notes)
    doc = f": {_escape(channel.doc)}" if channel.doc else ""
    return f"- **{_escape(channel.name)}** ({kind}{extra}){doc}"


_KINDS = {bool: "true or false", int: "whole number", float: "number", str: "text",
          list: "list", dict: "object"}


def _setting(s: Setting) -> str:
    facts = [_KINDS.get(s.type, getattr(s.type, "__name__", "value"))]
    if s.choices:
        facts.append("one of " + ", ".join(f"`{c}`" for c in s.choices))
    if s.minimum is not None or s.maximum is not None:
        low = "" if s.minimum is None else _number(s.minimum)
        high = "" if s.maximum is None else _number(s.maximum)
        facts.append(f"from {low} to {high}" if low and high else
                     f"at least {low}" if low else f"at most {high}")
    facts.append(f"default `{_show(s.default)}`")
    if s.path:
        facts.append("a path (saved relative to the workflow)")
    if s.view_only:
        facts.append("changes only the view")
    doc = f": {_escape(s.doc)}" if s.doc else ""
    return f"- **{_escape(s.name)}** ({'; '.join(facts)}){doc}"


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _show(value) -> str:
    import json
    if isinstance(value, str):
        return value if value else "''"
    return json.dumps(value)


def _escape(text: str) -> str:
    """Text that Markdown shows as it is (declarations are plain text, not markup)."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


# -- plain text, for the terminal ---------------------------------------------------
def page_text(markdown: str, width: int = 79) -> str:
    """The page without its markup: headings underlined, paragraphs wrapped, pictures left out."""
    blocks = [b for b in re.split(r"\n\s*\n", markdown.strip()) if b.strip()]
    out = []
    for block in blocks:
        lines = [line.rstrip() for line in block.splitlines()]
        if all(_IMAGE.fullmatch(line.strip()) for line in lines):
            continue
        heading = re.match(r"(#+)\s+(.*)", lines[0])
        if heading and len(lines) == 1:
            text = _inline(heading.group(2))
            out.append(f"{text}\n{('=' if len(heading.group(1)) == 1 else '-') * len(text)}")
        elif all(re.match(r"\s*[-*]\s", line) or line.startswith("  ") for line in lines):
            out.append(_bullets(lines, width))
        else:
            out.append(textwrap.fill(_inline(" ".join(lines)), width, break_on_hyphens=False))
    return "\n\n".join(out) + "\n"


def _bullets(lines: list[str], width: int) -> str:
    items: list[str] = []
    for line in lines:
        if re.match(r"\s*[-*]\s", line):
            items.append(re.sub(r"^\s*[-*]\s+", "", line))
        else:
            items[-1] += " " + line.strip()
    return "\n".join(textwrap.fill(_inline(item), width, initial_indent="  - ",
                                   subsequent_indent="    ", break_on_hyphens=False)
                     for item in items)


def _inline(text: str) -> str:
    text = _IMAGE.sub("", text)
    text = re.sub(r"\[([^\]]*)\]\(([^)]*)\)", r"\1 (\2)", text)
    # Code spans keep their text as it is; markup is removed outside them.
    parts = re.split(r"(`[^`]*`)", text)
    plain = [p[1:-1] if p.startswith("`") and p.endswith("`") and len(p) > 1 else _unmark(p)
             for p in parts]
    return "".join(plain).strip()


def _unmark(text: str) -> str:
    """Emphasis markers removed; escaped characters (``\\*``) kept as themselves."""
    kept: list[str] = []

    def stash(match) -> str:
        kept.append(match.group(1))
        return f"\x00{len(kept) - 1}\x00"
    text = _MARKUP.sub("", _ESCAPED.sub(stash, text))
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)


def find_widget(registry, name: str):
    """The widget a person named (title or id, any case), or None."""
    wanted = name.strip().lower()
    for widget in registry.widgets():
        if wanted in (widget.name.lower(), widget.id.lower(), widget.id.lower().rsplit(".", 1)[-1]):
            return widget
    return None


def close_matches(registry, name: str) -> list[str]:
    import difflib
    names = {w.name.lower(): w.name for w in registry.widgets()}
    names.update({w.id.lower(): w.name for w in registry.widgets()})
    hits = difflib.get_close_matches(name.strip().lower(), list(names), n=5, cutoff=0.5)
    hits += [key for key in names if name.strip().lower() in key and key not in hits]
    return list(dict.fromkeys(names[h] for h in hits))
