"""Load YAML, JSON and TOML documents safely, keeping the line number of every value.

Used for student answers files and for instructor files alike. Whatever the format,
the result is plain data (dict, list, str, int, float, bool, None) and a map from
paths to 1-based line numbers, so that every later message can say
``answers.yaml:12: ...``.

Safety (the input is untrusted):

- A size limit is checked before anything is parsed.
- YAML is parsed to events with the safe parser (libyaml when available) and the
  node tree is built here, without recursion in the parser: explicit tags other than
  the standard scalar and collection tags are refused before anything is
  constructed, and so are recursive aliases. The number of values the aliases
  would expand to is counted *before* anything is expanded, so a billion-laughs
  document is refused after reading it once. Nesting depth is limited.
- JSON and TOML use the standard library; nesting depth and value count are
  limited as for YAML; duplicate JSON keys are an error (TOML refuses them itself).

YAML conventions (YAML 1.1, as ``yaml.SafeLoader``):

- ``yes/no/on/off/true/false`` (any of the usual cases) are booleans.
- One addition to YAML 1.1: a number with an exponent and no dot (``1e-4``) is a
  float, as in YAML 1.2 and JSON (SafeLoader reads it as a string, a classic trap
  for reported errors like ``mse: 1e-4``).
- Mapping keys are always strings: a key ``1`` is ``"1"`` (the text as written),
  ``true``/``yes`` is ``"true"``, ``false``/``no`` is ``"false"``, ``null``/``~`` is
  ``"null"``. Lists or mappings as keys are an error.
- Dates and times stay strings (``2024-01-31`` is ``"2024-01-31"``), so the data is
  plain.
- Merge keys (``<<: *base``) are supported; explicit keys win over merged ones.
- One document per file; duplicate keys are an error naming both lines.

TOML dates and times become ISO 8601 strings. JSON accepts ``NaN`` and ``Infinity``.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

import yaml

__all__ = ["DataDocument", "DocumentError", "Format", "format_size", "load_document", "size_over_limit"]

Format = Literal["yaml", "json", "toml"]
Path_ = tuple[str | int, ...]

_SUFFIX_FORMATS: dict[str, Format] = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}


class DocumentError(Exception):
    """A document that cannot be used; ``str()`` is ``"file:line: message"`` on one line."""

    def __init__(self, filename: str, line: int | None, message: str) -> None:
        self.filename = filename
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.filename}: {self.message}"
        return f"{self.filename}:{self.line}: {self.message}"


@dataclass(frozen=True)
class DataDocument:
    """Plain data read from one file, and where each value came from."""

    data: Any
    filename: str
    lines: Mapping[Path_, int] = field(default_factory=dict, repr=False, compare=False)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The 1-based line of the value at ``path`` (for a mapping entry, its key's line).

        Where that value is unknown (absent, or a position the format does not
        record), the line of the nearest known ancestor; None when nothing is known.
        A string segment made of digits indexes a list as well as an integer does.
        """
        key = self._normalize(path)
        for n in range(len(key), -1, -1):
            line = self.lines.get(key[:n])
            if line is not None:
                return line
        return None

    def _normalize(self, path: Sequence[str | int]) -> Path_:
        out: list[str | int] = []
        node: Any = self.data
        for seg in path:
            if isinstance(node, list) and isinstance(seg, str) and seg.isdigit():
                seg = int(seg)
            out.append(seg)
            if isinstance(node, dict) and isinstance(seg, str):
                node = node.get(seg)
            elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
                node = node[seg]
            else:
                node = None
        return tuple(out)


