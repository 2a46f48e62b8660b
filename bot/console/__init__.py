"""The console: a local war room in the terminal, with a local Slack. Nothing here reaches Slack.

`soapbot console` (and `soapbot run` with no Slack credentials) runs the production app against
a workspace on this computer. No module of the app imports this package; only the CLI command
that starts the console does, lazily.

- ``launch``: starting a session; ``session``: the person's session, in layers: ``commands``
  (what a person types), ``modal_forms`` (modals asked field by field), ``transcript`` (what the
  app did, with numbered messages and controls); ``mentions``: members as people name them;
- ``workspace``: the app served on loopback, the local Web API it posts to, the console clock;
- ``rendering``: Block Kit as text; ``demo``: the synthetic demo program;
- ``web_api.LocalWebApi``: Slack's Web API on loopback (records every call, refuses what Slack
  refuses; ``slack_methods`` answers each method); ``signing.SlackClientSim``: slash commands,
  clicks, modal submissions and events, signed as Slack signs them; ``payloads``: the payload
  shapes Slack sends; ``blockkit``: Slack's Block Kit limits.

Tests use the same local Slack; the controls only tests need (failing a method, holding a call,
waiting for one) live in ``tests/harness``.
"""
