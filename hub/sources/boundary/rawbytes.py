"""The first checks on raw bytes, before any parser: size, emptiness, encoding, format.

They come first so a garbage or oversized file costs nothing: nothing is decoded past the
limit and nothing is handed to a parser that has no business with it.
"""

from __future__ import annotations

import re

from hub.sources.boundary.model import Format, GateRejection

DEFAULT_LIMIT = 1024 * 1024  # 1 MiB: a CAP alert with an embedded image is ~30 KiB
BOM = b"\xef\xbb\xbf"
_XML_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def check_size(data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise GateRejection(
            "too_large",
            f"文件超过 {limit} 字节",
            f"file over {limit} bytes",
            limit=f"{limit} bytes",
        )
    if not data.strip(b" \t\r\n" + BOM):
        raise GateRejection("empty", "文件为空", "file is empty")


def sniff(data: bytes, content_type: str | None = None) -> Format:
    """Which parser: by content type when the API gave one, else by the first bytes."""
    if content_type:
        ct = content_type.split(";")[0].strip().lower()
        if ct in ("application/cap+xml", "application/xml", "text/xml"):
            return "cap"
        if ct == "application/emergency+json":
            return "eido"
        if ct == "application/json":
            return "json"
    head = data.removeprefix(BOM).lstrip()[:1]
    if head == b"<":
        return "cap"
    if head in (b"{", b"["):
        return "eido" if b'"eidoVersion"' in data else "json"
    raise GateRejection(
        "garbage",
        "无法识别的文件：既不是 JSON 也不是 XML",
        "unrecognised file: neither JSON nor XML",
    )


def utf8_text(data: bytes) -> str:
    """JSON must be UTF-8 (RFC 8259); a BOM is tolerated, as real exports write one."""
    try:
        return data.removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise GateRejection(
            "not_utf8",
            f"不是 UTF-8 编码（第 {line} 行，字节偏移 {e.start}）",
            f"not UTF-8 (line {line}, byte offset {e.start})",
            line=line,
        ) from None


def xml_encoding(data: bytes) -> str:
    """The encoding an XML file declares (UTF-8 when it declares none)."""
    m = _XML_DECL.match(data.removeprefix(BOM).lstrip())
    return m.group(1).decode("ascii").lower() if m else "utf-8"
