"""``ruler``: conversational learning. RuLer learns rules from a small labeled table of synth
presets and the rules make new presets; the performer retrains mid-performance with another
distance or consistency, and the labels conduct the sections.

Commands (the seed's syntax kept):

- ``rules = ruler blip distance:2 consistency:0.5`` — learn (in a worker thread live, at its
  time in a render) and keep the rules under ``rules`` (names are autosaved; ``--resume`` brings
  them back); a failed retrain keeps the old rules and says why. The table is a shipped dataset
  by name (``blip``, ``rain``, ``fm``), the table of rules kept (``r2 = ruler rules
  distance:4``: no file read), or a CSV path (``ruler my/table.csv``: reading a file);
- ``set blip rules r rhythm`` — a random preset of label rhythm into synth blip;
  ``set blip rules 5 tone`` — preset number 5 (from 0); the synth sounds from its first set;
- ``stop blip`` — the synth fades out; ``rules`` — the rule sets kept, with counts;
- ``presets rules rain 700 rain-new.csv`` — export new presets of a label into the run's
  exports folder (a session's ``exports/``, a render's ``--out``), never over a file;
- ``section rain`` — the label conducts: every beat each sounding synth takes a random preset
  of it; ``tempo 90`` sets the beat (BPM); ``section off`` stops conducting.

Synths: ``blip``, ``rain`` and ``fm`` (``synthlearn.audio.synths``). A CSV path is relative to
the score in a score, to the working directory in the console; where it may be is the run's
:class:`synthlearn.files.Folders`.
"""

from __future__ import annotations

import numpy as np

from synthlearn import files
from synthlearn.commands.language import Param, Spec, Touch, Where
from synthlearn.errors import UserError
from synthlearn.learners.presets import MAX_BYTES as PRESETS_MAX_BYTES
from synthlearn.learners.presets import Presets, parse_presets, presets_csv
from synthlearn.learners.ruler import RuLer, RuleSet
from synthlearn.pieces.base import Piece

SYNTH_NAMES = ("blip", "rain", "fm")
DEFAULT_TEMPO_BPM = 60.0


