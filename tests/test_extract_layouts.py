"""Article layouts found on news sites: what the body must keep and what it must drop.

One small page per layout in ``tests/fixtures/layouts/``, each with its own chrome
(navigation, share bars, ads, sidebars, footers). Pages that hold no article are in
``tests/fixtures/not-articles/`` and must raise :class:`NoArticle` with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from newsarchiver.errors import NoArticle
from newsarchiver.extract import extract
from newsarchiver.models import Article

FIXTURES = Path(__file__).parent / "fixtures"
LAYOUTS = FIXTURES / "layouts"
NOT_ARTICLES = FIXTURES / "not-articles"


@dataclass(frozen=True)
class Layout:
    name: str
    must_contain: tuple[str, ...]
    must_not_contain: tuple[str, ...]
    #: Lines that must appear in ``Article.structured`` (``## `` / ``- `` / ``> `` marks).
    structured: tuple[str, ...] = ()
    title: str | None = None
    language: str | None = None
    authors: tuple[str, ...] | None = None


CASES = (
    Layout(
        "wire-story",
        ("VALPARESO, Coastland (AP) — Dockworkers at the country's largest grain terminal",
         "Union leader Tomas Elbar told reporters",
         "A mediator is expected to meet both sides on Friday morning."),
        ("Support Independent Journalism", "Copyright 2024 The Associated Press",
         "More from AP coverage", "Grain prices rise on export worries", "Copy Link copied",
         "Updated 9:20 AM UTC", "independent global news organization", "U.S. News"),
        title="Port strike halts grain shipments for a third day",
        authors=("Marta Ruiz",),
    ),
    Layout(
        "live-blog",
        ("Police have closed the stone bridge at Amberley",
         "A team of forty army engineers has arrived in Northfield",
         "Good morning and welcome to our live coverage",
         "No injuries have been reported."),
        ("Key events", "Show key events only", "Load more updates", "Copy link",
         "Cookie settings", "The Daily Ledger Ltd"),
        structured=("## Army engineers arrive",),
    ),
    Layout(
        "long-read-pull-quotes",
        ("On a clear night from the top of Skerry Head, Agnes Pirie could count eleven lights",
         "Automation arrived on the Grey Coast slowly and then all at once.",
         "But he always wrote the wind."),
        ("More long reads", "Inside the seed vault", "The Sunday Magazine 2024", "Newsletters"),
        structured=("## The coming of the machines", "## What remains",
                    "> I have kept this light through every storm since the war, and I ask only "
                    "that whoever comes after me keeps the logbook as we did."),
        title="The last lighthouse keepers of the Grey Coast",
    ),
    Layout(
        "listicle",
        ("Shorter days, dry air from radiators and cold draughts",
         "Most houseplants grow slowly in winter and need far less water.",
         "sticky residue on nearby surfaces",
         "leave it until the days lengthen again."),
        ("Popular posts", "Best shade plants", "Follow us", "Buy now",
         "As an affiliate we earn", "Tags: houseplants"),
        structured=("## 1. Water less than you think", "## 7. Don't repot yet",
                    "- tiny pale speckles on the leaves"),
    ),
    Layout(
        "photo-essay",
        ("The salt pans of the Marren estuary have been worked by the same dozen families",
         "Work starts before sunrise, while the crust is still cool.",
         "But the work itself, they say, has hardly changed."),
        ("Wooden rakes rest against a drying shed at dawn.",
         "Lea Brandt, 71, has raked the family pan",
         "Photograph: Oskar Lind/Lens Quarterly", "More photo essays", "The night ferry",
         "All images are copyright"),
        authors=("Oskar Lind",),
    ),
    Layout(
        "opinion-author-bio",
        ("When the county board voted last month to cut branch library hours by a third",
         "The savings on staff time will reappear as missed benefit deadlines",
         "when children are out of school and need them most."),
        ("Dana Whitfield is a retired schoolteacher", "Friends of Millbrook Library",
         "The views expressed are the author's own", "letters@courier.example",
         "View comments", "Guest columnist", "Obituaries"),
        title="Our towns need libraries more than ever",
        authors=("Dana Whitfield",),
    ),
    Layout(
        "embedded-audio",
        ("Starting next spring, gas-powered leaf blowers will be illegal in Brackley",
         "You could hear them from eight in the morning until dark",
         "state lawmakers are considering a broader ban next session."),
        ("Listen Live", "All Things Considered", "4:32", "Download", "Transcript", "Embed",
         "Your browser does not support the audio element", "listener-supported",
         "A bakery that only opens at night"),
    ),
    Layout(
        "rtl-persian",
        ("بارش برف سنگین از شب گذشته باعث بسته شدن چند جاده اصلی",
         "مدارس چند شهر کوهستانی نیز امروز تعطیل شدند",
         "«ما از ساعت ده شب اینجا هستیم و هنوز کسی به ما سر نزده است.»"),
        ("صفحه اصلی", "اشتراک‌گذاری", "مطالب مرتبط", "هشدار نارنجی هواشناسی",
         "پربیننده‌ترین‌ها", "قیمت بلیت قطار", "تمام حقوق محفوظ است"),
        title="بارش برف سنگین جاده‌های شمال را مسدود کرد",
        language="fa",
    ),
    Layout(
        "rtl-arabic",
        ("افتتحت السلطات المحلية يوم الأحد محطة جديدة لتحلية مياه البحر",
         "وتعمل المحطة بالطاقة الشمسية خلال ساعات النهار",
         "بعد ربطها بشبكة الأنابيب الجديدة التي يجري مدها حاليا."),
        ("الرئيسية", "اقرأ أيضا", "ارتفاع أسعار المياه المعبأة", "الأكثر قراءة",
         "نتائج امتحانات الثانوية العامة", "جميع الحقوق محفوظة"),
        title="افتتاح أكبر محطة لتحلية المياه في المدينة الساحلية",
        language="ar",
        authors=("ليلى حداد",),
    ),
    Layout(
        "paywall-teaser-with-article",
        ("The city council voted 9-2 on Tuesday to build a tram line",
         "Business groups welcomed the decision",
         "publish a detailed timetable for public consultations next month."),
        ("Continue reading with a subscription", "for just $1 for your first month",
         "Subscribe now", "Already a subscriber", "Subscriber content", "Real Estate"),
        authors=("Grace Liu",),
    ),
    Layout(
        "article-with-table",
        ("Average rents climbed faster in mid-sized cities than in the capital last year",
         "The biggest increase was recorded in Harwick",
         "a proposal the housing ministry has said it will consider in the spring."),
        ("Get the weekly data briefing", "Sign up", "Housing Monitor ©", "Newsletter"),
    ),
    Layout(
        "qa-interview",
        ("Why a watchmaker?",
         "My grandfather repaired clocks in a tiny shop behind the market.",
         "The novel moves very slowly. Was that a risk?",
         "I have the first and last pages and nothing in between, which is how I like it."),
        ("Buy the book", "You might also like", "Five debut novels", "Page Turner Media"),
        authors=("Marcus Hale",),
    ),
    Layout(
        "read-more-links",
        ("The number of people waiting for planned hospital treatment in the region has fallen",
         "Health board chair Philip Osei said extra weekend operating sessions",
         "The board expects waiting lists to keep falling slowly through the summer."),
        ("Read more:", "READ MORE:", "New surgical hub opens at Dalton General",
         "Nurses vote to accept pay offer", "Related: Ambulance response times",
         "Jobs", "Contact"),
    ),
    Layout(
        "newsletter-box",
        ("Beneath the Antarctic ice sheet lies a network of rivers and lakes",
         "Wet ground reflects strongly",
         "The map shows that some of the largest rivers flow beneath glaciers",
         "measure how the flow of water changes between seasons."),
        ("Get Science Today in your inbox", "Every Friday", "Enter your email", "Sign up",
         "By signing up you agree"),
    ),
    Layout(
        "comment-section",
        ("When the owners of the only shop in Little Hadley announced they were retiring",
         "the nearest place to buy a pint of milk is six miles away",
         "has added a small post office counter."),
        ("42 comments", "Join the discussion", "Post comment", "hadley_pete",
         "I bought ten shares", "Shame the council never helped", "Load more comments",
         "Reply", "12 likes"),
    ),
    Layout(
        "cookie-banner",
        ("A sleeper train will once again run overnight across the Alps from December",
         "the first weeks of tickets sold out within two days",
         "rising for a private cabin with a shower."),
        ("We value your privacy", "143 partners", "Accept all", "Reject all",
         "Manage preferences", "Cookie settings"),
        title="Night trains return to the Alpine route after twenty years",
    ),
    Layout(
        "share-bars",
        ("A pair of carved wooden doors taken from a meeting house more than a century ago",
         "They are not objects to us, they are ancestors"),
        ("Share this article", "Share on Facebook", "Share on X", "Share on WhatsApp",
         "Copy link", "Share via Email"),
    ),
    Layout(
        "split-by-ads",
        ("The province's ferry operator has ordered three battery-electric vessels",
         "The operator said the new vessels would cut its fuel use",
         "Shore power upgrades at the terminals will cost another 90 million dollars",
         "The older diesel ferries on the routes will be moved to quieter crossings or sold."),
        ("Advertisement", "Story continues below advertisement", "Sponsored",
         "best home insurance rates", "Recommended for you", "Doctors stunned"),
    ),
    Layout(
        "most-read-sidebar",
        ("Koalas have returned to a coastal forest that was almost entirely burnt",
         "Researchers used heat-sensing drones to count koalas",
         "would repeat the count every two years."),
        ("Most read", "Interest rate decision", "Heatwave warning issued",
         "The cafe that only serves toast", "Subscribe for $1 a week"),
        authors=("Chloe Baker",),
    ),
    Layout(
        "german-article",
        ("Die Stadt will in den kommenden drei Jahren 5000 neue Bäume pflanzen",
         "etwa Zerr-Eichen und Silber-Linden",
         "„Jeder Baum senkt die gefühlte Temperatur in seiner Umgebung um mehrere Grad“",
         "Für die Pflege in den ersten Jahren sucht die Stadt zudem Baumpaten."),
        ("Anzeige", "Mehr zum Thema", "Hitzeaktionsplan", "Impressum", "Datenschutz",
         "Anmelden", "Von Katrin Vogel"),
        language="de",
        authors=("Katrin Vogel",),
    ),
    Layout(
        "french-article",
        ("ce sont désormais les mairies qui rachètent les boulangeries fermées",
         "« Sans boulangerie, un village perd son cœur »",
         "livre aussi les hameaux voisins deux fois par semaine."),
        ("Lire aussi", "le retour des commerces ambulants", "Article réservé aux abonnés",
         "Les plus lus", "Réforme des retraites", "Tous droits réservés", "S'abonner",
         "Par Camille Roux"),
        language="fr",
        authors=("Camille Roux",),
    ),
    Layout(
        "explainer-lists",
        ("Heat pumps are being promoted as the main replacement for gas boilers.",
         "A heat pump moves heat rather than making it.",
         "An installer should carry out a heat-loss survey of every room"),
        ("In this article", "Was this article helpful?", "The Explainer 2024"),
        structured=("## How does it work?", "## Which homes suit one?",
                    "- A compressor raises its temperature.",
                    "- whether there is outdoor space for the unit",
                    "> A well-installed heat pump can deliver three units of heat for every "
                    "unit of electricity it uses."),
    ),
    Layout(
        "recipe",
        ("This is the roast chicken I make most Sundays",
         "Let the chicken rest for a full fifteen minutes before carving.",
         "1kg waxy potatoes",
         "Sit the chicken on the potatoes and roast for 1 hour 20 minutes"),
        ("Save recipe", "Rate this recipe", "214 ratings", "Made this twice",
         "Kitchen Notes Ltd"),
        structured=("## Ingredients", "- 1 lemon, halved"),
    ),
    Layout(
        "br-separated-legacy",
        ("More than 64,000 people came through the gates of the Tri-County Fair",
         "the 4-H auction raised a record amount for local clubs.",
         "which is scheduled for the second week of August."),
        ("Miller Hardware", "Classifieds", "Obituaries", "Copyright 2024 Tri-County Gazette",
         "Contact us"),
        language="en-US",
    ),
)


def load(directory: Path, name: str) -> str:
    return (directory / f"{name}.html").read_text("utf-8")


def extract_layout(case: Layout) -> Article:
    return extract(load(LAYOUTS, case.name), f"https://news.example.com/{case.name}")


def test_every_layout_file_has_a_case() -> None:
    assert {c.name for c in CASES} == {p.stem for p in LAYOUTS.glob("*.html")}
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_body_keeps_the_article(case: Layout) -> None:
    body = extract_layout(case).body
    missing = [text for text in case.must_contain if text not in body]
    assert not missing, f"missing from body:\n{body}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_body_drops_the_chrome(case: Layout) -> None:
    body = extract_layout(case).body
    present = [text for text in case.must_not_contain if text in body]
    assert not present, f"chrome left in body:\n{body}"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.structured], ids=[c.name for c in CASES if c.structured]
)
def test_structured_marks_headings_lists_and_quotes(case: Layout) -> None:
    lines = extract_layout(case).structured.splitlines()
    missing = [line for line in case.structured if line not in lines]
    assert not missing, "\n".join(lines)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.title or c.language or c.authors],
    ids=[c.name for c in CASES if c.title or c.language or c.authors],
)
def test_layout_metadata(case: Layout) -> None:
    article = extract_layout(case)
    if case.title:
        assert article.title == case.title
    if case.language:
        assert article.language == case.language
    if case.authors:
        assert article.authors == case.authors


def test_pull_quotes_are_not_repeated() -> None:
    body = extract_layout(next(c for c in CASES if c.name == "long-read-pull-quotes")).body
    assert body.count("You climb the stairs anyway.") == 1
    assert body.count("Nobody came after him.") == 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_body_paragraphs_are_separated_by_one_blank_line(case: Layout) -> None:
    body = extract_layout(case).body
    assert body == body.strip()
    assert "\n\n\n" not in body
    assert len(body.split("\n\n")) >= 3


NOT_ARTICLE_PAGES = ("section-front", "consent-wall", "paywall-only", "bot-check", "soft-404")


def test_every_not_article_file_is_listed() -> None:
    assert set(NOT_ARTICLE_PAGES) == {p.stem for p in NOT_ARTICLES.glob("*.html")}


@pytest.mark.parametrize("name", NOT_ARTICLE_PAGES)
def test_pages_without_an_article_raise_no_article(name: str) -> None:
    url = f"https://news.example.com/{name}"
    with pytest.raises(NoArticle) as caught:
        extract(load(NOT_ARTICLES, name), url)
    assert caught.value.reason.strip()
    assert caught.value.url == url
