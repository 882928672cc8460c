"""The link a receipt's QR code points to: ``/status/<token>``, the ticket's public status page.

References are sequential (``CHA-2026-000123``): anyone could guess the next one, so the page is reached only by a
random token (128 bits, ``secrets``) stored on the ticket as ``status_token``. The page shows status and public
notes only, never personal data.
"""

from __future__ import annotations

import re
import secrets

import qrcode
import qrcode.image.svg

STATUS_PATH = "/status/"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(16)


def status_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + STATUS_PATH + token


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an SVG element (black paths, no script), for the printed receipt."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                       image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(url)
    qr.make(fit=True)
    svg = qr.make_image().to_string(encoding="unicode")
    return re.sub(r"^<\?xml[^>]*>\s*", "", svg)
