"""MIDI ports through mido + python-rtmidi (listing now; live input with the live shell)."""

from __future__ import annotations


def list_inputs() -> tuple[list[str], str | None]:
    """(input port names, None) or ([], why there are none)."""
    try:
        import mido

        names = mido.get_input_names()
    except Exception as exc:  # rtmidi raises its own SystemError without an ALSA sequencer
        return [], f"no MIDI system here ({type(exc).__name__}: {exc})"
    if not names:
        return [], "the MIDI system lists no input ports"
    return list(names), None