def format_size(n: int) -> str:
    """A byte count for people: ``5.2 MB``, ``12.0 kB``, ``900 bytes`` (decimal units)."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n} bytes"


def size_over_limit(size: int, limit: int) -> str:
    """``"file is 5.2 MB, the limit is 1.0 MB"`` (exact byte counts where rounding hides the excess)."""
    shown, allowed = format_size(size), format_size(limit)
    if shown == allowed:  # 1000001 bytes vs 1000000 would both read "1.0 MB"
        shown, allowed = f"{size} bytes", f"{limit} bytes"
    return f"file is {shown}, the limit is {allowed}"


def load_document(
    source: str | bytes,
    *,
    filename: str,
    fmt: Format | None = None,
    max_bytes: int = 1_000_000,
    max_nodes: int = 200_000,
    max_depth: int = 64,
) -> DataDocument:
    """Parse ``source`` (the content of ``filename``) into a :class:`DataDocument`.

    ``fmt`` defaults from the suffix of ``filename``. Raises :class:`DocumentError`
    for anything unusable: too large, not UTF-8, a syntax error, a disallowed tag,
    an alias bomb, too deep, duplicate keys, more than one YAML document.
    """
    if fmt is None:
        fmt = _SUFFIX_FORMATS.get(PurePosixPath(filename).suffix.lower())
        if fmt is None:
            raise DocumentError(filename, None, "unknown format: expected a .yaml, .yml, .json or .toml file")
    raw = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise DocumentError(filename, None, size_over_limit(len(raw), max_bytes))
    text = source if isinstance(source, str) else _decode(raw, filename)
    if text.startswith("\ufeff"):
        text = text[1:]
    limits = _Limits(filename, max_nodes, max_depth)
    if fmt == "yaml":
        data, lines = _load_yaml(text, limits)
    elif fmt == "json":
        data, lines = _load_json(text, limits)
    elif fmt == "toml":
        data, lines = _load_toml(text, limits)
    else:
        raise DocumentError(filename, None, f"unknown format {fmt!r}: expected yaml, json or toml")
    return DataDocument(data=data, filename=filename, lines=lines)


def _decode(raw: bytes, filename: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(filename, 1, "the file is UTF-16 encoded; save it as UTF-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise DocumentError(
            filename, line, f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at column {column}); save the file as UTF-8"
        ) from None


@dataclass(frozen=True)
class _Limits:
    filename: str
    max_nodes: int
    max_depth: int

    def error(self, line: int | None, message: str) -> DocumentError:
        return DocumentError(self.filename, line, message)

    def too_many(self, line: int | None) -> DocumentError:
        return self.error(
            line, f"too many aliases/nodes (the document would expand to more than {self.max_nodes} values)"
        )

    def too_deep(self, line: int | None) -> DocumentError:
        return self.error(line, f"nested deeper than {self.max_depth} levels")


# --------------------------------------------------------------------------- YAML

_T = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = _T + "str", _T + "int", _T + "float", _T + "bool", _T + "null"
_SEQ, _MAP, _MERGE, _TIMESTAMP = _T + "seq", _T + "map", _T + "merge", _T + "timestamp"
_SCALAR_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL})
_FLOAT_WITH_EXPONENT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$")

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_USES_LIBYAML = _BaseLoader is not yaml.SafeLoader


class _YamlLoader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, plus YAML 1.2 floats written with an exponent and no dot."""


_YamlLoader.add_implicit_resolver(_FLOAT, _FLOAT_WITH_EXPONENT, list("-+0123456789."))


class _Node:
    """A composed YAML node: what it is, where it starts, and its expanded size."""

    __slots__ = ("kind", "tag", "value", "text", "line", "size", "height", "start_total", "pending_key")

    def __init__(self, kind: str, tag: str, value: Any, line: int, text: str = "") -> None:
        self.kind = kind  # "scalar", "seq" or "map"
        self.tag = tag
        self.value = value  # python value (scalar), list of nodes (seq), list of (key, value) nodes (map)
        self.text = text  # the scalar as written
        self.line = line
        self.size = 1  # values this node expands to, itself included
        self.height = 0  # nesting levels below and including this node (0 for scalars)
        self.start_total = 0
        self.pending_key: _Node | None = None


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_T) :] if tag.startswith(_T) else tag


def _load_yaml(text: str, limits: _Limits) -> tuple[Any, dict[Path_, int]]:
    root = _compose_yaml(text, limits)
    lines: dict[Path_, int] = {}
    if root is None:
        return None, lines
    return _build(root, (), root.line, lines, limits), lines


def _compose_yaml(text: str, limits: _Limits) -> _Node | None:
    """Build the node tree from parser events, iteratively, refusing what is unsafe."""
    try:
        loader = _YamlLoader(text)
    except yaml.YAMLError as e:  # the pure-Python reader checks characters up front
        raise _yaml_error(e, text, limits) from None
    try:
        return _compose_events(loader, limits)
    except yaml.YAMLError as e:
        raise _yaml_error(e, text, limits) from None
    finally:
        loader.dispose()


