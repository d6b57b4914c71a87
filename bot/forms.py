"""Forms: what a task asks a unit to send back, as a declarative list of typed fields and at most
one repeated group (the nominees of a nomination list). Presets cover the common cases; a plan
file may define its own forms (`forms:` in the plan file), validated here.

A prompt or label that starts with "@" is the key of a message in messages/ (presets); any other
text is the office's own words from the plan file, shown as written."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.domain import DeadlineState, Quota

Kind = Literal["choice", "text", "number", "date", "person", "photo", "file"]
FILE_KINDS = ("photo", "file")


@dataclass(frozen=True)
class Option:
    value: str
    label: str  # "@key" or literal


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    prompt: str  # "@key" or literal
    required: bool = True
    max_length: int = 500
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[Option, ...] = ()
    max_files: int = 5
    only_if: tuple[str, tuple[str, ...]] | None = None  # (field, values) in the same entry
    whole: bool = False  # a number: whole only ("1.250" yes, "1,5" no)
    counts: bool = False  # the number the task's quota bounds (the count preset's)
    # set from the quota on a counting field: the plan's per-unit bounds and what is counted
    planned: tuple[int | None, int | None] = (None, None)
    what: str = ""

    def outside(self, value: object) -> bool:
        """A number beyond the plan's per-unit bounds (an answer kept from before them)."""
        low, high = self.planned
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        return (low is not None and value < low) or (high is not None and value > high)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    min_items: int = 1
    max_items: int = 20
    item: str = "@forms.entry"  # how one entry is called ("người, tập thể được đề nghị")


@dataclass(frozen=True)
class FormSpec:
    name: str
    title: str
    fields: tuple[FieldSpec, ...] = ()
    group: GroupSpec | None = None
    # Which choice field (if any) sets the deadline's state, and how its values map.
    state_field: str | None = None
    state_map: dict[str, DeadlineState] = field(default_factory=dict)

    def with_quota(self, quota: Quota) -> FormSpec:
        """Per-unit bounds of the plan's quota applied to the repeated group, or to the counting
        field (the count preset's number), which also learns what is counted."""
        fields = tuple(_counting(f, quota) if f.counts else f for f in self.fields)
        group = self.group
        if group is not None:
            low = quota.per_unit_min if quota.per_unit_min is not None else group.min_items
            high = quota.per_unit_max if quota.per_unit_max is not None else group.max_items
            group = GroupSpec(group.name, group.fields, max(1, low), max(1, high), group.item)
        return FormSpec(self.name, self.title, fields, group, self.state_field, self.state_map)

    def field(self, name: str) -> FieldSpec | None:
        for f in self.fields + (self.group.fields if self.group else ()):
            if f.name == name:
                return f
        return None


def _counting(f: FieldSpec, quota: Quota) -> FieldSpec:
    low, high = quota.per_unit_min, quota.per_unit_max
    return replace(
        f,
        minimum=low if low is not None else f.minimum,
        maximum=high if high is not None else f.maximum,
        planned=(low, high),
        what=quota.what or "",
    )


PROGRESS = FormSpec(
    name="progress",
    title="@forms.title_progress",
    fields=(
        FieldSpec(
            "state",
            "choice",
            "@forms.ask_state",
            options=(
                Option("not_started", "@forms.state_not_started"),
                Option("in_progress", "@forms.state_in_progress"),
                Option("done", "@forms.state_done"),
            ),
        ),
        FieldSpec("note", "text", "@forms.ask_note", required=False, max_length=500),
        FieldSpec("evidence", "file", "@forms.ask_evidence", required=False, max_files=5),
    ),
    state_field="state",
    state_map={
        "not_started": DeadlineState.PENDING,
        "in_progress": DeadlineState.IN_PROGRESS,
        "done": DeadlineState.DONE,
    },
)

NOMINEE_KINDS = (
    Option("collective", "@forms.kind_collective"),
    Option("individual", "@forms.kind_individual"),
    Option("product", "@forms.kind_product"),
    Option("candidate", "@forms.kind_candidate"),  # quần chúng ưu tú
)
PERSON_KINDS = ("individual", "candidate")

