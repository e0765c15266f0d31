"""Access control, one rule, walked over the whole API: public conversations are readable by
every signed-in user; private channels and DMs only by their members, server admins included.
Anything you may not read answers exactly like something that does not exist.

The world: an admin (the first account), a member, an outsider, carol and a former member; a
public channel, a private channel and a DM that the member and carol are in and the others are
not (the former member was in the private channel, and mentioned there, until removed), with
messages in each that mention people.

Data-driven like ``test_errors``: the routes come from ``app.routes``. ``READS`` says how to
judge every GET route and ``UNSAFE`` how to call every other route that takes a conversation
or message id. A new route that is not classified fails ``test_every_route_is_classified``;
once classified it is walked for every viewer and every kind of conversation (so search,
files, pins and reactions get the matrix for the price of one line each).
"""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from PIL import Image

from minimost.app import create_app
from tests.conftest import make_settings
from tests.factories import TestUser, UserFactory, give_preview
from tests.media import png
from tests.web.helpers import API, EventLog, anonymous
from tests.web.test_errors import Operation, api_operations

# Every secret text (private channel name and topic, private and DM messages) contains it;
# nothing public does, so finding it in a non-member's response is a leak.
MARK = "zqx"
NONEXISTENT = 999_999
ID_PARAMS = frozenset({"conversation_id", "message_id", "file_id"})
# Each subject's attachment is an image of its own size (what a file route must serve).
IMAGE_SIZES = {"public": (10, 10), "private": (11, 11), "dm": (12, 12)}
SUBJECTS = ("public", "private", "dm")
SECRET_SUBJECTS = ("private", "dm")
VIEWERS = ("anonymous", "outsider", "member", "admin", "former")
NON_MEMBERS = ("outsider", "admin", "former")


