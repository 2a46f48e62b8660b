"""The console session: a local war room in the terminal, through the real dispatch path.

`soapbot console [--as <member>] [--demo]` (and `soapbot run` with no Slack credentials) runs the
SAME Bolt app as production (`bot.app.create_app`), served the same way (`bot.web.wsgi_app` on a
loopback port, in a thread), and sends it requests signed exactly as Slack signs them
(`bot.console.signing.SlackClientSim`). The Web API (`SLACK_API_URL`) points at an in-process
local Web API (`bot.console.web_api.LocalWebApi`), which records what the app posts; the console
renders those calls as text. There is no second code path for any behaviour: whatever a feature
registers with the app shows up here.

What a person can type (see `help`):
- `/soap …`: a slash command in the war-room channel, as the current member;
- plain text: a message in the channel; `reply <n> <text>`: a reply in message n's thread;
- `press <n> [choice]`: click button n (a real `block_actions` payload); menus take a choice;
- `as <member>`: switch member; `who`: the committee; `thread <n>`: show a thread again;
- `home`: the App Home the app publishes for the current member (`app_home_opened`, then views.publish);
- `@handle` / `@Full Name` in a command or message: a mention, as the Slack client sends it;
- `wait <5m|1h|30s>`: move the console clock and run the clock's jobs (reminders); `time`;
- `share <file> [text]`: upload a file from this computer with a message (an ERAS export with
  `import`, the default text);
- modals (`views.open`) are asked field by field and submitted as a real `view_submission`;
  field errors from the app are shown and those fields asked again; `cancel` closes the modal.

Decisions (for the IT person and the developer who use it):
- Ephemeral answers (response_url with response_type ephemeral, chat.postEphemeral) are marked
  "only visible to you" (or to the member they were for).
- Every message in the channel gets a number (`message 3`), used by `reply 3 …` and `thread 3`.
  Buttons and menus are numbered across the whole session (`[7 Rank high]`), so a number shown
  earlier stays valid; pressing a button of an older version of an updated message sends the
  message as it is now, as Slack would.
- A Web API call the real Slack would refuse (invalid blocks, message too long…) is shown as a
  warning, so a developer sees it here before a workspace does.
- Clock: in a terminal, the console clock is the real time and the app's clock process runs in
  this process (`bot.clock.start_in_process`), so reminders appear while you type; `wait` moves
  the clock forward and runs the clock's jobs at once. When input is not a terminal (a script),
  the clock stands still at `--now` (default: the current time; the demo picks a fixed instant)
  and moves only with `wait`, so a transcript is the same every run. Reminders run only against
  the demo database or when no Slack credentials are configured: a console pointed at a database
  that a real deployment also uses must never take (and "send" to the stand-in) that deployment's
  reminders.
- Logs go to var/console.log, not to the screen.
- With no TTY there are no prompts and no colours: the typed line is echoed after the member's
  name, so the output reads as a transcript.
"""

from __future__ import annotations

import threading

from bot.console.commands import Commands
from bot.console.transcript import ConsoleExit


class Console(Commands):
    """A console session: what the person types, handled one line at a time, until `quit`."""

    # -- the loop ----------------------------------------------------------------------------------
    def banner(self, lines: list[str]) -> None:
        for line in lines:
            self.say(line)
        self.say()

    def run(self) -> None:
        if self.interactive:
            self._start_watcher()
        try:
            while True:
                try:
                    line = self.read_line(self.prompt)
                except KeyboardInterrupt:
                    self.say()
                    continue
                with self._busy:
                    self.handle(line)
        except ConsoleExit:
            pass
        finally:
            self._stop.set()

    def _start_watcher(self) -> None:
        """In a terminal: show what the app posts on its own (reminders) while the person is typing."""

        def watch() -> None:
            while not self._stop.wait(1.0):
                if len(self.workspace.standin.calls) <= self._cursor:
                    continue
                if not self._busy.acquire(blocking=False):
                    continue
                try:
                    self.workspace.settle()
                    with self._print_lock:
                        self.stdout.write("\r\n")
                        self.render_new()
                        self.stdout.write(self.prompt)
                        self.stdout.flush()
                finally:
                    self._busy.release()

        threading.Thread(target=watch, name="console-watch", daemon=True).start()
