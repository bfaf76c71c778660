"""API plumbing: one error shape ({"code", "detail"}), pagination, throttles, and the token
authentication the study endpoints use."""

from __future__ import annotations

import hashlib

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from cards.db.accounts import token_user
from cards.errors import DomainError
from cards.interop.json_bank import BankError
from cards.permissions import is_instructor

ErrorSerializer = inline_serializer("Error", {"code": serializers.CharField(), "detail": serializers.CharField()})
BankErrorSerializer = inline_serializer(
    "BankError",
    {
        "code": serializers.CharField(help_text="bank_invalid: the file; invalid: the request's fields"),
        "detail": serializers.CharField(),
        "fields": serializers.DictField(child=serializers.CharField(), required=False),
        "problems": inline_serializer(
            "BankProblem",
            {
                "where": serializers.CharField(
                    help_text="file:line (GIFT), file:row N (CSV) or the question uid (JSON)"
                ),
                "message": serializers.CharField(),
                "field": serializers.CharField(),
            },
            many=True,
            required=False,
        ),
    },
)


def require_instructor(request) -> None:
    """403 for a signed-in user who is not an instructor (anonymous users never get here)."""
    if not is_instructor(request.user):
        raise exceptions.PermissionDenied("Instructors only.")


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def paginated(name: str, item) -> serializers.Serializer:
    """The paginated envelope of a list response, for the schema."""
    return inline_serializer(
        f"Paginated{name}",
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
        },
    )


def page_of(request, items, render=None) -> Response:
    """One page of `items` (a list or a QuerySet: only the page is read) in the paginated
    envelope, each item passed through `render` when given."""
    paginator = Pagination()
    page = paginator.paginate_queryset(items, request)
    return paginator.get_paginated_response([render(item) for item in page] if render else page)


def _flatten(detail, prefix="") -> dict[str, str]:
    if isinstance(detail, dict):
        out: dict[str, str] = {}
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list):
        if detail and all(not isinstance(d, (dict, list)) for d in detail):
            return {prefix or "non_field_errors": " ".join(str(d) for d in detail)}
        out = {}
        for i, value in enumerate(detail):
            out.update(_flatten(value, f"{prefix}[{i}]"))
        return out
    return {prefix or "non_field_errors": str(detail)}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, BankError):
        # Every problem of a refused bank file, each where it is (file:line, file:row N, uid).
        problems = [{"where": p.where, "message": p.message, "field": p.field} for p in exc.problems]
        detail = str(exc.problems[0]) if exc.problems else "The file cannot be imported."
        return Response({"code": "bank_invalid", "detail": detail, "problems": problems}, status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "You do not have permission.")
    elif isinstance(exc, ModelValidationError):  # a service's full_clean(): a 400 naming the field, never a 500
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.items()))
        response.data = {"code": "invalid", "detail": f"{first[0]}: {first[1]}", "fields": fields}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"code": "malformed", "detail": str(exc.detail)}
    else:
        code = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        response.data = {"code": code if isinstance(code, str) else "error", "detail": str(getattr(exc, "detail", exc))}
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and "Retry-After" not in response:
        response["Retry-After"] = "60"
    return response


class LoginThrottle(SimpleRateThrottle):
    """Per username and address: a class behind one school network is not throttled as one."""

    scope = "login"

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}  # any JSON may arrive
        username = str(data.get("username", ""))[:150].lower()
        # Hashed: a username may hold characters a cache key must not (spaces, control codes).
        ident = hashlib.sha256(f"{username}\0{self.get_ident(request)}".encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PerUserThrottle(SimpleRateThrottle):
    """Per user, never per address (a class behind one school network is many users)."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnswerThrottle(PerUserThrottle):
    scope = "answer"


class ImportThrottle(PerUserThrottle):
    """An import reads and plans up to 5 MB of questions; so does an export of a large deck."""

    scope = "import"


class TokenAndProfileAuthentication(TokenAuthentication):
    """DRF's token authentication, with the user's profile (their time zone, which every
    study request needs) in the same query: token, user and profile in one."""

    def authenticate_credentials(self, key):
        found = token_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token, user = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (user, token)


STUDY_AUTHENTICATION = [TokenAndProfileAuthentication, SessionAuthentication]
# The schema names these as it names DRF's own classes (the same headers, the same cookie).
STUDY_AUTH_SCHEMA = [{"tokenAuth": []}, {"cookieAuth": []}]
