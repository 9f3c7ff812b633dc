"""Photos are judged by their content and leave no location or camera data behind."""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image

from kandoo.intake.domain.photos import BadPhoto, TooManyPixels, clean, sniff

pillow_heif.register_heif_opener()


def encoded(fmt: str, exif: bool = True) -> bytes:
    image = Image.new("RGB", (40, 30), (30, 90, 200))
    data = Image.Exif()
    if exif:
        data[0x0110] = "KandooCam 3000"
        data[0x8825] = {1: "N", 2: (12.0, 34.0, 5.0), 3: "E", 4: (99.0, 57.0, 27.0)}
    out = io.BytesIO()
    image.save(out, format=fmt, exif=data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "stored_as"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("HEIF", "image/jpeg")],
)
def test_every_accepted_format_is_stored_without_its_exif(fmt: str, stored_as: str) -> None:
    original = encoded(fmt)
    photo = clean(original)
    assert photo.content_type == stored_as
    assert b"KandooCam" not in photo.content
    assert not Image.open(io.BytesIO(photo.content)).getexif()


def test_the_same_photo_gets_the_same_address() -> None:
    original = encoded("JPEG")
    assert clean(original).sha256 == clean(original).sha256


def test_the_type_comes_from_the_content_not_the_name() -> None:
    assert sniff(encoded("PNG")[:32]) == "png"
    assert sniff(encoded("HEIF")[:32]) == "heic"
    assert sniff(b"%PDF-1.7 .........................") is None
    with pytest.raises(BadPhoto):
        clean(b"GIF89a" + b"\0" * 100)


def test_a_truncated_image_is_refused() -> None:
    with pytest.raises(BadPhoto):
        clean(encoded("JPEG")[:60])


def test_a_jpeg_comment_and_xmp_are_dropped_with_the_exif() -> None:
    image = Image.new("RGB", (40, 30), (10, 200, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", comment=b"Somchai's phone, 081-234-5678")
    assert b"Somchai" in out.getvalue()
    stored = clean(out.getvalue())
    assert b"Somchai" not in stored.content
    with Image.open(io.BytesIO(stored.content)) as again:
        assert "comment" not in again.info


def test_a_100_megapixel_png_is_refused_from_its_header_before_it_is_decoded() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 MP in a few KB
    assert len(out.getvalue()) < 2_000_000
    with pytest.raises(TooManyPixels, match="100000000 pixels"):
        clean(out.getvalue())


def test_an_image_just_over_40_megapixels_is_refused_though_pillow_would_only_warn() -> None:
    out = io.BytesIO()
    Image.new("1", (8_000, 5_001)).save(out, format="PNG")
    with pytest.raises(TooManyPixels):
        clean(out.getvalue())
