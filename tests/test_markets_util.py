"""Node helpers of dnmobs.markets.util that compare lexbor tag ids instead of tag names."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from dnmobs.markets.util import (
    A_ID,
    TD_ID,
    block_text,
    child,
    has_class,
    kids,
    static_tag_id,
    tag_id,
)

ROW = ("<table><tr class='r'><td>one</td> <td class='name x'><a href='/p/1'>t</a></td>"
       "<!-- c --><td>three<br>four</td></tr></table>")


def _tree(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html)


def test_tag_ids_are_the_same_in_every_document():
    assert tag_id("td") == TD_ID == _tree(ROW).css_first("td").tag_id
    assert tag_id("a") == A_ID == _tree(ROW).css_first("a").tag_id
    # a tag lexbor does not know gets an id made per document: no fixed id, so no id compare
    assert static_tag_id("made-up-tag") is None
    with pytest.raises(ValueError, match="made-up-tag"):
        tag_id("made-up-tag")


def test_kids_and_child_find_element_children_by_tag():
    tr = _tree(ROW).css_first("tr")
    tds = kids(tr, TD_ID)
    assert [td.text() for td in tds] == ["one", "t", "threefour"]
    assert child(tr, "td").text() == "one"
    assert child(tr, "td", last=True).text() == "threefour"
    assert child(tr, "a") is None  # children only, not descendants
    assert child(None, "td") is None
    box = _tree("<div><made-up-tag>x</made-up-tag><span>y</span></div>").css_first("div")
    assert child(box, "made-up-tag").text() == "x"  # an unknown tag is compared by name
    assert child(box, "span").text() == "y"


def test_has_class_with_one_several_or_no_classes():
    tree = _tree(ROW)
    tds = tree.css("td")
    assert not has_class(tds[0], "name")
    assert has_class(tds[1], "name") and has_class(tds[1], "x") and not has_class(tds[1], "nam")
    assert has_class(tree.css_first("tr"), "r")


def test_block_text_keeps_line_breaks():
    assert block_text(_tree(ROW).css_first("tr")) == "one tthree\nfour"
    assert block_text(_tree("<p> <br> </p>").css_first("p")) is None
    assert block_text(None) is None


def test_pages_are_parsed_whole_to_the_tree_the_default_options_build():
    """Doc parses without lexbor's DOM mutation events (cheaper): on every fixture page, and on
    markup where events would act (a <select> with a <selectedcontent>) outside what we read, the
    tree is the one a default parse builds, apart from the mirrored option."""
    from pathlib import Path

    from dnmobs.markets.doc import Doc

    pages = [p for p in (Path(__file__).parent / "fixtures" / "pages").rglob("*") if p.is_file()]
    assert len(pages) >= 8
    for page in pages:
        data = page.read_bytes()
        assert Doc.from_bytes(data).tree.html == LexborHTMLParser(data).html, page
    html = b"<p>a<br>b</p><select><selectedcontent></selectedcontent><option>x</option></select>"
    ours, default = Doc.from_bytes(html).tree, LexborHTMLParser(html)
    assert ours.css_first("p").html == default.css_first("p").html
    assert ours.css_first("selectedcontent").text() == "" and default.css_first("selectedcontent").text() == "x"
