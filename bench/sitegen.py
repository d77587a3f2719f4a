"""A synthetic replica of a long series for the benchmark: N installments on www.takungpao.com.

The pages are built with the bundled replica's own generator
(``tools/replica_gen.py``): the same article template
(``tkp_page``: h1/h2.tkp_con_title, .tkp_con_author, div.tkp_content, related
news, ranking), the same printed-line markup (bold headings, ▲ captions with
credits, paragraphs cut by a picture or a column break, the byline on its own
line) and the same list pages (dl.item entries, div.tkp_page pagination). Only
the text is new: sentences assembled from the pools below with a seeded random
generator, so a run is reproducible. Every name, firm and figure is invented.

What is added to reach the live site's page weight (30–80 KB): the furniture
a real page carries outside the article, an inline ad-slot script and style in
``<head>`` and a site map above the footer. None of it is inside div.tkp_content.

    generate(Path("bench/work/site"), 1000)   # writes the tree and bench_manifest.json

Installment numbers: ①–⑳, then （二十一）…（九十九）, then （100）…, all of
which discovery.parse_installment reads.
"""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["BenchArticle", "generate", "ensure_site", "load_manifest", "installment_mark", "synthetic_paragraphs"]

MANIFEST = "bench_manifest.json"
# Bump when the pages change shape, so ensure_site() writes them again.
FORMAT = 3
SERIES = "貿戰下中國力量"
COLUMN_PATH = "/news/232108/"
MIN_PAGE_BYTES = 30_000
MAX_PAGE_BYTES = 80_000


def _replica_generator() -> ModuleType:
    """The replica generator (tools/replica_gen.py), loaded from the repository."""
    name = "series_archiver_replica_generate"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "tools" / "replica_gen.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the replica generator at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


G = _replica_generator()

# ---------------------------------------------------------------------------
# Text pools: synthetic, written for this benchmark.
# ---------------------------------------------------------------------------

