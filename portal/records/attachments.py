"""Photos and scans attached to records: an ``images`` field on a spec (an inspection's
photos, an activity's sign-in sheet) stores its files here.

An upload is checked and re-encoded before anything is kept: only images (JPEG, PNG,
WebP, GIF, BMP) within the size and pixel limits; turned upright by its EXIF orientation;
scaled to at most MAX_EDGE pixels and saved as JPEG without its metadata (a phone's GPS
position stays on the phone); a THUMB_EDGE thumbnail for lists. Files live in the
database, so every server process and every backup has them. Each add and delete is an
audited write of record type "attachments", scoped by the record it belongs to.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Attachment
from portal import clock
from portal.config import limits
from portal.errors import FieldError, NotFound, PermissionDenied, ValidationError
from portal.org.scope import Actor
from portal.records import audit
from portal.records.fields import Field

RECORD_TYPE = "attachments"
MAX_EDGE = 1600
THUMB_EDGE = 320
FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}


@dataclass(frozen=True)
class Photo:
    """What lists show of an attachment (never the bytes)."""

    id: int
    record_id: int
    field: str
    filename: str
    caption: str
    width: int
    height: int
    size: int
    uploaded_by: str


def normalise(data: bytes, name: str = "photo") -> tuple[bytes, bytes, int, int]:
    """(JPEG, thumbnail JPEG, width, height) of an uploaded image, or a ValidationError
    on the field that names the limit it broke."""
    from PIL import Image

    cap = limits()
    if len(data) > cap.photo_bytes:
        raise _refused(name, "validation.photo_too_big", mb=cap.photo_bytes // 1_000_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _reencode(data, name, cap.photo_pixels)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refused(name, "validation.photo_pixels", mp=cap.photo_pixels // 1_000_000) from None


def _reencode(data: bytes, name: str, max_pixels: int) -> tuple[bytes, bytes, int, int]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise _refused(name, "validation.photo_type")
            if probe.width * probe.height > max_pixels:
                raise _refused(name, "validation.photo_pixels", mp=max_pixels // 1_000_000)
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.seek(0)
            upright = ImageOps.exif_transpose(img).convert("RGB")
    except (ValidationError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except (UnidentifiedImageError, OSError, ValueError):
        raise _refused(name, "validation.photo_type") from None
    upright.thumbnail((MAX_EDGE, MAX_EDGE))
    photo = _jpeg(upright, 82)
    upright.thumbnail((THUMB_EDGE, THUMB_EDGE))
    return photo, _jpeg(upright, 70), *_size(photo)


def _jpeg(img: Any, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)  # no exif= argument: metadata dropped
    return out.getvalue()


def _size(jpeg: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as img:
        return img.width, img.height


def _refused(field: str, key: str, **params: Any) -> ValidationError:
    return ValidationError([FieldError(field, key, params)])


def _parent(session: Session, actor: Actor, record_type: str, record_id: int, action: str) -> Any:
    from portal.records import registry, service

    spec = registry.get(record_type)
    if action != "view":
        service.require(spec, actor, action)
    return spec, service.get(session, actor, spec, record_id)


def _images_field(spec: Any, key: str) -> Field:
    f = spec.field(key)
    if f.type != "images":
        raise NotFound("error.not_found")
    return f


def add(
    session: Session,
    actor: Actor,
    record_type: str,
    record_id: int,
    field: str,
    filename: str,
    data: bytes,
    caption: str | None = None,
) -> Attachment:
    """Attach an image to a record the actor may see and write (create or edit rights on
    its type), unless a workflow holds the record read-only; audited."""
    from portal.records import registry, service

    spec = registry.get(record_type)
    if not (spec.allows(actor.role, "edit") or spec.allows(actor.role, "create")):
        raise PermissionDenied("error.permission")
    parent = service.get(session, actor, spec, record_id)
    if spec.workflow is not None and spec.workflow.readonly(getattr(parent, spec.workflow.field)):
        raise ValidationError([service.state_error(spec, getattr(parent, spec.workflow.field))])
    f = _images_field(spec, field)
    present = count(session, record_type, [record_id], field).get(record_id, 0)
    if f.max is not None and present >= f.max:
        raise _refused(field, "validation.photo_count", max=int(f.max))
    photo, thumb, width, height = normalise(data, field)
    org = getattr(parent, spec.org_field) if spec.org_field and spec.org_field != "id" else None
    row = Attachment(
        org_unit_id=org,
        record_type=record_type,
        record_id=record_id,
        field=field,
        filename=(filename or "photo.jpg")[:120],
        mime="image/jpeg",
        size=len(photo),
        width=width,
        height=height,
        caption=(caption or "").strip()[:200] or None,
        uploaded_by=actor.username,
        data=photo,
        thumb=thumb,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", RECORD_TYPE, row.id, org, None, _summary(row))
    return row


def _summary(row: Attachment) -> dict[str, Any]:
    """What the audit trail keeps of an attachment: everything but the bytes."""
    snapshot = audit.snapshot(row)
    snapshot.pop("data", None)
    snapshot.pop("thumb", None)
    return snapshot


def remove(session: Session, actor: Actor, attachment_id: int) -> None:
    row = session.get(Attachment, attachment_id)
    if row is None or row.deleted_at is not None:
        raise NotFound("error.not_found")
    _parent(session, actor, row.record_type, row.record_id, "edit")
    before = _summary(row)
    row.deleted_at = clock.now()
    session.flush()
    audit.record(session, actor, "delete", RECORD_TYPE, row.id, row.org_unit_id, before, _summary(row))


def photos(session: Session, actor: Actor, record_type: str, record_id: int, field: str | None = None) -> list[Photo]:
    """The live attachments of a record the actor may see, oldest first."""
    _parent(session, actor, record_type, record_id, "view")
    stmt = select(
        Attachment.id,
        Attachment.record_id,
        Attachment.field,
        Attachment.filename,
        Attachment.caption,
        Attachment.width,
        Attachment.height,
        Attachment.size,
        Attachment.uploaded_by,
    ).where(Attachment.record_type == record_type, Attachment.record_id == record_id, Attachment.deleted_at.is_(None))
    if field is not None:
        stmt = stmt.where(Attachment.field == field)
    return [
        Photo(r[0], r[1], r[2], r[3], r[4] or "", r[5], r[6], r[7], r[8])
        for r in session.execute(stmt.order_by(Attachment.id))
    ]


def content(session: Session, actor: Actor, attachment_id: int, thumb: bool = False) -> bytes:
    """An attachment's bytes, if the actor may see the record it belongs to."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.deleted_at is not None:
        raise NotFound("error.not_found")
    _parent(session, actor, row.record_type, row.record_id, "view")
    return row.thumb if thumb else row.data


def count(session: Session, record_type: str, record_ids: list[int], field: str | None = None) -> dict[int, int]:
    """Live attachments per record (for "photos: 3" in a list, or "no photo" flags)."""
    if not record_ids:
        return {}
    stmt = (
        select(Attachment.record_id, func.count())
        .where(
            Attachment.record_type == record_type,
            Attachment.record_id.in_(record_ids),
            Attachment.deleted_at.is_(None),
        )
        .group_by(Attachment.record_id)
    )
    if field is not None:
        stmt = stmt.where(Attachment.field == field)
    return {rid: int(n) for rid, n in session.execute(stmt)}
