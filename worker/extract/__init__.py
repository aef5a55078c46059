"""Stage 3, extract: a `Page` and its site profile in, a `Record` out. Pure: no I/O, no clock.

1. Refuse what is no briefing: an empty body, an anti-bot challenge (`refusals`).
2. Flatten the content root into text blocks, one per paragraph-like run (`blocks.flatten`),
   skipping the profile's and the generic boilerplate elements (`boilerplate`); boilerplate
   lines ("Back to top") become breaks; text is normalised and mojibake repaired.
3. Head: title, date line (above or below the title), document number, language (`header`).
4. Refuse error pages served with 200 (a "Page not found" title, no body).
5. TOC: the page's own table of contents by its shape, with its statements/answers parts (`toc`).
6. Body: sections by headings and anchors, answers as question/answer turns (`body`).
   A labelled transcript without TOC, header or headings (`Q:`/`A:`, `MR. CARNEY:`, outlets) is
   opening remarks and one answers section of turns (`transcript`); its place and time lines and
   `END` line are not text.
7. Record: speaker from the answer labels or the title (`names`), place from the place line or
   the title, language from the text (`language`), warnings.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from worker.errors import ExtractError
from worker.extract import limits, refusals
from worker.extract.blocks import BREAK, Block, content_root, flatten
from worker.extract.body import BODY_ENDS_EARLY, Body, build_body, first_labels
from worker.extract.boilerplate import drop_rules
from worker.extract.header import detect_language, find_title, read_head, title_place
from worker.extract.language import LANGUAGE_SAMPLE_CHARS
from worker.extract.markers import Markers, markers_for
from worker.extract.names import record_speaker, title_name
from worker.extract.toc import find_toc
from worker.extract.transcript import Transcript, read_transcript, strip_furniture
from worker.page import Page
from worker.profiles import SiteProfile
from worker.record import Record, TocEntry

PARSER_VERSION = "1"


def extract(page: Page, profile: SiteProfile) -> Record:
    """The record of one page, or `ExtractError` when the page is no briefing."""
    source = page.url
    refusals.refuse_empty(page.text, source)
    started = limits.check_size(page.text, source)  # bounded work: see `limits`
    tree = LexborHTMLParser(page.text)
    if tree.body is None:
        raise ExtractError("empty", source, "the page has no body")
    html_lang = tree.root.attributes.get("lang") if tree.root is not None else None
    root = content_root(tree, profile)
    if root is None:
        raise ExtractError("empty", source, "the page has no body")
    rules = drop_rules(profile.drop)
    blocks = flatten(root, profile, rules)
    limits.check_time(started, source)
    refusals.refuse_challenge(blocks, tree.body, profile, source)
    refusals.refuse_listing(blocks, source)
    if not blocks:
        raise ExtractError("empty", source, "no text after removing boilerplate")
    title = refusals.refuse_not_found(
        find_title(tree, root, blocks, profile, rules), page.status, profile, source
    )
    head = read_head(blocks, title, profile, root, (page.url or "", page.text))
    # The parsed page is done with: freeing it now lets what follows reuse its memory.
    del tree, root
    markers = markers_for(profile)
    start = head.last_index + 1
    toc = find_toc(blocks, start, markers)
    body_blocks = blocks[start : toc.first] + blocks[toc.end :]
    refusals.refuse_thin(body_blocks, source)
    body_blocks, place_line = strip_furniture(body_blocks)
    named_in_title = title_name(title, profile, head.title_date)
    labels = first_labels(body_blocks, markers)
    body = build_body(body_blocks, toc.items, markers, labels)
    # A page the general rules found answers in is no bare transcript: only the others are read
    # again as one (most briefings are spared the second reading of their labels).
    if not toc.items and not any(section.part == "answers" for section in body.sections):
        transcript = read_transcript(body_blocks, labels, markers, named_in_title)
        if transcript is not None:
            body = _transcript_body(transcript, markers)
    return Record(
        url=page.url,
        site=profile.name,
        language=detect_language(html_lang, _language_sample(body_blocks, title), profile),
        title=title,
        published=head.published,
        document_number=head.document_number,
        speaker=record_speaker(body.speaker, named_in_title, profile),
        place=place_line or title_place(title, head.title_date),
        toc=tuple(TocEntry(item.part, item.heading) for item in toc.items),
        sections=body.sections,
        warnings=body.warnings,
    )


def _language_sample(blocks: list[Block], title: str) -> str:
    """The body's first sentences (titles are full of names), enough to tell the language by."""
    texts = []
    length = 0
    for block in blocks:
        if block.tag != BREAK:
            texts.append(block.text)
            length += len(block.text)
            if length >= LANGUAGE_SAMPLE_CHARS:
                break
    return " ".join(texts)[:LANGUAGE_SAMPLE_CHARS] or title


def _transcript_body(transcript: Transcript, markers: Markers) -> Body:
    """The opening remarks, read as any statements part, and the transcript's answers section."""
    opening = build_body(transcript.opening, (), markers)
    return Body(opening.sections + transcript.sections, transcript.speaker, opening.warnings)


def looks_truncated(page: Page, record: Record) -> bool:
    """Whether the page's HTML stops part-way: its text ends before its own TOC does and the
    document never closes. `parse` shows such a page as it is; the archive refuses to make a
    version of it, since the full page would then look like an edit."""
    ends_early = any(warning.startswith(BODY_ENDS_EARLY) for warning in record.warnings)
    return ends_early and "</html>" not in page.text[-4096:].lower()
