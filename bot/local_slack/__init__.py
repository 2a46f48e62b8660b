"""A local Slack: nothing here reaches Slack.

The console workspace (``bot.console``) and the tests drive the real app with these:

- ``web_api.SlackStandIn``: the Web API on loopback (``WebClient(base_url=standin.url)``),
  with response_urls and file uploads; it records every call and rejects what Slack rejects.
- ``signing.SlackClientSim``: slash commands, clicks, modal submissions and events, signed
  exactly as Slack signs them, POSTed to the app's ``/slack/events``.
- ``payloads``: the payload shapes Slack sends; ``blockkit``: Slack's Block Kit limits.

(The Socket Mode stand-in needs the dev-only ``websockets`` package and stays in ``tests/harness``.)
"""
