"""Live MIDI input: hardware ports and a virtual ``synthlearn`` port through python-rtmidi.

Each port's callback runs in rtmidi's thread: it turns the message's bytes into an event
stamped on arrival (the next block the audio hook runs) and pushes it onto the engine's
lock-free queue. A watcher thread opens ports that appear and forgets ports that vanish, once a
second (``watch_every_s``: a bench measures without it). Where no MIDI system exists (rtmidi
raises without an ALSA sequencer) it says so once and goes on.

Measured on the JACK dummy driver (bench/midi_latency.py): listing ports through mido opens and
closes two JACK clients per call, which cost about 4 late blocks per scan (148 late blocks in
40 s at block 256 against 0); the watcher therefore lists through one long-lived rtmidi client.
Ports made by other rtmidi programs (``RtMidiOut Client:...``) are left alone: such a program
connects itself to the virtual port, and opening its port as well would double every note.

Closing a port safely. python-rtmidi takes the GIL in its callback and holds it while it
deletes a port, and closing a JACK client cancels the client's thread: a message arriving as a
port closes left that thread cancelled inside CPython's GIL wait, the GIL's lock held for good
and the process hung (seen in the MIDI latency bench, as the last note-off arrived).
python-rtmidi's own ``cancel_callback`` frees the callback that such a thread is about to call
(a crash instead). So a port is closed by cutting its JACK connections first (nothing new can
arrive), letting any callback on its way finish with the GIL free, then deleting it; mido,
whose close sets its callback again just before closing, is not used for inputs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from synthlearn import events
from synthlearn.audio import native
from synthlearn.events import Event
from synthlearn.midi.ports import quiet_stderr

WATCH_EVERY_S = 1.0  # the watcher's period unless told (MidiPorts(watch_every_s=...))
CLOSE_DRAIN_S = 0.03  # after the connections are cut: callbacks under way finish (GIL free)
VIRTUAL_NAME = "synthlearn"
SOFTWARE_PORTS = ("RtMidi",)  # rtmidi's default client names: programs that connect to us
NOTE_OFF, NOTE_ON, CONTROL_CHANGE = 0x80, 0x90, 0xB0


def to_event(data, time_smp: int) -> Event | None:
    """A MIDI message's bytes as a synthlearn event (None for messages the pieces do not use;
    note on with velocity 0 is a note off)."""
    if len(data) < 3:
        return None
    kind, channel = data[0] & 0xF0, data[0] & 0x0F
    if kind == NOTE_ON:
        return events.note_on(time_smp, data[1], data[2], channel)
    if kind == NOTE_OFF:
        return events.note_off(time_smp, data[1], channel)
    if kind == CONTROL_CHANGE:
        return events.control(time_smp, data[1], data[2], channel)
    return None


class _Input:
    """One rtmidi input (its own client): a virtual port, or connected to a source port."""

    def __init__(self, rtmidi, api: int, client: str, callback, *, source: str | None = None,
                 jack: bool):
        self.rt = rtmidi.MidiIn(rtapi=api, name=client)
        self.port = VIRTUAL_NAME if source is None else "in"
        try:
            if source is None:
                self.rt.open_virtual_port(VIRTUAL_NAME)
            else:
                self.rt.open_port(self.rt.get_ports().index(source), name=self.port)
            self.rt.ignore_types(sysex=True, timing=True, active_sense=True)
            self.rt.set_callback(callback)
        except BaseException:
            self.rt.delete()
            raise
        self.name = f"{client}:{self.port}"
        self.full_name = self.name if jack else None  # unplugged by this name on close

    def delete(self) -> None:
        self.rt.delete()  # closes the port and the client (see the module docstring)


class MidiPorts:
    """Open ``which`` ("all" or a name fragment) and keep it open as devices come and go,
    looking every ``watch_every_s`` (None: no watcher thread; only :meth:`start`'s scan, and
    any the caller makes)."""

    def __init__(self, push: Callable[[Event], None], now_smp: Callable[[], int], *,
                 which: str = "all", api: str | None = None, say=print,
                 watch_every_s: float | None = WATCH_EVERY_S):
        self.push, self.now_smp, self.which, self.say = push, now_smp, which, say
        self.api = api  # e.g. "UNIX_JACK" when the audio runs on JACK
        self.watch_every_s = watch_every_s
        self.ports: dict[str, _Input] = {}
        self.virtual: _Input | None = None
        self.received = 0
        self.available = True
        self._lister = None  # one rtmidi client that lists ports for every scan
        self._rtmidi = self._api = None
        self._clients = 0
        self._closing = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="synthlearn-midi", daemon=True)

    @property
    def jack(self) -> bool:
        return self.api == "UNIX_JACK"

    def _callback(self, message, _data=None) -> None:
        if self._closing:
            return
        event = to_event(message[0], self.now_smp())
        if event is not None:
            self.received += 1
            self.push(event)

    def _open(self, source: str | None) -> _Input:
        # A client name of our own per port, so a port can be found (and unplugged) by name.
        self._clients += 1
        client = f"synthlearn-midi-{os.getpid()}-{self._clients}"
        return _Input(self._rtmidi, self._api, client, self._callback, source=source,
                      jack=self.jack)

    def start(self) -> MidiPorts:
        try:
            native.ensure()  # rtmidi binds to the libraries chosen for this process
            import rtmidi
        except ImportError:
            from synthlearn.midi.ports import NO_RTMIDI

            self.available = False
            self.say(f"{NO_RTMIDI}; the computer keyboard and MIDI files still work")
            return self
        try:

            self._rtmidi = rtmidi
            self._api = getattr(rtmidi, f"API_{self.api}") if self.api else rtmidi.API_UNSPECIFIED
            with quiet_stderr():  # alsa-lib's own line when there is no sequencer
                self.virtual = self._open(None)
            self.say(f"midi: virtual input {self.virtual.name} (a DAW or controller app can "
                     "connect to it)")
            self._lister = rtmidi.MidiIn(rtapi=self._api, name="synthlearn-watch")
            self.scan()
        except Exception as exc:  # rtmidi's SystemError without an ALSA sequencer, and kin
            self.available = False
            why = ("no ALSA sequencer (modprobe snd-seq; a container has none)"
                   if "ALSA sequencer" in str(exc) else f"{type(exc).__name__}: {exc}")
            self.say(f"no MIDI system here ({why}); the computer keyboard and MIDI files "
                     "still work")
            return self
        if self.which != "all" and not self.ports:
            others = [n for n in self._lister.get_ports() if VIRTUAL_NAME not in n]
            self.say(f"midi: no input port's name contains {self.which!r} yet (here: "
                     + (", ".join(others) or "none") + "); it opens when one appears")
        if self.watch_every_s is not None:
            self._thread.start()
        return self

    def scan(self) -> None:
        """Open new matching ports, drop vanished ones."""
        names = [n for n in self._lister.get_ports()
                 if VIRTUAL_NAME not in n and not any(s in n for s in SOFTWARE_PORTS)
                 and (self.which == "all" or self.which in n)]
        for name in names:
            if name not in self.ports:
                self.ports[name] = self._open(name)
                self.say(f"midi: opened {name}")
        for name in list(self.ports):
            if name not in names:
                self._close([self.ports.pop(name)])
                self.say(f"midi: {name} went away")

    def _watch(self) -> None:
        while not self._stop.wait(self.watch_every_s):
            try:
                self.scan()
            except Exception as exc:  # a device vanishing mid-scan: try again next time
                self.say(f"midi: {exc}")

    def _close(self, inputs: list[_Input]) -> None:
        """Unplug, drain, delete (see the module docstring)."""
        names = [i.full_name for i in inputs if i.full_name]
        if names:
            from synthlearn.audio import jacklib
            from synthlearn.errors import AudioUnavailable

            try:
                jacklib.disconnect_all(names)
            except AudioUnavailable:  # the server is gone: nothing can arrive any more
                pass
        time.sleep(CLOSE_DRAIN_S)  # the GIL is free: a callback under way completes
        for i in inputs:
            i.delete()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._closing = True  # from now on a late callback only returns
        inputs = [*self.ports.values(), *([self.virtual] if self.virtual else [])]
        if inputs:
            self._close(inputs)
        self.ports.clear()
        self.virtual = None
        if self._lister is not None:
            self._lister.delete()
            self._lister = None


def inputs_report(jack_audio: bool) -> list[str]:
    """``synthlearn devices``, the MIDI half: the input ports through JACK (when the audio
    plays on JACK and JACK MIDI works here) and through ALSA, or why none."""
    from synthlearn.midi.ports import jack_midi_missing, list_inputs

    lines = ["midi inputs:"]
    jack_midi = jack_audio and jack_midi_missing() is None
    apis = [("through JACK", "UNIX_JACK")] if jack_midi else []
    for label, api in [*apis, ("through ALSA", "LINUX_ALSA")]:
        names, why = list_inputs(api)
        lines.append(f"  {label}: " + (why or ", ".join(names)))
    if apis:
        lines.append("  perform on JACK adds its own input, named when it starts "
                     "(synthlearn-midi-PID-1:synthlearn)")
    lines.append("  the computer keyboard (in the window) and MIDI files always work")
    return lines
