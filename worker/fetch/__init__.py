"""Stage 2, fetch: one polite, bounded HTTP GET → a `Page`, or a `FetchError` saying why not.

`Fetcher.fetch(url)` guarantees:

1. Hosts: the URL and every redirect hop (at most 10; 301, 302, 303, 307, 308) must be http(s)
   on one of `allowed_hosts` (exact, case-insensitive; `www.` only if listed), else
   `HostNotAllowed`; nothing outside them is requested.
2. robots.txt: read once per origin and cached (24 h), checked for every hop; a disallowed URL
   raises `RobotsDisallowed`. 404/410 and other 4xx mean no rules; 401/403 disallow all; 5xx,
   429, a network failure or a blown deadline make the host disallowed for now (asked again
   after 10 minutes), so we never crawl a site whose rules we cannot read. `respect_robots = false` skips all of this.
3. Pacing: one request at a time to a host, across threads, and each (robots.txt and retries
   included) starts at least `max(min_interval, Crawl-delay)` after the previous one ended. A Crawl-delay over `max_crawl_delay`
   raises `RobotsDisallowed` instead: the host is left alone rather than waited on for hours.
4. Conditional GET: `etag`/`last_modified` are sent as If-None-Match/If-Modified-Since; a 304
   comes back as a `Page` with status 304 and an empty body.
5. Retries: connect errors, timeouts, broken connections, 5xx and 429 are retried at most
   `retries` times with exponential backoff and jitter, or after exactly the server's
   `Retry-After` (seconds or HTTP-date) when given; a `Retry-After` above `max_retry_after` fails
   at once. When retries run out: `HTTPStatusError` for a status, `TransportError` otherwise.
6. Bounds: each attempt has a total deadline (`DeadlineExceeded`), also against slow-drip
   servers; the decoded body, and any Content-Length, is capped at `max_bytes`
   (`ResponseTooLarge`). Only gzip and deflate are asked for, and we decode them ourselves from
   the raw stream, at most 64 KiB per step, so a compression bomb is stopped at the cap instead
   of inflating in memory first; any other Content-Encoding (br, zstd, stacked codings) and a
   corrupt or cut-short compressed body are a `TransportError`.
7. Content: a declared Content-Type other than text/html or application/xhtml+xml (text/plain
   included) raises `NotHTML` before the body is read; a missing one is accepted. The body is
   decoded by `worker.page.decode_html` into `Page.text`.
8. Statuses: a final 2xx or 304 is a `Page`; anything else (404 and 410 included) raises
   `HTTPStatusError` with `.status`. Every error is one line naming the requested URL, plus the
   hop's URL when a redirect or robots.txt was at fault.
9. Stop: with `Fetcher(..., stop=event)`, setting the event ends any wait (pacing, Crawl-delay,
   backoff, `Retry-After`) at once and the fetch raises `Interrupted`; a request already sent is
   not cut short (its deadline bounds it).
"""

from worker.fetch.fetcher import Fetcher, make_client

__all__ = ["Fetcher", "make_client"]
