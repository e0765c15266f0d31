async def test_signup_send_history(users):
    alice = await users("alice")
    bob = await users("bob")
    sent = await alice.send("general", "hello **bob**")
    page = await bob.history("general")
    assert [m["id"] for m in page["messages"]] == [sent["id"]]
    assert page["messages"][0]["html"] == "<p>hello <strong>bob</strong></p>"
