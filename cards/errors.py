"""Domain errors raised by services, each with a machine-readable code."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field

    def as_dict(self) -> dict:
        data = {"code": self.code, "detail": self.message}
        if self.field:
            data["field"] = self.field
        return data


class NotFound(DomainError):
    code = "not_found"
    status = 404


class AnswerRejected(DomainError):
    """The answer was not recorded: not due, already answered, suspended, over the limit."""

    status = 409


class InvalidInput(DomainError):
    code = "invalid"
    status = 400
