"""The OpenSearch description: lets a browser add the site as a search engine, with suggestions."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response, current_app, url_for

bp = Blueprint("opensearch", __name__)

NAMESPACE = "http://a9.com/-/spec/opensearch/1.1/"
MIME_TYPE = "application/opensearchdescription+xml"
# The specification's limit for ShortName.
SHORT_NAME_CHARS = 16


def description_xml(site_name: str, search_url: str, suggest_url: str, self_url: str) -> bytes:
    """The description document; the URLs are absolute and end where {searchTerms} is appended."""
    ET.register_namespace("", NAMESPACE)

    def child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs)
        element.text = text
        return element

    root = ET.Element(f"{{{NAMESPACE}}}OpenSearchDescription")
    child(root, "ShortName", site_name[:SHORT_NAME_CHARS])
    child(root, "Description", site_name)
    child(root, "InputEncoding", "UTF-8")
    child(root, "Language", "ja")
    child(root, "Url", type="text/html", method="get", template=f"{search_url}?q={{searchTerms}}")
    child(
        root,
        "Url",
        type="application/x-suggestions+json",
        method="get",
        template=f"{suggest_url}?q={{searchTerms}}&format=opensearch",
    )
    child(root, "Url", type=MIME_TYPE, rel="self", template=self_url)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@bp.get("/opensearch.xml")
def description() -> Response:
    """GET /opensearch.xml, linked from every page's head."""
    body = description_xml(
        current_app.config["SITE_NAME"],
        url_for("pages.search", _external=True),
        url_for("api.suggest", _external=True),
        url_for("opensearch.description", _external=True),
    )
    return Response(body, mimetype=MIME_TYPE)
