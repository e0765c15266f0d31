"""Image bytes for upload tests, made with Pillow (no binary fixtures in the tree)."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(
    fmt: str = "PNG",
    size: tuple[int, int] = (8, 6),
    color: tuple[int, int, int] = (200, 30, 60),
    **save: object,
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save)
    return out.getvalue()


def png(size: tuple[int, int] = (8, 6), color: tuple[int, int, int] = (200, 30, 60)) -> bytes:
    return image_bytes("PNG", size, color)


def jpeg_with_exif(size: tuple[int, int] = (40, 20), orientation: int = 6) -> bytes:
    """A JPEG carrying EXIF (camera, GPS-ish text, orientation) and a comment."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0131] = "where-i-live"  # Software (a stand-in for anything personal)
    exif[0x0112] = orientation  # 6: rotate 90° clockwise to display
    return image_bytes("JPEG", size, exif=exif.tobytes(), comment=b"private comment")
