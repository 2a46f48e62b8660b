"""Block Kit as a person reads it in the terminal: mrkdwn to text, blocks to lines, numbered controls."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_LINK = re.compile(r"<([^<>]+)>")


def mrkdwn_to_text(text: str, names: Callable[[str], str]) -> str:
    """Slack mrkdwn as a person reads it: mentions by name, links as `label (url)`, entities decoded."""

    def link(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or names(target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return "@" + (label or "group")
        if target.startswith("!date^"):
            return label or target
        if target.startswith("!"):
            return "@" + target[1:]
        return f"{label} ({target})" if label and label != target else target

    text = _LINK.sub(link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass
class Control:
    """A numbered button or menu the person can press."""

    number: int
    element: dict[str, Any]
    block_id: str
    channel: str
    message_ts: str | None = None
    thread_ts: str | None = None
    ephemeral: bool = False
    view: dict[str, Any] | None = None

    @property
    def action_id(self) -> str:
        return str(self.element.get("action_id") or f"console-{self.number}")

    @property
    def kind(self) -> str:
        return str(self.element.get("type") or "button")


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return str(obj or "")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


class Renderer:
    """Block Kit to readable lines; buttons and menus get numbers from `register`."""

    def __init__(self, names: Callable[[str], str], register: Callable[[dict[str, Any], str], int]) -> None:
        self.names = names
        self.register = register

    def text(self, obj: Any) -> str:
        raw = _text_of(obj)
        if isinstance(obj, dict) and obj.get("type") == "plain_text":
            return raw
        return mrkdwn_to_text(raw, self.names)

    def control(self, element: dict[str, Any], block_id: str) -> str:
        kind = element.get("type")
        number = self.register(element, block_id)
        if kind == "button":
            label = self.text(element.get("text"))
            url = f" → {element['url']}" if element.get("url") else ""
            return f"[{number} {label}]{url}"
        if kind in ("static_select", "overflow", "radio_buttons", "checkboxes", "multi_static_select"):
            labels = " | ".join(self.text(o.get("text")) for o in _options(element))
            name = self.text(element.get("placeholder")) or ("more" if kind == "overflow" else "choose")
            return f"[{number} ▾ {name}: {labels}]"
        if kind in ("users_select", "multi_users_select"):
            return f"[{number} ▾ choose a person]"
        if kind == "datepicker":
            return f"[{number} ▾ date]"
        return f"[{number} {kind}]"

    def blocks(self, blocks: list[dict[str, Any]], fallback: str = "") -> list[str]:
        if not blocks:
            return self.text(fallback).splitlines() or [""]
        lines: list[str] = []
        for index, block in enumerate(blocks):
            kind = block.get("type")
            block_id = str(block.get("block_id") or f"b{index}")
            if kind == "header":
                lines.append(f"== {self.text(block.get('text'))} ==")
            elif kind == "section":
                if block.get("text"):
                    lines.extend(self.text(block["text"]).splitlines())
                for item in block.get("fields") or []:
                    field_lines = self.text(item).splitlines() or [""]
                    lines.append("  " + "  ".join(part.strip() for part in field_lines))
                accessory = block.get("accessory")
                if isinstance(accessory, dict) and accessory.get("type") != "image":
                    lines.append("  " + self.control(accessory, block_id))
            elif kind == "divider":
                lines.append("─" * 40)
            elif kind == "context":
                parts = [self.text(e) if e.get("type") != "image" else f"[{e.get('alt_text', 'image')}]"
                         for e in block.get("elements") or []]
                lines.append("· " + " · ".join(p.replace("\n", " ") for p in parts))
            elif kind == "actions":
                lines.append("  ".join(self.control(e, block_id) for e in block.get("elements") or []))
            elif kind == "image":
                lines.append(f"[image: {block.get('alt_text', '')}]")
            elif kind == "rich_text":
                lines.extend(_rich_text(block).splitlines())
            elif kind == "markdown":
                lines.extend(mrkdwn_to_text(str(block.get("text") or ""), self.names).splitlines())
            elif kind == "input":
                lines.append(f"(field) {self.text(block.get('label'))}")
            else:
                lines.append(f"[{kind} block]")
        return lines


def _rich_text(block: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                out.append(str(node.get("text") or ""))
            elif node.get("type") == "user":
                out.append(f"<@{node.get('user_id')}>")
            elif node.get("type") == "link":
                out.append(str(node.get("text") or node.get("url") or ""))
            for child in node.get("elements") or []:
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(block.get("elements") or [])
    return "".join(out)


