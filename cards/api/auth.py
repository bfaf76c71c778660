"""API accounts: exchange credentials for a token, revoke it, register a student."""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from cards.api.support import ErrorSerializer, LoginThrottle
from cards.services import accounts as account_services

User = get_user_model()


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    email = serializers.EmailField()
    timezone = serializers.CharField(max_length=64, required=False, default="UTC")

    def validate_username(self, value):
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("A user with that username already exists.")
        return value

    def validate_timezone(self, value):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise serializers.ValidationError("Unknown time zone.") from exc
        return value

    def validate(self, attrs):
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


@extend_schema(
    request=CredentialsSerializer,
    responses={
        200: inline_serializer("TokenOut", {"token": serializers.CharField()}),
        400: ErrorSerializer,
        429: ErrorSerializer,
    },
    auth=[],
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([LoginThrottle])
def auth_token(request):
    """Exchange a username and password for a token (counts toward the login lockout)."""
    data = CredentialsSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    user = authenticate(
        request._request, username=data.validated_data["username"], password=data.validated_data["password"]
    )
    if user is None:
        return Response({"code": "bad_credentials", "detail": "Wrong username or password."}, status=400)
    return Response({"token": account_services.issue_token(user=user).key})


@extend_schema(request=None, responses={204: None, 401: ErrorSerializer})
@api_view(["POST"])
def auth_logout(request):
    """Revoke the token (or end the session)."""
    account_services.revoke_token(user=request.user)
    if request.session.session_key:
        request.session.flush()
    return Response(status=204)


@extend_schema(
    request=RegisterSerializer,
    responses={
        201: inline_serializer("Registered", {"id": serializers.IntegerField(), "username": serializers.CharField()}),
        400: ErrorSerializer,
    },
    auth=[],
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([LoginThrottle])
def auth_register(request):
    """Create a student account (same password rules as the sign-up page)."""
    data = RegisterSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    user = account_services.register_student(
        username=v["username"], email=v["email"], password=v["password"], timezone_name=v["timezone"]
    )
    return Response({"id": user.pk, "username": user.username}, status=201)
