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

from bot.cli_common import fail, print_json, settings_or_exit, with_services
from bot.exports import VIEWS, ExportKind, export, letterhead_of
from bot.exports.docx import copy_template
from bot.services import Services

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout for scripts.")]
CSV_DEFAULT_VIEW = "answers"


def _kind_of(out: Path, kind: str | None) -> tuple[ExportKind, str | None]:
    """The export a file name asks for: (kind, view for a single CSV)."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        if kind is not None:
            raise typer.BadParameter("--kind is for .docx and .csv files", param_hint="--kind")
        return ExportKind.XLSX, None
    if suffix == ".docx":
        if kind not in (None, "report", "nominations"):
            raise typer.BadParameter("report or nominations", param_hint="--kind")
        return ExportKind(kind or "report"), None
    if suffix == ".csv":
        view = kind or CSV_DEFAULT_VIEW
        if view not in VIEWS:
            raise typer.BadParameter(f"one of {', '.join(VIEWS)}", param_hint="--kind")
        return ExportKind.CSV, view
    if suffix == ".zip":
        if kind is not None:
            raise typer.BadParameter("a .zip holds every view", param_hint="--kind")
        return ExportKind.CSV, None
    raise typer.BadParameter("must end in .xlsx, .docx, .csv or .zip", param_hint="--out")


def export_command(
    plan: Annotated[str, typer.Option("--plan", help="The plan's number (or id).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The file to write: .xlsx (every view), .docx (Word), .csv (one view),"
            " .zip (every view as CSV).",
            dir_okay=False,
        ),
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="For .docx: report (default) or nominations. For .csv: the view, one of"
            f" {', '.join(VIEWS)} (default {CSV_DEFAULT_VIEW}).",
        ),
    ] = None,
    template: Annotated[
        bool,
        typer.Option(
            "--template",
            help="With .docx: write the Word template itself, to edit and put in"
            " DATA_DIR/templates/ (where it replaces the shipped one).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Export a plan: Excel workbook, Word report or nomination list, CSV."""
    settings = settings_or_exit()
    export_kind, view = _kind_of(out, kind)
    templates = settings.data_dir / "templates"
    if template:
        if out.suffix.lower() != ".docx":
            raise typer.BadParameter("--template writes a .docx", param_hint="--out")
        source = copy_template(export_kind.value, out, templates)
        typer.echo(f"Wrote the template {out} (from {source}).")
        return

    async def go(services: Services) -> dict[str, Any]:
        found = await services.repos.plans.find(plan)
        if found is None:
            fail(f"No plan {plan!r}: `dondoc plan list` shows them.")
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

    result = with_services(settings, go)
    if as_json:
        print_json(result)
    else:
        typer.echo(f"Wrote {result['path']}: {result['rows']} row(s) in {result['seconds']} s.")


def register(app: typer.Typer) -> None:
    """Mount `dondoc export` on the main command line."""
    app.command("export")(export_command)
