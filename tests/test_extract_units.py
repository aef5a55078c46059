"""Unit rules of the extract stage: charsets, mojibake, whitespace, dates, labels, robustness."""

from __future__ import annotations

import codecs
import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker import parse_page
from worker.errors import ExtractError
from worker.extract.dates import find_trailing_date, parse_date_line, parse_time_only
from worker.extract.labels import LabelReader
from worker.extract.text import normalise
from worker.page import decode_html

RUSSIAN = "<html><body><p>Брифинг официального представителя</p></body></html>"


class TestCharset:
    def test_bom_wins(self) -> None:
        body = codecs.BOM_UTF8 + RUSSIAN.encode("utf-8")
        assert decode_html(body, "text/html; charset=windows-1251") == (RUSSIAN, "utf-8-sig")

    def test_http_header_beats_a_contradicting_meta(self) -> None:
        html = '<meta charset="utf-8">' + RUSSIAN
        text, encoding = decode_html(html.encode("cp1251"), "text/html; charset=windows-1251")
        assert (text, encoding) == (html, "cp1251")

    def test_meta_when_the_header_has_none(self) -> None:
        html = (
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">' + RUSSIAN
        )
        assert decode_html(html.encode("cp1251"), "text/html")[0] == html

    def test_strict_utf8_then_detection(self) -> None:
        assert decode_html(RUSSIAN.encode("utf-8"), None)[1] == "utf-8"
        long_russian = RUSSIAN * 20
        assert decode_html(long_russian.encode("cp1251"), None)[0] == long_russian

    def test_wrong_declaration_falls_through(self) -> None:
        assert decode_html(RUSSIAN.encode("utf-8"), "text/html; charset=ascii")[0] == RUSSIAN

    def test_undecodable_bytes_end_in_cp1252(self) -> None:
        text, _ = decode_html(b"\x81\x8d\x8f\x90\x9d", None)
        assert isinstance(text, str)


class TestText:
    @pytest.mark.parametrize(
        ("broken", "repaired"),
        [
            ("risks ‚Äď the impossibility", "risks – the impossibility"),
            ("Ňöwińôtokrzyskie", "Świętokrzyskie"),
            ("itâ€™s", "it’s"),
            ("Today‚Äôs", "Today’s"),
        ],
    )
    def test_mojibake_is_repaired(self, broken: str, repaired: str) -> None:
        assert normalise(broken) == repaired

    @pytest.mark.parametrize(
        "correct",
        [
            "René Clarke Cooper",
            "Today’s «Water Phoenix» — “quoted”",
            "Москва, 5 ноября",
            "naïve café Ä Ü",
            "Świętokrzyskie – ok",
            "Zürich, Kraków, Łódź",
        ],
    )
    def test_correct_text_is_untouched(self, correct: str) -> None:
        assert normalise(correct) == correct

    def test_whitespace_and_nfc(self) -> None:
        assert normalise("  a\u00a0\u00a0b\t\nc  ") == "a b c"
        assert normalise("Cafe\u0301") == "Café"


class TestDates:
    @pytest.mark.parametrize(
        ("line", "iso"),
        [
            ("5 November 202018:48", "2020-11-05T18:48:00+03:00"),
            ("12 October 2023 17:35", "2023-10-12T17:35:00+03:00"),
            ("5 ноября 2020", "2020-11-05"),
            ("27 December 201618:51", "2016-12-27T18:51:00+03:00"),
            ("05.11.2020 18:48", "2020-11-05T18:48:00+03:00"),
            ("Thursday, November 5, 2020", "2020-11-05"),
        ],
    )
    def test_date_lines(self, line: str, iso: str) -> None:
        found = parse_date_line(line)
        assert found is not None and found.iso("+03:00") == iso

    def test_sentences_are_no_date_lines(self) -> None:
        assert (
            parse_date_line("On November 6, Deputy Foreign Minister Andrey Rudenko will meet")
            is None
        )

    def test_impossible_dates_are_refused(self) -> None:
        assert parse_date_line("31 February 2020") is None

    def test_title_dates(self) -> None:
        found = find_trailing_date("Брифинг, Москва, 5 ноября 2020 года")
        assert found is not None and found.iso(None) == "2020-11-05"
        assert find_trailing_date("Statement on the 75th anniversary of the conventions") is None

    def test_time_only(self) -> None:
        assert parse_time_only("15:23") == (15, 23)
        assert parse_time_only("15:23 and more") is None


class TestLabels:
    reader = LabelReader(("Question", "Вопрос", "Q"))

    @pytest.mark.parametrize(
        ("text", "bold", "role", "speaker", "rest"),
        [
            ("Question: Why?", "Question:", "question", None, "Why?"),
            ("Question (TASS): Will it?", "Question (TASS)", "question", "TASS", "Will it?"),
            ("Вопрос: Как?", "", "question", None, "Как?"),
            ("М.В.Захарова: Да.", "", "answer", "М.В.Захарова", "Да."),
            ("Maria Zakharova: It is: so.", "", "answer", "Maria Zakharova", "It is: so."),
            ("MR PRICE: No.", "", "answer", "MR PRICE", "No."),
        ],
    )
    def test_labels(self, text: str, bold: str, role: str, speaker: str | None, rest: str) -> None:
        label = self.reader.read(text, bold)
        assert label is not None
        assert (label.role, label.speaker, label.rest) == (role, speaker, rest)

    @pytest.mark.parametrize(
        "text", ["In this context, we note: nothing.", "the answer: no", "x" * 90 + ": y"]
    )
    def test_sentences_are_not_labels(self, text: str) -> None:
        assert self.reader.read(text, "") is None

    def test_single_plain_word_needs_support(self) -> None:
        label = self.reader.read("Secondly: we act.", "")
        assert label is not None and label.single_word
        bold = self.reader.read("Zakharova: Yes.", "Zakharova:")
        assert bold is not None and not bold.single_word


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.text(max_size=2000), st.binary(max_size=2000)),
    st.sampled_from([None, "https://mid.ru/en/x/", "https://www.globalsecurity.org/a.htm"]),
)
def test_arbitrary_input_raises_only_extract_error(html: str | bytes, url: str | None) -> None:
    with contextlib.suppress(ExtractError):
        parse_page(html, url=url)


TAGS = st.sampled_from(
    ["p", "div", "li", "ol", "ul", "h2", "h3", "b", "strong", "a", "br", "span", "table", "td"]
)
TEXTS = st.sampled_from(
    [
        "Question:",
        "Maria Zakharova:",
        "Table of contents",
        "Answers to media questions:",
        "1. Topic",
        "5 November 2020 18:48",
        "Back to top",
        "text of a paragraph",
        "",
        "\u00a0",
    ]
)


@st.composite
def html_trees(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        if depth < 4 and draw(st.booleans()):
            tag = draw(TAGS)
            attrs = draw(
                st.sampled_from(["", ' href="#1"', ' name="1"', ' id="2"', ' class="title"'])
            )
            parts.append(f"<{tag}{attrs}>{draw(html_trees(depth + 1))}</{tag}>")
        else:
            parts.append(draw(TEXTS))
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_trees())
def test_arbitrary_markup_raises_only_extract_error(body: str) -> None:
    try:
        record = parse_page(
            f"<html><body><h1>Briefing, Moscow, November 5, 2020</h1>{body}</body></html>"
        )
    except ExtractError:
        return
    assert record.title
