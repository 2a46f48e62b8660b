"""`soapbot serve` sizes its work pool like gunicorn's request threads unless the operator set WORK_THREADS."""

from __future__ import annotations

import pytest

from bot.settings import load_settings
from bot.web import WEB_WORK_THREADS, with_web_work_pool


def test_serve_uses_its_own_pool_size_unless_work_threads_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORK_THREADS", raising=False)
    unset = load_settings(env_file=None, slack_bot_token="xoxb-1", slack_signing_secret="s")
    assert unset.work_threads == 2
    assert with_web_work_pool(unset).work_threads == WEB_WORK_THREADS == 8
    monkeypatch.setenv("WORK_THREADS", "3")
    chosen = load_settings(env_file=None, slack_bot_token="xoxb-1", slack_signing_secret="s")
    assert with_web_work_pool(chosen).work_threads == 3
