"""Which audio route plays here, found without booting anything that could crash.

The routes ``--audio auto`` tries, in order (``devices`` shows each, and why not):

1. **a running JACK server** (a hand-started jackd, or PipeWire when its libjack is the
   system's, e.g. under ``pw-jack``): asked through the system's libjack;
2. **PipeWire**: through its own libjack (``pipewire-jack``) when installed, else through
   ALSA's ``default`` PCM, which pipewire-alsa routes to it;
3. **ALSA's default** output through portaudio.

A JACK server is found by asking the libjack that will play (``jack_client_open`` that never
starts a server), never by looking for jackd's socket file: PipeWire has none. pyo 1.1.0
segfaults when it boots portaudio with no output device, so portaudio is asked first
(``pa_get_default_output()``). Choosing a route commits the process's native libraries
(``native``) before pyo is imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from synthlearn.audio import jacklib, native, pipewire
from synthlearn.audio.quiet import c_stderr_silenced
from synthlearn.errors import AudioUnavailable, UserError

BACKENDS = ("auto", "jack", "pipewire", "portaudio", "offline", "manual")
LIVE_CHOICES = ("auto", "jack", "pipewire", "portaudio")  # what --audio offers
AUTO_ORDER = "a running JACK server, PipeWire, ALSA's default output"

RENDER_HINT = "render instead: synthlearn render SCORE.toml (or synthlearn demo, which renders)"


@dataclass(frozen=True)
class ServerFormat:
    """What an audio server runs: its sample rate (Hz) and, for JACK, its period (frames)."""

    sr: int
    period: int | None = None


@dataclass(frozen=True)
class Route:
    """How the sound leaves: pyo's audio mode, the server behind it, the library we talk
    through, and the format the server imposes (None: ours to choose)."""

    backend: str  # pyo's mode: jack | portaudio | offline | manual
    server: str  # e.g. "jackd", "PipeWire 0.3.65", "ALSA default (PipeWire)"
    library: str  # e.g. "libjack 1.9.21 (/usr/lib/...)"
    fmt: ServerFormat | None = None
    jack: native.JackLib | None = None  # the libjack this route plays through

    @property
    def name(self) -> str:
        """The server in the one-line note about its format."""
        if self.server.startswith("PipeWire"):
            return "PipeWire"
        return "JACK" if self.backend == "jack" else "the audio device"

    @property
    def line(self) -> str:
        """The one line a performance starts with: which server and library play."""
        if self.backend in ("offline", "manual"):
            return f"audio: {self.backend} (pyo's manual clock, no device)"
        return f"audio: {self.server} via {self.library}"


@dataclass(frozen=True)
class Finding:
    """One route as found here: the route, or why it cannot play."""

    step: str  # "jack" | "pipewire" | "alsa"
    route: Route | None
    why: str = ""


@dataclass(frozen=True)
class PortaudioInfo:
    default_output: int  # portaudio's device index, -1 for none
    outputs: tuple[str, ...]
    default_sr: int | None = None  # the default output device's own rate
    indexes: tuple[int, ...] = ()  # portaudio's device index of each output

    @property
    def default_name(self) -> str | None:
        named = dict(zip(self.indexes, self.outputs, strict=False))
        return named.get(self.default_output)


def portaudio_info() -> PortaudioInfo:
    """Default output device index (-1 for none) and output device names, quietly."""
    native.ensure()  # pyo binds to the libraries chosen for this process
    import pyo

    with c_stderr_silenced():
        default = int(pyo.pa_get_default_output())
        try:
            names, indexes = pyo.pa_get_output_devices()
        except Exception:  # pyo raises plain errors when portaudio finds no host API
            names, indexes = [], []
        default_sr = None
        if default >= 0:
            try:
                outputs = pyo.pa_get_devices_infos()[1]
                default_sr = int(outputs[default]["default sr"])
            except Exception:  # a device that vanished between the two calls
                default_sr = None
    return PortaudioInfo(default, tuple(str(n) for n in names), default_sr,
                         tuple(int(i) for i in indexes))


def _candidates(step: str, committed_only: bool = True) -> list[native.JackLib]:
    """The libjacks a step may play through: a committed one only, once there is one (unless
    only looking: ``committed_only=False``)."""
    libs = list(native.jack_libraries())
    if step == "jack-first":  # auto's first step: the system's libjack, not PipeWire's folder
        libs = [lib for lib in libs if lib.origin != "pipewire"]
    elif step == "pipewire":
        libs = [lib for lib in libs if lib.pipewire]
    done = native.committed()
    if committed_only and done is not None and done.jack is not None:
        libs = [lib for lib in libs if lib.path == done.jack.path]
    return libs


def find_jack(step: str, client: str = "synthlearn-probe", *,
              committed_only: bool = True) -> Finding:
    """A JACK server answering through one of ``step``'s libraries (nothing committed)."""
    libs = _candidates(step, committed_only)
    for lib in libs:
        fmt = jacklib.answers(lib, client)
        if fmt is not None:
            server = f"PipeWire {lib.pipewire} (JACK)" if lib.pipewire else "JACK (jackd)"
            return Finding("jack", Route("jack", server, lib.describe(), ServerFormat(*fmt),
                                         lib))
    if not libs:
        why = ("pipewire-jack is not installed (its libjack plays through PipeWire)"
               if step == "pipewire" else jacklib.NO_LIBJACK)
        return Finding("jack", None, why)
    why = "no JACK server answers through " + " or ".join(lib.describe() for lib in libs)
    asked = os.environ.get("JACK_DEFAULT_SERVER") or "default"
    others = [name for name in running_jackd_names() if name != asked]
    if others:
        named = ", ".join(repr(name) for name in others)
        why += (f"; a jackd runs here under another name ({named}): JACK_DEFAULT_SERVER=NAME "
                "plays through it")
    return Finding("jack", None, why)


