"""OASIS CAP 1.2 checked in code, element by element, as the XSD would.

We do not ship CAP-v1.2.xsd: it is OASIS material, and the project's rule is never to copy
the shared test data into its tree. The schema is small (three nested sequences, a dozen
enumerations, one dateTime pattern), so it is restated here as tables; the tests run the
real XSD from ../shared/data over every sample and over mutated samples and require the
same verdict. Beyond the XSD, CAP 1.2's own text is enforced where the XSD is silent:
`<references>` holds whitespace-separated `sender,identifier,sent` triples (an empty one
is refused on an Update or Cancel: it names nothing to update).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Union

from lxml import etree

from hub.sources.boundary.model import GateRejection

NS = "urn:oasis:names:tc:emergency:cap:1.2"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OLD = {
    "http://www.incident.com/cap/1.0": "1.0",
    "urn:oasis:names:tc:emergency:cap:1.0": "1.0",
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
}
_DATETIME = re.compile(r"\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-,+]\d\d:\d\d")
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")

Check = Callable[[str], str | None]  # the text -> None if fine, else what is expected
Spec = list[tuple[str, int, float, Union["Spec", Check]]]
INF = float("inf")


def _string(_text: str) -> str | None:
    return None


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _any_uri(text: str) -> str | None:
    """xs:anyURI as libxml2 checks it (RFC 3986 after collapsing whitespace): a colon
    before the first `/`, `?` or `#` must end a scheme (a letter, then letters, digits,
    `+ - .`), else the text is neither an absolute URI nor a relative reference. So
    `2026-11-28T14:30:00+08:00` is refused; `x,y` and `12` are relative references."""
    value = " ".join(text.split())
    head = re.split(r"[/?#]", value, maxsplit=1)[0]
    if ":" in head and not _SCHEME.fullmatch(head.split(":", 1)[0]):
        return "a URI"
    return None


def _or_default(check: Check) -> Check:
    """An element the XSD gives a `default` (<language>: en-US): empty, it takes the
    default and is valid, as libxml2 agrees (hypothesis found `<language></language>`)."""

    def inner(text: str) -> str | None:
        return None if text == "" else check(text)

    return inner


def _enum(*values: str) -> Check:
    def check(text: str) -> str | None:  # xs:string keeps whitespace: " Actual" is wrong
        return None if text in values else "one of " + ", ".join(values)

    return check


def _collapsed(pattern: re.Pattern[str], want: str) -> Check:
    def check(text: str) -> str | None:
        return None if pattern.fullmatch(" ".join(text.split())) else want

    return check


def _datetime(text: str) -> str | None:
    value = text.strip()
    want = "a time like 2026-11-28T14:30:00+08:00"
    if not _DATETIME.fullmatch(value):
        return want
    try:
        datetime.fromisoformat(value.replace(",", "+"))
    except ValueError:
        return want
    return None


_PAIR: Spec = [("valueName", 1, 1, _string), ("value", 1, 1, _string)]
_RESOURCE: Spec = [
    ("resourceDesc", 1, 1, _string),
    ("mimeType", 1, 1, _string),
    ("size", 0, 1, _collapsed(_INTEGER, "an integer")),
    ("uri", 0, 1, _any_uri),
    ("derefUri", 0, 1, _string),
    ("digest", 0, 1, _string),
]
_AREA: Spec = [
    ("areaDesc", 1, 1, _string),
    ("polygon", 0, INF, _string),
    ("circle", 0, INF, _string),
    ("geocode", 0, INF, _PAIR),
    ("altitude", 0, 1, _collapsed(_DECIMAL, "a decimal number")),
    ("ceiling", 0, 1, _collapsed(_DECIMAL, "a decimal number")),
]
CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
              "Transport", "Infra", "CBRNE", "Other")  # fmt: skip
_INFO: Spec = [
    ("language", 0, 1, _or_default(_collapsed(_LANGUAGE, "a language tag such as zh-CN"))),
    ("category", 1, INF, _enum(*CATEGORIES)),
    ("event", 1, 1, _string),
    (
        "responseType",
        0,
        INF,
        _enum(
            "Shelter",
            "Evacuate",
            "Prepare",
            "Execute",
            "Avoid",
            "Monitor",
            "Assess",
            "AllClear",
            "None",
        ),
    ),
    ("urgency", 1, 1, _enum("Immediate", "Expected", "Future", "Past", "Unknown")),
    ("severity", 1, 1, _enum("Extreme", "Severe", "Moderate", "Minor", "Unknown")),
    ("certainty", 1, 1, _enum("Observed", "Likely", "Possible", "Unlikely", "Unknown")),
    ("audience", 0, 1, _string),
    ("eventCode", 0, INF, _PAIR),
    ("effective", 0, 1, _datetime),
    ("onset", 0, 1, _datetime),
    ("expires", 0, 1, _datetime),
    ("senderName", 0, 1, _string),
    ("headline", 0, 1, _string),
    ("description", 0, 1, _string),
    ("instruction", 0, 1, _string),
    ("web", 0, 1, _any_uri),
    ("contact", 0, 1, _string),
    ("parameter", 0, INF, _PAIR),
    ("resource", 0, INF, _RESOURCE),
    ("area", 0, INF, _AREA),
]
ALERT: Spec = [
    ("identifier", 1, 1, _string),
    ("sender", 1, 1, _string),
    ("sent", 1, 1, _datetime),
    ("status", 1, 1, _enum("Actual", "Exercise", "System", "Test", "Draft")),
    ("msgType", 1, 1, _enum("Alert", "Update", "Cancel", "Ack", "Error")),
    ("source", 0, 1, _string),
    ("scope", 1, 1, _enum("Public", "Restricted", "Private")),
    ("restriction", 0, 1, _string),
    ("addresses", 0, 1, _string),
    ("code", 0, INF, _string),
    ("note", 0, 1, _string),
    ("references", 0, 1, _string),
    ("incidents", 0, 1, _string),
    ("info", 0, INF, _INFO),
]


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _bad(el: etree._Element, zh: str, en: str, reason: str = "cap_schema") -> GateRejection:
    return GateRejection(reason, zh, en, element=local(el), line=el.sourceline)


def _version(root: etree._Element) -> str | None:
    """The CAP version a non-1.2 document speaks, found on any element's namespace."""
    for el in root.iter():
        if isinstance(el.tag, str):
            ns = etree.QName(el).namespace
            if ns in OLD:
                return OLD[ns]
    return None


