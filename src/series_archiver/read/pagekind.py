"""What a page is when it is not the page asked for: a block page, a soft 404, a takedown.

The rules that tell a page from something standing in its place live here,
for every source (the live site, a web archive, a WARC file) and every stage:

* A **block page** (``block_page``): a CDN or firewall challenge or block
  (Cloudflare's "Just a moment…" and "Attention Required!", an "Access Denied"
  with a reference number), a captcha or security-verification page (安全驗證,
  滑動驗證), a maintenance page (系統維護中). Whatever its status (200, 403,
  429, 503 …) it is neither the page nor its removal: ``read.response`` raises
  ``Blocked``, the writer logs the attempt ``blocked`` and changes nothing.
* A **soft 404** (``soft_404``): a 200 page that says 頁面不存在 or "not
  found"; kept as evidence only (``decide.versions.check_quality``).
* A **takedown** (``is_takedown``): a redirect from an article to a home or
  list page, where the site's profile says so (``Site.redirect_is_takedown``);
  the article is marked gone (``read.response``).

How a block page is told from an article that quotes one: block pages hold
little text. A page whose visible text, folded, is longer than
``STRONG_LIMIT`` characters is never one. Below it, a phrase no article
prints (``checking your browser before accessing``, ``已被网站管理员设置拦截``),
a challenge's or firewall's markup (``_cf_chl_opt``, ``_Incapsula_Resource``),
an Akamai reference number, or a phrase of the site's profile
(``Site.block_phrases``) makes it one. Ordinary words (``Access Denied``,
``安全验证``, ``maintenance``) make it one only when they are most of the title,
or of a heading or line of a page holding almost no text (``WEAK_LIMIT``), or
anywhere on a page that came with an error status; so does a captcha widget
(a news page may carry one in a form). Phrases are compared folded (``textfold.fold``): script, width,
case and spaces do not matter.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from series_archiver.sites import BUILT_IN, Registry
from series_archiver.textfold import fold

__all__ = [
    "BLOCK_KINDS",
    "STRONG_LIMIT",
    "WEAK_LIMIT",
    "BlockPage",
    "block_page",
    "is_takedown",
    "kept_by_fold",
    "may_be_block",
    "soft_404",
    "visible_text",
]

# Visible characters (folded: no spaces) above which a page is an article or a list, never a block page.
STRONG_LIMIT = 3000
# Below this, the page holds next to nothing but its message: ordinary words are enough.
# (The shortest of 210 real news, forum and blog pages holds about 600.)
WEAK_LIMIT = 400

BLOCK_KINDS = {
    "challenge": "a CDN or firewall challenge",
    "block": "a CDN or firewall block",
    "captcha": "a captcha or security verification",
    "maintenance": "a maintenance page",
}

# Phrases no article prints: they make a page of up to STRONG_LIMIT characters a block page.
_STRONG = (
    ("challenge", "checking your browser before accessing"),
    ("challenge", "checking if the site connection is secure"),
    ("challenge", "needs to review the security of your connection"),
    ("challenge", "enable javascript and cookies to continue"),
    ("challenge", "verifying you are human"),
    ("challenge", "ddos protection by"),
    ("challenge", "正在验证您的浏览器"),
    ("challenge", "正在进行安全检测"),
    ("challenge", "浏览器安全检查"),
    ("block", "sorry, you have been blocked"),
    ("block", "you have been blocked"),
    ("block", "this website is using a security service to protect itself"),
    ("block", "cloudflare ray id"),
    ("block", "you don't have permission to access"),
    ("block", "incapsula incident id"),
    ("block", "the requested url was rejected"),
    ("block", "已被网站管理员设置拦截"),
    ("block", "您的访问被阻断"),
    ("block", "请求已被拦截"),
    ("block", "对网站造成安全威胁"),
    ("captcha", "please complete the security check"),
    ("captcha", "verify you are a human"),
    ("captcha", "verify that you are not a robot"),
    ("captcha", "unusual traffic from your computer network"),
    ("captcha", "请完成安全验证"),
    ("captcha", "请完成下方验证"),
    ("captcha", "拖动滑块"),
    ("captcha", "向右滑动"),
    ("captcha", "滑动验证"),
    ("captcha", "人机验证"),
    ("maintenance", "down for maintenance"),
    ("maintenance", "undergoing scheduled maintenance"),
    ("maintenance", "currently undergoing maintenance"),
    ("maintenance", "we'll be back soon"),
    ("maintenance", "系统维护中"),
    ("maintenance", "网站维护中"),
    ("maintenance", "系统升级维护"),
    ("maintenance", "网站正在维护"),
    ("maintenance", "正在进行系统维护"),
    # Last: a captcha or maintenance page may say so too, and its own words tell it better.
    ("block", "访问过于频繁"),
    ("block", "请求过于频繁"),
)
# Ordinary words: a block page's only when they are most of its title, when the page
# holds almost no text, or when it came with an error status.
_WEAK = (
    ("challenge", "just a moment"),
    ("block", "attention required"),
    ("block", "access denied"),
    ("block", "request blocked"),
    ("block", "request rejected"),
    ("block", "访问被拒绝"),
    ("block", "拒绝访问"),
    ("block", "访问被拦截"),
    ("block", "禁止访问"),
    ("block", "网站防火墙"),
    ("block", "访问受限"),
    ("captcha", "one more step"),
    ("captcha", "security check"),
    ("captcha", "security verification"),
    ("captcha", "captcha"),
    ("captcha", "安全验证"),
    ("captcha", "安全检查"),
    ("captcha", "验证码"),
    ("maintenance", "maintenance"),
    ("maintenance", "维护中"),
    ("maintenance", "系统维护"),
    ("maintenance", "网站维护"),
    ("maintenance", "暂停服务"),
)
# The markup of challenge and block pages (lower case). Every page behind Cloudflare loads
# /cdn-cgi/challenge-platform/scripts/jsd/, so only a challenge's own paths count.
_MARKUP = (
    ("challenge", "_cf_chl_opt"),
    ("challenge", "/cdn-cgi/challenge-platform/h/"),
    ("challenge", 'id="challenge-form"'),
    ("challenge", "cf-browser-verification"),
    ("block", "cf-error-details"),
    ("block", "_incapsula_resource"),
    ("block", "errors.edgesuite.net"),
    ("captcha", "captcha-delivery.com"),
)
# Captcha widgets: a page that holds little else is a captcha page; a news page may carry
# one in a comment or newsletter form, so they count as ordinary words do.
_WIDGETS = (
    ("captcha", "g-recaptcha"),
    ("captcha", "h-captcha"),
    ("captcha", "cf-turnstile"),
    ("captcha", "geetest"),
)
# Akamai's "Reference #18.c6a50517.1514639126.176b29a", in the folded text.
_REFERENCE = re.compile(r"reference#\d{1,3}(?:\.[0-9a-f]+){3}")

_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
# Each part up to its first end, as ``.*?</\1\s*>`` would find it, but run by run of
# characters that cannot begin one ([^<]++), with no backtracking (possessive): a
# third of the time of the lazy form on a news page, whose scripts are long.
_INVISIBLE = re.compile(
    r"<(script|style|template|svg|head)\b[^>]*+>(?:[^<]++|<(?!/\1\s*>))*+</\1\s*>|<!--(?:[^-]++|-(?!->))*+-->", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# Characters that fold keeps, each as one character: CJK ideographs (NFKC leaves them, OpenCC's t2s
# maps them one for one) and ASCII letters and digits (only lower-cased). Their count is at least
# the folded length, so a page with more than STRONG_LIMIT of them is no block page, and is not
# folded to learn so (folding 3,000-6,000 characters is most of a page's check).
_KEPT_BY_FOLD = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]+")
# A title's first part, before the site's name: "訪問被拒絕 - 360網站衛士", "Attention Required! | Cloudflare".
_TITLE_PART = re.compile(r"[-_|]")


@dataclass(frozen=True)
class BlockPage:
    """A block page, and what gave it away."""

    kind: str  # challenge, block, captcha, maintenance (BLOCK_KINDS)
    sign: str  # the phrase, title, markup or header that did

    @property
    def reason(self) -> str:
        """One phrase for the fetch log and messages: ``a CDN or firewall challenge (its title is 'Just a moment...')``."""
        return f"{BLOCK_KINDS[self.kind]} ({self.sign})"


def may_be_block(status: int) -> bool:
    """Whether an answer of ``status`` may be a block page: a 200, or an error other than a removal (404, 410)."""
    return status == 200 or (status >= 400 and status not in (404, 410))


def block_page(
    markup: str, *, status: int = 200, headers: Iterable[tuple[str, str]] = (), phrases: Iterable[str] = ()
) -> BlockPage | None:
    """The block page ``markup`` is (with ``status`` and ``headers``), or None for a page that is not one.

    ``phrases``: the site's own (``Site.block_phrases``), as strong as the built-in ones.

    >>> block_page("<title>Just a moment...</title><p>Enable JavaScript and cookies to continue</p>").kind
    'challenge'
    >>> block_page("<title>訪問被拒絕</title><p>您的訪問請求可能對網站造成安全威脅，請求已被攔截。</p>").reason
    "a CDN or firewall block (it says '请求已被拦截')"
    >>> block_page("<title>華為新機發布</title><p>" + "華為今日發布新機。" * 400 + "</p>") is None
    True
    """
    for name, value in headers:
        if name.lower() == "cf-mitigated" and value.strip().lower() == "challenge":
            return BlockPage("challenge", "the answer carries cf-mitigated: challenge")
    if not may_be_block(status):
        return None
    text = visible_text(markup)
    if len(text) > STRONG_LIMIT * 2:  # cheap: folding removes spaces and little else
        return None
    if kept_by_fold(text) > STRONG_LIMIT:
        return None
    folded = fold(text)
    if len(folded) > STRONG_LIMIT:
        return None
    for phrase in phrases:
        if _folded(phrase) and _folded(phrase) in folded:
            return BlockPage("block", f"it says {phrase!r}, a phrase of the site's profile")
    for kind, phrase in _STRONG:
        if _folded(phrase) in folded:
            return BlockPage(kind, f"it says {phrase!r}")
    reference = _REFERENCE.search(folded)
    if reference is not None:
        return BlockPage("block", f"it gives a reference number, {reference.group(0)}")
    lowered = markup.lower()
    for kind, mark in _MARKUP:
        if mark in lowered:
            return BlockPage(kind, f"its markup has {mark!r}")
    title = _title(markup)
    head = _folded(_TITLE_PART.split(title, maxsplit=1)[0])
    for kind, phrase in _WEAK:
        if _most_of(_folded(phrase), head):
            return BlockPage(kind, f"its title is {title!r}")
    if status != 200:
        for kind, phrase in _WEAK:
            if _folded(phrase) in folded:
                return BlockPage(kind, f"it says {phrase!r} with HTTP {status}")
    elif len(folded) <= WEAK_LIMIT:
        # A page of a few lines: a heading or line that is mostly the word ("<h1>安全驗證</h1>"),
        # not a headline that holds it (「網購安全驗證新規」).
        lines = [fold(html.unescape(line)) for line in _TAG.split(_INVISIBLE.sub(" ", markup)) if line.strip()]
        for kind, phrase in _WEAK:
            if any(_most_of(_folded(phrase), line) for line in lines):
                return BlockPage(kind, f"it says {phrase!r}")
    if status != 200 or len(folded) <= WEAK_LIMIT:
        for kind, mark in _WIDGETS:
            if mark in lowered:
                return BlockPage(kind, f"its markup has {mark!r}" + ("" if status == 200 else f" with HTTP {status}"))
    return None


def visible_text(markup: str) -> str:
    """The text a browser shows of ``markup`` (the title aside), spaces collapsed.

    >>> visible_text("<html><head><title>T</title><style>p{}</style></head><body><p>One&amp;two</p><script>x()</script></body>")
    'One&two'
    """
    text = _TAG.sub(" ", _INVISIBLE.sub(" ", markup))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def kept_by_fold(text: str) -> int:
    """How many characters of ``text`` fold keeps one for one: never more than ``len(fold(text))``.

    >>> kept_by_fold("華為 Mate 60，「發布」")
    10
    """
    return sum(map(len, _KEPT_BY_FOLD.findall(text)))


def soft_404(folded_title: str, folded_text: str, phrases: Iterable[str], min_chars: int) -> str | None:
    """Why a 200 page is a soft 404 (it says one of ``phrases`` near its top, and holds little), or None.

    >>> soft_404(fold("頁面不存在"), fold("對不起，您訪問的頁面不存在"), ["頁面不存在"], 200)
    "the page says '頁面不存在' (a soft 404)"
    """
    head = folded_title + folded_text[:200]
    for phrase in phrases:
        if _folded(phrase) in head and len(folded_text) < max(min_chars * 3, 600):
            return f"the page says {phrase!r} (a soft 404)"
    return None


def is_takedown(asked: str, target: str, registry: Registry = BUILT_IN) -> bool:
    """Whether a redirect from ``asked`` to ``target`` is a takedown: the site's profile says so (``Registry.is_takedown_redirect``)."""
    return registry.is_takedown_redirect(asked, target)


def _most_of(word: str, text: str) -> bool:
    """``word`` is in ``text`` and at least half of it."""
    return bool(word) and word in text and len(word) * 2 >= len(text)


def _title(markup: str) -> str:
    m = _TITLE.search(markup)
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", m.group(1)))).strip() if m else ""


@lru_cache(maxsize=1024)
def _folded(phrase: str) -> str:
    return fold(phrase)
