"""Settings: packaged defaults, overlaid by the user's config.toml, overlaid by flags.

One typed, frozen ``Settings`` object is built once and passed down as an
argument; nothing reads configuration from a global. Every problem is a
``ConfigError`` naming the key, so the CLI can print one line and exit 2.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from series_archiver.errors import ConfigError

if TYPE_CHECKING:
    from series_archiver.sites import Registry, Site

__all__ = [
    "ArchiveSettings",
    "FetchSettings",
    "QualitySettings",
    "DedupeSettings",
    "ScheduleSettings",
    "NotifySettings",
    "WaybackSettings",
    "WitnessSettings",
    "EvidenceSettings",
    "SeriesSettings",
    "Settings",
    "load_settings",
    "default_config_text",
]


@dataclass(frozen=True)
class ArchiveSettings:
    db: Path = Path("archive/series.db")
    lock_timeout_seconds: float = 60.0
    backup_before_upgrade: bool = True
    # The one zone people read times in (browse pages, the CLI); the archive keeps UTC and JSON keeps offsets.
    display_timezone: str = "Asia/Hong_Kong"


def _site_domains() -> tuple[str, ...]:
    from series_archiver.sites import domains  # site knowledge stays in sites/

    return domains()


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = "series-archiver/0.1"
    contact: str = ""
    delay_seconds: float = 5.0
    timeout_seconds: float = 30.0
    retries: int = 3
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 120.0
    max_bytes: int = 10_000_000
    max_in_flight_per_host: int = 1
    workers: int = 4
    respect_robots: bool = True
    # The packaged defaults.toml names the hosts; without a file, every registered site's domains.
    allowed_hosts: tuple[str, ...] = field(default_factory=lambda: _site_domains())

    def host_allowed(self, host: str) -> bool:
        """True for an allowed host or any subdomain of one (www.takungpao.com)."""
        host = host.lower().rstrip(".")
        return any(host == h or host.endswith("." + h) for h in self.allowed_hosts)


@dataclass(frozen=True)
class QualitySettings:
    min_chars: int = 200
    max_shrink_ratio: float = 0.5
    soft_404_phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DedupeSettings:
    similarity: float = 0.7
    shingle_size: int = 5


@dataclass(frozen=True)
class ScheduleSettings:
    cron: str = "17 */2 * * *"
    timezone: str = "Asia/Hong_Kong"
    misfire_grace_seconds: int = 600
    # [(unchanged for up to D days, re-check after H hours), ...]: see schedule.Tiers
    tiers: tuple[tuple[float, float], ...] = ((2, 0), (14, 12), (60, 24), (36500, 168))


@dataclass(frozen=True)
class NotifySettings:
    command: str = ""
    url: str = ""


@dataclass(frozen=True)
class WaybackSettings:
    """A CDX server and its playback (the Internet Archive's by default, or any pywb), for ``backfill``."""

    cdx_url: str = "https://web.archive.org/cdx/search/cdx"
    playback_url: str = "https://web.archive.org/web/"
    # The Internet Archive allows 30 CDX queries a minute and asks clients to stay at 80% of that.
    cdx_requests_per_minute: float = 24.0
    playback_requests_per_second: float = 8.0


@dataclass(frozen=True)
class WitnessSettings:
    """Witness captures: each new version, removal and return asked of Save Page Now 2 (witness/)."""

    save_page_now: bool = False
    endpoint: str = "https://web.archive.org"
    # From [witness] or, read here once, SERIES_ARCHIVER_SPN_ACCESS / SERIES_ARCHIVER_SPN_SECRET.
    access_key: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    # 0: by the keys, 6 a minute with them and 3 without (SPN2 allows 7 and 3: one is kept spare).
    captures_per_minute: float = 0.0
    # The longest an earlier capture may be old and still stand for a new one ("1h", "30m", "90s").
    if_not_archived_within: str = "1h"
    budget_seconds: float = 5.0
    backoff_base_seconds: float = 300.0
    backoff_max_seconds: float = 21600.0
    max_attempts: int = 8
    # The status of a job is kept about an hour: one not found after this is requested again.
    resubmit_after_seconds: float = 3600.0

    @property
    def has_keys(self) -> bool:
        return bool(self.access_key and self.secret_key)

    @property
    def per_minute(self) -> float:
        """The captures a minute asked for at most."""
        if self.captures_per_minute > 0:
            return self.captures_per_minute
        return 6.0 if self.has_keys else 3.0

    @property
    def not_archived_within_seconds(self) -> int:
        seconds = parse_duration(self.if_not_archived_within)
        assert seconds is not None  # checked when the settings were built
        return seconds


@dataclass(frozen=True)
class EvidenceSettings:
    """Screenshots and trusted timestamps of each new version, removal and return (evidence/, docs/evidence.md)."""

    screenshots: bool = False
    # Seconds a pass spends on screenshots and timestamps at most; the rest stays queued.
    budget_seconds: float = 60.0
    chromium: Path = Path("/usr/bin/chromium")
    # An RFC 3161 time-stamping authority; "" asks none.
    tsa_url: str = ""
    # PEM file of the certificates ``verify`` trusts as the TSA's roots; "": the chain the TSA sent.
    tsa_ca_file: str = ""
    tsa_timeout_seconds: float = 30.0
    max_attempts: int = 5

    @property
    def enabled(self) -> bool:
        """Whether events are queued for evidence at all."""
        return self.screenshots or bool(self.tsa_url)


def parse_duration(text: str) -> int | None:
    """Seconds in "1h", "30m", "3d 5h 20m", "90s" or "120" (SPN2's own forms); None when unreadable.

    >>> parse_duration("1h"), parse_duration("3d 5h 20m"), parse_duration("120"), parse_duration("soon")
    (3600, 278400, 120, None)
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    parts = re.findall(r"(\d+)\s*([dhms])", text)
    if not parts or re.sub(r"\d+\s*[dhms]", "", text).strip():
        return None
    unit = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(n) * unit[u] for n, u in parts)


# Keys of Save Page Now, read from the environment in one place (load_settings).
SPN_ENV = {"witness.access_key": "SERIES_ARCHIVER_SPN_ACCESS", "witness.secret_key": "SERIES_ARCHIVER_SPN_SECRET"}


@dataclass(frozen=True)
class SeriesSettings:
    name: str
    pattern: str
    start_urls: tuple[str, ...] = ()
    max_pages: int = 5
    urls: tuple[str, ...] = ()
    # Groups of hosts that serve the same article at the same path.
    mirrors: tuple[tuple[str, ...], ...] = ()
    # URL prefixes whose every capture in a web archive ``backfill`` asks for (CDX matchType=prefix).
    backfill_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    wayback: WaybackSettings = field(default_factory=WaybackSettings)
    witness: WitnessSettings = field(default_factory=WitnessSettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    series: tuple[SeriesSettings, ...] = ()
    # Site profiles written in config ([[sites]]), tried before the built-in ones.
    sites: tuple[Site, ...] = ()
    source: str = "<defaults>"

    @property
    def site_profiles(self) -> tuple[Site, ...]:
        """The profiles extraction tries, in order: the configured sites, then the built-in ones."""
        return self.registry.sites

    @cached_property
    def registry(self) -> Registry:
        """The one registry of sites every source, reader and the writer ask: configured first, then built-in."""
        from series_archiver.sites import SITES, Registry

        return Registry((*self.sites, *SITES))

    def replace(self, **sections: Any) -> Settings:
        """A copy with some sections (or dotted keys, as ``fetch__delay_seconds``) changed."""
        current = self
        for name, value in sections.items():
            if "__" in name:
                section, key = name.split("__", 1)
                value = dataclasses.replace(getattr(current, section), **{key: value})
                name = section
            current = dataclasses.replace(current, **{name: value})
        return current


_SECTIONS: dict[str, type] = {
    "archive": ArchiveSettings,
    "fetch": FetchSettings,
    "quality": QualitySettings,
    "dedupe": DedupeSettings,
    "schedule": ScheduleSettings,
    "notify": NotifySettings,
    "wayback": WaybackSettings,
    "witness": WitnessSettings,
    "evidence": EvidenceSettings,
}


def default_config_text() -> str:
    return resources.files("series_archiver").joinpath("defaults.toml").read_text(encoding="utf-8")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError("--config", f"file {path} does not exist; pass an existing file or create it") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("--config", f"{path} is not valid TOML ({exc}); fix the file") from None


def load_settings(
    path: Path | None = None,
    *,
    db: Path | None = None,
    overrides: dict[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings: defaults, then ``path`` (if given), then the environment, then flags.

    ``overrides`` maps dotted keys ("fetch.delay_seconds") to values, for flags
    and tests. ``env`` (default: the process's) may hold the Save Page Now keys
    (``SPN_ENV``), so they need not be written in a file.
    """
    data = tomllib.loads(default_config_text())
    source = "<defaults>"
    if path is not None:
        user = _read_toml(path)
        source = str(path)
        _check_known(user, data, source)
        for key, value in user.items():
            if key in ("series", "sites"):
                data[key] = value  # a user's list replaces the default one
            elif isinstance(value, dict):
                data[key] = {**data[key], **value}
    environ = os.environ if env is None else env
    for dotted, variable in SPN_ENV.items():
        if environ.get(variable):
            section, _, key = dotted.partition(".")
            data[section][key] = environ[variable]
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        if section not in _SECTIONS or not key:
            raise ConfigError(dotted, "is not a known setting")
        data[section][key] = value
    if db is not None:
        data["archive"]["db"] = str(db)
    return _build(data, source)


def _check_known(user: dict[str, Any], defaults: dict[str, Any], source: str) -> None:
    for key, value in user.items():
        if key in ("series", "sites"):
            if not isinstance(value, list):
                raise ConfigError(key, f"must be one or more [[{key}]] tables", source=source)
            continue
        if key not in _SECTIONS:
            raise ConfigError(key, f"is not a known section (known: {', '.join(sorted(_SECTIONS))}, series, sites)", source=source)
        if not isinstance(value, dict):
            raise ConfigError(key, "must be a [table]", source=source)
        for sub in value:
            if sub not in defaults[key]:
                known = ", ".join(sorted(defaults[key]))
                raise ConfigError(f"{key}.{sub}", f"is not a known key (known in [{key}]: {known})", source=source)


def _build(data: dict[str, Any], source: str) -> Settings:
    sections = {name: _coerce(cls, name, data.get(name, {}), source) for name, cls in _SECTIONS.items()}
    series_list = data.get("series", [])
    series = tuple(_coerce(SeriesSettings, f"series[{i}]", s, source) for i, s in enumerate(series_list))
    if not series:
        raise ConfigError("series", "at least one [[series]] table is needed", source=source)
    for i, s in enumerate(series):
        try:
            re.compile(s.pattern)
        except re.error as exc:
            raise ConfigError(f"series[{i}].pattern", f"is not a valid regular expression ({exc})", source=source) from None
        for url in (*s.start_urls, *s.urls, *s.backfill_prefixes):
            if not re.match(r"https?://[^/\s]+", url):
                raise ConfigError(f"series[{i}]", f"URL {url!r} must start with http:// or https://", source=source)
    sites = _sites(data.get("sites", []), source)
    if sites:
        sections["fetch"], series = _with_sites(sections["fetch"], series, sites)
    settings = Settings(**sections, series=series, sites=sites, source=source)
    _validate_ranges(settings, source)
    return settings


def _sites(tables: Any, source: str) -> tuple[Site, ...]:
    """The configured site profiles, each validated as it is built (sites/config.py)."""
    from series_archiver.sites import SITES  # site knowledge stays in sites/
    from series_archiver.sites.config import site_from_table

    if not isinstance(tables, list):
        raise ConfigError("sites", "must be one or more [[sites]] tables", source=source)
    sites: list[Site] = []
    taken = {site.name for site in SITES}
    for i, table in enumerate(tables):
        site = site_from_table(table, f"sites[{i}]", source=source)
        if site.name in taken:
            raise ConfigError(f"sites[{i}].name", f"{site.name!r} is already a site's name; choose another", source=source)
        taken.add(site.name)
        sites.append(site)
    return tuple(sites)


def _with_sites(
    fetch: FetchSettings, series: tuple[SeriesSettings, ...], sites: tuple[Site, ...]
) -> tuple[FetchSettings, tuple[SeriesSettings, ...]]:
    """A configured site's hosts and mirrors become fetchable, and its mirror group joins every series'."""
    hosts = [suffix for site in sites for suffix, _role in site.host_roles]
    allowed = tuple(dict.fromkeys((*fetch.allowed_hosts, *hosts)))
    groups = [site.mirror_group for site in sites if site.mirror_group]
    series = tuple(
        dataclasses.replace(s, mirrors=(*s.mirrors, *(g for g in groups if g not in s.mirrors))) for s in series
    )
    return dataclasses.replace(fetch, allowed_hosts=allowed), series


def _coerce(cls: type, name: str, raw: Any, source: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(name, "must be a table", source=source)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{name}.{key}", f"is not a known key (known: {', '.join(sorted(known))})", source=source)
        kwargs[key] = _convert(hints[key], value, f"{name}.{key}", source)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(name, f"is incomplete ({exc})", source=source) from None


def _convert(hint: Any, value: Any, key: str, source: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is Path:
        if not isinstance(value, (str, Path)):
            raise ConfigError(key, f"must be a path string, not {value!r}", source=source)
        return Path(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"must be true or false, not {value!r}", source=source)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"must be a whole number, not {value!r}", source=source)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, f"must be a number, not {value!r}", source=source)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, not {value!r}", source=source)
        return value
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, f"must be a list, not {value!r}", source=source)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, key, source) for v in value)
        if len(value) != len(args):
            raise ConfigError(key, f"must have {len(args)} items, not {value!r}", source=source)
        return tuple(_convert(a, v, key, source) for a, v in zip(args, value, strict=True))
    if origin in (types.UnionType, typing.Union):
        return value
    return value