CITY = "示例市"
FIRM_HEADS = "雲杉 晨光 北辰 銀杏 松濤 赤霞 白鷺 藍鯨 金穗 翠微 石榴 蒼梧 青柏 紫藤 玉衡 天樞 長汀 遠帆 明渠 星橋 丹楓 碧波 朗月 清溪".split()
FIRM_TAILS = "科技 電子 材料 重工 物流 紡織 能源 生物 精密 農業 海運 數控 光電 醫療 食品 裝備".split()
SURNAMES = "甄 賈 何 吳 柯 潘 曹 華 伍 嚴 褚 顧 秦 韋 鄧 喬 蔣 袁 戚 林 聶 諸 閔 莘".split()
GIVEN = "假名 虛構 樣本 示範 測試 範例 參照 模擬 草擬 佔位 暫定 參數 演示 擬真 樣板 假設 示意 預設".split()
ROLES = "董事長 總經理 研發總監 技術負責人 副總裁 首席工程師 廠長 市場總監".split()
ZONES = "高新區 東郊 北部新區 濱海片區 臨港工業園 南山科創城 西灣物流園".split()
INDUSTRIES = "集成電路 新能源裝備 精密儀器 生物醫藥 智能家電 綠色建材 海洋裝備 工業軟件 現代紡織 冷鏈物流".split()
BUREAUS = "統計局 經濟和信息化局 商務局 科技創新委員會 發展和改革委員會".split()
FACILITIES = "智能工廠 研發中心 中試基地 倉儲物流中心 檢測平台 總裝車間".split()
PRODUCTS = "數控系統 伺服電機 高純度清洗液 工業相機 功率模組 醫用導管 碳纖維布 冷鏈貨櫃 智能電錶".split()
PARTS = "晶圓切割 電芯封裝 葉片鋪層 軸承熱處理 精密注塑 焊接工藝".split()
REGIONS = "東南亞 中東 拉美 中亞 東非 南歐".split()
TEAMS = "研發團隊 工藝小組 應用實驗室 售後工程隊".split()
UNIVERSITIES = "示例大學 示例理工大學 示例海洋學院 示例師範大學".split()
ACTIONS = "調試新一代樣機 檢查剛下線的產品 記錄測試數據 組裝出口訂單 搬運待檢物料".split()
LABELS = "志氣 底氣 骨氣 硬氣 銳氣 朝氣 勇氣 正氣 大氣 靈氣 和氣 人氣 元氣 才氣 豪氣 爭氣".split()
QUOTES = (
    "壓力越大，越要把功夫花在自己手上。",
    "技術買不來，只能一步一步自己做。",
    "訂單少了可以再找，手藝丟了就找不回來。",
    "別人設的門檻，正好逼我們把基本功練紮實。",
    "最難的那一段路，只能自己走。",
    "把產品做好，市場自然會來。",
    "風浪總會過去，練好的本事會留下。",
)
HEADLINE_A = "闖新路 換新顏 破難題 拓新局 育新機 強筋骨 補短板 增底氣 添動能 穩陣腳".split()
HEADLINE_B = "產線更智能 訂單排到明年 出海步伐加快 成本降三成 新品接連上市 人才紛至沓來 配套越做越全".split()
HEADINGS = (
    "自研突圍 底氣更足",
    "新品迭代 市場開拓",
    "產線升級 成本下降",
    "人才匯聚 後勁充足",
    "出海提速 訂單穩增",
    "標準先行 話語更強",
    "鏈條補齊 配套就近",
    "數字賦能 效率倍增",
    "綠色轉型 能耗下降",
    "以用促研 樣品快跑",
)
LEADS = ("補鏈強鏈", "以用促研", "化危為機", "開疆拓土", "數字賦能", "換道領跑")
EDITOR_NOTE = (
    "外部環境風高浪急，加徵關稅、出口管制接踵而來，示例市的企業卻在壓力下加快轉型。本報連載"
    "「貿戰下中國力量」系列報道，走訪工廠、碼頭與實驗室，記錄普通企業與普通人如何在逆風中站穩腳跟。"
    "（本系列所涉企業、人物及數字均為虛構，僅供軟件測試之用）"
)
SENTENCES = (
    "清晨七點，{city}{zone}的{firm}廠房已經燈火通明，第{n1}條生產線正在調試新設備。",
    "走進{firm}的展廳，最顯眼的是一排排貼着「本地製造」標籤的{product}樣機。",
    "{firm}{role}{person}介紹，公司去年研發投入達{money}億元，佔營收比重升至{pct}%。",
    "{person}坦言，{year}年外部訂單驟減，公司一度只能維持{tenths}成產能。",
    "據{city}{bureau}統計，全市{industry}產業今年前{month}個月產值按年增長{pct}%。",
    "目前，{firm}的{product}已銷往{n3}個國家和地區，海外收入佔比約為{pct}%。",
    "{firm}計劃在{year2}年前再投資{money}億元，興建第{n4}期{facility}。",
    "業內人士認為，{industry}領域的本地配套率已由三年前的不足{low}%提升至{high}%左右。",
    "為縮短交貨周期，{firm}把{team}搬到了客戶廠區旁邊，樣品由送檢到定型只需{weeks}周。",
    "{firm}與{university}合作成立聯合實驗室，首批{n5}名研究生已經進駐。",
    "該公司自主開發的{product}，關鍵指標已接近國際同類產品水平，售價卻低了約{frac}。",
    "{person}透露，明年將在{region}設立{n6}個海外服務中心，就近回應客戶需求。",
    "在{city}{zone}，類似的企業還有不少，它們多數成立不足{n7}年，卻已在細分市場站穩腳跟。",
    "{city}{bureau}相關負責人表示，將繼續為中小企業提供研發補貼和出口信用保險支持。",
    "{firm}的工程師用了{months}個月時間，把{part}的良品率從{low}%提升到{high}%。",
    "過去，{part}環節的關鍵設備幾乎全靠進口，一旦出現故障，只能排隊等海外工程師上門。",
    "如今，{firm}自己的{team}兩天內就能到場，維修費用也降了一大截。",
    "「{quote}」{person}說，這是幾年來全廠上下最深的體會。",
    "{firm}的訂單已經排到{year2}年，其中來自{region}的訂單按年增長逾{tenths}成。",
    "受惠於本地配套，{firm}的{product}從下單到交貨的時間縮短至{weeks}周。",
    "{city}{industry}行業協會秘書長{person}指出，企業之間的協作比幾年前緊密得多。",
    "不少企業負責人表示，外部壓力反而讓他們更清楚自己的長處和短板。",
    "據介紹，{firm}今年新招聘的{n9}名員工中，有近一半來自本地院校的聯合培養計劃。",
    "在{region}市場，{firm}根據當地標準重新設計了{product}，一年內拿下{n10}家新客戶。",
)


