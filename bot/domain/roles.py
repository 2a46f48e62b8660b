"""Who someone is in a war room. Directors and observers are recorded (`committee_roles`); any other
member of the war-room channel is a member; anyone else is an outsider."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OUTSIDER = "outsider"
    OBSERVER = "observer"
    MEMBER = "member"
    DIRECTOR = "director"
