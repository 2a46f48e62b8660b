"""Tests of the test harness itself: signing, the Web API stand-in, the Socket Mode stand-in."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.sync.client import connect as ws_connect

from bot.console import payloads
from bot.console.blockkit import LIMITS, validate_blocks
from bot.console.signing import SlackClientSim, sign
from tests.harness.slack_api import SlackStandIn
from tests.harness.socket_mode import SocketModeStandIn

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0COMMITTEE"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.set_channel(CHANNEL, name="soap-committee", is_private=True)
        standin.set_members(CHANNEL, ["U0PD", "U0APD"])
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(base_url=slack.url, token="xoxb-test", timeout=5)


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


BOT_TOKEN = "xoxb-test"


def _post_raw(url: str, data: dict[str, Any], token: str | None = BOT_TOKEN) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(url, data=json.dumps(data).encode(), method="POST")
    req.add_header("Content-Type", "application/json; charset=utf-8")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


# -- signing ----------------------------------------------------------------------------------------


def test_signature_verifies_with_slack_sdk() -> None:
    body = "token=x&team_id=T0WARROOM&text=hello%20world"
    headers = sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    stale = sign(body, SECRET, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


@settings(max_examples=50, deadline=None)
@given(
    body=st.text(),
    secret=st.text(alphabet="abcdef0123456789xyz", min_size=1),
    skew=st.integers(min_value=-250, max_value=250),
)
def test_any_body_signature_verifies(body: str, secret: str, skew: int) -> None:
    headers = sign(body, secret, timestamp=int(time.time()) + skew)
    assert SignatureVerifier(secret).is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])


def test_event_factories_have_slack_shapes() -> None:
    changed = payloads.message_changed_event(CHANNEL, "U0PD", "1711000000.000100", "new", "old")
    assert changed["subtype"] == "message_changed"
    assert changed["message"]["ts"] == changed["previous_message"]["ts"] == "1711000000.000100"
    assert changed["message"]["edited"]["user"] == "U0PD"
    deleted = payloads.message_deleted_event(CHANNEL, "U0PD", "1711000000.000100", "old")
    assert deleted["subtype"] == "message_deleted"
    assert deleted["deleted_ts"] == deleted["previous_message"]["ts"]
    bot = payloads.bot_message_event(CHANNEL, "posted")
    assert bot["subtype"] == "bot_message"
    assert bot["bot_id"] == payloads.BOT_ID
    assert "subtype" not in payloads.bot_message_event(CHANNEL, "posted", subtype=None)
    home = payloads.app_home_opened_event("U0PD")
    assert home["type"] == "app_home_opened"
    assert home["tab"] == "home"
    reply = payloads.message_event(CHANNEL, "U0PD", "x", thread_ts="1711000000.000100")
    assert reply["thread_ts"] == "1711000000.000100"
    assert reply["parent_user_id"] == "U0PD"
    assert reply["client_msg_id"]
    ephemeral_click = payloads.block_actions_payload("U0PD", CHANNEL, "a", "v", is_ephemeral=True)
    assert "message" not in ephemeral_click
    assert ephemeral_click["container"]["is_ephemeral"] is True


class _Recorder(BaseHTTPRequestHandler):
    """A tiny app endpoint that verifies the signature like Bolt and echoes what it got."""

    received: list[tuple[dict[str, str], bytes]] = []  # noqa: RUF012

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k: v for k, v in self.headers.items()}
        type(self).received.append((headers, body))
        ok = SignatureVerifier(SECRET).is_valid_request(body, headers)
        out = json.dumps({"verified": ok}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@pytest.fixture
def app_endpoint() -> Iterator[str]:
    _Recorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.mark.timing
def test_client_sim_sends_signed_slack_shaped_requests(app_endpoint: str, slack: SlackStandIn) -> None:
    from urllib.parse import parse_qs

    sim = SlackClientSim(app_endpoint, SECRET, standin=slack)
    status, body, elapsed = sim.command("rank", "U0PD", CHANNEL)
    assert (status, body) == (200, {"verified": True})
    assert 0 <= elapsed < 5
    headers, raw = _Recorder.received[-1]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
    assert set(form) >= {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert form["command"] == "/soap"
    assert form["text"] == "rank"
    assert form["team_id"] == "T0WARROOM"
    assert form["response_url"].startswith(slack.root_url)

    msg_ts = "1711000000.000100"
    assert sim.block_action("U0PD", CHANNEL, "vote", "cand-1", message_ts=msg_ts, thread_ts=msg_ts).status == 200
    _, raw = _Recorder.received[-1]
    payload = json.loads(parse_qs(raw.decode())["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": msg_ts,
        "channel_id": CHANNEL,
        "is_ephemeral": False,
        "thread_ts": msg_ts,
    }
    assert payload["actions"][0]["action_id"] == "vote"
    assert payload["actions"][0]["value"] == "cand-1"
    assert payload["user"]["id"] == "U0PD"
    assert payload["channel"]["id"] == CHANNEL
    assert {"trigger_id", "team", "message", "response_url", "api_app_id", "token"} <= set(payload)

    values = payloads.state_values({"notes": {"notes_input": "strong"}, "score": {"pick": payloads.static_select("5")}})
    assert sim.view_submission("U0PD", "score_modal", values, private_metadata="c1").status == 200
    _, raw = _Recorder.received[-1]
    payload = json.loads(parse_qs(raw.decode())["payload"][0])
    assert payload["view"]["state"]["values"]["notes"]["notes_input"] == {"type": "plain_text_input", "value": "strong"}
    assert payload["view"]["state"]["values"]["score"]["pick"]["selected_option"]["value"] == "5"
    assert payload["view"]["callback_id"] == "score_modal"
    assert payload["view"]["private_metadata"] == "c1"
    assert payload["response_urls"] == []

    event = payloads.message_event(CHANNEL, "U0PD", "hello", thread_ts="1711000000.000100")
    assert sim.event(event, event_id="Ev0TEST", retry_num=1, retry_reason="http_timeout").status == 200
    headers, raw = _Recorder.received[-1]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Slack-Retry-Num"] == "1"
    assert headers["X-Slack-Retry-Reason"] == "http_timeout"
    envelope = json.loads(raw)
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"] == "Ev0TEST"
    assert envelope["event"]["channel_type"] == "group"
    assert envelope["event"]["blocks"][0]["type"] == "rich_text"
    assert envelope["authorizations"][0]["user_id"] == payloads.BOT_USER_ID

    bad = sim.raw_post(raw, {"Content-Type": "application/json"})
    assert bad.status == 401


# -- Web API stand-in ---------------------------------------------------------------------------------


def test_post_message_and_friends(slack: SlackStandIn, client: WebClient) -> None:
    auth = client.auth_test()
    assert auth["user_id"] == slack.bot_user_id
    assert auth["bot_id"] == slack.bot_id
    assert auth["team_id"] == "T0WARROOM"
    first = client.chat_postMessage(channel=CHANNEL, text="Round 1 <@U0PD>", blocks=[section("Round 1")])
    second = client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=first["ts"])
    assert first["channel"] == CHANNEL
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["bot_id"] == slack.bot_id
    assert first["message"]["blocks"][0]["type"] == "section"
    call = slack.calls_to("chat.postMessage")[0]
    assert call.params["text"] == "Round 1 <@U0PD>"
    assert call.headers["Authorization"] == "Bearer xoxb-test"

    updated = client.chat_update(channel=CHANNEL, ts=first["ts"], text="Round 1 (closed)")
    assert updated["message"]["text"] == "Round 1 (closed)"
    link = client.chat_getPermalink(channel=CHANNEL, message_ts=first["ts"])
    assert link["permalink"].endswith(f"/archives/{CHANNEL}/p{first['ts'].replace('.', '')}")
    assert client.chat_postEphemeral(channel=CHANNEL, user="U0PD", text="only you")["message_ts"]
    client.chat_delete(channel=CHANNEL, ts=first["ts"])
    assert slack.message(CHANNEL, first["ts"]) is None
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel=CHANNEL, ts=first["ts"], text="gone")
    assert err.value.response["error"] == "message_not_found"

    opened = client.views_open(
        trigger_id="123.456.abc",
        view={
            "type": "modal",
            "callback_id": "score",
            "title": {"type": "plain_text", "text": "Score"},
            "submit": {"type": "plain_text", "text": "Save"},
            "blocks": [
                {
                    "type": "input",
                    "block_id": "b",
                    "label": {"type": "plain_text", "text": "Notes"},
                    "element": {"type": "plain_text_input", "action_id": "a"},
                }
            ],
        },
    )
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "score"
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "x"}}
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="123.456.abc", view=modal)
    assert err.value.response["error"] == "exchanged_trigger_id"
    home = client.views_publish(user_id="U0PD", view={"type": "home", "blocks": [section("Home")]})
    assert home["view"]["type"] == "home"

    text = slack.all_text()
    assert "Round 1 <@U0PD>" in text
    assert "Home" in text
    assert "<!channel>" not in text


def test_channel_and_user_configuration(slack: SlackStandIn, client: WebClient) -> None:
    slack.add_user("U0PD", "pd", "Pat Director")
    assert client.users_info(user="U0PD")["user"]["profile"]["real_name"] == "Pat Director"
    info = client.conversations_info(channel=CHANNEL)["channel"]
    assert info["is_private"] is True
    assert info["name"] == "soap-committee"
    assert info["is_member"] is True

    cases = {"C0MISSING": "channel_not_found", "": "channel_not_found"}
    for channel, error in cases.items():
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel=channel, text="x")
        assert err.value.response["error"] == error
    slack.set_channel("C0NOBOT", name="elsewhere", bot_is_member=False)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0NOBOT", text="x")
    assert err.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as err:
        client.conversations_info(channel="C0MISSING")
    assert err.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"

    status, _, body = _post_raw(slack.url + "chat.postMessage", {"channel": CHANNEL, "text": "x"}, token=None)
    assert (status, body["error"]) == (200, "not_authed")


def test_conversations_members_paginates(slack: SlackStandIn, client: WebClient) -> None:
    people = [f"U{i:04d}" for i in range(7)]
    slack.set_members("C0BIG", people)
    seen: list[str] = []
    pages = 0
    for page in client.conversations_members(channel="C0BIG", limit=3):
        seen.extend(page["members"])
        pages += 1
    assert seen == [*people, slack.bot_user_id]
    assert pages == 3
    last = slack.calls_to("conversations.members")[-1]
    assert last.response["response_metadata"]["next_cursor"] == ""
    assert slack.calls_to("conversations.members")[0].response["response_metadata"]["next_cursor"]


def test_rejects_what_slack_rejects(client: WebClient, slack: SlackStandIn) -> None:
    def error_of(**kwargs: Any) -> dict[str, Any]:
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel=CHANNEL, text="t", **kwargs)
        return err.value.response.data

    too_many = error_of(blocks=[section(f"b{i}") for i in range(51)])
    assert too_many["error"] == "invalid_blocks"
    assert "no more than 50 items" in too_many["errors"][0]
    client.chat_postMessage(channel=CHANNEL, text="t", blocks=[section(f"b{i}") for i in range(50)])

    long_section = error_of(blocks=[section("x" * 3001)])
    assert long_section["error"] == "invalid_blocks"
    assert "[json-pointer:/blocks/0/text/text]" in long_section["errors"][0]
    client.chat_postMessage(channel=CHANNEL, text="t", blocks=[section("x" * 3000)])

    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b" * 76}}
    assert error_of(blocks=[{"type": "actions", "elements": [button]}])["error"] == "invalid_blocks"
    dup = [section("a", block_id="same"), section("b", block_id="same")]
    assert "duplicate block_id" in error_of(blocks=dup)["errors"][0]
    two = [{**button, "text": {"type": "plain_text", "text": "ok"}}] * 2
    assert "duplicate action_id" in error_of(blocks=[{"type": "actions", "elements": two}])["errors"][0]
    assert error_of(blocks=[{"type": "not_a_block"}])["error"] == "invalid_blocks"
    assert error_of(blocks="[not json")["error"] == "invalid_blocks"
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    assert error_of(blocks=[header])["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=CHANNEL, text="x" * (LIMITS["message.text"] + 1))
    assert err.value.response["error"] == "msg_too_long"

    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="t1", view={"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}})
    assert err.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as err:
        client.views_publish(user_id="U0PD", view={"type": "home", "blocks": [section(str(i)) for i in range(101)]})
    assert err.value.response["error"] == "invalid_arguments"
    assert all(not c.ok for c in slack.calls_to("views.open"))


def test_blockkit_limits_table_matches_checks() -> None:
    fields = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}
    assert validate_blocks([fields])
    ctx = {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}
    assert validate_blocks([ctx])
    btn = {"type": "button", "text": {"type": "plain_text", "text": "b"}}
    acts = {"type": "actions", "elements": [{**btn, "action_id": f"a{i}"} for i in range(26)]}
    assert validate_blocks([acts])
    assert validate_blocks([{**section("x"), "block_id": "b" * 256}])
    ok_blocks = [{**acts, "elements": acts["elements"][:25]}, fields | {"fields": fields["fields"][:10]}]
    assert not validate_blocks(ok_blocks)
    # Slack's rule is per block; "message" scope is the stricter option.
    twice = [{"type": "actions", "elements": [{**btn, "action_id": "go"}]}] * 2
    assert not validate_blocks(twice)
    assert validate_blocks(twice, action_id_scope="message")


def test_fail_answers_429_with_retry_after_then_succeeds(slack: SlackStandIn) -> None:
    slack.fail("chat.postMessage", times=1, status=429, retry_after=1)
    status, headers, body = _post_raw(slack.url + "chat.postMessage", {"channel": CHANNEL, "text": "x"})
    assert status == 429
    assert headers["Retry-After"] == "1"
    assert body == {"ok": False, "error": "ratelimited"}
    status, _, body = _post_raw(slack.url + "chat.postMessage", {"channel": CHANNEL, "text": "x"})
    assert status == 200
    assert body["ok"] is True

    slack.fail("chat.postMessage", times=2, status=429, retry_after=0)
    retrying = WebClient(base_url=slack.url, token="xoxb-test", timeout=5)
    retrying.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    assert retrying.chat_postMessage(channel=CHANNEL, text="after retry")["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")][-3:] == [429, 429, 200]

    slack.fail("users.info", times=1, status=500)
    slack.fail("conversations.info", times=1, status=200, error="team_access_not_granted")
    client = WebClient(base_url=slack.url, token="xoxb-test", timeout=5)
    with pytest.raises(SlackApiError) as err:
        client.users_info(user=slack.bot_user_id)
    assert err.value.response.status_code == 500
    with pytest.raises(SlackApiError) as err:
        client.conversations_info(channel=CHANNEL)
    assert err.value.response["error"] == "team_access_not_granted"
    assert client.conversations_info(channel=CHANNEL)["ok"]


def test_files_upload_v2_records_content(slack: SlackStandIn, client: WebClient) -> None:
    csv = "applicant,score\nA. Doe,5\n"
    result = client.files_upload_v2(channel=CHANNEL, filename="ranks.csv", content=csv, initial_comment="Export")
    assert result["file"]["name"] == "ranks.csv"
    [upload] = slack.uploads
    assert upload.content == csv.encode()
    assert upload.filename == "ranks.csv"
    assert upload.completed
    assert upload.channel_id == CHANNEL
    assert upload.text == csv
    assert [c.method for c in slack.calls][-3:] == [
        "files.getUploadURLExternal",
        "files.upload_url",
        "files.completeUploadExternal",
    ]


def test_response_url_is_recorded(slack: SlackStandIn) -> None:
    from slack_sdk.webhook import WebhookClient

    url = slack.response_url("cmd-1")
    resp = WebhookClient(url).send(text="Only you can see this", response_type="ephemeral")
    assert resp.status_code == 200
    [post] = slack.wait_for("response_url")
    assert post.params == {"text": "Only you can see this", "response_type": "ephemeral"}
    assert slack.response_url_posts("cmd-1") == [post]
    too_many = WebhookClient(url).send(text="t", blocks=[section(str(i)) for i in range(51)])
    assert too_many.status_code == 400


@pytest.mark.timing
def test_wait_for_blocks_until_call_arrives(slack: SlackStandIn, client: WebClient) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel=CHANNEL, text="late"))
    timer.start()
    started = time.monotonic()
    [call] = slack.wait_for("chat.postMessage", timeout=5)
    assert call.params["text"] == "late"
    assert time.monotonic() - started < 4
    timer.join()
    with pytest.raises(AssertionError):
        slack.wait_for("chat.delete", timeout=0.05)
    slack.reset()
    assert slack.calls == []
    assert slack.message(CHANNEL, call.response["ts"]) is not None  # Slack's state survives a reset
    client.chat_update(channel=CHANNEL, ts=call.response["ts"], text="edited")
    slack.reset(state=True)
    assert slack.messages() == []


# -- Socket Mode ----------------------------------------------------------------------------------------


def test_socket_mode_client_connects_acks_and_reconnects(slack: SlackStandIn) -> None:
    with SocketModeStandIn() as socket_server:
        slack.socket_mode = socket_server
        got: list[SocketModeRequest] = []
        client = SocketModeClient(
            app_token="xapp-1-test",
            web_client=WebClient(base_url=slack.url, token="xoxb-test", timeout=5),
            ping_interval=1,
        )

        def on_request(c: BaseSocketModeClient, req: SocketModeRequest) -> None:
            got.append(req)
            c.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload={"text": "ok"}))

        client.socket_mode_request_listeners.append(on_request)
        try:
            client.connect()
            socket_server.wait_connections(1)
            assert slack.calls_to("apps.connections.open")[0].headers["Authorization"] == "Bearer xapp-1-test"
            command = payloads.slash_command_payload("rank", "U0PD", CHANNEL)
            envelope_id = socket_server.send_command(command)
            ack = socket_server.wait_ack(envelope_id)
            assert ack == {"envelope_id": envelope_id, "payload": {"text": "ok"}}
            assert got[0].type == "slash_commands"
            assert got[0].payload["command"] == "/soap"

            socket_server.request_refresh()
            socket_server.wait_connections(2)
            assert len(slack.calls_to("apps.connections.open")) >= 2
            event_id = socket_server.send_event(payloads.message_event(CHANNEL, "U0PD", "hi"))
            assert socket_server.wait_ack(event_id)["envelope_id"] == event_id
            assert got[-1].type == "events_api"
            assert got[-1].payload["event"]["text"] == "hi"
        finally:
            client.close()


def test_socket_mode_protocol_on_the_wire(slack: SlackStandIn) -> None:
    with SocketModeStandIn().attach(slack) as server:
        url = WebClient(base_url=slack.url).apps_connections_open(app_token="xapp-1-test")["url"]
        assert url.startswith(server.url)
        assert "ticket=" in url
        with ws_connect(url, open_timeout=3) as ws:
            hello = json.loads(ws.recv(timeout=3))
            assert hello["type"] == "hello"
            assert hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": payloads.APP_ID}
            assert "debug_info" in hello
            sent = server.send_interactive(payloads.block_actions_payload("U0PD", CHANNEL, "vote", "c1"))
            envelope = json.loads(ws.recv(timeout=3))
            assert envelope["envelope_id"] == sent
            assert envelope["type"] == "interactive"
            assert envelope["accepts_response_payload"] is False
            assert envelope["payload"]["type"] == "block_actions"
            with pytest.raises(AssertionError):
                server.wait_ack(sent, timeout=0.05)
            ws.send(json.dumps({"envelope_id": sent}))
            assert server.wait_ack(sent) == {"envelope_id": sent}
            server.request_refresh(grace=0.1)
            assert json.loads(ws.recv(timeout=3))["reason"] == "refresh_requested"
            server.wait_connections(1)
