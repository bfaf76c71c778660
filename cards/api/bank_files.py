"""API teaching: import a bank file into a deck (upload -> dry-run preview -> confirm, as the
web's import page) and export a deck in each format the web offers."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, parser_classes, throttle_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from cards.api.support import BankErrorSerializer, ErrorSerializer, ImportThrottle, require_instructor
from cards.downloads import attachment
from cards.permissions import instructor_deck
from cards.services import bank_files, imports


class ImportInSerializer(serializers.Serializer):
    upload = serializers.FileField(
        max_length=255,
        help_text=f"The bank file (.json, .gift, .txt, .csv, or .zip: JSON with images), "
        f"at most {imports.MAX_IMPORT_BYTES:,} bytes.",
    )
    format = serializers.ChoiceField(
        choices=["auto", *imports.FORMATS], default="auto", help_text="auto: from the file name's extension."
    )
    strict = serializers.BooleanField(
        default=False, help_text="Refuse the file if any question would be skipped (a type we cannot represent)."
    )
    dry_run = serializers.ChoiceField(
        choices=["true", "false"],
        default="true",
        help_text="true (the default): preview only, confirm with POST teach/imports/<id>/confirm/; "
        "false: import at once.",
    )


_UIDS = serializers.ListField(child=serializers.CharField())
_PLAN_FIELDS = {
    "deck": serializers.IntegerField(),
    "name": serializers.CharField(help_text="The uploaded file's name."),
    "created": _UIDS,
    "updated": _UIDS,
    "unchanged": _UIDS,
    "summary": serializers.CharField(),
}
ImportPreviewOut = inline_serializer(
    "ImportPreview",
    {
        "id": serializers.UUIDField(
            allow_null=True, help_text="Confirm the preview with it (null when not a dry run)."
        ),
        "dry_run": serializers.BooleanField(),
        "expires_at": serializers.DateTimeField(allow_null=True),
        "digest": serializers.CharField(help_text="SHA-256 of the file."),
        **_PLAN_FIELDS,
        "warnings": serializers.ListField(
            child=inline_serializer(
                "ImportWarning", {"where": serializers.CharField(), "message": serializers.CharField()}
            ),
            help_text="Questions skipped, each with its file:line.",
        ),
    },
)
ImportResultOut = inline_serializer("ImportResult", _PLAN_FIELDS)


def _plan_out(*, deck_id: int, name: str, plan) -> dict:
    return {
        "deck": deck_id,
        "name": name,
        "created": plan.created,
        "updated": plan.updated,
        "unchanged": plan.unchanged,
        "summary": plan.summary(),
    }


@extend_schema(
    request={"multipart/form-data": ImportInSerializer},
    responses={
        200: ImportPreviewOut,
        201: ImportPreviewOut,
        400: BankErrorSerializer,
        403: ErrorSerializer,
        404: ErrorSerializer,
        429: ErrorSerializer,
    },
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
@throttle_classes([ImportThrottle])
def teach_deck_import(request, deck_id: int):
    """Upload a JSON, GIFT or CSV bank file into one of your decks. A dry run (the default)
    writes nothing to the deck and answers what would be created, updated and left alone,
    and an id to confirm it with; a file that cannot be imported is 400 `bank_invalid`
    with every problem at its file:line (GIFT), file:row N (CSV) or question uid (JSON)."""
    require_instructor(request)
    deck = instructor_deck(request.user, deck_id)
    data = ImportInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    upload = data.validated_data["upload"]
    dry_run = data.validated_data["dry_run"] == "true"
    write = bank_files.import_preview_create if dry_run else bank_files.import_now
    preview = write(
        user=request.user,
        deck=deck,
        name=upload.name,
        content=upload.read(imports.MAX_IMPORT_BYTES + 1),
        fmt=data.validated_data["format"],
        strict=data.validated_data["strict"],
    )
    body = {
        "id": preview.pending.pk if preview.pending else None,
        "dry_run": dry_run,
        "expires_at": preview.expires_at,
        "digest": preview.digest,
        **_plan_out(deck_id=deck.pk, name=upload.name, plan=preview.plan),
        "warnings": [{"where": w.where, "message": w.message} for w in preview.warnings],
    }
    return Response(body, status=200 if dry_run else 201)


@extend_schema(
    request=None,
    responses={200: ImportResultOut, 400: BankErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["POST"])
def teach_import_confirm(request, import_id):
    """Import a previewed file, all or nothing, read against the deck as it is now. Once it
    imports the preview is used up; one that is unknown, someone else's, already confirmed or
    older than an hour is 404 `import_expired`."""
    require_instructor(request)
    pending = bank_files.pending_import_for(user=request.user, pending_id=import_id)
    instructor_deck(request.user, pending.deck_id)  # still yours
    report = bank_files.import_preview_confirm(pending=pending, user=request.user)
    return Response(_plan_out(deck_id=pending.deck_id, name=pending.name, plan=report))


@extend_schema(
    parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(imports.EXPORT_FORMATS))],
    responses={
        (200, "application/json"): OpenApiTypes.OBJECT,
        (200, "text/plain"): OpenApiTypes.STR,
        (200, "text/csv"): OpenApiTypes.STR,
        (200, "application/octet-stream"): OpenApiTypes.BINARY,
        (200, "application/zip"): OpenApiTypes.BINARY,
        403: ErrorSerializer,
        404: ErrorSerializer,
        429: ErrorSerializer,
    },
)
@api_view(["GET"])
@throttle_classes([ImportThrottle])
def teach_deck_export(request, deck_id: int, fmt: str):
    """Download one of your decks: json (the quizapp bank, lossless), zip (the JSON bank with
    its images), gift (Moodle), csv, or apkg (an Anki package, images as media), as the web's
    export. Images a format cannot carry are named in the X-Export-Warnings header."""
    require_instructor(request)
    deck = instructor_deck(request.user, deck_id)
    download = bank_files.deck_download(deck=deck, fmt=fmt)
    return attachment(
        download.content, content_type=download.content_type, filename=download.filename, warnings=download.warnings
    )
