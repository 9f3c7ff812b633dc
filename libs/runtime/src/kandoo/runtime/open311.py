"""Open311 GeoReport v2 answers in either of the spec's formats, JSON or XML.

The XML follows the spec's examples: a list is a root element holding one element per
item (`<service_requests><request>...`), an empty value is an empty element, booleans are
`true`/`false`, and nested lists are named by their plural (`<attributes><attribute>`).
Errors are `[{code, description}]`, in XML `<errors><error>...`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal
from xml.etree import ElementTree as ET

from fastapi.responses import JSONResponse, Response

Format = Literal["json", "xml"]
XML_TYPE = "text/xml; charset=utf-8"
SINGULAR = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "services": "service",
    "service_requests": "request",
}
"""The element of one item inside each plural element."""


def _fill(parent: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _fill(ET.SubElement(parent, str(key)), inner)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        item = SINGULAR.get(parent.tag, "item")
        for inner in value:
            _fill(ET.SubElement(parent, item), inner)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif value is not None:
        parent.text = str(value)


def to_xml(root: str, value: Any) -> bytes:
    """`value` as the document `<root>...</root>`, with an XML declaration."""
    element = ET.Element(root)
    _fill(element, value)
    text: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return text


def answer(value: Any, fmt: Format, root: str, status: int = 200) -> Response:
    """The same content as JSON, or as XML under `root` (e.g. `service_requests`)."""
    if fmt == "xml":
        return Response(to_xml(root, value), status_code=status, media_type=XML_TYPE)
    return JSONResponse(value, status_code=status)


def error(status: int, description: str, fmt: Format = "json") -> Response:
    """The spec's error answer: `[{code, description}]` with the HTTP status."""
    return answer([{"code": status, "description": description}], fmt, "errors", status)


def format_of(path: str) -> Format:
    """The format a path asks for by its ending (`.xml`; JSON otherwise)."""
    return "xml" if path.endswith(".xml") else "json"
