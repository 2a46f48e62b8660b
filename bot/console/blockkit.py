"""Block Kit validation as Slack's Web API applies it, for the Web API stand-in.

Every number lives in ``LIMITS``; the checks walk a message's ``blocks`` or a view and
return Slack-style error strings with a JSON pointer, e.g.
``"must be less than 3001 characters [json-pointer:/blocks/0/text/text]"`` (the shape Slack
puts in ``errors`` / ``response_metadata.messages``).

On top of the explicit checks, each block known to slack_sdk is parsed with
``slack_sdk.models.blocks.Block.parse`` (``None`` means Slack does not know the type) and
``validate_json()`` is run on it, so anything the SDK knows to be malformed is caught too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

# Limits as documented by Slack. Sources (docs.slack.dev, formerly api.slack.com):
#   - reference/block-kit/blocks/{section,header,actions,context,image,input,markdown}-block
#     (section text 3,000 / fields 10 x 2,000; header 150; actions 25 elements; context 10;
#     block_id 255; markdown 12,000; input label/hint 2,000; image alt_text 2,000, url 3,000)
#   - reference/block-kit/block-elements/* (action_id 255; button text 75, value 2,000, url 3,000;
#     placeholder 150; select options / option_groups 100; overflow options 5)
#   - reference/block-kit/composition-objects/{text,option,option-group,confirmation-dialog}-object
#     (text object 3,000 unless the parent field says less; option text 75, value 150,
#     description 75; option group label 75; confirm title 100, text 300, confirm/deny 30)
#   - reference/block-kit/blocks ("up to 50 blocks in each message, 100 in modals or Home tabs")
#   - reference/views/modal-views (title/submit/close 24; private_metadata 3,000;
#     callback_id 255; external_id 255)
#   - reference/methods/chat.postMessage (``text`` past 40,000 characters: msg_too_long)
LIMITS: Final[Mapping[str, int]] = {
    "message.blocks": 50,
    "view.blocks": 100,
    "message.text": 40_000,
    "block_id": 255,
    "action_id": 255,
    "text_object.text": 3000,
    "section.text": 3000,
    "section.fields": 10,
    "section.field_text": 2000,
    "header.text": 150,
    "actions.elements": 25,
    "context.elements": 10,
    "markdown.text": 12_000,
    "image.alt_text": 2000,
    "image.image_url": 3000,
    "image.title": 2000,
    "input.label": 2000,
    "input.hint": 2000,
    "button.text": 75,
    "button.value": 2000,
    "button.url": 3000,
    "placeholder": 150,
    "select.options": 100,
    "select.option_groups": 100,
    "overflow.options": 5,
    "option.text": 75,
    "option.value": 150,
    "option.description": 75,
    "option_group.label": 75,
    "confirm.title": 100,
    "confirm.text": 300,
    "confirm.confirm": 30,
    "confirm.deny": 30,
    "view.title": 24,
    "view.submit": 24,
    "view.close": 24,
    "view.private_metadata": 3000,
    "view.callback_id": 255,
    "view.external_id": 255,
}

Surface = Literal["message", "modal", "home"]

_SELECT_TYPES: Final = frozenset(
    {
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }
)
_OPTION_TYPES: Final = frozenset({"static_select", "multi_static_select", "checkboxes", "radio_buttons"})

# Block.parse() logs a warning for unknown types; we report them ourselves.
logging.getLogger(Block.__module__).setLevel(logging.ERROR)


class BlockKitError(ValueError):
    """Raised by ``parse_json_field`` when a JSON-encoded field is not valid JSON."""


def parse_json_field(value: Any) -> Any:
    """Blocks/views arrive as JSON strings in form posts and as objects in JSON posts."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise BlockKitError(f"invalid JSON: {exc}") from exc
    return value


