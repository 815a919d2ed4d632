"""Widget help pages: the reference part follows the declaration; the guide is optional."""
from __future__ import annotations

import json
import re
import warnings

import pytest

from imgflow.registry import Registry
from imgflow.widget_help import (HELP_FILE, close_matches, find_widget, guide, page_text, summary,
                                 widget_page)
from tests.support.widgets import make_registry

INSTALLED = Registry.discover()
MAX_PICTURE_BYTES = 60_000


@pytest.mark.parametrize("widget", INSTALLED.widgets(), ids=lambda w: w.id)
def test_every_declared_channel_and_setting_is_on_the_page(widget):
    text = page_text(widget_page(widget).markdown)
    assert text.startswith(widget.name) and widget.id in text
    for channel in (*widget.inputs, *widget.outputs):
        assert re.search(rf"- {re.escape(channel.name)} \({channel.type.__name__}", text)
        assert " ".join(channel.doc.split()) in " ".join(text.split())
    flat = " ".join(text.split())
    for s in widget.settings:
        line = next(item for item in flat.split(" - ") if item.startswith(f"{s.name} ("))
        default = s.default if isinstance(s.default, str) else json.dumps(s.default)
        assert f"default {default or repr('')}" in line
        assert all(str(choice) in line for choice in s.choices)
        if s.minimum is not None:
            assert f"{s.minimum:g}" in line
        assert " ".join(s.doc.split()) in line


def test_a_widget_without_a_guide_gets_the_generated_part_only():
    numbers = make_registry().get("test.numbers")
    assert guide(numbers) == ("", None)
    page = widget_page(numbers)
    assert page.images == {}
    text = page_text(page.markdown)
    assert "Settings" in text and "count (whole number; at least 0; default 3)" in text


def test_installed_widgets_without_a_guide_are_listed_as_a_warning():
    missing = [w.name for w in INSTALLED.widgets() if not guide(w)[0]]
    if missing:
        warnings.warn(f"widgets without a hand-written {HELP_FILE}: {', '.join(missing)}")


@pytest.mark.parametrize("widget", INSTALLED.widgets(), ids=lambda w: w.id)
def test_pictures_a_guide_names_exist_and_are_small(widget):
    page = widget_page(widget)
    named = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.markdown)
    assert set(named) == set(page.images), "a guide names a picture that is not beside it"
    for path in page.images.values():
        assert path.stat().st_size <= MAX_PICTURE_BYTES, f"{path} is larger than 60 KB"


def test_text_keeps_what_markdown_would_show():
    markdown = ("# Title\n\nSome **bold**, *emphasis*, `code_with_underscores` and a\n"
                "literal \\*star\\* and snake_case.\n\n![picture](help-panel.png)\n\n"
                "- **one** (text): first\n  continued\n- two")
    assert page_text(markdown) == (
        "Title\n=====\n\nSome bold, emphasis, code_with_underscores and a literal *star* and "
        "snake_case.\n\n  - one (text): first continued\n  - two\n")


def test_names_a_person_types_find_the_widget():
    assert find_widget(INSTALLED, "distances").name == "Distances"
    clustering = find_widget(INSTALLED, "imgflow.hierarchical_clustering")
    assert clustering.name == "Hierarchical Clustering"
    assert find_widget(INSTALLED, "image viewer").name == "Image Viewer"
    assert find_widget(INSTALLED, "Distnce") is None
    assert close_matches(INSTALLED, "Distnce") == ["Distances"]
    assert "Image Viewer" in close_matches(INSTALLED, "viewer")


def test_summary_is_the_first_sentence():
    distances = find_widget(INSTALLED, "Distances")
    assert summary(distances) == "Distances between rows (or columns) of the data."


def test_the_apply_control_is_mentioned_where_a_widget_declares_it():
    for widget in INSTALLED.widgets():
        text = page_text(widget_page(widget).markdown)
        assert ("Apply automatically" in text) == widget.apply_control, widget.name