def installment_mark(number: int) -> str:
    """The installment number as the series prints it: ①–⑳, （二十一）…（九十九）, （100）…."""
    if 1 <= number <= 20:
        return chr(0x2460 + number - 1)
    if number < 100:
        digits = "零一二三四五六七八九"
        tens, ones = divmod(number, 10)
        return "（" + (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "") + "）"
    return f"（{number}）"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _firm(rng: random.Random) -> str:
    return rng.choice(FIRM_HEADS) + rng.choice(FIRM_TAILS)


def _sentence(rng: random.Random, firm: str, person: str) -> str:
    low = rng.randint(20, 55)
    return rng.choice(SENTENCES).format(
        city=CITY,
        zone=rng.choice(ZONES),
        firm=firm,
        person=person,
        role=rng.choice(ROLES),
        product=rng.choice(PRODUCTS),
        industry=rng.choice(INDUSTRIES),
        bureau=rng.choice(BUREAUS),
        facility=rng.choice(FACILITIES),
        team=rng.choice(TEAMS),
        university=rng.choice(UNIVERSITIES),
        region=rng.choice(REGIONS),
        part=rng.choice(PARTS),
        quote=rng.choice(QUOTES),
        money=f"{rng.randint(2, 95)}.{rng.randint(1, 9)}",
        pct=f"{rng.randint(5, 48)}.{rng.randint(0, 9)}",
        year=rng.randint(2018, 2023),
        year2=rng.randint(2026, 2029),
        month=rng.randint(3, 11),
        low=low,
        high=low + rng.randint(15, 40),
        frac=rng.choice(("兩成", "三成", "四成", "一半", "三分之一")),
        weeks=rng.randint(3, 16),
        months=rng.randint(4, 30),
        tenths=rng.randint(2, 8),
        **{f"n{i}": rng.randint(2, 120) for i in range(1, 11)},
    )


def synthetic_paragraphs(rng: random.Random, count: int, *, sentences: tuple[int, int] = (3, 5)) -> list[str]:
    """``count`` paragraphs of synthetic reporting, each of a few sentences."""
    firm, person = _firm(rng), _name(rng)
    out = []
    for _ in range(count):
        if rng.random() < 0.3:
            firm, person = _firm(rng), _name(rng)
        out.append("".join(_sentence(rng, firm, person) for _ in range(rng.randint(*sentences))))
    return out


# ---------------------------------------------------------------------------
# One installment
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchArticle:
    """What the benchmark needs to know of one generated installment."""

    number: int
    url: str
    title: str
    list_title: str
    label: str
    published: str
    edit_old: str  # occurs exactly once on the page
    edit_new: str
    bytes: int


