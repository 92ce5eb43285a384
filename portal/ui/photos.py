"""Photos on a record's page: the thumbnails (each opens full size), and adding more from
the phone's camera or from files. Everything goes through portal.records.attachments, so
the checks, the re-encoding, the scope and the audit entry are the engine's."""

from __future__ import annotations

import streamlit as st

from portal.org.scope import Actor
from portal.records import attachments
from portal.records.fields import Field
from portal.records.service import Spec
from portal.ui.db import unit_of_work
from portal.ui.i18n import t
from portal.ui.messages import attempt, flash

PER_ROW = 3


def gallery(spec: Spec, actor: Actor, record_id: int, f: Field, *, key: str, removable: bool = False) -> int:
    """The record's photos of this field as thumbnails; returns how many there are."""
    with unit_of_work() as session:
        shown = attempt(lambda: attachments.photos(session, actor, spec.slug, record_id, f.key))
        thumbs = {p.id: attachments.content(session, actor, p.id, thumb=True) for p in shown or []}
    if not shown:
        st.caption(t("photos.none"))
        return 0
    for start in range(0, len(shown), PER_ROW):
        for col, photo in zip(st.columns(PER_ROW), shown[start : start + PER_ROW], strict=False):
            with col:
                st.image(thumbs[photo.id], caption=photo.caption or photo.filename, width="stretch")
                if st.button(t("photos.open"), key=f"{key}.photo.open.{photo.id}", icon=":material/zoom_in:"):
                    _full(actor, photo.id, photo.caption or photo.filename)
                if removable and st.button(
                    t("photos.remove"), key=f"{key}.photo.remove.{photo.id}", icon=":material/delete:"
                ):
                    _remove(actor, photo.id)
    return len(shown)


@st.dialog(" ", width="large")
def _full(actor: Actor, attachment_id: int, caption: str) -> None:
    with unit_of_work() as session:
        data = attempt(lambda: attachments.content(session, actor, attachment_id))
    if data is not None:
        st.image(data, caption=caption, width="stretch")


def _remove(actor: Actor, attachment_id: int) -> None:
    def run() -> object:
        with unit_of_work() as session:
            attachments.remove(session, actor, attachment_id)
        return True

    if attempt(run):
        flash(t("photos.removed"))
        st.rerun()


def photo_input(spec: Spec, actor: Actor, record_id: int, f: Field, *, key: str) -> None:
    """Add photos: the camera (opened on request, so a desk never asks for it) or files."""
    generation = st.session_state.get(f"{key}.photo.generation", 0)
    use_camera = st.toggle(t("photos.camera"), key=f"{key}.photo.camera_on")
    shot = st.camera_input(t("photos.take"), key=f"{key}.photo.shot.{generation}") if use_camera else None
    files = st.file_uploader(
        t("photos.files", max=int(f.max) if f.max else "∞"),
        type=["jpg", "jpeg", "png", "webp", "gif", "bmp"],
        accept_multiple_files=True,
        key=f"{key}.photo.files.{generation}",
    )
    caption = st.text_input(t("photos.caption"), key=f"{key}.photo.caption.{generation}", max_chars=200)
    pending = [*([shot] if shot is not None else []), *(files or [])]
    if not pending:
        return
    if not st.button(
        t("photos.add", count=len(pending)),
        key=f"{key}.photo.add.{generation}",
        type="primary",
        icon=":material/add_a_photo:",
    ):
        return
    errors: dict[str, list[str]] = {}

    def run() -> int:
        with unit_of_work() as session:
            for upload in pending:
                attachments.add(session, actor, spec.slug, record_id, f.key, upload.name, upload.getvalue(), caption)
        return len(pending)

    added = attempt(run, errors)
    if added:
        st.session_state[f"{key}.photo.generation"] = generation + 1
        message = t("photos.added", count=added)
        st.toast(message, icon=":material/check_circle:")
        flash(message)
        st.rerun()
    for messages in errors.values():
        st.error(" ".join(messages))
