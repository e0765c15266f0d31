"""The device cookie (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").

A browser that signs in successfully gets ``minimost_device``: a random id, when it was
issued, and an HMAC of both with the username under the server secret. On a later sign-in
as that name, a valid cookie makes the browser a *known device*: it guesses from its own
budget (``domain.actions.lockout.device_key``) instead of the one every unknown browser
shares, so strangers who lock an account do not lock its owner out. The cookie proves only
"this browser signed in as this name before"; the password is still checked.

Nothing is stored per device: the signature is the proof, and the id only names the
device's failure counter. It lasts ``session_days``; each sign-in replaces it. It is sent
to the sign-in routes only (``Path``), never readable by scripts, never cross-site.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from fastapi import Response

NAME = "minimost_device"
PATH = "/api/v1/auth"
CLOCK_SKEW = 300


def _mac(secret: bytes, username: str, device_id: str, issued: int) -> str:
    # Its own prefix keeps it apart from the CSRF tokens made with the same secret.
    message = f"device:{username}:{device_id}:{issued}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def issue(secret: bytes, username: str, now: datetime) -> str:
    device_id = secrets.token_urlsafe(16)
    issued = int(now.timestamp())
    return f"{device_id}.{issued}.{_mac(secret, username, device_id, issued)}"


def device_id(
    secret: bytes, value: str | None, username: str, now: datetime, max_age: timedelta
) -> str | None:
    """The device id if ``value`` is a cookie issued to ``username`` within ``max_age``;
    None for anything else (absent, forged, another name's, expired)."""
    if not value or not secret:
        return None
    parts = value.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    device, issued_text, mac = parts
    issued = int(issued_text)
    if not hmac.compare_digest(mac, _mac(secret, username, device, issued)):
        return None
    age = now.timestamp() - issued
    # A few minutes of grace for nodes whose clocks disagree.
    return device if -CLOCK_SKEW <= age < max_age.total_seconds() else None


def set_cookie(response: Response, value: str, max_age: timedelta) -> None:
    response.set_cookie(
        NAME,
        value,
        max_age=int(max_age.total_seconds()),
        httponly=True,
        secure=True,
        samesite="strict",
        path=PATH,
    )
