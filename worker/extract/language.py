"""The language of a page's text, by the py3langid language-identification library.

py3langid (a maintained port of langid.py) ships its model inside the package: nothing is
downloaded at run time. Limited to the languages the profiles' label tables know, it told 690 of
692 short samples of the fixtures right (40 and 120 characters; the two misses were 40-character
strings of English names) in 80-130 µs a sample; lingua was right on all 692 but took three to
five times as long, more than the rest of the extract on a short page (figures in the README).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# A sentence or two tell the language; the time grows with the length, and on a short page a
# long sample would cost more than the rest of the extract.
LANGUAGE_SAMPLE_CHARS = 80


@lru_cache(maxsize=1)
def _model() -> Any:
    """The whole model, loaded once per process (about 0.3 s and 75 MiB)."""
    # Imported here: it brings NumPy, which a command that never extracts should not pay for.
    from py3langid.langid import (  # type: ignore[import-untyped]
        MODEL_FILE,
        LanguageIdentifier,
    )

    return LanguageIdentifier.from_model_file(MODEL_FILE)


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]) -> Any:
    """An identifier limited to `languages` (those its model knows), or None for fewer than two.

    Each set of languages shares the one model: its own identifier only narrows the model's
    class columns (kilobytes). Loading the model for every set took ~75 MiB a set, which was most
    of the daemon's memory once pages of three or four sites had been parsed.
    """
    from py3langid.langid import LanguageIdentifier

    model = _model()
    known = [code for code in languages if code in model.nb_classes]
    if len(known) < 2:
        return None
    identifier = LanguageIdentifier(
        model.nb_ptc,
        model.nb_pc,
        model.nb_classes,
        model.tk_nextmove,
        model.tk_output,
        tk_row=model.tk_row,
    )
    identifier.set_languages(known)
    return identifier


def identify(sample: str, languages: tuple[str, ...]) -> str | None:
    """The ISO 639-1 code of the sample's language among `languages`, or None when unsure."""
    identifier = _identifier(languages)
    if identifier is None or not sample.strip():
        return None
    code, _ = identifier.classify(sample[:LANGUAGE_SAMPLE_CHARS])
    return str(code) if code in languages else None
