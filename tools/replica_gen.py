"""Write the replica data tree and its manifest: ``python tools/replica_gen.py [OUT_DIR]`` (default: the packaged ``src/series_archiver/demo/replica_site``).

The tree beside this file (one folder per real host, plus ``manifest.json``) is
generated, not hand-written: edit the content or the templates here and run the
script again; ``tests/demo/test_replica.py`` fails when the two drift apart.

Every text below is synthetic. The firms (星河微電子, 青禾紡織 …), the people
(甄假名, 白虛構 …), the city (示例市) and the figures are invented; only the
*shape* of the real pages is copied: the markup of the sites, and the parts and
print-layout artifacts of a printed installment (kicker, editor's note, pull
quote, byline line, ▲ captions with credits, stray caption fragments,
paragraphs cut mid-sentence or mid-word by an image or a column break, an
expert sidebar, bold lead-ins). Never paste real article text into this file.

Needs OpenCC (``opencc``) for the simplified-script copy.
"""

from __future__ import annotations

import html
import json
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import opencc

HKT = timezone(timedelta(hours=8))

# t2s, as the package's own textfold.to_simplified uses.
_T2S = opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_T2S.convert(text))


TKP = "https://www.takungpao.com"
TKP_HTTP = "http://www.takungpao.com"  # some pages and scrapers use plain http
TKP_HK = "https://www.takungpao.com.hk"
IMG = "https://img.takungpao.com"
EPAPER = "https://epaper.tkww.hk"
TKWW = "https://www.tkww.hk"
HOSTS = ("www.takungpao.com", "www.takungpao.com.hk", "img.takungpao.com", "epaper.tkww.hk", "www.tkww.hk")

# The moment the replica pretends to have been captured: list pages print
# times relative to it (「4小时前」 is 04:24 on 18 December).
SNAPSHOT = datetime(2025, 12, 18, 8, 30, tzinfo=HKT)

# ---------------------------------------------------------------------------
# Content model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Img:
    """A picture and its caption; ``src`` is written into the page as is."""

    src: str
    caption: str  # without the leading ▲ and without the credit
    credit: str

    @property
    def caption_line(self) -> str:
        return f"▲{self.caption} {self.credit}"

    @property
    def caption_text(self) -> str:
        """The caption as the manifest records it: no ▲, credit kept."""
        return f"{self.caption} {self.credit}"


@dataclass(frozen=True)
class Para:
    """One paragraph of the story. ``‖`` marks where print layout cut it.

    ``at_cut[i]`` is what the layout put into cut ``i`` (a picture with its
    caption) or None for a bare column break.
    """

    text: str
    lead: str = ""  # a bold lead-in of a few words printed before the text
    at_cut: tuple[Img | None, ...] = ()
    role: Literal["paragraph", "editor_note", "pull_quote"] = "paragraph"

    @property
    def printed(self) -> str:
        return f"{self.lead} {self.text}" if self.lead else self.text

    @property
    def whole(self) -> str:
        return self.printed.replace("‖", "")


LineRole = Literal[
    "editor_note_label",
    "kicker",
    "headline",
    "series_line",
    "byline",
    "heading",
    "sidebar_heading",
    "sidebar_label",
    "caption_fragment",
]
HEADING_ROLES = {
    "editor_note_label", "kicker", "headline", "series_line", "heading", "sidebar_heading", "sidebar_label"
}


@dataclass(frozen=True)
class Line:
    """A printed line that is not a paragraph of the story."""

    role: LineRole
    text: str
    bold: bool = True  # False: the layout dropped it mid-body as a plain line


class PageBreak:
    """Where a long article continues on ``<id>_2.html``."""


Block = Para | Line | Img | PageBreak


@dataclass(frozen=True)
class Installment:
    number: int
    label: str
    path: str  # on www.takungpao.com and its mirror
    published: datetime
    title: str  # the article page's h1/h2, without U+FEFF
    byline: str
    editor: str
    blocks: tuple[Block, ...]
    bold_headings: bool = True  # headings and lead-ins in <strong>, as most print imports have them
    indent: bool = False  # paragraphs start with two ideographic spaces, as some print imports do
    title_tag: Literal["h1", "h2"] = "h2"
    title_bom: bool = False  # U+FEFF in front of the h1/h2 text
    author_variant: Literal["div", "h2", "clearfix"] = "div"
    keywords: str = ""
    views: int = 0

    @property
    def url(self) -> str:
        return TKP + self.path

    @property
    def circled(self) -> str:
        return chr(0x2460 + self.number - 1)


# ---------------------------------------------------------------------------
# The four installments. Synthetic text only.
# ---------------------------------------------------------------------------

EDITOR_NOTE_SHORT = (
    "過去幾年，外部環境風高浪急，加徵關稅、出口管制接踵而來，示例市的企業卻在壓力下加快轉型。"
    "本報連載「貿戰下中國力量」系列報道，記錄普通企業與普通人如何在逆風中站穩腳跟。"
    "（本系列所涉企業、人物及數字均為虛構）"
)


def img(day: str, stamp: int, caption: str, credit: str, *, relative: bool = False) -> Img:
    path = f"/2025/{day}/{stamp}.jpg"
    return Img(f"/imgs{path}" if relative else IMG + path, caption, credit)


I1 = Installment(
    number=1,
    label="志氣篇",
    path="/news/232108/2025/1215/1050001.html",
    published=datetime(2025, 12, 15, 4, 24, 25, tzinfo=HKT),
    title="貿戰下中國力量① 志氣篇｜門檻擋不住 星河芯挺起腰桿",
    byline="甄假名",
    editor="孔示例",
    title_tag="h2",
    author_variant="div",
    keywords="貿戰,中國力量,志氣篇,星河微電子,示例市",
    views=18342,
    blocks=(
        Para("門檻設得再高，也攔不住一個肯自己造梯子的民族。", role="pull_quote"),
        Line("editor_note_label", "編者按"),
        Para(
            "過去幾年，外部環境風高浪急，加徵關稅、出口管制、斷供通知接踵而來。當時不少評論斷言，"
            "被層層設卡之後，示例市這類靠製造業起家的城市將會一蹶不振。現實給出的答案恰好相反："
            "企業在壓力下加快轉型，研發投入年年攀升，外貿版圖越拓越寬。按本報整理的示例數據，"
            "示例市去年工業增加值首度站上1萬億元台階。",
            role="editor_note",
        ),
        Para(
            "壓力沒有壓垮誰，反而讓更多人看清了要走的路。本報由今日起連載「貿戰下中國力量」系列報道，"
            "走訪工廠、碼頭、實驗室與田野，記錄一家家普通企業、一個個普通人如何在逆風中站穩腳跟。"
            "（本系列所涉企業、人物及數字均為虛構，僅供軟件測試之用）",
            role="editor_note",
        ),
        Line("series_line", "貿戰下中國力量① 志氣篇"),
        Para(
            "示例市高新區一座灰白色廠房裏，星河微電子的第三條封裝測試線上月正式滿產。三年前，"
            "這家公司七成以上的關鍵設備仍要向海外採購；如今，生產線上國產設備的比例已升至85%。"
            "公司董事長甘樣板笑說：「以前是人家賣甚麼我們買甚麼，現在輪到我們自己定規格。」"
        ),
        Para(
            "從晶片設計軟件到工業控制器，從精密軸承到醫用影像設備，越來越多曾被認為「離不開進口」的環節，"
            "正由本地企業一項項補齊。外來的封鎖沒有讓示例市的工程師停下腳步，反而催生了一場靜悄悄的接力賽。"
        ),
        Line("byline", "大公報記者 甄假名"),
        Para(
            "故事要從2019年說起。那年春天，星河微電子收到海外合作方的一紙通知：公司賴以開發圖像處理晶片的"
            "設計工具，授權將於半年後到期，且不再續約。當時公司近一半在研項目都建立在這套工具之上，"
            "研發部門一度陷入停擺。"
        ),
        Para(
            "「那段日子，會議室的燈幾乎沒有熄過。」星河微電子首席技術官莫擬真回憶，團隊最後決定從頭自建"
            "一套工具，抽調四十多名工程師組成攻關小組，由最底層的電路仿真模塊寫起。「大家心裏只有一個念頭："
            "不能讓人家一句話就把我們卡死。」"
        ),
        Line("heading", "十年磨一芯 星河晶片量產"),
        Para(
            "兩年後，第一版自研設計平台在公司內部上線，起初只能支撐中低端產品的開發。工程師一邊用一邊改，"
            "累計提交了超過12萬條修改記錄。如‖今，這套平台已迭代至第五版，不僅撐起星河全部產品線，"
            "還以授權方式提供給示例市另外17家設計公司使用，去年帶來約3.6億元的授權收入。",
            at_cut=(None,),
        ),
        Para(
            "今年9月，星河微電子發布面向邊緣計算的「星河二號」推理晶片，採用自主指令集架構，單顆功耗"
            "不到同類進口產品的六成。首批訂單來自示例市的智慧交通項目，全市2000多個路口的信號控制箱"
            "將陸續換上這款晶片。發布會同場還展出了華為等企業的芯片產品，吸引不少觀眾駐足。"
        ),
        img("1215", 1765743865, "星河微電子的潔淨車間內，工程師正在檢查剛下線的晶圓。", "大公報記者甄假名攝"),
        # The layout emitted the page's kicker and main headline here, mid-story.
        Line("kicker", "十年攻關不停步 示例市晶片闖新路", bold=False),
        Line("headline", "門檻擋不住 星河芯挺起腰桿", bold=False),
        Line("heading", "設備換上國產 成本降了三成"),
        Para(
            "過去，封裝測試環節最依賴進口的是高精度貼片機和檢測儀。示例市精工裝備集團從2020年起組建"
            "專門團隊，花了四年時間啃下貼片頭定位控制這塊硬骨頭，定位誤差控制在兩微米以內，整體性能"
            "已走在行業前‖列。集團總經理羅模擬說，國產設備的售價約為進口同類產品的一半，維修響應時間"
            "則由過去的數周縮短至48小時以內。",
            lead="補鏈強鏈",
            at_cut=(img("1215", 1765743871, "示例市精工裝備集團的裝配車間裏，技術人員正在調試新一代貼片機。", "新華社"),),
        ),
        Para(
            "設備價格降下來，直接帶動了下游成本。據示例市半導體行業協會統計，本地封裝測試企業的單位"
            "生產成本三年來累計下降約三成，利潤率反而有所提高。協會秘書長孟參照認為，更關鍵的變化在於"
            "話語權：「以前設備一出故障，只能排隊等外國工程師上門；現在我們自己的工程師就能直接改程序。」"
        ),
        Para(
            "示例市經濟和信息化局的數據顯示，全市集成電路產業規模今年預計突破1600億元，按年增長超過兩成，"
            "本地企業在封裝測試、專用設備等環節的配套能力明顯增強。"
        ),
        Line("heading", "材料工藝齊發力 短板逐一補上"),
        Para(
            "光有設備還不夠。晶圓清洗用的高純度化學品、封裝用的特種樹脂，過去同樣高度依賴進口。"
            "示例新材料公司研發總監葉案例介紹，公司乾脆把實驗室搬進客戶的工廠，讓研發人員在產線旁邊"
            "調配方，樣品由送檢到定型的周期從一年壓縮至不足四個月。",
            lead="以用促研",
        ),
        Para(
            "目前，該公司生產的電子級清洗液純度已達國際通行的最高等級，在示例市的市場佔有率超過四成，"
            "並開始向東南亞客戶批量供貨。葉案例透露，公司計劃再投資8億元興建第二座工廠，預計2027年投‖"
            "產後，年產能可增加一倍。",
            at_cut=(None,),
        ),
        Line("caption_fragment", "號晶圓廠的自動化倉儲區，機械臂晝夜不停搬運物料。圖為工程師在潔淨"),
        Line("sidebar_heading", "自主創新 從單點突破到全鏈躍升"),
        Line("sidebar_label", "專家解讀"),
        Para(
            "示例大學產業經濟研究院院長白虛構接受本報訪問時指出，外部壓力在客觀上縮短了本地企業的"
            "「試錯周期」。過去，國產產品往往因為「沒人敢用」而遲遲無法成熟；封鎖之後，下游企業被迫轉向"
            "本地供應商，反而讓新產品有機會在真實場景中反覆打磨。"
        ),
        Para(
            "白虛構認為，示例市的經驗可歸納為三點：一是政府牽頭搭建共性技術平台，避免企業各自重複投入；"
            "二是龍頭企業開放應用場景，讓中小供應商有機會「上車」；‖三是金融機構針對研發周期長的特點，"
            "推出年期更長的科技貸款。",
            at_cut=(None,),
        ),
        Line("heading", "人才紅利 撐起長期投入"),
        Para(
            "他特別提到人才。示例市近五年新增的集成電路從業人員超過6萬人，其中七成來自本地院校的聯合"
            "培養計劃。「門檻設得再高，也攔不住一個肯自己造梯子的民族。」白虛構說，真正的底牌不是某一項"
            "技術，而是一批又一批能解決新問題的人。"
        ),
        Para(
            "展望未來，白虛構預計，隨着更多本地標準獲國際同行採納，示例市企業將由「照着別人的規則做產品」"
            "轉向「參與制定規則」，這一轉變帶來的影響，可能比任何一款單獨的產品都更深遠。"
        ),
        img("1215", 1765743880, "示例大學聯合實驗室裏，研究生正在測試自主設計的晶片樣品。", "新華社"),
    ),
)