def _validate_ranges(s: Settings, source: str) -> None:
    checks: list[tuple[bool, str, str]] = [
        (s.fetch.delay_seconds >= 0, "fetch.delay_seconds", "must be 0 or more"),
        (s.fetch.timeout_seconds > 0, "fetch.timeout_seconds", "must be more than 0"),
        (s.fetch.retries >= 0, "fetch.retries", "must be 0 or more"),
        (s.fetch.max_bytes > 0, "fetch.max_bytes", "must be more than 0"),
        (s.fetch.workers >= 1, "fetch.workers", "must be 1 or more"),
        (s.fetch.max_in_flight_per_host >= 1, "fetch.max_in_flight_per_host", "must be 1 or more"),
        (bool(s.fetch.allowed_hosts), "fetch.allowed_hosts", "must name at least one host"),
        (bool(s.fetch.user_agent.strip()), "fetch.user_agent", "must name the project; an empty User-Agent is impolite"),
        (0 < s.dedupe.similarity <= 1, "dedupe.similarity", "must be between 0 and 1"),
        (s.dedupe.shingle_size >= 1, "dedupe.shingle_size", "must be 1 or more"),
        (0 <= s.quality.max_shrink_ratio < 1, "quality.max_shrink_ratio", "must be at least 0 and below 1"),
        (s.quality.min_chars >= 0, "quality.min_chars", "must be 0 or more"),
        (s.archive.lock_timeout_seconds >= 0, "archive.lock_timeout_seconds", "must be 0 or more"),
        (_is_zone(s.archive.display_timezone), "archive.display_timezone", "must be an IANA time zone such as Asia/Hong_Kong or UTC"),
        (s.wayback.cdx_requests_per_minute > 0, "wayback.cdx_requests_per_minute", "must be more than 0"),
        (s.wayback.playback_requests_per_second > 0, "wayback.playback_requests_per_second", "must be more than 0"),
        (bool(re.match(r"https?://", s.wayback.cdx_url)), "wayback.cdx_url", "must be an http(s) URL"),
        (bool(re.match(r"https?://", s.wayback.playback_url)), "wayback.playback_url", "must be an http(s) URL"),
    ]
    checks += _witness_checks(s.witness)
    checks += [
        (s.evidence.budget_seconds >= 0, "evidence.budget_seconds", "must be 0 or more"),
        (not s.evidence.tsa_url or bool(re.match(r"https?://[^/\s]+", s.evidence.tsa_url)), "evidence.tsa_url",
         "must be \"\" (no timestamps) or an http(s) URL of an RFC 3161 time-stamping authority"),
        (s.evidence.tsa_timeout_seconds > 0, "evidence.tsa_timeout_seconds", "must be more than 0"),
        (s.evidence.max_attempts >= 1, "evidence.max_attempts", "must be 1 or more"),
    ]
    for ok, key, problem in checks:
        if not ok:
            raise ConfigError(key, problem, source=source)
    for i, s_ in enumerate(s.series):
        if s_.max_pages < 1:
            raise ConfigError(f"series[{i}].max_pages", "must be 1 or more", source=source)


