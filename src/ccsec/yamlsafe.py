"""YAML a user wrote → plain data plus the line of every key and item, safely and fast.

The deployment file and the waivers file are YAML.  They are read here, never by a general
YAML loader, for three reasons:

* **Safety.**  Aliases are shared, never copied, and the nodes they would expand to are
  counted: a "billion laughs" file (nine anchors of nine aliases each, 457 bytes) is refused
  in microseconds instead of taking 25 s and 3 GB.  An alias to a node that contains it
  (``a: &x [*x]``) is refused; nesting is capped (:data:`MAX_DEPTH`); the document is composed
  with an explicit stack (no recursion, so no RecursionError at any depth); only the standard
  tags are understood; duplicate keys are errors.
* **Lines.**  Every error names ``file:line``: the line of each key and list item is recorded
  beside each mapping and list while composing, and looked up by location path
  (``('hosts', 3, 'public')``) only when there is an error to report.
* **Speed.**  Events come from libyaml through PyYAML's C parser (pure Python PyYAML when the
  extension is missing); one pass builds data and lines.

Plain scalars are resolved by the YAML 1.2 core schema (as ruamel.yaml reads 1.2): ``true`` /
``false``, ``null`` / ``~`` / empty, integers (decimal, ``0o``, ``0x``), floats; everything
else, and every quoted scalar, is a string — ``no`` stays the string "no" (Norway), dates stay
strings.  ``<<`` merge keys work as in YAML 1.1 (common in hand-written files).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ccsec.errors import Problem, UserError, shown, shown_repr

try:  # libyaml: ~10x faster events than the pure-Python parser
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

#: a location inside a document: mapping keys and list indexes from the root
Loc = tuple[str | int, ...]

#: deepest nesting of mappings and lists (a deployment needs 5)
MAX_DEPTH = 64
#: nodes that aliases may stand for in total (each alias counts the nodes of its anchor):
#: generous for anchors reused per site, far below anything that costs time
MAX_ALIAS_NODES = 200_000
#: longest number a scalar may spell (Python refuses to convert > 4,300 digits anyway)
MAX_NUMBER_CHARS = 100

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
         "FALSE": False}
_INT = re.compile(r"[-+]?[0-9][0-9_]*")
_INT_BASE = re.compile(r"[-+]?0(?:o[0-7_]+|x[0-9a-fA-F_]+)")
_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
                    r"|[0-9][0-9_]*[eE][-+]?[0-9]+|\.[0-9_]+(?:[eE][-+]?[0-9]+)?)")
_SPECIAL_FLOAT = {".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
                  "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
                  "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
                  ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan")}
#: first characters of plain scalars that may be something other than a string
_MAYBE_TYPED = frozenset("0123456789+-.~nNtTfF")
_TAG = "tag:yaml.org,2002:"
_STD_TAGS = frozenset({"str", "int", "float", "bool", "null", "map", "seq", "merge"})


class _Refused(Exception):
    """A problem with one node: message, 0-based line, fix (turned into the caller's error)."""

    def __init__(self, message: str, line: int, fix: str) -> None:
        super().__init__(message)
        self.message, self.line, self.fix = message, line, fix


#: beside each mapping and list (by ``id``): its own 0-based line and its children's lines
#: (a dict by key for a mapping, a list by index for a list)
_Lines = dict[int, tuple[int, Any]]


@dataclass
class Document:
    """A composed document: its data, and the lines of its keys and items (for errors)."""

    data: Any
    _lines: _Lines = field(default_factory=dict, repr=False)

    def _steps(self, loc: Loc) -> list[tuple[Any, int]]:
        """(node, 1-based line) along ``loc`` from the root, as far as the document goes."""
        node = self.data
        own = self._lines.get(id(node))
        out = [(node, own[0] + 1 if own else 1)]
        for part in loc:
            rec = self._lines.get(id(node)) if isinstance(node, dict | list) else None
            if rec is None:
                break
            try:
                line = rec[1][part]
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
            out.append((node, line + 1))
        return out

    def line(self, loc: Loc) -> int:
        """The line of ``loc``, or of its nearest ancestor the document has."""
        return self._steps(loc)[-1][1]

    def field(self, loc: Loc) -> str:
        """``hosts[rgr-a].public`` — list items named by their ``name`` where they have one."""
        steps = self._steps(loc)
        out = ""
        for n, part in enumerate(loc):
            if isinstance(part, int):
                item = steps[n + 1][0] if n + 1 < len(steps) else None
                name = item.get("name") if isinstance(item, dict) else None
                out += f"[{shown(name, 80)}]" if isinstance(name, str) and name else f"[{part}]"
            else:
                out += ("." if out else "") + shown(part, 80)
        return out or "(document)"


def _number(text: str, line: int) -> int | float | None:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number of {len(text):,} characters", line,
                       "write a number of at most 100 characters (or quote it as text)")
    digits = text.replace("_", "")
    try:  # the patterns allow underscores anywhere: "0x_" or "._" have no digit left
        if _INT.fullmatch(text):
            return int(digits, 10)
        if _INT_BASE.fullmatch(text):
            sign = -1 if digits[0] == "-" else 1
            body = digits.lstrip("+-")
            return sign * int(body[2:], 8 if body[1] == "o" else 16)
        if _FLOAT.fullmatch(text):
            return float(digits)
    except ValueError:
        return None  # not a number after all: the text itself
    return None