I2 = Installment(
    number=2,
    label="底氣篇",
    path="/news/232108/2025/1216/1050318.html",
    published=datetime(2025, 12, 16, 4, 24, 11, tzinfo=HKT),
    title="貿戰下中國力量② 底氣篇｜港口不停擺 供應鏈底氣足",
    byline="賈測試",
    editor="孔示例",
    title_tag="h1",
    title_bom=True,
    author_variant="h2",
    indent=True,
    keywords="貿戰,中國力量,底氣篇,示例港,供應鏈",
    views=12907,
    blocks=(
        Para("貨櫃可以改道，市場可以換人，但一條完整的產業鏈搬不走。", role="pull_quote"),
        Line("editor_note_label", "編者按"),
        Para(EDITOR_NOTE_SHORT, role="editor_note"),
        Line("kicker", "內外循環雙向發力 示例港吞吐量再創新高"),
        Line("headline", "港口不停擺 供應鏈底氣足"),
        Line("series_line", "貿戰下中國力量② 底氣篇"),
        Para(
            "凌晨四點，示例港三期碼頭的岸橋仍在運轉。一艘剛從南美返航的貨輪正在卸下大豆和銅礦，旁邊"
            "泊位上，另一艘貨輪正裝載着發往中東的光伏組件。碼頭調度員林佔位說，今年以來，港區幾乎沒有"
            "一天「閒下來」。"
        ),
        Para(
            "外部關稅一輪接一輪加碼，示例港的吞吐量卻不降反升。前11個月，港口集裝箱吞吐量達到2860萬"
            "標準箱，按年增長7.4%，其中來自新興市場的航線貨量增長超過兩成。"
        ),
        Line("byline", "大公報記者 賈測試"),
        Para(
            "示例港集團副總經理韋參數坦言，2023年部分航線的訂單一度大幅減少，集團上下都捏了一把汗。"
            "「當時有客戶打電話來，說下個季度的貨可能要轉去別的港口。」他說，集團隨即成立航線開發專班，"
            "三個月內跑遍了東南亞和中東的十多個港口。"
        ),
        Line("heading", "新航線接連開通 貨源更分散"),
        Para(
            "兩年間，示例港新開通國際航線23條，覆蓋東盟、中東、拉美和東‖非等市場。韋參數說，過去港口"
            "近四成貨量集中在少數幾條遠洋航線上，一旦某個市場出現波動，整個港區都會受到牽連；如今貨源"
            "更為分散，任何單一市場的佔比都不超過15%，抗風險能力明顯增強。",
            at_cut=(img("1216", 1765830251, "示例港三期碼頭，岸橋正在為遠洋貨輪裝卸集裝箱。", "新華社", relative=True),),
        ),
        Para(
            "港口效率的提升同樣關鍵。示例港去年全面啟用自主研發的智能調度系統，集裝箱從卸船到出閘的"
            "平均時間縮短至9.5小時。系統開發商海藍物流科技的技術負責人鄧暫定介紹，這套系統由本地團隊"
            "從零開發，核心算法不依賴任何海外授權。",
            lead="數字賦能",
        ),
        Para(
            "「以前用的是進口軟件，每年光授權費就要上千萬元，想加一個功能還要排期等半年。」鄧暫定說，"
            "換成自家系統後，碼頭提出的需求最快兩三天就能上線。目前，這套系統已推廣至國內另外6個港口。"
        ),
        Para(
            "海鐵聯運是示例港的另一張王牌。港口去年開通直達內陸六個省份的班列，貨物由內陸工廠裝車到碼頭"
            "上船，全程最快只需兩天。示例港鐵路物流公司經理喬參詳說，今年班列開行量已突破1.1萬列，比兩年前"
            "翻了一番，「內陸企業的貨走得出去，港口的腰桿也就更硬。」"
        ),
        Line("heading", "內需市場廣闊 企業有底氣"),
        Para(
            "除了向外開拓，龐大的內需市場同樣是企業的「壓艙石」。示例市家電企業暖陽電器原本有六成產品"
            "銷往海外，受關稅影響，部分海外訂單利潤被大幅壓縮。公司隨即調整策略，推出針對本地家庭的"
            "節能系列，‖並借助電商平台直接面向消費者。",
            at_cut=(None,),
        ),
        Para(
            "暖陽電器市場總監蔣範本透露，今年公司內銷收入首次超過外銷，全年營收預計增長約12%。「外面的"
            "風浪大，家門口的市場同樣很大。」她說，國內消費者對智能化、節能產品的需求增長很快，企業只要"
            "把產品做好，就不愁沒有市場。"
        ),
        Para(
            "示例市消費者委員會的一項調查顯示，超過六成受訪市民選購家電時會優先考慮本地品牌，理由包括售後"
            "服務響應快、配件容易購買等。業界認為，本地品牌口碑的提升，為企業轉向內需市場打下了基礎。"
        ),
        Line("caption_fragment", "庫內，工人正在為發往中東的貨物貼上標籤。圖為示例港保稅"),
        Para(
            "物流業界的另一個變化，是跨境電商的興起。示例市跨境電商綜合試驗區今年前三季度進出口額達"
            "1460億元，按年增長18%。不少中小企業繞開傳統的外貿中間環節，直接把產品賣到海外消費者手中。"
        ),
        Para(
            "海藍物流總經理袁演示說，公司近兩年在東南亞和中東新建了5個海外倉，總面積超過12萬平方米。"
            "海外倉讓中小企業可以提前備貨，把配送時間由兩三周縮短至兩三天，也降低了關稅政策變動帶來的"
            "不確定性。他坦言，海外倉‖儲業務目前已佔公司收入的三成以上。",
            lead="化危為機",
            at_cut=(img("1216", 1765830262, "海藍物流位於東南亞的海外倉內，工作人員正在分揀包裹。", "大公報記者賈測試攝"),),
        ),
        Para(
            "貨櫃可以改道，市場可以換人，但一條完整的產業鏈搬不走——這是採訪中不少企業負責人的共同感受。"
            "示例市目前擁有規模以上工業企業逾9000家，從原材料、零部件到整機組裝，大部分配套都能在方圓"
            "100公里內找到。"
        ),
        Para(
            "「底氣從哪裏來？來自一條完整的產業鏈，也來自一個十幾億人的大市場。」示例市商務局局長戚草擬"
            "表示，當地將繼續擴大高水平對外開放，同時加快培育本地消費，讓企業在內外兩個市場之間都能找到出路。"
        ),
        Para(
            "示例港集團計劃明年再投入42億元，推進四期自動化碼頭建設，預計2027年建成後，港口年吞吐能力"
            "將再提升約600萬標準箱。韋參數說：「風浪總會過去，碼頭要做的，是讓每一艘船都有地方停靠。」"
        ),
    ),
)

I3 = Installment(
    number=3,
    label="骨氣篇",
    path="/news/232108/2025/1217/1050642.html",
    published=datetime(2025, 12, 17, 4, 24, 37, tzinfo=HKT),
    title="貿戰下中國力量③ 骨氣篇｜關稅壓不彎 外貿新路越走越寬",
    byline="何樣本",
    editor="梁範例",
    title_tag="h1",
    author_variant="clearfix",
    keywords="貿戰,中國力量,骨氣篇,外貿,青禾紡織",
    views=9655,
    blocks=(
        Line("editor_note_label", "編者按"),
        Para(EDITOR_NOTE_SHORT, role="editor_note"),
        Para("訂單丟了可以再找，腰桿彎了就直不起來。", role="pull_quote"),
        Line("kicker", "不靠單一市場吃飯 示例市外貿企業多點開花"),
        Line("headline", "關稅壓不彎 外貿新路越走越寬"),
        Line("series_line", "貿戰下中國力量③ 骨氣篇"),
        Para(
            "示例市青禾紡織的樣品間裏，掛滿了即將發往中東、非洲和南美的新款布料。公司總經理顧假設說，"
            "六年前，這家企業超過八成的訂單來自同一個海外市場；對方第一輪加徵關稅後，公司一個月內就"
            "丟了三成訂單。"
        ),
        Para(
            "「訂單丟了可以再找，腰桿彎了就直不起來。」顧假設說，公司沒有選擇降價求存，而是咬牙把錢投進"
            "設計和新市場。如今，青禾的客戶分布在40多個國家和地區，任何一個市場的佔比都不超過兩成。"
        ),
        Line("byline", "大公報記者 何樣本"),
        Para(
            "顧假設回憶，最艱難的是2019年下半年。當時倉庫積壓了大批已完工的布料，工人每周只能開工三天。"
            "「有同行勸我把價錢壓到成本線以下，先把貨清掉再說。」他沒有照做，而是帶着樣品飛往迪拜參加"
            "紡織展，一口氣談下了4家新客戶。"
        ),
        Line("heading", "自創品牌 從代工到定價"),
        Para(
            "局面在青禾創立自有品牌後才扭轉過來。2021年，青禾推出面向年輕消費者的功能面料品牌「禾風」，主打防水透氣"
            "和可回收材料，由公司自己的二十人團隊負責設‖計。顧假設說，做代工時利潤只有5%左右，有了自己的"
            "品牌後，毛利率提升到接近三成，「最重要的是，價錢終於由我們自己說了算。」",
            at_cut=(img("1217", 1765916655, "青禾紡織的設計團隊正在討論新一季面料的花色。", "大公報記者何樣本攝"),),
        ),
        Para(
            "示例市紡織服裝商會的數據顯示，當地擁有自主品牌的外貿企業數量五年間增加了一倍多，達到380家。"
            "商會會長秦示意說，品牌化讓企業在談判桌上多了籌碼，「關稅再加，有品牌、有技術的產品照樣有人買。」"
        ),
        Line("heading", "市場多元 東盟拉美齊發力"),
        Para(
            "市場多元化是示例市外貿企業的另一條出路。據示例海關統計，今年前11個月，示例市對東盟出口按年"
            "增長16.3%，對拉美和非洲出口分別增長21.5%和19.8%，新興市場在全市出口中的比重首次超過一半。",
            lead="開疆拓土",
        ),
        Para(
            "示例市機電企業恆遠電機就是其中一例。公司海外業務負責人褚佔位告訴記者，過去幾年，公司先後在"
            "越南、墨西哥和埃及設立銷售中心，並根據當地電網標準重新設計了產品。「不同市場的需求差別很大，"
            "逼着我們把研發做得更細。」"
        ),
        Para(
            "為了更快回應客戶需求，恆遠電機把部分研發人員派駐海外，與當地工程師一起工作。褚佔位說，這種"
            "「貼身服務」雖然增加了成本，卻換來了客戶的信任，不少客戶從單次採購變成了長期合作夥伴。"
        ),
        PageBreak(),
        Para(
            "褚佔位說，新市場起初並不好打，第一年在墨西哥只拿到兩張小訂‖單。公司派出技術團隊駐場半年，"
            "幫客戶解決設備安裝和維護問題，口碑才慢慢建立起來。今年，恆遠電機在拉美的銷售額已突破5億元。",
            at_cut=(None,),
        ),
        Line("caption_fragment", "中心的展廳裏，客商正在了解新款節能電機的參數。圖為恆遠電"),
        Line("heading", "規則之爭 企業敢於說不"),
        Para(
            "骨氣不只體現在開拓市場，也體現在面對不合理要求時敢於說「不」。去年，一家海外採購商要求恆遠"
            "電機提供核心控制程序的源代碼，作為繼續合作的條件。公司管理層討論後決定拒絕，「技術是企業的"
            "命根子，不能拿來換訂單。」"
        ),
        Para(
            "出乎意料的是，半年後，這家採購商又主動回來下單，而且沒有再提源代碼的要求。褚佔位笑說："
            "「人家最後看重的，還是我們產品的質量和交貨速‖度。」",
            at_cut=(img("1217", 1765916671, "恆遠電機的生產線上，工人正在組裝出口拉美的節能電機。", "新華社"),),
        ),
        Para(
            "青禾紡織也在加快數字化轉型。公司去年上線自主開發的訂單管理系統，海外客戶可以在網上實時查看"
            "生產進度，交貨準時率提升到98%以上。"
        ),
        Para(
            "示例市商務部門的統計顯示，當地今年新增有進出口實績的企業超過1200家，其中不少是首次走出國門的"
            "中小企業。商務局相關負責人表示，將繼續為企業提供海外參展補貼和法律諮詢服務，幫助企業在陌生"
            "市場少走彎路。"
        ),
        Line("sidebar_heading", "市場多元化 抗風險能力倍增"),
        Line("sidebar_label", "專家解讀"),
        Para(
            "示例商學院國際貿易系教授柯假定接受本報訪問時表示，示例市外貿企業的轉型有一個共同特點："
            "不再把雞蛋放在同一個籃子裏。市場分散之後，任何單一國家的政策變化都難以對企業造成致命打擊。"
        ),
        Para(
            "柯假定指出，過去不少企業習慣「接單—生產—出貨」的簡單模式，利潤微薄，也缺乏議價能力，‖"
            "貿易摩擦反而迫使企業向研發、設計和品牌等高附加值環節延伸。",
            at_cut=(None,),
        ),
        Para(
            "他認為，未來外貿企業的競爭力，將愈來愈取決於能否為客戶提供整體解決方案，而不僅僅是一件產品。"
            "「關稅是一時的，能力是長期的。把能力練好了，走到哪裏都有飯吃。」"
        ),
        Para(
            "柯假定同時提醒，開拓新興市場也要做好風險管理，包括匯率波動、當地法規和收款安全等問題。他建議"
            "企業善用出口信用保險等工具，在「走出去」的同時把風險「鎖起來」。"
        ),
    ),
)

