"""``synthlearn devices``, the audio half: every route ``--audio auto`` tries, what each
server runs, portaudio's outputs, and why none where none."""

from __future__ import annotations

from synthlearn.audio import backends

STEP_LABELS = {"jack": "jack server", "pipewire": "pipewire", "alsa": "alsa default"}


def audio_report() -> tuple[list[str], backends.Route | None]:
    """(the lines to print, the route ``--audio auto`` plays through or None)."""
    findings, chosen = backends.survey()
    lines = [f"audio (--audio auto takes the first that plays: {backends.AUTO_ORDER}):"]
    for found in findings:
        label = STEP_LABELS[found.step]
        route = found.route
        if route is None:
            lines.append(f"  {label}: {found.why}")
            continue
        fmt = route.fmt
        runs = ""
        if fmt is not None and fmt.period is not None:
            runs = (f" at {fmt.sr} Hz, quantum {fmt.period} frames (perform --block N asks "
                    "for N)" if route.name == "PipeWire"
                    else f" at {fmt.sr} Hz, period {fmt.period} frames (synthlearn plays at it)")
        elif fmt is not None:
            runs = f" at {fmt.sr} Hz"
        lines.append(f"  {label}: {route.server}{runs} via {route.library}")
    info = backends.portaudio_info()
    for index, name in zip(info.indexes, info.outputs, strict=False):
        mark = "*" if index == info.default_output else " "
        rate = (f" ({info.default_sr} Hz)" if index == info.default_output and info.default_sr
                else "")
        lines.append(f"  portaudio {mark} {name}{rate}")
    if not info.outputs:
        lines.append("  portaudio: no output device (pyo would crash booting it; synthlearn "
                     "refuses)")
    lines.append("  offline: always (synthlearn render / synthlearn demo --render)")
    lines.append("  --audio auto plays here through: "
                 + (chosen.line.removeprefix("audio: ") if chosen else "nothing (it renders)"))
    return lines, chosen