class Ruler(Piece):
    name = "ruler"
    summary = "conversational learning: RuLer's rules make new synth presets"
    commands = (
        Spec("ruler", (Param("data", "path", example="{dir}/example.csv", names=True),
                       Param("distance", "int", 0, 64, optional=True, default=2),
                       Param("consistency", "float", 0.0, 1.0, optional=True, default=0.5)),
             "learn rules from a labeled preset table (a shipped dataset: blip, rain, fm; "
             "rules kept; or a CSV path): r = ruler blip distance:2 consistency:0.5",
             takes_target=True, where=Where.WORKER, touches=Touch.READS),
        Spec("set", (Param("synth", "choice", choices=SYNTH_NAMES),
                     Param("model", "word", example="rules"),
                     Param("which", "word", example="r"),
                     Param("label", "word", example="tone")),
             "a preset of a label into a synth: set blip rules r tone (r: random, or a number "
             "from 0)", where=Where.MAIN),
        Spec("stop", (Param("synth", "choice", choices=SYNTH_NAMES),),
             "fade a synth out", where=Where.MAIN),
        Spec("rules", (), "the rule sets kept, with their rule and preset counts",
             where=Where.NOW),
        Spec("presets", (Param("model", "word", example="rules"),
                         Param("label", "word", example="tone"),
                         Param("count", "int", 1, 1_000_000),
                         Param("path", "path", example="new-presets.csv", writes=True)),
             "export new presets of a label to a new CSV in the exports folder: presets "
             "rules rain 700 rain-new.csv",
             where=Where.WORKER, touches=Touch.WRITES),
        Spec("section", (Param("label", "word", example="tone"),),
             "the label conducts: each beat every sounding synth takes one of its presets "
             "('section off' stops)", where=Where.MAIN),
        Spec("tempo", (Param("bpm", "float", 10.0, 400.0),), "the conductor's beat",
             where=Where.MAIN),
    )

    # For the piece checks (and a new user): a table, the rules it makes, one set.
    example_files = {"example.csv": "freq,numharm,amp,label\n110,3,0.3,tone\n165,3,0.3,tone\n"
                                    "220,6,0.3,tone\n2,40,0.4,rhythm\n3,80,0.4,rhythm\n"}
    example_lines = ("rules = ruler {dir}/example.csv distance:2 consistency:0.3",
                     "set blip rules 0 tone")

    def __init__(self, *, seed: int = 0, faithful: bool = False):
        super().__init__(seed=seed, faithful=faithful)
        self.learner = RuLer().reset(seed=seed)
        self.section = "start"
        self.synths: dict = {}
        self.files = files.here()  # where commands read and write (the run sets its own)
        self.tempo_bpm = DEFAULT_TEMPO_BPM
        self.conducting: tuple[str, str] | None = None  # (model, label) while a section plays
        self._next_beat_s = 0.0
        self._now_s = 0.0
        self._models: dict[str, tuple[object, RuleSet]] = {}
        self.sounding: dict[str, dict] = {}  # synth -> the preset it plays now (for the scene)
        self._version = 0

    # -- set-up ---------------------------------------------------------------------------
    def build(self, engine):
        from synthlearn.audio.synths import PresetSynth, stereo_mix

        self.synths = {name: PresetSynth(name) for name in SYNTH_NAMES}
        return stereo_mix([s.output for s in self.synths.values()])

    @classmethod
    def warm_kernels(cls) -> None:
        RuLer().reset().warm()

    def release(self) -> None:
        for synth in self.synths.values():
            synth.release()
        self.synths = {}

    # -- time, for the conductor and the log -------------------------------------------------
    def main_tick(self, time_s: float) -> None:
        """Between blocks, in the main thread: the conductor's beat."""
        self._now_s = time_s
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

    # -- the rule sets kept under names -------------------------------------------------------
    def model(self, name: str) -> RuleSet:
        """The rule set kept under ``name`` (rebuilt once from its JSON)."""
        if name not in self.names:
            raise UserError(f"no rules named {name!r}; learn some first: {name} = ruler "
                            "DATA.csv distance:2 consistency:0.5")
        state = self.names[name]
        cached = self._models.get(name)
        if cached is not None and cached[0] is state:
            return cached[1]
        rules = RuleSet.from_state(state)
        self._models[name] = (state, rules)
        return rules

    def table(self, data: str) -> Presets:
        """The preset table ``data`` names: rules kept (their table, in memory), a shipped
        dataset by name, or a CSV path read through the run's folders."""
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

    # -- commands ---------------------------------------------------------------------------
    def cmd_ruler(self, data: str, distance: int = 2, consistency: float = 0.5) -> dict:
        presets = self.table(data)
        learner = RuLer(distance=distance, consistency=consistency)
        learner._rng_state = self.learner._rng_state  # one generator for the whole piece
        found = learner.fit(presets)
        self.log.append({"time_s": round(self._now_s, 6), "retrain": data,
                         "distance": distance, "consistency": consistency,
                         "rules": len(found.rules), "seconds": round(found.seconds, 6)})
        self._version += 1
        return found.to_state()

    def cmd_set(self, synth: str, model: str, which: str, label: str) -> str:
        values = self._set(synth, model, which, label)
        return f"{synth}: " + ", ".join(f"{k} {v:g}" for k, v in values.items())

    def _set(self, synth: str, model: str, which: str, label: str) -> dict:
        rules = self.model(model)
        if which == "r":
            preset = rules.preset(label, self.learner.random_index(rules.count(label)))
        else:
            try:
                n = int(which)
            except ValueError:
                raise UserError(f"set: {which!r} is not r or a preset number") from None
            preset = rules.preset(label, n)
        values = self.synths[synth].set(dict(zip(rules.presets.names, preset, strict=True)))
        self.sounding[synth] = {"model": model, "label": label, "preset": preset}
        self.section = label
        self.section_time_s = self._now_s
        self.log.append({"time_s": round(self._now_s, 6), "set": synth, "model": model,
                         "label": label, "values": values})
        self._version += 1
        return values

    def panic(self) -> None:
        for name, synth in self.synths.items():
            if synth.sounding:
                synth.stop()
            self.sounding.pop(name, None)
        self.conducting = None

    def cmd_stop(self, synth: str) -> None:
        self.synths[synth].stop()
        self.sounding.pop(synth, None)
        self._version += 1

    def status(self) -> str:
        sounding = [f"{name} ({v['label']} from {v['model']})" for name, v in
                    self.sounding.items() if self.synths.get(name) and
                    self.synths[name].sounding]
        conducting = (f"section {self.conducting[1]} at {self.tempo_bpm:g} bpm"
                      if self.conducting else "no section")
        return (f"ruler: sounding {', '.join(sounding) or 'nothing'}; {conducting}\n"
                + self.cmd_rules())

    def cmd_rules(self) -> str:
        kept = [(n, v) for n, v in self.names.items()
                if isinstance(v, dict) and v.get("kind") == RuleSet.STATE_KIND]
        if not kept:
            return "no rules yet: r = ruler DATA.csv distance:2 consistency:0.5"
        lines = []
        for name, _ in kept:
            rules = self.model(name)
            counts = ", ".join(f"{label} {rules.count(label)}" for label in rules.labels)
            lines.append(f"{name}: {len(rules.rules)} rules (distance {rules.distance}, "
                         f"consistency {rules.consistency:g}); presets {counts}")
        return "\n".join(lines)

    def cmd_presets(self, model: str, label: str, count: int, path: str) -> str:
        rules = self.model(model)
        training = set(rules.presets.rows_of(label))
        rows, n, total = [], 0, rules.count(label)
        while len(rows) < count and n < total:
            preset = rules.preset(label, n)
            if preset not in training:
                rows.append(preset)
            n += 1
        target, note = self.files.write_new(path, presets_csv(rules.presets.names, label, rows))
        self.log.append({"time_s": round(self._now_s, 6), "exported": str(target),
                         "label": label, "presets": len(rows)})
        said = f"{len(rows)} new presets of {label!r} written to {target}"
        return f"{said} ({note})" if note else said

    def cmd_section(self, label: str) -> None:
        if label == "off":
            self.conducting = None
            return
        kept = [n for n, v in self.names.items()
                if isinstance(v, dict) and v.get("kind") == RuleSet.STATE_KIND]
        model = next((n for n in reversed(kept) if label in self.model(n).labels), None)
        if model is None:
            raise UserError(f"section: no rules kept here know the label {label!r}")
        self.conducting = (model, label)
        self.section = label
        self.section_time_s = self._now_s
        self._next_beat_s = self._now_s

    def cmd_tempo(self, bpm: float) -> None:
        self.tempo_bpm = float(bpm)

    # -- what others read -------------------------------------------------------------------
    def state_version(self) -> int:
        return self._version

    def signals(self) -> dict[str, float]:
        return {"sounding": float(sum(s.sounding for s in self.synths.values())),
                "tempo_bpm": self.tempo_bpm}

    def scene(self, engine, width: int, height: int, fps: float, source=None):
        from synthlearn.visuals.scenes.ruler import RulerScene

        return RulerScene(self, width, height)

    # -- what is learned: the generator (the rules themselves are kept as names) ---------------
    # It changes in the main thread (set, the conductor) and the worker (a fit), never in the
    # audio thread; the hook still publishes it (learned_in AUDIO): it is one 64-bit word,
    # copied in one element copy that no other thread can split, so every copy is whole. A
    # piece with more state changed there declares learned_in MAIN and publishes it itself.
    def learned_layout(self) -> dict:
        return {"rng_state": (1, np.uint64)}

    def capture_learned(self, record: dict[str, np.ndarray]) -> None:
        np.copyto(record["rng_state"], self.learner._rng_state)

    def restore_learned(self, state: dict[str, np.ndarray]) -> None:
        self.learner._rng_state[:] = np.asarray(state["rng_state"], np.uint64).reshape(1)
