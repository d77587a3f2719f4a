"""Block pages in the shapes real ones take, written for these tests (no real page is copied).

Each kind comes short (a few words, as a bare challenge or an Akamai denial is) and
long (200 characters of visible text or more, as a firewall's page with its
explanations is: long enough to pass ``quality.min_chars`` if it were read as an
article). The shapes follow public descriptions of each: Cloudflare's "Just a moment…"
interstitial (``window._cf_chl_opt``, the ``/cdn-cgi/challenge-platform/h/`` orchestration,
a ``<noscript>`` line) and its "Attention Required!" block page with a Ray ID; Akamai's
"Access Denied" with a ``Reference #18.…`` number; Chinese cloud WAFs' 訪問被拒絕 and
網站防火牆 pages with an event id; slider captchas (安全驗證); maintenance pages.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "BlockKind"]

_HOST = "www.takungpao.com"
_RAY = "8f3a1c2b9d0e4f57"


@dataclass(frozen=True)
class BlockKind:
    """One kind of block page; ``kind`` is what ``read.pagekind`` should call it."""

    name: str
    kind: str  # challenge, block, captcha, maintenance
    lang: str
    short: str
    long: str

    def body(self, long: bool) -> str:
        return self.long if long else self.short


def _page(title: str, body: str, *, head: str = "", lang: str = "en") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
        f'<meta name="robots" content="noindex,nofollow">\n<meta name="viewport" content="width=device-width,initial-scale=1">\n'
        f"<style>body{{margin:0;font-family:system-ui,sans-serif}}.box{{max-width:60rem;margin:8rem auto}}</style>\n{head}</head>\n"
        f'<body>\n<div class="box" role="main">\n{body}\n</div>\n</body>\n</html>\n'
    )


_CHALLENGE_SCRIPT = (
    "<script>(function(){window._cf_chl_opt={cvId:'3',cZone:'" + _HOST + "',cType:'managed',cRay:'" + _RAY + "',"
    "cH:'q9Zr1xV_kP0',cUPMDTk:'/news/232108/index.html?__cf_chl_tk=Tk0'};var s=document.createElement('script');"
    "s.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=" + _RAY + "';"
    "document.getElementsByTagName('head')[0].appendChild(s);}());</script>"
)

CF_CHALLENGE = BlockKind(
    "cf-challenge",
    "challenge",
    "en",
    short=_page(
        "Just a moment...",
        '<noscript><div id="challenge-error-text">Enable JavaScript and cookies to continue</div></noscript>\n' + _CHALLENGE_SCRIPT,
    ),
    long=_page(
        "Just a moment...",
        f'<h1 class="zone-name-title">{_HOST}</h1>\n'
        '<p id="challenge-body-text">Verifying you are human. This may take a few seconds.</p>\n'
        f"<p>{_HOST} needs to review the security of your connection before proceeding. The check runs in your "
        "browser and usually ends by itself; keep this tab open and the page you asked for will follow.</p>\n"
        '<noscript><div id="challenge-error-text">Enable JavaScript and cookies to continue</div></noscript>\n'
        f'<div class="footer">Ray ID: <code>{_RAY}</code> &middot; Performance &amp; security by Cloudflare</div>\n'
        + _CHALLENGE_SCRIPT,
    ),
)

CF_BLOCKED = BlockKind(
    "cf-blocked",
    "block",
    "en",
    short=_page(
        "Attention Required! | Cloudflare",
        f'<div id="cf-error-details"><h1>Sorry, you have been blocked</h1><h2>You are unable to access {_HOST}</h2>'
        f'<p class="ray">Cloudflare Ray ID: <strong>{_RAY}</strong></p></div>',
    ),
    long=_page(
        "Attention Required! | Cloudflare",
        f'<div id="cf-error-details"><h1>Sorry, you have been blocked</h1><h2>You are unable to access {_HOST}</h2>\n'
        "<h3>Why was the request refused?</h3><p>The site sits behind a security service that screens every request "
        "for attacks. Something in this request matched one of its rules: a phrase, an unusual header, or simply too "
        "many requests from one address in a short time.</p>\n"
        "<h3>What now?</h3><p>Write to the owner of the site, say what you were doing when this page appeared, and "
        "quote the Ray ID printed below so they can find the request in their logs.</p>\n"
        f'<p class="ray">Cloudflare Ray ID: <strong>{_RAY}</strong> &bull; Your IP: <span>hidden</span></p></div>',
    ),
)

AKAMAI_DENIED = BlockKind(
    "akamai-denied",
    "block",
    "en",
    short=(
        "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
        f'You don\'t have permission to access "http&#58;&#47;&#47;{_HOST}&#47;news&#47;232108&#47;index&#46;html" on this server.<P>\n'
        "Reference&#32;&#35;18&#46;4f1d2a17&#46;1734312345&#46;9b3e7c1\n</BODY>\n</HTML>\n"
    ),
    long=(
        "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
        f'You don\'t have permission to access "http&#58;&#47;&#47;{_HOST}&#47;news&#47;232108&#47;index&#46;html" on this server.<P>\n'
        "Reference&#32;&#35;18&#46;4f1d2a17&#46;1734312345&#46;9b3e7c1\n<P>The request was refused at the edge of the "
        "delivery network, before it reached the site. Addresses that send many requests in a short time, or that "
        "other sites reported, are refused for a while. If this keeps happening, send the reference number above and "
        "the time of your visit to the site's owners.</P>\n</BODY>\n</HTML>\n"
    ),
)

WAF_ZH = BlockKind(
    "waf-zh",
    "block",
    "zh",
    short=_page(
        "網站防火牆",
        '<div class="waf"><h2>網站防火牆</h2><p>您的請求帶有不合法參數，已被網站管理員設置攔截！</p></div>',
        lang="zh-Hant",
    ),
    long=_page(
        "訪問被拒絕",
        '<div class="waf"><h1>訪問被拒絕</h1>\n<p>很抱歉，您的訪問請求可能對網站造成安全威脅，請求已被攔截。</p>\n'
        "<p>事件編號：7c1e0b5a-32f4-4d0e-9a61-3b2f5e8c4d10　時間：2025-12-19 10:17:05</p>\n"
        "<h3>可能的原因</h3><ol><li>提交的內容中含有疑似攻擊的字串；</li><li>所在網絡的地址在短時間內發出了大量請求，已被暫時限制；</li>"
        "<li>瀏覽器或網絡環境與正常訪問不符。</li></ol>\n"
        "<p>如您是網站管理員，請登入雲端防護控制台，以上方事件編號查詢攔截記錄，並按需要調整防護規則。一般用戶可稍候再試，"
        "或將事件編號與訪問時間告知網站客服。</p></div>",
        lang="zh-Hant",
    ),
)

_SLIDER = (
    '<div id="nc_wrapper" class="nc-container"><div class="nc_scale"><span class="nc_iconfont btn_slide">&gt;&gt;</span>'
    '<span class="nc-lang-cnt">請按住滑塊，拖動到最右邊</span></div></div>\n'
    "<script>window.NC_OPTS={appkey:'FFFF00000000017A',scene:'nc_other',renderTo:'#nc_wrapper'};</script>"
)

CAPTCHA_ZH = BlockKind(
    "captcha-zh",
    "captcha",
    "zh",
    short=_page("安全驗證", f"<h2>滑動驗證</h2>\n{_SLIDER}", lang="zh-Hant"),
    long=_page(
        "安全驗證",
        "<h2>請完成安全驗證後繼續訪問</h2>\n"
        "<p>系統檢測到您所在的網絡訪問過於頻繁。為保障網站正常運作，請先完成下方驗證；驗證通過後即可繼續瀏覽原來的頁面。</p>\n"
        f"{_SLIDER}\n"
        "<p>若多次驗證仍未成功，請檢查瀏覽器是否停用了 JavaScript 或 Cookie，稍後再試；如仍有問題，請聯絡網站客服，"
        "並提供您的訪問時間與所用網絡，以便我們盡快處理。感謝您的耐心與支持。</p>\n"
        "<p>提示：使用公共網絡、代理服務或瀏覽器擴充功能時，較易觸發驗證；切換網絡或停用相關擴充功能後，通常即可正常訪問。</p>",
        lang="zh-Hant",
    ),
)

_RECAPTCHA = (
    '<form id="challenge" action="/verify" method="post"><div class="g-recaptcha" data-sitekey="6Lc0000000000000000000000000000000000000"></div>'
    '<input type="submit" value="Continue"></form>\n<script src="https://www.google.com/recaptcha/api.js" async defer></script>'
)

CAPTCHA_EN = BlockKind(
    "captcha-en",
    "captcha",
    "en",
    short=_page("Security check", f"<h1>One more step</h1>\n{_RECAPTCHA}"),
    long=_page(
        "Security check",
        f"<h1>One more step</h1>\n<p>Please complete the security check to access {_HOST}.</p>\n{_RECAPTCHA}\n"
        "<h2>Why am I asked this?</h2><p>Requests from your network looked automated. Ticking the box proves there is "
        "a person at the keyboard and lets you through for a while.</p>\n"
        "<h2>How do I avoid it next time?</h2><p>Keep your browser up to date, let the site set its cookies, and "
        "if your network is shared, ask its administrator whether a device on it sends unusual traffic.</p>",
    ),
)

MAINTENANCE_ZH = BlockKind(
    "maintenance-zh",
    "maintenance",
    "zh",
    short=_page("系統維護中_大公網", "<h1>系統維護中</h1><p>請稍後再訪問。</p>", lang="zh-Hant"),
    long=_page(
        "系統維護中_大公網",
        "<h1>系統維護中</h1>\n<p>為提供更穩定、更快捷的服務，本網站正在進行系統升級維護，預計於今日18時恢復訪問，敬請見諒。</p>\n"
        "<p>維護期間，新聞內容暫停更新，已發佈的文章亦暫時無法瀏覽；手機應用程式及電子報將同步暫停服務。"
        "維護完成後，所有內容將如常開放，毋須重新登記。</p>\n"
        "<p>如有緊急查詢，請於辦公時間致電客戶服務熱線，或電郵至網站編輯部。感謝各位讀者一直以來的支持與耐心。</p>\n"
        "<p>訂閱電子報的讀者，將於服務恢復後收到維護期間未能發送的各期內容；如未收到，請告知我們補發。</p>",
        lang="zh-Hant",
    ),
)

MAINTENANCE_EN = BlockKind(
    "maintenance-en",
    "maintenance",
    "en",
    short=_page("Site Maintenance", "<h1>We&rsquo;ll be back soon!</h1>"),
    long=_page(
        "Site Maintenance",
        "<article><h1>We&rsquo;ll be back soon!</h1>\n<div><p>We are sorry for the trouble: the site is down for "
        "maintenance while we move it to new servers. Everything published so far is safe and will be back in the "
        "same place.</p>\n<p>The work should be over within a few hours. If you need to reach the newsroom meanwhile, "
        "write to the editors by email; the other titles of the group are not affected.</p>\n"
        "<p>&mdash; The web team</p></div></article>",
    ),
)

KINDS: tuple[BlockKind, ...] = (
    CF_CHALLENGE,
    CF_BLOCKED,
    AKAMAI_DENIED,
    WAF_ZH,
    CAPTCHA_ZH,
    CAPTCHA_EN,
    MAINTENANCE_ZH,
    MAINTENANCE_EN,
)
