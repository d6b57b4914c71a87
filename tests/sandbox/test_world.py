"""The sandbox world's wake-ups: a reader waiting on one chat is woken by that chat only."""

from __future__ import annotations

import asyncio

from bot.sandbox.world import BotAccount, ChatMessage, Signal, User, wait_until

BOT = User(id=1_000_000_001, first_name="Bot", is_bot=True)


def account_with_chats(*user_ids: int) -> BotAccount:
    account = BotAccount(token="1000000001:x", platform="telegram", user=BOT)
    for user_id in user_ids:
        account.open_chat(User(id=user_id, first_name=f"U{user_id}"))
    return account


def bot_message(account: BotAccount, chat_id: int, text: str) -> None:
    chat = account.chats[chat_id]
    message = ChatMessage(chat.new_message_id(), chat_id, BOT.id, True, 0, text=text)
    account.add_message(chat, message)


async def test_a_signal_wakes_those_waiting_and_firing_with_nobody_waiting_does_nothing() -> None:
    signal = Signal()
    signal.fire()  # nobody waits: not remembered
    assert await signal.wait(0.01) is False
    waiting = asyncio.create_task(signal.wait(5))
    await asyncio.sleep(0)
    signal.fire()
    assert await waiting is True


async def test_a_change_of_one_chat_wakes_only_that_chats_readers() -> None:
    account = account_with_chats(1, 2)
    woken: list[int] = []

    async def reader(chat_id: int) -> None:
        if await account.chat_signal(chat_id).wait(5):
            woken.append(chat_id)

    readers = [asyncio.create_task(reader(chat_id)) for chat_id in (1, 2)]
    await asyncio.sleep(0)
    bot_message(account, 2, "cho 2")
    await asyncio.sleep(0.01)
    assert woken == [2]
    account.touch()  # a change of every chat: everyone wakes
    await asyncio.gather(*readers)
    assert woken == [2, 1]


async def test_chat_revisions_tell_whether_a_chat_changed_since_a_revision() -> None:
    account = account_with_chats(1, 2)
    seen = account.revision
    bot_message(account, 2, "cho 2")
    assert account.revision > seen
    assert account.chat_revision(1) <= seen < account.chat_revision(2)
    account.touch()
    assert account.chat_revision(1) == account.chat_revision(2) == account.revision
    assert account.chat_revision(3) == account.revision  # a chat not opened yet counts too


async def test_wait_until_on_a_chat_returns_when_its_predicate_holds() -> None:
    account = account_with_chats(1, 2)
    chat = account.chats[1]

    async def messages_later() -> None:
        bot_message(account, 2, "khác")
        await asyncio.sleep(0.01)
        bot_message(account, 1, "một")
        bot_message(account, 1, "hai")

    later = asyncio.create_task(messages_later())
    assert await wait_until(account.chat_signal(1), lambda: len(chat.messages) >= 2, 5)
    await later
    assert not await wait_until(account.chat_signal(2), lambda: len(chat.messages) >= 3, 0.02)
