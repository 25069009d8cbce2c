"""Who sees and acts on a chat of Support: admin Ada, lead Lena, Support's Anna — not Piotr of
Returns (the chat is reported missing to him)."""

import pytest

from zabota.chat import access
from zabota.chat.actions import check_accept
from zabota.chat.errors import ChatError
from zabota.chat.tests.chat_world import chat_settings, new_visitor, reload, start


@pytest.fixture
def conversation(world):
    return start(new_visitor(chat_settings(world))[0])


@pytest.mark.parametrize(
    ("persona", "sees", "accepts"),
    [("ada", True, True), ("lena", True, True), ("anna", True, True), ("piotr", False, False)],
)
def test_queued_chat_per_role(world, conversation, persona, sees, accepts):
    user = getattr(world, persona)
    assert access.can_see_conversation(user, conversation) is sees
    assert access.can_accept(user, conversation) is accepts
    # Nobody but the holding agent writes, transfers … a waiting chat except leads and admins.
    assert access.can_post(user, conversation) is False
    assert access.can_transfer(user, conversation) is (persona in ("ada", "lena"))
    assert access.can_end(user, conversation) is (persona in ("ada", "lena"))
    assert access.can_block(user, conversation) is (persona in ("ada", "lena"))
    if not sees:
        with pytest.raises(ChatError):
            access.access_conversation_by_id(user, conversation.pk)
    else:
        assert access.access_conversation_by_id(user, conversation.pk) == conversation


def test_holding_agent_acts_and_sees_after_transfer(world, conversation):
    check_accept(conversation, actor=world.anna)
    held = reload(conversation)
    assert access.can_post(world.anna, held)
    assert access.can_transfer(world.anna, held)
    assert access.can_end(world.anna, held)
    assert access.can_block(world.anna, held)
    assert not access.can_post(world.lena, held)
    # Handed to Piotr (not in Support), he sees and holds it.
    held.agent = world.piotr
    held.save()
    assert access.can_see_conversation(world.piotr, held)
    assert access.can_post(world.piotr, held)


def test_inactive_user_reaches_nothing(world, conversation):
    world.anna.is_active = False
    world.anna.save()
    assert not access.can_see_conversation(world.anna, conversation)
    assert access.served_store_ids(world.anna) == []


def test_served_stores(world, conversation):
    assert access.served_store_ids(world.anna) == [world.store.pk]
    assert access.served_store_ids(world.ada) == [world.store.pk]