def _plain(text: str, line: int) -> Any:
    """A plain (unquoted, untagged) scalar by the YAML 1.2 core schema."""
    if not text:
        return None
    if text[0] not in _MAYBE_TYPED:
        return text
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if text in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[text]
    if text[0] in "0123456789+-.":
        number = _number(text, line)
        if number is not None:
            return number
    return text


def _tagged(tag: str, text: str, line: int) -> Any:
    """A scalar with an explicit standard tag (``!!str 10``, ``!!int "10"``…)."""
    kind = tag[len(_TAG):] if tag.startswith(_TAG) else ""
    if tag == "!" or kind == "str":
        return text
    if kind not in _STD_TAGS:
        raise _Refused(f"unsupported tag {shown(tag, 60)}", line,
                       "remove it: only plain YAML (mappings, lists, text, numbers) is read")
    if kind == "null" and text in _NULL:
        return None
    if kind == "bool" and text in _BOOL:
        return _BOOL[text]
    if kind in ("int", "float"):
        value = _SPECIAL_FLOAT.get(text) if kind == "float" else None
        value = value if value is not None else _number(text, line)
        if kind == "int" and isinstance(value, int):
            return value
        if kind == "float" and value is not None:
            return float(value)
    raise _Refused(f"value {shown_repr(text, 40)} does not fit its tag {shown(tag, 60)}", line,
                   "remove the tag or fix the value")


def _scalar(event: Any) -> Any:
    tag = event.tag
    if tag is None:
        return event.value if event.style else _plain(event.value, event.start_mark.line)
    if tag == "!" and event.style:
        return event.value
    return _tagged(tag, event.value, event.start_mark.line)


def _check_tag(tag: str | None, kind: str, line: int) -> None:
    if tag is None or tag == "!":
        return
    if not tag.startswith(_TAG) or tag[len(_TAG):] not in _STD_TAGS:
        raise _Refused(f"unsupported tag {shown(tag, 60)}", line,
                       "remove it: only plain YAML (mappings, lists, text, numbers) is read")
    if tag[len(_TAG):] != kind:
        raise _Refused(f"tag {shown(tag, 60)} on a {'mapping' if kind == 'map' else 'list'}",
                       line, "remove the tag")


class _Frame:
    """A mapping or list being composed."""

    __slots__ = ("anchor", "children", "data", "is_map", "key", "key_line", "merged", "nodes")

    def __init__(self, is_map: bool, anchor: str | None) -> None:
        self.is_map = is_map
        self.anchor = anchor
        self.data: Any = {} if is_map else []
        #: a mapping's key lines by key, a list's item lines by index
        self.children: Any = {} if is_map else []
        self.key: str | None = None  # a mapping's key waiting for its value
        self.key_line = 0
        self.nodes = 1  # nodes in this subtree, for alias accounting
        self.merged: set[str] | None = None  # keys a << merge brought (a later key overrides)


