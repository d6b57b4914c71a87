"""Forms: what a task asks a unit to send back, as a declarative list of typed fields and at most
one repeated group (the nominees of a nomination list). Presets cover the common cases; a plan
file may define its own forms (`forms:` in the plan file), validated here.

A prompt or label that starts with "@" is the key of a message in messages/ (presets); any other
text is the office's own words from the plan file, shown as written."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

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


# Checking a custom form at import -------------------------------------------------------------

FIELD_KEYS = tuple(_FieldModel.model_fields)
GROUP_KEYS = tuple(_GroupModel.model_fields)
FORM_KEYS = tuple(_FormModel.model_fields)
KINDS: tuple[str, ...] = get_args(Kind)
# Keys people write for the ones a form has ("type" for "kind"...), suggested when unknown.
_KEY_ALIASES = {
    "type": "kind",
    "label": "prompt",
    "question": "prompt",
    "text": "prompt",
    "choices": "options",
    "values": "options",
    "items": "fields",
    "min_items": "min",
    "max_items": "max",
}
_LIMITS = {"greater_than_equal": "ge", "less_than_equal": "le", "greater_than": "gt"}
_TYPE_CODES = {
    "string_type": "not_text",
    "int_type": "not_whole",
    "int_parsing": "not_whole",
    "int_from_float": "not_whole",
    "float_type": "not_number",
    "float_parsing": "not_number",
    "bool_type": "not_bool",
    "bool_parsing": "not_bool",
    "list_type": "not_list",
    "model_type": "not_mapping",
    "dict_type": "not_mapping",
    "model_attributes_type": "not_mapping",
}


@dataclass(frozen=True)
class FormProblem:
    """One problem of a custom form: where it is inside the form (`loc`: keys and indexes, as
    in the plan file), the question it is in (its name, its number from 1, in the group or not),
    and what is wrong: a code and its values (the message `form_<code>` of
    messages/vi/plan_file.j2)."""

    loc: tuple[str | int, ...]
    code: str
    values: dict[str, Any] = field(default_factory=dict)
    question: str = ""
    number: int = 0
    in_group: bool = False


def check_custom_form(data: Any) -> list[FormProblem]:
    """Every problem of a form written in a plan file, so that a plan is refused at import
    rather than when a unit opens the form: what `custom_form` refuses (the shape, the types,
    a choice without 2 to 12 options, min above max, field names used twice, a form without
    questions) and what would fail or mislead later (an empty or repeated option, a group's min
    above its max, a text starting with "@", which the bot reads as the key of its own message).
    Empty when `custom_form(name, data)` gives a form that works."""
    problems: list[FormProblem] = []
    failed = False
    try:
        _FormModel.model_validate(data)
    except ValidationError as exc:
        failed = True
        for err in exc.errors():
            if err["type"] != "value_error":  # the model's own rules: checked below, each one
                problems.append(_from_pydantic(data, err))
    if isinstance(data, dict):
        problems.extend(_rules(data))
    if failed and not problems:
        problems.append(_at(data, (), "invalid", value=""))
    return sorted(problems, key=lambda p: _order(data, p.loc))


def _order(data: Any, loc: tuple[str | int, ...]) -> tuple[str, ...]:
    """Problems in the order of the form: its keys as written, then the questions'."""
    keys: list[str] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            keys.append(f"{list(node).index(part):04d}")
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            keys.append(f"{part:04d}")
            node = node[part]
        else:
            keys.append("9999")
            node = None
    return tuple(keys)


def _question(data: Any, loc: tuple[str | int, ...]) -> tuple[str, int, bool]:
    """The question a place is in: (its name as written, its number from 1, in the group)."""
    in_group = loc[:1] == ("group",)
    rest = loc[1:] if in_group else loc
    if len(rest) < 2 or rest[0] != "fields" or not isinstance(rest[1], int):
        return "", 0, in_group
    parent = data.get("group") if in_group and isinstance(data, dict) else data
    items = parent.get("fields") if isinstance(parent, dict) else None
    item = items[rest[1]] if isinstance(items, list) and rest[1] < len(items) else None
    name = item.get("name") if isinstance(item, dict) else None
    return (name if isinstance(name, str) else ""), rest[1] + 1, in_group


def _at(data: Any, loc: tuple[str | int, ...], code: str, **values: Any) -> FormProblem:
    question, number, in_group = _question(data, loc)
    return FormProblem(loc, code, values, question, number, in_group)


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


def _keys_at(loc: tuple[str | int, ...]) -> tuple[str, ...]:
    """The keys a mapping at `loc` (the parent of an unknown key) may have."""
    if loc == ():
        return FORM_KEYS
    if loc == ("group",):
        return GROUP_KEYS
    return FIELD_KEYS


