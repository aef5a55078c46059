"""Page shapes beyond the fixtures: TOC layouts, answers headers, labels, date lines.

Each test builds a small page and checks the part of the record the rule is about, so a failure
names the rule that broke.
"""

from __future__ import annotations

from typing import Any

import pytest

from worker import parse_page

TITLE = "Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, November 5, 2020"
FILLER = "This paragraph carries enough words to count as the body of a real briefing page."


def page(body: str, title: str = TITLE, head: str = "<p>5 November 2020 18:48</p>") -> str:
    return f"<html><body><main><h1>{title}</h1>{head}{body}</main></body></html>"


def parse(html: str, **kwargs: Any) -> dict[str, Any]:
    return parse_page(html, **kwargs).to_dict()


def toc_of(record: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["part"], e["heading"]) for e in record["toc"]]


def headings(record: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(s["part"], s["heading"]) for s in record["sections"]]


BODY = (
    f'<p><a name="1"></a><strong>Alpha topic</strong></p><p>{FILLER}</p>'
    f'<p><a name="2"></a><strong>Beta topic</strong></p><p>{FILLER}</p>'
    "<p><strong>Answers to media questions:</strong></p>"
    '<p><a name="3"></a><strong>Gamma topic</strong></p>'
    "<p><strong>Question:</strong> What about gamma?</p>"
    "<p><strong>Maria Zakharova:</strong> Gamma is fine.</p>"
)
EXPECTED_TOC = [
    ("statements", "Alpha topic"),
    ("statements", "Beta topic"),
    ("answers", "Gamma topic"),
]


@pytest.mark.parametrize(
    "toc",
    [
        # its own heading and two lists
        '<p><strong>Table of contents</strong></p><ol><li><a href="#1">Alpha topic</a></li>'
        '<li><a href="#2">Beta topic</a></li></ol><p><strong>Answers to media questions:</strong></p>'
        '<ol><li><a href="#3">Gamma topic</a></li></ol>',
        # an item of one flat list, numbering continuing
        '<ol><li><a href="#1">Alpha topic</a></li><li><a href="#2">Beta topic</a></li>'
        '<li><a href="#x">Excerpts from answers to media questions:</a></li>'
        '<li><a href="#3">Gamma topic</a></li></ol>',
        # an item followed by a list restarting at 1
        '<h2>Table of Contents</h2><ol><li><a href="#1">Alpha topic</a></li><li><a href="#2">Beta topic</a></li>'
        '<li>Answers to media questions</li></ol><ol><li><a href="#3">Gamma topic</a></li></ol>',
        # a nested list
        '<p>Table of contents:</p><ul><li><a href="#1">Alpha topic</a></li><li><a href="#2">Beta topic</a></li>'
        '<li>From answers to media questions:<ul><li><a href="#3">Gamma topic</a></li></ul></li></ul>',
        # numbered paragraphs with links
        '<h2>Contents</h2><p>1. <a href="#1">Alpha topic</a></p><p>2. <a href="#2">Beta topic</a></p>'
        '<p><b>Excerpts from answers to questions:</b></p><p>1. <a href="#3">Gamma topic</a></p>',
        # Word-style numbering, no links
        "<p><b>Table of contents:</b></p><p>1.\u00a0\u00a0\u00a0\u00a0 Alpha topic</p>"
        "<p>2.\u00a0\u00a0\u00a0 Beta topic</p><p>\u00a0</p><p><b>Answers to media questions</b></p>"
        "<p>1.\u00a0\u00a0\u00a0 Gamma topic</p>",
        # unnumbered plain paragraphs under a title
        "<p><strong>Table of contents</strong></p><p>Alpha topic</p><p>Beta topic</p>"
        "<p><strong>From answers to media questions:</strong></p><p>Gamma topic</p>",
    ],
    ids=["own-heading", "flat-continuing", "restarting", "nested", "numbered-p", "word", "plain"],
)
def test_toc_shapes(toc: str) -> None:
    record = parse(page(toc + BODY))
    assert toc_of(record) == EXPECTED_TOC
    assert headings(record) == EXPECTED_TOC


