"""`dondoc plan`: import a plan file (YAML or Excel) as a draft, show it, list plans, publish one,
and write the Excel template offices start from.

Settings are read first (a wrong setting prints one line and exits 2), as in bot/cli.py. With
--json, stdout holds one JSON document (dates in ISO form) and nothing else. Every sentence printed
comes from messages/vi/plan_file.j2 (`extract`, which drafts a plan file from the plan's document
and needs settings only with --units: messages/vi/extract.j2)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import jinja2
import typer

from bot.cli_common import (
    JsonOption,
    fail,
    help_text,
    print_json,
    settings_or_exit,
    text,
    texts_for,
    with_services,
)
from bot.domain import Audience, Plan, Quota, Repeat, Task, Unit
from bot.plan_file import ImportResult, PlanFileError, import_plan_file, write_xlsx_template
from bot.services import Services
from bot.settings import Settings
from messages import Texts, plain, vn_date, vn_datetime
from storage.plans import audience_to_json

T = TypeVar("T")

plan_app = typer.Typer(help=help_text("plan"), no_args_is_help=True)

PlanArgument = Annotated[
    str, typer.Argument(metavar=help_text("metavar_plan"), help=help_text("plan_argument"))
]


# ---------------------------------------------------------------------------------------------
# Plumbing


def _say(texts: Texts, key: str, /, *, err: bool = False, **values: Any) -> None:
    typer.echo(plain(texts(key, **values)), err=err)


# ---------------------------------------------------------------------------------------------
# Plans as JSON and as text


def plan_json(plan: Plan, task_count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": plan.id,
        "number": plan.number,
        "title": plan.title,
        "issued": plan.issued.isoformat() if plan.issued else None,
        "issuer": plan.issuer,
        "status": plan.status.value,
        "revision": plan.revision,
        "published_at": plan.published_at.isoformat() if plan.published_at else None,
        "policy": _policy_json(plan.policy),
    }
    if task_count is not None:
        data["tasks"] = task_count
    return data


def _policy_json(policy: Any) -> dict[str, Any] | None:
    if policy is None:
        return None
    return {
        "before": list(policy.before),
        "after_every": policy.after_every,
        "after_times": policy.after_times,
        "escalate": policy.escalate,
    }


def task_json(task: Task, units: Mapping[int, Unit]) -> dict[str, Any]:
    lead = units.get(task.lead_unit_id) if task.lead_unit_id is not None else None
    return {
        "id": task.id,
        "ref": task.ref,
        "position": task.position,
        "title": task.title,
        "details": task.details,
        "start": task.start.isoformat() if task.start else None,
        "due": task.due.isoformat() if task.due else None,
        "when_words": task.when_words,
        "repeat": task.repeat.value,
        "audience": json.loads(audience_to_json(task.audience)),
        "lead": lead.code if lead else None,
        "support": list(task.support),
        "form": task.form,
        "quota": {
            "per_unit_min": task.quota.per_unit_min,
            "per_unit_max": task.quota.per_unit_max,
            "total": task.quota.total,
        },
        "policy": _policy_json(task.policy),
    }


def window_text(texts: Texts, task: Task) -> str:
    """The plan's own words, else the dates as 20/4/2024."""
    return texts(
        "plan_file.window",
        words=task.when_words,
        start=vn_date(task.start) if task.start else "",
        due=vn_date(task.due) if task.due else "",
    )


def audience_text(texts: Texts, audience: Audience) -> str:
    if audience.all:
        return texts("plan_file.audience_all")
    if audience.kinds:
        return ", ".join(texts("plan_file.kind", value=k.value) for k in audience.kinds)
    return ", ".join(audience.units)


def quota_text(texts: Texts, quota: Quota) -> str:
    if quota == Quota():
        return ""
    return texts(
        "plan_file.quota",
        low=quota.per_unit_min or "",
        high=quota.per_unit_max or "",
        total=quota.total or "",
    )


def _task_lines(texts: Texts, tasks: Sequence[Task], units: Mapping[int, Unit]) -> list[str]:
    lines = []
    for task in tasks:
        lead = units.get(task.lead_unit_id) if task.lead_unit_id is not None else None
        lines.append(
            texts(
                "plan_file.task_line",
                ref=task.ref,
                title=task.title,
                window=window_text(texts, task),
                repeat=""
                if task.repeat is Repeat.NONE
                else texts("plan_file.repeat", value=task.repeat.value),
                audience=audience_text(texts, task.audience),
                lead=lead.code if lead else "",
                form=texts("plan_file.form", value=task.form),
                quota=quota_text(texts, task.quota),
            )
        )
    return lines


