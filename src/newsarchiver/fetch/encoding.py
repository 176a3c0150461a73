"""Character encoding of HTML bodies, sniffed the WHATWG way.

Order: a byte-order mark; then the charset of the HTTP ``Content-Type``; then a
``<meta>`` prescan of the first 1024 bytes (``charset=`` and ``http-equiv``
``Content-Type``; for XML bodies the ``<?xml encoding=...?>`` declaration); then
detection (UTF-8 validity first, then charset-normalizer); windows-1252 last.

One departure from browsers, because archives outlive servers' mistakes: the HTTP
charset is overruled when the body proves it wrong. A body labelled UTF-8 that is
not valid UTF-8 falls through to ``<meta>`` and detection; a body labelled with a
legacy encoding whose ``<meta>`` says UTF-8 and that *is* valid UTF-8 (with
non-ASCII bytes) is read as UTF-8.

Labels map to encodings as in the WHATWG Encoding Standard (``latin1``, ``ascii``
and ``iso-8859-1`` are windows-1252, ``x-sjis`` is Shift_JIS, ``gb2312`` is GBK,
...). Undecodable bytes are replaced (U+FFFD), never fatal.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# WHATWG encoding name -> (Python codec, labels)
_ENCODINGS: dict[str, tuple[str, str]] = {
    "utf-8": ("utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
    "ibm866": ("cp866", "866 cp866 csibm866 ibm866"),
    "iso-8859-2": ("iso8859-2", "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 "
                   "iso_8859-2 iso_8859-2:1987 l2 latin2"),
    "iso-8859-3": ("iso8859-3", "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 "
                   "iso_8859-3 iso_8859-3:1988 l3 latin3"),
    "iso-8859-4": ("iso8859-4", "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 "
                   "iso_8859-4 iso_8859-4:1988 l4 latin4"),
    "iso-8859-5": ("iso8859-5", "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 "
                   "iso88595 iso_8859-5 iso_8859-5:1988"),
    "iso-8859-6": ("iso8859-6", "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic "
                   "ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 "
                   "iso88596 iso_8859-6 iso_8859-6:1987"),
    "iso-8859-7": ("iso8859-7", "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 "
                   "iso-ir-126 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek"),
    "iso-8859-8": ("iso8859-8", "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e "
                   "iso-ir-138 iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual"),
    "iso-8859-8-i": ("iso8859-8", "csiso88598i iso-8859-8-i logical"),
    "iso-8859-10": ("iso8859-10", "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 "
                    "l6 latin6"),
    "iso-8859-13": ("iso8859-13", "iso-8859-13 iso8859-13 iso885913"),
    "iso-8859-14": ("iso8859-14", "iso-8859-14 iso8859-14 iso885914"),
    "iso-8859-15": ("iso8859-15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9"),
    "iso-8859-16": ("iso8859-16", "iso-8859-16"),
    "koi8-r": ("koi8-r", "cskoi8r koi koi8 koi8-r koi8_r"),
    "koi8-u": ("koi8-u", "koi8-ru koi8-u"),
    "macintosh": ("mac-roman", "csmacintosh mac macintosh x-mac-roman"),
    "windows-874": ("cp874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
    "windows-1250": ("cp1250", "cp1250 windows-1250 x-cp1250"),
    "windows-1251": ("cp1251", "cp1251 windows-1251 x-cp1251"),
    "windows-1252": ("cp1252", "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 "
                     "iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 "
                     "us-ascii windows-1252 x-cp1252 x-user-defined"),
    "windows-1253": ("cp1253", "cp1253 windows-1253 x-cp1253"),
    "windows-1254": ("cp1254", "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 "
                     "iso_8859-9 iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254"),
    "windows-1255": ("cp1255", "cp1255 windows-1255 x-cp1255"),
    "windows-1256": ("cp1256", "cp1256 windows-1256 x-cp1256"),
    "windows-1257": ("cp1257", "cp1257 windows-1257 x-cp1257"),
    "windows-1258": ("cp1258", "cp1258 windows-1258 x-cp1258"),
    "x-mac-cyrillic": ("mac-cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
    "gbk": ("gbk", "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 "
            "x-gbk"),
    "gb18030": ("gb18030", "gb18030"),
    "big5": ("big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    "euc-jp": ("euc_jp", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    "iso-2022-jp": ("iso2022_jp", "csiso2022jp iso-2022-jp"),
    "shift_jis": ("cp932", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j "
                  "x-sjis"),
    "euc-kr": ("cp949", "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 "
               "ks_c_5601-1989 ksc5601 ksc_5601 windows-949"),
    "utf-16be": ("utf-16-be", "unicodefffe utf-16be"),
    "utf-16le": ("utf-16-le", "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 "
                 "utf-16le"),
}
_LABELS = {label: name for name, (_, labels) in _ENCODINGS.items() for label in labels.split()}
_PYTHON_NAMES = {codecs.lookup(py).name: name for name, (py, _) in _ENCODINGS.items()}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16le"),
         (codecs.BOM_UTF16_BE, "utf-16be"))
PRESCAN_BYTES = 1024
_DETECT_BYTES = 256 * 1024

_HEADER_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^\"';,\s]+)", re.IGNORECASE)
_CONTENT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_META = re.compile(r"<meta(?=[\s/])([^>]*)>?", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s=/>]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_XML_DECL = re.compile(r"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")


def lookup_label(label: str | None) -> str | None:
    """The WHATWG encoding name for a label (case and spaces ignored), or None."""
    if not label:
        return None
    return _LABELS.get(label.strip().strip("\"'").lower())


def python_codec(name: str) -> str:
    """The Python codec that decodes WHATWG encoding ``name``."""
    return _ENCODINGS[name][0] if name in _ENCODINGS else name


def header_charset(content_type: str | None) -> str | None:
    """The encoding named by a Content-Type ``charset`` parameter, if known."""
    m = _HEADER_CHARSET.search(content_type or "")
    return lookup_label(m.group(1)) if m else None


def prescan(head: bytes) -> str | None:
    """The encoding a ``<meta>`` in the first 1024 bytes declares (WHATWG prescan, simplified)."""
    text = _COMMENT.sub("", head[:PRESCAN_BYTES].decode("latin-1"))
    for tag in _META.finditer(text):
        attrs: dict[str, str] = {}
        for m in _ATTRIBUTE.finditer(tag.group(1)):
            attrs.setdefault(m.group(1).lower(), (m.group(2) or "").strip("\"'"))
        found = None
        if attrs.get("charset"):
            found = lookup_label(attrs["charset"])
        elif attrs.get("http-equiv", "").lower() == "content-type" and "content" in attrs:
            m2 = _CONTENT_CHARSET.search(attrs["content"])
            found = lookup_label(m2.group(1)) if m2 else None
        if found:
            return "utf-8" if found.startswith("utf-16") else found
    return None


def _xml_declaration(head: bytes) -> str | None:
    m = _XML_DECL.match(head[:PRESCAN_BYTES].decode("latin-1").lstrip())
    return lookup_label(m.group(1)) if m else None


def _utf8(body: bytes) -> str | None:
    """The body decoded as UTF-8, or None if it is not valid UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def detect(body: bytes) -> str:
    """Guess the encoding of a body that declares none."""
    if _utf8(body) is not None:
        return "utf-8"
    best = charset_normalizer.from_bytes(body[:_DETECT_BYTES]).best()
    if best is not None:
        guess = best.encoding
        name = lookup_label(guess) or lookup_label(codecs.lookup(guess).name)
        return name or _PYTHON_NAMES.get(codecs.lookup(guess).name, "windows-1252")
    return "windows-1252"


