"""Cleaning: turn the blocks of one or more pages into the article as printed.

Print layout leaves marks in the web text: an image or a column break cuts a
paragraph mid-sentence (even mid-word), captions (▲… 新華社) and stray caption
fragments sit between paragraphs, the byline stands on its own line. Undoing
those are rules that a site profile switches on (``Site.cleaning``, named in
``sites.base.CLEANING_RULES``): a page read by a profile that names no rule,
or by no profile at all, keeps its paragraphs as they are (a generic page loses
the repost or copyright notice after its article, 版權聲明, 轉載請註明). Every page loses
invisible characters and structural furniture (the 責任編輯 line, a pager line),
and never a line for a word it contains; what is kept as content: the editor's
note (編者按), the pull quote, headings and the expert sidebar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import ClassVar

from series_archiver.errors import ExtractError
from series_archiver.models import Article, Block, BlockKind, Cleaning, Extracted
from series_archiver.read.generic import GENERIC
from series_archiver.sites import SITES
from series_archiver.textfold import fold, normalize

__all__ = ["clean", "clean_title", "split_byline"]

# A paragraph that ends with one of these is complete; one that does not was cut.
# A semicolon ends a clause, never a paragraph: 「…短板；」 followed by more text is a cut.
_TERMINAL = tuple("。！？!?…」』”’）)》〉：:")
_STOPS = tuple("。！？!?…：:")
# Punctuation found inside sentences; headings carry none of it.
_SENTENCE_PUNCT = re.compile(r"[，。、；：！？,;!?]")
_CAPTION_MARK = ("▲", "△", "▼", "►", "▶")


def _names(names: Iterable[str]) -> str:
    """An alternation of the names, for a pattern; the order of the sites is kept."""
    return "|".join(re.escape(n) for n in dict.fromkeys(names))


# The built-in sites' marks (sites/), on every page whose profile switches the
# caption and byline rules on (a page may be a copy on another host).
_CREDIT_NAMES = tuple(n for site in SITES for n in site.marks.credit_papers)
_BYLINE_NAMES = tuple(n for site in SITES for n in site.marks.byline_papers)
_TITLE_NAMES = _names(n for site in SITES for n in site.marks.title_names)


def _credit_pattern(papers: str) -> re.Pattern[str]:
    return re.compile(
        r"(新華社|新华社|中新社|法新社|路透社|美聯社|美联社|資料圖片|资料图片|網絡圖片|网络图片"
        rf"|(?:{papers})?記者\S{{2,4}}攝|记者\S{{2,4}}摄|\S{{2,4}}攝)$"
    )


def _byline_pattern(papers: str) -> re.Pattern[str]:
    return re.compile(
        rf"^(?:【\s*)?(?:(?:香港)?(?:{papers})?(?:記者|记者|實習記者|实习记者|特約記者|特约记者)|本報記者|本报记者|文[／/]圖[：:]?|文[：:])"
        r"\s*(?P<names>[\u3400-\u9fff·\s、]{2,40}?)(?:\s*(?:報道|报道|北京報道|北京报道))?(?:\s*】)?$"
    )


_CREDIT = _credit_pattern(_names(_CREDIT_NAMES))
_BYLINE = _byline_pattern(_names(_BYLINE_NAMES))
_TITLE_SITE_NAME = re.compile(rf"\s*[_\-－|｜]\s*({_TITLE_NAMES})\s*$")
# Furniture by structure, on any page: an editor line, a pager line. A line that
# merely contains a furniture word (分享到, 排行榜) is text; a site names its
# exact furniture lines in Cleaning.furniture_lines.
_FURNITURE = re.compile(
    r"^(?:[【\[(（]?\s*(?:責任編輯|责任编辑|編輯|编辑|責編|责编)\s*[：:].*"
    r"|(?:上一[頁页]|下一[頁页]|首[頁页]|尾[頁页]|\d+)(?:\s+(?:上一[頁页]|下一[頁页]|首[頁页]|尾[頁页]|\d+))*)$"
)
# Labels that stand alone as headings although they are short.
_LABELS = {"編者按", "编者按", "專家解讀", "专家解读", "記者手記", "记者手记", "短評", "短评", "延伸閱讀", "延伸阅读", "社評", "社评"}
_FURNITURE_MAX = 60  # furniture lines are short; a long paragraph mentioning 排行榜 is text


def clean_title(title: str) -> str:
    """A title without U+FEFF, stray spaces or the site's name."""
    title = normalize(title)
    title = _TITLE_SITE_NAME.sub("", title)
    return title.strip()


