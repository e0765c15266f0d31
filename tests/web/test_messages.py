"""Sending, rendering, paging, editing and deleting messages.

Unknown ids (404) on every route are covered by the walk in ``test_errors.py``."""

from __future__ import annotations

import asyncio
import uuid

from tests.web.helpers import API, EventLog, assert_error, message_count

MESSAGE_KEYS = {
    "id", "conversation_id", "author", "text", "html",
    "created_at", "edited_at", "deleted_at", "client_id", "mentions", "mention_all",
    "reply_to", "reactions", "pinned", "files", "preview",
}  # fmt: skip


def messages_url(user, channel: str = "general") -> str:
    return f"{API}/conversations/{user.channel(channel)}/messages"


# --- send -----------------------------------------------------------------------------------


async def test_send_returns_201_with_the_documented_message_shape(users):
    alice = await users("alice", display_name="Alice A.")
    client_id = uuid.uuid4().hex
    response = await alice.post(
        messages_url(alice), json={"text": "hi *there*", "client_id": client_id}
    )
    assert response.status_code == 201, response.text
    message = response.json()["message"]
    assert set(message) == MESSAGE_KEYS
    assert isinstance(message["id"], int)
    assert message["conversation_id"] == alice.channel("general")
    assert message["author"] == {
        "id": alice.id,
        "username": "alice",
        "display_name": "Alice A.",
        "color": None,
        "avatar_url": None,
    }
    assert message["text"] == "hi *there*"
    assert message["html"] == "<p>hi <em>there</em></p>"
    assert message["created_at"] == "2026-01-01T12:00:00.000Z"  # the FakeClock's time
    assert message["edited_at"] is None
    assert message["deleted_at"] is None
    assert message["client_id"] == client_id
    # History shows the same object.
    assert (await alice.history("general"))["messages"] == [message]


async def test_send_writes_exactly_one_message_created_event(users, app):
    alice = await users("alice")
    log = await EventLog.begin(app)
    message = await alice.send("general", "hello")
    (event,) = await log.new()
    assert (event.type, event.conversation_id) == ("message.created", alice.channel("general"))
    assert event.data == message