@dataclass
class World:
    app: FastAPI
    admin: TestUser  # alice, the first account: a server admin, in neither secret conversation
    member: TestUser  # bob, in both secret conversations
    outsider: TestUser  # oscar, in neither
    carol: TestUser  # the member's company in both; the secret mentions come from her
    former: TestUser  # dave: was in the private channel (and mentioned there), then removed
    conversations: dict[str, int]  # subject -> conversation id
    messages: dict[str, dict[str, Any]]  # subject -> a message in it that mentions the member
    secret_messages: set[int] = field(default_factory=set)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # subject -> an attachment

    @property
    def secret_conversations(self) -> set[int]:
        return {self.conversations[s] for s in SECRET_SUBJECTS}

    def user(self, viewer: str) -> TestUser:
        user: TestUser = getattr(self, viewer)
        return user

    def id_of(self, param: str, subject: str) -> int:
        if param == "conversation_id":
            return self.conversations[subject]
        if param == "file_id":
            file_id: int = self.files[subject]["id"]
            return file_id
        message_id: int = self.messages[subject]["id"]
        return message_id

    async def call(self, viewer: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if viewer == "anonymous":
            async with anonymous(self.app) as client:
                return await client.request(method, url, **kwargs)
        return await self.user(viewer).request(method, url, **kwargs)


async def build_world(app: FastAPI, users: UserFactory) -> World:
    admin = await users("alice")
    member = await users("bob")
    outsider = await users("oscar")
    carol = await users("carol")
    former = await users("dave")
    assert (await admin.get(f"{API}/me")).json()["user"]["is_admin"]
    public = admin.channel("general")
    private = await carol.create_private(f"{MARK}-hush", member, former, topic=f"{MARK} plans")
    dm = await carol.dm(member)
    world = World(app, admin, member, outsider, carol, former, {}, {})
    world.conversations = {"public": public, "private": private, "dm": dm}
    public_message = await admin.post_to(public, "hello @bob and @oscar https://public.example/")
    for subject in SECRET_SUBJECTS:
        conversation = world.conversations[subject]
        own = await member.post_to(conversation, f"{MARK} the member in {subject}")
        # oscar and alice are not members: they must not be mentioned (nor told).
        mention = await carol.post_to(
            conversation,
            f"{MARK} for @bob @dave @oscar @alice @everyone in {subject} https://{subject}.example/",
        )
        in_it = {member.id, former.id} if subject == "private" else {member.id}
        assert mention["mentions"] == sorted(in_it), mention
        world.messages[subject] = mention
        world.secret_messages |= {own["id"], mention["id"]}
    world.messages["public"] = public_message
    # Each of those messages gets a link preview with an image of its subject's size (what
    # GET /messages/{id}/preview-image must serve); secret cards carry the MARK.
    for subject, message in world.messages.items():
        title = "public card" if subject == "public" else f"{MARK} card"
        await give_preview(app, message, png(IMAGE_SIZES[subject]), title)
        fresh = await member.get(f"{API}/messages/{message['id']}")
        world.messages[subject] = fresh.json()["message"]
    for subject, sender in (("public", admin), ("private", carol), ("dm", carol)):
        name = "public.png" if subject == "public" else f"{MARK}-{subject}.png"
        uploaded = await sender.upload(name, png(IMAGE_SIZES[subject]))
        with_file = await sender.send_files(world.conversations[subject], [uploaded["id"]])
        world.files[subject] = uploaded
        if subject in SECRET_SUBJECTS:
            world.secret_messages.add(with_file["id"])
    # dave was mentioned while a member; now he may no longer read any of it.
    removed = await carol.delete(f"{API}/conversations/{private}/members/{former.id}")
    assert removed.status_code == 204, removed.text
    return world


def nodes(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from nodes(item)


def leaks(world: World, response: httpx.Response) -> list[str]:
    """What a non-member's successful response gives away about the secret conversations."""
    found = []
    if MARK in response.text:
        found.append(f"secret text {MARK!r}")
    for node in nodes(response.json()):
        if not isinstance(node, dict):
            continue
        if node.get("conversation_id") in world.secret_conversations:
            found.append(f"conversation_id {node['conversation_id']}")
        if "kind" in node and node.get("id") in world.secret_conversations:
            found.append(f"conversation {node['id']}")
        if "conversation_id" in node and node.get("id") in world.secret_messages:
            found.append(f"message {node['id']}")
    return found


# --- the classification -----------------------------------------------------------------------

Shows = Callable[[World, str, Any], bool]  # (world, subject, body): the body shows the subject
Sees = Callable[[World, str], set[int]]  # (world, viewer): ids a list must show the viewer
Listed = Callable[[Any], set[int]]  # body -> the ids it lists


@dataclass(frozen=True)
class Read:
    """How to judge one GET route.

    By id (``param``): ``shows`` says whether a 200 body is the subject's data. A list
    (``param`` None): ``listed`` extracts the ids it lists and ``sees`` the ids it must list
    for a viewer (the member's include the secret ones); ``probes`` are extra query strings
    walked for leaks. ``auth=False``: public documentation, not walked.
    """

    param: str | None = None
    shows: Shows | None = None
    listed: Listed | None = None
    sees: Sees | None = None
    probes: tuple[dict[str, Any], ...] = ()
    auth: bool = True
    # Bytes, not JSON: ``shows`` gets the raw body (no JSON leak walk; it is the one file).
    raw: bool = False
    # Readable by every signed-in user and tied to no conversation (avatars): not walked.
    anyone: bool = False


def _ids(key: str) -> Listed:
    return lambda body: {item["id"] for item in body[key]}


def _shows_conversation(world: World, subject: str, body: Any) -> bool:
    return bool(body["conversation"]["id"] == world.conversations[subject])


def _shows_history(world: World, subject: str, body: Any) -> bool:
    return world.messages[subject] in body["messages"]


def _shows_members(world: World, subject: str, body: Any) -> bool:
    return world.member.id in {m["id"] for m in body["members"]}


def _shows_message(world: World, subject: str, body: Any) -> bool:
    return bool(body["message"] == world.messages[subject])


def _shows_pins(world: World, subject: str, body: Any) -> bool:
    # The world pins nothing (pinning would change the messages it compares): the list is
    # that conversation's, and empty. Pins themselves: tests/web/test_pins.py.
    return bool(body["pins"] == [])


def _shows_image(world: World, subject: str, body: Any) -> bool:
    return bool(Image.open(io.BytesIO(body)).size == IMAGE_SIZES[subject])


def _my_conversations(world: World, viewer: str) -> set[int]:
    subjects = SUBJECTS if viewer == "member" else ("public",)
    return {world.conversations[s] for s in subjects}


def _my_mentions(world: World, viewer: str) -> set[int]:
    subjects = {"member": SUBJECTS, "outsider": ("public",)}.get(viewer, ())
    return {world.messages[s]["id"] for s in subjects}


def _searchable(world: World, viewer: str) -> set[int]:
    subjects = SUBJECTS if viewer == "member" else ("public",)
    return {world.messages[s]["id"] for s in subjects}


READS: dict[str, Read] = {
    f"{API}/openapi.json": Read(auth=False),
    f"{API}/docs": Read(auth=False),
    f"{API}/me": Read(listed=lambda body: {body["user"]["id"]}, sees=lambda w, v: {w.user(v).id}),
    # Your own sessions and tokens only: each viewer sees just its current session.
    f"{API}/me/sessions": Read(
        listed=lambda body: {s["current"] for s in body["sessions"]},
        sees=lambda w, v: {True},
    ),
    f"{API}/me/tokens": Read(listed=_ids("tokens"), sees=lambda w, v: set()),
    f"{API}/users": Read(
        listed=_ids("users"),
        sees=lambda w, v: {w.admin.id, w.member.id, w.outsider.id, w.carol.id, w.former.id},
        probes=({"q": MARK}, {"q": "m", "limit": 100}),
    ),
    f"{API}/conversations": Read(listed=_ids("conversations"), sees=_my_conversations),
    f"{API}/channels": Read(
        listed=_ids("conversations"),
        sees=lambda w, v: {w.conversations["public"]},
        probes=({"q": MARK}, {"q": "hush"}),
    ),
    f"{API}/mentions": Read(
        listed=_ids("messages"), sees=_my_mentions, probes=({"limit": 100, "before": NONEXISTENT},)
    ),
    # No query lists every message you can read; the probes hunt for the secret ones by word,
    # by name, by author and by DM partner.
    f"{API}/search": Read(
        listed=lambda body: {r["message"]["id"] for r in body["results"]},
        sees=_searchable,
        probes=(
            {"q": MARK},
            {"q": f"in:{MARK}-hush"},
            {"q": "from:carol", "limit": 50},
            {"q": "in:@carol"},
            {"q": "in:@bob bob"},
            {"q": f'"{MARK} for"'},
        ),
    ),
    f"{API}/conversations/{{conversation_id}}": Read("conversation_id", _shows_conversation),
    f"{API}/conversations/{{conversation_id}}/messages": Read("conversation_id", _shows_history),
    f"{API}/conversations/{{conversation_id}}/members": Read("conversation_id", _shows_members),
    f"{API}/messages/{{message_id}}": Read("message_id", _shows_message),
    f"{API}/files/{{file_id}}": Read("file_id", _shows_image, raw=True),
    # The world's images are small: each is its own thumbnail.
    f"{API}/files/{{file_id}}/thumbnail": Read("file_id", _shows_image, raw=True),
    f"{API}/messages/{{message_id}}/preview-image": Read("message_id", _shows_image, raw=True),
    f"{API}/users/{{user_id}}/avatar": Read(anyone=True),
    f"{API}/conversations/{{conversation_id}}/pins": Read("conversation_id", _shows_pins),
}

Bodies = Callable[[World, str], list[dict[str, Any] | None]]  # (world, subject) -> bodies


@dataclass(frozen=True)
class Unsafe:
    """How to try one unsafe route on a conversation or message: the JSON bodies to send (None:
    no body). A ``{user_id}`` in the path is tried with the caller's own id and the member's."""

    bodies: Bodies = lambda world, subject: [None]


UNSAFE: dict[tuple[str, str], Unsafe] = {
    ("PATCH", f"{API}/conversations/{{conversation_id}}"): Unsafe(
        lambda w, s: [
            {"name": "renamed"},
            {"topic": "retopic"},
            {"muted": True},
            {"hidden": True},
            {"topic": "retopic", "muted": False},
        ]
    ),
    ("POST", f"{API}/conversations/{{conversation_id}}/read"): Unsafe(
        lambda w, s: [{"message_id": w.messages[s]["id"]}]
    ),
    ("POST", f"{API}/conversations/{{conversation_id}}/messages"): Unsafe(
        lambda w, s: [{"text": "let me in", "client_id": uuid.uuid4().hex}, {"text": "no id"}]
    ),
    ("PUT", f"{API}/conversations/{{conversation_id}}/members/{{user_id}}"): Unsafe(),
    ("DELETE", f"{API}/conversations/{{conversation_id}}/members/{{user_id}}"): Unsafe(),
    ("PATCH", f"{API}/messages/{{message_id}}"): Unsafe(lambda w, s: [{"text": "defaced"}]),
    ("DELETE", f"{API}/messages/{{message_id}}"): Unsafe(),
    # The {emoji} in the path is filled in with a valid one (see the walk).
    ("PUT", f"{API}/messages/{{message_id}}/reactions/{{emoji}}"): Unsafe(),
    ("DELETE", f"{API}/messages/{{message_id}}/reactions/{{emoji}}"): Unsafe(),
    ("PUT", f"{API}/messages/{{message_id}}/pin"): Unsafe(),
    ("DELETE", f"{API}/messages/{{message_id}}/pin"): Unsafe(),
}


def id_param(op: Operation) -> str | None:
    found = sorted(set(op.params) & ID_PARAMS)
    assert len(found) <= 1, f"{op}: walk routes with several ids by extending this module"
    return found[0] if found else None


def test_every_route_is_classified(tmp_path: Path) -> None:
    # Only the route table matters: build the app without starting it (no database).
    ops = api_operations(create_app(make_settings(tmp_path)))
    gets = {op.path: op for op in ops if op.method == "GET"}
    unclassified, stale = sorted(set(gets) - set(READS)), sorted(set(READS) - set(gets))
    assert not unclassified, f"add these GET routes to READS in {__name__}: {unclassified}"
    assert not stale, f"READS lists routes that no longer exist: {stale}"
    for path, op in gets.items():
        read = READS[path]
        assert id_param(op) == read.param, f"{op}: READS says it takes {read.param}"
        if read.auth and read.param is not None:
            assert read.shows is not None, f"{op}: needs shows"
        elif read.auth and not read.anyone:
            assert read.listed is not None and read.sees is not None, f"{op}: needs listed/sees"
    unsafe = {(op.method, op.path) for op in ops if op.method != "GET" and id_param(op)}
    missing, gone = sorted(unsafe - set(UNSAFE)), sorted(set(UNSAFE) - unsafe)
    assert not missing, f"add these routes to UNSAFE in {__name__}: {missing}"
    assert not gone, f"UNSAFE lists routes that no longer exist: {gone}"


# --- the walk ---------------------------------------------------------------------------------


def expected_status(viewer: str, subject: str) -> int:
    if viewer == "anonymous":
        return 401
    if viewer == "member" or subject == "public":
        return 200
    return 404  # a non-member, admins included


def error_of(response: httpx.Response) -> Any:
    try:
        return response.json().get("error")
    except ValueError:
        return None


class Failures(list[str]):
    """Collected (not raised) so one run reports every broken route and viewer."""

    def error(
        self,
        case: str,
        response: httpx.Response,
        missing: httpx.Response,
        status: int,
        code: str,
    ) -> None:
        """``response`` is the error ``status``/``code``, and exactly what ``missing`` (the
        same request for an id that does not exist) got: nothing to tell them apart by."""
        error = error_of(response)
        if response.status_code != status or (error or {}).get("code") != code:
            self.append(
                f"{case}: expected {status} {code}, got {response.status_code}"
                f" {response.text[:200]!r}"
            )
        elif (missing.status_code, error_of(missing)) != (status, error):
            self.append(
                f"{case}: differs from a nonexistent id: {error} vs"
                f" {missing.status_code} {missing.text[:200]!r}"
            )

    def report(self) -> None:
        assert not self, "\n".join(["", *self])


async def test_reads_by_id_need_membership_of_a_private_conversation(
    app: FastAPI, users: UserFactory
) -> None:
    world = await build_world(app, users)
    failures = Failures()
    for op in api_operations(app):
        read = READS.get(op.path) if op.method == "GET" else None
        if read is None or not read.auth or read.param is None:
            continue
        missing_url = op.path.format(**{read.param: NONEXISTENT})
        for subject in SUBJECTS:
            url = op.path.format(**{read.param: world.id_of(read.param, subject)})
            for viewer in VIEWERS:
                case = f"GET {op.path} [{subject}, {viewer}]"
                response = await world.call(viewer, "GET", url)
                status = expected_status(viewer, subject)
                if status == 200:
                    assert read.shows is not None
                    if response.status_code != 200:
                        failures.append(f"{case}: {response.status_code} {response.text[:200]!r}")
                    elif not read.shows(
                        world, subject, response.content if read.raw else response.json()
                    ):
                        failures.append(f"{case}: 200 without the data: {response.text[:200]!r}")
                    elif read.raw:
                        continue
                    elif viewer != "member" and (found := leaks(world, response)):
                        failures.append(f"{case}: leaks {found}")
                    continue
                code = "not_authenticated" if status == 401 else "not_found"
                missing = await world.call(viewer, "GET", missing_url)
                failures.error(case, response, missing, status, code)
    failures.report()


async def test_lists_show_each_viewer_only_what_they_may_read(
    app: FastAPI, users: UserFactory
) -> None:
    world = await build_world(app, users)
    failures = Failures()
    for op in api_operations(app):
        read = READS.get(op.path) if op.method == "GET" else None
        if read is None or not read.auth or read.param is not None or read.anyone:
            continue
        assert read.listed is not None and read.sees is not None
        for query in ({}, *read.probes):
            for viewer in VIEWERS:
                case = f"GET {op.path}?{query} [{viewer}]"
                response = await world.call(viewer, "GET", op.path, params=query)
                if viewer == "anonymous":
                    failures.error(case, response, response, 401, "not_authenticated")
                    continue
                if response.status_code != 200:
                    failures.append(f"{case}: got {response.status_code} {response.text[:200]!r}")
                    continue
                if viewer != "member" and (found := leaks(world, response)):
                    failures.append(f"{case}: leaks {found}")
                if query:
                    continue  # probes only look for leaks
                missing = read.sees(world, viewer) - read.listed(response.json())
                if missing:
                    failures.append(f"{case}: does not list {sorted(missing)}")
    failures.report()


async def member_view_of_secrets(world: World) -> list[Any]:
    """Everything the member can see of the secret conversations (to prove nothing moved)."""
    seen = []
    for subject in SECRET_SUBJECTS:
        conversation = world.conversations[subject]
        for url in (
            f"{API}/conversations/{conversation}",
            f"{API}/conversations/{conversation}/messages",
            f"{API}/conversations/{conversation}/members",
        ):
            response = await world.member.get(url)
            assert response.status_code == 200, response.text
            seen.append(response.json())
    return seen


async def test_unsafe_routes_answer_a_non_member_like_a_nonexistent_id(
    app: FastAPI, users: UserFactory
) -> None:
    world = await build_world(app, users)
    before = await member_view_of_secrets(world)
    log = await EventLog.begin(app)
    failures = Failures()
    for op in api_operations(app):
        unsafe = UNSAFE.get((op.method, op.path))
        if unsafe is None:
            continue
        param = id_param(op)
        assert param is not None
        for subject, viewer in itertools.product(SECRET_SUBJECTS, NON_MEMBERS):
            # Yourself (join, leave) and the member (add, remove): the admin may remove people.
            others = [world.user(viewer).id, world.member.id] if "user_id" in op.params else [0]
            for body, user_id in itertools.product(unsafe.bodies(world, subject), others):
                url = op.path.format(
                    user_id=user_id, emoji="👍", **{param: world.id_of(param, subject)}
                )
                missing_url = op.path.format(user_id=user_id, emoji="👍", **{param: NONEXISTENT})
                case = f"{op.method} {url} {body} [{subject}, {viewer}]"
                response = await world.call(viewer, op.method, url, json=body)
                missing = await world.call(viewer, op.method, missing_url, json=body)
                failures.error(case, response, missing, 404, "not_found")
    failures.report()
    # Nothing happened: no event, and the member sees exactly what was there before.
    assert await log.new() == []
    assert await member_view_of_secrets(world) == before


async def test_a_secret_message_id_in_a_body_is_like_a_nonexistent_one(
    app: FastAPI, users: UserFactory
) -> None:
    # Marking a public channel read up to a private message must not tell it exists.
    world = await build_world(app, users)
    public = world.conversations["public"]
    failures = Failures()
    for viewer in NON_MEMBERS:
        for message_id in (world.messages[s]["id"] for s in SECRET_SUBJECTS):
            body = {"message_id": message_id}
            url = f"{API}/conversations/{public}/read"
            response = await world.call(viewer, "POST", url, json=body)
            missing = await world.call(viewer, "POST", url, json={"message_id": NONEXISTENT})
            failures.error(
                f"{viewer} reads up to {message_id}", response, missing, 404, "not_found"
            )
    failures.report()
