"""The line finder: headers and keys found, strings and arrays not mistaken for either."""

from __future__ import annotations

import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.registry import default_registry_path
from hub.registry.locate import ROOT, SourceMap
from tests.hub.registry.small import SMALL

TRICKY = '''\
title = "x"   # line 1
[county]      # line 2, a comment after a header
"quoted key" = 1
dotted.part = 2
center = [
  [1, 2],
  [3],
]
note = """
[[units]]
id = "not-a-key"
"""
raw = \'\'\'
[deadlines]
\'\'\'
after = "has # no comment and a [bracket] \\" quote"

[[units]]
id = "a"
inline = { id = "b", x = [1, 2] }
[[units]]   # second entry
  id = "c"
multi = [
  "x = 1",
]
["quoted table"]
k = 1
'''


def test_scan_finds_headers_and_keys() -> None:
    tomllib.loads(TRICKY)  # the scanner only ever sees valid TOML
    smap = SourceMap.scan(TRICKY)
    assert smap.line_of(ROOT, "title") == 1
    assert smap.line_of(("county", None)) == 2
    assert smap.line_of(("county", None), "quoted key") == 3
    assert smap.line_of(("county", None), "dotted") == 4
    assert smap.line_of(("county", None), "center") == 5
    assert smap.line_of(("county", None), "note") == 9
    assert smap.line_of(("county", None), "raw") == 13
    assert smap.line_of(("county", None), "after") == 16
    assert smap.line_of(("units", 0)) == 18
    assert smap.line_of(("units", 0), "id") == 19
    assert smap.line_of(("units", 0), "inline") == 20
    assert smap.line_of(("units", 1)) == 21
    assert smap.line_of(("units", 1), "id") == 22
    assert smap.line_of(("units", 1), "multi") == 23
    assert smap.line_of(("quoted table", None), "k") == 27


def test_nothing_inside_values_is_taken_for_a_header_or_key() -> None:
    smap = SourceMap.scan(TRICKY)
    assert ("deadlines", None) not in smap.headers  # inside a literal multi-line string
    assert ("units", 2) not in smap.headers  # inside a basic multi-line string
    assert "id" not in smap.keys.get(("county", None), {})
    assert ("1", None) not in smap.headers  # `[3]` inside the center array


def test_unknown_key_falls_back_to_the_header_line() -> None:
    smap = SourceMap.scan(TRICKY)
    assert smap.line_of(("units", 1), "missing") == 21
    assert smap.line_of(("units", 7), "id") is None
    assert smap.line_of(("nowhere", None)) is None


def test_array_written_inline_points_at_its_key() -> None:
    text = 'units = [\n  { id = "a" },\n  { id = "b" },\n]\n'
    smap = SourceMap.scan(text)
    assert smap.line_of(("units", 1), "id") == 1
    assert smap.line_of(("units", None)) == 1
    assert smap.line_of(ROOT, "units") == 1


def test_escaped_quote_in_multiline_string() -> None:
    text = 'a = """one \\""" still inside\n[fake]\n"""\nb = 2\n'
    assert tomllib.loads(text)["b"] == 2
    smap = SourceMap.scan(text)
    assert ("fake", None) not in smap.headers
    assert smap.line_of(ROOT, "b") == 4


FILLERS = ["", "# a comment", "   # [[units]] in a comment", "  ", '# id = "fake"']


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), st.sampled_from(FILLERS)), max_size=25))
def test_lines_follow_inserted_comments_and_blanks(inserts: list[tuple[int, str]]) -> None:
    """Wherever comments and blank lines go, each entry's id is found on its own line."""
    lines = SMALL.splitlines()
    for position, filler in inserts:
        lines.insert(position % (len(lines) + 1), filler)
    text = "\n".join(lines) + "\n"
    doc = tomllib.loads(text)
    smap = SourceMap.scan(text)
    for array, key in (("townships", "id"), ("units", "id"), ("categories", "code")):
        for index, entry in enumerate(doc[array]):
            line = smap.line_of((array, index), key)
            assert line is not None
            assert lines[line - 1] == f'{key} = "{entry[key]}"'


def test_every_entry_of_the_shipped_registry_is_located() -> None:
    text = default_registry_path().read_text(encoding="utf-8")
    lines = text.splitlines()
    doc = tomllib.loads(text)
    smap = SourceMap.scan(text)
    for array, key in (("townships", "id"), ("units", "id"), ("categories", "code")):
        for index, entry in enumerate(doc[array]):
            header = smap.line_of((array, index))
            assert header is not None and lines[header - 1] == f"[[{array}]]"
            line = smap.line_of((array, index), key)
            assert line is not None and lines[line - 1] == f'{key} = "{entry[key]}"'