def test_answers_header_variants() -> None:
    for header in [
        "Excerpts from answers to questions:",
        "From answers to media questions:",
        "Answers to media questions",
        "Ответы на вопросы СМИ:",
        "Из ответов на вопросы СМИ:",
    ]:
        html = page(
            f"<p><b>Alpha topic</b></p><p>{FILLER}</p><p><b>{header}</b></p><p><b>Gamma</b></p>"
            "<p><b>Question:</b> Why?</p><p><b>Maria Zakharova:</b> Because.</p>"
        )
        assert headings(parse(html)) == [("statements", "Alpha topic"), ("answers", "Gamma")], (
            header
        )


def test_topic_that_starts_like_the_header_is_a_statement() -> None:
    html = page(
        "<p><b>Table of contents</b></p><ol><li>Answers to media questions about the summit</li>"
        "<li>Beta topic</li></ol><p><b>Answers to media questions:</b></p><ol><li>Gamma</li></ol>"
        f"<p><b>Answers to media questions about the summit</b></p><p>{FILLER}</p>"
        f"<p><b>Beta topic</b></p><p>{FILLER}</p><p><b>Answers to media questions:</b></p>"
        "<p><b>Gamma</b></p><p><b>Question:</b> Why?</p><p><b>Maria Zakharova:</b> Because.</p>"
    )
    record = parse(html)
    assert toc_of(record)[0] == ("statements", "Answers to media questions about the summit")
    assert headings(record)[0] == ("statements", "Answers to media questions about the summit")


def test_numbering_gaps_and_repeats_are_kept() -> None:
    html = page(
        "<p><b>Table of contents</b></p><p>1. Alpha</p><p>3. Beta</p><p>4. Alpha</p>"
        f"<p><b>Alpha</b></p><p>{FILLER}</p><p><b>Beta</b></p><p>{FILLER}</p><p><b>Alpha</b></p><p>{FILLER}</p>"
    )
    assert [h for _, h in toc_of(parse(html))] == ["Alpha", "Beta", "Alpha"]


def test_numbered_list_opening_the_text_is_not_a_toc() -> None:
    html = page(
        f"<ol><li>First point of the statement.</li><li>Second point of it.</li></ol><p>{FILLER}</p>",
        title="Statement by the Foreign Ministry on the treaty",
    )
    record = parse(html)
    assert record["toc"] == []
    assert record["sections"][0]["paragraphs"][:2] == [
        "First point of the statement.",
        "Second point of it.",
    ]


def test_labels_outlets_and_colons() -> None:
    html = page(
        "<p><b>Answers to media questions:</b></p><p><b>Topic</b></p>"
        "<p><strong>Question (Izvestia)</strong>: Will it happen: yes or no?</p>"
        "<p>And a second paragraph of the question.</p>"
        "<p>Maria Zakharova: It will: soon.</p>"
        "<p><b>Question:</b> A follow-up?</p><p><b>Maria Zakharova:</b> Yes.</p>"
    )
    turns = parse(html)["sections"][-1]["turns"]
    assert turns == [
        {
            "role": "question",
            "speaker": "Izvestia",
            "text": "Will it happen: yes or no?\n\nAnd a second paragraph of the question.",
        },
        {"role": "answer", "speaker": "Maria Zakharova", "text": "It will: soon."},
        {"role": "question", "speaker": None, "text": "A follow-up?"},
        {"role": "answer", "speaker": "Maria Zakharova", "text": "Yes."},
    ]


def test_state_department_style_labels() -> None:
    html = page(
        "<p><b>Answers to media questions:</b></p><p><b>Topic</b></p>"
        "<p>QUESTION: Any comment?</p><p>MR PRICE: None today. We have nothing to announce at this time.</p>",
        title="Department Press Briefing, November 5, 2020",
    )
    record = parse(html)
    assert record["sections"][-1]["turns"] == [
        {"role": "question", "speaker": None, "text": "Any comment?"},
        {
            "role": "answer",
            "speaker": "MR PRICE",
            "text": "None today. We have nothing to announce at this time.",
        },
    ]
    assert record["speaker"] == "MR PRICE"