I4 = Installment(
    number=4,
    label="硬氣篇",
    path="/news/232108/2025/1218/1050977.html",
    published=datetime(2025, 12, 18, 4, 24, 8, tzinfo=HKT),
    title="貿戰下中國力量④ 硬氣篇｜核心部件自己造 綠色產業底盤更穩",
    byline="吳示範",
    editor="梁範例",
    title_tag="h2",
    author_variant="h2",
    bold_headings=False,  # this print import came through without any <strong>
    keywords="貿戰,中國力量,硬氣篇,新能源,鐵峰重工",
    views=4120,
    blocks=(
        Line("kicker", "新能源裝備加速突圍 示例市企業掌握關鍵技術"),
        Line("headline", "核心部件自己造 綠色產業底盤更穩"),
        Para("真正的硬氣，是別人卡不住、也拿不走的本事。", role="pull_quote"),
        Line("series_line", "貿戰下中國力量④ 硬氣篇"),
        Para(
            "示例市東郊的風電產業園內，一台葉輪直徑超過260米的海上風機剛剛完成整機測試。這台由鐵峰重工"
            "自主研製的機組，從主軸承、變流器到控制系統，全部實現本地配套。項目總工程師曹樣例說："
            "「五年前，這些部件我們一件都造不出來。」"
        ),
        Para(
            "從風電、光伏到儲能電池，示例市的新能源裝備企業正在經歷一輪「硬核升級」。外部的技術限制，"
            "倒逼企業把最難啃的核心部件攥在自己手裏。"
        ),
        Line("byline", "大公報記者 吳示範"),
        Line("heading", "主軸承突圍 風機有了「硬心臟」"),
        Para(
            "大型風機的主軸承長期被少數海外企業壟斷，交貨周期動輒一年以上，價格也由對方說了算。2021年，"
            "鐵峰重工聯合示例大學材料學院成立攻關團隊，從特種鋼材的冶煉工藝做起，先後試製了11版樣品。",
            lead="迎難而上",
        ),
        Para(
            "曹樣例回憶，第7版樣品在疲勞測試中出現裂紋，團隊連續三個月吃住在實驗室，最終找到熱處理環節的"
            "溫度控‖制問題。2023年，首套國產大兆瓦主軸承通過權威機構認證，各項指標達到國際同類產品水平，"
            "價格則低了約四成，交貨周期縮短至四個月。",
            at_cut=(img("1218", 1766003048, "鐵峰重工的總裝車間內，工人正在吊裝海上風機的主軸承。", "新華社"),),
        ),
        Para(
            "目前，鐵峰重工的風機訂單已排到2027年，今年海外訂單額按年增長逾五成，產品遠銷歐洲、中亞和南美。"
            "公司董事長嚴示例說，核心部件國產化之後，企業報價更有底氣，「以前人家漲價我們只能認，現在我們"
            "可以跟客戶談長期合同。」"
        ),
        Para(
            "鐵峰重工還把攻關中積累的經驗開放給上下游企業。公司牽頭組建的風電產業聯盟已吸納成員企業120多家，"
            "共同制定零部件質量標準，並建立共享檢測平台，中小企業送檢一次的成本降低了約六成。"
        ),
        Line("heading", "固態電池提速 儲能成本再降"),
        Para(
            "在示例市另一端，綠芯電池的固態電池中試線正在晝夜運轉。公司創始人華示範介紹，團隊在固態電解質"
            "材料上取得突破，電芯能量密度較目前主流的液態鋰電池提升約四成，安全性也大幅提高。",
            lead="換道領跑",
        ),
        Para(
            "華示範說，固態電池的核心材料過去主要依靠進口，單價一度高達每公斤數千元。綠芯電池用了五年時間"
            "建立起自己的材料合成工藝，‖目前材料成本已降至進口產品的三分之一左右，預計明年可實現小批量裝車。",
            at_cut=(None,),
        ),
        Line("caption_fragment", "線上，機械臂正在將電芯逐一送入檢測工位。圖為綠芯電池"),
        Para(
            "儲能是綠芯電池的另一個重點。今年，公司為示例市建成全市最大的電網側儲能電站，裝機容量達到"
            "200兆瓦，可在用電高峰時為約30萬戶家庭供電兩小時。華示範說，儲能電站使用的電芯、電池管理系統"
            "和能量管理軟件，全部由公司自主開發。"
        ),
        Para(
            "在示例市高新區，光伏企業晨曦新能源同樣在核心設備上取得突破。公司自主研製的高效電池片鍍膜設備，"
            "今年起全面替代進口設備，單條產線的設備投資因此減少約1.5億元。公司副總經理伍參考說，設備自主"
            "可控之後，企業可以根據工藝需要隨時調整參數，新產品的研發周期明顯縮短。"
        ),
        Para(
            "在示例市的產業園區，類似的故事並不少見。一家專做風機葉片材料的中小企業，三年前還在為拿不到"
            "進口碳纖維發愁，如今已能自主生產高性能碳纖維布，產品同時供應國內外多家整機廠。"
        ),
        Para(
            "據示例市工業和信息化局統計，全市新能源裝備產業今年產值預計突破2800億元，按年增長約15%，"
            "核心零部件本地配套率由三年前的不足五成提升至近八成。"
        ),
        Para(
            "不少企業負責人坦言，這幾年的外部壓力讓他們吃了不少苦頭，但也讓整個行業變得更「硬」。「過去總"
            "覺得買現成的最省事，現在大家都明白，最難的那部分必須自己掌握。」曹樣例說。"
        ),
        Line("sidebar_heading", "掌握核心技術 才有議價底氣"),
        Line("sidebar_label", "專家解讀"),
        Para(
            "示例理工大學能源研究所所長潘假擬表示，新能源是少數幾個本地企業從一開始就與國際同行站在同一"
            "起跑線上的產業。外部限制客觀上加速了核心部件的國產化進程，也讓企業更清楚地認識到，關鍵技術"
            "是買不來、討不來的。"
        ),
        Para(
            "潘假擬認為，下一階段的競爭重點將從產品轉向標準。示例市企業已牽頭或參與制定了多項風電和儲能"
            "領域的國際標‖準，這意味着本地企業開始在規則層面擁有話語權。",
            at_cut=(img("1218", 1766003060, "綠芯電池的研發人員正在實驗室檢測固態電解質樣品。", "大公報記者吳示範攝"),),
        ),
        Para(
            "「真正的硬氣，是別人卡不住、也拿不走的本事。」潘假擬說，企業要繼續加大基礎研究投入，同時重視"
            "產業工人的培養，讓創新成果能夠快速轉化為穩定可靠的量產產品。"
        ),
        Para(
            "他同時建議，政府可進一步完善首台套裝備的保險補償機制，鼓勵下游用戶大膽試用國產新產品，讓更多"
            "本地技術在實際應用中不斷成熟。"
        ),
    ),
)

INSTALLMENTS = (I1, I2, I3, I4)

# The other copies of installments.
MIRROR_1 = TKP_HK + I1.path
EPAPER_2_PATH = "/a/202512/16/AP69406e6ba3c5e1f20b7d4c9e.html"  # 69406e6b = 2025-12-16 04:24:11 HKT
EPAPER_2 = EPAPER + EPAPER_2_PATH
TKWW_2 = TKWW + EPAPER_2_PATH  # the same e-paper article on the portal host
EPAPER_2_TITLE = "貿戰下中國力量｜港口不停擺 供應鏈底氣足"
SIMPLIFIED_4_PATH = "/finance/236132/2025/1218/1050981.html"
SIMPLIFIED_4 = TKP + SIMPLIFIED_4_PATH
SIMPLIFIED_4_TIME = datetime(2025, 12, 18, 6, 10, 0, tzinfo=HKT)

# ---------------------------------------------------------------------------
# Other articles: distractors and unrelated news (short, synthetic).
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Plain:
    """A non-series article: a title and a few plain paragraphs."""

    path: str
    title: str
    published: datetime
    paragraphs: tuple[str, ...]
    intro: str = ""
    source: str = "大公网"
    host: str = TKP
    distractor: bool = False

    @property
    def url(self) -> str:
        return self.host + self.path


def t(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2025, 12, day, hh, mm, ss, tzinfo=HKT)


D_WINTER = Plain(
    "/news/232108/2025/1217/1050801.html",
    "中國力量閃耀冬季運動會",
    t(17, 20, 30, 12),
    (
        "第三屆示例冰雪運動會昨晚在示例市冰上運動中心閉幕。來自全國各地的1800多名運動員參加了12個大項的比賽，"
        "主辦方表示，本屆賽事首次全部採用本地研製的計時計分系統。",
        "賽事組委會副主任鍾試驗介紹，速度滑冰館的製冰設備同樣由示例市企業供應，冰面溫差控制在攝氏0.5度以內，"
        "多名運動員在賽後稱讚冰面狀態穩定。",
        "本屆運動會共打破3項全國紀錄。組委會表示，下一屆賽事將於兩年後在示例市北部新區舉行。",
    ),
    intro="第三屆示例冰雪運動會昨晚閉幕，本地研製的計時系統首次全面使用。",
    distractor=True,
)
D_STOCKS = Plain(
    "/finance/236132/2025/1216/1050455.html",
    "貿戰陰霾下港股反彈",
    t(16, 17, 45, 30),
    (
        "港股今日高開高走，三大指數全線上揚。市場憧憬貿易局勢緩和，科技股和內需消費股領漲，全日成交額"
        "較上一個交易日增加約兩成。",
        "示例證券首席分析師溫預估表示，近期外資回流跡象明顯，但貿易摩擦的陰霾尚未散去，投資者宜分散配置，"
        "留意企業盈利能否兌現。",
        "板塊方面，示例科技收市升逾6%，示例消費集團升約4%。分析人士預計，年底前大市仍以區間上落為主。",
    ),
    intro="市場憧憬貿易局勢緩和，港股三大指數全線上揚。",
    source="大公报",
    distractor=True,
)
D_EDITORIAL = Plain(
    "/news/232108/2025/1217/1050788.html",
    "【大公報評論】貿戰下的中國力量從何而來",
    t(17, 19, 0, 5),
    (
        "本報連日刊出的「貿戰下中國力量」系列報道，記錄了示例市一批企業在外部壓力下的轉型故事。讀者來信"
        "問得最多的一個問題是：這股力量究竟從何而來？",
        "答案或許並不複雜：一是完整的產業配套，二是龐大的本地市場，三是一代又一代願意啃硬骨頭的工程師。"
        "三者缺一，都難以在風浪中站穩。",
        "外部環境仍有不確定性，但只要這三樣東西還在，企業就有底氣應對下一輪挑戰。（本文為虛構評論，僅供測試）",
    ),
    intro="本報系列報道引起讀者關注，這股力量究竟從何而來？",
    distractor=True,
)
DISTRACTORS = (D_WINTER, D_STOCKS, D_EDITORIAL)