def _header(texts: Texts, plan: Plan, settings: Settings) -> str:
    return texts(
        "plan_file.plan_header",
        number=plan.number,
        title=plan.title,
        issued=vn_date(plan.issued) if plan.issued else "",
        issuer=plan.issuer,
        status=texts("plan_file.status", value=plan.status.value),
        revision=plan.revision,
        published=vn_datetime(plan.published_at, settings.tz) if plan.published_at else "",
    )


async def _plan_and_tasks(
    services: Services, plan: Plan
) -> tuple[Plan, list[Task], dict[int, Unit]]:
    tasks = await services.repos.plans.tasks(plan.id)
    units = {u.id: u for u in await services.repos.units.all()}
    return plan, tasks, units


# ---------------------------------------------------------------------------------------------
# Commands


@plan_app.command("import", help=help_text("plan_import"))
def plan_import(
    file: Annotated[
        Path, typer.Argument(metavar=help_text("metavar_file"), help=help_text("plan_import_file"))
    ],
    as_json: JsonOption = False,
    amend: Annotated[bool, typer.Option("--amend", help=help_text("plan_import_amend"))] = False,
) -> None:
    """Check a plan file as a whole and save it as a draft (all or nothing)."""
    settings = settings_or_exit()
    texts = texts_for(settings)

    async def body(services: Services) -> tuple[ImportResult, list[Task], dict[int, Unit]]:
        result = await import_plan_file(services, file, amend=amend)
        _, tasks, units = await _plan_and_tasks(services, result.plan)
        return result, tasks, units

    try:
        result, tasks, units = with_services(settings, body)
    except PlanFileError as rejected:
        if as_json:
            print_json({"ok": False, "errors": [e.as_dict() for e in rejected.errors]})
        else:
            _say(
                texts,
                "plan_file.import_failed",
                err=True,
                file=file.name,
                count=len(rejected.errors),
            )
            for error in rejected.errors:
                typer.echo(f"  {error}", err=True)
        raise typer.Exit(1) from None
    plan = result.plan
    if as_json:
        data: dict[str, Any] = {
            "plan": plan_json(plan, len(tasks)),
            "tasks": [task_json(t, units) for t in tasks],
        }
        if result.amendment is not None:
            data["amendment"] = {
                "added": list(result.amendment.added),
                "moved": list(result.amendment.moved),
                "changed": list(result.amendment.changed),
                "cancelled": list(result.amendment.cancelled),
                "messages": result.amendment.messages,
            }
        print_json(data)
        return
    if result.amendment is not None:
        change = result.amendment
        if not (change.added or change.moved or change.changed or change.cancelled):
            _say(texts, "plan_file.unchanged", number=plan.number)
            return
        _say(
            texts,
            "plan_file.amended",
            number=plan.number,
            revision=plan.revision,
            added=len(change.added),
            moved=len(change.moved),
            changed=len(change.changed),
            cancelled=len(change.cancelled),
            messages=change.messages,
        )
        return
    _say(texts, "plan_file.imported", number=plan.number, title=plan.title, tasks=len(tasks))


@plan_app.command("show", help=help_text("plan_show"))
def plan_show(plan_key: PlanArgument, as_json: JsonOption = False) -> None:
    """A plan's header and its tasks in order: window, repeat, audience, lead, form, quota."""
    settings = settings_or_exit()
    texts = texts_for(settings)

    async def body(services: Services) -> tuple[Plan, list[Task], dict[int, Unit]] | None:
        plan = await services.repos.plans.find(plan_key.strip())
        return None if plan is None else await _plan_and_tasks(services, plan)

    found = with_services(settings, body)
    if found is None:
        fail(plain(texts("plan_file.not_found", key=plan_key)))
    plan, tasks, units = found
    if as_json:
        print_json(
            {"plan": plan_json(plan, len(tasks)), "tasks": [task_json(t, units) for t in tasks]}
        )
        return
    typer.echo(plain(_header(texts, plan, settings)))
    for line in _task_lines(texts, tasks, units):
        typer.echo("")
        typer.echo(plain(line))