class _Composer:
    """Builds data from events: one explicit stack, aliases shared and counted."""

    def __init__(self) -> None:
        self.lines: _Lines = {}
        self.root: Any = None
        self.stack: list[_Frame] = []
        self.top: _Frame | None = None
        #: anchor → (value, nodes); anchors of collections still being composed are in ``open``
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open: set[str] = set()
        self.alias_nodes = 0

    def start(self, is_map: bool, anchor: str | None, line: int) -> None:
        top = self.top
        if top is not None:
            if len(self.stack) >= MAX_DEPTH:
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels", line,
                               "flatten the document")
            if top.is_map and top.key is None:
                raise _Refused("a mapping key must be plain text, not a list or mapping", line,
                               "write the key as text")
            if not top.is_map:
                top.children.append(line)
        if anchor is not None:
            self.open.add(anchor)
        frame = _Frame(is_map, anchor)
        self.lines[id(frame.data)] = (line, frame.children)
        self.stack.append(frame)
        self.top = frame

    def end(self) -> None:
        frame = self.stack.pop()
        self.top = self.stack[-1] if self.stack else None
        if frame.anchor is not None:
            self.open.discard(frame.anchor)
            self.anchors[frame.anchor] = (frame.data, frame.nodes)
        self.value(frame.data, frame.nodes, -1)

    def alias(self, anchor: str, line: int) -> None:
        if anchor in self.open:
            raise _Refused(f"alias *{shown(anchor, 40)} refers to a node that contains it", line,
                           "an alias must point to a complete node defined before it")
        found = self.anchors.get(anchor)
        if found is None:
            raise _Refused(f"alias *{shown(anchor, 40)} has no anchor &{shown(anchor, 40)} "
                           "before it", line, "define the anchor first")
        value, nodes = found
        self.alias_nodes += nodes
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise _Refused(f"aliases stand for more than {MAX_ALIAS_NODES:,} nodes (an alias "
                           "expansion bomb?)", line, "write the repeated parts out, or use "
                           "fewer aliases of large anchors")
        if self.top is not None and not self.top.is_map:
            self.top.children.append(line)
        self.value(value, nodes, line)

    def value(self, value: Any, nodes: int, line: int) -> None:
        """A finished node (``line`` -1 for a collection, whose line is recorded already) into
        the collection being composed, or as the root."""
        top = self.top
        if top is None:
            self.root = value
            return
        top.nodes += nodes
        if not top.is_map:
            top.data.append(value)
        elif top.key is None:
            if line < 0 or isinstance(value, dict | list):
                raise _Refused("a mapping key must be plain text, not a list or mapping",
                               max(line, top.key_line), "write the key as text")
            self.key(top, value if isinstance(value, str) else str(value), line)
        else:
            key, top.key = top.key, None
            if key == "<<" and key not in top.data:
                self.merge(top, value, top.key_line)
            else:
                top.data[key] = value
                if top.merged:
                    top.merged.discard(key)

    def key(self, top: _Frame, key: str, line: int) -> None:
        if key in top.data and not (top.merged and key in top.merged):
            first = top.children[key] + 1
            raise _Refused(f"duplicate key {shown_repr(key, 60)} (first on line {first})", line,
                           "keep one of them")
        top.key, top.key_line = key, line
        top.children[key] = line

    def merge(self, top: _Frame, value: Any, line: int) -> None:
        """``<<: *defaults`` (or a list of them): keys not already present are taken."""
        for src in value if isinstance(value, list) else [value]:
            if not isinstance(src, dict):
                raise _Refused("'<<' merges mappings only", line,
                               "give it a mapping alias or a list of them")
            for k, v in src.items():
                if k not in top.data:
                    top.data[k] = v
                    top.children[k] = line
                    top.merged = top.merged or set()
                    top.merged.add(k)


def _events(loader: Any, c: _Composer) -> None:
    """Feed every parser event to the composer (one loop, no recursion).  The common case —
    an untagged, unanchored scalar as a mapping key, a mapping value or a list item — is
    handled inline: it is most of a deployment's events."""
    get = loader.get_event
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    seq_start, map_start = yaml.SequenceStartEvent, yaml.MappingStartEvent
    seq_end, map_end = yaml.SequenceEndEvent, yaml.MappingEndEvent
    documents = 0
    while True:
        event = get()
        cls = type(event)
        if cls is scalar_event:
            top = c.top
            if top is None or event.anchor is not None or event.tag is not None:
                value = _scalar(event)
                if event.anchor is not None:
                    c.anchors[event.anchor] = (value, 1)
                c.value(value, 1, event.start_mark.line)
                continue
            value = event.value
            if not event.style and (not value or value[0] in _MAYBE_TYPED):
                value = _plain(value, event.start_mark.line)
            top.nodes += 1
            if not top.is_map:
                top.children.append(event.start_mark.line)
                top.data.append(value)
            elif top.key is None:
                c.key(top, value if isinstance(value, str) else str(value),
                      event.start_mark.line)
            elif top.key == "<<" or top.merged:
                c.value(value, 0, event.start_mark.line)
            else:
                top.data[top.key] = value
                top.key = None
        elif cls is map_end or cls is seq_end:
            c.end()
        elif cls is map_start or cls is seq_start:
            line = event.start_mark.line
            _check_tag(event.tag, "map" if cls is map_start else "seq", line)
            c.start(cls is map_start, event.anchor, line)
        elif cls is alias_event:
            c.alias(event.anchor, event.start_mark.line)
        elif cls is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Refused("more than one document in the file", event.start_mark.line,
                               "keep one document (remove the second '---')")
        elif event is None or cls is yaml.StreamEndEvent:
            return


def _error_line(exc: yaml.YAMLError, text: str) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(exc, "position", None)  # ReaderError: a character position
    if isinstance(position, int):
        return text.count("\n", 0, position) + 1
    return None


def compose(text: str, file: str, error: Callable[[Problem], UserError]) -> Document:
    """The document of ``text``; any problem raises ``error(Problem)`` naming ``file:line``."""
    composer = _Composer()
    loader = _Loader(text)
    try:
        _events(loader, composer)
    except _Refused as exc:
        raise error(Problem(f"not valid YAML: {exc.message}", file, exc.line + 1,
                            fix=exc.fix)) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
        raise error(Problem(f"not valid YAML: {shown(problem, 200)}", file,
                            _error_line(exc, text),
                            fix="check indentation, colons and quotes on this line")) from None
    finally:
        loader.dispose()
    return Document(composer.root, composer.lines)