U_METRO = Plain(
    "/news/232108/2025/1218/1051003.html",
    "示例市地鐵八號線今日試運行",
    t(18, 7, 24, 40),
    (
        "示例市地鐵八號線今早6時起試運行，全線設站17座，連接北部新區與舊城中心。首班列車載客約300人次，"
        "運營公司表示試運行期間暫不收費。",
        "運營公司發言人蘇暫擬稱，試運行為期一個月，其間將根據客流調整行車間隔，正式通車日期稍後公布。",
        "沿線居民普遍歡迎新線開通。家住北部新區的市民歐佔位說，過去乘巴士到市中心要一小時，如今只需25分鐘。",
    ),
    intro="八號線全線設站17座，試運行期間暫不收費。",
)
U_FLU = Plain(
    "/news/232108/2025/1218/1050990.html",
    "示例市冬季流感疫苗第二輪接種明起展開",
    t(18, 6, 12, 0),
    (
        "示例市衞生部門宣布，冬季流感疫苗第二輪接種計劃明日起展開，全市120間社區健康中心提供免費接種服務。",
        "衞生部門提醒，長者、幼童及長期病患者屬高風險群組，應盡早接種。市民可透過網上平台預約，亦可即場登記。",
        "據統計，首輪接種計劃共有約46萬人次接種，較去年同期增加一成。",
    ),
    intro="全市120間社區健康中心提供免費接種。",
)
U_MUSEUM = Plain(
    "/news/232108/2025/1217/1050701.html",
    "示例科技館「星空廳」開幕",
    t(17, 11, 5, 33),
    (
        "示例科技館新建的「星空廳」昨日開幕，展廳以球幕影院為核心，可同時容納200名觀眾。",
        "館長司馬範例介紹，球幕影片全部由本地團隊製作，內容涵蓋太陽系形成、星座辨認等主題，適合不同年齡的觀眾。",
        "開幕首周，科技館每日安排6場免費放映，市民須提前在網上預約。",
    ),
    intro="新展廳以球幕影院為核心，首周免費放映。",
)
U_YOUTH = Plain(
    "/news/232108/2025/1217/1050611.html",
    "示例島青年交流團抵達示例市",
    t(17, 2, 15, 0),
    (
        "由40名大學生組成的示例島青年交流團昨日抵達示例市，展開為期一周的參訪活動。",
        "交流團將參觀高新區企業、大學實驗室和歷史街區，並與本地大學生舉行座談。團長邵假名表示，希望藉此加深兩地青年的了解。",
        "主辦單位表示，類似交流活動明年將增至4批，並邀請更多不同專業的學生參加。",
    ),
    intro="40名大學生展開為期一周的參訪。",
)
U_LIVELIHOOD = Plain(
    "/news/232108/2025/1216/1050402.html",
    "示例市公布年度十大民生實事",
    t(16, 9, 30, 0),
    (
        "示例市政府昨日公布明年十大民生實事，涵蓋住房、教育、醫療和養老等範疇，預計總投入約260億元。",
        "其中，市政府計劃新增公共租賃住房1.2萬套，新建和改擴建中小學18所，並在每個街道設立至少一間長者飯堂。",
        "市長辦公室表示，各項實事將按季度公布進度，接受市民監督。",
    ),
    intro="十大民生實事涵蓋住房、教育、醫療和養老。",
)
U_FLOWERS = Plain(
    "/news/232108/2025/1215/1050215.html",
    "示例市冬日花展揭幕",
    t(15, 18, 0, 0),
    (
        "一年一度的示例市冬日花展今日在濱海公園揭幕，展出花卉逾300個品種，展期至本月底。",
        "今年花展以「城市花園」為主題，設有兒童手作區和夜間燈光展區。主辦方預計入場人次將超過50萬。",
        "主辦方呼籲市民乘搭公共交通工具前往，公園附近的停車位將於展期內實施限時泊車。",
    ),
    intro="花展展出花卉逾300個品種，展期至月底。",
)
U_RATES = Plain(
    "/news/232111/2025/1215/1050120.html",
    "示例國央行宣布維持利率不變",
    t(15, 10, 20, 0),
    (
        "示例國中央銀行昨日結束議息會議，宣布維持基準利率不變，符合市場預期。",
        "央行聲明指出，當地通脹已連續三個月回落，但就業市場仍然偏緊，未來將視乎數據決定政策方向。",
        "分析人士認為，該國央行最快明年第二季才會考慮減息。",
    ),
    intro="央行維持基準利率不變，符合市場預期。",
)
U_BRIDGE = Plain(
    "/news/232108/2025/1215/1050088.html",
    "示例灣區大橋完成年度檢測",
    t(15, 8, 0, 0),
    (
        "示例灣區大橋管理局宣布，大橋年度結構檢測已順利完成，各項指標均符合設計要求。",
        "今年的檢測首次大規模使用無人機和水下機械人，檢測時間由往年的三周縮短至十天。",
        "管理局表示，檢測期間大橋維持正常通行，未有對交通造成明顯影響。",
    ),
    intro="年度結構檢測順利完成，各項指標符合要求。",
)
U_RENEWAL = Plain(
    "/news/232108/2025/1214/1049870.html",
    "示例市舊區重建計劃諮詢展開",
    t(14, 16, 40, 0),
    (
        "示例市城市規劃部門今日起就舊城區重建計劃展開為期兩個月的公眾諮詢，涉及約1.5萬戶居民。",
        "規劃部門負責人表示，重建方案將保留區內12座歷史建築，並增設公共休憩空間和社區設施。",
        "市民可透過網上問卷或出席地區諮詢會發表意見，諮詢結果將於明年中公布。",
    ),
    intro="重建計劃涉及約1.5萬戶居民，為期兩個月諮詢。",
)
U_BUS = Plain(
    "/news/232109/2025/1215/1050003.html",
    "示例區新巴士線下月開通",
    t(15, 4, 24, 30),
    (
        "運輸部門宣布，連接示例區與市中心的新巴士線將於下月初開通，全程約40分鐘，繁忙時間每10分鐘一班。",
        "區議員任樣稿表示，區內居民多年來要求增設直達巴士，新線開通後可大大方便上班族。",
        "新巴士線初期將使用12輛電動巴士行走，運輸部門會在開通三個月後檢討服務水平。",
    ),
    intro="新巴士線全程約40分鐘，繁忙時間每10分鐘一班。",
    source="大公报",
)
U_GREENLOAN = Plain(
    "/finance/236132/2025/1215/1050005.html",
    "示例銀行推出綠色貸款",
    t(15, 4, 24, 40),
    (
        "示例銀行宣布推出總額100億元的綠色貸款計劃，支持本地企業進行節能改造和新能源項目建設。",
        "該行副行長范假定表示，符合條件的企業可享受較一般貸款低的利率，審批時間亦會縮短。",
        "業界人士認為，綠色金融產品愈來愈多，有助企業降低轉型成本。",
    ),
    intro="百億元綠色貸款計劃支持企業節能改造。",
    source="大公报",
)
U_OUTLOOK = Plain(
    "/finance/236132/2025/1217/1050690.html",
    "示例證券：明年企業盈利料溫和增長",
    t(17, 15, 30, 0),
    (
        "示例證券今日發表年度展望報告，預計明年本地上市企業盈利將溫和增長約8%。",
        "報告指出，科技、新能源和消費板塊前景較佳，但需留意外部需求放緩和匯率波動的風險。",
        "該行建議投資者採取均衡配置策略，並適當增加高息股的比重。",
    ),
    intro="報告預計明年上市企業盈利溫和增長約8%。",
)
UNRELATED_TKP = (
    U_METRO,
    U_FLU,
    U_MUSEUM,
    U_YOUTH,
    U_LIVELIHOOD,
    U_FLOWERS,
    U_RATES,
    U_BRIDGE,
    U_RENEWAL,
    U_BUS,
    U_GREENLOAN,
    U_OUTLOOK,
)

T_ROBOT = Plain(
    "/a/202512/17/AP694207985b1d0e7c3a9f2e46.html",  # 69420798 = 2025-12-17 09:30:00 HKT
    "示例中學生機械人比賽奪冠",
    t(17, 9, 30, 0),
    (
        "示例中學機械人隊在全港中學生機械人大賽中奪得冠軍，隊員自行設計的救援機械人在限時任務中表現出色。",
        "帶隊老師黎暫代表示，隊員花了半年時間反覆測試，賽前一周仍在修改程式。",
        "該隊明年將代表本港參加國際賽事。",
    ),
    host=TKWW,
)
T_WEATHER = Plain(
    "/a/202512/18/AP6943371cc47a2d9e1f0b8536.html",  # 6943371c = 2025-12-18 07:05:00 HKT
    "天文台：周末天氣轉涼",
    t(18, 7, 5, 0),
    (
        "天文台預測，一股東北季候風將於周末抵達，市區最低氣溫將降至約13度，新界部分地區更低。",
        "天文台提醒市民留意天氣變化，適時添衣，長者及長期病患者應注意保暖。",
        "下周初天氣仍然寒冷，日間短暫時間有陽光。",
    ),
    host=TKWW,
)
UNRELATED_TKWW = (T_ROBOT, T_WEATHER)

# robots.txt keeps crawlers out of /private/: a well-behaved archiver never
# fetches this page, although list page 2 links it and it looks like a ⑤.
PRIVATE = Plain(
    "/private/232108/2025/1216/1051299.html",
    "貿戰下中國力量⑤ 預覽稿（未審）",
    t(16, 12, 0, 0),
    (
        "【內部預覽，請勿發布】本稿件尚未完成審校，內容僅供編輯部內部參考。",
        "若此頁面出現在歸檔結果中，說明爬蟲沒有遵守robots.txt的規則。",
        "（虛構測試頁面）",
    ),
)

# ---------------------------------------------------------------------------
# Flattening an installment into printed lines
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Printed:
    """One line as the page prints it (a <p>), with its role."""

    role: str  # a LineRole, a Para role, "image" or "caption"
    text: str  # for an image: its src
    bold: bool = False
    lead: str = ""  # paragraph lines: the bold lead-in the text starts with
    continues: bool = False  # the next paragraph line carries on this sentence
    first: bool = True  # the first piece of its paragraph


def print_lines(blocks: Sequence[Block]) -> list[list[Printed]]:
    """The printed lines of each page of an article."""
    pages: list[list[Printed]] = [[]]
    for block in blocks:
        out = pages[-1]
        if isinstance(block, PageBreak):
            pages.append([])
        elif isinstance(block, Img):
            out += _image_lines(block)
        elif isinstance(block, Line):
            out.append(Printed(block.role, block.text, bold=block.bold))
        else:
            pieces = block.printed.split("‖")
            if len(block.at_cut) != len(pieces) - 1:
                raise ValueError(f"at_cut needs one entry per ‖ in {block.text[:20]!r}")
            for i, piece in enumerate(pieces):
                out.append(
                    Printed(
                        block.role,
                        piece,
                        lead=block.lead if i == 0 else "",
                        continues=i < len(pieces) - 1,
                        first=i == 0,
                    )
                )
                if i < len(block.at_cut) and (cut := block.at_cut[i]) is not None:
                    out += _image_lines(cut)
    return pages


def _image_lines(picture: Img) -> list[Printed]:
    return [Printed("image", picture.src), Printed("caption", picture.caption_line)]


# ---------------------------------------------------------------------------
# HTML: 大公網 article pages
# ---------------------------------------------------------------------------