@plan_app.command("list", help=help_text("plan_list"))
def plan_list(as_json: JsonOption = False) -> None:
    """Every plan: number, title, status, how many tasks, when it was published."""
    settings = settings_or_exit()
    texts = texts_for(settings)

    async def body(services: Services) -> list[tuple[Plan, int]]:
        plans = await services.repos.plans.all()
        return [(p, len(await services.repos.plans.tasks(p.id))) for p in plans]

    plans = with_services(settings, body)
    if as_json:
        print_json([plan_json(p, count) for p, count in plans])
        return
    if not plans:
        _say(texts, "plan_file.no_plans")
        return
    _say(texts, "plan_file.list_heading")
    for plan, count in plans:
        _say(
            texts,
            "plan_file.list_line",
            number=plan.number,
            title=plan.title,
            status=texts("plan_file.status", value=plan.status.value),
            tasks=count,
            published=vn_datetime(plan.published_at, settings.tz) if plan.published_at else "",
        )


@plan_app.command("publish", help=help_text("plan_publish"))
def plan_publish(plan_key: PlanArgument) -> None:
    """Publish a draft: each unit owes its deadlines and its secretary gets the tasks."""
    settings = settings_or_exit()
    texts = texts_for(settings)

    async def body(services: Services) -> str:
        from bot import publishing

        plan = await services.repos.plans.find(plan_key.strip())
        if plan is None:
            fail(plain(texts("plan_file.not_found", key=plan_key)))
        try:
            summary = await publishing.publish(services, plan)
        except publishing.PublishError as exc:
            fail(
                plain(
                    texts(
                        "plan_file.publish_refused",
                        number=plan.number,
                        reason=_publish_reason(texts, exc.reason),
                    )
                )
            )
        return texts(
            "plan_file.published",
            number=plan.number,
            units=summary.units,
            deadlines=summary.deadlines,
            messages=summary.messages,
        )

    typer.echo(plain(with_services(settings, body)))


def _publish_reason(texts: Texts, reason: str) -> str:
    """The publishing service's reason (a key of messages/vi/publish.j2), as a sentence."""
    try:
        return texts(f"publish.{reason}")
    except (KeyError, jinja2.TemplateNotFound):  # no such message: show the key itself
        return reason


@plan_app.command("template", help=help_text("plan_template"))
def plan_template(
    out: Annotated[
        Path,
        typer.Option(
            "--out", metavar=help_text("metavar_xlsx"), help=help_text("plan_template_out")
        ),
    ],
) -> None:
    """Write an empty Excel plan (sheets "tasks" and "plan") for an office to fill in."""
    settings = settings_or_exit()
    if out.suffix.lower() != ".xlsx":
        raise typer.BadParameter(text("cli.must_end_in", suffixes=".xlsx"), param_hint="--out")
    texts = texts_for(settings)
    try:
        write_xlsx_template(out, texts)
    except OSError as exc:
        fail(text("cli.cannot_write", path=out, problem=exc))
    _say(texts, "plan_file.template_written", path=str(out))


@plan_app.command("extract", help=help_text("plan_extract"))
def plan_extract(
    file: Annotated[
        Path, typer.Argument(metavar=help_text("metavar_file"), help=help_text("plan_extract_file"))
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar=help_text("metavar_draft"), help=help_text("plan_extract_out")
        ),
    ] = None,
    as_json: JsonOption = False,
    units: Annotated[bool, typer.Option("--units", help=help_text("plan_extract_units"))] = False,
) -> None:
    """Draft a plan file from the plan's own document: its activities, windows, units in
    charge and quotas, to review and then `dondoc plan import`. Offline; nothing is saved."""
    from bot.extract import DocumentError, extract, read_lines
    from bot.extract.draft import draft_json, draft_yaml, warning_text

    settings = settings_or_exit() if units else None
    texts = texts_for(settings) if settings is not None else Texts("vi")
    try:
        lines = read_lines(file)
    except DocumentError as exc:
        fail(plain(texts(f"extract.{exc.code}", **exc.values)))
    known: list[Unit] | None = None
    if settings is not None:

        async def body(services: Services) -> list[Unit]:
            return await services.repos.units.all()

        known = with_services(settings, body)
    draft = extract(lines, source=file.name, units=known)
    yaml_text = draft_yaml(draft, texts)
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(yaml_text, encoding="utf-8")
        except OSError as exc:
            fail(text("cli.cannot_write", path=out, problem=exc))
    if as_json:
        print_json(draft_json(draft, texts))
        return
    warnings = [plain(warning_text(texts, w)) for w in draft.warnings]
    if out is None:
        typer.echo(yaml_text, nl=False)
        for line in warnings:
            _say(texts, "extract.warning_line", err=True, message=line)
        return
    _say(
        texts,
        "extract.written",
        path=str(out),
        count=len(draft.activities),
        dated=sum(1 for a in draft.activities if a.dated),
        warnings=len(warnings),
    )
    for line in warnings:
        _say(texts, "extract.warning_line", message=line)
