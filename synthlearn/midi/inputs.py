"""Live MIDI input: hardware ports and a virtual ``synthlearn`` port through mido + rtmidi.

Each port's callback runs in rtmidi's thread: it converts the message to an event stamped on
arrival (the next block the audio hook runs) and pushes it onto the engine's lock-free queue.
A watcher thread opens ports that appear and forgets ports that vanish, once a second. Where no
MIDI system exists (rtmidi raises without an ALSA sequencer) it says so once and goes on.

Measured on the JACK dummy driver (bench/midi_latency.py): listing ports through mido opens and
closes two JACK clients per call, which cost about 4 late blocks per scan (148 late blocks in
40 s at block 256 against 0); the watcher therefore lists through one long-lived rtmidi client.
Ports made by other rtmidi programs (``RtMidiOut Client:...``) are left alone: such a program
connects itself to the virtual port, and opening its port as well would double every note.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from synthlearn import events
from synthlearn.events import Event

WATCH_EVERY_S = 1.0
VIRTUAL_NAME = "synthlearn"
SOFTWARE_PORTS = ("RtMidi",)  # rtmidi's default client names: programs that connect to us


def to_event(msg, time_smp: int) -> Event | None:
    """A mido message as a synthlearn event (None for messages the pieces do not use)."""
    if msg.type == "note_on":
        return events.note_on(time_smp, msg.note, msg.velocity, msg.channel)
    if msg.type == "note_off":
        return events.note_off(time_smp, msg.note, msg.channel)
    if msg.type == "control_change":
        return events.control(time_smp, msg.control, msg.value, msg.channel)
    return None


class MidiPorts:
    """Open ``which`` ("all" or a name fragment) and keep it open as devices come and go."""

    def __init__(self, push: Callable[[Event], None], now_smp: Callable[[], int], *,
                 which: str = "all", api: str | None = None, say=print):
        self.push, self.now_smp, self.which, self.say = push, now_smp, which, say
        self.api = api  # e.g. "UNIX_JACK" when the audio runs on JACK
        self.ports: dict[str, object] = {}
        self.virtual = None
        self.received = 0
        self.available = True
        self._lister = None  # one rtmidi client that lists ports for every scan
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="synthlearn-midi", daemon=True)

    def _backend(self):
        import mido

        return mido.Backend(f"mido.backends.rtmidi/{self.api}" if self.api else
                            "mido.backends.rtmidi", load=True)

    def _callback(self, msg) -> None:
        event = to_event(msg, self.now_smp())
        if event is not None:
            self.received += 1
            self.push(event)

    def start(self) -> MidiPorts:
        try:
            backend = self._backend()
            self.virtual = backend.open_input(VIRTUAL_NAME, virtual=True, callback=self._callback)
            import rtmidi

            api = getattr(rtmidi, f"API_{self.api}") if self.api else rtmidi.API_UNSPECIFIED
            self._lister = rtmidi.MidiIn(rtapi=api, name="synthlearn-watch")
            self.scan()
        except Exception as exc:  # rtmidi's SystemError without an ALSA sequencer, and kin
            self.available = False
            self.say(f"no MIDI system here ({type(exc).__name__}: {exc}); "
                     "the computer keyboard and MIDI files still work")
            return self
        self._thread.start()
        return self

    def scan(self) -> None:
        """Open new matching ports, drop vanished ones."""
        names = [n for n in self._lister.get_ports()
                 if VIRTUAL_NAME not in n and not any(s in n for s in SOFTWARE_PORTS)
                 and (self.which == "all" or self.which in n)]
        for name in names:
            if name not in self.ports:
                self.ports[name] = self._backend().open_input(name, callback=self._callback)
                self.say(f"midi: opened {name}")
        for name in list(self.ports):
            if name not in names:
                port = self.ports.pop(name)
                port.close()
                self.say(f"midi: {name} went away")

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_EVERY_S):
            try:
                self.scan()
            except Exception as exc:  # a device vanishing mid-scan: try again next time
                self.say(f"midi: {exc}")

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for port in [*self.ports.values(), self.virtual]:
            if port is not None:
                port.close()
        self.ports.clear()
        self.virtual = None
        if self._lister is not None:
            self._lister.delete()
            self._lister = None
