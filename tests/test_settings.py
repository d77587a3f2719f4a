"""Settings: defaults, the user's file, flags; every bad key named."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from series_archiver.errors import ConfigError
from series_archiver.settings import default_config_text, load_settings
from tests.support.paths import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load_and_match_the_documented_config_toml() -> None:
    settings = load_settings()
    assert settings.archive.db == Path("archive/series.db")
    assert settings.series[0].name == "貿戰下中國力量"
    assert settings.fetch.delay_seconds >= 1, "the default must be polite"
    # The repository's config.toml documents the defaults: the two must say the same.
    assert tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8")) == tomllib.loads(default_config_text())


def test_user_file_overlays_defaults_and_flags_overlay_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[fetch]\ndelay_seconds = 9\n[archive]\ndb = "x.db"\n')
    settings = load_settings(path, db=tmp_path / "flag.db", overrides={"fetch.retries": 7})
    assert settings.fetch.delay_seconds == 9.0
    assert settings.fetch.retries == 7
    assert settings.fetch.timeout_seconds == 30.0  # untouched default
    assert settings.archive.db == tmp_path / "flag.db"


def test_user_series_list_replaces_the_default_one(tmp_path: Path) -> None:
    path = write(tmp_path, '[[series]]\nname = "S"\npattern = "某系列"\nstart_urls = ["https://www.takungpao.com/news/232108/index.html"]\n')
    settings = load_settings(path)
    assert [s.name for s in settings.series] == ["S"]
    assert settings.series[0].max_pages == 5


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[fetch]\ndelay = 3\n", "fetch.delay"),
        ("[fecth]\ndelay_seconds = 3\n", "fecth"),
        ('[fetch]\ndelay_seconds = "slow"\n', "fetch.delay_seconds"),
        ("[fetch]\ndelay_seconds = -1\n", "fetch.delay_seconds"),
        ("[fetch]\nretries = 1.5\n", "fetch.retries"),
        ("[fetch]\nallowed_hosts = []\n", "fetch.allowed_hosts"),
        ('[fetch]\nuser_agent = " "\n', "fetch.user_agent"),
        ('[[series]]\nname = "S"\npattern = "("\n', "series[0].pattern"),
        ('[[series]]\npattern = "x"\n', "series[0]"),
        ('[[series]]\nname = "S"\npattern = "x"\nstart_urls = ["ftp://x/"]\n', "series[0]"),
        ("[dedupe]\nsimilarity = 2\n", "dedupe.similarity"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert info.value.key == key
    assert key in str(info.value)


def test_missing_and_broken_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[fetch\n"))


def test_host_allowed_takes_subdomains_only() -> None:
    fetch = load_settings().fetch
    assert fetch.host_allowed("www.takungpao.com")
    assert fetch.host_allowed("epaper.tkww.hk")
    assert fetch.host_allowed("takungpao.com.hk")
    assert not fetch.host_allowed("faketakungpao.com")
    assert not fetch.host_allowed("takungpao.com.evil.example")