COLUMNS = {
    "232108": ("news", "內地"),
    "232109": ("news", "港聞"),
    "232110": ("news", "兩岸"),
    "232111": ("news", "國際"),
    "236132": ("finance", "中國經濟"),
}
SECTION_NAMES = {"news": "新聞", "finance": "財經"}

E = html.escape


def column_of(path: str) -> tuple[str, str, str]:
    """(section, column id, column name) of an article path."""
    section, column = path.strip("/").split("/")[:2]
    return section, column, COLUMNS[column][1]


def p_html(line: Printed, *, bold_headings: bool, indent: bool) -> str:
    if line.role == "image":
        return f'<p style="text-align: center;"><img src="{E(line.text)}" alt="" /></p>'
    if line.role == "caption":
        return f'<p style="text-align: center;">{E(line.text)}</p>'
    if line.role in HEADING_ROLES:
        if bold_headings and line.bold:
            return f"<p><strong>{E(line.text)}</strong></p>"
        return f"<p>{E(line.text)}</p>"
    text = line.text
    pad = "\u3000\u3000" if indent and line.first and line.role in ("paragraph", "editor_note") else ""
    if line.lead and bold_headings:
        rest = text[len(line.lead) :]
        return f"<p>{pad}<strong>{E(line.lead)}</strong>{E(rest)}</p>"
    return f"<p>{pad}{E(text)}</p>"


def author_html(variant: str, when: datetime, source: str, byline: str) -> str:
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    if variant == "h2":
        return f'<h2 class="tkp_con_author">時間：<span>{stamp}</span>來源：<span><a href="{TKP}/" target="_blank">{E(source)}</a></span></h2>'
    if variant == "clearfix":
        return f'<div class="tkp_con_author clearfix"><span>{stamp}</span><span>{E(source)}</span>作者：{E(byline)}</div>'
    return f'<div class="tkp_con_author"><span>{stamp}</span><span>{E(source)}</span></div>'


def link_list(items: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f'      <li><a href="{E(u)}" title="{E(ti)}" target="_blank">{E(ti)}</a></li>' for u, ti in items)


def tkp_page(
    *,
    origin: str,
    path: str,
    title: str,
    title_tag: str,
    title_bom: bool,
    head_title_bom: bool,
    author: str,
    keywords: str,
    description: str,
    content: str,
    views: int,
    related: Sequence[tuple[str, str]],
    ranking: Sequence[tuple[str, str]],
    pager: str = "",
) -> str:
    """A 大公網 article page, furniture and all."""
    section, column, column_name = column_of(path)
    bom = "\ufeff" if title_bom else ""
    head_bom = "\ufeff" if head_title_bom else ""
    return f"""<!DOCTYPE html>
<html lang="zh-Hant">
<head>
<meta charset="utf-8">
<!-- series-archiver replica: synthetic text and invented names, not a real article -->
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{head_bom}{E(title)}_大公网</title>
<meta name="keywords" content="{E(keywords)}">
<meta name="Description" content="{E(description)}">
<link rel="stylesheet" href="{origin}/resource/css/article.css">
<script src="{origin}/resource/js/jquery.min.js"></script>
</head>
<body>
<div class="tkp_top">
  <ul class="tkp_nav">
    <li><a href="{origin}/">首頁</a></li>
    <li><a href="{origin}/news/232108/index.html">內地</a></li>
    <li><a href="{origin}/news/232109/index.html">港聞</a></li>
    <li><a href="{origin}/news/232111/index.html">國際</a></li>
    <li><a href="{origin}/finance/236132/index.html">財經</a></li>
    <li><a href="{origin}/paper/20251215.html">大公報電子版</a></li>
    <li><a href="{TKWW}/">大公文匯</a></li>
  </ul>
  <form class="tkp_search" action="{origin}/search/" method="get"><input type="text" name="keyword"><button type="submit">搜索</button></form>
</div>
<div class="path"><a href="{origin}/">大公网</a> &gt; <a href="{origin}/{section}/index.html">{SECTION_NAMES.get(section, "內部")}</a> &gt; <a href="{origin}/{section}/{column}/index.html">{column_name}</a> &gt; 正文</div>
<div class="tkp_wrap clearfix">
  <div class="tkp_con_left">
    <{title_tag} class="tkp_con_title">{bom}{E(title)}</{title_tag}>
    {author}
    <div class="tkp_con_tools clearfix">
      <div class="tkp_con_fontsize">字號：<a href="javascript:;" class="font_big">大</a><a href="javascript:;" class="font_mid">中</a><a href="javascript:;" class="font_small">小</a></div>
      <div class="tkp_con_share">分享到：<a href="javascript:;" class="share_wechat" title="分享到微信">微信</a><a href="javascript:;" class="share_weibo" title="分享到微博">微博</a><a href="javascript:;" class="share_facebook" title="分享到Facebook">Facebook</a></div>
      <div class="tkp_con_views">閱讀量：<span>{views:,}</span></div>
    </div>
    <div class="tkp_content">
{content}
    </div>
{pager}    <div class="tkp_con_related">
      <h3>相關新聞</h3>
      <ul>
{link_list(related)}
      </ul>
    </div>
    <div id="tkpcomment">
      <div class="comment_title">網友評論</div>
      <p class="comment_none">暫無評論，快來發表你的看法吧。</p>
    </div>
  </div>
  <div class="tkp_con_right">
    <div class="tkp_rank">
      <h3>排行榜</h3>
      <ol>
{link_list(ranking)}
      </ol>
    </div>
  </div>
</div>
<div class="tkp_footer"><p>Copyright © 大公網 版權所有（replica：虛構測試內容）</p></div>
</body>
</html>
"""


def series_related(number: int, origin: str = TKP) -> list[tuple[str, str]]:
    """Links to the other installments, as the related-news box lists them."""
    return [(origin + i.path, i.title) for i in INSTALLMENTS if i.number != number]


RANKING_WWW = [
    (U_METRO.url, U_METRO.title),
    (D_WINTER.url, D_WINTER.title),
    (I3.url, I3.title),
    (U_LIVELIHOOD.url, U_LIVELIHOOD.title),
    (TKP_HTTP + U_FLU.path, U_FLU.title),
]
RANKING_HK = [
    (TKP_HK + U_BUS.path, U_BUS.title),
    (TKP_HK + I2.path, I2.title),
    (TKP_HK + U_FLOWERS.path, U_FLOWERS.title),
    (TKP_HK + D_STOCKS.path, D_STOCKS.title),
]


def first_paragraph(inst: Installment) -> str:
    for block in inst.blocks:
        if isinstance(block, Para) and block.role == "paragraph":
            return block.whole
    raise ValueError("no paragraph")