def check_alert(root: etree._Element) -> None:
    """Raise a GateRejection unless `root` is a CAP 1.2 alert the XSD accepts."""
    qn = etree.QName(root)
    if qn.namespace != NS or qn.localname != "alert":
        version = _version(root)
        if version:
            raise GateRejection(
                "cap_version",
                f"不支持 CAP {version}，请发送 CAP 1.2",
                f"CAP {version} is not accepted; send CAP 1.2",
                element=qn.localname,
                line=root.sourceline,
            )
        raise _bad(
            root, "不是 CAP 1.2 警报（根元素须为 alert）", "not a CAP 1.2 <alert>", "not_cap"
        )
    _check_complex(root, ALERT)
    refs = root.find(f"{{{NS}}}references")
    msg_type = root.findtext(f"{{{NS}}}msgType")
    # an empty <references/> on an Alert says nothing and is tolerated (a real Taiwanese
    # feed writes one); an Update, Cancel, Ack or Error must name what it refers to
    needed = msg_type != "Alert" or bool((refs.text or "").strip() if refs is not None else "")
    if refs is not None and needed and not _references_ok(refs.text or ""):
        raise _bad(
            refs,
            "references 须为以空格分隔的 sender,identifier,sent",
            "references: whitespace-separated sender,identifier,sent triples",
        )


def _references_ok(text: str) -> bool:
    parts = text.split()
    return bool(parts) and all(len(p.split(",")) >= 3 and all(p.split(",")[:2]) for p in parts)


def _check_attributes(el: etree._Element) -> None:
    for name in el.attrib:
        if etree.QName(name).namespace != XSI:
            raise _bad(el, f"不允许的属性 {name}", f"attribute {name} not allowed")


def _check_complex(el: etree._Element, spec: Spec) -> None:
    _check_attributes(el)
    if (el.text or "").strip():
        raise _bad(el, "此处不允许文字", "text not allowed here")
    children = []
    for child in el:
        if (child.tail or "").strip():
            raise _bad(el, "此处不允许文字", "text not allowed here")
        if isinstance(child.tag, str):
            children.append(child)
    i = 0
    for name, lo, hi, kind in spec:
        n = 0
        while i < len(children) and children[i].tag == f"{{{NS}}}{name}" and n < hi:
            _check_child(children[i], kind)
            n += 1
            i += 1
        if n < lo:
            at = children[i] if i < len(children) else el
            raise GateRejection(
                "cap_schema",
                f"缺少必填元素 <{name}>（在 <{local(el)}> 中）",
                f"required element <{name}> missing in <{local(el)}>",
                element=name,
                line=at.sourceline,
            )
    if spec is ALERT:  # <any namespace="xmldsig" processContents="lax"> closes the alert
        while i < len(children) and etree.QName(children[i]).namespace == DSIG:
            i += 1
    if i < len(children):
        extra = children[i]
        raise _bad(
            extra,
            f"此处不应出现元素 <{local(extra)}>（位置或次数不对）",
            f"element <{local(extra)}> not expected here (wrong place or too many)",
        )


def _check_child(el: etree._Element, kind: Spec | Check) -> None:
    if isinstance(kind, list):
        _check_complex(el, kind)
        return
    _check_attributes(el)
    if any(isinstance(c.tag, str) for c in el):
        raise _bad(
            el, f"<{local(el)}> 只能是文字，不能含子元素", f"<{local(el)}> must be text only"
        )
    want = kind(el.text or "")
    if want is not None:
        raise _bad(
            el,
            f"<{local(el)}> 的值 {el.text!r} 不符合要求：{want}",
            f"<{local(el)}> value {el.text!r}: expected {want}",
        )
