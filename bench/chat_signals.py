"""The Bot API emulator with one change for benchmarks with many people waiting at once.

In the emulator, a control-API reader waiting for a person's messages (GET .../messages with
min_count) wakes on every change of the bot's account (`BotAccount.changed`): with 200 people
waiting, each message the bot sends to anyone wakes all 200 readers, each re-arming its timeout
and listing its chat. In bench/answers_throughput.py that was about 580 wake-ups per press and
most of the emulator's CPU, which then answered the bot's own calls late: the benchmark measured
the emulator, not the bot. Here a reader waits on a signal of its own chat, fired when a message
is added to that chat; once it is there the emulator's own handler answers as usual (its wait
then returns at once). Nothing else changes.

(The same change in bot/sandbox/world.py, a Signal per chat, would serve the tests too.)"""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.telegram_emulator import LogQuery, TelegramBot, TelegramEmulator
from bot.sandbox.world import Chat, ChatMessage, Signal, wait_until


class ChatSignalEmulator(TelegramEmulator):
    def __init__(self) -> None:
        super().__init__()
        self._chat_signals: dict[int, Signal] = {}
        self._hooked: set[int] = set()

    def _signal(self, chat_id: int) -> Signal:
        return self._chat_signals.setdefault(chat_id, Signal())

    def bot(self, token: str) -> TelegramBot | None:
        bot = super().bot(token)
        if bot is not None and id(bot.account) not in self._hooked:
            self._hooked.add(id(bot.account))
            account = bot.account
            add_message = account.add_message

            def add_and_signal(chat: Chat, message: ChatMessage) -> ChatMessage:
                added = add_message(chat, message)
                signal = self._chat_signals.get(chat.id)
                if signal is not None:
                    signal.fire()
                return added

            account.add_message = add_and_signal  # type: ignore[method-assign]
        return bot

    async def _ctl_bot_messages(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        user_id = self._user_id(request)
        query = LogQuery.from_request(request)

        def enough() -> bool:
            chat = bot.account.chat(user_id)
            count = len(chat.bot_messages()) if chat is not None else 0
            return self._stopping or count - query.since >= query.min_count

        await wait_until(self._signal(user_id), enough, query.timeout)
        return await super()._ctl_bot_messages(request)
