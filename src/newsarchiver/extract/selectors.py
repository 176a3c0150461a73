"""The data of the generic extractor: tags, selectors and class/id signal words.

Everything the body finder knows about page furniture lives here, so that it can be
read, reviewed and tuned in one place. No site is named: per-site rules come from
``sources.toml`` through :class:`~newsarchiver.models.SiteRules`.
"""

from __future__ import annotations

import re

#: Elements that never hold article text; removed with their content before anything else.
DROP_TAGS: tuple[str, ...] = (
    "script", "style", "template", "iframe", "object", "embed", "svg", "math",
    "canvas", "video", "audio", "picture", "img", "source", "track", "map", "button",
    "input", "select", "textarea", "option", "label", "dialog", "figcaption",
)
DROP_SELECTORS: tuple[str, ...] = ("[itemprop=author]", "[rel=author]")

#: Page chrome by tag or attribute: removed with its content unless it holds most of the
#: page's paragraph text (broken markup sometimes leaves the whole page inside a <header>).
CHROME_SELECTORS: tuple[str, ...] = (
    "nav", "aside", "footer", "header", "menu", "noscript",
    "[hidden]", "[aria-hidden=true]",
    "[role=navigation]", "[role=banner]", "[role=contentinfo]", "[role=complementary]",
    "[role=dialog]", "[role=alertdialog]", "[role=search]", "[role=menu]", "[role=menubar]",
    "[role=toolbar]", "[role=tablist]",
    "[style*='display:none' i]", "[style*='display: none' i]",
)

#: Class/id words that mark furniture whatever else the attribute says.
NEGATIVE_STRONG: tuple[str, ...] = (
    "share", "sharing", "social", "newsletter", "subscribe", "subscription", "signup",
    "sign-up", "related", "recommend", "most-read", "mostread", "most-popular", "popular",
    "trending", "comment", "comments", "commentlist", "commenting", "disqus", "cookie",
    "consent", "gdpr", "breadcrumb", "sidebar",
    "popup", "promo", "sponsor", "advert", "outbrain", "taboola",
    "byline", "dateline", "caption", "credit", "footer", "navigation", "navbar", "author-info",
    "author-bio", "authorbio", "author-box", "bio", "paywall", "pagination", "pager",
    "read-more", "readmore", "more-stories", "further-reading", "tags", "tag-list", "keywords",
    "toolbar", "print", "skip", "visually-hidden", "sr-only", "screen-reader", "nav",
    "menu", "masthead", "banner", "ad", "ads", "adslot", "ad-slot", "timestamp", "copyright",
    "login", "follow", "rss", "overlay", "teaser", "inline-ad",
)

#: Class/id words that mark furniture unless a positive word is present too.
NEGATIVE_WEAK: tuple[str, ...] = (
    "header", "meta", "video", "audio", "player", "card", "aside", "hidden", "info", "extra",
    "tool", "utility", "badge", "date", "author", "signature", "embed", "media", "figure",
    "image", "photo", "gallery", "slideshow", "carousel", "links", "list", "widget", "modal",
)

#: Class/id words that mark the article itself.
POSITIVE: tuple[str, ...] = (
    "article", "story", "body", "content", "post", "entry", "text", "main", "blog",
    "column", "prose", "rich-text", "richtext", "paragraph",
)

#: Words shorter than this must be a whole class/id token ("ad" is not "header").
MIN_PREFIX_WORD = 5
#: Words matched only as whole tokens whatever their length ("comment", not "commentary").
WHOLE_WORDS: frozenset[str] = frozenset({"comment", "comments", "commenting"})
#: State modifiers that say what a node contains, not what it is ("has-ads", "no-sidebar").
MODIFIER_RE = re.compile(r"(?:^|-)(?:has|with|no|without|show|hide|is|enable|disable)-[a-z0-9]+")


def _token_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """A regex matching any word at the start of a hyphen-separated token."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        tail = "" if len(word) >= MIN_PREFIX_WORD and word not in WHOLE_WORDS else "(?=-|$)"
        parts.append(re.escape(word) + tail)
    return re.compile(r"(?:^|-)(?:" + "|".join(parts) + ")")


NEGATIVE_STRONG_RE = _token_pattern(NEGATIVE_STRONG)
NEGATIVE_WEAK_RE = _token_pattern(NEGATIVE_WEAK)
POSITIVE_RE = _token_pattern(POSITIVE)

#: Splits a class/id value into lower-case tokens joined by "-" ("relatedArticles" ->
#: "related-articles", "story_body" -> "story-body").
CAMEL_RE = re.compile(r"([a-z0-9])([A-Z])")
SEPARATOR_RE = re.compile(r"[^a-z0-9]+")


#: Blocks that start a new paragraph in the output.
BLOCK_TAGS: tuple[str, ...] = (
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "caption", "figure",
    "address", "hr", "br", "center", "details", "summary", "fieldset", "form",
)
HEADING_TAGS: frozenset[str] = frozenset({"h2", "h3", "h4", "h5", "h6"})

#: Elements whose text is scored as paragraphs when looking for the article container.
PARAGRAPH_SELECTOR = "p, pre, td, blockquote"

#: Containers removed from the chosen body when they look like link lists or widgets.
CONDITIONAL_SELECTOR = "ul, ol, div, section, table, dl, form, p"

#: Short paragraphs that are furniture wherever they appear (matched on the whole text).
FURNITURE_TEXT_RE = re.compile(
    r"^(?:"
    r"(?:©|\(c\)|copyright\b).{0,200}"
    r"|.{0,120}\ball rights reserved\.?"
    r"|(?:by|von|par|por|di|door|av)\s+\S.{0,80}"
    r"|(?:advertisement|anzeige|publicité|publicidad|sponsored( content)?)"
    r"|(?:share|share this|share on \w+|tweet|email|print|comments?|read more|"
    r"continue reading|show more|load more|advertisement|skip to content|"
    r"sign up|subscribe|follow us.{0,40}|listen|play|pause|play live radio|"
    r"listen to this article.{0,40}|image|photo|video)"
    r")$",
    re.IGNORECASE,
)

#: Text that marks a page as something other than an article when it has little text.
NOT_ARTICLE_RE = re.compile(
    r"enable javascript|javascript is (?:disabled|required)|verify you are (?:a )?human|"
    r"are you a robot|captcha|checking your browser|access denied|"
    r"page (?:was )?not found|404 not found|this page (?:doesn.t|does not) exist|"
    r"subscribe to (?:continue|read)|to continue reading|already a subscriber|"
    r"we use cookies|cookie (?:settings|preferences)|accept (?:all )?cookies|"
    r"manage (?:your )?consent",
    re.IGNORECASE,
)

#: Fewer characters of body than this is no article.
MIN_BODY_CHARS = 200