def test_labels_in_statements_are_text() -> None:
    html = page(
        f"<p><b>Topic</b></p><p>Maria Zakharova: this is quoted in a statement.</p><p>{FILLER}</p>"
    )
    assert (
        parse(html)["sections"][0]["paragraphs"][0]
        == "Maria Zakharova: this is quoted in a statement."
    )


def test_exchanges_without_headings_take_toc_headings_by_position() -> None:
    html = page(
        "<p><b>Table of contents</b></p><ol><li>Alpha</li></ol><p><b>Answers to media questions:</b></p>"
        f"<ol><li>First exchange</li><li>Second exchange</li></ol><p><b>Alpha</b></p><p>{FILLER}</p>"
        "<p><b>Answers to media questions:</b></p>"
        "<p><b>Question:</b> One?</p><p><b>Maria Zakharova:</b> One.</p>"
        "<p><b>Question:</b> Two?</p><p><b>Maria Zakharova:</b> Two.</p>"
    )
    assert headings(parse(html)) == [
        ("statements", "Alpha"),
        ("answers", "First exchange"),
        ("answers", "Second exchange"),
    ]


def test_time_only_date_line_takes_the_title_date() -> None:
    html = page(
        f"<p><b>Topic</b></p><p>{FILLER}</p>",
        head="<div>15:23</div>",
        title="Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, October 20, 2022",
    )
    assert (
        parse(html, url="https://mid.ru/en/foreign_policy/news/1/")["published"]
        == "2022-10-20T15:23:00+03:00"
    )


def test_date_without_site_time_zone_has_no_offset() -> None:
    html = page(f"<p><b>Topic</b></p><p>{FILLER}</p>")
    assert parse(html)["published"] == "2020-11-05T18:48:00"


def test_date_line_above_the_title_and_posting_dates() -> None:
    html = (
        f"<html><body><main><div>Posted on 7 November 2020 09:00</div><div>5 November 2020</div>"
        f"<h1>{TITLE}</h1><p><b>Topic</b></p><p>{FILLER}</p></main></body></html>"
    )
    assert parse(html)["published"] == "2020-11-05"


def test_no_date_line_uses_the_title_date() -> None:
    html = page(
        f"<p><b>Topic</b></p><p>{FILLER}</p>",
        head="<p>Published: Friday, 6 November 2020 12:33</p>",
    )
    assert parse(html)["published"] == "2020-11-05"


def test_title_without_place() -> None:
    record = parse(
        page(
            f"<p>{FILLER}</p>",
            title="Briefing by Foreign Ministry Spokeswoman Maria Zakharova, November 5, 2020",
        )
    )
    assert (record["speaker"], record["place"]) == ("Maria Zakharova", None)


def test_off_site_place() -> None:
    record = parse(
        page(
            f"<p>{FILLER}</p>",
            title="Briefing by Foreign Ministry Spokeswoman Maria Zakharova, St Petersburg, June 16, 2022",
        )
    )
    assert (record["speaker"], record["place"]) == ("Maria Zakharova", "St Petersburg")


def test_liferay_glued_date_and_boilerplate_lines() -> None:
    html = (
        '<html><body><div class="asset-full-content"><div class="date">27 December 2016<span>18:51</span></div>'
        f'<h3 class="asset-title">{TITLE}</h3><p>de-DE1 en-GB1 es-ES1 ru-RU1 fr-FR1</p><p>{FILLER}</p>'
        "</div></body></html>"
    )
    record = parse(
        html,
        url="https://www.mid.ru/en/foreign_policy/news/-/asset_publisher/cKNonkJE02Bw/content/id/2580000",
    )
    assert record["published"] == "2016-12-27T18:51:00+03:00"
    assert record["sections"] == [{"part": "statements", "heading": None, "paragraphs": [FILLER]}]


def test_br_separated_paragraphs_in_a_div() -> None:
    html = page(f"<p><b>Topic</b></p><div>{FILLER}<br>{FILLER} Again.<br><br></div>")
    assert parse(html)["sections"][0]["paragraphs"] == [FILLER, FILLER + " Again."]
