"""Image handling with Pillow: verify, strip metadata, thumbnail, avatar crop.

CPU-bound and blocking: callers run these in a worker thread. Every decode is bounded:
the pixel count is checked from the header before any pixel is decoded, so a tiny file that
claims to be 100 000 × 100 000 pixels (a decompression bomb) is refused cheaply.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

# 50 megapixels: any camera photo, far below what would exhaust memory (≈ 200 MB RGBA).
MAX_PIXELS = 50_000_000
THUMB_SIZE = 360
PREVIEW_SIZE = 400  # a link preview's image (``make_preview_image``)
AVATAR_SIZE = 256
# Formats we show inline (and so serve with an image type): what every browser decodes.
INLINE = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


class NotAnImage(Exception):
    """Not a (supported, sane) image: the caller stores it as a plain file or refuses it."""


@dataclass(frozen=True, slots=True)
class Processed:
    data: bytes  # re-encoded, no EXIF/XMP/comments, orientation applied
    content_type: str
    width: int
    height: int
    thumbnail: bytes | None  # None when the original is small enough, or animated


def _open(path: Path | io.BytesIO) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns (and in tests, errors) past its own limit: both mean "no".
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(path)
            if probe.format not in INLINE:
                raise NotAnImage(f"unsupported image format {probe.format}")
            if probe.width * probe.height > MAX_PIXELS or min(probe.size) < 1:
                raise NotAnImage("image dimensions out of range")
            probe.verify()  # structure and checksums, without decoding pixels
            image = Image.open(path)  # verify() leaves the image unusable: reopen
            image.load()
            return image
    except NotAnImage:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ) as exc:
        raise NotAnImage(str(exc) or type(exc).__name__) from exc


def _animated(image: Image.Image) -> bool:
    return bool(getattr(image, "is_animated", False))


# What a re-encode may carry over from the original's info: how to draw it, nothing about
# who, where or with what it was taken (EXIF, XMP, comments, text chunks are dropped).
_KEEP_INFO = frozenset({"icc_profile", "transparency", "duration", "loop", "background"})


def _encode(image: Image.Image, fmt: str, **extra: object) -> bytes:
    # Some encoders fall back to ``image.info`` (JPEG and GIF comments, WebP XMP).
    for key in [k for k in image.info if k not in _KEEP_INFO]:
        del image.info[key]
    out = io.BytesIO()
    params: dict[str, object] = dict(extra)
    if fmt == "JPEG":
        params.setdefault("quality", 90)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
    elif fmt == "WEBP":
        params.setdefault("quality", 85)
    icc = image.info.get("icc_profile")
    if icc and fmt in ("JPEG", "PNG", "WEBP"):
        params["icc_profile"] = icc  # colour, not metadata: keep it
    image.save(out, format=fmt, **params)
    return out.getvalue()


def _thumbnail(image: Image.Image, size: int = THUMB_SIZE) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    if thumb.mode not in ("RGB", "RGBA"):
        thumb = thumb.convert(
            "RGBA" if "A" in thumb.getbands() or "transparency" in thumb.info else "RGB"
        )
    return _encode(thumb, "WEBP")


def process_upload(path: Path) -> Processed:
    """Verify an uploaded image and re-encode it without metadata. Raises NotAnImage."""
    image = _open(path)
    fmt = str(image.format)
    try:
        if _animated(image):
            # Keep every frame; orientation tags on animations are vanishingly rare.
            data = _encode(image, fmt, save_all=True)
            return Processed(data, INLINE[fmt], image.width, image.height, None)
        upright = ImageOps.exif_transpose(image)
        data = _encode(upright, fmt)
        small = upright.width <= THUMB_SIZE and upright.height <= THUMB_SIZE
        thumb = None if small else _thumbnail(upright)
        return Processed(data, INLINE[fmt], upright.width, upright.height, thumb)
    except (OSError, ValueError) as exc:  # a decoder error surfacing late
        raise NotAnImage(str(exc)) from exc
    finally:
        image.close()


def make_avatar(path: Path) -> bytes:
    """Centre-cropped square, ``AVATAR_SIZE`` px, re-encoded as WebP (no metadata)."""
    image = _open(path)
    try:
        frame = ImageOps.exif_transpose(image)
        if frame.mode not in ("RGB", "RGBA"):
            frame = frame.convert("RGBA")
        square = ImageOps.fit(frame, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
        return _encode(square, "WEBP")
    except (OSError, ValueError) as exc:
        raise NotAnImage(str(exc)) from exc
    finally:
        image.close()


def make_preview_image(data: bytes) -> bytes:
    """A link preview's image (fetched from a remote page, so untrusted): verified with the
    same bounds as uploads, first frame only, at most ``PREVIEW_SIZE`` px, re-encoded as WebP
    without metadata (always re-encoded, even when small). Raises NotAnImage."""
    image = _open(io.BytesIO(data))
    try:
        if _animated(image):
            image.seek(0)
        return _thumbnail(ImageOps.exif_transpose(image), PREVIEW_SIZE)
    except (OSError, ValueError) as exc:  # a decoder error surfacing late
        raise NotAnImage(str(exc)) from exc
    finally:
        image.close()
