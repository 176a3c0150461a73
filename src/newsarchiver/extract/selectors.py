"""The data of the generic extractor: tags, selectors and class/id signal words.

Everything the body finder knows about page furniture lives here, so that it can be
read, reviewed and tuned in one place. No site is named: per-site rules come from
``sources.toml`` through :class:`~newsarchiver.models.SiteRules`.
"""

from __future__ import annotations

import re
from typing import Final

#: Elements that never hold article text; removed with their content before anything else.
DROP_TAGS: Final[tuple[str, ...]] = (
    "script", "style", "template", "iframe", "object", "embed", "svg", "math",
    "canvas", "video", "audio", "picture", "img", "source", "track", "map", "button",
    "input", "select", "textarea", "option", "label", "dialog", "figcaption",
)
#: ... and elements with these attribute values (bylines and dates, read as metadata):
#: ``itemprop`` as written, ``rel`` in any case (as CSS compares it in HTML).
DROP_ITEMPROPS: Final[frozenset[str]] = frozenset({"author", "datePublished", "dateModified"})
DROP_RELS: Final[frozenset[str]] = frozenset({"author"})
#: Links to tag pages (rel-tag): the element holding them is a tag list when it is mostly
#: links.
TAG_LINK_SELECTOR: Final = "a[rel~=tag]"

#: Page chrome by tag or attribute: removed with its content unless it holds most of the
#: page's paragraph text (broken markup sometimes leaves the whole page inside a <header>).
CHROME_TAGS: Final[frozenset[str]] = frozenset(
    {"nav", "aside", "footer", "header", "menu", "noscript"}
)
CHROME_ATTRIBUTE_SELECTORS: Final[tuple[str, ...]] = (
    "[hidden]", "[aria-hidden=true]", "[role]",
    "[style*='display:none' i]", "[style*='display: none' i]",
)
HIDDEN_STYLE_RE: Final = re.compile(r"display: ?none", re.IGNORECASE)

#: Elements judged by their class/id words: not inline text markup nor the rows and cells
#: of a table (a row of a results table may well be class="player-..."), which stand or
#: fall with their container.
#: (One selector, not "[class]:not(...),[id]:not(...)": each element comes once. The
#: attributes come first: lexbor then tries the tag list on fewer elements.)
CLASSED_SELECTOR: Final = ":is([class],[id]):not(span,a,i,b,em,strong,td,tr,th,tbody,thead,tfoot)"

#: Headings whose furniture class/id ("related-posts-title") marks the box they open.
LABEL_TAGS: Final[frozenset[str]] = frozenset({"h2", "h3", "h4", "h5", "h6"})

#: ARIA roles of page chrome ("[role]" above is narrowed to these in code).
CHROME_ROLES: Final[frozenset[str]] = frozenset({
    "navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog", "search",
    "menu", "menubar", "toolbar", "tablist",
})

#: Class/id words that mark furniture whatever else the attribute says.
NEGATIVE_STRONG: Final[tuple[str, ...]] = (
    "share", "sharing", "social", "newsletter", "subscribe", "subscription", "signup",
    "sign-up", "related", "recommend", "most-read", "mostread", "most-popular", "popular",
    "trending", "comment", "comments", "commentlist", "commenting", "disqus", "cookie",
    "consent", "gdpr", "breadcrumb", "sidebar",
    "popup", "promo", "sponsor", "advert", "outbrain", "taboola",
    "byline", "dateline", "caption", "credit", "footer", "navigation", "navbar", "author-info",
    "author-bio", "authorbio", "author-box", "author", "bio", "paywall", "pagination", "pager",
    "read-more", "readmore", "more-stories", "further-reading", "tags", "tag-list", "keywords",
    "toolbar", "print", "skip", "visually-hidden", "sr-only", "screen-reader", "nav",
    "menu", "masthead", "banner", "ad", "ads", "adslot", "ad-slot", "timestamp", "copyright",
    "login", "follow", "rss", "overlay", "inline-ad", "affiliate", "disclaimer",
)

#: Class/id words that mark furniture unless a positive word is present too.
NEGATIVE_WEAK: Final[tuple[str, ...]] = (
    "header", "meta", "video", "audio", "player", "card", "aside", "hidden", "info", "extra",
    "tool", "utility", "badge", "date", "signature", "embed", "media", "figure",
    "image", "photo", "gallery", "slideshow", "carousel", "links", "list", "widget", "modal",
    "teaser",
)