def _from_pydantic(data: Any, err: Any) -> FormProblem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    value = _shown(err.get("input"))
    if kind == "missing":
        return _at(data, loc, "required", key=key)
    if kind == "extra_forbidden":
        known = _keys_at(loc[:-1])
        alias = _KEY_ALIASES.get(key.lower())
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        suggestion = alias if alias in known else (close[0] if close else "")
        return _at(data, loc, "unknown_key", key=key, suggestion=suggestion, known=", ".join(known))
    if kind == "literal_error":
        return _at(data, loc, "bad_kind", value=value, known=", ".join(KINDS))
    if kind == "string_pattern_mismatch":
        return _at(data, loc, "bad_name", value=value)
    if kind == "string_too_short":
        return _at(data, loc, "empty", key=key)
    if kind == "string_too_long":
        return _at(data, loc, "too_long", key=key, limit=ctx.get("max_length"))
    if kind == "too_short":
        return _at(data, loc, "group_no_questions" if loc[:1] == ("group",) else "no_questions")
    if kind == "too_long":
        return _at(data, loc, "too_many", key=key, limit=ctx.get("max_length"))
    if kind in _LIMITS:
        bound = ctx.get(_LIMITS[kind])
        code = "too_large" if kind == "less_than_equal" else "too_small"
        return _at(data, loc, code, key=key, value=value, limit=bound)
    if kind in _TYPE_CODES:
        return _at(data, loc, _TYPE_CODES[kind], key=key, value=value)
    return _at(data, loc, "invalid", value=value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _starts_with_at(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("@")


def _same(option: str) -> str:
    """Two options a person cannot tell apart: the same words, whatever the case and spaces."""
    return " ".join(option.casefold().split())


def _words(data: Any, parent: dict[str, Any], loc: tuple[str | int, ...]) -> list[FormProblem]:
    """A title, prompt or item the office wrote: not blank (the too-short text is pydantic's),
    and not "@…" (the bot reads that as the key of its own message)."""
    key = str(loc[-1])
    value = parent.get(key)
    if not isinstance(value, str):
        return []
    if value and not value.strip():
        return [_at(data, loc, "empty", key=key)]
    if _starts_with_at(value):
        return [_at(data, loc, "at_sign", key=key, value=_shown(value))]
    return []


def _rules(data: dict[str, Any]) -> list[FormProblem]:
    """The rules beyond each value's type, checked on what is there even when other parts of
    the form are wrong, so that every problem is found at once."""
    found: list[FormProblem] = []
    found.extend(_words(data, data, ("title",)))
    group = data.get("group")
    if not data.get("fields") and group is None:
        found.append(_at(data, ("fields",), "no_questions"))
    lists: list[tuple[tuple[str | int, ...], Any]] = [(("fields",), data.get("fields"))]
    if isinstance(group, dict):
        lists.append((("group", "fields"), group.get("fields")))
        found.extend(_words(data, group, ("group", "item")))
        low, high = _number(group.get("min")), _number(group.get("max"))
        if low is not None and high is not None and low > high:
            found.append(
                _at(data, ("group", "min"), "group_min_max", low=_shown(low), high=_shown(high))
            )
    names: dict[str, int] = {}
    for prefix, items in lists:
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            loc = (*prefix, i)
            name = item.get("name")
            if isinstance(name, str):
                if name in names:
                    found.append(
                        _at(data, (*loc, "name"), "duplicate_name", name=name, first=names[name])
                    )
                else:
                    names[name] = i + 1
            found.extend(_words(data, item, (*loc, "prompt")))
            low, high = _number(item.get("min")), _number(item.get("max"))
            if low is not None and high is not None and low > high:
                bounds = {"low": _shown(low), "high": _shown(high)}
                found.append(_at(data, (*loc, "min"), "min_max", **bounds))
            options = item.get("options", [])
            if item.get("kind") != "choice" or not isinstance(options, list):
                continue
            if not 2 <= len(options) <= 12:
                found.append(_at(data, (*loc, "options"), "choice_options", count=len(options)))
            seen: set[str] = set()
            for n, option in enumerate(options):
                if not isinstance(option, str):
                    continue  # not text: reported with its type
                where = (*loc, "options", n)
                if not option.strip():
                    found.append(_at(data, where, "empty_option", position=n + 1))
                elif _starts_with_at(option):
                    found.append(_at(data, where, "at_sign", key="options", value=_shown(option)))
                elif _same(option) in seen:
                    found.append(_at(data, where, "duplicate_option", option=_shown(option)))
                seen.add(_same(option))
    return found


def resolve_form(name: str, plan_forms: dict[str, Any], quota: Quota) -> FormSpec:
    """The form a task asks for: a preset, or one its plan defines; quota bounds applied."""
    if name in plan_forms:
        return custom_form(name, plan_forms[name]).with_quota(quota)
    return PRESETS.get(name, PROGRESS).with_quota(quota)
