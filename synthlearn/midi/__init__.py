"""MIDI: files (mido), live ports (python-rtmidi: hardware, a virtual input, JACK outputs),
the computer keyboard as a piano, and where MIDI input comes from (``source``). The only place
mido and rtmidi are imported."""