#: Class/id words that mark the article itself.
POSITIVE: Final[tuple[str, ...]] = (
    "article", "story", "body", "content", "post", "entry", "text", "main", "blog",
    "column", "prose", "rich-text", "richtext", "paragraph",
)

#: Words shorter than this must be a whole class/id token ("ad" is not "header").
MIN_PREFIX_WORD: Final = 5
#: Words matched only as whole tokens whatever their length ("comment", not "commentary").
WHOLE_WORDS: Final[frozenset[str]] = frozenset(
    {"comment", "comments", "commenting", "paywall", "links", "pager", "print"}
)
#: State modifiers that say what a node contains, not what it is ("has-ads", "no-sidebar"),
#: and taxonomy prefixes that name the topic of a post ("category-sharing", "tag-social"):
#: a modifier and the token after it are ignored (unless they make a two-token signal
#: word such as "tag-list").
MODIFIERS: Final[frozenset[str]] = frozenset(
    {"has", "with", "no", "without", "show", "hide", "is", "enable", "disable", "category",
     "tag", "format"}
)

#: A class/id value is read as lower-case tokens: split at anything but ASCII letters and
#: digits, and where a lower-case letter or digit meets a capital ("relatedArticles" is
#: "related" + "articles", "story_body" is "story" + "body").
TOKEN_RE: Final = re.compile(r"[A-Z]*[a-z0-9]+|[A-Z]+")

#: The signal bits of a class or id value.
STRONG: Final = 1
WEAK: Final = 2
GOOD: Final = 4


def _signal_tables() -> tuple[dict[str, int], dict[str, tuple[tuple[str, int], ...]]]:
    """Whole-token words, and prefix words indexed by their first five characters."""
    whole: dict[str, int] = {}
    prefix: dict[str, list[tuple[str, int]]] = {}
    for words, bit in ((POSITIVE, GOOD), (NEGATIVE_WEAK, WEAK), (NEGATIVE_STRONG, STRONG)):
        for word in words:
            if word.count("-") > 1:
                raise ValueError(f"signal words span at most two tokens: {word!r}")
            if len(word) < MIN_PREFIX_WORD or word in WHOLE_WORDS:
                whole[word] = whole.get(word, 0) | bit
            else:
                prefix.setdefault(word[:MIN_PREFIX_WORD], []).append((word, bit))
    return whole, {k: tuple(v) for k, v in prefix.items()}


#: Words matched as whole tokens, and words matched at the start of a token.
_SIGNAL_TABLES = _signal_tables()
WHOLE_SIGNALS: Final = _SIGNAL_TABLES[0]
PREFIX_SIGNALS: Final = _SIGNAL_TABLES[1]
#: First tokens of two-token words ("most" of "most-read").
FIRST_PARTS: Final[frozenset[str]] = frozenset(
    w.split("-")[0] for w in NEGATIVE_STRONG + NEGATIVE_WEAK + POSITIVE if "-" in w
)

#: Blocks that start a new paragraph in the output.
BLOCK_TAGS: Final[tuple[str, ...]] = (
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "caption", "figure",
    "address", "hr", "br", "center", "details", "summary", "fieldset", "form",
)
HEADING_TAGS: Final[frozenset[str]] = frozenset({"h2", "h3", "h4", "h5", "h6"})

#: Elements whose text is scored as paragraphs when looking for the article container.
PARAGRAPH_SELECTOR: Final = "p, pre, blockquote"
#: Elements whose own text (outside child elements) is scored as their paragraphs.
TEXT_CONTAINER_SELECTOR: Final = "div, td, section, article, main"

#: Containers removed from the chosen body when they look like link lists or widgets.
CONDITIONAL_SELECTOR: Final = "ul, ol, div, section, table, dl, form, p"

