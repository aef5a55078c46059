"""Search snippets cut from a passage's text: which words are marked, which stretch is shown."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.archive.snippets import Term, fold, snippet, term, words

LONG = (
    "For the first time, the meeting will be held in an expanded format with the participation "
    "of the new members that joined the association on January 1. We expect that the ministers "
    "will also hold a session with representatives of developing countries that have expressed "
    "interest in cooperation with BRICS."
)


def terms(*words: str) -> list[Term]:
    found = [term(w.rstrip("*"), prefix=w.endswith("*")) for w in words]
    return [t for t in found if t is not None]


def test_words_compare_as_the_index_compares_them() -> None:
    assert fold("Éléphant") == "elephant" and fold("ПРИВЕТ") == "привет"
    assert term("Grain-deal!") == Term(("grain", "deal"))
    assert term("--") is None


def test_a_short_text_is_shown_whole_with_its_words_marked() -> None:
    assert snippet(["The grain deal, again."], terms("grain")) == "The [grain] deal, again."
    assert snippet(["Café talks"], terms("cafe")) == "[Café] talks"


def test_a_phrase_marks_its_words_only_where_they_follow_each_other() -> None:
    text = "A deal on grain, then the grain deal."
    assert snippet([text], terms("grain deal")) == "A deal on grain, then the [grain] [deal]."


def test_a_prefix_marks_the_words_it_starts() -> None:
    assert snippet(["Sanctions and sanctioned banks"], terms("sanction*")) == (
        "[Sanctions] and [sanctioned] banks"
    )


def test_a_long_text_shows_the_window_with_the_most_and_rarest_terms() -> None:
    cut = snippet([LONG], terms("BRICS", "ministers"))
    assert cut.startswith("…") and cut.endswith("[BRICS].")
    assert len(cut.split()) <= 17
    assert snippet([LONG], terms("ministers")).count("[ministers]") == 1
    assert snippet([LONG], terms("ministers")).startswith("…") and "…" in cut


def test_the_heading_is_shown_when_it_holds_more_of_the_query() -> None:
    heading = "Upcoming meeting of BRICS foreign ministers"
    cut = snippet([LONG, heading], terms("foreign", "ministers"))
    assert cut == "Upcoming meeting of BRICS [foreign] [ministers]"
    assert snippet([LONG, heading], terms("session")).count("[session]") == 1


def test_no_mark_shows_the_start_of_the_text() -> None:
    cut = snippet([LONG], terms("absent"))
    assert cut.startswith("For the first time") and cut.endswith("…") and "[" not in cut


def test_only_latin_letters_lose_their_accents_as_in_the_index() -> None:
    assert fold("Ёлка Йошкар") == "ёлка йошкар"  # Cyrillic letters stay whole
    text = "Это мои книги, а это мой дом."
    assert snippet([text], terms("мой")) == "Это мои книги, а это [мой] дом."


def test_a_long_passage_with_many_marks_gives_one_window() -> None:
    text = " ".join(["the word and the other word"] * 3000)
    cut = snippet([text], terms("word", "other", "the"))
    assert cut.count("[") <= 16 and cut.endswith("…")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="[]"),
            max_size=12,
        ),
        max_size=60,
    ),
    st.data(),
)
def test_any_text_gives_a_snippet_marking_a_word_it_holds(
    pieces: list[str], data: st.DataObject
) -> None:
    text = " ".join(pieces)
    found = words(text)
    if not found:
        assert snippet([text], terms("absent")) == text
        return
    word = data.draw(st.sampled_from(found))
    cut = snippet([text, ""], terms(word))
    marked = re.findall(r"\[([^\[\]]*)\]", cut)
    assert marked and all(fold(m) == fold(word) for m in marked)
