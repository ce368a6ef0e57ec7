"""The ruler piece: its synths, the conductor's beat, the rule sets kept under names, and
what it keeps (``state``) and shows (``shown``); its commands are ``commands``."""

from __future__ import annotations

import numpy as np

from synthlearn import files
from synthlearn.audio import synths
from synthlearn.commands.language import Where
from synthlearn.errors import UserError
from synthlearn.events import Event, Kind
from synthlearn.learners.presets import MAX_BYTES as PRESETS_MAX_BYTES
from synthlearn.learners.presets import Presets, parse_presets
from synthlearn.learners.ruler import RuLer, RuleSet
from synthlearn.pieces.base import Context, Piece
from synthlearn.pieces.ruler import state, tables
from synthlearn.pieces.ruler.commands import SPECS, Commands, param_specs
from synthlearn.pieces.ruler.shown import Showing

DEFAULT_TEMPO_BPM = 60.0
STATUS_EVERY_S = 0.5  # a retrain's progress in the picture


class _Commands:
    """The piece's commands, read when asked: SPECS, and ``SYNTH.PARAM`` for every parameter
    of every synth registered then (a performance's own synths load before its language)."""

    def __get__(self, obj, owner=None) -> tuple:
        return SPECS + param_specs()


class Ruler(Commands, Showing, Piece):
    name = "ruler"
    summary = "conversational learning: RuLer's rules make new synth presets"
    commands = _Commands()

    # For the piece checks (and a new user): a table, the rules it makes, one set.
    example_files = {"example.csv": "freq,numharm,amp,label\n110,3,0.3,tone\n165,3,0.3,tone\n"
                                    "220,6,0.3,tone\n2,40,0.4,rhythm\n3,80,0.4,rhythm\n"}
    example_lines = ("rules = ruler {dir}/example.csv distance:2 consistency:0.3",
                     "set blip rules 0 tone", "keep blip tone")

    def __init__(self, *, seed: int = 0, faithful: bool = False, context: Context | None = None):
        super().__init__(seed=seed, faithful=faithful, context=context)
        self.learner = RuLer().reset(seed=seed)
        self.section = "start"
        self.synths: dict = {}
        self.tempo_bpm = DEFAULT_TEMPO_BPM
        self.conducting: tuple[str, str] | None = None  # (model, label) while a section plays
        # synth -> [beats between presets, next time (s)] while it explores its ranges
        self.exploring: dict[str, list[float]] = {}
        # (synth, model, label, preset numbers to play, next position, next time) or None
        self.auditioning: list | None = None
        # MIDI controllers: the hook keeps each one's last value and a count of its moves
        # (no allocation there); the main tick applies them to the parameters mapped
        self.cc_map: dict[int, tuple[str, str]] = {}
        self._explore_waits: dict[str, float] | None = None  # restored, till the first tick
        self.learning_cc: tuple[str, str] | None = None  # learn: the next controller moved
        self._cc_value = np.zeros(128, np.int64)
        self._cc_count = np.zeros(128, np.int64)
        self._cc_applied = np.zeros(128, np.int64)
        self._next_beat_s = 0.0
        self._now_s = 0.0
        self._models: dict[str, tuple[object, RuleSet]] = {}
        self._last_fit: tuple[object, RuleSet] | None = None  # the last fit, counted: reused
        self._learning = None  # the worker's job learning now (for ``rules``), if any
        self.sounding: dict[str, dict] = {}  # synth -> the preset it plays now (for the scene)
        self._version = 0
        # The show's state kept with what is learned (``state``: a switch back, a resume):
        # each synth's values, model, label and preset number; the conductor; the section.
        names = synths.names()  # the registry's, when the piece is made
        self._texts = {key: np.zeros(state.TEXT_BYTES, np.uint8) for key in
                       ("section", "conductor_model", "conductor_label",
                        *(f"{n}_{part}" for n in names for part in ("model", "label")))}
        state.put_text(self._texts["section"], self.section)
        self._synth_keys = tuple((name, f"{name}_sounding", f"{name}_values",
                                  synths.synth_params(name)) for name in names)
        self._beat_wait_s: float | None = None  # restored: the conductor's next beat, from now
        # What the scene shows, published where it changes (``shown``): a record whose sizes
        # follow the rule set shown, worked out once per rule set.
        self._status_due_s = 0.0
        self._make_shown()

    def build(self, engine):
        from synthlearn.audio.synths import PresetSynth, stereo_mix

        self.synths = {name: PresetSynth(name) for name, *_ in self._synth_keys}
        for name, entry in self.sounding.items():  # restored: what sounded when it last played
            self.synths[name].set(entry["values"])
        return stereo_mix([s.output for s in self.synths.values()])

    @classmethod
    def warm_kernels(cls) -> None:
        RuLer().reset().warm()

    def release(self) -> None:
        for synth in self.synths.values():
            synth.release()
        self.synths = {}

    def main_tick(self, time_s: float) -> None:
        """Between blocks, in the main thread: the conductor's beat; what changed elsewhere
        (a fit in the worker, a panic in the hook) published."""
        self._now_s = time_s
        if self._beat_wait_s is not None:  # the first tick since a restore: its clock goes on
            self._next_beat_s, self._beat_wait_s = time_s + self._beat_wait_s, None

        if self._explore_waits is not None:  # the first tick since a restore: they go on
            for name, wait_s in self._explore_waits.items():
                self.exploring[name][1] = time_s + wait_s
            self._explore_waits = None
        resolved = self._resolve_sounding()
        self.publish_learned_if_moved()
        learning = self._learning is not None and time_s >= self._status_due_s
        if resolved or learning or self._shown_seen != (self._version, self.names.version):
            self._status_due_s = time_s + STATUS_EVERY_S  # a retrain's progress, now and then
            self._publish_shown()
        self._controllers()
        self._explore_and_audition(time_s)
        if self.conducting is None or time_s < self._next_beat_s:
            return
        model, label = self.conducting
        self._next_beat_s = time_s + 60.0 / self.tempo_bpm
        for name, synth in self.synths.items():
            if not synth.sounding:
                continue
            # the rules it sounds from if they know the label, else the conductor's; a synth
            # neither fits (fm under blip's rules) keeps its preset
            own = self.sounding.get(name, {}).get("model")
            for candidate in dict.fromkeys((own, model)):
                if candidate is None or candidate not in self.names or \
                        label not in self.model(candidate).labels:
                    continue
                try:
                    self._set(name, candidate, "r", label)
                    break
                except UserError:  # its parameters are not this synth's
                    continue

    def on_event(self, event: Event) -> None:
        """Audio thread: a controller's value kept (the main tick applies it); commands run."""
        if event.kind == Kind.CONTROL:
            self._cc_value[event.number] = event.value
            self._cc_count[event.number] += 1
        else:
            super().on_event(event)

    def _controllers(self) -> None:
        """Main thread: a controller moved since the last tick drives what it is mapped to;
        armed by ``learn``, the first one moved is mapped."""
        moved = np.flatnonzero(self._cc_count != self._cc_applied)
        if not len(moved):
            return
        if self.learning_cc is not None:
            cc = int(moved[0])
            self.cc_map[cc], self.learning_cc = self.learning_cc, None
            self.repeats.add("learned", f"cc{cc} drives {'.'.join(self.cc_map[cc])}")
        for cc in moved:
            self._cc_applied[cc] = self._cc_count[cc]
            target = self.cc_map.get(int(cc))
            if target is None:
                continue
            synth, param = target
            spec = next(p for p in synths.synth_params(synth) if p.name == param)
            share = float(self._cc_value[cc]) / 127.0
            self._set_by_hand(synth, {param: spec.low + share * (spec.high - spec.low)})

    def _explore_and_audition(self, time_s: float) -> None:
        """Main thread, each tick: an exploring synth takes a new random preset every so many
        beats; an audition plays its next preset each beat, until its list ends."""
        for synth, plan in self.exploring.items():
            if time_s >= plan[1]:
                plan[1] = time_s + plan[0] * 60.0 / self.tempo_bpm
                self._set_by_hand(synth, self._random_values(synth))
        heard = self.auditioning
        if heard is not None and time_s >= heard[5]:
            synth, model, label, numbers, at, _ = heard
            if at >= len(numbers):
                self.auditioning = None
                return
            heard[4], heard[5] = at + 1, time_s + 60.0 / self.tempo_bpm
            try:
                self._set(synth, model, str(numbers[at]), label)
            except UserError:  # the rules went meanwhile (a retrain that failed): stop
                self.auditioning = None

    def _random_values(self, synth: str) -> dict:
        """A preset drawn over the synth's ranges with the piece's generator: uniform, or
        uniform in log where a positive range spans 100x or more (frequencies)."""
        values = {}
        for p in synths.synth_params(synth):
            u = self.learner.random_index(1 << 30) / float(1 << 30)
            if p.low > 0 and p.high >= 100 * p.low:
                values[p.name] = p.low * (p.high / p.low) ** u
            else:
                values[p.name] = p.low + u * (p.high - p.low)
        return values

    def _set_by_hand(self, synth: str, values: dict) -> dict:
        """Values into a synth not from a rule set (by hand, exploring): it sounds; kept as
        what it plays."""
        applied = self.synths[synth].set(values)
        entry = self.sounding.get(synth)
        if entry is None or entry["model"]:
            entry = self.sounding[synth] = {"model": "", "label": "", "preset": (),
                                            "index": -1}
            state.put_text(self._texts[f"{synth}_model"], "")
            state.put_text(self._texts[f"{synth}_label"], "")
        entry["values"] = dict(self.synths[synth].values)
        self._changed()
        return applied

    def model(self, name: str) -> RuleSet:
        """The rule set kept under ``name`` (rebuilt once from its JSON)."""
        if name not in self.names:
            raise UserError(f"no rules named {name!r}; learn some first: {name} = ruler "
                            "DATA.csv distance:2 consistency:0.5")
        kept = self.names[name]
        cached = self._models.get(name)
        if cached is not None and cached[0] is kept:
            return cached[1]
        learned = self._last_fit
        rules = learned[1] if learned is not None and learned[0] is kept else \
            RuleSet.from_state(kept)
        self._models[name] = (kept, rules)
        return rules

    def table(self, data: str) -> Presets:
        """The preset table ``data`` names: a live table kept here, rules kept (their table, in
        memory), a shipped dataset by name, a CSV path read through the run's folders, or
        several of these joined with ``+`` (the same columns)."""
        if "+" in data:
            parts = [part for part in data.split("+")]
            if not all(parts):
                raise UserError(f"ruler: {data!r}: tables joined with + (blip+live)")
            return tables.joined([(part, self.table(part)) for part in parts])
        if data in self.names and tables.is_table(self.names[data]):
            return tables.presets(self.names[data], data)
        if not files.is_name(data):
            return parse_presets(self.files.read_bytes(data, PRESETS_MAX_BYTES,
                                                         "a preset table"), data)
        if data in self.names and isinstance(self.names[data], dict) and \
                self.names[data].get("kind") == RuleSet.STATE_KIND:
            return self.model(data).presets
        shipped = files.shipped_datasets()
        if data in shipped:
            return parse_presets(shipped[data].read_bytes(), data)
        raise UserError(f"ruler: no rules kept or shipped dataset named {data!r} (shipped: "
                        f"{', '.join(shipped)}); a file is named by its path: ./{data}.csv")

    def _section(self, name: str) -> None:
        self.section = name
        self.section_time_s = self._now_s
        state.put_text(self._texts["section"], name)

    def _changed(self) -> None:
        """Main thread: the show's state moved; published now (learned_in MAIN), and what
        the scene shows."""
        self._version += 1
        self.publish_learned()
        self._publish_shown()

    def _resolve_sounding(self) -> bool:
        """Main thread: a restored synth's preset, once the rules it came from are kept here
        under their name (they may come later: a score that retrains). True if one was."""
        resolved = False
        for entry in list(self.sounding.values()):  # a panic in the hook may take one
            if entry["preset"] is None and entry["model"] in self.names:
                resolved = True
                try:
                    entry["preset"] = self.model(entry["model"]).preset(entry["label"],
                                                                        entry["index"])
                except (UserError, KeyError, ValueError):
                    entry["preset"] = ()  # those rules changed: its values still sound
        return resolved

    def panic(self) -> None:
        for name, synth in self.synths.items():
            if synth.sounding:
                synth.stop()
            self.sounding.pop(name, None)
        self.conducting = None
        self.exploring.clear()
        self.auditioning = None
        self._version += 1  # the hook: published by the next main tick
        self.shown.snapshot = self._quiet  # nothing sounds: shown now (made beforehand)

    def status(self) -> str:
        sounding = [f"{name} ({v['label']} from {v['model']})" if v["model"] else
                    f"{name} (set by hand)" for name, v in
                    self.sounding.items() if self.synths.get(name) and
                    self.synths[name].sounding]
        conducting = (f"section {self.conducting[1]} at {self.tempo_bpm:g} bpm"
                      if self.conducting else "no section")
        return (f"ruler: sounding {', '.join(sounding) or 'nothing'}; {conducting}\n"
                + self._kept())  # the console's status says what the worker learns

    def state_version(self) -> int:
        return self._version

    def signals(self) -> dict[str, float]:
        return {"sounding": float(sum(s.sounding for s in self.synths.values())),
                "tempo_bpm": self.tempo_bpm}

    def scene(self, engine, width: int, height: int, fps: float, source=None):
        from synthlearn.visuals.scenes import SnapshotView
        from synthlearn.visuals.scenes.ruler import RulerScene

        return SnapshotView(self.shown, RulerScene(width, height))

    # -- what is learned, and what the show is doing (see ``state``) ------------------------
    learned_in = Where.MAIN

    def learned_layout(self) -> dict:
        return state.layout(self)

    def capture_learned(self, record: dict[str, np.ndarray]) -> None:
        state.capture(self, record)

    def restore_learned(self, saved: dict[str, np.ndarray]) -> None:
        state.restore(self, saved)
