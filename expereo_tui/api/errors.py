"""One exception hierarchy for everything the API can do wrong, each with a message fit for a
NOC engineer (what happened, what to do).  Messages never contain secrets or tokens."""

from __future__ import annotations

from .models import ErrorObject


class ApiError(Exception):
    """Base of every error the client raises."""

    #: transient errors may succeed if tried again later (network, 5xx, 429)
    transient: bool = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class UnauthorizedError(ApiError):
    """401, or the token endpoint refused the credentials."""


class ScopeRefusedError(UnauthorizedError):
    """The token endpoint answered ``invalid_scope``: the key was created without some of the
    scopes the profile asks for.  ``refused`` names them (the ones to remove)."""

    def __init__(self, message: str, *, refused: list[str], status: int = 400) -> None:
        super().__init__(message, status=status)
        self.code = "invalid_scope"
        self.refused = refused


class ForbiddenError(ApiError):
    """403: the credentials lack a scope."""

    def __init__(self, message: str, *, scope: str | None = None, status: int = 403) -> None:
        super().__init__(message, status=status)
        self.scope = scope


class NotFoundError(ApiError):
    """404."""


class ValidationError(ApiError):
    """400/422 with field errors; also raised by client-side validation before sending."""

    def __init__(
        self,
        message: str,
        *,
        errors: list[ErrorObject] | None = None,
        status: int | None = 422,
    ) -> None:
        super().__init__(message, status=status)
        self.errors: list[ErrorObject] = errors or []

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """camelCase field name ('' when not tied to a field) → messages."""
        out: dict[str, list[str]] = {}
        for err in self.errors:
            out.setdefault(err.field or "", []).append(err.detail or err.title or "invalid")
        return out


class RateLimitedError(ApiError):
    """429: over the API's rate budget."""

    transient = True

    def __init__(self, message: str, *, retry_after: float, status: int = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx, or a response we could not understand (malformed JSON)."""

    transient = True


class NetworkError(ApiError):
    """Connection refused/reset, DNS, timeout: the request may or may not have reached the
    server (a write may have been committed)."""

    transient = True
    #: the connection was never made (refused, DNS, connect timeout): nothing reached the
    #: server, and every other request would fail the same way now
    unreachable = False


class PaginationError(ApiError):
    """A list's ``links.next`` could not be followed safely, which ends the walk: ``code`` is
    ``off-origin`` (another scheme/host/port than the base URL: the token would go there),
    ``repeated`` (a page already read in this walk: it would loop) or ``bad-link``."""

    def __init__(self, message: str, *, code: str, path: str, host: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.path = path
        self.host = host