def _cut(rng: random.Random, text: str, picture: Any) -> Any:
    """A paragraph the print layout cut mid-sentence, with a picture or a column break in the cut."""
    at = rng.randint(len(text) // 3, 2 * len(text) // 3)
    return G.Para(text[:at] + "‖" + text[at:], at_cut=(picture,))


def _picture(rng: random.Random, stamp: int, firm: str, reporter: str) -> Any:
    caption = f"{firm}的{rng.choice(FACILITIES)}內，技術人員正在{rng.choice(ACTIONS)}。"
    credit = rng.choice(("新華社", f"大公報記者{reporter}攝"))
    return G.img(f"{stamp % 10000:04d}", stamp, caption, credit)


def _blocks(rng: random.Random, number: int, label: str, reporter: str, edit_sentence: str) -> tuple[Any, ...]:
    mark = installment_mark(number)
    stamp = 1_700_000_000 + number * 1000
    firm = _firm(rng)
    blocks: list[Any] = [
        G.Para(rng.choice(QUOTES), role="pull_quote"),
        G.Line("editor_note_label", "編者按"),
        G.Para(EDITOR_NOTE, role="editor_note"),
        G.Line("series_line", f"{SERIES}{mark} {label}"),
        *(G.Para(p) for p in synthetic_paragraphs(rng, 2)),
        G.Line("byline", f"大公報記者 {reporter}"),
    ]
    for section, heading in enumerate(rng.sample(HEADINGS, 4)):
        blocks.append(G.Line("heading", heading))
        paragraphs = synthetic_paragraphs(rng, rng.randint(3, 4))
        if section == 1:
            paragraphs[1] += edit_sentence
        for i, text in enumerate(paragraphs):
            if i == 1 and section % 2 == 0:
                picture = _picture(rng, stamp + section, firm, reporter) if section == 0 else None
                blocks.append(_cut(rng, text, picture))
            elif i == 0 and section in (1, 3):
                lead = rng.choice(LEADS)
                blocks.append(G.Para(text, lead=lead))
            else:
                blocks.append(G.Para(text))
        if section == 2:
            blocks.append(_picture(rng, stamp + 9, firm, reporter))
            # A stray caption fragment the layout dropped between paragraphs.
            blocks.append(G.Line("caption_fragment", f"區的{rng.choice(FACILITIES)}裏，工人正在{rng.choice(ACTIONS)}。圖為{firm}", bold=False))
    blocks += [
        G.Line("sidebar_heading", rng.choice(HEADINGS)),
        G.Line("sidebar_label", "專家解讀"),
        *(G.Para(p) for p in synthetic_paragraphs(rng, 2)),
    ]
    return tuple(blocks)


def _furniture_head(rng: random.Random, slots: int) -> str:
    """An inline ad-slot configuration and style, as the live pages carry in <head>."""
    items = ",\n".join(
        f'  {{"id": "tkp_ad_{i:03d}", "size": [{rng.choice((300, 728, 970))}, {rng.choice((90, 250, 600))}], '
        f'"target": "news_232108", "lazy": {str(i > 3).lower()}, "refresh": {rng.randint(30, 90)}}}'
        for i in range(slots)
    )
    rules = "\n".join(
        f".tkp_ad_{i:03d}{{margin:{rng.randint(4, 20)}px auto;min-height:{rng.randint(60, 250)}px;background:#f{rng.randint(100, 999)}}}"
        for i in range(slots)
    )
    return f"<style>\n{rules}\n</style>\n<script>\nvar tkp_ad_slots = [\n{items}\n];\n</script>\n"


def _furniture_sitemap(rng: random.Random, budget: int) -> str:
    """The site map above the footer, about ``budget`` bytes: every column of the site, as the live pages list them."""
    names = ("要聞", "港聞", "內地", "國際", "財經", "體育", "文化", "旅遊", "健康", "科技", "評論", "視頻", "專題", "教育")
    rows = []
    used = 0
    while used < budget:
        column = 232100 + rng.randint(0, 899)
        row = f'<a href="{G.TKP}/news/{column}/index.html" target="_blank">{names[len(rows) % len(names)]}{column % 100:02d}</a>'
        rows.append(row)
        used += len(row.encode("utf-8")) + 1
    return '<div class="tkp_sitemap">\n' + "\n".join(rows) + "\n</div>\n"


def _published(number: int, total: int) -> datetime:
    """One installment every six hours, the last one on the morning of the replica's snapshot."""
    return G.SNAPSHOT - timedelta(hours=6 * (total - number) + 4, minutes=number * 17 % 60)


def _path(number: int, total: int) -> str:
    return f"{COLUMN_PATH}{_published(number, total):%Y/%m%d}/{2_000_000 + number}.html"


def _article_page(rng: random.Random, number: int, total: int) -> tuple[BenchArticle, str]:
    published = _published(number, total)
    path = _path(number, total)
    label = rng.choice(LABELS) + "篇"
    mark = installment_mark(number)
    headline = f"{rng.choice(FIRM_HEADS)}{rng.choice(HEADLINE_A)} {rng.choice(HEADLINE_B)}"
    title = f"{SERIES}{mark} {label}｜{headline}"
    separator = rng.choice(("｜", "︱", "/", "：", " "))
    list_title = rng.choice((f"{SERIES}{mark}{separator}{label}", f"要聞\\{SERIES}{mark}｜{label}", f"{SERIES}{mark} {headline}"))
    reporter = _name(rng)
    figure = 10_000 + number * 7
    edit_old = f"{figure}萬元"
    edit_sentence = f"項目首期總投資{edit_old}，預計明年第{rng.randint(1, 4)}季度投產。"
    inst = G.Installment(
        number=number,
        label=label,
        path=path,
        published=published,
        title=title,
        byline=reporter,
        editor=_name(rng),
        blocks=_blocks(rng, number, label, reporter, edit_sentence),
        title_tag=rng.choice(("h1", "h2")),
        author_variant=rng.choice(("div", "h2", "clearfix")),
        keywords=f"貿戰,中國力量,{label},示例市",
        views=rng.randint(800, 40_000),
    )
    (lines,) = G.print_lines(inst.blocks)
    body = [G.p_html(line, bold_headings=True, indent=False) for line in lines]
    body.append(f'<p style="text-align: right;">責任編輯：{escape(inst.editor)}</p>')
    neighbours = [n for n in range(number - 4, number + 5) if n != number and 1 <= n <= total]
    # The related box names the neighbours by their headline only, as the live box often does.
    related = [(G.TKP + _path(n, total), f"示例市企業專訪之{n}") for n in neighbours]
    ranking = [(f"{G.TKP}/news/232109/2025/1201/{1_900_000 + rng.randint(0, 99_999)}.html", f"示例市民生新聞{i}") for i in range(10)]
    page = G.tkp_page(
        origin=G.TKP,
        path=path,
        title=title,
        title_tag=inst.title_tag,
        title_bom=False,
        head_title_bom=False,
        author=G.author_html(inst.author_variant, published, "大公报", reporter),
        keywords=inst.keywords,
        description=G.first_paragraph(inst)[:80],
        content="\n".join("      " + b for b in body),
        views=inst.views,
        related=related,
        ranking=ranking,
    )
    # Furniture up to a page weight drawn between 30 and 80 KB.
    target = rng.randint(MIN_PAGE_BYTES + 2_000, MAX_PAGE_BYTES - 2_000)
    deficit = max(0, target - len(page.encode("utf-8")))
    head = _furniture_head(rng, max(1, deficit // 2 // 250))
    sitemap = _furniture_sitemap(rng, deficit - len(head.encode("utf-8")))
    for marker, extra in (("</head>", head), ('<div class="tkp_footer">', sitemap)):
        if page.count(marker) != 1:
            raise ValueError(f"the replica's article template changed: {marker!r} is not there once")
        page = page.replace(marker, extra + marker)
    size = len(page.encode("utf-8"))
    if not MIN_PAGE_BYTES <= size <= MAX_PAGE_BYTES:
        raise ValueError(f"installment {number}: page of {size} bytes, outside {MIN_PAGE_BYTES}–{MAX_PAGE_BYTES}")
    if page.count(edit_old) != 1:
        raise ValueError(f"installment {number}: edit target {edit_old!r} must occur once")
    record = BenchArticle(
        number=number,
        url=G.TKP + path,
        title=title,
        list_title=list_title,
        label=label,
        published=published.isoformat(),
        edit_old=edit_old,
        edit_new=f"{figure + 3}萬元",
        bytes=size,
    )
    return record, page


# ---------------------------------------------------------------------------
# List pages and the tree
# ---------------------------------------------------------------------------

OTHER_NEWS = ("示例市地鐵九號線動工", "示例市冬季長跑賽下月舉行", "中國力量閃耀示例市科技節", "示例港新泊位啟用", "示例市圖書館延長開放時間")


def _list_pages(rng: random.Random, articles: list[BenchArticle], per_list: int) -> list[tuple[str, str]]:
    newest_first = sorted(articles, key=lambda a: a.number, reverse=True)
    chunks = [newest_first[i : i + per_list] for i in range(0, len(newest_first), per_list)]
    ranking = [(f"{G.TKP}/news/232109/2025/1201/{1_800_000 + i}.html", f"示例市熱門新聞{i}") for i in range(8)]
    pages = []
    for page_no, chunk in enumerate(chunks, start=1):
        entries = []
        for i, a in enumerate(chunk):
            when = datetime.fromisoformat(a.published)
            thumb = G.thumb(1_700_000_000 + a.number)
            entries.append(G.Entry(a.url, a.list_title, "示例市企業在外部壓力下加快轉型。", "內地", when, thumb))
            if i % 5 == 2:  # other news between the installments; never fetched
                other = rng.choice(OTHER_NEWS)
                url = f"{G.TKP}/news/232108/2025/1201/{1_700_000 + page_no * 100 + i}.html"
                entries.append(G.Entry(url, other, "本地新聞。", "內地", when, thumb))
        html = G.list_page(column_path=COLUMN_PATH, column_name="內地", entries=entries, page=page_no, count=len(chunks))
        bundled = G.link_list(G.RANKING_WWW)  # links to the bundled replica's articles: not in this site
        if html.count(bundled) != 1:
            raise ValueError("the replica's list template changed: its ranking block is not there once")
        html = html.replace(bundled, G.link_list(ranking))
        url = f"{G.TKP}{COLUMN_PATH}" + ("index.html" if page_no == 1 else f"{page_no}.html")
        pages.append((url, html))
    return pages


def _write(out: Path, url: str, content: str) -> None:
    host, _, path = url.split("://", 1)[1].partition("/")
    target = out / host / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content, encoding="utf-8")


def generate(out: Path, articles: int, *, per_list: int = 20, seed: int = 8) -> dict[str, Any]:
    """Write a site of ``articles`` installments under ``out`` (replaced); return its manifest."""
    if articles < 1:
        raise ValueError("the site needs at least one installment")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    records = []
    for number in range(1, articles + 1):
        record, page = _article_page(random.Random(f"{seed}:{number}"), number, articles)
        _write(out, record.url, page)
        records.append(record)
    lists = _list_pages(random.Random(f"{seed}:lists"), records, per_list)
    for url, html in lists:
        _write(out, url, html)
    _write(out, f"{G.TKP}/robots.txt", G.ROBOTS)
    manifest = {
        "format": FORMAT,
        "about": "Synthetic benchmark site written by bench/sitegen.py; every text and name is invented.",
        "params": {"articles": articles, "per_list": per_list, "seed": seed},
        "series": {"name": SERIES, "pattern": SERIES},
        "start_url": lists[0][0],
        "list_pages": [url for url, _ in lists],
        "page_bytes": {"min": min(r.bytes for r in records), "max": max(r.bytes for r in records),
                       "mean": round(sum(r.bytes for r in records) / len(records))},
        "articles": [asdict(r) for r in records],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def load_manifest(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensure_site(out: Path, articles: int, *, per_list: int = 20, seed: int = 8) -> dict[str, Any]:
    """The site under ``out``, written again only when missing or made with other parameters."""
    manifest = load_manifest(out)
    wanted = {"articles": articles, "per_list": per_list, "seed": seed}
    if manifest is not None and manifest.get("format") == FORMAT and manifest.get("params") == wanted:
        return manifest
    return generate(out, articles, per_list=per_list, seed=seed)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    where = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent / "work" / "site"
    m = generate(where, n)
    print(f"wrote {n} installments and {len(m['list_pages'])} list pages under {where}; page bytes {m['page_bytes']}")
