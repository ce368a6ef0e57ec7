"""MIDI input: files (mido) now; rtmidi ports and the computer keyboard with the live shell."""