def _compose_events(loader: Any, limits: _Limits) -> _Node | None:
    loader.get_event()  # StreamStart
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # DocumentStart
    constructor = yaml.constructor.SafeConstructor()
    anchors: dict[str, _Node] = {}
    stack: list[_Node] = []
    root: _Node | None = None
    total = 0
    while True:
        event = loader.get_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.DocumentEndEvent):
            break
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            node = stack.pop()
            node.size = total - node.start_total
            children = node.value if node.kind == "seq" else [n for pair in node.value for n in pair]
            node.height = 1 + max((c.height for c in children), default=0)
        elif isinstance(event, yaml.AliasEvent):
            target = anchors.get(event.anchor) if event.anchor is not None else None
            if target is None:
                message = f"alias *{event.anchor} refers to no anchor (&{event.anchor}) defined before it"
                raise limits.error(line, message)
            if any(n is target for n in stack):
                message = f"alias *{event.anchor} refers to a value that contains it (a recursive alias)"
                raise limits.error(line, message)
            total += target.size
            if total > limits.max_nodes:
                raise limits.too_many(line)
            if len(stack) + target.height > limits.max_depth:
                raise limits.too_deep(line)
            node = target
        elif isinstance(event, yaml.ScalarEvent):
            total += 1
            if total > limits.max_nodes:
                raise limits.too_many(line)
            node = _scalar_node(event, line, loader, constructor, limits)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            kind, standard = ("seq", _SEQ) if isinstance(event, yaml.SequenceStartEvent) else ("map", _MAP)
            if event.tag not in (None, "!", standard):
                raise limits.error(line, f"tags are not allowed (found {_show_tag(event.tag)}); write plain values")
            total += 1
            if total > limits.max_nodes:
                raise limits.too_many(line)
            if len(stack) + 1 > limits.max_depth:
                raise limits.too_deep(line)
            node = _Node(kind, standard, [], line)
            node.start_total = total - 1
            if event.anchor is not None:
                anchors[event.anchor] = node
            if stack:
                _check_key_position(stack[-1], node, limits)
            stack.append(node)
            continue
        else:  # pragma: no cover - the parser emits nothing else inside a document
            raise limits.error(line, f"unexpected YAML event {type(event).__name__}")
        if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
            anchors[event.anchor] = node
        if not stack:
            root = node
            continue
        parent = stack[-1]
        if parent.kind == "seq":
            parent.value.append(node)
        elif parent.pending_key is None:
            _check_key_position(parent, node, limits)
            parent.pending_key = node
        else:
            parent.value.append((parent.pending_key, node))
            parent.pending_key = None
    event = loader.get_event()
    if not isinstance(event, yaml.StreamEndEvent):
        raise limits.error(
            event.start_mark.line + 1, "a second YAML document starts here ('---'); the file must hold one document"
        )
    return root


def _check_key_position(parent: _Node, node: _Node, limits: _Limits) -> None:
    """A node about to become a mapping key must be a scalar."""
    if parent.kind == "map" and parent.pending_key is None and node.kind != "scalar":
        what = "a list" if node.kind == "seq" else "a mapping"
        raise limits.error(node.line, f"a mapping key must be a plain value (text or a number), not {what}")


def _scalar_node(event: Any, line: int, loader: Any, constructor: Any, limits: _Limits) -> _Node:
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    elif tag not in _SCALAR_TAGS:
        raise limits.error(line, f"tags are not allowed (found {_show_tag(tag)}); write plain values")
    text = event.value
    node = yaml.ScalarNode(tag, text)
    try:
        if tag == _INT:
            value: Any = constructor.construct_yaml_int(node)
        elif tag == _FLOAT:
            value = constructor.construct_yaml_float(node)
        elif tag == _BOOL:
            value = constructor.bool_values[text.lower()]
        elif tag == _NULL:
            value = None
        else:  # str, and implicit timestamps, which stay as written
            value = text
    except (ValueError, KeyError) as e:
        shown = text if len(text) <= 40 else text[:37] + "..."
        reason = f": {e}" if isinstance(e, ValueError) and "limit" in str(e) else ""
        raise limits.error(line, f"{shown!r} is not a valid {_show_tag(tag)}{reason}") from None
    return _Node("scalar", tag, value, line, text)


def _key_string(node: _Node) -> str:
    value = node.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if node.tag in (_INT, _FLOAT):
        return node.text
    return str(value)


