"""The native libraries under pyo and python-rtmidi: which libjack and libasound they call,
chosen once per process, before either extension is imported.

Both wheels bundle a libjack (jack2's client), and pyo an alsa-lib, found by RPATH: on their
own they ignore the machine. pw-jack's LD_LIBRARY_PATH never applies, the bundled libjack only
finds a hand-started jackd, and the bundled alsa-lib looks for its plugins in
``/usr/lib64/alsa-lib`` (Debian and Ubuntu keep PipeWire's in ``/usr/lib/<triplet>/alsa-lib``),
so on a PipeWire laptop nothing played. A library loaded with RTLD_GLOBAL before an extension
is imported comes first in that extension's symbol lookups (measured: pyo then plays through
PipeWire's libjack, rtmidi's JACK MIDI ports appear in PipeWire's graph, portaudio finds ALSA's
``default`` through pipewire-alsa). So synthlearn loads the machine's own libraries first.

Choice (``SYNTHLEARN_AUDIO_LIBS``): ``auto`` (default) the system's where present, the bundled
ones as the fallback; ``system`` the system's only; ``bundled`` the wheels' own, nothing loaded
ahead (how synthlearn behaved before).

A process holds one choice: once pyo or rtmidi has bound its symbols they cannot be moved, so
:func:`commit` refuses a different library later. Probing a candidate (``jack_libraries``)
loads it privately (RTLD_LOCAL), which binds nothing.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import importlib.util
import os
import sys
from dataclasses import dataclass, field

from synthlearn.errors import AudioUnavailable, UserError

MODE_ENV = "SYNTHLEARN_AUDIO_LIBS"
MODES = ("auto", "system", "bundled")
JACK_SONAME = "libjack.so.0"
ASOUND_SONAME = "libasound.so.2"
# Where distributions put PipeWire's libjack (pw-jack adds this folder to LD_LIBRARY_PATH).
PIPEWIRE_JACK_GLOBS = ("/usr/lib/*/pipewire-0.3/jack/libjack.so.0",
                       "/usr/lib64/pipewire-0.3/jack/libjack.so.0",
                       "/usr/lib/pipewire-0.3/jack/libjack.so.0")
EXTENSIONS = ("pyo", "rtmidi")  # the modules whose symbols the choice binds


def mode() -> str:
    value = os.environ.get(MODE_ENV, "auto").strip().lower() or "auto"
    if value not in MODES:
        raise UserError(f"{MODE_ENV}={value!r}: expected one of {', '.join(MODES)}")
    return value


@dataclass(frozen=True)
class JackLib:
    """One libjack that could serve: where it is, whose it is, and a private handle to it."""

    path: str
    origin: str  # "system" (the linker's libjack.so.0), "pipewire" (its folder), "bundled"
    version: str  # jack_get_version_string(): PipeWire's says "... (using PipeWire 0.3.65)"
    cdll: ctypes.CDLL = field(compare=False, repr=False)

    @property
    def pipewire(self) -> str | None:
        """PipeWire's version when this libjack is PipeWire's, else None."""
        marker = "PipeWire "
        if marker not in self.version:
            return None
        return self.version.split(marker, 1)[1].rstrip(")").strip()

    def describe(self) -> str:
        if self.pipewire:
            return f"PipeWire's libjack ({self.path})"
        whose = "pyo's bundled libjack" if self.origin == "bundled" else "libjack"
        return f"{whose} {self.version} ({self.path})"


@dataclass(frozen=True)
class Loaded:
    """What this process committed to: the libjack synthlearn and the extensions call (None:
    none found), the libasound loaded ahead (None: pyo's own), and whether anything was
    loaded ahead at all."""

    jack: JackLib | None
    asound: str | None
    ahead: bool

    def describe_alsa(self) -> str:
        return f"libasound ({self.asound})" if self.asound else "pyo's bundled alsa-lib"


def _path_of(cdll: ctypes.CDLL, symbol: str) -> str:
    """The file the dynamic linker mapped for ``cdll`` (dladdr on one of its symbols)."""

    class DlInfo(ctypes.Structure):
        _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                    ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]

    address = ctypes.cast(getattr(cdll, symbol), ctypes.c_void_p)
    for libc in (None, "libdl.so.2"):  # glibc 2.34 moved dladdr into libc
        try:
            dladdr = ctypes.CDLL(libc).dladdr
        except (OSError, AttributeError):
            continue
        info = DlInfo()
        if dladdr(address, ctypes.byref(info)) and info.fname:
            return os.fsdecode(info.fname)
    return cdll._name


def _bundled_jack() -> list[str]:
    """pyo's own libjack, found without importing pyo (importing it would bind it)."""
    spec = importlib.util.find_spec("pyo")
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = os.path.join(list(spec.submodule_search_locations)[0], os.pardir, "pyo.libs")
    return sorted(glob.glob(os.path.join(folder, "libjack*.so*")))


def _open_jack(name: str, origin: str) -> JackLib | None:
    try:
        cdll = ctypes.CDLL(name)  # RTLD_LOCAL: a probe binds nobody's symbols
    except OSError:
        return None
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    for fn, res, args in (
        ("jack_client_open", vp, (cp, ctypes.c_int, ctypes.POINTER(ctypes.c_int))),
        ("jack_client_close", ctypes.c_int, (vp,)),
        ("jack_get_buffer_size", ctypes.c_uint32, (vp,)),
        ("jack_get_sample_rate", ctypes.c_uint32, (vp,)),
        ("jack_port_by_name", vp, (vp, cp)),
        ("jack_port_get_all_connections", ctypes.POINTER(cp), (vp, vp)),
        ("jack_port_flags", ctypes.c_int, (vp,)),
        ("jack_disconnect", ctypes.c_int, (vp, cp, cp)),
        ("jack_free", None, (vp,)),
        ("jack_get_version_string", cp, ()),
    ):
        try:
            getattr(cdll, fn).restype = res
            getattr(cdll, fn).argtypes = args
        except AttributeError:  # not a libjack we can use
            return None
    version = (cdll.jack_get_version_string() or b"?").decode(errors="replace")
    return JackLib(_path_of(cdll, "jack_client_open"), origin, version, cdll)


@functools.cache
def jack_libraries() -> tuple[JackLib, ...]:
    """Every libjack this process may use, in the order they are tried: the system's (as the
    dynamic linker finds ``libjack.so.0``: under pw-jack, or where PipeWire's is installed as
    the system libjack, that is PipeWire's), PipeWire's from its own folder, and pyo's bundled
    one when the system has no jack2 libjack. Loaded privately, once."""
    which = mode()
    # The soname first: once another file with the soname libjack.so.0 is loaded, dlopen by
    # soname returns that one instead.
    wanted = []
    if which != "bundled":
        wanted.append((JACK_SONAME, "system"))
        wanted += [(p, "pipewire") for pattern in PIPEWIRE_JACK_GLOBS
                   for p in sorted(glob.glob(pattern))]
    found: list[JackLib] = []
    seen: set[str] = set()
    for name, origin in wanted:
        lib = _open_jack(name, origin)
        if lib is not None and os.path.realpath(lib.path) not in seen:
            seen.add(os.path.realpath(lib.path))
            found.append(lib)
    if which == "bundled" or (which == "auto" and all(j.pipewire for j in found)):
        for path in _bundled_jack():
            lib = _open_jack(path, "bundled")
            if lib is not None:
                found.append(lib)
                break
    return tuple(found)


def default_jack() -> JackLib | None:
    """The libjack a process uses when no server decided otherwise (a render, MIDI listing):
    the system's, else pyo's bundled one. PipeWire's own folder is used only when PipeWire
    answers (the backends decide that)."""
    libs = [lib for lib in jack_libraries() if lib.origin != "pipewire"]
    return libs[0] if libs else None


_committed: Loaded | None = None


def committed() -> Loaded | None:
    return _committed


def _imported() -> list[str]:
    return [name for name in EXTENSIONS if name in sys.modules]


def commit(jack: JackLib | None) -> Loaded:
    """Make ``jack`` (and the system's libasound) the libraries pyo and rtmidi bind to, before
    either is imported; the same choice again is a no-op, another one is refused."""
    global _committed
    if _committed is None and _imported():
        # Imported before synthlearn chose (a script importing rtmidi first): they keep the
        # wheels' own; our own few calls go through the default libjack, privately.
        _committed = Loaded(default_jack(), None, False)
    if _committed is not None:
        have = _committed.jack
        moved = jack is not None and (have is None or have.path != jack.path)
        # Bound to the wheels' own (imported first), a jack2 libjack still reaches jackd.
        if moved and (_committed.ahead or jack.pipewire):
            now = have.describe() if have else "the libjack bundled with pyo"
            raise AudioUnavailable(
                f"this process already plays through {now}; {jack.describe()} needs a new "
                "process (start synthlearn again)")
        return _committed
    which = mode()
    if which == "bundled":
        _committed = Loaded(jack, None, False)
        return _committed
    if which == "system" and jack is None:
        raise AudioUnavailable(f"{MODE_ENV}=system, but the system has no {JACK_SONAME} "
                               "(Debian/Ubuntu: apt-get install libjack-jackd2-0, or "
                               "pipewire-jack)")
    if jack is not None and jack.origin != "bundled":
        ctypes.CDLL(jack.path, mode=ctypes.RTLD_GLOBAL)  # promotes the private handle
    asound = None
    try:
        asound_lib = ctypes.CDLL(ASOUND_SONAME, mode=ctypes.RTLD_GLOBAL)
        asound = _path_of(asound_lib, "snd_pcm_open")
    except (OSError, AttributeError):
        if which == "system":
            raise AudioUnavailable(f"{MODE_ENV}=system, but the system has no {ASOUND_SONAME} "
                                   "(Debian/Ubuntu: apt-get install libasound2)") from None
    _committed = Loaded(jack, asound, True)
    return _committed


def ensure() -> Loaded:
    """The committed libraries, committing the default ones first if nothing was chosen: call
    before importing pyo or rtmidi."""
    if _committed is not None:
        return _committed
    # Imported already (a script that imported rtmidi or pyo first): they keep their own.
    return commit(None if _imported() else default_jack())
