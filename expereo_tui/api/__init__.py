"""The expereoOne APIs: V2 (REST, v2.py) and V1 (GraphQL, v1.py) on one transport (http.py:
httpx, OAuth2 auth, rate limiting, retries, errors), and their models. No Textual here."""
