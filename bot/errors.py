"""Domain errors. Each carries a message written for the person who typed the command.

Handlers never catch these one by one: the app's one error handler turns any
`WarRoomError` into an ephemeral answer to the person who caused it.
"""

from __future__ import annotations


class WarRoomError(Exception):
    """Something the person asked cannot be done; `str(error)` says why, in the committee's words."""


class NotAWarRoom(WarRoomError):
    def __init__(self) -> None:
        super().__init__(
            "This channel is not a SOAP war room. A program director runs `/soap setup <program name>` "
            "in the program's private war-room channel first."
        )


class NotInCommittee(WarRoomError):
    def __init__(self) -> None:
        super().__init__(
            "Only members of this program's war-room channel can use the war room. "
            "Ask a program director to invite you to the channel."
        )


class NotADirector(WarRoomError):
    def __init__(self, what: str = "do this") -> None:
        super().__init__(f"Only a program director can {what}. Directors are listed by `/soap committee`.")


class ReadOnlyObserver(WarRoomError):
    def __init__(self) -> None:
        super().__init__("You are an observer in this war room: you can read everything but change nothing.")


class BadInput(WarRoomError):
    """The command's words could not be understood; the message shows the right form."""


class CandidateNotFound(WarRoomError):
    pass


class Conflict(WarRoomError):
    """The change contradicts what is already stored (the message names what and who)."""
