"""Unit tests for the rules real pages brought: label words per language, names from titles,
dates without a year or in Chinese, transcripts and their furniture, hidden chrome."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker import parse_page
from worker.api import shipped_profiles
from worker.extract.dates import find_date, find_month_day, find_title_date, year_from_paths
from worker.extract.language import _identifier, identify
from worker.extract.markers import markers_for
from worker.extract.names import nominative, record_speaker, title_name

GENERIC = shipped_profiles().get("generic")
READER = markers_for(GENERIC).labels


@pytest.mark.parametrize(
    ("text", "role", "speaker", "rest"),
    [
        ("Q: Why?", "question", None, "Why?"),
        ("Q   Jay, why?", "question", None, "Jay, why?"),  # the White House's `Q` and spaces
        ("Follow-up: And then?", "question", None, "And then?"),
        ("A: Because.", "answer", None, "Because."),
        ("MR. EARNEST: Good afternoon.", "answer", "MR. EARNEST", "Good afternoon."),
        ("MS. PSAKI: Hi.", "answer", "MS. PSAKI", "Hi."),
        ("Вопрос: Как?", "question", None, "Как?"),
        ("Ответ: Так.", "answer", None, "Так."),
        ("С.В.Лавров: Да.", "answer", "С.В.Лавров", "Да."),
        ("问：有何评论？", "question", None, "有何评论？"),
        ("答：我们注意到。", "answer", None, "我们注意到。"),
        ("Pregunta: ¿Por qué?", "question", None, "¿Por qué?"),
        ("Frage: Warum?", "question", None, "Warum?"),
        ("Réponse: Oui.", "answer", None, "Oui."),
        ("Pergunta: Porquê?", "question", None, "Porquê?"),
    ],
)
def test_label_words_per_language(text: str, role: str, speaker: str | None, rest: str) -> None:
    label = READER.read(text, "")
    assert label is not None
    assert (label.role, label.speaker, label.rest) == (role, speaker, rest)


def test_only_listed_words_make_a_label_without_colon() -> None:
    assert READER.read("A great deal of work remains.", "") is None
    assert READER.read("Quite so.", "") is None


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Press Briefing by Press Secretary Jay Carney, 9/14/2012", "Jay Carney"),
        ("Press Gaggle by Press Secretary Josh Earnest En Route Atlanta, Georgia", "Josh Earnest"),
        (
            "Foreign Ministry Spokesperson Geng Shuang's Regular Press Conference on June 1, 2018",
            "Geng Shuang",
        ),
        ("2016年11月15日外交部发言人耿爽主持例行记者会", "耿爽"),
        ("Ответы Министра иностранных дел С.В.Лаврова на вопросы СМИ, Москва", "С.В.Лавров"),
        ("Брифинг официального представителя МИД России М.В.Захаровой, Москва", "М.В.Захарова"),
        ("Интервью заместителя Министра С.А.Рябкова газете", "С.А.Рябков"),
        ("С.В.Лавров: мы готовы к диалогу", "С.В.Лавров"),
        ("Statement on the anniversary of the conventions", None),
    ],
)
def test_title_names_without_job_titles_in_the_nominative(title: str, name: str | None) -> None:
    assert title_name(title, GENERIC) == name


def test_nominative_endings() -> None:
    assert nominative("С.В.Лаврова", "ru") == "С.В.Лавров"
    assert nominative("М.В.Захаровой", "ru") == "М.В.Захарова"
    assert nominative("В.А.Небензи", "ru") == "В.А.Небензи"
    assert nominative("Jay Carney", "en") == "Jay Carney"


def test_record_speaker_takes_the_full_name_for_an_honorific_label() -> None:
    assert record_speaker("MR. CARNEY", "Jay Carney", GENERIC) == "Jay Carney"
    assert record_speaker("С.В.Лавров", "С.В.Лавров", GENERIC) == "С.В.Лавров"
    assert record_speaker("Zhao Lijian", "Zhao Lijian", GENERIC) == "Zhao Lijian"
    assert record_speaker(None, "Geng Shuang", GENERIC) == "Geng Shuang"
    assert record_speaker("MR. EARNEST", "Jay Carney", GENERIC) == "MR. EARNEST"


def test_dates_glued_chinese_and_leading() -> None:
    glued = find_date("June12, 2018")
    assert glued is not None and glued.iso(None) == "2018-06-12"
    chinese = find_date("2016年11月15日")
    assert chinese is not None and chinese.iso(None) == "2016-11-15"
    leading = find_title_date("2016年11月15日外交部发言人耿爽主持例行记者会")
    assert leading is not None and leading.iso(None) == "2016-11-15"


def test_a_title_without_year_takes_it_from_the_page_never_from_the_clock() -> None:
    assert find_month_day("Regular Press Conference on September 10") == (9, 10)
    assert find_month_day("Regular Press Conference on September 10, 2018") is None
    markup = '<img src="./W020180910808183162908.jpg"> <a href="/2017/01/02/">'
    assert year_from_paths(9, 10, ("https://x.example/t1.shtml", markup)) == 2018
    assert year_from_paths(1, 2, ("", markup)) == 2017
    assert year_from_paths(3, 4, ("", markup)) is None


def test_page_without_any_year_has_no_date() -> None:
    html = (
        "<html><body><article><h1>Spokesperson Wang Wei's Press Conference on March 4</h1>"
        "<p>Q: What is your comment on the talks that were held this week in the capital?</p>"
        "<p>A: We welcome them and hope that they will continue in the same spirit.</p>"
        "</article></body></html>"
    )
    assert parse_page(html).published is None


def test_language_is_identified_from_short_text() -> None:
    languages = GENERIC.languages
    assert identify("Ответы на вопросы СМИ", languages) == "ru"
    assert identify("Answers to media questions", languages) == "en"
    assert identify("外交部发言人主持例行记者会", languages) == "zh"


def test_each_set_of_languages_narrows_the_one_model() -> None:
    # A model per set of languages took ~75 MiB each: the daemon's memory grew with the sites.
    english_russian, english_chinese = _identifier(("en", "ru")), _identifier(("en", "zh"))
    assert english_russian.tk_output is english_chinese.tk_output
    assert english_russian.tk_nextmove is english_chinese.tk_nextmove
    assert identify("Ответы на вопросы СМИ", ("en", "ru")) == "ru"
    assert identify("外交部发言人主持例行记者会", ("en", "zh")) == "zh"


def _page(body: str) -> str:
    return f"<html lang='en'><body><article><h1>Press Briefing by Press Secretary Dana Roe, May 1, 2015</h1>{body}</article></body></html>"


def test_a_labelled_transcript_is_opening_remarks_and_one_answers_section() -> None:
    record = parse_page(
        _page(
            "<p>Briefing Room</p><p>1:05 P.M. EDT</p>"
            "<p>MS. ROE: Good afternoon, everybody, and welcome to the briefing today.</p>"
            "<p>Q&nbsp;&nbsp; Dana, what about the bill that was passed this morning?</p>"
            "<p>MS. ROE: We welcome it.</p><p>It is a good bill.</p>"
            "<p>Q&nbsp;&nbsp; And the vote?</p><p>MS. ROE: We will see.</p>"
            "<p>END 1:35 P.M. EDT</p>"
        )
    )
    assert record.place == "Briefing Room"
    assert record.speaker == "Dana Roe"
    statements, answers = record.sections
    assert statements.paragraphs == (
        "Good afternoon, everybody, and welcome to the briefing today.",
    )
    assert [(t.role, t.speaker, t.text) for t in answers.turns] == [
        ("question", None, "Dana, what about the bill that was passed this morning?"),
        ("answer", "MS. ROE", "We welcome it.\n\nIt is a good bill."),
        ("question", None, "And the vote?"),
        ("answer", "MS. ROE", "We will see."),
    ]


def test_outlets_as_labels_are_questions() -> None:
    record = parse_page(
        _page(
            "<p><b>Reuters: What happened on the border last night, and who is in charge?</b></p>"
            "<p>Dana Roe: The situation is stable.</p>"
            "<p><b>AFP: Will there be talks?</b></p><p>Dana Roe: Yes.</p>"
        )
    )
    turns = record.sections[-1].turns
    assert [(t.role, t.speaker) for t in turns] == [
        ("question", "Reuters"),
        ("answer", "Dana Roe"),
        ("question", "AFP"),
        ("answer", "Dana Roe"),
    ]


def test_a_bold_label_after_a_single_line_break_opens_a_turn() -> None:
    record = parse_page(
        _page(
            "<p>Good afternoon. Today the minister met his counterpart in the capital.</p>"
            "<p><b>Question:</b> What about the Arctic?<br>"
            "<b>Dana Roe:</b> The Arctic is cold.<br>It is also far.</p>"
            "<p><b>Question</b>: And the weather?<br>\n<strong>Dana Roe</strong>: Fine.</p>"
            "<p><b>Question:</b> And then?<br><b>Important</b> to ask twice.</p>"
            "<p><b>Dana Roe:</b> We will see.</p>"
        )
    )
    turns = [t for s in record.sections if s.part == "answers" for t in s.turns]
    assert [(t.role, t.speaker, t.text) for t in turns] == [
        ("question", None, "What about the Arctic?"),
        ("answer", "Dana Roe", "The Arctic is cold. It is also far."),
        ("question", None, "And the weather?"),
        ("answer", "Dana Roe", "Fine."),
        ("question", None, "And then? Important to ask twice."),  # bold, but no label
        ("answer", "Dana Roe", "We will see."),
    ]


def test_hidden_elements_and_footers_are_chrome() -> None:
    record = parse_page(
        _page(
            "<p>The ministry published the following statement on the talks held in the capital this week.</p>"
            "<div style='display: none'>Related News: nothing here</div>"
            "<p>Suggest to a friend</p><p>Copyright©1998-2014, Ministry of Foreign Affairs</p>"
        )
    )
    assert [p for s in record.sections for p in s.paragraphs] == [
        "The ministry published the following statement on the talks held in the capital this week."
    ]


def test_a_question_in_two_bold_paragraphs_is_one_turn() -> None:
    record = parse_page(
        _page(
            "<p><b>Q: The talks resumed this week after a long pause.</b></p>"
            "<p><b>What is your comment on the outcome they reached?</b></p>"
            "<p>A: We welcome the outcome and hope the talks will go on.</p>"
            "<p><b>追问：还有补充吗？</b></p><p>答：没有。</p>"
        )
    )
    turns = record.sections[-1].turns
    assert [(t.role, t.text) for t in turns] == [
        (
            "question",
            "The talks resumed this week after a long pause.\n\n"
            "What is your comment on the outcome they reached?",
        ),
        ("answer", "We welcome the outcome and hope the talks will go on."),
        ("question", "还有补充吗？"),
        ("answer", "没有。"),
    ]


def test_place_and_time_in_one_paragraph() -> None:
    record = parse_page(
        _page(
            "<p>James S. Brady Press Briefing Room<br>12:45 P.M. EST</p>"
            "<p>Q&nbsp;&nbsp; Dana, what about the bill that was passed this morning?</p>"
            "<p>MS. ROE: We welcome it, and we hope the Senate takes it up soon.</p>"
            "<p>END<br>1:35 P.M. EST</p>"
        )
    )
    assert record.place == "James S. Brady Press Briefing Room"
    assert [t.text for t in record.sections[-1].turns][-1] == (
        "We welcome it, and we hope the Senate takes it up soon."
    )


def test_midru_2024_briefing_contents_list_is_found_past_the_media_strip() -> None:
    """The real 2024 page's markup with a briefing's text in its article: the video player and
    photo album no longer stand between the head and the `СОДЕРЖАНИЕ` title."""
    page = (
        Path(__file__).parent
        / "fixtures/real/pages/midru-ru-2024-10-08-lavrov-answers-tv-fragment.html"
    )
    html = page.read_text(encoding="utf-8")
    start = html.index('<div class="text article-content">') + len(
        '<div class="text article-content">'
    )
    end = html.index("</div>", start)
    article = (
        "<p><strong>СОДЕРЖАНИЕ</strong></p>"
        '<p><a href="#1">О предстоящих мероприятиях Министра</a></p>'
        "<p><strong>Из ответов на вопросы СМИ:</strong></p>"
        '<p><a href="#3">О переговорах</a></p>'
        '<p><a name="1"></a><strong>О предстоящих мероприятиях Министра</strong></p>'
        "<p>Министр проведёт переговоры с коллегами в Москве на следующей неделе.</p>"
        "<p><strong>Из ответов на вопросы СМИ:</strong></p>"
        '<p><a name="3"></a><strong>Вопрос (ТАСС):</strong> Будут ли переговоры?</p>'
        "<p><strong>М.В.Захарова:</strong> Посмотрим.</p>"
    )
    record = parse_page(
        html[:start] + article + html[end:], url="https://mid.ru/ru/foreign_policy/news/1/"
    )
    assert [(e.part, e.heading) for e in record.toc] == [
        ("statements", "О предстоящих мероприятиях Министра"),
        ("answers", "О переговорах"),
    ]
    assert [(s.part, s.heading) for s in record.sections] == [
        ("statements", "О предстоящих мероприятиях Министра"),
        ("answers", "О переговорах"),
    ]
    assert record.speaker == "М.В.Захарова"
    assert record.published == "2024-10-08T19:39:00+03:00"