def installment_pages(inst: Installment, variant: Literal["www", "mirror", "simplified"] = "www") -> list[str]:
    """The HTML of each page of an installment: on www.takungpao.com, on the
    .com.hk mirror, or as the simplified-script copy in the finance column."""
    origin = TKP_HK if variant == "mirror" else TKP
    path = SIMPLIFIED_4_PATH if variant == "simplified" else inst.path
    published = SIMPLIFIED_4_TIME if variant == "simplified" else inst.published
    pages = print_lines(inst.blocks)
    urls = [origin + page_path(path, n) for n in range(1, len(pages) + 1)]
    if variant == "mirror":
        related = [(TKP_HK + U_BUS.path, U_BUS.title), (TKP_HK + D_STOCKS.path, D_STOCKS.title)]
    else:
        related = series_related(inst.number) + related_extra(inst.number)
    out = []
    for n, lines in enumerate(pages, start=1):
        body = [p_html(line, bold_headings=inst.bold_headings, indent=inst.indent) for line in lines]
        if n == len(pages):
            body.append(f'<p style="text-align: right;">責任編輯：{E(inst.editor)}</p>')
        page = tkp_page(
            origin=origin,
            path=path,
            title=inst.title,
            # The mirror runs the newer templates: h1, the clearfix author block.
            title_tag="h1" if variant == "mirror" else inst.title_tag,
            title_bom=inst.title_bom,
            head_title_bom=inst.number == 1,
            author=author_html(
                "clearfix" if variant == "mirror" else inst.author_variant, published, "大公报", inst.byline
            ),
            keywords=inst.keywords,
            description=first_paragraph(inst)[:80],
            content="\n".join("      " + b for b in body),
            views={"www": inst.views, "mirror": inst.views // 3 + 211, "simplified": inst.views // 5 + 37}[variant],
            related=related,
            ranking=RANKING_HK if variant == "mirror" else RANKING_WWW,
            pager=pager_html(urls, n),
        )
        out.append(to_simplified(page) if variant == "simplified" else page)
    return out


def related_extra(number: int) -> list[tuple[str, str]]:
    # ②'s related box points at the .com.hk mirror of ①, so discovery meets a
    # second URL of the same article; ④'s at its simplified copy.
    if number == 2:
        return [(MIRROR_1, I1.title)]
    if number == 4:
        return [(SIMPLIFIED_4, to_simplified(I4.title))]
    return []


def page_path(path: str, n: int) -> str:
    return path if n == 1 else path.replace(".html", f"_{n}.html")


def pager_html(urls: Sequence[str], n: int) -> str:
    if len(urls) == 1:
        return ""
    parts = []
    if n > 1:
        parts.append(f'<a href="{urls[n - 2]}" class="prev">上一頁</a>')
    for i, u in enumerate(urls, start=1):
        parts.append(f"<span>{i}</span>" if i == n else f'<a href="{u}">{i}</a>')
    if n < len(urls):
        parts.append(f'<a href="{urls[n]}" class="next">下一頁</a>')
    return '    <div class="tkp_page">' + "".join(parts) + "</div>\n"


def plain_tkp_page(art: Plain, *, n: int) -> str:
    """A non-series article on 大公網; ``n`` varies the template variant."""
    content = "\n".join(f"      <p>{E(p)}</p>" for p in art.paragraphs)
    content += '\n      <p style="text-align: right;">責任編輯：周樣稿</p>'
    return tkp_page(
        origin=TKP,
        path=art.path,
        title=art.title,
        title_tag="h1" if n % 2 else "h2",
        title_bom=n % 5 == 3,
        head_title_bom=False,
        author=author_html(("div", "h2", "clearfix")[n % 3], art.published, art.source, "周樣稿"),
        keywords=",".join(("示例市", art.title[:4])),
        description=art.paragraphs[0][:80],
        content=content,
        views=1000 + 137 * n,
        related=[(x.url, x.title) for x in UNRELATED_TKP[n % 4 : n % 4 + 3] if x is not art],
        ranking=RANKING_WWW,
    )


# ---------------------------------------------------------------------------
# HTML: 大公文匯 (tkww) pages
# ---------------------------------------------------------------------------


def tkww_page(*, origin: str, path: str, title: str, published: datetime, paragraphs: Sequence[str]) -> str:
    # The servers print Java's Date.toString(): "Tue Dec 16 04:24:11 HKT 2025".
    java_date = published.strftime("%a %b %d %H:%M:%S HKT %Y")
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": title,
            "datePublished": java_date,
            "publisher": {"@type": "Organization", "name": "大公報"},
        },
        ensure_ascii=False,
    )
    body = "\n".join(f"            <p>{E(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="zh-HK">
<head>
<meta charset="UTF-8">
<!-- series-archiver replica: synthetic text and invented names, not a real article -->
<title>{E(title)} - 大公報 | 大公文匯 www.tkww.hk</title>
<meta name="description" content="{E(paragraphs[0][:60])}">
<link rel="canonical" href="{origin}{path}">
<script type="application/ld+json">{ld}</script>
</head>
<body>
<header class="common-header">
  <a class="common-header-logo" href="{TKWW}/">大公文匯</a>
  <nav class="common-header-nav"><a href="{TKWW}/hongkong/">香港</a><a href="{TKWW}/china/">內地</a><a href="{EPAPER}/">電子報</a></nav>
</header>
<div class="content-main">
  <div class="content-main-left">
    <div class="content-title">
      <h1 class="content-title-text">{E(title)}</h1>
      <div class="content-title-info"><span class="content-title-time">{published:%Y-%m-%d %H:%M}</span><span class="content-title-source">來源：大公報</span></div>
    </div>
    <div class="content-body">
        <div class="content-body-inner">
{body}
        </div>
    </div>
  </div>
  <div class="content-main-right">
    <div class="common-hot"><h3>熱門文章</h3>
      <a href="{TKWW}{T_WEATHER.path}">{E(T_WEATHER.title)}</a>
      <a href="{TKWW}{T_ROBOT.path}">{E(T_ROBOT.title)}</a>
    </div>
  </div>
</div>
<footer class="common-footer">大公文匯 版權所有（replica：虛構測試內容）</footer>
</body>
</html>
"""


# e-paper text is typed in again by the e-paper system: some punctuation comes
# out half-width. Only NFKC-equivalent swaps, so NFKC(epaper) == NFKC(www).
EPAPER_PUNCT = str.maketrans({"：": ":", "（": "(", "）": ")", "％": "%"})


def epaper_lines(inst: Installment) -> list[str]:
    """The e-paper's paragraphs: the printed lines without images, and with
    commas after digits and a few other marks half-width."""
    out = []
    for page in print_lines(inst.blocks):
        for line in page:
            if line.role == "image":
                continue
            text = line.text.translate(EPAPER_PUNCT)
            out.append(text)
    return out


# ---------------------------------------------------------------------------
# List pages, paper index, home page
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    url: str
    title: str  # as listed (title attribute and text)
    intro: str
    column: str
    when: datetime
    thumb: str
    source: str = "大公报"


def relative_time(when: datetime) -> str:
    """How the CMS prints an entry's time relative to the snapshot."""
    delta = SNAPSHOT - when
    if when.date() == SNAPSHOT.date():
        hours = int(delta.total_seconds() // 3600)
        return f"{hours}小时前" if hours >= 1 else f"{int(delta.total_seconds() // 60)}分钟前"
    if when.date() == (SNAPSHOT - timedelta(days=1)).date():
        return f"昨天{when:%H:%M}"
    return f"{when:%m-%d %H:%M}"


def list_entry(e: Entry) -> str:
    return f"""    <dl class="item">
      <dt><a href="{E(e.url)}" title="{E(e.title)}" target="_blank"><img src="{E(e.thumb)}" alt="{E(e.title)}"></a></dt>
      <dd class="title"><a href="{E(e.url)}" title="{E(e.title)}" target="_blank">{E(e.title)}</a></dd>
      <dd class="intro">{E(e.intro)}</dd>
      <dd class="sort"><span class="column">{E(e.column)}</span><span class="source">{E(e.source)}</span><span class="time">{relative_time(e.when)}</span></dd>
    </dl>"""


def list_pager(base: str, page: int, count: int) -> str:
    def href(n: int) -> str:
        return f"{base}index.html" if n == 1 else f"{base}{n}.html"

    parts = []
    if page > 1:
        parts.append(f'<a class="cms_prevpage" href="{href(page - 1)}">上一页</a>')
    for n in range(1, count + 1):
        if n == page:
            parts.append(f'<div class="cms_curpage">{n}</div>')
        else:
            parts.append(f'<a class="cms_page" href="{href(n)}">{n}</a>')
    if page < count:
        parts.append(f'<a class="cms_nextpage" href="{href(page + 1)}">下一页</a>')
    return '    <div class="tkp_page">' + "".join(parts) + "</div>"


def list_page(*, column_path: str, column_name: str, entries: Sequence[Entry], page: int, count: int) -> str:
    base = f"{TKP}{column_path}"
    items = "\n".join(list_entry(e) for e in entries)
    return f"""<!DOCTYPE html>
<html lang="zh-Hant">
<head>
<meta charset="utf-8">
<!-- series-archiver replica: synthetic list page -->
<title>{column_name}_大公网</title>
<meta name="keywords" content="{column_name},大公网">
<meta name="Description" content="大公网{column_name}頻道">
</head>
<body>
<div class="tkp_top"><ul class="tkp_nav"><li><a href="{TKP}/">首頁</a></li><li><a href="{TKP}/news/232108/index.html">內地</a></li><li><a href="{TKP}/finance/236132/index.html">財經</a></li></ul></div>
<div class="path"><a href="{TKP}/">大公网</a> &gt; {column_name}</div>
<div class="wrap clearfix">
  <div class="wrap_left">
{items}
{list_pager(base, page, count)}
  </div>
  <div class="wrap_right">
    <div class="tkp_rank"><h3>排行榜</h3><ol>
{link_list(RANKING_WWW)}
    </ol></div>
  </div>
</div>
<div class="tkp_footer"><p>Copyright © 大公網 版權所有</p></div>
</body>
</html>
"""


def thumb(stamp: int, *, relative: bool = False) -> str:
    # Thumbnails live under img.takungpao.com; a few lists use a relative src.
    return f"/imgs/thumb/{stamp}.jpg" if relative else f"{IMG}/thumb/{stamp}.jpg"


def plain_entry(a: Plain, stamp: int, column: str = "內地") -> Entry:
    return Entry(a.url, a.title, a.intro, column, a.published, thumb(stamp))


# How each installment is listed: the separators differ from list to list.
LIST_TITLE = {
    1: "要聞\\貿戰下中國力量① 志氣篇",
    2: "貿戰下中國力量②/底氣篇：港口不停擺 供應鏈底氣足",
    3: "貿戰下中國力量③︱骨氣篇",
    4: "貿戰下中國力量 ④ 核心部件自己造",  # spaces, no label
}
PAPER_TITLE_1 = "要聞\\貿戰下中國力量①｜志氣篇"
SIMPLIFIED_LIST_TITLE = "贸战下中国力量④｜硬气篇：核心部件自己造"
TKWW_LIST_TITLE_2 = "貿戰下中國力量②｜港口不停擺 供應鏈底氣足"
INTRO = {
    1: "示例市晶片企業在外部封鎖下自研突圍。",
    2: "外部關稅一輪接一輪加碼，示例港吞吐量卻不降反升。",
    3: "示例市外貿企業開拓多元市場，自創品牌掌握定價權。",
    4: "核心部件國產化，示例市新能源裝備加速突圍。",
}


def series_entry(inst: Installment, *, url: str | None = None, stamp: int, relative_thumb: bool = False) -> Entry:
    return Entry(
        url or inst.url,
        LIST_TITLE[inst.number],
        INTRO[inst.number],
        "內地",
        inst.published,
        thumb(stamp, relative=relative_thumb),
    )


PRIVATE_ENTRY = Entry(PRIVATE.url, PRIVATE.title, "內部預覽稿件。", "內地", PRIVATE.published, thumb(1765857600))

LIST_232108: tuple[tuple[Entry, ...], ...] = (
    (
        plain_entry(U_METRO, 1766013880),
        plain_entry(U_FLU, 1766009520),
        series_entry(I4, stamp=1766003048),
        plain_entry(D_WINTER, 1765974612),
        plain_entry(D_EDITORIAL, 1765969205),
        plain_entry(U_MUSEUM, 1765940733),
        series_entry(I3, stamp=1765916655, relative_thumb=True),
    ),
    (
        plain_entry(U_YOUTH, 1765908900),
        Entry(D_STOCKS.url, D_STOCKS.title, D_STOCKS.intro, "財經", D_STOCKS.published, thumb(1765878330)),
        PRIVATE_ENTRY,
        plain_entry(U_LIVELIHOOD, 1765848600),
        # Listed with http://: some of the site's own links still use it.
        series_entry(I2, url=TKP_HTTP + I2.path, stamp=1765830251),
        plain_entry(U_FLOWERS, 1765792800),
        plain_entry(U_RATES, 1765765200, column="國際"),
    ),
    (
        plain_entry(U_BRIDGE, 1765756800),
        series_entry(I1, stamp=1765743865),
        plain_entry(U_RENEWAL, 1765701600),
    ),
)
def finance_entries() -> list[Entry]:
    return [
        Entry(
            SIMPLIFIED_4, SIMPLIFIED_LIST_TITLE, to_simplified(INTRO[4]), "中国经济", SIMPLIFIED_4_TIME, thumb(1766009400)
        ),
        plain_entry(U_OUTLOOK, 1765956600, column="中國經濟"),
        plain_entry(D_STOCKS, 1765878330, column="中國經濟"),
        plain_entry(U_GREENLOAN, 1765743880, column="中國經濟"),
    ]


def paper_index() -> str:
    """The print edition of 15 December: column-prefixed titles, print articles."""
    items = [
        ("A1 要聞", PAPER_TITLE_1, I1.url),
        ("A6 港聞", "港聞\\" + U_BUS.title, U_BUS.url),
        ("B1 經濟", "經濟\\" + U_GREENLOAN.title, U_GREENLOAN.url),
    ]
    rows = "\n".join(
        f'    <li><span class="page_no">{E(page)}</span><a href="{E(url)}" title="{E(title)}" target="_blank">{E(title)}</a></li>'
        for page, title, url in items
    )
    return f"""<!DOCTYPE html>
<html lang="zh-Hant">
<head>
<meta charset="utf-8">
<!-- series-archiver replica: synthetic print edition index -->
<title>大公報 2025年12月15日 電子版_大公网</title>
</head>
<body>
<div class="path"><a href="{TKP}/">大公网</a> &gt; 大公報電子版</div>
<div class="paper_wrap">
  <h1 class="paper_date">2025年12月15日 星期一</h1>
  <ul class="paper_list">
{rows}
  </ul>
  <div class="paper_nav"><a href="{TKP}/paper/20251214.html">上一期</a> <a href="{TKP}/paper/20251216.html">下一期</a></div>
</div>
</body>
</html>
"""


def tkww_list() -> str:
    units = [
        (TKWW + T_WEATHER.path, T_WEATHER.title, "2025.12.18 07:05"),
        (TKWW + T_ROBOT.path, T_ROBOT.title, "2025.12.17 09:30"),
        (EPAPER_2, TKWW_LIST_TITLE_2, "2025.12.16 22:16"),
    ]
    rows = "\n".join(
        f"""  <div class="common-column-list-unit-1">
    <a class="common-column-list-unit-title-1" href="{E(u)}" title="{E(ti)}" target="_blank">{E(ti)}</a>
    <div class="common-column-list-unit-time-1">{when}</div>
  </div>"""
        for u, ti, when in units
    )
    return f"""<!DOCTYPE html>
<html lang="zh-HK">
<head>
<meta charset="UTF-8">
<!-- series-archiver replica: synthetic list page -->
<title>香港 - 大公報 | 大公文匯 www.tkww.hk</title>
</head>
<body>
<header class="common-header"><a class="common-header-logo" href="{TKWW}/">大公文匯</a></header>
<div class="common-column-list">
{rows}
</div>
</body>
</html>
"""


def home_page() -> str:
    links = [(I4.url, I4.title), (U_METRO.url, U_METRO.title), (TKWW + "/hongkong/", "大公文匯·香港")]
    return f"""<!DOCTYPE html>
<html lang="zh-Hant">
<head>
<meta charset="utf-8">
<!-- series-archiver replica: synthetic home page -->
<title>大公网</title>
</head>
<body>
<div class="tkp_top"><ul class="tkp_nav"><li><a href="{TKP}/news/232108/index.html">內地</a></li><li><a href="{TKP}/finance/236132/index.html">財經</a></li><li><a href="{TKP}/paper/20251215.html">電子版</a></li></ul></div>
<ul class="home_focus">
{link_list(links)}
</ul>
</body>
</html>
"""


ROBOTS = """User-agent: *
Disallow: /search/
Disallow: /private/
"""

# ---------------------------------------------------------------------------
# Images: tiny valid JPEGs
# ---------------------------------------------------------------------------


def tiny_jpeg(name: str) -> bytes:
    """An 8×8 grey baseline JPEG; ``name`` goes into a comment so each file differs.

    One 8×8 block whose only coefficient is DC 0 (mid-grey): one-symbol
    Huffman tables, and the scan is the two 1-bit codes DC=0, AC=EOB.
    """

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload

    one_code = bytes([1] + [0] * 15)  # one code of length 1
    comment = f"series-archiver replica image {name}".encode()
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xFE, comment)
        + segment(0xDB, b"\x00" + bytes([1] * 64))
        + segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
        + segment(0xC4, b"\x00" + one_code + b"\x00")
        + segment(0xC4, b"\x10" + one_code + b"\x00")
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # bits 0 (DC size 0), 0 (EOB), then 1-padding
        + b"\xff\xd9"
    )