def split_byline(text: str) -> tuple[str, ...] | None:
    """The reporters' names if ``text`` is a byline line, else None.

    ``大公報記者 郭瀚林`` -> ("郭瀚林",); ``大公報記者 甲乙 丙丁`` -> ("甲乙", "丙丁").
    """
    return _Marks.of(_NO_RULES).split_byline(text)


def clean(pages: Sequence[Extracted]) -> Article:
    """Clean the pages of one article (page 1 first) into one ``Article``.

    Raises ``ExtractError`` and nothing else, whatever text the pages hold.
    """
    if not pages:
        raise ExtractError("<no page>", "there is no page to clean; extract() at least one page first")
    try:
        return _clean(pages)
    except Exception as exc:  # the text is whatever a page held: its trouble is that page's error
        raise ExtractError(pages[0].url, f"the text could not be cleaned ({type(exc).__name__}: {exc})") from exc


def _clean(pages: Sequence[Extracted]) -> Article:
    first = pages[0]
    cleaning = cleaning_of(first)
    rules = cleaning.rules
    marks = _Marks.of(cleaning)
    raw_blocks = [b for page in pages for b in page.blocks]
    captions: list[str] = [normalize(c) for page in pages for c in page.captions]
    bylines: list[str] = [first.byline] if first.byline else []
    kept: list[Block] = []
    # The generic path (generic.py) removed furniture by structure and keeps the page's paragraphs
    # as they are: no print-layout rejoining, no repeated-paragraph removal, no furniture words;
    # only the notice a site appends after the article goes (_without_notice).
    generic = first.profile == GENERIC
    for block in raw_blocks:
        text = normalize(block.text)
        if not text or (not generic and _is_furniture(text, cleaning)):
            continue
        if "captions" in rules and marks.is_caption(text):
            captions.append(text.lstrip("".join(_CAPTION_MARK)).strip())
            continue
        names = marks.split_byline(text) if "byline_line" in rules else None
        if names:
            bylines.extend(names)
            continue
        kind: BlockKind = "heading" if block.kind == "heading" or _looks_like_heading(text) else "paragraph"
        kept.append(Block(kind, text))
    if generic:
        kept = _without_notice(kept)
    if "print_layout" in rules:
        kept = _rejoin(kept)
    if "repeated_paragraphs" in rules:
        kept = _dedupe_blocks(kept)
    title = clean_title(first.title)
    return Article(
        url=first.url,
        profile=first.profile,
        title=title,
        blocks=tuple(kept),
        published=first.published,
        byline=" ".join(dict.fromkeys(bylines)) or None,
        captions=tuple(dict.fromkeys(c for c in captions if c)),
        pages=tuple(p.url for p in pages),
    )


# A notice a site appends after an article it publishes: who owns the text, how to repost it
# (版權聲明, 反侵权公告, 轉載請註明). Read by its label at the start of a line, in the last third
# of the text only; the same words inside a sentence, or before the article's end, are text.
_NOTICE = re.compile(
    r"^[\s【\[(（<《]*(?:版[权權](?:声明|聲明|所有)|反侵[权權](?:公告|声明|聲明)|免[责責][声聲]明|[转轉][载載](?:请|請)|(?:如需|欢迎|歡迎)[转轉][载載]"
    r"|未[经經](?:授[权權]|许可|許可|同意)|本[文站网網](?:版[权權]|[转轉][载載]|所[载載]|刊[登发發]))"
)
_NOTICE_SHARE = 1 / 3


def _without_notice(blocks: list[Block]) -> list[Block]:
    """A generic page's blocks without the repost or copyright notice after the article."""
    total = sum(len(b.text) for b in blocks)
    tail = 0
    cut: int | None = None
    for i in range(len(blocks) - 1, 0, -1):
        tail += len(blocks[i].text)
        if tail > total * _NOTICE_SHARE:
            break
        if _NOTICE.match(blocks[i].text):
            cut = i
    return blocks[:cut] if cut is not None else blocks


