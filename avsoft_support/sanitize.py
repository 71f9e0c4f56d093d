"""The one door from user text to HTML: Markdown, then one bleach Cleaner.

Customers and staff write Markdown (logs and code blocks matter in support). Text is stored as
written and becomes HTML only here:

1. Markdown with fenced code, tables and line breaks kept as typed. Raw HTML in the text is not
   interpreted: ``<b>`` or a pasted XML config shows as the characters typed.
2. One module-level ``bleach.Cleaner`` with an allow-list of tags and attributes, http(s)/mailto
   links only (``javascript:``, ``data:`` and the like are dropped), and a ``LinkifyFilter`` that
   turns bare URLs into links and gives every link ``rel="nofollow noopener noreferrer"``
   (no ``target``: links open where the reader chooses). Images are shown as links to them.

The seam: ``sanitizer`` is an object with ``clean(html) -> str``. bleach is in maintenance mode;
to move to nh3 (or anything else) assign another object with the same method, in one place.
"""

import functools
import re
import threading
from functools import partial

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
        "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip

ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"
_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")
_ALIGN = frozenset({"left", "right", "center"})


def _allowed_attribute(tag, name, value):
    if tag == "a":
        return name in ("href", "title")
    if tag == "abbr":
        return name == "title"
    if tag == "code":
        # Fenced code keeps its language as a class, for a site's syntax highlighter.
        return name == "class" and bool(_LANGUAGE_CLASS.match(value))
    if tag in ("td", "th"):
        return name == "align" and value in _ALIGN
    if tag == "ol":
        return name == "start" and value.isdigit()
    return False


def _safe_link(attrs, new=False):
    """Every link: no target, and rel="nofollow noopener noreferrer"."""
    href = attrs.get((None, "href"))
    if not href:
        # A link whose URL the cleaner refused (javascript:, data:, ...) stays as plain text.
        return None
    attrs.pop((None, "target"), None)
    attrs[(None, "rel")] = LINK_REL
    return attrs


class BleachSanitizer:
    """Allow-list sanitizer; the object behind ``sanitizer``."""

    def __init__(self):
        self.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=_allowed_attribute,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[partial(LinkifyFilter, callbacks=[_safe_link], skip_tags={"pre", "code"})],
        )

    def clean(self, html):
        return self.cleaner.clean(html)


# The one Cleaner of the process (bleach Cleaners are reusable).
sanitizer = BleachSanitizer()

# A Markdown instance is reusable after reset() but not shared between threads: one a thread.
_markdown = threading.local()


def _markdown_converter():
    md = getattr(_markdown, "converter", None)
    if md is None:
        md = markdown.Markdown(
            extensions=["fenced_code", "tables", "nl2br", "sane_lists"],
            extension_configs={"tables": {"use_align_attribute": True}},
            output_format="html",
        )
        # Raw HTML is text, not markup: it shows as typed (and could never reach the cleaner
        # intact).
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # Images become plain links: nothing is loaded from elsewhere into a support page.
        for name in ("image_link", "image_reference", "short_image_ref"):
            md.inlinePatterns.deregister(name)
        _markdown.converter = md
    return md.reset()


def _markdown_to_html(text):
    return _markdown_converter().convert(text)


def sanitize_html(html) -> str:
    """Clean HTML from anywhere through the one Cleaner."""
    return sanitizer.clean(html)


def render_markdown(text) -> SafeString:
    """User text (Markdown) to HTML that is safe to put in a page or an e-mail."""
    if not text:
        return mark_safe("")
    text = str(text)
    if len(text) > RENDER_CACHE_MAX_TEXT:
        return mark_safe(_render(text, sanitizer))
    # The cleaner is part of the key: a site (or a test) that swaps it gets its own output.
    return mark_safe(_render_cached(text, sanitizer))


def _render(text, cleaner):
    return cleaner.clean(_markdown_to_html(text))


# The same text always gives the same HTML, and a conversation is read far more often than it
# is written: the Markdown and the cleaner (about 0.5 ms a message) run once per text and
# process. Short texts only, so that the cache stays a few megabytes.
RENDER_CACHE_MAX_TEXT = 4000
_render_cached = functools.lru_cache(maxsize=2048)(_render)