# ---------------------------------------------------------------------------
# 香港文匯報 (www.wenweipo.com): an outlet no Python profile knows, read through
# the [[sites]] table below. Its pages live under _outlets/ (a folder
# ReplicaSite does not take for a host), served by ReplicaSite(root=...).
# Known from public scrapers: list entries .content-story-list .story-item with
# the link in .story-item-text > a, the time in time.publish-date printed
# 2025-07-04 04:30:53, og:title and article:author metas, article URLs
# /a/YYYYMM/DD/AP<24 hex>.html. The title, body and author elements are a best guess.
# ---------------------------------------------------------------------------

WWP = "https://www.wenweipo.com"
OUTLETS = "_outlets"
WWP_HOSTS = ("www.wenweipo.com",)
WWP_LIST = f"{WWP}/todaywenwei/whnews/more_1.html"

# The table a user writes into config.toml (docs/sites.md shows the same one).
WENWEIPO_SITE_TOML = """[[sites]]
name = "wenweipo"
hosts = ["www.wenweipo.com"]
detect = "div.post-body"
title = "h1.post-title"
title_suffixes = [" - 香港文匯網"]
body = "div.post-body"
byline = "div.post-info span.author"
time = "div.post-info time.publish-date"
time_format = "%Y-%m-%d %H:%M:%S"
timezone = "Asia/Hong_Kong"
captions = "figure figcaption"
furniture = ["div.share-bar", "div.post-related"]
furniture_lines = ["分享到：", "相關新聞"]
cleaning = ["print_layout", "captions", "byline_line"]
papers = ["文匯報", "文汇报"]
"""


@dataclass(frozen=True)
class WwpArticle:
    path: str
    title: str  # h1 and og:title
    listed_as: str
    published: datetime
    byline: str
    lines: tuple[Block, ...]  # Para, Line (kicker, byline, heading) and Img, as on the 大公報 pages
    installment: int
    label: str  # what a correct archive labels it

    @property
    def url(self) -> str:
        return WWP + self.path


def _i1_parts() -> tuple[list[Block], list[Block]]:
    """①'s story and its 專家解讀 sidebar, split where the sidebar starts."""
    blocks = [b for b in I1.blocks if isinstance(b, (Para, Img)) or (isinstance(b, Line) and b.role == "heading")]
    start = next(i for i, b in enumerate(I1.blocks) if isinstance(b, Line) and b.role == "sidebar_heading")
    story = [b for b in blocks if I1.blocks.index(b) < start and not (isinstance(b, Para) and b.role != "paragraph")]
    sidebar = [b for b in blocks if I1.blocks.index(b) > start]
    return story, sidebar


_STORY, _SIDEBAR = _i1_parts()
WWP_1 = WwpArticle(
    path="/a/202512/15/AP693f1d09e4b0a1c2d3e4f501.html",  # 693f1d09 = 2025-12-15 04:30:33 HKT
    # The page title lacks the label: it is in the kicker line of the body.
    title="貿戰下中國力量①｜門檻擋不住 星河芯挺起腰桿",
    listed_as="貿戰下中國力量①｜門檻擋不住 星河芯挺起腰桿",
    published=datetime(2025, 12, 15, 4, 30, 33, tzinfo=HKT),
    byline="甄假名",
    lines=(Line("series_line", "貿戰下中國力量① 志氣篇"), *_STORY[:2], Line("byline", "香港文匯報記者 甄假名"), *_STORY[2:]),
    installment=1,
    label="志氣篇",
)
WWP_1_SIDEBAR = WwpArticle(
    path="/a/202512/15/AP693f1d0ae4b0a1c2d3e4f502.html",
    # Its own page names neither the series nor the label; its list entry names the installment.
    title="專家解讀｜自主創新 從單點突破到全鏈躍升",
    listed_as="貿戰下中國力量①｜專家解讀：自主創新 從單點突破到全鏈躍升",
    published=datetime(2025, 12, 15, 4, 30, 34, tzinfo=HKT),
    byline="甄假名",
    lines=(Line("sidebar_label", "專家解讀"), *_SIDEBAR),
    installment=1,
    label="志氣篇",
)
WWP_2 = WwpArticle(
    path="/a/202512/16/AP69406e6be4b0a1c2d3e4f503.html",
    title="貿戰下中國力量② 底氣篇｜港口不停擺 供應鏈底氣足",
    listed_as="貿戰下中國力量②｜港口不停擺 供應鏈底氣足",
    published=datetime(2025, 12, 16, 4, 24, 11, tzinfo=HKT),
    byline="賈測試",
    lines=tuple(b for b in I2.blocks if isinstance(b, (Para, Img)) or (isinstance(b, Line) and b.role in ("heading", "byline"))),
    installment=2,
    label="底氣篇",
)
WWP_ARTICLES = (WWP_1, WWP_1_SIDEBAR, WWP_2)
WWP_OTHER = Plain(
    "/a/202512/16/AP69406e6ce4b0a1c2d3e4f504.html",
    "示例灣區青年創業周開幕",
    t(16, 10, 0, 0),
    ("示例灣區青年創業周今日開幕，百多個初創團隊參展。", "主辦方表示，創業周為期五天，設有路演和導師諮詢環節。"),
    host=WWP,
)


def _wwp_image(picture: Img) -> str:
    return (f'<figure><img src="{E(WWP + "/images" + picture.src.split("/2025", 1)[1])}" alt="">'
            f"<figcaption>{E(picture.caption_text)}</figcaption></figure>")


def _wwp_images(art: WwpArticle) -> list[Img]:
    return [x for b in art.lines for x in ([b] if isinstance(b, Img) else [c for c in b.at_cut if c] if isinstance(b, Para) else [])]


def _wwp_body(art: WwpArticle) -> str:
    out = []
    for block in art.lines:
        if isinstance(block, Img):
            out.append(_wwp_image(block))
        elif isinstance(block, Line):
            out.append(f"<p><strong>{E(block.text)}</strong></p>" if block.role != "byline" else f"<p>{E(block.text)}</p>")
        elif isinstance(block, Para):
            # The print layout's cuts, as on the 大公報 pages: two <p> where one paragraph was cut,
            # the picture that cut it between them.
            for i, piece in enumerate(block.printed.split("‖")):
                out.append(f"<p>{E(piece)}</p>")
                if i < len(block.at_cut) and (cut := block.at_cut[i]) is not None:
                    out.append(_wwp_image(cut))
    out.insert(min(3, len(out)), '<div class="share-bar">分享到：<a href="javascript:;">微信</a><a href="javascript:;">Facebook</a></div>')
    return "\n".join("          " + line for line in out)


