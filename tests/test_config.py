"""The shipped configs load; a wrong key or value is refused naming the file and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from worker.config import load_config
from worker.errors import ConfigError
from worker.profiles import load_profiles

CONFIG_DIR = Path(__file__).parent.parent / "config"
SITES = load_profiles().names
MIDRU = "https://mid.ru/en/press_service/spokesman/briefings/"
GS = "https://www.globalsecurity.org/wmd/library/news/russia/"

GOOD = {
    "name": '"one"',
    "site": '"mid.ru"',
    "listing_urls": f'["{MIDRU}"]',
    "link_pattern": r"'/briefings/\d+/$'",
    "allowed_hosts": '["mid.ru"]',
}


def source(**changes: str | None) -> str:
    """A `[[sources]]` table: the good one with keys changed (TOML text) or left out (None)."""
    fields = {**GOOD, **changes}
    return "[[sources]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items() if v is not None)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "worker.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_worker_config_loads() -> None:
    config = load_config(CONFIG_DIR / "worker.toml", SITES)
    sites = [s.site for s in config.sources]
    assert sites == ["mid.ru", "globalsecurity", "fmprc", "whitehouse"]
    assert config.politeness.min_interval == 1.0
    assert "briefings-worker" in config.politeness.user_agent
    assert "https://" in config.politeness.user_agent
    midru, globalsecurity, fmprc, whitehouse = config.sources
    assert midru.schedule.interval == 3600 and midru.schedule.jitter > 0
    assert globalsecurity.schedule.interval == 6 * 3600
    assert "{month:02d}" in globalsecurity.listing_urls[0]
    assert fmprc.schedule.cron == "0 11,15 * * mon-fri"
    assert whitehouse.schedule.interval == 7 * 86400


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        (f"{MIDRU}1955710/", True),
        (f"{MIDRU.replace('//mid', '//www.mid')}19557100/", True),
        (f"{MIDRU}1955710/?lang=en", True),
        (f"{MIDRU.replace('/en/', '/ru/')}1955710/", False),
        ("https://mid.ru/en/foreign_policy/news/1955710/", False),
        (f"{MIDRU}12345/", False),
        (f"{MIDRU.replace('//mid', '//evilmid')}1955710/", False),
        (f"{GS}2020/russia-201105-russia-mfab01.htm", True),
        (f"{GS}2025/07/russia-250731-russia-mfab01.htm", True),
        (f"{GS}2020/russia-201106-russia-mfa01.htm", False),
        (f"{GS}2020/index_11.htm", False),
    ],
)
def test_shipped_link_patterns(url: str, kept: bool) -> None:
    config = load_config(CONFIG_DIR / "worker.toml", SITES)
    assert any(re.search(s.link_pattern, url) for s in config.sources) is kept


def test_the_demo_moves_its_config_to_the_port_its_server_got() -> None:
    """The config loader knows no demo: the demo moves config/demo.toml's port 8400 itself."""
    from worker.demo import at_site

    config = at_site(load_config(CONFIG_DIR / "demo.toml", SITES), "http://127.0.0.1:8765")
    briefings, republications = config.sources
    assert briefings.listing_urls == (
        "http://127.0.0.1:8765/en/press_service/spokesman/briefings/",
    )
    assert republications.listing_urls == (
        "http://127.0.0.1:8765/wmd/library/news/russia/index.html",
    )
    assert briefings.allowed_hosts == republications.allowed_hosts == ("127.0.0.1",)
    assert config.politeness.min_interval == 0