def _build(node: _Node, path: Path_, line: int, lines: dict[Path_, int], limits: _Limits) -> Any:
    """Construct plain data (fresh objects, aliases copied) and record lines by path."""
    lines[path] = line
    if node.kind == "scalar":
        return node.value
    if node.kind == "seq":
        return [_build(child, path + (i,), child.line, lines, limits) for i, child in enumerate(node.value)]
    out: dict[str, Any] = {}
    for key, key_line, value in _mapping_entries(node, limits):
        out[key] = _build(value, path + (key,), key_line, lines, limits)
    return out


def _mapping_entries(node: _Node, limits: _Limits) -> list[tuple[str, int, _Node]]:
    """(key, key line, value node) in order: merged keys first, explicit keys win."""
    explicit: dict[str, tuple[int, _Node]] = {}
    merged: dict[str, tuple[int, _Node]] = {}
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            sources = value_node.value if value_node.kind == "seq" else [value_node]
            for source in sources:
                if source.kind != "map":
                    raise limits.error(key_node.line, "a merge key (<<) takes a mapping or a list of mappings")
                for key, key_line, value in _mapping_entries(source, limits):
                    merged.setdefault(key, (key_line, value))
            continue
        key = _key_string(key_node)
        if key in explicit:
            first = explicit[key][0]
            raise limits.error(key_node.line, f"duplicate key {key!r} (first defined on line {first})")
        explicit[key] = (key_node.line, value_node)
    entries = {**merged, **explicit}
    order = list(merged) + [k for k in explicit if k not in merged]
    return [(k, *entries[k]) for k in order]


def _yaml_error(e: yaml.YAMLError, text: str, limits: _Limits) -> DocumentError:
    if isinstance(e, yaml.reader.ReaderError):
        # libyaml reports a byte offset into the UTF-8 text, the Python reader a character index
        prefix = text.encode("utf-8", "surrogatepass")[: e.position] if _USES_LIBYAML else text[: e.position].encode("utf-8", "surrogatepass")
        line: int | None = prefix.count(b"\n") + 1
        return limits.error(line, f"unacceptable character #x{e.character:04x}: {e.reason}")
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        message = f"YAML syntax error: {e.problem or e.context or 'cannot parse'}"
        last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
        if line is not None and line > last_line:  # at the end of the file: cite where the construct began
            message += " at the end of the file"
            line = e.context_mark.line + 1 if e.context_mark is not None else max(last_line, 1)
        if e.problem and e.context and e.context_mark is not None:
            message += f" ({e.context} that starts on line {e.context_mark.line + 1})"
        return limits.error(line, message.replace("\n", " "))
    return limits.error(None, "YAML error: " + " ".join(str(e).split()))


# --------------------------------------------------------------------------- JSON

