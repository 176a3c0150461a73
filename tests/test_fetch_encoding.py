"""Encodings: WHATWG sniffing over the wire and on saved pages; URLs that name one article."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest

from newsarchiver.fetch import decode_html, read_local
from newsarchiver.fetch.decoding import decode_body
from newsarchiver.fetch.encoding import lookup_label, prescan
from newsarchiver.urls import normalize_url
from tests.faultserver import fast_settings, fetch_once
from tests.localserver import LocalServer

RUSSIAN = ("Правительство объявило о новых мерах поддержки экономики. "
           "Министр финансов сообщил журналистам, что решение принято после "
           "долгого обсуждения с представителями регионов и бизнеса. ") * 4
JAPANESE = ("政府は新しい経済対策を発表しました。財務大臣は記者団に対し、"
            "地方や企業の代表者との長い議論の末に決定したと述べました。") * 4
FRENCH = "Le café du marché a rouvert ses portes : « naïveté » et crème brûlée à 3 €."


def page(body: str, head: str = "") -> str:
    return (f"<!doctype html><html><head>{head}<title>t</title></head>"
            f"<body><p>{body}</p></body></html>")


async def test_a_right_meta_charset_beats_a_wrong_header_charset(server: LocalServer) -> None:
    body = page(FRENCH, '<meta charset="utf-8">').encode("utf-8")
    url = server.page("/wrong-header", body, content_type="text/html; charset=ISO-8859-1")
    result = await fetch_once(fast_settings(), url)
    assert result.encoding == "utf-8"
    assert FRENCH in (result.text or "")


async def test_a_header_claiming_utf8_over_legacy_bytes_yields_to_meta(
        server: LocalServer) -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    body = page(RUSSIAN, meta)
    url = server.page("/cp1251", body.encode("cp1251"), content_type="text/html; charset=utf-8")
    result = await fetch_once(fast_settings(), url)
    assert result.encoding == "windows-1251"
    assert RUSSIAN in (result.text or "")


async def test_a_bom_beats_the_header(server: LocalServer) -> None:
    body = codecs.BOM_UTF8 + page(FRENCH).encode("utf-8")
    url = server.page("/bom", body, content_type="text/html; charset=windows-1252")
    result = await fetch_once(fast_settings(), url)
    assert result.encoding == "utf-8"
    assert (result.text or "").startswith("<!doctype")
    assert FRENCH in (result.text or "")


def test_a_utf16_bom_is_honoured() -> None:
    body = codecs.BOM_UTF16_LE + page(FRENCH).encode("utf-16-le")
    text, encoding = decode_html(body, "text/html; charset=utf-8")
    assert encoding == "utf-16le"
    assert FRENCH in text


@pytest.mark.parametrize(("text", "codec", "encoding", "content_type"), [
    (RUSSIAN, "cp1251", "windows-1251", "text/html; charset=windows-1251"),
    (RUSSIAN, "cp1251", "windows-1251", "text/html; charset=CP1251"),
    (RUSSIAN, "cp1251", "windows-1251", "text/html"),
    (JAPANESE, "shift_jis", "shift_jis", "text/html; charset=Shift_JIS"),
    (JAPANESE, "shift_jis", "shift_jis", "text/html; charset=x-sjis"),
    (JAPANESE, "shift_jis", "shift_jis", "text/html"),
])
async def test_windows_1251_and_shift_jis_pages(server: LocalServer, text: str, codec: str,
                                                encoding: str, content_type: str) -> None:
    url = server.page("/page", page(text).encode(codec), content_type=content_type)
    result = await fetch_once(fast_settings(), url)
    assert result.encoding == encoding
    assert text in (result.text or "")


@pytest.mark.parametrize(("label", "name"), [
    ("latin1", "windows-1252"), ("ISO-8859-1", "windows-1252"), ("ascii", "windows-1252"),
    ("us-ascii", "windows-1252"), ("x-sjis", "shift_jis"), ("shift_jis", "shift_jis"),
    ("gb2312", "gbk"), ("windows-1251", "windows-1251"), (" UTF8 ", "utf-8"),
    ("ks_c_5601-1987", "euc-kr"), ("iso-8859-9", "windows-1254"), ("bogus", None),
])
def test_whatwg_labels(label: str, name: str | None) -> None:
    assert lookup_label(label) == name


def test_latin1_decodes_as_windows_1252() -> None:
    text, encoding = decode_html(b"<p>\x93quoted\x94 \x80</p>", "text/html; charset=iso-8859-1")
    assert (text, encoding) == ("<p>\u201cquoted\u201d \u20ac</p>", "windows-1252")


@pytest.mark.parametrize("head", [
    b'<meta charset="koi8-r">',
    b"<meta charset=koi8-r>",
    b"<META HTTP-EQUIV='content-type' CONTENT='text/html; charset=KOI8-R'>",
    b'<!-- <meta charset="utf-8"> --><meta charset="koi8-r">',
])
def test_meta_prescan(head: bytes) -> None:
    assert prescan(b"<html><head>" + head + b"</head>") == "koi8-r"


def test_meta_after_1024_bytes_is_not_seen() -> None:
    assert prescan(b"<!--" + b"x" * 1100 + b'--><meta charset="koi8-r">') is None


def test_undecodable_bytes_are_replaced_not_fatal() -> None:
    text, encoding = decode_html(b"<p>ok \xff\xfe\xfd end</p>", "text/html; charset=shift_jis")
    assert encoding == "shift_jis"
    assert text.startswith("<p>ok ") and text.endswith(" end</p>")


def test_xml_declaration_is_read_for_xml() -> None:
    xml = "<?xml version='1.0' encoding='windows-1251'?><rss>" + RUSSIAN + "</rss>"
    text, encoding = decode_html(xml.encode("cp1251"), "application/rss+xml")
    assert encoding == "windows-1251" and RUSSIAN in text


def test_read_local_sniffs_like_a_response(tmp_path: Path) -> None:
    saved = tmp_path / "article.html"
    saved.write_bytes(page(RUSSIAN, '<meta charset="windows-1251">').encode("cp1251"))
    result = read_local(saved)
    assert result.final_url == saved.resolve().as_uri()
    assert (result.status, result.encoding) == (200, "windows-1251")
    assert RUSSIAN in (result.text or "")
    named = read_local(str(saved), "https://news.example/a")
    assert (named.url, named.final_url) == ("https://news.example/a", "https://news.example/a")


def test_read_local_reads_gzipped_pages(tmp_path: Path) -> None:
    saved = tmp_path / "article.html.gz"
    saved.write_bytes(gzip.compress(page(FRENCH).encode()))
    assert FRENCH in (read_local(saved).text or "")


def test_decoders_enforce_the_cap_and_the_end() -> None:
    from newsarchiver.errors import ContentEncodingError, ResponseTooLarge, TruncatedResponse

    packed = gzip.compress(b"a" * 100_000)
    assert decode_body(packed, ["gzip"], 100_000) == b"a" * 100_000
    with pytest.raises(ResponseTooLarge):
        decode_body(packed, ["gzip"], 99_999)
    with pytest.raises(TruncatedResponse):
        decode_body(packed[:-10], ["gzip"], 1_000_000)
    with pytest.raises(ContentEncodingError):
        decode_body(b"not gzip at all", ["gzip"], 1_000_000)
    with pytest.raises(ContentEncodingError):
        decode_body(b"x", ["compress"], 1_000_000)
    assert decode_body(gzip.compress(b"a") + gzip.compress(b"b"), ["gzip"], 10) == b"ab"


@pytest.mark.parametrize("wrap", ["zlib", "raw"])
def test_deflate_with_and_without_its_zlib_wrapper(wrap: str) -> None:
    import zlib

    obj = zlib.compressobj(wbits=zlib.MAX_WBITS if wrap == "zlib" else -zlib.MAX_WBITS)
    packed = obj.compress(b"hello " * 100) + obj.flush()
    assert decode_body(packed, ["deflate"], 10_000) == b"hello " * 100


# --- URLs -----------------------------------------------------------------------------------


async def test_an_idn_host_is_fetched_under_its_punycode_name(server: LocalServer) -> None:
    from newsarchiver.fetch import Fetcher
    from newsarchiver.models import FetchRequest

    server.page("/artikel", page(FRENCH))
    url = normalize_url(f"http://Bücher.Example:{server.port}/artikel")
    assert url == f"http://xn--bcher-kva.example:{server.port}/artikel"
    seen: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        seen.append(host)
        return ["127.0.0.1"]

    async with Fetcher(fast_settings(), resolver=resolver) as fetcher:
        result = await fetcher.fetch(FetchRequest(url=url))
    assert result.final_url == url
    assert seen and set(seen) == {"xn--bcher-kva.example"}
    assert server.hits_for("/artikel")[0].headers["host"] == f"xn--bcher-kva.example:{server.port}"


def test_three_tracking_spellings_of_one_article_normalise_to_one_url() -> None:
    spellings = [
        "https://News.Example/story/42?utm_source=twitter&utm_medium=social",
        "https://news.example:443/story/42?fbclid=IwAR0abc#comments",
        "https://news.example/story/42?gclid=xyz&utm_campaign=spring",
    ]
    assert {normalize_url(u) for u in spellings} == {"https://news.example/story/42"}


async def test_three_tracking_spellings_fetch_the_same_page(server: LocalServer) -> None:
    server.page("/story/42", page(FRENCH))
    base = f"http://127.0.0.1:{server.port}/story/42"
    urls = {normalize_url(base + q) for q in ("?utm_source=x", "?fbclid=y", "?gclid=z&_ga=1")}
    assert urls == {base}
    result = await fetch_once(fast_settings(), urls.pop())
    assert FRENCH in (result.text or "")