def test_the_demo_config_read_as_it_is_names_the_served_demo_site() -> None:
    config = load_config(CONFIG_DIR / "demo.toml", SITES)
    assert config.sources[0].listing_urls[0].startswith("http://127.0.0.1:8400/")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("colour = 'blue'\n" + source(), "colour"),
        ("[politeness]\nmin_intervall = 1\n" + source(), "politeness.min_intervall"),
        ("[politeness]\nmin_interval = 'soon'\n" + source(), "politeness.min_interval"),
        ("[politeness]\nrespect_robots = 'yes'\n" + source(), "politeness.respect_robots"),
        ("[recheck]\nafter = ['1h', 'later']\n" + source(), "recheck.after[1]"),
        ("[recheck]\ninterval = '0s'\n" + source(), "recheck.interval"),
        (source(link_pattern=r"'/briefings/(\d+/$'"), "sources[0].link_pattern"),
        (source(site='"mid.ro"'), "sources[0].site"),
        (source(listing_urls=None), "sources[0].listing_urls"),
        (source(listing_urls="[]"), "sources[0].listing_urls"),
        (source(listing_urls='["ftp://mid.ru/en/"]'), "sources[0].listing_urls[0]"),
        (source(listing_urls='["https://evil.example/en/"]'), "sources[0].listing_urls[0]"),
        (source(listing_urls='["https://mid.ru/{yaer}/"]'), "sources[0].listing_urls[0]"),
        (source(allowed_hosts="[]"), "sources[0].allowed_hosts"),
        (source(name=None), "sources[0].name"),
        (source(color="1"), "sources[0].color"),
        (source(pages_per_run="0"), "sources[0].pages_per_run"),
        (source(backfill_start="'https://mid.ru/{month}/{day}'"), "sources[0].backfill_start"),
        (source() + source(), "sources[1].name"),
        (source(schedule="{ interval = '1 hour' }"), "sources[0].schedule.interval"),
        (source(schedule="{ interval = 0 }"), "sources[0].schedule.interval"),
        (source(schedule="{ jitter = '-5m' }"), "sources[0].schedule.jitter"),
        (source(schedule="{ cron = '0 * * *' }"), "sources[0].schedule.cron"),
        (source(schedule="{ cron = '61 * * * *' }"), "sources[0].schedule.cron"),
        (source(schedule="{ cron = '0 9 * * 1' }"), "sources[0].schedule.cron"),
        (source(schedule="{ every = '1h' }"), "sources[0].schedule.every"),
        ("sources = 3\n", "sources"),
        ("archive = \n", "(syntax)"),
    ],
)
def test_bad_config_names_the_file_and_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, SITES)
    assert caught.value.key == key
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: ")
    assert "\n" not in message


def test_cron_and_interval_together_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, source(schedule="{ cron = '0 * * * *', interval = '1h' }"))
    with pytest.raises(ConfigError, match="either interval or cron"):
        load_config(path, SITES)


def test_a_good_cron_schedule_loads(tmp_path: Path) -> None:
    path = write(tmp_path, source(schedule="{ cron = '15 */6 * * mon-fri' }"))
    (loaded,) = load_config(path, SITES).sources
    assert loaded.schedule.cron == "15 */6 * * mon-fri"
    assert loaded.schedule.interval is None


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: \(file\): no such file"):
        load_config(tmp_path / "nope.toml")


GENERIC_PROFILE = Path(__file__).resolve().parents[1] / "config" / "sites" / "generic.toml"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('name = "x"\ncolour = "red"\n', "colour"),
        ("hosts = ['x.org']\n", "name"),
        ('name = "x"\nhosts = "x.org"\ndrop = [1]\n', "drop"),
        ('name = "x"\ntimezone = "Moscow"\n', "timezone"),
        ('name = "x"\ndrop_patterns = ["(unclosed"]\n', "drop_patterns[0]"),
        ('name = "x"\n[listing]\nitems = "li"\n', "listing.link"),
        ('name = "x"\n[listing]\nlink = "a"\npages = 3\n', "listing.pages"),
        ('name = "x"\n[listing]\nlink = 3\n', "listing.link"),
        ('name = "x"\nhosts = [\n', "(syntax)"),
    ],
)
def test_a_bad_site_profile_names_the_file_and_the_key(tmp_path: Path, text: str, key: str) -> None:
    (tmp_path / "generic.toml").write_bytes(GENERIC_PROFILE.read_bytes())
    (tmp_path / "x.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_profiles(tmp_path)
    assert str(raised.value).startswith(str(tmp_path / "x.toml"))
    assert f": {key}: " in str(raised.value), str(raised.value)