async def test_send_without_client_id_is_allowed_and_never_deduplicated(users):
    alice = await users("alice")
    first = await alice.post(messages_url(alice), json={"text": "no id"})
    second = await alice.post(messages_url(alice), json={"text": "no id"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["message"]["client_id"] is None
    assert first.json()["message"]["id"] != second.json()["message"]["id"]


async def test_retry_with_the_same_client_id_returns_the_original(users, app):
    alice = await users("alice")
    client_id = uuid.uuid4().hex
    first = await alice.send("general", "once", client_id=client_id)
    log = await EventLog.begin(app)
    retry = await alice.post(messages_url(alice), json={"text": "once", "client_id": client_id})
    assert retry.status_code == 200, retry.text
    assert retry.json()["message"] == first
    # Even a retry with a different body is the same message, not a new one.
    other_text = await alice.post(
        messages_url(alice), json={"text": "twice", "client_id": client_id}
    )
    assert other_text.status_code == 200
    assert other_text.json()["message"]["id"] == first["id"]
    assert [m["id"] for m in (await alice.history("general"))["messages"]] == [first["id"]]
    assert await log.new() == []


async def test_client_id_reused_in_another_conversation_is_409(users, app):
    alice = await users("alice")
    client_id = uuid.uuid4().hex
    await alice.send("general", "here", client_id=client_id)
    log = await EventLog.begin(app)
    response = await alice.post(
        messages_url(alice, "random"), json={"text": "there", "client_id": client_id}
    )
    assert_error(response, 409, "client_id_reused")
    assert (await alice.history("random"))["messages"] == []
    assert await log.new() == []


async def test_concurrent_retries_of_one_client_id_make_one_message(users, app):
    alice = await users("alice")
    client_id = uuid.uuid4().hex
    log = await EventLog.begin(app)
    responses = await asyncio.gather(
        *(
            alice.post(messages_url(alice), json={"text": "once", "client_id": client_id})
            for _ in range(6)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert len({r.json()["message"]["id"] for r in responses}) == 1
    assert len((await alice.history("general"))["messages"]) == 1
    assert await log.types() == ["message.created"]


async def test_concurrent_sends_each_get_their_own_outcome(users, app):
    alice = await users("alice")
    bob = await users("bob")
    general, random = alice.channel("general"), alice.channel("random")
    assert (await bob.delete(f"{API}/conversations/{random}/members/{bob.id}")).status_code == 204
    reused = uuid.uuid4().hex
    log = await EventLog.begin(app)
    attempts = [
        (alice, general, {"text": "a1"}, 201, None),
        (bob, random, {"text": "not a member"}, 403, "not_a_member"),
        (alice, 999999, {"text": "nowhere"}, 404, "not_found"),
        (bob, general, {"text": "b1", "client_id": reused}, 201, None),
        (alice, random, {"text": "a2", "client_id": reused}, 201, None),
        (bob, general, {"text": "b3"}, 201, None),
    ]
    responses = await asyncio.gather(
        *(
            user.post(f"{API}/conversations/{conversation}/messages", json=body)
            for user, conversation, body, _, _ in attempts
        )
    )
    created = []
    for (user, conversation, body, status, code), response in zip(attempts, responses, strict=True):
        if code is None:
            assert response.status_code == status, (body, response.text)
            message = response.json()["message"]
            assert (message["text"], message["author"]["id"]) == (body["text"], user.id)
            assert message["conversation_id"] == conversation
            created.append(message)
        else:
            assert_error(response, status, code)
    events = await log.new()
    assert sorted(e.data["id"] for e in events) == sorted(m["id"] for m in created)
    assert {e.type for e in events} == {"message.created"}
    assert [e.data["id"] for e in events] == sorted(e.data["id"] for e in events)


async def test_client_ids_are_scoped_to_their_author(users):
    alice = await users("alice")
    bob = await users("bob")
    client_id = uuid.uuid4().hex
    mine = await alice.send("general", "alice's", client_id=client_id)
    theirs = await bob.send("general", "bob's", client_id=client_id)
    assert mine["id"] != theirs["id"]
    assert theirs["author"]["id"] == bob.id


async def test_empty_whitespace_and_oversized_texts_are_422(users, app):
    alice = await users("alice")
    log = await EventLog.begin(app)
    for text in ("", " ", "   \n\t  ", "x" * 10_001):
        error = assert_error(
            await alice.post(messages_url(alice), json={"text": text}), 422, "validation_error"
        )
        assert "text" in error["fields"], repr(text[:20])
    assert await message_count(app) == 0
    assert await log.new() == []


async def test_a_text_of_exactly_10000_characters_is_accepted(users):
    alice = await users("alice")
    message = await alice.send("general", "y" * 10_000)
    assert len(message["text"]) == 10_000


async def test_bad_client_ids_are_422(users):
    alice = await users("alice")
    for client_id in ("", "has space", "x" * 65, "<script>"):
        response = await alice.post(messages_url(alice), json={"text": "t", "client_id": client_id})
        assert_error(response, 422, "validation_error")


# --- rendering ------------------------------------------------------------------------------


async def test_markdown_is_rendered(users):
    alice = await users("alice")
    message = await alice.send("general", "**bold** _it_ `code` ~~gone~~")
    html = message["html"]
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<code>code</code>" in html
    assert "<s>gone</s>" in html or "<del>gone</del>" in html
    # Links, written or bare, open in a new tab and leak no referrer.
    for text in ("[site](https://example.com/a)", "see https://example.com/a now"):
        html = (await alice.send("general", text))["html"]
        assert '<a href="https://example.com/a"' in html, html
        assert 'rel="noopener noreferrer"' in html, html
        assert 'target="_blank"' in html, html


async def test_raw_html_is_escaped_not_executed(users):
    alice = await users("alice")
    message = await alice.send("general", "<script>alert(1)</script> <img src=x onerror=alert(2)>")
    assert message["text"] == "<script>alert(1)</script> <img src=x onerror=alert(2)>"
    html = message["html"]
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


async def test_javascript_links_are_not_links(users):
    alice = await users("alice")
    for text in (
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
    ):
        html = (await alice.send("general", text))["html"]
        assert "<a" not in html, html


# --- history --------------------------------------------------------------------------------


async def seed(user, count: int, channel: str = "general") -> list[int]:
    return [(await user.send(channel, f"message {i}"))["id"] for i in range(count)]


async def test_history_pages_backwards_and_forwards_by_keyset(users):
    alice = await users("alice")
    ids = await seed(alice, 120)
    await alice.send("random", "elsewhere")  # never in general's pages
    assert ids == sorted(ids)

    # No cursor: the newest page, oldest first.
    newest = await alice.history("general")
    assert [m["id"] for m in newest["messages"]] == ids[-50:]
    assert newest["has_more"] is True

    # before: walk back to the start.
    seen = [m["id"] for m in newest["messages"]]
    cursor = seen[0]
    pages = []
    while True:
        page = await alice.history("general", before=cursor)
        pages.append((len(page["messages"]), page["has_more"]))
        seen = [m["id"] for m in page["messages"]] + seen
        if not page["has_more"]:
            break
        cursor = page["messages"][0]["id"]
    assert pages == [(50, True), (20, False)]
    assert seen == ids

    # after: walk forward to the end.
    seen, cursor, pages = [], 0, []
    while True:
        page = await alice.history("general", after=cursor, limit=45)
        pages.append((len(page["messages"]), page["has_more"]))
        seen += [m["id"] for m in page["messages"]]
        if not page["has_more"]:
            break
        cursor = page["messages"][-1]["id"]
    assert pages == [(45, True), (45, True), (30, False)]
    assert seen == ids


async def test_history_edges_are_empty_without_more(users):
    alice = await users("alice")
    assert await alice.history("general") == {"messages": [], "has_more": False}
    ids = await seed(alice, 5)
    assert await alice.history("general", before=ids[0]) == {"messages": [], "has_more": False}
    assert await alice.history("general", after=ids[-1]) == {"messages": [], "has_more": False}
    exact = await alice.history("general", limit=5)
    assert ([m["id"] for m in exact["messages"]], exact["has_more"]) == (ids, False)
    short = await alice.history("general", limit=4)
    assert ([m["id"] for m in short["messages"]], short["has_more"]) == (ids[1:], True)
    window = await alice.history("general", after=ids[0], before=ids[4])
    assert [m["id"] for m in window["messages"]] == ids[1:4]


async def test_history_parameters_are_validated(users):
    alice = await users("alice")
    url = messages_url(alice)
    for params in (
        {"limit": 201},
        {"limit": 0},
        {"limit": "ten"},
        {"before": "abc"},
        {"after": "abc"},
        {"before": -1},
        {"after": "1.5"},
        {"before": 2**64},
    ):
        error = assert_error(await alice.get(url, params=params), 422, "validation_error")
        assert set(error["fields"]) == set(params), (params, error)
    assert (await alice.get(url, params={"limit": 200})).status_code == 200


# --- edit and delete ------------------------------------------------------------------------


async def test_edit_own_message(users, clock, app):
    alice = await users("alice")
    message = await alice.send("general", "frist")
    clock.advance(90)
    log = await EventLog.begin(app)
    response = await alice.patch(f"{API}/messages/{message['id']}", json={"text": "**first**"})
    assert response.status_code == 200, response.text
    edited = response.json()["message"]
    assert set(edited) == MESSAGE_KEYS
    assert edited["id"] == message["id"]
    assert edited["text"] == "**first**"
    assert edited["html"] == "<p><strong>first</strong></p>"
    assert edited["created_at"] == message["created_at"]
    assert edited["edited_at"] == "2026-01-01T12:01:30.000Z"
    assert (await alice.history("general"))["messages"] == [edited]
    events = await log.new()
    assert [(e.type, e.conversation_id) for e in events] == [
        ("message.updated", alice.channel("general"))
    ]
    assert events[0].data["text"] == "**first**"


async def test_edit_validates_the_text(users):
    alice = await users("alice")
    message = await alice.send("general", "fine")
    url = f"{API}/messages/{message['id']}"
    for text in ("", "  ", "z" * 10_001):
        assert_error(await alice.patch(url, json={"text": text}), 422, "validation_error")
    assert (await alice.get(url)).json()["message"]["text"] == "fine"


async def test_nobody_edits_someone_elses_message_not_even_an_admin(users, app):
    alice = await users("alice")  # first account: admin
    bob = await users("bob")
    mine = await alice.send("general", "alice's words")
    theirs = await bob.send("general", "bob's words")
    log = await EventLog.begin(app)
    for editor, message in ((bob, mine), (alice, theirs)):
        response = await editor.patch(f"{API}/messages/{message['id']}", json={"text": "mine now"})
        assert_error(response, 403, "forbidden")
        current = (await editor.get(f"{API}/messages/{message['id']}")).json()["message"]
        assert current == message
    assert await log.new() == []


async def test_delete_own_message_leaves_a_tombstone(users, clock, app):
    alice = await users("alice")
    bob = await users("bob")
    message = await alice.send("general", "oops")
    clock.advance(5)
    log = await EventLog.begin(app)
    response = await alice.delete(f"{API}/messages/{message['id']}")
    assert response.status_code == 204
    assert response.content == b""
    (tombstone,) = (await bob.history("general"))["messages"]
    assert tombstone["id"] == message["id"]
    assert tombstone["deleted_at"] == "2026-01-01T12:00:05.000Z"
    assert tombstone["text"] == ""
    assert tombstone["html"] == ""
    assert tombstone["author"]["id"] == alice.id
    events = await log.new()
    assert [(e.type, e.conversation_id) for e in events] == [
        ("message.deleted", alice.channel("general"))
    ]
    assert events[0].data == {"id": message["id"], "conversation_id": alice.channel("general")}


async def test_a_deleted_message_can_be_neither_edited_nor_deleted(users, app):
    alice = await users("alice")
    message = await alice.send("general", "gone soon")
    url = f"{API}/messages/{message['id']}"
    assert (await alice.delete(url)).status_code == 204
    log = await EventLog.begin(app)
    assert_error(await alice.patch(url, json={"text": "back"}), 404, "not_found")
    assert_error(await alice.delete(url), 404, "not_found")
    assert await log.new() == []


async def test_members_cannot_delete_others_messages(users, app):
    alice = await users("alice")
    bob = await users("bob")
    message = await alice.send("general", "alice's")
    log = await EventLog.begin(app)
    assert_error(await bob.delete(f"{API}/messages/{message['id']}"), 403, "forbidden")
    assert (await bob.get(f"{API}/messages/{message['id']}")).json()["message"] == message
    assert await log.new() == []


async def test_an_admin_can_delete_others_messages(users, app):
    alice = await users("alice")  # first account: admin
    bob = await users("bob")
    message = await bob.send("general", "spam")
    log = await EventLog.begin(app)
    assert (await alice.delete(f"{API}/messages/{message['id']}")).status_code == 204
    tombstone = (await bob.get(f"{API}/messages/{message['id']}")).json()["message"]
    assert tombstone["deleted_at"] is not None
    assert tombstone["text"] == ""
    assert await log.types() == ["message.deleted"]