#: Short paragraphs that are furniture wherever they appear (matched on the whole text),
#: and those that end in "all rights reserved" after at most RIGHTS_RESERVED_AFTER
#: characters (searched apart: as an alternative of the pattern above it would be tried
#: at each of those characters of every paragraph).
FURNITURE_TEXT_RE: Final = re.compile(
    r"^(?:"
    r"(?:©|\(c\)|copyright\b).{0,200}"
    r"|(?:by|von|par|por|di|door|av)\s+\S.{0,80}"
    r"|(?:advertisement|anzeige|publicité|publicidad|sponsored( content)?)"
    r"|(?:share|share this|share on \w+|tweet|email|print|comments?|read more|"
    r"continue reading|show more|load more|advertisement|skip to content|"
    r"sign up|subscribe|follow us.{0,40}|listen|play|pause|play live radio|"
    r"listen to this article.{0,40}|image|photo|video)"
    r")$",
    re.IGNORECASE,
)
RIGHTS_RESERVED_RE: Final = re.compile(r"\ball rights reserved\.?$", re.IGNORECASE)
RIGHTS_RESERVED_AFTER: Final = 120
#: The most characters RIGHTS_RESERVED_RE matches (one more than it can, a newline
#: before the end included).
RIGHTS_RESERVED_CHARS: Final = 22

#: A short block (a heading, a label) announcing what follows the article: related
#: stories, more on the topic, the author's bio, comments. Matched on the whole block.
TRAILER_HEADING_RE: Final = re.compile(
    r"^(?:"
    r"related(?: (?:stories|articles|posts|content|coverage|links|topics))?"
    r"|more (?:on this|from|stories|articles|news|to explore|like this)\b.{0,40}"
    r"|(?:you|we think you) (?:may|might|could) (?:also )?(?:like|enjoy|be interested).{0,20}"
    r"|recommended(?: for you| stories| articles)?"
    r"|about the author|(?:\d+ )?comments?|leave a (?:reply|comment)|join the discussion"
    r"|mehr zum thema|mehr (?:themen|artikel|dazu)|das könnte (?:sie|dich) auch interessieren"
    r"|(?:empfohlene|ähnliche|verwandte|weitere) (?:beiträge|artikel|themen|nachrichten)"
    r"|auch interessant|über (?:den|die) autor(?:in)?"
    r"|(?:\d+ )?kommentare?|schreibe(?:n sie)? einen kommentar"
    r"|weiterführende (?:links|informationen)"
    r"|sur le même sujet|(?:les )?articles? (?:similaires|liés)|commentaires?"
    r"|articoli correlati|potrebbe interessarti|commenti"
    r"|te puede interesar|(?:noticias|artículos) relacionad[oa]s|comentarios|komentarze"
    r")[\s:.…»>!?]*$",
    re.IGNORECASE,
)
#: A short block introducing one teaser link inside the article ("Read also", then a
#: headline): both are dropped.
READ_ALSO_RE: Final = re.compile(
    r"^(?:(?:read|see) (?:also|more)|mehr lesen|(?:lesen sie|lies) (?:auch|mehr)"
    r"|(?:à )?lire aussi|leggi anche|(?:lee|leer|ver) también|zobacz (?:też|także)"
    r"|czytaj (?:też|także))[\s:.…»>!?]*$",
    re.IGNORECASE,
)

#: Text that marks a page as something other than an article when it has little text.
NOT_ARTICLE_RE: Final = re.compile(
    r"enable javascript|javascript is (?:disabled|required)|verify you are (?:a )?human|"
    r"are you a robot|captcha|checking your browser|access denied|"
    r"page (?:was )?not found|404 not found|this page (?:doesn.t|does not) exist|"
    r"error 404|404 error|page you (?:were|are) looking for|"
    r"subscribe to (?:continue|read)|to continue reading|already a subscriber|"
    r"we use cookies|cookie (?:settings|preferences)|accept (?:all )?cookies|"
    r"manage (?:your )?consent",
    re.IGNORECASE,
)
#: Every phrase of NOT_ARTICLE_RE holds one of these (lower case). Case-insensitive
#: alternatives cannot be scanned for quickly, so the pattern is only searched in a
#: text that holds one of them.
NOT_ARTICLE_WORDS: Final[tuple[str, ...]] = (
    "javascript", "human", "robot", "captcha", "browser", "denied", "not found", "exist",
    "404", "looking for", "subscri", "continue reading", "cookie", "consent",
)
#: Characters other than ASCII letters that match an ASCII letter case-insensitively
#: (long s, Kelvin sign, dotted and dotless i): a text holding one is searched as it is.
ASCII_FOLDING: Final = frozenset("\u017f\u212a\u0130\u0131")

#: Fewer characters of body than this is no article.
MIN_BODY_CHARS: Final = 80
