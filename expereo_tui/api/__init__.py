"""The expereoOne APIs: V2 (REST, v2.py) and V1 (GraphQL, v1.py) on one transport (http.py:
httpx, OAuth2 auth, rate limiting, retries, errors), and their models. No Textual here."""

import sys

# httpx's package imports its command-line client (httpx._main: click, pygments and rich's
# syntax highlighting) when it is imported; the app never runs it, and it cost every process
# 3.4 MB of RSS and ~20 ms (issue 30). A None in sys.modules makes that import fail, and httpx
# takes its own ImportError branch (a stub ``httpx.main``). Here, because every import of
# httpx in the app goes through this package first.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