def wwp_page(*, path: str, title: str, published: datetime, byline: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-HK">
<head>
<meta charset="UTF-8">
<!-- series-archiver replica: synthetic text and invented names, not a real article -->
<title>{E(title)} - 香港文匯網</title>
<meta property="og:title" content="{E(title)}">
<meta property="og:url" content="{WWP}{path}">
<meta property="article:author" content="{E(byline)}">
<meta property="article:published_time" content="{published.isoformat()}">
</head>
<body>
<div class="header"><a class="logo" href="{WWP}/">香港文匯網</a>
  <nav><a href="{WWP}/todaywenwei/whnews/more_1.html">要聞</a><a href="{WWP}/todaywenwei/whHK/more_1.html">香港</a></nav>
</div>
<div class="main-content">
  <div class="main-left">
    <article class="post">
      <h1 class="post-title">{E(title)}</h1>
      <div class="post-info"><time class="publish-date">{published:%Y-%m-%d %H:%M:%S}</time><span class="author">作者：{E(byline)}</span></div>
      <div class="post-body">
{body}
          <div class="post-related"><h4>相關新聞</h4><a href="{WWP_OTHER.url}">{E(WWP_OTHER.title)}</a></div>
      </div>
    </article>
  </div>
  <div class="main-right"><div class="hot-news"><h3>熱門新聞</h3><a href="{WWP_OTHER.url}">{E(WWP_OTHER.title)}</a></div></div>
</div>
<div class="footer">香港文匯網 版權所有（replica：虛構測試內容）</div>
</body>
</html>
"""


def wwp_list() -> str:
    entries = [(a.url, a.listed_as) for a in WWP_ARTICLES] + [(WWP_OTHER.url, WWP_OTHER.title)]
    items = "\n".join(
        f'    <div class="story-item"><div class="story-item-text"><a href="{E(u)}">{E(ti)}</a></div></div>' for u, ti in entries
    )
    return f"""<!DOCTYPE html>
<html lang="zh-HK">
<head><meta charset="UTF-8"><!-- series-archiver replica: synthetic list page --><title>要聞 - 香港文匯網</title></head>
<body>
<div class="content-story-list">
{items}
</div>
</body>
</html>
"""


def wwp_tree() -> dict[str, bytes]:
    files: dict[str, str | bytes] = {}
    for art in WWP_ARTICLES:
        files[art.url] = wwp_page(path=art.path, title=art.title, published=art.published, byline=art.byline, body=_wwp_body(art))
        for picture in _wwp_images(art):
            url = WWP + "/images" + picture.src.split("/2025", 1)[1]
            files[url] = tiny_jpeg(url.rsplit("/", 1)[1])
    files[WWP_OTHER.url] = wwp_page(path=WWP_OTHER.path, title=WWP_OTHER.title, published=WWP_OTHER.published, byline="某某",
                                   body="\n".join(f"          <p>{E(p)}</p>" for p in WWP_OTHER.paragraphs))
    files[WWP_LIST] = wwp_list()
    files[f"{WWP}/robots.txt"] = ROBOTS
    return {u: c.encode("utf-8") if isinstance(c, str) else c for u, c in files.items()}


def wwp_manifest() -> dict[str, Any]:
    def record(art: WwpArticle) -> dict[str, Any]:
        story = [b for b in art.lines if isinstance(b, Para)]
        return {
            "url": art.url,
            "title": art.title,
            "listed_as": art.listed_as,
            "installment": art.installment,
            "label": art.label,
            "published": art.published.isoformat(),
            "byline": art.byline,
            "paragraphs": [p.whole for p in story],
            "captions": [picture.caption_text for picture in _wwp_images(art)],
        }

    return {
        "about": "香港文匯報, archived through a [[sites]] table alone (site_toml); its hosts are under root",
        "root": OUTLETS,
        "hosts": [f"https://{h}" for h in WWP_HOSTS],
        "site_toml": WENWEIPO_SITE_TOML,
        "series": {"name": "貿戰下中國力量", "pattern": "貿戰下中國力量"},
        "start_urls": [WWP_LIST],
        "articles": [record(a) for a in WWP_ARTICLES],
        "unrelated": [{"url": WWP_OTHER.url, "title": WWP_OTHER.title}],
    }


# ---------------------------------------------------------------------------
# Writing the tree and the manifest
# ---------------------------------------------------------------------------


class Tree:
    """Collects files by real URL, then writes them under OUT/<host>/<path>."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, url: str, content: str | bytes) -> None:
        if url in self.files:
            raise ValueError(f"written twice: {url}")
        self.files[url] = content.encode("utf-8") if isinstance(content, str) else content

    def write(self, out: Path) -> None:
        for host in HOSTS:
            shutil.rmtree(out / host, ignore_errors=True)
        shutil.rmtree(out / OUTLETS, ignore_errors=True)
        for url, data in sorted(self.files.items()):
            host, _, path = url.split("://", 1)[1].partition("/")
            target = (out / OUTLETS if host in WWP_HOSTS else out) / host / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def cleaned_blocks(inst: Installment) -> list[dict[str, str]]:
    """What a correct cleaning yields: headings and rejoined paragraphs, in
    reading order; captions, caption fragments, images and the byline gone."""
    out = []
    for block in inst.blocks:
        if isinstance(block, Para):
            out.append({"kind": "paragraph", "text": block.whole})
        elif isinstance(block, Line) and block.role in HEADING_ROLES:
            out.append({"kind": "heading", "text": block.text})
    return out


def captions_of(inst: Installment) -> list[str]:
    found: list[str] = []
    for block in inst.blocks:
        if isinstance(block, Img):
            found.append(block.caption_text)
        elif isinstance(block, Para):
            found += [c.caption_text for c in block.at_cut if c is not None]
    return found


def _copy(kind: str, url: str, title: str, published: datetime, **extra: str) -> dict[str, Any]:
    record: dict[str, Any] = {"kind": kind, "url": url, "pages": [url], "title": title,
                              "script": "traditional", "published": published.isoformat()}
    return record | extra


def installment_record(inst: Installment, listed: list[dict[str, str]]) -> dict[str, Any]:
    pages = print_lines(inst.blocks)
    page_urls = [TKP + page_path(inst.path, n) for n in range(1, len(pages) + 1)]
    blocks = cleaned_blocks(inst)
    paras = [b for b in inst.blocks if isinstance(b, Para)]

    def lines_of(role: str) -> list[str]:
        return [b.text for b in inst.blocks if isinstance(b, Line) and b.role == role]

    copies = [_copy("www", inst.url, inst.title, inst.published) | {"pages": page_urls}]
    if inst.number == 1:
        copies.append(_copy("mirror", MIRROR_1, inst.title, inst.published))
    if inst.number == 2:
        note = "NFKC-equal to the www text: some ：（）％ are half-width; no images"
        copies += [_copy(kind, url, EPAPER_2_TITLE, inst.published, note=note)
                   for kind, url in (("epaper", EPAPER_2), ("tkww", TKWW_2))]
    if inst.number == 4:
        copies.append(_copy("simplified", SIMPLIFIED_4, to_simplified(inst.title), SIMPLIFIED_4_TIME,
                            script="simplified", note="the whole www page through OpenCC t2s, in column 236132"))
    cuts = []
    for p in paras:
        pieces = p.printed.split("‖")
        for i, cut in enumerate(p.at_cut):
            cuts.append({"before": pieces[i][-12:], "after": pieces[i + 1][:12],
                         "by": "image" if cut is not None else "column break"})
    return {
        "number": inst.number,
        "circled": inst.circled,
        "label": inst.label,
        "title": inst.title,
        "title_raw": ("\ufeff" if inst.title_bom else "") + inst.title,
        "url": inst.url,
        "urls": [c["url"] for c in copies],
        "pages": page_urls,
        "copies": copies,
        "listed_as": listed,
        "published": inst.published.isoformat(),
        "byline": inst.byline,
        "byline_line": f"大公報記者 {inst.byline}",
        "editor_line": f"責任編輯：{inst.editor}",
        "kicker": lines_of("kicker")[0],
        "headline": lines_of("headline")[0],
        "series_line": lines_of("series_line")[0],
        "pull_quote": next(p.whole for p in paras if p.role == "pull_quote"),
        "editor_note": [p.whole for p in paras if p.role == "editor_note"],
        "sidebar": (
            {"label": lines_of("sidebar_label")[0], "heading": lines_of("sidebar_heading")[0]}
            if lines_of("sidebar_label")
            else None
        ),
        "lead_ins": [p.lead for p in paras if p.lead],
        "headings": [b["text"] for b in blocks if b["kind"] == "heading"],
        "paragraphs": [b["text"] for b in blocks if b["kind"] == "paragraph"],
        "paragraph_count": sum(1 for b in blocks if b["kind"] == "paragraph"),
        "story_paragraph_count": sum(1 for p in paras if p.role == "paragraph"),
        "story_chars": sum(len(p.whole) for p in paras if p.role == "paragraph"),
        "blocks": blocks,
        "captions": captions_of(inst),
        "caption_fragments": lines_of("caption_fragment"),
        "cuts": cuts,
        "printed_lines": [[_line_record(ln) for ln in page] for page in pages],
    }


# Printed at the top of manifest.json, so a reader of the manifest needs nothing else.
FIELD_GUIDE = {
    "installments[].title": "the article page's h1/h2 text without U+FEFF; title_raw is it exactly",
    "installments[].url": "the canonical page (page 1 on www.takungpao.com)",
    "installments[].urls": "every URL the installment is reached at: www, the .com.hk mirror, e-paper, "
    "the simplified copy (one article, several URLs)",
    "installments[].pages": "the www pages in order (③ has <id>_2.html)",
    "installments[].copies": "per URL: kind (www, mirror, epaper, tkww, simplified), its title, script and "
    "published time; e-paper text is NFKC-equal to www, the simplified copy is www through OpenCC t2s",
    "installments[].listed_as": "where a list or index links it, with the title as listed",
    "installments[].published": "time on the www page, ISO with +08:00",
    "installments[].byline": "the reporter's name; byline_line is the printed line, removed by cleaning",
    "installments[].blocks": "the correct cleaning of the www text, in reading order, kinds as in "
    "models.Block: cut paragraphs rejoined; captions, caption fragments, images, the byline line and the "
    "責任編輯 line removed; kept: the pull quote, 編者按 and its paragraphs, kicker, headline, series line, "
    "subheadings, the sidebar heading and 專家解讀 (all headings), lead-ins inside their paragraphs",
    "installments[].paragraphs": "the paragraph blocks; paragraph_count is their number",
    "installments[].headings": "the heading blocks",
    "installments[].story_paragraph_count": "paragraphs without the pull quote and the editor's note",
    "installments[].story_chars": "characters of those paragraphs",
    "installments[].captions": "full captions as printed, without the leading ▲, credit kept",
    "installments[].caption_fragments": "stray partial captions (no ▲, no credit), not captions",
    "installments[].cuts": "where layout cut a paragraph: the text either side and whether an image or a "
    "column break sits in the cut",
    "installments[].printed_lines": "per page, every <p> of div.tkp_content but the closing 責任編輯 line, "
    "in order, with its role (lead: a bold lead-in the line starts with; continues: the next paragraph line "
    "carries on the sentence)",
    "edit_targets": "text that occurs exactly once on that page, for silent-edit tests",
    "robots_disallowed": "a link on a list page that robots.txt forbids: a crawl must never request it",
    "start_urls": "the list pages a crawl starts from; list_pages adds the pages reached by pagination",
    "outlets": "other outlets, read through a [[sites]] table of config alone (site_toml), served from their root folder",
}


def _line_record(line: Printed) -> dict[str, Any]:
    record: dict[str, Any] = {"role": line.role, "text": line.text}
    if line.lead:
        record["lead"] = line.lead  # printed bold (<strong>) before the rest of the line
    if line.continues:
        record["continues"] = True  # cut: the next paragraph line carries on this sentence
    return record


def build() -> tuple[Tree, dict[str, Any]]:
    tree = Tree()
    # Installments on www and their pages.
    for inst in INSTALLMENTS:
        for n, page in enumerate(installment_pages(inst), start=1):
            tree.put(TKP + page_path(inst.path, n), page)
    # ① on the mirror.
    tree.put(MIRROR_1, installment_pages(I1, "mirror")[0])
    # ② in the e-paper, on both tkww hosts.
    for origin in (EPAPER, TKWW):
        tree.put(
            origin + EPAPER_2_PATH,
            tkww_page(origin=origin, path=EPAPER_2_PATH, title=EPAPER_2_TITLE, published=I2.published,
                      paragraphs=epaper_lines(I2)),
        )
    # ④ in simplified script, in the finance column: another id and time.
    tree.put(SIMPLIFIED_4, installment_pages(I4, "simplified")[0])
    # Other articles.
    for n, art in enumerate((*DISTRACTORS, *UNRELATED_TKP, PRIVATE)):
        tree.put(art.url, plain_tkp_page(art, n=n))
    for art in UNRELATED_TKWW:
        tree.put(art.url, tkww_page(origin=TKWW, path=art.path, title=art.title, published=art.published,
                                    paragraphs=art.paragraphs))
    # Lists, paper, home.
    list_urls = []
    for number, entries in enumerate(LIST_232108, start=1):
        url = f"{TKP}/news/232108/" + ("index.html" if number == 1 else f"{number}.html")
        list_urls.append(url)
        tree.put(url, list_page(column_path="/news/232108/", column_name="內地", entries=entries,
                                page=number, count=len(LIST_232108)))
    finance_list = f"{TKP}/finance/236132/index.html"
    tree.put(finance_list, list_page(column_path="/finance/236132/", column_name="中國經濟",
                                     entries=finance_entries(), page=1, count=1))
    tkww_list_url = f"{TKWW}/hongkong/index.html"
    tree.put(tkww_list_url, tkww_list())
    paper_url = f"{TKP}/paper/20251215.html"
    tree.put(paper_url, paper_index())
    tree.put(f"{TKP}/index.html", home_page())
    for host in HOSTS:
        tree.put(f"https://{host}/robots.txt", ROBOTS)
    # Every picture the pages and lists point at.
    images = sorted(
        {ln.text for i in INSTALLMENTS for page in print_lines(i.blocks) for ln in page if ln.role == "image"}
        | {e.thumb for entries in LIST_232108 for e in entries}
        | {e.thumb for e in finance_entries()}
    )
    image_urls = []
    for src in images:
        url = src if src.startswith("https://") else TKP + src
        image_urls.append(url)
        tree.put(url, tiny_jpeg(url.rsplit("/", 1)[1]))

    # 香港文匯報, a site known only from config.
    for url, data in wwp_tree().items():
        tree.put(url, data)

    listed: dict[int, list[dict[str, str]]] = {i.number: [] for i in INSTALLMENTS}
    for page_url, entries in zip(list_urls, LIST_232108, strict=True):
        for e in entries:
            for inst in INSTALLMENTS:
                if e.url.split("://", 1)[1] == inst.url.split("://", 1)[1]:
                    listed[inst.number].append({"list_url": page_url, "url": e.url, "title": e.title,
                                                "time": relative_time(e.when)})
    listed[1].append({"list_url": paper_url, "url": I1.url, "title": PAPER_TITLE_1, "time": ""})
    listed[2].append(
        {"list_url": tkww_list_url, "url": EPAPER_2, "title": TKWW_LIST_TITLE_2, "time": "2025.12.16 22:16"}
    )
    listed[4].append({"list_url": finance_list, "url": SIMPLIFIED_4, "title": SIMPLIFIED_LIST_TITLE,
                      "time": relative_time(SIMPLIFIED_4_TIME)})

    manifest: dict[str, Any] = {
        "format": 1,
        "about": (
            "What the replica in this folder holds, for tests and the demo. Synthetic text, written by "
            "tools/replica_gen.py (edit that, not the pages). URLs use the real origins (ReplicaSite.local_url maps "
            "them); http://www.takungpao.com serves the same files as https://."
        ),
        "fields": FIELD_GUIDE,
        "snapshot": SNAPSHOT.isoformat(),
        "series": {"name": "貿戰下中國力量", "pattern": "貿戰下中國力量"},
        "hosts": [f"https://{h}" for h in HOSTS],
        "start_urls": [f"{TKP}/news/232108/index.html", finance_list, f"{TKWW}/hongkong/"],
        "list_pages": [*list_urls, finance_list, tkww_list_url],
        "paper_index": paper_url,
        "home_page": f"{TKP}/index.html",
        "robots_disallowed": {
            "path": PRIVATE.path,
            "url": PRIVATE.url,
            "disallow_rule": "/private/",
            "linked_from": list_urls[1],
        },
        "edit_targets": [{"installment": 1, "url": I1.url, "text": "1萬億元", "occurrences": 1}],
        "installments": [installment_record(i, listed[i.number]) for i in INSTALLMENTS],
        "distractors": [{"url": d.url, "title": d.title} for d in DISTRACTORS],
        "unrelated": [{"url": a.url, "title": a.title} for a in (*UNRELATED_TKP, *UNRELATED_TKWW)],
        "images": image_urls,
        "outlets": {"wenweipo": wwp_manifest()},
    }
    check(tree, manifest)
    return tree, manifest


def check(tree: Tree, manifest: dict[str, Any]) -> None:
    """Fail the build when the content breaks a promise the manifest makes."""
    for rec in manifest["installments"]:
        if rec["story_chars"] < 1500:
            raise ValueError(f"installment {rec['number']}: only {rec['story_chars']} characters of story")
        for url in rec["urls"] + rec["pages"]:
            if url not in tree.files:
                raise ValueError(f"manifest URL without a file: {url}")
    i2 = manifest["installments"][1]
    epaper = tree.files[EPAPER_2].decode()
    for page in i2["printed_lines"]:
        for line in page:
            if line["role"] != "image" and E(line["text"].translate(EPAPER_PUNCT)) not in epaper:
                raise ValueError(f"e-paper copy lacks {line['text'][:20]!r}")
    target = manifest["edit_targets"][0]
    if tree.files[target["url"]].decode().count(target["text"]) != target["occurrences"]:
        raise ValueError("edit target must occur exactly as often as the manifest says")


def main(argv: Sequence[str] = sys.argv[1:]) -> None:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "src" / "series_archiver" / "demo" / "replica_site"
    tree, manifest = build()
    tree.write(out)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(tree.files)} files and manifest.json under {out}")


if __name__ == "__main__":
    main()
