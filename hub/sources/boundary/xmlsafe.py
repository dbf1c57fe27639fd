"""Parse XML from the other side of the gate with everything dangerous off.

lxml with entity resolution, DTD loading, network access and huge trees off; comments and
processing instructions dropped; XInclude is never called. On top, any document type
declaration is refused before parsing: a billion-laughs or external-entity file is turned
away having read nothing, rather than relying on each parser flag being right.

lxml was chosen over defusedxml because its elements carry their source line, which
`NAME.why.json` names, and because the tests prove our CAP checks against the real XSD
with lxml's own schema validator.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from hub.sources.boundary.model import GateRejection
from hub.sources.boundary.rawbytes import BOM, utf8_text, xml_encoding

# Encodings a CAP file may declare (ISO-8859-1 is common in US feeds; GB18030 family in
# Chinese ones). UTF-16/32 are refused: nothing in the field sends them and they would
# hide a DOCTYPE from the byte check below.
ENCODINGS = frozenset(
    {"utf-8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso-8859-15",
     "windows-1252", "cp1252", "gbk", "gb2312", "gb18030"}
)  # fmt: skip
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    # one per call: lxml parsers must not be shared between threads
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def parse_xml(data: bytes) -> etree._Element:
    """The root element, or a GateRejection (encoding, DTD, malformed, truncated)."""
    encoding = xml_encoding(data)
    if encoding in ("utf-8", "utf8"):
        utf8_text(data)  # names the line of a bad byte, clearer than libxml2's message
    elif encoding not in ENCODINGS:
        raise GateRejection(
            "encoding",
            f"不支持的 XML 编码 {encoding!r}（可用 UTF-8、ISO-8859-1、GB18030 等）",
            f"unsupported XML encoding {encoding!r} (use UTF-8, ISO-8859-1, GB18030 ...)",
        )
    else:
        try:
            codecs.decode(data, encoding)
        except (UnicodeDecodeError, LookupError):
            raise GateRejection(
                "encoding",
                f"内容与声明的编码 {encoding} 不符",
                f"content does not match the declared encoding {encoding}",
            ) from None
    m = _DTD.search(data)
    if m:
        line = data[: m.start()].count(b"\n") + 1
        raise GateRejection(
            "dtd",
            "拒收：含文档类型定义或实体声明（DOCTYPE/ENTITY），未读取",
            "refused: a DOCTYPE or ENTITY declaration (never expanded, nothing read)",
            line=line,
        )
    try:
        root = etree.fromstring(data.removeprefix(BOM), _parser())
    except etree.XMLSyntaxError as e:
        msg = str(e.msg or e)
        truncated = "Premature end" in msg or "end of data" in msg or "EndTag" in msg
        raise GateRejection(
            "truncated" if truncated else "malformed",
            ("文件不完整（被截断）：" if truncated else "XML 格式错误：") + msg,
            ("truncated file: " if truncated else "malformed XML: ") + msg,
            line=e.lineno,
        ) from None
    except ValueError as e:  # e.g. a declared encoding lxml cannot use
        raise GateRejection("malformed", f"XML 无法解析：{e}", f"unreadable XML: {e}") from None
    if root is None:
        raise GateRejection("empty", "XML 没有根元素", "XML has no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise GateRejection("dtd", "拒收：含文档类型定义", "refused: a document type declaration")
    return root
