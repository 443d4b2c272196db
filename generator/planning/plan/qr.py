"""QR codes as plan data: the modules of a link's QR code, and where it is drawn, on whole pixels.

The modules are made here (segno) and kept in the plan, so rendering draws exactly these modules
whatever QR library version a machine has. A module is a whole number of pixels, and the code keeps
its quiet zone of four light modules.
"""

from __future__ import annotations

import hashlib

import segno

from generator.core.geometry import Rect
from generator.planning.plan.effects import Motion
from generator.planning.plan.types import AssetRef, ImagePlacement, QrCode

QUIET = 4  # light modules around the code, as the QR standard asks
MIN_MODULE = 2  # pixels: smaller modules do not survive video compression


def qr_code(text: str) -> QrCode:
    """The QR code of ``text`` at error correction level M (15% of it may be lost or covered)."""
    code = segno.make_qr(text, error="m", boost_error=False)
    rows = tuple("".join("1" if value else "0" for value in row) for row in code.matrix)
    return QrCode(text=text, error="M", version=int(code.version), modules=rows, quiet=QUIET)


def qr_placement(code: QrCode, box: Rect, field: str, motion: Motion) -> ImagePlacement | None:
    """``code`` as large as fits centred in ``box``, a whole number of pixels per module; None when its
    modules would be under ``MIN_MODULE`` pixels."""
    bx, by, bw, bh = box
    count = len(code.modules) + 2 * code.quiet
    module = int(min(bw, bh) // count)
    if module < MIN_MODULE:
        return None
    side = module * count
    x, y = round(bx + (bw - side) / 2), round(by + (bh - side) / 2)
    digest = hashlib.sha256("\n".join(code.modules).encode("ascii")).hexdigest()
    return ImagePlacement(
        kind="qr", field=field, ref=AssetRef(source="qr", sha256=digest, cutout="opaque"),
        crop=(0, 0, side, side), box=(float(x), float(y), float(side), float(side)), shadow=False,
        motion=motion, qr=code.model_copy(update={"module": module}),
    )  # fmt: skip