def _witness_checks(w: WitnessSettings) -> list[tuple[bool, str, str]]:
    env_access, env_secret = SPN_ENV["witness.access_key"], SPN_ENV["witness.secret_key"]
    return [
        (bool(re.match(r"https?://[^/\s]+", w.endpoint)), "witness.endpoint", "must be an http(s) URL such as https://web.archive.org"),
        (w.captures_per_minute >= 0, "witness.captures_per_minute", "must be 0 (6 with keys, 3 without) or more"),
        (parse_duration(w.if_not_archived_within) is not None, "witness.if_not_archived_within",
         f"must be a time such as \"1h\", \"30m\", \"3d 5h\" or a number of seconds, not {w.if_not_archived_within!r}"),
        (w.budget_seconds >= 0, "witness.budget_seconds", "must be 0 or more"),
        (w.backoff_base_seconds > 0, "witness.backoff_base_seconds", "must be more than 0"),
        (w.backoff_max_seconds >= w.backoff_base_seconds, "witness.backoff_max_seconds", "must be at least witness.backoff_base_seconds"),
        (w.max_attempts >= 1, "witness.max_attempts", "must be 1 or more"),
        (w.resubmit_after_seconds > 0, "witness.resubmit_after_seconds", "must be more than 0"),
        (bool(w.secret_key) or not w.access_key, "witness.secret_key", f"is empty while witness.access_key is set: give both (or {env_secret}) or neither"),
        (bool(w.access_key) or not w.secret_key, "witness.access_key", f"is empty while witness.secret_key is set: give both (or {env_access}) or neither"),
    ]


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
