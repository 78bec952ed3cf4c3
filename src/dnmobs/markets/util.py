"""Node helpers the layouts share: compiled selector tables, text with line breaks, sibling walks.

A layout declares where its fields sit as a table of named selectors. Every query of the selector
engine walks the whole (sub)tree, about as long as a tenth of the page's parse, so a table is run
as ONE query (the selectors joined with commas) and each node found is assigned to the first name
whose selector it matches, checked in Python. That needs selectors simple enough to check
cheaply: ``tag``, ``#id``, ``.class``, ``tag.class`` and descendant chains of those ('.a b').
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from selectolax.lexbor import LexborCSSSelector, LexborHTMLParser, LexborNode

TEXT = "-text"


def _tag_ids() -> tuple[int, int]:
    """lexbor's ids of text nodes and of <br>: an int compare is the cheapest test in a walk."""
    p = LexborHTMLParser("<p>x<br></p>").css_first("p")
    text, br = list(p.iter(include_text=True))
    return text.tag_id, br.tag_id


TEXT_ID, BR_ID = _tag_ids()


def static_tag_id(name: str) -> int | None:
    """lexbor's id of an HTML tag, for walks that compare ids instead of reading ``tag`` strings;
    None for a tag lexbor does not know, whose id is made per document (so differs between pages)."""
    docs = [LexborHTMLParser(""), LexborHTMLParser("")]  # both alive: a freed one's memory is reused
    a, b = (d.create_node(name).tag_id for d in docs)
    return a if a == b else None


def tag_id(name: str) -> int:
    tid = static_tag_id(name)
    if tid is None:
        raise ValueError(f"<{name}> has no fixed lexbor tag id")
    return tid


TD_ID, A_ID, SPAN_ID, I_ID, DIV_ID = (tag_id(t) for t in ("td", "a", "span", "i", "div"))


def kids(node: LexborNode, tid: int) -> list[LexborNode]:
    """The children of ``node`` with lexbor's tag id ``tid``. ``iter()`` steps over text nodes in C,
    so the white space between a row's cells costs nothing; an id compare, not the tag's name."""
    return [c for c in node.iter() if c.tag_id == tid]


_engines = threading.local()


def _engine() -> LexborCSSSelector:
    eng = getattr(_engines, "sel", None)
    if eng is None:
        eng = _engines.sel = LexborCSSSelector()
    return eng


def select(node: LexborNode, query: str) -> list[LexborNode]:
    """``node.css(query)``, run by one selector engine per thread. selectolax otherwise makes a CSS
    engine for every document, and its first query then costs more than the query itself."""
    return _engine().find(query, node)


def select_first(node: LexborNode, query: str) -> LexborNode | None:
    found = _engine().find_first(query, node)
    return found[0] if found else None


@dataclass(frozen=True)
class _Simple:
    tag: str | None
    id: str | None
    cls: str | None

    @classmethod
    def parse(cls, sel: str) -> _Simple:
        if any(c in sel for c in "[]:>+~*"):
            raise ValueError(f"selector {sel!r} is not simple (tag, #id, .class, tag.class)")
        if sel.startswith("#"):
            return cls(None, sel[1:], None)
        tag, _, klass = sel.partition(".")
        return cls(tag or None, None, klass or None)

    def matches(self, node: LexborNode) -> bool:
        attrs = node.attributes
        return self.matches_parts(node.tag, attrs.get("id"), (attrs.get("class") or "").split())

    def matches_parts(self, tag: str | None, id_: str | None, classes: list[str]) -> bool:
        if self.tag and tag != self.tag:
            return False
        if self.id:
            return id_ == self.id
        return not self.cls or self.cls in classes


