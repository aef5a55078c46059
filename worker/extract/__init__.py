"""Stage 3, extract: a `Page` and its site profile in, a `Record` out. Pure: no I/O, no clock.

1. Refuse what is no briefing: an empty body, an anti-bot challenge (`refusals`).
2. Flatten the content root into text blocks, one per paragraph-like run (`blocks.flatten`),
   skipping the profile's and the generic boilerplate elements (`boilerplate`); boilerplate
   lines ("Back to top") become breaks; text is normalised and mojibake repaired.
3. Head: title, date line (above or below the title), document number, language (`header`).
4. Refuse error pages served with 200 (a "Page not found" title, no body).
5. TOC: the page's own table of contents by its shape, with its statements/answers parts (`toc`).
6. Body: sections by headings and anchors, answers as question/answer turns (`body`).
7. Record: speaker from the answer labels or the title, place from the title, warnings.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from worker.errors import ExtractError
from worker.extract import refusals
from worker.extract.blocks import content_root, flatten
from worker.extract.body import BODY_ENDS_EARLY, build_body
from worker.extract.boilerplate import drop_rules
from worker.extract.header import detect_language, find_title, read_head, title_parts
from worker.extract.markers import markers_for
from worker.extract.toc import find_toc
from worker.page import Page
from worker.profiles import SiteProfile
from worker.record import Record, TocEntry

PARSER_VERSION = "1"


def extract(page: Page, profile: SiteProfile) -> Record:
    """The record of one page, or `ExtractError` when the page is no briefing."""
    source = page.url
    refusals.refuse_empty(page.text, source)
    tree = LexborHTMLParser(page.text)
    if tree.body is None:
        raise ExtractError("empty", source, "the page has no body")
    html_lang = tree.root.attributes.get("lang") if tree.root is not None else None
    root = content_root(tree, profile)
    if root is None:
        raise ExtractError("empty", source, "the page has no body")
    rules = drop_rules(profile.drop)
    blocks = flatten(root, profile, rules)
    refusals.refuse_challenge(blocks, tree.body, profile, source)
    if not blocks:
        raise ExtractError("empty", source, "no text after removing boilerplate")
    title = refusals.refuse_not_found(
        find_title(tree, root, blocks, profile, rules), page.status, profile, source
    )
    head = read_head(blocks, title, profile, root)
    # The parsed page is done with: freeing it now lets what follows reuse its memory.
    del tree, root
    markers = markers_for(profile)
    start = head.last_index + 1
    toc = find_toc(blocks, start, markers)
    body_blocks = blocks[start : toc.first] + blocks[toc.end :]
    refusals.refuse_thin(body_blocks, source)
    body = build_body(body_blocks, toc.items, markers)
    title_speaker, place = title_parts(title, head.title_date)
    sample = title + " ".join(b.text for b in body_blocks[:5])
    return Record(
        url=page.url,
        site=profile.name,
        language=detect_language(html_lang, sample, profile),
        title=title,
        published=head.published,
        document_number=head.document_number,
        speaker=body.speaker or title_speaker,
        place=place,
        toc=tuple(TocEntry(item.part, item.heading) for item in toc.items),
        sections=body.sections,
        warnings=body.warnings,
    )


def looks_truncated(page: Page, record: Record) -> bool:
    """Whether the page's HTML stops part-way: its text ends before its own TOC does and the
    document never closes. `parse` shows such a page as it is; the archive refuses to make a
    version of it, since the full page would then look like an edit."""
    ends_early = any(warning.startswith(BODY_ENDS_EARLY) for warning in record.warnings)
    return ends_early and "</html>" not in page.text[-4096:].lower()