def _err(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


def _too_long(limit: int, pointer: str) -> str:
    return _err(f"must be less than {limit + 1} characters", pointer)


class _Walker:
    def __init__(self, action_id_scope: Literal["block", "message"]) -> None:
        self.errors: list[str] = []
        self.action_id_scope = action_id_scope
        self.message_action_ids: set[str] = set()
        self.block_action_ids: set[str] = set()

    # -- composition objects ------------------------------------------------------------------
    def text_object(
        self,
        obj: Any,
        pointer: str,
        limit: int | None = None,
        *,
        plain_only: bool = False,
    ) -> None:
        if not isinstance(obj, dict):
            self.errors.append(_err("must be an object", pointer))
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.errors.append(_err(f"must be one of {', '.join(allowed)}", f"{pointer}/type"))
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.errors.append(_err("must be more than 0 characters", f"{pointer}/text"))
            return
        cap = min(limit, LIMITS["text_object.text"]) if limit else LIMITS["text_object.text"]
        if len(text) > cap:
            self.errors.append(_too_long(cap, f"{pointer}/text"))

    def string(self, value: Any, pointer: str, limit: int) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            self.errors.append(_err("must be a string", pointer))
        elif len(value) > limit:
            self.errors.append(_too_long(limit, pointer))

    def option(self, opt: Any, pointer: str) -> None:
        if not isinstance(opt, dict):
            self.errors.append(_err("must be an object", pointer))
            return
        self.text_object(opt.get("text"), f"{pointer}/text", LIMITS["option.text"])
        self.string(opt.get("value"), f"{pointer}/value", LIMITS["option.value"])
        if "description" in opt:
            self.text_object(opt["description"], f"{pointer}/description", LIMITS["option.description"])

    def confirm(self, obj: Any, pointer: str) -> None:
        if not isinstance(obj, dict):
            self.errors.append(_err("must be an object", pointer))
            return
        for key, lim in (("title", "confirm.title"), ("text", "confirm.text")):
            self.text_object(obj.get(key), f"{pointer}/{key}", LIMITS[lim])
        for key, lim in (("confirm", "confirm.confirm"), ("deny", "confirm.deny")):
            self.text_object(obj.get(key), f"{pointer}/{key}", LIMITS[lim], plain_only=True)

    # -- elements -------------------------------------------------------------------------
    def element(self, el: Any, pointer: str) -> None:
        if not isinstance(el, dict):
            self.errors.append(_err("must be an object", pointer))
            return
        kind = el.get("type")
        action_id = el.get("action_id")
        if action_id is not None:
            self.string(action_id, f"{pointer}/action_id", LIMITS["action_id"])
            seen = self.message_action_ids if self.action_id_scope == "message" else self.block_action_ids
            if action_id in seen:
                self.errors.append(_err(f"duplicate action_id: {action_id}", f"{pointer}/action_id"))
            seen.add(action_id)
        if kind == "button":
            self.text_object(el.get("text"), f"{pointer}/text", LIMITS["button.text"], plain_only=True)
            self.string(el.get("value"), f"{pointer}/value", LIMITS["button.value"])
            self.string(el.get("url"), f"{pointer}/url", LIMITS["button.url"])
        elif kind == "image":
            self.string(el.get("alt_text"), f"{pointer}/alt_text", LIMITS["image.alt_text"])
            self.string(el.get("image_url"), f"{pointer}/image_url", LIMITS["image.image_url"])
        elif kind in ("plain_text", "mrkdwn"):  # context elements
            self.text_object(el, pointer)
        if "placeholder" in el:
            self.text_object(el["placeholder"], f"{pointer}/placeholder", LIMITS["placeholder"], plain_only=True)
        if "confirm" in el:
            self.confirm(el["confirm"], f"{pointer}/confirm")
        if kind in _OPTION_TYPES or kind == "overflow":
            options = el.get("options")
            cap = LIMITS["overflow.options"] if kind == "overflow" else LIMITS["select.options"]
            if isinstance(options, list):
                if len(options) > cap:
                    self.errors.append(_err(f"must provide no more than {cap} items", f"{pointer}/options"))
                for i, opt in enumerate(options):
                    self.option(opt, f"{pointer}/options/{i}")
            groups = el.get("option_groups")
            if isinstance(groups, list):
                if len(groups) > LIMITS["select.option_groups"]:
                    self.errors.append(
                        _err(
                            f"must provide no more than {LIMITS['select.option_groups']} items",
                            f"{pointer}/option_groups",
                        )
                    )
                for g, group in enumerate(groups):
                    gp = f"{pointer}/option_groups/{g}"
                    if not isinstance(group, dict):
                        self.errors.append(_err("must be an object", gp))
                        continue
                    self.text_object(group.get("label"), f"{gp}/label", LIMITS["option_group.label"], plain_only=True)
                    for i, opt in enumerate(group.get("options") or []):
                        self.option(opt, f"{gp}/options/{i}")
            for key in ("initial_option",):
                if key in el:
                    self.option(el[key], f"{pointer}/{key}")

    # -- blocks -----------------------------------------------------------------------------
    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.errors.append(_err("must be an object", pointer))
            return
        kind = block.get("type")
        self.block_action_ids = set()
        errors_before = len(self.errors)
        if not isinstance(kind, str):
            self.errors.append(_err("missing required field: type", f"{pointer}/type"))
            return
        try:
            parsed = Block.parse(dict(block))
        except Exception as exc:  # malformed enough that the SDK model cannot be built
            self.errors.append(_err(f"invalid block: {exc}", pointer))
            return
        if parsed is None:
            self.errors.append(_err(f"unsupported type: {kind}", f"{pointer}/type"))
            return
        self.string(block.get("block_id"), f"{pointer}/block_id", LIMITS["block_id"])
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.errors.append(_err("must provide either text or fields", pointer))
            if "text" in block:
                self.text_object(block["text"], f"{pointer}/text", LIMITS["section.text"])
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list):
                    self.errors.append(_err("must be an array", f"{pointer}/fields"))
                else:
                    if len(fields) > LIMITS["section.fields"]:
                        self.errors.append(
                            _err(f"must provide no more than {LIMITS['section.fields']} items", f"{pointer}/fields")
                        )
                    for i, f in enumerate(fields):
                        self.text_object(f, f"{pointer}/fields/{i}", LIMITS["section.field_text"])
            if "accessory" in block:
                self.element(block["accessory"], f"{pointer}/accessory")
        elif kind == "header":
            self.text_object(block.get("text"), f"{pointer}/text", LIMITS["header.text"], plain_only=True)
        elif kind in ("actions", "context"):
            elements = block.get("elements")
            cap = LIMITS[f"{kind}.elements"]
            if not isinstance(elements, list) or not elements:
                self.errors.append(_err("must provide at least 1 item", f"{pointer}/elements"))
            else:
                if len(elements) > cap:
                    self.errors.append(_err(f"must provide no more than {cap} items", f"{pointer}/elements"))
                for i, el in enumerate(elements):
                    self.element(el, f"{pointer}/elements/{i}")
        elif kind == "input":
            self.text_object(block.get("label"), f"{pointer}/label", LIMITS["input.label"], plain_only=True)
            if "hint" in block:
                self.text_object(block["hint"], f"{pointer}/hint", LIMITS["input.hint"], plain_only=True)
            if not isinstance(block.get("element"), dict):
                self.errors.append(_err("missing required field: element", f"{pointer}/element"))
            else:
                self.element(block["element"], f"{pointer}/element")
        elif kind == "image":
            self.string(block.get("alt_text"), f"{pointer}/alt_text", LIMITS["image.alt_text"])
            self.string(block.get("image_url"), f"{pointer}/image_url", LIMITS["image.image_url"])
            if "title" in block:
                self.text_object(block["title"], f"{pointer}/title", LIMITS["image.title"], plain_only=True)
        elif kind == "markdown":
            self.string(block.get("text"), f"{pointer}/text", LIMITS["markdown.text"])
        if len(self.errors) == errors_before:
            try:
                parsed.validate_json()
            except SlackObjectFormationError as exc:
                self.errors.append(_err(str(exc), pointer))


