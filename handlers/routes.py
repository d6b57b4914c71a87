"""Every command and flow, registered in one place."""

from __future__ import annotations

from bot.services import Services
from handlers import common, plans, registration, tasks
from handlers.router import Router


def build_router(services: Services) -> Router:
    router = Router(services)
    router.command("start", registration.start, public=True)
    router.command("help", common.help_, public=True)
    router.command("huy", common.cancel, public=True)
    router.command("viec", tasks.my_tasks)
    router.choice("task", tasks.details)
    router.command("kehoach", plans.list_plans, roles=plans.STAFF)
    router.choice("pub", plans.ask_publish)
    router.flow(plans.FLOW, plans.step)
    router.flow(registration.FLOW, registration.step)
    router.unregistered(common.unregistered)
    router.idle(common.idle)
    return router
