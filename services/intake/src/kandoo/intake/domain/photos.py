"""Photos: the type is read from the content, location and camera data are removed.

Each photo is decoded and encoded again without metadata, so EXIF (GPS position, camera,
owner), JPEG comments, XMP and PNG text never reach storage; one over 40 megapixels is
refused from its header, before it is decoded. HEIC from iPhones is stored as JPEG, which
every browser shows. The stored bytes are addressed by their SHA-256.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

FORMATS = {
    "JPEG": ("jpeg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
MAX_PIXELS = 40_000_000


class BadPhoto(ValueError):
    """Not a JPEG, PNG, WebP or HEIC image, or damaged."""


class TooManyPixels(BadPhoto):
    """More pixels than `MAX_PIXELS`: refused from its header, before it is decoded."""


@dataclass(frozen=True)
class CleanPhoto:
    sha256: str
    content: bytes
    content_type: str


def sniff(head: bytes) -> str | None:
    """The image type by its magic bytes: jpeg, png, webp, heic; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in (
        b"heic",
        b"heix",
        b"hevc",
        b"mif1",
        b"msf1",
        b"heim",
    ):
        return "heic"
    return None


def clean(data: bytes) -> CleanPhoto:
    """Check the content, drop every metadata block, and address the result by SHA-256."""
    kind = sniff(data[:32])
    if kind is None:
        raise BadPhoto("not a JPEG, PNG, WebP or HEIC image")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own check, for what the header hides
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:  # Pillow only warns up to twice
                raise TooManyPixels(f"{image.width}x{image.height} pixels")
            image.load()
            upright = ImageOps.exif_transpose(image)  # keep the orientation the phone meant
            fmt = "JPEG" if kind in ("jpeg", "heic") else image.format or "PNG"
            if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            # Comments, XMP, text chunks: saving writes what `info` holds; only the
            # colour profile stays (it says how the colours look, nothing of a person).
            icc = upright.info.get("icc_profile")
            upright.info = {"icc_profile": icc} if icc else {}
            out = io.BytesIO()
            upright.save(out, format=fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    except Image.DecompressionBombError as exc:
        raise TooManyPixels(str(exc)) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise BadPhoto(f"damaged or unreadable image: {exc}") from exc
    content = out.getvalue()
    return CleanPhoto(hashlib.sha256(content).hexdigest(), content, FORMATS[fmt][1])