def _is_xml(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return not media or media.endswith("/xml") or media.endswith("+xml")


def sniff_encoding(body: bytes, content_type: str | None) -> tuple[str, int]:
    """``(WHATWG encoding name, BOM length)`` for ``body``; see the module docstring."""
    name, skip, _ = _sniff(body, content_type)
    return name, skip


def _sniff(body: bytes, content_type: str | None) -> tuple[str, int, str | None]:
    """As :func:`sniff_encoding`, with the text when a UTF-8 check already decoded it."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom), None
    declared = header_charset(content_type)
    if declared == "utf-8" and (text := _utf8(body)) is not None:
        return "utf-8", 0, text  # what follows would say so too, with or without a <meta>
    meta = prescan(body) or (_xml_declaration(body) if _is_xml(content_type) else None)
    if declared is not None and declared != "utf-8":
        # The header's charset holds, unless a <meta> says UTF-8 and the body is UTF-8.
        if meta == "utf-8" and not body.isascii() and (text := _utf8(body)) is not None:
            return "utf-8", 0, text
        return declared, 0, None
    if declared is None and meta == "utf-8" and (text := _utf8(body)) is not None:
        return "utf-8", 0, text  # (a UTF-8 header was tried above)
    if meta is not None and meta != "utf-8":
        return meta, 0, None
    return detect(body), 0, None


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode an HTML body to text: ``(text, WHATWG encoding name)``."""
    name, skip, text = _sniff(body, content_type)
    if text is not None:
        return text, name
    return body[skip:].decode(python_codec(name), errors="replace"), name
