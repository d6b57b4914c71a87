"""Every command and flow, registered in one place."""

from __future__ import annotations

from bot.domain import Role
from bot.services import Services
from handlers import (
    broadcast,
    common,
    exports,
    forms,
    link,
    plans,
    registration,
    report,
    review,
    status,
    tasks,
)
from handlers.router import Router

# who answers for a unit; the others are told where to look instead
UNIT = (Role.SECRETARY, Role.DEPUTY)


def build_router(services: Services) -> Router:
    router = Router(services)
    router.command("start", registration.start, public=True)
    router.command("help", common.help_, public=True)
    router.command("huy", common.cancel, public=True)
    router.command("viec", tasks.my_tasks, roles=UNIT, refusal="tasks.not_for_role")
    router.choice("task", tasks.details)
    router.command(
        "baocao", report.command, roles=UNIT, keeps_flow=False, refusal="report.not_for_role"
    )
    router.command("tieptuc", router.resume, public=True, keeps_flow=False)
    router.command(link.COMMAND, link.command, public=True)
    router.choice("rep", report.button)
    router.choice("ans", report.answer_action)
    router.flow(forms.FLOW, report.step, resume=report.resume)
    router.command("duyet", review.command, roles=review.STAFF)
    router.choice("rv", review.button)
    router.flow(review.FLOW, review.step, resume=review.resume)
    router.command("tinhhinh", status.overview, roles=status.VIEWERS)
    router.command("chuabaocao", status.late, roles=status.VIEWERS)
    router.choice("late", status.remind_now)
    # only leaders get the Monday digest (bot/reminders.py)
    router.command("bantintuan", status.weekly_toggle, roles=(Role.LEADER,))
    router.choice("wk", status.weekly_toggle)
    router.command("thongbao", broadcast.command, roles=broadcast.STAFF)
    router.flow(broadcast.FLOW, broadcast.step, resume=broadcast.resume)
    router.command("xuatbaocao", exports.command, roles=exports.STAFF)
    router.choice(exports.PREFIX, exports.button)
    router.command("kehoach", plans.list_plans, roles=plans.STAFF)
    router.choice("pub", plans.ask_publish)
    router.flow(plans.FLOW, plans.step, resume=plans.resume)
    router.flow(
        registration.FLOW,
        registration.step,
        resume=registration.resume,
        holds=registration.waiting,
        lets=("start", "huy"),
    )
    router.unregistered(common.unregistered)
    router.idle(common.idle)
    return router
