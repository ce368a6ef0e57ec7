"""What ruler's scene shows, published where it changes: the rule set in play, its training
presets and the presets sounding (``synthlearn.visuals.records.ruler``).

The main thread publishes it (set, stop, the conductor, a restore) and so does whichever thread
keeps a name (a retrain: the worker, told by the names); never the hook, as a new rule set
allocates. A panic in the hook puts up the record made beforehand for nothing sounding.
"""

from __future__ import annotations

import threading

from synthlearn.errors import UserError
from synthlearn.snapshot import Board, Snapshot
from synthlearn.visuals.records import ruler as ruler_record


class Showing:
    """The piece's half that publishes what its scene draws (mixed into the piece)."""

    def _make_shown(self) -> None:
        """The records and their caches (the piece's ``__init__``, before the first publish)."""
        self._shown_lock = threading.Lock()  # the main thread and the worker both publish
        self._shown_of: dict = {}  # name -> (the state kept, its ruler_record.Shown)
        self._shown_seen: tuple[int, int] | None = None  # (_version, names.version) published
        self._showing = Snapshot(**ruler_record.layout())  # what sounds, when something does
        self._quiet = self._showing  # nothing sounding: made beforehand, never written again
        self._quiet_of: tuple | None = None  # (name, state) it shows
        self.shown = Board(self._showing)
        self._publish_shown()
        self.names.watch(self._publish_shown)  # a retrain kept: what it shows follows

    def _status_lines(self) -> list[str]:
        """What the show does, in words for the picture: the section, every synth sounding,
        an audition, a retrain in progress, the live tables."""
        from synthlearn.pieces.ruler import tables

        lines = [f"section {self.conducting[1]} at {self.tempo_bpm:g} bpm" if self.conducting
                 else f"{self.tempo_bpm:g} bpm, no section"]
        for name, entry in self.sounding.items():
            how = (f"{entry['label']} from {entry['model']}" if entry["model"] else
                   "exploring" if name in self.exploring else "by hand")
            lines.append(f"{name}: {how}")
        if self.auditioning is not None:
            synth, model, label, numbers, at, _ = self.auditioning
            lines.append(f"audition {model} {label} on {synth}: {at} of {len(numbers)}")
        if self._learning is not None:
            lines.append(f"learning: {self._learning}")
        for name, value in self.names.items():
            if tables.is_table(value):
                lines.append(tables.summary(name, value))
        return lines

    def _kept_rows(self, shown) -> list:
        """The rows of the newest live table with ``shown``'s parameters, to show over its
        rules as they are kept (none when ``shown`` is a table's own points)."""
        from synthlearn.pieces.ruler import tables

        if not shown.of_rules:
            return []
        for _, value in reversed(list(self.names.items())):
            if tables.is_table(value) and value["rows"] and \
                    tuple(value["columns"]) == tuple(shown.names):
                return value["rows"]
        return []

    def _newest_kept(self) -> str | None:
        kept = [n for n, v in self.names.items() if isinstance(v, dict) and "rules" in v]
        return kept[-1] if kept else None

    def _shown(self, name: str | None) -> tuple:
        """(the state kept as ``name``, the record's view of its rules), worked out once per
        rule set (None: no rules kept; then the newest live table with presets, as it is
        collected, else nothing to show)."""
        from synthlearn.pieces.ruler import tables

        if name is None:  # no rules yet: the table being collected, if any
            collected = [n for n, v in self.names.items() if tables.is_table(v) and v["rows"]]
            if collected:
                table = self.names[collected[-1]]
                cached = self._shown_of.get(("table", collected[-1]))
                if cached is None or cached[0] is not table:
                    shown = ruler_record.Shown(None, tables.presets(table, collected[-1]))
                    cached = self._shown_of[("table", collected[-1])] = (table, shown)
                return cached
        state = self.names[name] if name is not None and name in self.names else None
        cached = self._shown_of.get(name)
        if cached is None or cached[0] is not state:
            try:
                rules = self.model(name) if state is not None else None
            except UserError:  # a damaged rule set kept: nothing to show
                rules = None
            cached = self._shown_of[name] = (state, ruler_record.Shown(rules))
        return cached

    def _publish_shown(self) -> None:
        """What the scene shows, published (the main thread, or the thread that kept a name;
        never the hook: a new rule set allocates): the rule set the synth set last sounds
        from, else the newest kept, and the presets sounding from it. The record for nothing
        sounding is made here too, for a panic in the hook to put up."""
        with self._shown_lock:
            self._shown_seen = (self._version, self.names.version)
            lines = len(self._synth_keys)
            kept = self._newest_kept()
            state, quiet = self._shown(kept)
            if self._quiet_of is None or self._quiet_of[0] != kept or \
                    self._quiet_of[1] is not state:
                snapshot = Snapshot(**quiet.layout(lines))
                quiet.fill(snapshot.back(), (), self._status_lines(), self._kept_rows(quiet))
                snapshot.publish()
                self._quiet, self._quiet_of = snapshot, (kept, state)
            playing = list(self.sounding.values())
            if not playing:
                quiet.fill(self._quiet.back(), (), self._status_lines(),  # its words move on
                           self._kept_rows(quiet))
                self._quiet.publish()
                self.shown.snapshot = self._quiet
                return
            # The rules the synth set last sounds from; set by hand, the newest kept if it has
            # that synth's parameters (what is kept shows over them), else the table collected.
            name = playing[-1]["model"] or None
            if name is None and kept is not None and \
                    tuple(playing[-1]["values"]) == tuple(quiet.names):
                name = kept
            shown = self._shown(name)[1]
            snapshot = self._showing
            if not shown.fits(snapshot, lines):
                snapshot = self._showing = Snapshot(**shown.layout(lines))
            sounding = [entry["preset"] if entry["model"] else  # by hand: its values there
                        tuple(entry["values"].get(c) for c in shown.names) for entry in playing
                        if (entry["model"] == name and entry.get("preset")) or
                        not entry["model"]]
            shown.fill(snapshot.back(), sounding, self._status_lines(), self._kept_rows(shown))
            snapshot.publish()
            self.shown.snapshot = snapshot
