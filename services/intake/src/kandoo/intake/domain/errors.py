"""The one way a use case says no: an HTTP status, a code, a message in the caller's
language, and the fields at fault. Each entrypoint answers it in its own format."""

from __future__ import annotations


class ApiError(Exception):
    """An answer other than success: HTTP status, code, message, fields at fault."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or []
        self.headers = headers
