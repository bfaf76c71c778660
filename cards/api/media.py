"""API teaching: upload an image (PNG, JPEG or WebP) to place in prompts, choices and
explanations. The web editor's image button posts here too (its session, with the CSRF
header)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import api_view, parser_classes, throttle_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from cards.api.support import ErrorSerializer, PerUserThrottle, require_instructor
from cards.services import media

FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the alt text around the image's bytes


class UploadThrottle(PerUserThrottle):
    scope = "upload"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "image_too_large"
    default_detail = f"The upload is larger than an image may be ({media.MAX_IMAGE_BYTES:,} bytes)."


class CappedMultiPartParser(MultiPartParser):
    """Refuses a request whose body is larger than an image may be before reading any of it
    (a 50 MB upload is not spooled to disk to be refused afterwards)."""

    def parse(self, stream, media_type=None, parser_context=None):
        meta = parser_context["request"].META
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > media.MAX_IMAGE_BYTES + FORM_OVERHEAD:
            raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)


class ImageInSerializer(serializers.Serializer):
    image = serializers.FileField(
        max_length=255, help_text=f"A PNG, JPEG or WebP image, at most {media.MAX_IMAGE_BYTES:,} bytes."
    )
    alt = serializers.CharField(
        max_length=media.MAX_ALT_CHARS,
        help_text="Required: what the image shows, for students who cannot see it.",
    )


ImageOut = inline_serializer(
    "UploadedImage",
    {
        "name": serializers.CharField(help_text="The stored image's name (SHA-256 of its bytes)."),
        "url": serializers.CharField(),
        "markdown": serializers.CharField(
            help_text="![alt](img:<name>): paste it into a prompt, choice or explanation."
        ),
        "content_type": serializers.CharField(),
        "width": serializers.IntegerField(),
        "height": serializers.IntegerField(),
        "size": serializers.IntegerField(),
    },
)


@extend_schema(
    request={"multipart/form-data": ImageInSerializer},
    responses={201: ImageOut, 400: ErrorSerializer, 403: ErrorSerializer, 413: ErrorSerializer, 429: ErrorSerializer},
)
@api_view(["POST"])
@parser_classes([CappedMultiPartParser])
@throttle_classes([UploadThrottle])
def teach_images(request):
    """Upload an image with its alt text. It is re-encoded (nothing but its pixels is kept:
    no metadata, nothing appended); SVG is refused, and so are files over the size or pixel
    limits (400 with `field`, or 413 for a request too large to read)."""
    require_instructor(request)
    data = ImageInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    uploaded = media.upload_image(
        upload=data.validated_data["image"], alt=data.validated_data["alt"], user=request.user
    )
    image = uploaded.image
    body = {
        "name": image.name,
        "url": media.image_url(image.name),
        "markdown": uploaded.markdown,
        "content_type": image.content_type,
        "width": image.width,
        "height": image.height,
        "size": image.size,
    }
    return Response(body, status=201)
