"""Test images, made with Pillow in memory."""

import io

from PIL import Image, PngImagePlugin


def png_bytes(size=(40, 30), color=(200, 30, 30), text: dict | None = None) -> bytes:
    image = Image.new("RGB", size, color)
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_bytes(size=(40, 30), color=(20, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=95, exif=Image.Exif())
    return out.getvalue()


def webp_bytes(size=(40, 30), color=(20, 160, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "WEBP")
    return out.getvalue()
