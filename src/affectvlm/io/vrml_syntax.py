"""VRML 2.0 syntax: comments, tokens, the node tree and fast numeric lists (FORMATS §0).

Only the node types a face mesh needs are parsed field by field; every other node is
skipped by bracket matching. Numeric ``[ ... ]`` lists are kept as their byte range in the
file (:class:`NumberList`, nothing copied), to be turned into numbers in one vectorised,
chunked pass each (``numeric_text.parse_numbers``) when a reader asks for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from affectvlm.io.errors import ScanFormatError
from affectvlm.io.numeric_text import parse_numbers

HEADER = b"#VRML V2.0 utf8"
MAX_DEPTH = 100
"""Deepest node nesting parsed (face files nest 3-5 deep); bounds the parser's recursion."""
PARSED_NODES = frozenset(
    {
        "Transform", "Group", "Collision", "Anchor", "Billboard", "Switch", "LOD", "Shape",
        "Appearance", "ImageTexture", "IndexedFaceSet", "Coordinate", "TextureCoordinate",
        "Color",
    }
)  # fmt: skip

_TOKEN = re.compile(
    rb'(?:[\s,]|#[^\r\n]*)*(?:("(?:[^"\\]|\\.)*")|([\[\]{}])|([^\s,\[\]{}"#]+))', re.S
)
_COMMENT = re.compile(rb"#[^\r\n]*")
# runs, not single bytes, per repetition: re keeps ~130 bytes of state per repetition
_LIST_BODY = re.compile(rb'(?:[^\]{}"#]+|#[^\r\n]*)*')
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(rb'[\[\]{}"#]')
_CLOSER = {b"[": b"]", b"{": b"}"}
_BLANK = re.compile(rb"[\s,]*")
_NUMBER_FIRST = re.compile(rb"[\s,]*[-+.0-9]")


@dataclass(frozen=True)
class NumberList:
    """A ``[ ... ]`` list of numbers as the byte range ``data[start:stop]``, parsed on demand."""

    data: bytes
    start: int
    stop: int

    def has(self, needle: bytes) -> bool:
        return self.data.find(needle, self.start, self.stop) >= 0

    def is_blank(self) -> bool:
        return _BLANK.fullmatch(self.data, self.start, self.stop) is not None

    def parse(self, dtype: type, what: str, path: Path) -> np.ndarray:
        return parse_numbers(self.data, dtype, what, path, self.start, self.stop)


@dataclass
class Node:
    """A parsed node. Field values: ``Node``, ``list`` (of nodes or strings), ``NumberList``
    (a numeric list), ``tuple`` of floats, or ``str`` (a bare word such as ``TRUE``)."""

    type: str
    fields: dict[str, Any] = field(default_factory=dict)
    pos: int = 0


def check_header(data: bytes, path: Path) -> None:
    """Reject anything whose first line is not the VRML 2.0 header (VRML 1.0 by name)."""
    first = data[:200].split(b"\n", 1)[0].strip()
    if first.startswith(HEADER):
        return
    if first.startswith(b"#VRML V1.0"):
        raise ScanFormatError(path, "VRML 1.0 is not supported; expected header '#VRML V2.0 utf8'")
    shown = first[:40].decode("ascii", "replace")
    raise ScanFormatError(path, f"missing VRML 2.0 header '#VRML V2.0 utf8' (first line {shown!r})")