def cleaning_of(page: Extracted) -> Cleaning:
    """The rules for a page: its profile's, or the built-in site's of that name; none for a generic page."""
    if page.cleaning is not None:
        return page.cleaning
    return _BUILT_IN.get(page.profile, _NO_RULES)


_NO_RULES = Cleaning()
_BUILT_IN = {site.name: site.cleaning for site in SITES}


def _is_furniture(text: str, cleaning: Cleaning) -> bool:
    if len(text) <= _FURNITURE_MAX and _FURNITURE.match(text) is not None:
        return True
    return bool(cleaning.furniture_lines) and re.sub(r"\s+", "", text) in cleaning.furniture_lines


class _Marks:
    """Caption and byline patterns with a site's own paper names added to the built-in sites'."""

    _cache: ClassVar[dict[tuple[tuple[str, ...], tuple[str, ...]], _Marks]] = {}

    def __init__(self, credit: re.Pattern[str], byline: re.Pattern[str]) -> None:
        self.credit = credit
        self.byline = byline

    @classmethod
    def of(cls, cleaning: Cleaning) -> _Marks:
        key = (cleaning.byline_papers, cleaning.credit_papers)
        found = cls._cache.get(key)
        if found is None:
            credit = _CREDIT if not key[1] else _credit_pattern(_names([*_CREDIT_NAMES, *key[1]]))
            byline = _BYLINE if not key[0] else _byline_pattern(_names([*_BYLINE_NAMES, *key[0]]))
            found = cls._cache.setdefault(key, cls(credit, byline))
        return found

    def is_caption(self, text: str) -> bool:
        if text.startswith(_CAPTION_MARK):
            return True
        # A caption fragment: part of a caption that the layout split off. It says
        # what the picture shows (圖為) and is no complete sentence; or it is a
        # short line ending in a photo credit.
        if ("圖為" in text or "图为" in text or "圖：" in text or "图：" in text) and not text.endswith(_TERMINAL):
            return True
        return len(text) <= 80 and self.credit.search(text) is not None and not text.endswith(_TERMINAL)

    def split_byline(self, text: str) -> tuple[str, ...] | None:
        m = self.byline.match(normalize(text))
        if not m:
            return None
        names = tuple(n for n in re.split(r"[\s、]+", m.group("names").strip()) if n)
        return names or None


def _looks_like_heading(text: str) -> bool:
    """Subheadings: short, no sentence punctuation, no full stop.

    Printed subheadings are two short phrases split by a space
    (「某某突破 自研某某」); sidebar headings can be one phrase. A short cut
    fragment such as 「當」 is no heading: it has too few characters.
    """
    if text in _LABELS:
        return True
    # A heading may end in a closing quote (「…有了「硬心臟」」) but never in a full stop.
    if len(text) > 30 or len(text) < 6 or text.endswith(_STOPS):
        return False
    bare = re.sub(r"[「」『』“”]", "", text)
    return _SENTENCE_PUNCT.search(bare) is None


def _ends_sentence(text: str) -> bool:
    return text.endswith(_TERMINAL)


def _rejoin(blocks: list[Block]) -> list[Block]:
    """Join paragraphs that print layout cut mid-sentence.

    Captions and bylines are gone by now, so the two halves of a cut
    paragraph stand next to each other. Chinese needs no space at the seam.
    """
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "paragraph"
            and block.kind == "paragraph"
            and not _ends_sentence(prev.text)
        ):
            out[-1] = Block("paragraph", _seam(prev.text, block.text))
        else:
            out.append(block)
    return out


def _seam(left: str, right: str) -> str:
    # Keep a space only where two Latin words or numbers meet (\"AI 芯片\" stays as printed).
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return f"{left} {right}"
    return left + right


def _dedupe_blocks(blocks: list[Block]) -> list[Block]:
    """Keep a repeated paragraph once (the layout sometimes prints a block twice)."""
    seen: set[str] = set()
    out: list[Block] = []
    for block in blocks:
        key = fold(block.text)
        if block.kind == "paragraph" and len(key) >= 8:
            if key in seen:
                continue
            seen.add(key)
        out.append(block)
    return out