class Selectors:
    """A named table of simple selectors, run as one query.

    ``first`` gives each name its first match; names listed in ``many`` get every match, in
    document order. A node answers the first name (in table order) whose selector it matches;
    when only one selector of the table ends in what the node is, the engine has checked the
    rest of that selector already and no ancestor needs looking at.
    """

    def __init__(self, table: dict[str, str], many: tuple[str, ...] = ()):
        self.table = dict(table)
        self.many = frozenset(many)
        self._css = ", ".join(table.values())
        # chains indexed by what their last step names (an id, else a class, else a tag), so a found
        # node is matched by dictionary look-ups instead of trying every selector
        self._by_id: dict[str, list] = {}
        self._by_cls: dict[str, list] = {}
        self._by_tag: dict[str, list] = {}
        for order, (name, sel) in enumerate(table.items()):
            chain = [_Simple.parse(s) for s in sel.split()]
            last = chain[-1]
            index = (self._by_id, last.id) if last.id else (self._by_cls, last.cls) if last.cls else (
                self._by_tag, last.tag)
            index[0].setdefault(index[1], []).append((order, name, chain))
        # One-step selectors by the tag they name, in table order, for ``match``: a node's attributes
        # are read only when its tag has a selector that needs them (the key None: selectors of any tag).
        one = [(order, _Simple.parse(sel)) for order, sel in enumerate(table.values()) if " " not in sel.strip()]
        names = list(table)
        self._one: dict[str | None, list[tuple[str, str | None, str | None]]] = {}
        for tag in {s.tag for _, s in one} | {None}:
            self._one[tag] = [(names[o], s.id, s.cls) for o, s in one if s.tag in (tag, None)]
        # ... and, for tags no id selector applies to, the answer to a node of one class (or none) as
        # two dictionary look-ups: (name for any class, {class: name}); None where ids need a look.
        self._fast: dict[str | None, tuple[str | None, dict[str, str]] | None] = {}
        for tag, entries in self._one.items():
            if any(id_ is not None for _, id_, _ in entries):
                self._fast[tag] = None
                continue
            plain = next((name for name, _, cls in entries if cls is None), None)
            classed: dict[str, str] = {}
            for name, _, cls in entries:
                if cls is None:
                    break  # a selector of the bare tag answers every class after it
                classed.setdefault(cls, name)
            self._fast[tag] = (plain, classed)

    def first(self, root: LexborNode | None) -> dict:
        """name -> first matching node under ``root`` (None when none); name -> list for ``many``."""
        out: dict = {name: [] if name in self.many else None for name in self.table}
        if root is None:
            return out
        by_id, by_cls, by_tag, many = self._by_id, self._by_cls, self._by_tag, self.many
        for node in select(root, self._css):
            tag = node.tag
            cands = list(by_tag.get(tag, ()))
            id_ = node.id if by_id else None
            if id_ and id_ in by_id:
                cands += by_id[id_]
            classes: list[str] = []
            if by_cls:
                klass = node.attrs.get("class")
                if klass:
                    classes = klass.split()
                    for c in classes:
                        if c in by_cls:
                            cands += by_cls[c]
            if len(cands) > 1 or (cands and cands[0][2][-1].tag and cands[0][2][-1].cls):
                cands = [c for c in cands if c[2][-1].matches_parts(tag, id_, classes)]
            if len(cands) > 1:  # the engine matched one of them: find which, by the ancestors
                cands.sort(key=_order)
                cands = [next((c for c in cands if len(c[2]) == 1 or _ancestors_match(node, c[2][:-1], root)),
                              cands[-1])]
            for _, name, _ in cands:
                if name in many:
                    out[name].append(node)
                elif out[name] is None:
                    out[name] = node
        return out


    def walk(self, root: LexborNode | None) -> dict:
        """Like ``first``, by walking the subtree in Python: cheaper than the engine for a small
        region, or for nodes near the start of a large one (the walk stops once every name of a
        table without ``many`` has its node), and a table of one-step selectors (ids only: one
        attribute read per element)."""
        out: dict = {name: [] if name in self.many else None for name in self.table}
        if root is None:
            return out
        ids_only = not self._by_tag and not self._by_cls
        left = -1 if self.many else len(self.table)  # names still without a node (-1: walk it all)
        for node in root.traverse():
            if ids_only:
                hit = self._by_id.get(node.id) if node.id else None
                name = hit[0][1] if hit else None
            else:
                name = self.match(node)
            if name is None:
                continue
            if name in self.many:
                out[name].append(node)
            elif out[name] is None:
                out[name] = node
                left -= 1
                if left == 0:
                    break
        return out

    def tag_tables(self) -> dict[str | None, tuple[str | None, dict[str, str]] | None]:
        """What ``match`` looks up, for a walk that inlines it: tag (None: any other) -> (the name
        of a node with no class or one the table does not name, {class: name}), or None where an
        id selector applies. A node of several classes needs ``match``."""
        return self._fast

    def match(self, node: LexborNode, attrs: dict | None = None) -> str | None:
        """The name a node answers to by its own tag, id and class (one-step selectors only).
        Called for many nodes in a walk, so it reads the attributes (or takes ``attrs``, the
        node's when the caller has them) only for tags some selector needs them for."""
        tag = node.tag
        fast = self._fast.get(tag, self._fast[None]) if tag in self._fast else self._fast[None]
        if fast is not None:
            plain, classed = fast
            if not classed:
                return plain
            klass = (attrs if attrs is not None else node.attributes).get("class")
            if not klass:
                return plain
            hit = classed.get(klass)
            if hit is not None:
                return hit
            if " " not in klass and klass.isprintable():  # one class, none of the table's
                return plain
            attrs = attrs if attrs is not None else node.attributes
        return self._match_slow(node, tag, attrs)

    def _match_slow(self, node: LexborNode, tag: str | None, attrs: dict | None) -> str | None:
        entries = self._one.get(tag)
        if entries is None:
            entries = self._one[None]
        classes = None
        for name, id_, cls in entries:
            if id_ is None and cls is None:
                return name
            if attrs is None:
                attrs = node.attributes
            if id_ is not None:
                if attrs.get("id") == id_:
                    return name
                continue
            if classes is None:
                classes = (attrs.get("class") or "").split()
            if cls in classes:
                return name
        return None


