"""The briefing archive worker: discover, fetch, extract and store government briefings.

`from worker import parse_page` gives other programs the extract stage on its own.
"""

from worker.api import parse_page
from worker.record import Record, Section, TocEntry, Turn

__all__ = ["Record", "Section", "TocEntry", "Turn", "parse_page"]
__version__ = "0.1.0"
