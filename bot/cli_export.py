"""`dondoc export`: a plan's export from the command line, as the office gets it in chat.

dondoc export --plan 185-KH/ĐUK --out tong-hop.xlsx          every view, a sheet each
dondoc export --plan 185-KH/ĐUK --out bao-cao.docx           the Word report
dondoc export --plan 185-KH/ĐUK --out ds.docx --kind nominations
dondoc export --plan 185-KH/ĐUK --out tien-do.csv --kind matrix   one view as CSV
dondoc export --plan 185-KH/ĐUK --out du-lieu.zip             every view, a CSV each
dondoc export --plan 185-KH/ĐUK --out mau.docx --template     the Word template, to edit"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_common import (
    JsonOption,
    fail,
    help_text,
    print_json,
    say,
    settings_or_exit,
    text,
    with_services,
)
from bot.exports import VIEWS, ExportKind, export, letterhead_of
from bot.exports.docx import copy_template
from bot.services import Services
from messages import vn_number

CSV_DEFAULT_VIEW = "answers"


def _kind_of(out: Path, kind: str | None) -> tuple[ExportKind, str | None]:
    """The export a file name asks for: (kind, view for a single CSV)."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        if kind is not None:
            raise typer.BadParameter(text("cli.kind_for_xlsx"), param_hint="--kind")
        return ExportKind.XLSX, None
    if suffix == ".docx":
        if kind not in (None, "report", "nominations"):
            raise typer.BadParameter(text("cli.kind_for_docx"), param_hint="--kind")
        return ExportKind(kind or "report"), None
    if suffix == ".csv":
        view = kind or CSV_DEFAULT_VIEW
        if view not in VIEWS:
            views = ", ".join(VIEWS)
            raise typer.BadParameter(text("cli.kind_for_csv", views=views), param_hint="--kind")
        return ExportKind.CSV, view
    if suffix == ".zip":
        if kind is not None:
            raise typer.BadParameter(text("cli.kind_for_zip"), param_hint="--kind")
        return ExportKind.CSV, None
    suffixes = ".xlsx, .docx, .csv, .zip"
    raise typer.BadParameter(text("cli.must_end_in", suffixes=suffixes), param_hint="--out")


def export_command(
    plan: Annotated[
        str,
        typer.Option("--plan", metavar=help_text("metavar_plan"), help=help_text("export_plan")),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar=help_text("metavar_file"),
            help=help_text("export_out"),
            dir_okay=False,
        ),
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            metavar=help_text("metavar_kind"),
            help=text("cli_help.export_kind", views=", ".join(VIEWS), default=CSV_DEFAULT_VIEW),
        ),
    ] = None,
    template: Annotated[
        bool,
        typer.Option("--template", help=help_text("export_template")),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Export a plan: Excel workbook, Word report or nomination list, CSV."""
    settings = settings_or_exit()
    export_kind, view = _kind_of(out, kind)
    templates = settings.data_dir / "templates"
    if template:
        if out.suffix.lower() != ".docx":
            raise typer.BadParameter(text("cli.template_is_docx"), param_hint="--out")
        try:
            source = copy_template(export_kind.value, out, templates)
        except OSError as exc:
            fail(text("cli.cannot_write", path=out, problem=exc))
        say("cli.template_written", path=out, source=source)
        return

    async def go(services: Services) -> dict[str, Any]:
        found = await services.repos.plans.find(plan)
        if found is None:
            fail(text("plan_file.not_found", key=plan))
        services = dataclasses.replace(services, data_dir=settings.data_dir)
        result = await export(
            services,
            found,
            out,
            export_kind,
            view=view,
            letterhead=letterhead_of(settings),
            templates=templates,
        )
        await services.repos.audit.record(
            "export",
            None,
            services.clock.now(),
            plan=found.id,
            kind=export_kind.value,
            view=view,
            rows=result.rows,
        )
        return {
            "path": str(out),
            "plan": found.number,
            "kind": export_kind.value,
            "view": view,
            "rows": result.rows,
            "seconds": round(result.seconds, 3),
        }

    try:
        result = with_services(settings, go)
    except OSError as exc:
        fail(text("cli.cannot_write", path=out, problem=exc))
    if as_json:
        print_json(result)
    else:
        seconds = vn_number(float(result["seconds"]))
        say("cli.exported", path=result["path"], count=result["rows"], seconds=seconds)


def register(app: typer.Typer) -> None:
    """Mount `dondoc export` on the main command line."""
    app.command("export", help=help_text("export"))(export_command)