_JSON_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([{}\[\],:])|([^\s{}\[\],:"]+))', re.DOTALL)


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


def _load_json(text: str, limits: _Limits) -> tuple[Any, dict[Path_, int]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise limits.error(e.lineno, f"JSON syntax error: {e.msg} (column {e.colno})") from None
    except RecursionError:
        _json_positions(text, limits)  # finds the line where the nesting gets too deep
        raise limits.too_deep(None) from None
    except ValueError as e:  # e.g. an integer literal beyond Python's digit limit
        raise limits.error(None, f"JSON value error: {e}") from None
    return data, _json_positions(text, limits)


def _json_positions(text: str, limits: _Limits) -> dict[Path_, int]:
    """Lines of keys and values in already-valid JSON text; refuses duplicates, depth, size."""
    line_of = _LineIndex(text)
    lines: dict[Path_, int] = {}
    # frames: [path, kind, next index or current key, {key: line}, expecting a key]
    stack: list[list[Any]] = []
    count = 0

    def value_path() -> Path_ | None:
        if not stack:
            return ()
        top = stack[-1]
        return tuple(top[0]) + (top[2],)

    pos = 0
    while True:
        m = _JSON_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        string, punct, literal = m.groups()
        line = line_of(m.start(m.lastindex or 0))
        if punct in (",", ":"):
            if punct == "," and stack:
                if stack[-1][1] == "arr":
                    stack[-1][2] += 1
                else:
                    stack[-1][4] = True
            continue
        if punct in ("}", "]"):
            stack.pop()
            continue
        if string is not None and stack and stack[-1][1] == "obj" and stack[-1][4]:
            top = stack[-1]
            key = json.loads(string)
            if key in top[3]:
                raise limits.error(line, f"duplicate key {key!r} (first defined on line {top[3][key]})")
            top[3][key] = line
            top[2], top[4] = key, False
            lines[top[0] + (key,)] = line
            continue
        count += 1
        if count > limits.max_nodes:
            raise limits.too_many(line)
        path = value_path()
        assert path is not None
        lines.setdefault(path, line)
        if punct in ("{", "["):
            if len(stack) + 1 > limits.max_depth:
                raise limits.too_deep(line)
            stack.append([path, "obj", None, {}, True] if punct == "{" else [path, "arr", 0, {}, False])
    return lines


# --------------------------------------------------------------------------- TOML

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_TOML_DOTTED = rf"{_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*"
_TOML_AOT = re.compile(rf"^\s*\[\[\s*({_TOML_DOTTED})\s*\]\]")
_TOML_TABLE = re.compile(rf"^\s*\[\s*({_TOML_DOTTED})\s*\]")
_TOML_ASSIGN = re.compile(rf"^\s*({_TOML_DOTTED})\s*=")


def _load_toml(text: str, limits: _Limits) -> tuple[Any, dict[Path_, int]]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = _TOML_POSITION.search(message)
        line = int(m.group(1)) if m else None
        if m:
            message = f"{message[: m.start()]} (column {m.group(2)})"
        else:
            message = message.replace("(at end of document)", "(at the end of the file)")
        raise limits.error(line, f"TOML syntax error: {message}") from None
    except RecursionError:
        raise limits.too_deep(None) from None
    except ValueError as e:
        raise limits.error(None, f"TOML value error: {e}") from None
    lines = _toml_positions(text)
    counter = [0]
    return _plain_toml(raw, 0, counter, limits), lines


def _plain_toml(value: Any, depth: int, counter: list[int], limits: _Limits) -> Any:
    counter[0] += 1
    if counter[0] > limits.max_nodes:
        raise limits.too_many(None)
    if isinstance(value, dict):
        if depth + 1 > limits.max_depth:
            raise limits.too_deep(None)
        return {k: _plain_toml(v, depth + 1, counter, limits) for k, v in value.items()}
    if isinstance(value, list):
        if depth + 1 > limits.max_depth:
            raise limits.too_deep(None)
        return [_plain_toml(v, depth + 1, counter, limits) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return value


def _toml_key_parts(dotted: str) -> list[str]:
    parts = []
    for raw in re.findall(_TOML_KEY, dotted):
        if raw.startswith('"'):
            try:
                parts.append(json.loads(raw))
            except ValueError:
                parts.append(raw[1:-1])
        elif raw.startswith("'"):
            parts.append(raw[1:-1])
        else:
            parts.append(raw)
    return parts


def _toml_positions(text: str) -> dict[Path_, int]:
    """Best effort: lines of table headers and of ``key = value`` lines."""
    lines: dict[Path_, int] = {(): 1}
    aot_counts: dict[Path_, int] = {}
    table: Path_ = ()
    in_multiline = False
    bracket_depth = 0

    def resolve(parts: list[str]) -> Path_:
        path: Path_ = ()
        for part in parts:
            path += (part,)
            if path in aot_counts:
                path += (aot_counts[path] - 1,)
        return path

    for number, line in enumerate(text.splitlines(), start=1):
        quotes = line.count('"""') + line.count("'''")
        if in_multiline:
            in_multiline = quotes % 2 == 0
            continue
        if bracket_depth > 0:
            bracket_depth += line.count("[") - line.count("]")
            continue
        if m := _TOML_AOT.match(line):
            parts = _toml_key_parts(m.group(1))
            parent = resolve(parts[:-1]) + (parts[-1],)
            aot_counts[parent] = aot_counts.get(parent, 0) + 1
            table = parent + (aot_counts[parent] - 1,)
            lines.setdefault(parent, number)
            lines[table] = number
        elif m := _TOML_TABLE.match(line):
            table = resolve(_toml_key_parts(m.group(1)))
            lines.setdefault(table, number)
        elif m := _TOML_ASSIGN.match(line):
            path = table
            for part in _toml_key_parts(m.group(1)):
                path += (part,)
                lines.setdefault(path, number)
            rest = line[m.end() :]
            in_multiline = quotes % 2 == 1
            if not in_multiline and rest.lstrip().startswith("["):
                bracket_depth = max(0, rest.count("[") - rest.count("]"))
    return lines