def running_jackd_names() -> list[str]:
    """The server names of the jackd processes running here (``-n NAME``, else "default"),
    read from /proc: a server under another name than JACK_DEFAULT_SERVER's is not found
    by libjack, and the performer is told which name to give."""
    names = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                args = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if not args or os.path.basename(args[0]) not in ("jackd", "jackdmp"):
            continue
        name = "default"
        for i, arg in enumerate(args[1:-1], start=1):
            if arg in ("-n", "--name"):
                name = args[i + 1]
            elif arg == "-d":  # the driver's own options follow
                break
        for arg in args[1:]:
            if arg.startswith("--name="):
                name = arg.split("=", 1)[1]
        names.append(name)
    return sorted(set(names))


def find_alsa() -> Finding:
    """ALSA's default output through portaudio (commits the default libraries if nothing was
    committed: portaudio lives in pyo). Through PipeWire's ALSA plugin it opens at the graph's
    rate, so PipeWire need not resample."""
    loaded = native.ensure()
    info = portaudio_info()
    if info.default_output < 0:
        why = "portaudio finds no audio output device here"
        if not loaded.asound:
            why += " (with pyo's own alsa-lib, which cannot load the system's ALSA plugins)"
        return Finding("alsa", None, why)
    device = info.default_name or "default"
    if "pipewire" in info.outputs and pipewire.running():
        return Finding("alsa", Route("portaudio", f"PipeWire (ALSA's {device}, through "
                                     "pipewire-alsa)",
                                     f"portaudio and {loaded.describe_alsa()}",
                                     ServerFormat(pipewire.graph_rate())))
    fmt = ServerFormat(info.default_sr) if info.default_sr else None
    return Finding("alsa", Route("portaudio", f"ALSA ({device})",
                                 f"portaudio and {loaded.describe_alsa()}", fmt))


def find_pipewire(client: str = "synthlearn-probe", *, committed_only: bool = True) -> Finding:
    """PipeWire through its libjack, else through its ALSA plugin (which commits)."""
    if not pipewire.running():
        where = pipewire.socket_path()
        return Finding("pipewire", None, "PipeWire is not running" + (
            f" (nothing answers at {where})" if where else " (no XDG_RUNTIME_DIR)"))
    found = find_jack("pipewire", client, committed_only=committed_only)
    if found.route is not None:
        return Finding("pipewire", found.route)
    alsa = find_alsa()
    if alsa.route is not None and "PipeWire" in alsa.route.server:
        return Finding("pipewire", alsa.route)
    return Finding("pipewire", None, f"PipeWire runs, but {found.why}, and ALSA's default "
                   "does not reach it (apt-get install pipewire-alsa)")


def _commit(route: Route) -> Route:
    native.commit(route.jack)
    return route


def resolve(backend: str, *, sr: int = 48000, block: int | None = 256,
            client: str = "synthlearn-probe") -> Route:
    """The route ``backend`` plays through here (``auto``: the first of AUTO_ORDER that
    works), its libraries committed; AudioUnavailable saying why when none can play.
    ``block`` is asked of PipeWire (None: ask nothing, see what it runs)."""
    if backend not in BACKENDS:
        raise UserError(f"unknown audio backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if backend in ("offline", "manual"):
        native.ensure()
        return Route(backend, backend, "")
    if block is not None:  # before any PipeWire client opens (our probe included)
        pipewire.request_latency(block, sr)
    if backend == "jack":
        found = find_jack("any", client)
        if found.route is None:
            raise AudioUnavailable(
                f"{found.why}; start one, e.g. 'jackd -R -d alsa' (or 'jackd -R -d dummy -r "
                "48000 -p 256' with no sound card), or use --audio auto, or " + RENDER_HINT)
        return _commit(found.route)
    if backend == "pipewire":
        found = find_pipewire(client)
    elif backend == "portaudio":
        found = find_alsa()
    else:
        whys = []
        for find in (lambda: find_jack("jack-first", client), lambda: find_pipewire(client),
                     find_alsa):
            found = find()
            if found.route is not None:
                break
            whys.append(found.why)
        else:
            raise AudioUnavailable("no audio output here (" + "; ".join(whys) + "); "
                                   + RENDER_HINT)
    if found.route is None:
        raise AudioUnavailable(f"{found.why}; " + RENDER_HINT)
    return _commit(found.route)


def survey(client: str = "synthlearn-probe") -> tuple[list[Finding], Route | None]:
    """Every route as found here, and the one ``--audio auto`` takes (for ``devices``)."""
    try:
        # First: it commits this process's libraries. No block asked: what the server runs.
        chosen = resolve("auto", block=None, client=client)
    except AudioUnavailable:
        chosen = None
    findings = [find_jack("jack-first", client, committed_only=False),
                find_pipewire(client, committed_only=False), find_alsa()]
    return findings, chosen


def jack_running(server: str | None = None) -> bool:
    """True if a jack2 server (jackd, named ``server`` or the default one) answers: asked
    through the system's libjack or pyo's, not PipeWire's."""
    return any(jacklib.answers(lib, "synthlearn-probe", server) is not None
               for lib in native.jack_libraries() if not lib.pipewire)