def validate_blocks(
    blocks: Any,
    surface: Surface = "message",
    *,
    pointer: str = "/blocks",
    action_id_scope: Literal["block", "message"] = "block",
) -> list[str]:
    """Slack-style error strings for ``blocks`` on ``surface``; empty when Slack would accept them.

    ``action_id_scope``: Slack documents action_id as unique within its containing block
    ("block", the default); "message" is the stricter rule some teams adopt.
    """
    if not isinstance(blocks, list):
        return [_err("must be an array", pointer)]
    walker = _Walker(action_id_scope)
    cap = LIMITS["message.blocks"] if surface == "message" else LIMITS["view.blocks"]
    if len(blocks) > cap:
        walker.errors.append(_err(f"must provide no more than {cap} items", pointer))
    seen_block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        walker.block(block, f"{pointer}/{i}")
        if isinstance(block, dict) and isinstance(block.get("block_id"), str):
            if block["block_id"] in seen_block_ids:
                walker.errors.append(_err(f"duplicate block_id: {block['block_id']}", f"{pointer}/{i}/block_id"))
            seen_block_ids.add(block["block_id"])
    return walker.errors


def validate_view(view: Any, *, action_id_scope: Literal["block", "message"] = "block") -> list[str]:
    """Errors for a modal or home view, with pointers under ``/view`` as Slack reports them."""
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        errors.append(_err("must be one of modal, home", "/view/type"))
    walker = _Walker(action_id_scope)
    if kind == "modal":
        if "title" not in view:
            errors.append(_err("missing required field: title", "/view/title"))
        for key in ("title", "submit", "close"):
            if key in view and view[key] is not None:
                walker.text_object(view[key], f"/view/{key}", LIMITS[f"view.{key}"], plain_only=True)
        blocks = view.get("blocks")
        if (
            isinstance(blocks, list)
            and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
            and not view.get("submit")
        ):
            errors.append(_err("submit is required when an input block is present", "/view/submit"))
    walker.string(view.get("private_metadata"), "/view/private_metadata", LIMITS["view.private_metadata"])
    walker.string(view.get("callback_id"), "/view/callback_id", LIMITS["view.callback_id"])
    walker.string(view.get("external_id"), "/view/external_id", LIMITS["view.external_id"])
    errors.extend(walker.errors)
    errors.extend(
        validate_blocks(
            view.get("blocks", []),
            "home" if kind == "home" else "modal",
            pointer="/view/blocks",
            action_id_scope=action_id_scope,
        )
    )
    return errors
