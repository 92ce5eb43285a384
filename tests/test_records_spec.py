"""Spec checks: a mistake fails when the class is defined, naming class and attribute."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.models import AuditEntry, HeActivity
from portal.programmes.education.specs import HeActivitySpec
from portal.records import registry
from portal.records.fields import Choice, Field
from portal.records.spec import ALL, RecordSpec, SpecError

GOOD: dict[str, Any] = dict(
    slug="probe",
    model=HeActivity,
    title_zh="测试",
    title_en="Probe",
    fields=(
        Field("org_unit_id", "org_unit", "单位", "Unit", required=True),
        Field("activity_date", "date", "日期", "Date", required=True),
        Field(
            "activity_type", "choice", "形式", "Type", required=True, choices=(Choice("lecture", "讲座", "Lecture"),)
        ),
        Field("title", "text", "主题", "Title", required=True, max_length=200),
        Field("participants", "int", "人数", "People", min=0),
    ),
    list_display=("activity_date", "title"),
    list_filter=("activity_type",),
    search_fields=("title",),
    ordering=("-activity_date",),
    natural_key=("title",),
    date_field="activity_date",
    permissions={"view": ALL},
)


def define(**overrides: Any) -> type[RecordSpec]:
    return type("ProbeSpec", (RecordSpec,), {**GOOD, **overrides})


def fields_with(*extra: Field) -> tuple[Field, ...]:
    return GOOD["fields"] + extra


def test_a_good_spec_passes():
    spec = define()
    assert spec.field("title").required and spec.allows("viewer", "view")
    assert not spec.allows("viewer", "create")


CASES = [
    ("slug", dict(slug="Bad Slug"), "must be 2-40 lowercase"),
    ("model", dict(model=None), "mapped SQLAlchemy model"),
    (
        "model",
        dict(
            model=AuditEntry,
            fields=(Field("action", "text", "动作", "Action"),),
            list_display=(),
            list_filter=(),
            search_fields=(),
            ordering=(),
            natural_key=(),
            date_field=None,
            org_field=None,
        ),
        "needs a 'version' column",
    ),
    ("title_en", dict(title_en=""), "both titles"),
    ("fields", dict(fields=()), "at least one field"),
    ("fields", dict(fields=fields_with(Field("title", "text", "再来", "Again"))), "declared twice"),
    ("fields['venue']", dict(fields=fields_with(Field("venue", "money", "地点", "Venue"))), "type 'money'"),
    ("fields['nope']", dict(fields=fields_with(Field("nope", "text", "无", "None"))), "no column 'nope'"),
    ("fields['venue']", dict(fields=fields_with(Field("venue", "text", "", "Venue"))), "zh and an en label"),
    ("fields['venue']", dict(fields=fields_with(Field("venue", "choice", "地点", "Venue"))), "needs choices"),
    (
        "fields['venue']",
        dict(fields=fields_with(Field("venue", "text", "地点", "Venue", choices=(Choice("a", "甲", "A"),)))),
        "only for choice",
    ),
    (
        "fields['consultations']",
        dict(fields=fields_with(Field("consultations", "int", "咨询", "Consults", min=5, max=1))),
        "greater than max",
    ),
    ("fields['venue']", dict(fields=fields_with(Field("venue", "text", "地点", "Venue", min=1))), "only for int"),
    (
        "fields['consultations']",
        dict(fields=fields_with(Field("consultations", "int", "咨询", "C", max_length=3))),
        "only for text",
    ),
    (
        "fields['venue']",
        dict(fields=fields_with(Field("venue", "text", "地点", "Venue", readonly=True, required=True))),
        "readonly field cannot be required",
    ),
    ("fields['venue']", dict(fields=fields_with(Field("venue", "text", "主题", "Venue"))), "header '主题'"),
    ("list_display", dict(list_display=("nope",)), "'nope' is not a field"),
    ("list_filter", dict(list_filter=("nope",)), "'nope' is not a field"),
    ("list_filter", dict(list_filter=("participants",)), "cannot be filtered"),
    ("search_fields", dict(search_fields=("participants",)), "not a text field"),
    ("ordering", dict(ordering=("-nope",)), "'-nope' is not a column"),
    ("list_per_page", dict(list_per_page=30), "must be one of"),
    ("natural_key", dict(natural_key=("participants",)), "must be a required field"),
    ("identity", dict(natural_key=(), identity=("nope",)), "'nope' is not a field"),
    ("identity", dict(natural_key=(), identity=("title",)), "an identity rule needs find_same"),
    ("identity", dict(identity=("title",)), "a natural key or an identity rule, not both"),
    ("org_field", dict(org_field="title"), "must be an org_unit field"),
    ("date_field", dict(date_field="title"), "must be a date field"),
    ("permissions", dict(permissions={"publish": ALL}), "unknown action 'publish'"),
    ("permissions", dict(permissions={"view": frozenset({"mayor"})}), "unknown role 'mayor'"),
]


@pytest.mark.parametrize("attr, overrides, message", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_check_names_class_and_attribute(attr, overrides, message):
    with pytest.raises(SpecError) as info:
        define(**overrides)
    assert str(info.value).startswith(f"ProbeSpec.{attr}:"), str(info.value)
    assert message in str(info.value)


class _LooseBase(DeclarativeBase):
    """A metadata of its own, so this table never reaches the migrations' drift check."""


class Loose(_LooseBase):
    """Has every column the engine needs, but is not a RecordModel."""

    __tablename__ = "loose"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column()
    deleted_at: Mapped[dt.datetime | None] = mapped_column()
    title: Mapped[str] = mapped_column()


def test_a_spec_without_a_model_names_the_attribute():
    probe = {k: v for k, v in GOOD.items() if k != "model"}
    with pytest.raises(SpecError, match=r"^ProbeSpec\.model: must be a mapped SQLAlchemy model class"):
        type("ProbeSpec", (RecordSpec,), probe)


def test_a_model_must_derive_from_record_model():
    overrides = dict(
        model=Loose,
        fields=(Field("title", "text", "主题", "Title", required=True),),
        list_display=(),
        list_filter=(),
        search_fields=(),
        ordering=(),
        natural_key=(),
        date_field=None,
        org_field=None,
    )
    with pytest.raises(SpecError, match=r"^ProbeSpec\.model: Loose must derive from db\.base\.RecordModel"):
        define(**overrides)


def test_registry_lists_builtin_types_and_explains_unknown():
    assert {"org_units", "users", "he_activities"} <= set(registry.specs())
    assert registry.get("he_activities") is HeActivitySpec
    with pytest.raises(KeyError) as info:
        registry.get("nope")
    assert all(slug in str(info.value) for slug in ("he_activities", "org_units", "users"))


@pytest.mark.parametrize("slug", ["org_units", "users", "he_activities"])
def test_builtin_specs_document_themselves(slug):
    spec = registry.get(slug)
    assert spec.__doc__ and spec.title_zh and spec.title_en
    for f in spec.fields:
        assert f.zh and f.en


def test_every_option_is_documented_in_the_base_class():
    source = Path(RecordSpec.__module__.replace(".", "/") + ".py").read_text(encoding="utf-8")
    options = [name for name in RecordSpec.__annotations__ if not name.startswith("_")]  # `model` has no default
    assert len(options) >= 15
    for name in options:
        # each option is followed by a docstring line in the class body
        assert f"    {name}: ClassVar" in source
        after = source.split(f"    {name}: ClassVar", 1)[1].split("\n", 2)[1]
        assert after.strip().startswith('"""'), name
