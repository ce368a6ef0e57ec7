"""What the audio server looks like from here while no audio comes, asked of nobody: a
stalled server answers no one, and opening a client of a dead one has libjack free this
process's other clients of it (see jacklib). Read from pyo's server (shut down by JACK or not)
and the kernel's table of listening sockets (a stopped or stalled server still listens; a
dead one does not)."""

from __future__ import annotations

from synthlearn.audio import backends, jacklib, pipewire

ALIVE = "alive"  # its process still listens for clients, and pyo's client is in it
GONE = "gone"  # nothing listens under its name (or a new server does, and pyo is not told yet)
BACK = "back"  # it shut pyo down (died, or dropped us), and a server listens under its name
UNKNOWN = "unknown"  # no way to tell (portaudio; no /proc)


class ServerWatch:
    """The engine's audio server as seen from the main thread: its label, whether it died
    under pyo, and its status (ALIVE, GONE, BACK or UNKNOWN)."""

    def __init__(self, route: backends.Route):
        self.route = route
        self.backend = route.backend
        self.died = False  # the JACK server shut pyo's server down under us
        self._inode: int | None = None  # its listening socket when audio started

    @property
    def label(self) -> str:
        """The server in a line for the performer."""
        if self.backend != "jack":
            return f"the {self.backend} device"
        if self.route.name == "PipeWire":
            return "PipeWire"
        return f"the JACK server '{jacklib.server_name()}'"

    @property
    def can_rejoin(self) -> bool:
        """Whether a rejoin is done for this server: a JACK server (jackd); not PipeWire
        (not tried) nor a portaudio device."""
        return self.backend == "jack" and self.route.name != "PipeWire"

    def _paths(self) -> tuple[str, ...]:
        """Where the audio server listens for new clients (none known for portaudio)."""
        if self.backend != "jack":
            return ()
        if self.route.name == "PipeWire":
            path = pipewire.socket_path()
            return (path,) if path else ()
        return jacklib.socket_paths()

    def listening(self) -> int | None:
        """The inode of the socket the server listens on now; None when none is known."""
        paths = self._paths()
        if not paths:
            return None
        try:
            return jacklib.listening(paths)
        except OSError:  # no /proc/net/unix here
            return None

    def started(self) -> None:
        """Audio starts (or starts again after a rejoin): the socket it listens on now."""
        self._inode = self.listening()

    def check_died(self, server, running: bool) -> bool:
        """Whether the JACK server shut pyo's server down under us (pyo does so from JACK's
        shutdown callback when the server dies or drops our client); said to jacklib, so that
        no client is opened until a rejoin."""
        if not self.died and running and self.backend == "jack" and not server.getIsBooted():
            self.died = True
            jacklib.server_died()
        return self.died

    def rejoined(self) -> None:
        """A new pyo server plays on the server that came back."""
        self.died = False
        jacklib.server_died(False)

    def status(self, server, running: bool) -> str:
        """ALIVE, GONE, BACK or UNKNOWN (see the module docstring). PipeWire is looked for at
        its own socket."""
        inode = self.listening()
        if self.check_died(server, running):
            return BACK if inode is not None else GONE
        if self._inode is None:
            return UNKNOWN  # no socket seen when audio started (portaudio, no /proc): no telling
        return ALIVE if inode == self._inode else GONE