def _order(cand: tuple) -> int:
    return cand[0]


def _ancestors_match(node: LexborNode, chain: list[_Simple], root: LexborNode) -> bool:
    """Do the ancestors of ``node``, up to ``root``, hold the chain's selectors in order?"""
    want = len(chain) - 1
    up = node.parent
    while want >= 0 and up is not None:
        if chain[want].matches(up):
            want -= 1
        if up.mem_id == root.mem_id:
            break
        up = up.parent
    return want < 0


def block_text(node: LexborNode | None) -> str | None:
    """A node's text with <br> as line breaks, outer white space removed."""
    if node is None:
        return None
    parts: list[str] = []
    for n in node.traverse(include_text=True):  # (tag ids, not tag names: a PGP key is many lines)
        tid = n.tag_id
        if tid == TEXT_ID:
            parts.append(n.text_content or "")
        elif tid == BR_ID:
            parts.append("\n")
    t = "".join(parts).strip()
    return t or None


def next_element(node: LexborNode) -> LexborNode | None:
    """The next sibling that is an element, skipping text and comments."""
    n = node.next
    while n is not None and not n.is_element_node:
        n = n.next
    return n


def child(node: LexborNode | None, tag: str, last: bool = False) -> LexborNode | None:
    """The first (or last) element child of ``node`` with this tag."""
    tid = _CHILD_IDS[tag] if tag in _CHILD_IDS else _CHILD_IDS.setdefault(tag, static_tag_id(tag))
    found = None
    c = node.first_child if node is not None else None
    while c is not None:  # (a sibling walk: cheaper than iter()'s generator for the few nodes seen)
        if (c.tag_id == tid) if tid is not None else (c.tag == tag):
            if not last:
                return c
            found = c
        c = c.next
    return found


_CHILD_IDS: dict[str, int | None] = {}


def children(node: LexborNode, tag: str) -> list[LexborNode]:
    return [c for c in node.iter() if c.tag == tag]


def has_class(node: LexborNode, name: str) -> bool:
    klass = node.attributes.get("class")
    return klass == name or (klass is not None and name in klass.split())  # (mostly one class: no split)
