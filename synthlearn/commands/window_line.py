"""The live console as one line in the window (pure: key names and typed text in, lines out).

The computer keyboard is a piano until Return opens the line; then keys type into it: Tab
completes, Up/Down walk the history (shared with the terminal console), Backspace deletes,
Return runs the line and Escape closes it without running. Key releases always go to the piano,
so a note held when the line opened still ends. The line shows only while open and for
REPLY_SHOW_S after a reply (an error, the first line of help, or the line that ran), so a
projected picture stays clear.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

OPEN = RUN = "return"  # pygame key names
CLOSE, COMPLETE, ERASE, BACK, FORWARD = "escape", "tab", "backspace", "up", "down"
REPLY_SHOW_S = 4.0


class ConsoleLine:
    def __init__(self, complete: Callable[[str], list[str]], run: Callable[[str], str | None],
                 history: list[str], clock: Callable[[], float] = time.monotonic):
        # complete and run: the console's, so a piece switch changes the language here too
        self.complete, self.run, self.history, self.clock = complete, run, history, clock
        self.open = False
        self.text = ""
        self.reply = ""
        self.reply_at = -REPLY_SHOW_S
        self._back = 0  # how far Up has walked into the history

    def key(self, name: str, text: str = "") -> bool:
        """A key pressed; True if the console line took it (else it is the piano's)."""
        if not self.open:
            if name == OPEN:
                self.open, self.text, self._back = True, "", 0
                return True
            return False
        if name == RUN:
            line, self.open, self.text = self.text.strip(), False, ""
            if line:
                reply = self.run(line)
                self._say(_first_line(reply) if reply else line)
        elif name == CLOSE:
            self.open, self.text = False, ""
        elif name == ERASE:
            self.text = self.text[:-1]
        elif name == COMPLETE:
            self._complete()
        elif name in (BACK, FORWARD):
            self._walk(1 if name == BACK else -1)
        elif text and text.isprintable():
            self.text += text
        return True

    def _complete(self) -> None:
        options = self.complete(self.text)
        if not options:
            return
        words = self.text.split()
        stem = "" if self.text.endswith(" ") or not words else words[-1]
        stem_at = len(self.text) - len(stem)
        common = os.path.commonprefix(options)
        if len(options) == 1:
            self.text = self.text[:stem_at] + options[0] + " "
        else:
            self.text = self.text[:stem_at] + common
            self._say(" ".join(options))

    def _walk(self, step: int) -> None:
        self._back = max(0, min(len(self.history), self._back + step))
        self.text = self.history[-self._back] if self._back else ""

    def _say(self, reply: str) -> None:
        self.reply, self.reply_at = reply, self.clock()

    def shown(self) -> str:
        """What the window shows: the line being typed, a recent reply, or nothing ("")."""
        if self.open:
            return f"> {self.text}_" + (f"   {self.reply}" if self._recent() else "")
        return self.reply if self._recent() else ""

    def _recent(self) -> bool:
        return self.clock() - self.reply_at < REPLY_SHOW_S


def _first_line(text: str) -> str:
    lines = text.splitlines()
    return lines[0] + (" …" if len(lines) > 1 else "") if lines else ""


class WindowKeys:
    """The window's keys: the console line when open (or opened by Return), else the piano.
    Releases always reach the piano, so a note held while the line opened still ends."""

    def __init__(self, piano, line, push, now_smp):
        self.piano, self.line, self.push, self.now_smp = piano, line, push, now_smp

    def __call__(self, down: bool, name: str, text: str = "") -> None:
        if down and self.line.key(name, text):
            return
        for event in (self.piano.key_down if down else self.piano.key_up)(name, self.now_smp()):
            self.push(event)
