"""Replies: ``reply_to_id`` on send and the ``reply_to`` quote on every message."""

from __future__ import annotations

from tests.web.helpers import API, EventLog, assert_error, message_count


def messages_url(conversation_id: int) -> str:
    return f"{API}/conversations/{conversation_id}/messages"


async def reply(user, conversation_id: int, text: str, to: int):
    return await user.post(messages_url(conversation_id), json={"text": text, "reply_to_id": to})


async def test_a_reply_quotes_author_and_first_line_everywhere(users, app):
    alice = await users("alice", display_name="Alice A.")
    bob = await users("bob")
    general = alice.channel("general")
    original = await alice.send("general", "\n  first line  \nsecond line")
    log = await EventLog.begin(app)
    response = await reply(bob, general, "agreed", original["id"])
    assert response.status_code == 201, response.text
    sent = response.json()["message"]
    assert sent["reply_to"] == {
        "id": original["id"],
        "author": original["author"],
        "excerpt": "first line",
        "deleted": False,
    }
    (event,) = await log.new()
    assert event.data == sent  # the live event carries the quote too
    history = (await alice.history("general"))["messages"]
    assert history[-1] == sent
    assert history[0]["reply_to"] is None
    assert (await alice.get(f"{API}/messages/{sent['id']}")).json()["message"] == sent


async def test_long_first_lines_are_cut_to_an_excerpt(users):
    alice = await users("alice")
    original = await alice.send("general", "x" * 500)
    sent = (await reply(alice, alice.channel("general"), "tl;dr", original["id"])).json()
    excerpt = sent["message"]["reply_to"]["excerpt"]
    assert len(excerpt) == 140 and excerpt.endswith("…")


async def test_the_quote_of_a_deleted_original_says_deleted(users):
    alice, bob = await users("alice"), await users("bob")
    original = await alice.send("general", "regrettable")
    sent = (await reply(bob, alice.channel("general"), "oh no", original["id"])).json()
    assert (await alice.delete(f"{API}/messages/{original['id']}")).status_code == 204
    shown = (await bob.get(f"{API}/messages/{sent['message']['id']}")).json()["message"]
    assert shown["reply_to"] == {
        "id": original["id"],
        "author": None,
        "excerpt": "",
        "deleted": True,
    }


async def test_replying_to_a_missing_deleted_or_foreign_message_is_404(users, app):
    alice, bob = await users("alice"), await users("bob")
    general = alice.channel("general")
    elsewhere = await alice.send("random", "another channel")
    deleted = await alice.send("general", "gone")
    await alice.delete(f"{API}/messages/{deleted['id']}")
    private = await alice.create_private("hush")
    secret = await alice.post_to(private, "secret")
    before = await message_count(app)
    log = await EventLog.begin(app)
    for target in (999_999, elsewhere["id"], deleted["id"], secret["id"]):
        assert_error(await reply(bob, general, "re", target), 404, "reply_not_found")
    assert await message_count(app) == before
    assert await log.new() == []


async def test_editing_a_reply_keeps_its_quote(users):
    alice = await users("alice")
    original = await alice.send("general", "question?")
    sent = (await reply(alice, alice.channel("general"), "answr", original["id"])).json()
    edited = await alice.patch(f"{API}/messages/{sent['message']['id']}", json={"text": "answer"})
    assert edited.json()["message"]["reply_to"] == sent["message"]["reply_to"]


async def test_the_quote_reads_like_the_rendered_message_not_its_markdown(users):
    alice = await users("alice")
    original = await alice.send("general", "Release plan for **v1.0** :tada: &\n\nmore")
    sent = (await reply(alice, alice.channel("general"), "🚀", original["id"])).json()
    assert sent["message"]["reply_to"]["excerpt"] == "Release plan for v1.0 🎉 &"
