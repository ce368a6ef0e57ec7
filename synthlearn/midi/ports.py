"""MIDI ports through mido + python-rtmidi: listing them, and a JACK MIDI output that sends
to a named input (the benchmark's performer, playing into perform's virtual port)."""

from __future__ import annotations

import contextlib
import os
import sys

from synthlearn.audio import native

NO_RTMIDI = ("MIDI ports need python-rtmidi, which is not installed (on Python 3.13 pip must "
             "compile it: pip install 'synthlearn[midi]' with a C++ compiler and the ALSA and "
             "JACK headers)")


@contextlib.contextmanager
def quiet_stderr():
    """Silence file descriptor 2 for a moment: alsa-lib prints its own line there when there
    is no sequencer, before rtmidi raises (the exception says it better)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def list_inputs(api: str | None = None) -> tuple[list[str], str | None]:
    """(input port names, None) or ([], why there are none), through ``api`` ("UNIX_JACK",
    "LINUX_ALSA"; rtmidi's choice when None)."""
    try:
        native.ensure()  # rtmidi binds to the libraries chosen for this process
        import rtmidi
    except ImportError:
        return [], NO_RTMIDI
    try:
        with quiet_stderr():
            lister = rtmidi.MidiIn(rtapi=getattr(rtmidi, f"API_{api}") if api
                                   else rtmidi.API_UNSPECIFIED, name="synthlearn-list")
        try:
            names = lister.get_ports()
        finally:
            lister.delete()
    except Exception as exc:  # rtmidi raises its own SystemError without an ALSA sequencer
        if "ALSA sequencer" in str(exc):
            return [], "no MIDI system here: no ALSA sequencer (modprobe snd-seq; a container " \
                       "has none)"
        return [], f"no MIDI system here ({type(exc).__name__}: {exc})"
    if not names:
        return [], "no input ports yet"
    return list(names), None


def jack_midi_missing() -> str | None:
    """Why python-rtmidi cannot make JACK MIDI ports here, or None."""
    try:
        native.ensure()  # rtmidi binds to the libraries chosen for this process
        import rtmidi
    except ImportError:
        return NO_RTMIDI
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        return "python-rtmidi was built without JACK MIDI"
    return None


class JackOutput:
    """A JACK MIDI output connected to the one input port whose name ends in ``:{port}``."""

    def __init__(self, port: str, client: str = "synthlearn-sender"):
        native.ensure()  # rtmidi binds to the libraries chosen for this process
        import rtmidi

        self._rt = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=client)
        targets = [i for i, name in enumerate(self._rt.get_ports())
                   if name.rsplit(":", 1)[-1] == port]
        if len(targets) != 1:
            self._rt.delete()
            raise OSError(f"expected one JACK MIDI input named '{port}', found {len(targets)}")
        self._rt.open_port(targets[0], name="out")

    def note_on(self, note: int, velocity: int, channel: int = 0) -> None:
        self._rt.send_message([0x90 | channel, int(note), int(velocity)])

    def close(self) -> None:
        self._rt.delete()
