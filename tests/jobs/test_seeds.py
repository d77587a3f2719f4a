"""``seeds``: a crawl of the series handed to a cluster crawler, checked against Browsertrix Crawler's documented
options, and a round trip: crawl from those seeds, pack as WACZ, import, and the crawl's articles come back.

Browsertrix Crawler cannot run here (a Docker image with a browser), so the
configuration is checked against the options its documentation lists
(crawler.docs.browsertrix.com: "All Command-Line Options", "YAML Crawl Config",
"Crawl Scope"; the YAML keys are the options' names) and its scope is applied as
the crawler applies it (``ScopedSeed.isIncluded``: a URL is in scope when one of
``include`` matches it and none of ``exclude``), with Python's regexes and, when
Node is there, JavaScript's own. Debian's wget then stands in for the crawler:
it crawls the replica from the seeds, recursively, taking the links the scope
takes, as deep as ``depth``, through a loopback proxy (nothing leaves
127.0.0.1); py-wacz packs its WARCs (``wacz create``); importing that WACZ into
an empty archive gives the articles a crawl of the replica gives.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs.importer import run_import
from series_archiver.jobs.seeds import crawl_plan, js_regex, write_seeds
from series_archiver.settings import Settings
from tests.support.cli import run_cli, write_config
from tests.support.crawl import Crawler
from tests.support.db import rows
from tests.support.tools import Offline, require
from tests.support.warcs import WgetProxy

# Browsertrix Crawler's options, as its documentation lists them ("All Command-Line Options"), with their
# aliases: a key of the YAML config is one of these. Only the ones a crawl config may sensibly carry.
BROWSERTRIX_OPTIONS = {
    "seeds", "url", "seedFile", "urlFile", "workers", "crawlId", "waitUntil", "depth", "extraHops", "pageLimit", "limit",
    "maxPageLimit", "pageLoadTimeout", "timeout", "scopeType", "scopeIncludeRx", "include", "scopeExcludeRx", "exclude",
    "allowHashUrls", "selectLinks", "blockRules", "blockAds", "collection", "generateCDX", "combineWARC", "generateWACZ",
    "logging", "text", "userAgent", "userAgentSuffix", "useSitemap", "sitemap", "behaviors", "behaviorTimeout",
    "postLoadDelay", "pageExtraDelay", "delay", "dedupPolicy", "sizeLimit", "timeLimit", "lang", "title", "description",
    "failOnFailedSeed", "maxPageRetries",
}
# The settings a seed may carry of its own ("Per-Seed Settings", "Crawl Scope").
SEED_KEYS = {"url", "scopeType", "include", "exclude", "depth", "extraHops", "sitemap", "allowHash"}
SCOPE_TYPES = {"page", "page-spa", "prefix", "host", "domain", "any", "custom"}
BEHAVIORS = {"autoplay", "autofetch", "autoscroll", "autoclick", "siteSpecific"}


def _py(rx: str) -> re.Pattern[str]:
    """A JavaScript regex as Python reads it (the written ones use no syntax the two read apart)."""
    return re.compile(re.sub(r"\\k<(\w+)>", r"(?P=\1)", rx.replace("(?<", "(?P<")))


def _scopes(config: dict[str, Any]) -> list[tuple[str, list[re.Pattern[str]], list[re.Pattern[str]], str]]:
    """Each seed with the include and exclude rules it crawls by (its own, else the crawl's), as the crawler merges them."""
    out = []
    for seed in config["seeds"]:
        seed = {"url": seed} if isinstance(seed, str) else seed
        include = seed.get("include", config.get("include", []))
        exclude = seed.get("exclude", config.get("exclude", []))
        include = [include] if isinstance(include, str) else include
        exclude = [exclude] if isinstance(exclude, str) else exclude
        out.append((seed["url"], [_py(r) for r in include], [_py(r) for r in exclude], seed.get("scopeType", config.get("scopeType", ""))))
    return out


def in_scope(config: dict[str, Any], url: str) -> bool:
    """Whether some seed's scope takes ``url`` (Browsertrix's ``isIncluded`` for a custom scope)."""
    return any(kind == "custom" and any(r.search(url) for r in inc) and not any(r.search(url) for r in exc) for _s, inc, exc, kind in _scopes(config))


def test_the_browsertrix_config_uses_only_documented_options_and_its_scope_takes_the_series(crawler: Crawler, replica: ReplicaSite) -> None:
    crawler.crawl()
    text = write_seeds(crawler.settings, fmt="browsertrix")
    config = yaml.safe_load(text)
    assert set(config) <= BROWSERTRIX_OPTIONS, set(config) - BROWSERTRIX_OPTIONS
    assert config["scopeType"] in SCOPE_TYPES and set(config["behaviors"]) <= BEHAVIORS
    assert all(isinstance(config[k], int) and config[k] >= 0 for k in ("depth", "extraHops", "pageLimit", "pageExtraDelay", "workers"))
    assert config["generateWACZ"] is True
    # The crawler's own check of a collection name, with @ts interpolated.
    assert re.fullmatch(r"[\w][\w-]*", config["collection"].replace("@ts", "20251215000000"), re.ASCII)
    for seed in config["seeds"]:
        assert set(seed) <= SEED_KEYS and seed.get("scopeType", "custom") in SCOPE_TYPES
        assert re.match(r"https?://", seed["url"])

    # Manners: the project's User-Agent with its contact, fetch.delay_seconds, one page at a time.
    fetch = crawler.settings.fetch
    assert config["userAgent"].startswith(fetch.user_agent) and fetch.contact in config["userAgent"]
    assert config["pageExtraDelay"] == 0 and config["workers"] == 1  # the replica's settings have no delay
    assert config["depth"] == max(s.max_pages for s in crawler.settings.series) + 1

    manifest = replica.manifest
    urls = [seed["url"] for seed in config["seeds"]]
    assert urls[: len(manifest["start_urls"])] == manifest["start_urls"], "the list pages first"
    known = {r[0] for r in rows(crawler.settings.archive.db, "SELECT url FROM article_urls")}
    assert known and known <= set(urls[len(manifest["start_urls"]) :]), "every article URL the archive knows"
    # In scope: the lists' pagination and every installment's pages (③ has two); out: images, other sites.
    for page in manifest["list_pages"]:
        assert in_scope(config, page) and in_scope(config, page.replace("https://", "http://"))
    for inst in manifest["installments"]:
        assert all(in_scope(config, page) for page in inst["pages"])
    for outside in [*manifest["images"], "https://www.wenweipo.com/a/202512/15/AP693f1d09e4b0a1c2d3e4f501.html",
                    "https://www.takungpao.com.evil.example/news/232108/2025/1215/1050001.html"]:
        assert not in_scope(config, outside), outside
    # A known article's seed takes its own pages only, not the articles it links.
    three = next(i for i in manifest["installments"] if len(i["pages"]) == 2)
    seed = next(s for s in config["seeds"] if s["url"] == three["pages"][0])
    assert seed["scopeType"] == "custom" and [bool(_py(seed["include"][0]).search(p)) for p in three["pages"]] == [True, True]
    assert not _py(seed["include"][0]).search(manifest["installments"][0]["pages"][0])


def test_the_scope_regexes_are_javascripts_and_read_there_as_here(crawler: Crawler, replica: ReplicaSite) -> None:
    """Node's own RegExp (the crawler's engine) takes the pages Python takes, and rejects the rest."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed: the scope was checked with Python's regexes only")
    crawler.crawl()
    config = yaml.safe_load(write_seeds(crawler.settings, fmt="browsertrix"))
    manifest = replica.manifest
    probes = [*manifest["list_pages"], *(p for i in manifest["installments"] for p in i["pages"]), *manifest["images"],
              "https://www.wenweipo.com/a/202512/15/AP693f1d09e4b0a1c2d3e4f501.html"]
    rules = [r for _u, inc, _e, _k in _scopes(config) for r in inc]
    script = "const [rules, urls] = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n" \
             "console.log(JSON.stringify(rules.map(r => urls.map(u => new RegExp(r).test(u)))));\n"
    js = subprocess.run([node, "-e", script], input=json.dumps([[r.pattern.replace("(?P<", "(?<") for r in rules], probes]),
                        capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(js.stdout) == [[bool(r.search(u)) for u in probes] for r in rules]


def test_a_site_pattern_javascript_cannot_read_is_refused_with_its_name() -> None:
    assert js_regex(re.compile(r"/a/(?P<id>\d+)/(?P=id)\.html$"), where="w") == r"/a/(?<id>\d+)/\k<id>\.html$"
    from series_archiver.errors import ConfigError

    with pytest.raises(ConfigError, match=r"sites\.x\.article_urls"):
        js_regex(re.compile(r"(?i)/A/\d+\.html$"), where="sites.x.article_urls")
    with pytest.raises(ConfigError):
        js_regex(re.compile(r"/a/\d+\.html\Z"), where="sites.x.article_urls")


def test_the_seeds_command(tmp_path: Path, replica: ReplicaSite) -> None:
    config = write_config(tmp_path, replica)
    out = tmp_path / "crawl.yaml"
    made = run_cli(replica, config, "seeds", "--series", "貿戰下中國力量", "--page-limit", "50", "-o", str(out))
    assert made.returncode == 0, made.stderr
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written["pageLimit"] == 50 and [s["url"] for s in written["seeds"]] == replica.manifest["start_urls"]
    assert not (tmp_path / "series.db").exists(), "seeds reads the archive, never makes one"
    listed = run_cli(replica, config, "seeds", "--format", "txt")
    assert listed.returncode == 0 and listed.stdout.splitlines() == replica.manifest["start_urls"]
    unknown = run_cli(replica, config, "seeds", "--series", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr


# --- the round trip: wget crawls from the seeds, py-wacz packs, import reads ----------------------------


def _posix(rx: str) -> str:
    """A written scope regex as wget's --accept-regex (POSIX extended) reads it: no (?: or named groups, no \\d."""
    return re.sub(r"\(\?(?::|<\w+>)", "(", rx).replace(r"\d", "[0-9]")


def _wget(proxy: WgetProxy, out: Path, name: str, seeds: list[str], accept: list[str], depth: int) -> Path:
    wget = shutil.which("wget")
    assert wget is not None
    env = {"PATH": "/usr/bin:/bin", "http_proxy": proxy.address, "https_proxy": proxy.address, "no_proxy": ""}
    # A page-scoped seed (no rules of its own, scopeType page) is that page alone.
    follow = ["--recursive", f"--level={depth}", "--span-hosts", "--accept-regex", "|".join(f"({_posix(r)})" for r in accept)] if accept else []
    subprocess.run(
        [wget, "--quiet", *follow, "--delete-after", "--no-directories", "--warc-file", str(out / name), "--no-warc-compression",
         *(u.replace("https://", "http://") for u in seeds)],
        env=env, cwd=out, check=False, timeout=300,
    )
    warc = out / f"{name}.warc"
    assert warc.exists() and warc.stat().st_size > 0
    return warc


def test_a_crawl_from_the_seeds_packed_by_py_wacz_imports_as_the_crawls_articles(
    tmp_path: Path, replica: ReplicaSite, crawler: Crawler, settings: Settings
) -> None:
    if shutil.which("wget") is None:
        pytest.skip("Debian's wget is not installed (.ci/run installs it)")
    require("wacz")
    crawled = crawler.crawl()
    assert crawled.counts.failed == 0
    config = yaml.safe_load(write_seeds(crawler.settings, fmt="browsertrix"))
    assert crawl_plan(crawler.settings).articles, "the archive knows articles: they are seeds too"

    work = tmp_path / "crawl"
    work.mkdir()
    proxy = WgetProxy(replica, https_as_http=True)
    try:
        # Each seed with the scope it crawls by: the list pages with the crawl's, each known article with its own.
        warcs = []
        lists = [u for u, _i, _e, _k in _scopes(config) if u in replica.manifest["start_urls"]]
        warcs.append(_wget(proxy, work, "lists", lists, config["include"], config["depth"]))
        for n, seed in enumerate(s for s in config["seeds"] if s["url"] not in lists):
            warcs.append(_wget(proxy, work, f"article-{n}", [seed["url"]], seed.get("include", []), config["depth"]))
    finally:
        proxy.close()
    asked = [p for p in proxy.requested if not p.endswith("/robots.txt")]
    assert all(in_scope(config, p) or p.replace("http://", "https://") in [s["url"] for s in config["seeds"]] for p in asked), asked
    assert not any("/private/" in p for p in proxy.requested), "robots.txt's Disallow is kept (wget reads it; see exclude)"

    tools = Offline(tmp_path)
    wacz = tmp_path / "crawl.wacz"
    made = tools.run("wacz", "create", "-o", str(wacz), *(str(w) for w in warcs), cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    assert tools.attempts() == []

    empty = settings.replace(archive__db=tmp_path / "from-the-crawl.db")
    result = run_import(empty, [wacz])
    assert result.failed == 0, result.failures

    def texts(db: Path) -> list[tuple[Any, ...]]:
        return rows(db, "SELECT a.installment, v.version, v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id ORDER BY 1, 2")

    assert texts(empty.archive.db) == texts(crawler.settings.archive.db)
    assert result.new_articles == len(replica.manifest["installments"])
    again = run_import(empty, [wacz])
    assert (again.new_articles, again.new_versions, again.failed) == (0, 0, 0)
