"""Moved to ``bot.local_slack.web_api`` (the console uses it too; production code may not import tests/).

This name stays so tests keep importing ``tests.harness.slack_api``: the module below *is*
``bot.local_slack.web_api`` (same object in ``sys.modules``), so every name, private ones
included, and every monkeypatch reach the real module.
"""

import sys

from bot.local_slack import web_api as _moved

sys.modules[__name__] = _moved
