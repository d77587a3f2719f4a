"""Site profiles written in config ([[sites]]): validation, extraction, and a whole archive of a config-only site.

The outlet is the replica's 香港文匯報 (manifest ``outlets.wenweipo``): synthetic
pages in its markup, served from their own folder of the replica on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from series_archiver.demo.replica import ReplicaSite
from series_archiver.errors import ConfigError
from series_archiver.read import derivation
from series_archiver.read.clean import clean
from series_archiver.read.extract import extract
from series_archiver.settings import Settings, load_settings
from tests.support.paths import REPO

DATA = REPO / "src" / "series_archiver" / "demo" / "replica_site"
SERIES = '[[series]]\nname = "貿戰下中國力量"\npattern = "貿戰下中國力量"\n'


@pytest.fixture(scope="module")
def outlet(manifest: dict[str, Any]) -> dict[str, Any]:
    wenweipo: dict[str, Any] = manifest["outlets"]["wenweipo"]
    return wenweipo


@pytest.fixture
def wenweipo(outlet: dict[str, Any]) -> Iterator[ReplicaSite]:
    with ReplicaSite(root=DATA / outlet["root"]) as site:
        yield site


def settings_with(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def site_settings(tmp_path: Path, outlet: dict[str, Any]) -> Settings:
    return settings_with(tmp_path, SERIES + outlet["site_toml"])


# --- validation: one line naming the key ------------------------------------------------


@pytest.mark.parametrize(
    ("line", "key", "says"),
    [
        ('body = "div:-soup-contains(x)"', "sites[0].body", "cssselect"),
        ('body = "div >"', "sites[0].body", "cssselect"),
        ('body = "div.a"\ntitle = "a:hover"', "sites[0].title", "never match"),
        ('body = "div.a"\nbodyy = "div.b"', "sites[0].bodyy", "not a known key"),
        ('body = "div.a"\nfurniture = ["div.ok", "p::text"]', "sites[0].furniture", "cssselect"),
        ('body = "div.a"\ntime_format = "%Y-%Q"', "sites[0].time_format", "%Q"),
        ('body = "div.a"\ntimezone = "Mars/Olympus"', "sites[0].timezone", "time zone"),
        ('body = "div.a"\ncleaning = ["rejoin"]', "sites[0].cleaning", "print_layout"),
        ('body = "div.a"\nhosts = ["http://x.org/"]', "sites[0].hosts", "host name"),
        ('body = "div.a"\nmirrors = ["m.x.org"]', "sites[0].mirrors", "needs hosts"),
        ('title = "h1"', "sites[0].body", "required"),
    ],
)
def test_a_bad_table_is_one_error_naming_the_key(tmp_path: Path, line: str, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_with(tmp_path, SERIES + f'[[sites]]\nname = "x"\n{line}\n')
    assert caught.value.key == key
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_site_may_not_take_a_built_in_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_with(tmp_path, SERIES + '[[sites]]\nname = "takungpao"\nbody = "div"\n')
    assert caught.value.key == "sites[0].name"


def test_hosts_become_fetchable_and_mirrors_join_the_series_groups(tmp_path: Path) -> None:
    settings = settings_with(
        tmp_path, SERIES + '[[sites]]\nname = "x"\nbody = "div"\nhosts = ["www.x.org", "*.y.org"]\nmirrors = ["m.x.org"]\n'
    )
    assert settings.fetch.host_allowed("www.x.org") and settings.fetch.host_allowed("a.y.org")
    assert settings.fetch.host_allowed("m.x.org") and settings.fetch.host_allowed("www.takungpao.com")
    assert ("www.x.org", "m.x.org") in settings.series[0].mirrors
    assert [s.name for s in settings.site_profiles] == ["x", "takungpao", "tkww"]


def test_no_sites_by_default() -> None:
    assert load_settings().sites == ()


# --- extraction and cleaning by the configured profile ----------------------------------


def test_the_configured_profile_reads_the_page(tmp_path: Path, outlet: dict[str, Any], wenweipo: ReplicaSite) -> None:
    settings = site_settings(tmp_path, outlet)
    first = outlet["articles"][0]
    page = extract(wenweipo.text(first["url"]), first["url"], sites=settings.site_profiles)
    assert page.profile == "wenweipo"
    assert page.title == first["title"]
    assert page.published is not None and page.published.isoformat() == first["published"]
    assert page.byline == first["byline"]
    assert list(page.captions) == first["captions"]
    article = clean([page])
    # The print layout's cuts rejoined, the 香港文匯報記者 line gone into the byline, the share bar dropped.
    assert list(article.paragraphs) == first["paragraphs"]
    assert article.byline == first["byline"]
    assert "分享到" not in article.text and "相關新聞" not in article.text
    assert article.headings[0] == "貿戰下中國力量① 志氣篇"


def test_without_the_table_the_page_takes_the_generic_path(outlet: dict[str, Any], wenweipo: ReplicaSite) -> None:
    first = outlet["articles"][0]
    assert extract(wenweipo.text(first["url"]), first["url"]).profile != "wenweipo"


def test_hosts_restrict_the_profile(tmp_path: Path, outlet: dict[str, Any], wenweipo: ReplicaSite) -> None:
    settings = site_settings(tmp_path, outlet)
    first = outlet["articles"][0]
    elsewhere = first["url"].replace("www.wenweipo.com", "copy.example.org")
    assert extract(wenweipo.text(first["url"]), elsewhere, sites=settings.site_profiles).profile != "wenweipo"


def test_a_changed_selector_is_a_new_derivation(tmp_path: Path, outlet: dict[str, Any]) -> None:
    settings = site_settings(tmp_path, outlet)
    changed = settings_with(tmp_path, SERIES + outlet["site_toml"].replace('"h1.post-title"', '"article h1"'))
    assert derivation.current().digest != derivation.current(settings.sites).digest
    assert derivation.current(settings.sites).digest != derivation.current(changed.sites).digest
    assert derivation.current(settings.sites) == derivation.current(site_settings(tmp_path, outlet).sites)


# --- a whole archive of the config-only site, through the CLI ----------------------------


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERIES_ARCHIVER_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "src"), env.get("PYTHONPATH", "")) if p)  # this checkout's code
    return subprocess.run(
        [sys.executable, "-m", "series_archiver", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.slow
def test_a_config_only_site_is_archived_end_to_end(tmp_path: Path, outlet: dict[str, Any], wenweipo: ReplicaSite) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[fetch]\ndelay_seconds = 0.0\nretries = 1\n\n"
        f'[[series]]\nname = "{outlet["series"]["name"]}"\npattern = "{outlet["series"]["pattern"]}"\n'
        f"start_urls = {json.dumps(outlet['start_urls'], ensure_ascii=False)}\n\n" + outlet["site_toml"],
        encoding="utf-8",
    )
    assert tomllib.loads(config.read_text(encoding="utf-8"))["sites"][0]["name"] == "wenweipo"
    db = tmp_path / "series.db"
    crawl = cli("crawl", "--json", "--config", str(config), "--db", str(db), "--replica", json.dumps(wenweipo.origins), cwd=tmp_path)
    assert crawl.returncode == 0, crawl.stderr
    counts = json.loads(crawl.stdout)
    assert counts["new_articles"] == len(outlet["articles"]) and counts["failed"] == 0
    listed = cli("list", "--json", "--config", str(config), "--db", str(db), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {row["url"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {a["url"] for a in outlet["articles"]}
    for expected in outlet["articles"]:
        row = rows[expected["url"]]
        # ①'s label is in its kicker, its sidebar names none: both are listed as 志氣篇.
        assert (row["series"], row["installment"], row["label"]) == ("貿戰下中國力量", expected["installment"], expected["label"])
        shown = cli("show", str(row["id"]), "--json", "--config", str(config), "--db", str(db), cwd=tmp_path)
        article = json.loads(shown.stdout)
        assert article["paragraphs"] == expected["paragraphs"]
        assert article["byline"] == expected["byline"] and article["published"] == expected["published"]
    # Nothing but the replica's loopback servers was asked, and a second pass changes nothing.
    assert {r.real_url.split("/")[2] for r in wenweipo.requests} == {"www.wenweipo.com"}
    again = cli("crawl", "--json", "--config", str(config), "--db", str(db), "--replica", json.dumps(wenweipo.origins), cwd=tmp_path)
    assert json.loads(again.stdout)["new_versions"] == 0
