"""Flush-to-zero and denormals-are-zero for the thread that runs the DSP.

Once notes are released, one-pole smoothers (pyo's ``Port`` among them) decay towards 0 through
the subnormal floats (below 1.2e-38 in float32), and x86 CPUs compute on those up to a hundred
times slower: measured here, every later block cost 3.3x (ldd, 8 notes) to 5.1x (additive, 128
sines) more, for good. With the FTZ and DAZ bits set in the thread's floating-point control
register, such results become exactly 0 and the cost goes back to what it was.

The bits are per thread. We reach them through the C library's ``fegetenv``/``fesetenv`` (ctypes,
no new dependency) and a ``fenv_t`` laid out as glibc does it:

- x86-64: MXCSR is bytes 28..31; FTZ is bit 15, DAZ bit 6.
- aarch64: FPCR is bytes 0..3; FZ (bit 24) flushes both inputs and results.

Elsewhere :func:`supported` is False and nothing is changed; our own kernels snap their decaying
states to exact zeros anyway, so only pyo's internal smoothers would be left to the CPU.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import threading

X86_FTZ = 1 << 15
X86_DAZ = 1 << 6
ARM_FZ = 1 << 24
_FENV_BYTES = 64  # larger than any fenv_t we read (x86-64: 32 bytes, aarch64: 8)

_MACHINE = platform.machine().lower()
if _MACHINE in ("x86_64", "amd64"):
    _OFFSET, _BITS = 28, X86_FTZ | X86_DAZ
elif _MACHINE in ("aarch64", "arm64"):
    _OFFSET, _BITS = 0, ARM_FZ
else:
    _OFFSET, _BITS = -1, 0


def _libm():
    if _OFFSET < 0 or platform.system() != "Linux":
        return None
    try:
        # PyDLL keeps the GIL through the call: a CDLL call releases it, and taking it back
        # in the audio thread can wait a whole switch interval behind another thread.
        lib = ctypes.PyDLL(ctypes.util.find_library("m") or "libm.so.6")
        lib.fegetenv.argtypes = lib.fesetenv.argtypes = (ctypes.c_void_p,)
        return lib
    except (OSError, AttributeError):
        return None


_LIBM = _libm()


class FloatControl:
    """The floating-point control word of the calling thread, read and set through a buffer of
    its own: the engine keeps one for the DSP thread, made (and its C calls bound) before audio
    starts, so the first block allocates and resolves nothing. One thread at a time uses it."""

    def __init__(self) -> None:
        self._buf = ctypes.create_string_buffer(_FENV_BYTES)
        self._addr = ctypes.addressof(self._buf) + _OFFSET
        if _LIBM is not None:
            self._set(self.word())  # bind the C functions now, not in the audio thread

    def word(self) -> int:
        """MXCSR (x86-64) or FPCR (aarch64) of the calling thread; -1 where unsupported."""
        if _LIBM is None:
            return -1
        _LIBM.fegetenv(self._buf)
        return int.from_bytes(self._buf.raw[_OFFSET:_OFFSET + 4], "little")

    def _set(self, word: int) -> None:
        _LIBM.fegetenv(self._buf)
        ctypes.memmove(self._addr, word.to_bytes(4, "little"), 4)
        _LIBM.fesetenv(self._buf)

    def flushing(self) -> bool:
        """Whether subnormal numbers are flushed to zero in the calling thread."""
        return _LIBM is not None and self.word() & _BITS == _BITS

    def flush_to_zero(self) -> int:
        """Set FTZ and DAZ (FZ on ARM) in the calling thread; return the word before, for
        :meth:`restore` (-1 where unsupported: nothing changes)."""
        if _LIBM is None:
            return -1
        before = self.word()
        if before & _BITS != _BITS:
            self._set(before | _BITS)
        return before

    def restore(self, word: int) -> None:
        """Put back the flush bits of a word :meth:`flush_to_zero` returned."""
        if _LIBM is None or word < 0:
            return
        now = self.word()
        wanted = (now & ~_BITS) | (word & _BITS)
        if wanted != now:
            self._set(wanted)


def supported() -> bool:
    """Whether this machine's flush-to-zero bits can be read and set here."""
    return _LIBM is not None


def is_flushing_word(word: int) -> bool:
    """Whether a control word (as :meth:`FloatControl.word` returns) flushes subnormals."""
    return word >= 0 and word & _BITS == _BITS


_local = threading.local()


def _here() -> FloatControl:
    """A FloatControl for the calling thread (for callers other than the engine)."""
    control = getattr(_local, "control", None)
    if control is None:
        control = _local.control = FloatControl()
    return control


def control_word() -> int:
    return _here().word()


def flushing() -> bool:
    return _here().flushing()


def flush_to_zero() -> int:
    return _here().flush_to_zero()


def restore(word: int) -> None:
    _here().restore(word)
