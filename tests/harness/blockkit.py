"""Moved to ``bot.local_slack.blockkit`` (the console uses it too; production code may not import tests/).

This name stays so tests keep importing ``tests.harness.blockkit``: the module below *is*
``bot.local_slack.blockkit`` (same object in ``sys.modules``), so every name, private ones
included, and every monkeypatch reach the real module.
"""

import sys

from bot.local_slack import blockkit as _moved

sys.modules[__name__] = _moved
