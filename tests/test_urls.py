"""worker/urls.py: one set of rules for every URL and host the worker is given."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.errors import BadURL
from worker.urls import (
    canonical_url,
    check,
    check_host,
    host_matches,
    join,
    server_of,
    without_credentials,
)


def test_canonical_url() -> None:
    assert canonical_url("HTTPS://Mid.RU:443/en/a/?b=1#x") == "https://mid.ru/en/a/?b=1"
    assert canonical_url("http://mid.ru:8080/A") == "http://mid.ru:8080/A"
    assert canonical_url("http://mid.ru") == "http://mid.ru/"
    with pytest.raises(BadURL, match="not an http"):
        canonical_url("/relative/path")


@pytest.mark.parametrize(
    ("given_url", "canonical"),
    [
        ("http://Example.ORG./a", "http://example.org/a"),  # trailing dot dropped
        ("http://example.org:80/a", "http://example.org/a"),  # default port dropped
        ("https://example.org:443/", "https://example.org/"),
        ("http://user:pw@example.org/a", "http://example.org/a"),  # credentials dropped
        ("http://пример.рф/путь", "http://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://[0:0::1]/", "http://[::1]/"),
        ("http://127.0.0.1/a b", "http://127.0.0.1/a%20b"),
        ("http://example.org/A?Q=1", "http://example.org/A?Q=1"),  # path and query as written
    ],
)
def test_canonical_forms(given_url: str, canonical: str) -> None:
    assert canonical_url(given_url) == canonical


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("http://xn--.com/", "punycode"),
        ("http://[::1", "IPv6"),
        ("http://" + "a" * 300 + ".com/", "63 characters"),
        ("http://" + ".".join(["a" * 60] * 5) + "/", "253 characters"),
        ("http://a\r\nb.com/", "control character"),
        ("http://a.com/\x00", "control character"),
        ("ftp://a.com/", "not an http"),
        ("http:///path", "no host"),
        ("http://a..b/", "empty label"),
        ("http://-a.com/", "not allowed"),
        ("http://1.2.3.4.5/", "IPv4"),
        ("http://a.com:99999/", "port"),
        ("http://a.com:x/", "port"),
        ("http://[fe80::1%25eth0]/", "IPv6"),
        ("http://a.com/" + "x" * 9000, "longer than"),
    ],
)
def test_bad_urls_are_one_line(bad: str, problem: str) -> None:
    with pytest.raises(BadURL, match=problem) as caught:
        check(bad)
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)
    assert len(str(caught.value)) < 1000


def test_hosts() -> None:
    assert check_host("WWW.Mid.RU.") == "www.mid.ru"
    assert host_matches("www.mid.ru", ("mid.ru",), subdomains=True)
    assert not host_matches("www.mid.ru", ("mid.ru",), subdomains=False)
    assert not host_matches("evilmid.ru", ("mid.ru",), subdomains=True)


def test_join_and_credentials() -> None:
    assert join("http://a.com/x/y", "../z#f") == "http://a.com/z"
    assert join("http://a.com/x", "HTTP://B.com:80") == "http://b.com/"
    with pytest.raises(BadURL):
        join("http://a.com/", "http://xn--.com/")
    assert without_credentials("http://u:p@a.com/x") == "http://a.com/x"
    assert without_credentials("http://a.com/x") == "http://a.com/x"


@given(
    st.from_regex(
        r"(?i)https?://[a-z0-9.-]{1,20}(:[0-9]{1,5})?(/[^\s#]{0,20})?(#\S{0,5})?", fullmatch=True
    )
)
def test_canonical_url_is_idempotent(url: str) -> None:
    try:
        once = canonical_url(url)
    except BadURL:
        return  # not usable (an empty label, a port out of range)
    assert canonical_url(once) == once
    assert "#" not in once


@given(st.text(max_size=200))
def test_any_string_is_a_url_or_one_bad_url(text: str) -> None:
    try:
        check(text)
    except BadURL as error:
        assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("host", "server"),
    [
        ("www.mid.ru", "mid.ru"),
        ("mid.ru", "mid.ru"),
        ("www.fmprc.gov.cn", "fmprc.gov.cn"),
        ("archive.mid.ru", "archive.mid.ru"),
        ("www.localhost", "www.localhost"),  # `localhost` alone is not the same server
        ("127.0.0.2", "127.0.0.2"),
    ],
)
def test_pacing_counts_www_and_the_bare_name_as_one_server(host: str, server: str) -> None:
    assert server_of(host) == server