NOMINATION = FormSpec(
    name="nomination",
    title="@forms.title_nomination",
    group=GroupSpec(
        "entries",
        (
            FieldSpec("kind", "choice", "@forms.ask_kind", options=NOMINEE_KINDS),
            FieldSpec("name", "text", "@forms.ask_name", max_length=150),
            FieldSpec(
                "position",
                "text",
                "@forms.ask_position",
                required=False,
                max_length=150,
                only_if=("kind", PERSON_KINDS),
            ),
            FieldSpec(
                "unit",
                "text",
                "@forms.ask_unit",
                max_length=150,
                only_if=("kind", PERSON_KINDS),
            ),
            FieldSpec("achievements", "text", "@forms.ask_achievements", max_length=1000),
            FieldSpec("award", "text", "@forms.ask_award", max_length=200),
        ),
        min_items=1,
        max_items=20,
        item="@forms.entry_nominee",
    ),
)

REGISTRATION = FormSpec(
    name="registration",
    title="@forms.title_registration",
    fields=(
        FieldSpec("team", "text", "@forms.ask_team", max_length=150),
        FieldSpec("players", "number", "@forms.ask_players", minimum=1, maximum=100, whole=True),
        FieldSpec("contact", "person", "@forms.ask_contact", max_length=200),
    ),
)

COUNT = FormSpec(
    name="count",
    title="@forms.title_count",
    fields=(
        FieldSpec(
            "count",
            "number",
            "@forms.ask_count",
            minimum=0,
            maximum=1_000_000,
            whole=True,
            counts=True,
        ),
        FieldSpec("note", "text", "@forms.ask_note", required=False, max_length=500),
    ),
)

PRESETS: dict[str, FormSpec] = {f.name: f for f in (PROGRESS, NOMINATION, REGISTRATION, COUNT)}


# Custom forms in a plan file -------------------------------------------------------------------


class _FieldModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,30}$")
    kind: Kind
    prompt: str = Field(min_length=1, max_length=300)
    required: bool = True
    max_length: int = Field(default=500, ge=1, le=4000)
    min: float | None = None
    max: float | None = None
    options: list[str] = Field(default_factory=list)
    max_files: int = Field(default=5, ge=1, le=20)

    @model_validator(mode="after")
    def _choices_have_options(self) -> _FieldModel:
        if self.kind == "choice" and not 2 <= len(self.options) <= 12:
            raise ValueError("a choice needs 2 to 12 options")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class _GroupModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "entries"
    item: str = Field(default="@forms.entry", min_length=1, max_length=60)
    min: int = Field(default=1, ge=0, le=100)
    max: int = Field(default=20, ge=1, le=100)
    fields: list[_FieldModel] = Field(min_length=1, max_length=15)


class _FormModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    fields: list[_FieldModel] = Field(default_factory=list, max_length=15)
    group: _GroupModel | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> _FormModel:
        if not self.fields and self.group is None:
            raise ValueError("a form needs fields or a group")
        names = [f.name for f in self.fields] + [
            f.name for f in (self.group.fields if self.group else [])
        ]
        if len(names) != len(set(names)):
            raise ValueError("field names must be unique")
        return self


def _field(m: _FieldModel) -> FieldSpec:
    return FieldSpec(
        name=m.name,
        kind=m.kind,
        prompt=m.prompt,
        required=m.required,
        max_length=m.max_length,
        minimum=m.min,
        maximum=m.max,
        options=tuple(Option(f"o{i}", label) for i, label in enumerate(m.options)),
        max_files=m.max_files,
    )


class FormDefinitionError(ValueError):
    pass


def custom_form(name: str, data: Any) -> FormSpec:
    """A form defined in a plan file; raises FormDefinitionError with pydantic's reasons."""
    try:
        model = _FormModel.model_validate(data)
    except ValidationError as exc:
        raise FormDefinitionError(str(exc)) from None
    group = None
    if model.group is not None:
        g = model.group
        group = GroupSpec(g.name, tuple(_field(f) for f in g.fields), g.min, g.max, g.item)
    return FormSpec(name, model.title, tuple(_field(f) for f in model.fields), group)


def resolve_form(name: str, plan_forms: dict[str, Any], quota: Quota) -> FormSpec:
    """The form a task asks for: a preset, or one its plan defines; quota bounds applied."""
    if name in plan_forms:
        return custom_form(name, plan_forms[name]).with_quota(quota)
    return PRESETS.get(name, PROGRESS).with_quota(quota)