def _line(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _is_number(tok: bytes) -> bool:
    return tok[:1] in (b"-", b"+", b".") or tok[:1].isdigit()


class Parser:
    """Recursive-descent parser over VRML bytes; ``#`` comments count as whitespace."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0
        self.defs: dict[str, Node] = {}
        self.depth = 0

    def fail(self, reason: str, pos: int | None = None) -> NoReturn:
        line = _line(self.data, self.pos if pos is None else pos)
        raise ScanFormatError(self.path, f"{reason} (line {line})")

    def peek(self) -> bytes | None:
        match = _TOKEN.match(self.data, self.pos)
        if match is None:
            if _COMMENT.sub(b"", self.data[self.pos :]).strip(b" \t\r\n\f\v,"):
                self.fail("unterminated string")
            return None
        return match.group(match.lastindex)

    def take(self, expecting: str) -> bytes:
        match = _TOKEN.match(self.data, self.pos)
        if match is None:
            self.peek()  # raises for an unterminated string
            self.fail(f"end of file while expecting {expecting} (truncated file?)")
        self.pos = match.end()
        return match.group(match.lastindex)

    def parse(self) -> list[Node]:
        """All top-level nodes (PROTO/ROUTE statements are skipped)."""
        nodes = []
        while (tok := self.peek()) is not None:
            if tok in (b"]", b"}"):
                self.fail(f"unbalanced brackets: unexpected {tok.decode()!r} at top level")
            node = self.statement(self.take("a node"))
            if node is not None:
                nodes.append(node)
        return nodes

    def statement(self, tok: bytes) -> Node | None:
        if tok == b"ROUTE":  # ROUTE a.b TO c.d
            for _ in range(3):
                self.take("ROUTE")
            return None
        if tok in (b"PROTO", b"EXTERNPROTO"):
            self.take(f"{tok.decode()} name")
            self.skip_block(self.take("'['"), tok.decode())
            if tok == b"PROTO":
                self.skip_block(self.take("'{'"), "PROTO")
            else:
                self.value("EXTERNPROTO url")
            return None
        return self.node(tok)

    def node(self, tok: bytes) -> Node | None:
        start = self.pos
        def_name = None
        if tok == b"DEF":
            def_name = self.take("DEF name").decode("latin-1")
            tok = self.take("node type after DEF")
        elif tok == b"USE":
            name = self.take("USE name").decode("latin-1")
            if name not in self.defs:
                self.fail(f"USE of undefined name {name!r}")
            return self.defs[name]
        if tok == b"NULL":
            return None
        if tok[:1] in b'[]{}"' or _is_number(tok):
            self.fail(f"expected a node type, found {tok.decode('latin-1')!r}")
        type_name = tok.decode("latin-1")
        if self.take(f"'{{' after {type_name}") != b"{":
            self.fail(f"expected '{{' after node type {type_name}")
        node = Node(type_name, pos=start)
        if type_name in PARSED_NODES:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self.fail(f"nodes nested more than {MAX_DEPTH} deep", start)
            node.fields = self.fields(type_name)
            self.depth -= 1
        else:
            self.skip_block(b"{", type_name)
        if def_name is not None:
            self.defs[def_name] = node
        return node

    def fields(self, type_name: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        while (tok := self.take(f"'}}' closing {type_name}")) != b"}":
            if tok[:1] in b'[]{"' or _is_number(tok):
                self.fail(f"unexpected {tok.decode('latin-1')!r} in {type_name} (unbalanced?)")
            name = tok.decode("latin-1")
            fields[name] = self.value(name)
        return fields

    def value(self, name: str) -> Any:
        tok = self.take(f"a value for {name}")
        if tok == b"[":
            return self.list_value(name)
        if tok[:1] == b'"':
            return [_unquote(tok)]
        if tok in (b"]", b"{", b"}"):
            self.fail(f"unexpected {tok.decode()!r} after field {name} (unbalanced brackets)")
        if _is_number(tok):
            words = [tok]
            while (nxt := self.peek()) is not None and _is_number(nxt):
                words.append(self.take(name))
            try:
                return tuple(float(w) for w in words)
            except ValueError:
                shown = b" ".join(words)[:80].decode("latin-1")
                self.fail(f"non-numeric value in field {name}: {shown!r}")
        if tok in (b"DEF", b"USE") or self.peek() == b"{":
            return self.node(tok)
        return tok.decode("latin-1")

    def list_value(self, name: str) -> Any:
        start = self.pos
        close = self.data.find(b"]", start)
        segment = NumberList(self.data, start, close if close >= 0 else len(self.data))
        if segment.has(b"#"):  # rare: a comment inside a list may hide brackets
            end = _LIST_BODY.match(self.data, start).end()
            stop = self.data[end : end + 1]
            if stop in (b"]", b""):
                close = end if stop else -1
                text = _COMMENT.sub(b" ", self.data[start:end])
                segment = NumberList(text, 0, len(text))
            else:  # a node or string list: parsed token by token below
                segment = NumberList(stop, 0, len(stop))
        # a numeric list; ``[ USE a USE b ]`` (node references only) is parsed token by token.
        # One that starts with a number holds no node or string: skip those searches.
        if _NUMBER_FIRST.match(segment.data, segment.start, segment.stop) or not (
            segment.has(b"{")
            or segment.has(b'"')
            or (segment.has(b"U") and segment.has(b"USE"))  # a one-byte search first: faster
        ):
            if close < 0:
                self.fail(f"end of file inside the [ ] list of {name} (truncated file?)", start)
            if segment.has(b"[") or segment.has(b"}"):
                self.fail(f"unbalanced brackets inside the [ ] list of {name}", start)
            self.pos = close + 1
            return segment
        items: list[Any] = []
        while (tok := self.take(f"']' closing the list of {name}")) != b"]":
            if tok[:1] == b'"':
                items.append(_unquote(tok))
            elif tok in (b"[", b"{", b"}") or _is_number(tok):
                self.fail(f"unbalanced brackets inside the [ ] list of {name}", start)
            else:
                node = self.node(tok)
                if node is not None:
                    items.append(node)
        return items

    def skip_block(self, opener: bytes, what: str) -> None:
        """Skip to the bracket matching ``opener`` (just consumed), checking nesting."""
        if opener not in _CLOSER:
            self.fail(f"expected '[' or '{{' in {what}")
        stack = [opener]
        start = pos = self.pos
        while stack:
            match = _BRACKET.search(self.data, pos)
            if match is None:
                self.fail(f"end of file inside {what} {{ }} (unbalanced brackets)", start)
            char = match.group()
            if char == b"#":
                end = _COMMENT.match(self.data, match.start())
                pos = end.end()
                continue
            if char == b'"':
                string = _STRING.match(self.data, match.start())
                if string is None:
                    self.fail("unterminated string", match.start())
                pos = string.end()
                continue
            if char in _CLOSER:
                stack.append(char)
            elif char != _CLOSER[stack.pop()]:
                self.fail(f"unbalanced brackets: {char.decode()!r} inside {what}", match.start())
            pos = match.end()
        self.pos = pos


def _unquote(tok: bytes) -> str:
    return re.sub(rb"\\(.)", rb"\1", tok[1:-1]).decode("utf-8", "replace")
