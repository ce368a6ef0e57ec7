"""``ruler``: conversational learning. RuLer learns rules from a small labeled table of synth
presets and the rules make new presets; the performer retrains mid-performance with another
distance or consistency, and the labels conduct the sections.

Commands (the seed's syntax kept):

- ``rules = ruler blip distance:2 consistency:0.5`` — learn (in a worker thread live, at its
  time in a render) and keep the rules under ``rules`` (names are autosaved; ``--resume`` brings
  them back); a failed retrain keeps the old rules and says why. Live, a retrain says when
  it starts and when it ends (its rules, each label's presets, its seconds), ``rules`` and
  ``status`` say how far it got, ``cancel rules`` stops it and a newer ``rules = ruler ...``
  replaces it (queued or running: the newer parameters win). The table is a shipped dataset
  by name (``blip``, ``rain``, ``fm``), the table of rules kept (``r2 = ruler rules
  distance:4``: no file read), or a CSV path (``ruler my/table.csv``: reading a file);
- ``set blip rules r rhythm`` — a random preset of label rhythm into synth blip;
  ``set blip rules 5 tone`` — preset number 5 (from 0); the synth sounds from its first set;
- ``stop blip`` — the synth fades out; ``rules`` — the rule sets kept, with counts;
- ``presets rules rain 700 rain-new.csv`` — export new presets of a label into the run's
  exports folder (a session's ``exports/``, a render's ``--out``), never over a file;
- ``section rain`` — the label conducts: every beat each sounding synth takes a random preset
  of it; ``tempo 90`` sets the beat (BPM); ``section off`` stops conducting.

Synths: every one registered in ``synthlearn.audio.synths`` (``blip``, ``rain`` and ``fm``). A
CSV path is relative to the score in a score, to the working directory in the console; where it
may be is the run's :class:`synthlearn.files.Folders`.

What it shows (``synthlearn.visuals.records.ruler``: the rule set in play, its training presets
and the presets sounding) is published where it changes: the main thread (set, stop, the
conductor, a restore) and whichever thread keeps a name (a retrain: the worker, told by the
names). A panic in the hook puts up the record made beforehand for nothing sounding.
"""

from __future__ import annotations

import threading

import numpy as np

from synthlearn import files
from synthlearn.audio import synths
from synthlearn.commands.language import Param, Spec, Touch, Where
from synthlearn.commands.names import Said
from synthlearn.errors import UserError
from synthlearn.learners.presets import MAX_BYTES as PRESETS_MAX_BYTES
from synthlearn.learners.presets import Presets, parse_presets, presets_csv
from synthlearn.learners.ruler import (
    DEFAULT_MEMORY_MB,
    LIVE_MAX_MEMORY_MB,
    LIVE_MAX_TIME_S,
    LIVE_TIME_S,
    BudgetReached,
    RuLer,
    RuleSet,
)
from synthlearn.pieces.base import Context, Piece
from synthlearn.snapshot import Board, Snapshot
from synthlearn.visuals.records import ruler as ruler_record

DEFAULT_TEMPO_BPM = 60.0
TEXT_BYTES = 256  # a name or label kept with the show's state (UTF-8, longer ones cut)


class Ruler(Piece):
    name = "ruler"
    summary = "conversational learning: RuLer's rules make new synth presets"
    commands = (
        Spec("ruler", (Param("data", "path", example="{dir}/example.csv", names=True),
                       Param("distance", "int", 0, 64, optional=True, default=2),
                       Param("consistency", "float", 0.0, 1.0, optional=True, default=0.5),
                       Param("memory_mb", "int", 16, LIVE_MAX_MEMORY_MB, optional=True,
                             default=DEFAULT_MEMORY_MB),
                       Param("time_s", "float", 1.0, LIVE_MAX_TIME_S, optional=True,
                             default=LIVE_TIME_S)),
             "learn rules from a labeled preset table (a shipped dataset: blip, rain, fm; "
             "rules kept; or a CSV path): r = ruler blip distance:2 consistency:0.5",
             takes_target=True, where=Where.WORKER, touches=Touch.READS),
        Spec("set", (Param("synth", "choice", choices=synths.names()),
                     Param("model", "word", example="rules"),
                     Param("which", "word", example="r"),
                     Param("label", "word", example="tone")),
             "a preset of a label into a synth: set blip rules r tone (r: random, or a number "
             "from 0)", where=Where.MAIN),
        Spec("stop", (Param("synth", "choice", choices=synths.names()),),
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

    def __init__(self, *, seed: int = 0, faithful: bool = False, context: Context | None = None):
        super().__init__(seed=seed, faithful=faithful, context=context)
        self.learner = RuLer().reset(seed=seed)
        self.section = "start"
        self.synths: dict = {}
        self.tempo_bpm = DEFAULT_TEMPO_BPM
        self.conducting: tuple[str, str] | None = None  # (model, label) while a section plays
        self._next_beat_s = 0.0
        self._now_s = 0.0
        self._models: dict[str, tuple[object, RuleSet]] = {}
        self._last_fit: tuple[object, RuleSet] | None = None  # the last fit, counted: reused
        self._learning = None  # the worker's job learning now (for ``rules``), if any
        self.sounding: dict[str, dict] = {}  # synth -> the preset it plays now (for the scene)
        self._version = 0
        # The show's state kept with what is learned (a switch back, a resume): each synth's
        # values, model, label and preset number; the conductor; the section. Names and labels
        # are encoded once, where they change (capture copies, never makes).
        names = synths.names()  # the registry's, when the piece is made
        self._texts = {key: np.zeros(TEXT_BYTES, np.uint8) for key in
                       ("section", "conductor_model", "conductor_label",
                        *(f"{n}_{part}" for n in names for part in ("model", "label")))}
        _put_text(self._texts["section"], self.section)
        self._synth_keys = tuple((name, f"{name}_sounding", f"{name}_values",
                                  synths.synth_params(name)) for name in names)
        self._beat_wait_s: float | None = None  # restored: the conductor's next beat, from now
        # What the scene shows, published where it changes (see the module's docstring): a
        # record whose sizes follow the rule set shown, worked out once per rule set.
        self._shown_lock = threading.Lock()  # the main thread and the worker both publish
        self._shown_of: dict = {}  # name -> (the state kept, its ruler_record.Shown)
        self._shown_seen: tuple[int, int] | None = None  # (_version, names.version) published
        self._showing = Snapshot(**ruler_record.layout())  # what sounds, when something does
        self._quiet = self._showing  # nothing sounding: made beforehand, never written again
        self._quiet_of: tuple | None = None  # (name, state) it shows
        self.shown = Board(self._showing)
        self._publish_shown()
        self.names.watch(self._publish_shown)  # a retrain kept: what it shows follows

    # -- set-up ---------------------------------------------------------------------------
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

    # -- time, for the conductor and the log -------------------------------------------------
    def main_tick(self, time_s: float) -> None:
        """Between blocks, in the main thread: the conductor's beat; what changed elsewhere
        (a fit in the worker, a panic in the hook) published."""
        self._now_s = time_s
        if self._beat_wait_s is not None:  # the first tick since a restore: its clock goes on
            self._next_beat_s, self._beat_wait_s = time_s + self._beat_wait_s, None
        resolved = self._resolve_sounding()
        self.publish_learned_if_moved()
        if resolved or self._shown_seen != (self._version, self.names.version):
            self._publish_shown()
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
        learned = self._last_fit
        rules = learned[1] if learned is not None and learned[0] is state else \
            RuleSet.from_state(state)
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
    def describe(self, cmd) -> str | None:
        if cmd.name == "ruler":  # what it learns, every parameter said (a retrain's line)
            data, distance, consistency, memory_mb, time_s = cmd.args
            extra = "".join(f" {key}:{value:g}" for key, value, default in
                            (("memory_mb", memory_mb, DEFAULT_MEMORY_MB),
                             ("time_s", time_s, LIVE_TIME_S)) if value != default)
            return f"ruler {data} distance:{distance} consistency:{consistency:g}{extra}"
        return None

    def cmd_ruler(self, data: str, distance: int = 2, consistency: float = 0.5,
                  memory_mb: int = DEFAULT_MEMORY_MB, time_s: float = LIVE_TIME_S) -> Said:
        """The rules' state (what ``r = ruler ...`` keeps), said with its counts: ``ruler
        blip: 11 rules (tone 40 presets, rhythm 12), learned in 0.02 s``."""
        presets = self.table(data)
        learner = RuLer(distance=distance, consistency=consistency, memory_mb=memory_mb,
                        time_s=time_s)
        learner.rng_state = self.learner.rng_state  # one generator for the whole piece
        # On the worker, the job's own flag (a cancel, a newer retrain, a quit) stops the fit,
        # and the job keeps how far it got (status, rules): both are its thread's.
        thread = threading.current_thread()
        cancel, job = getattr(thread, "cancel", None), getattr(thread, "job", None)
        self._learning = job
        try:
            found = learner.fit(presets, cancel=cancel,
                                progress=job.note if job is not None else None)
        except BudgetReached as exc:  # nothing assigned: the rules kept play on
            key, top = {"memory": ("memory_mb", LIVE_MAX_MEMORY_MB),
                        "time": ("time_s", LIVE_MAX_TIME_S)}.get(exc.what, ("", 0))
            more = f"{key}:{min(2 * exc.limit, top):g}" if exc.limit < top else None
            raise UserError("ruler: " + exc.message(
                more, kept="the rules kept before stay as they were")) from None
        finally:
            self._learning = None
        self.log.append({"time_s": round(self._now_s, 6), "retrain": data,
                         "distance": distance, "consistency": consistency,
                         "rules": len(found.rules), "seconds": round(found.seconds, 6)})
        self._version += 1
        state = found.to_state()
        self._last_fit = (state, found)  # counted here: ``rules`` and ``set`` reuse the counts
        counts = ", ".join(f"{label} {found.count(label)}" + (" presets" if i == 0 else "")
                           for i, label in enumerate(found.labels))
        return Said(state, f"ruler {data}: {len(found.rules)} rules ({counts}), learned in "
                           f"{found.seconds:.2f} s")

    def cmd_set(self, synth: str, model: str, which: str, label: str) -> str:
        values = self._set(synth, model, which, label)
        return f"{synth}: " + ", ".join(f"{k} {v:g}" for k, v in values.items())

    def _set(self, synth: str, model: str, which: str, label: str) -> dict:
        rules = self.model(model)
        if which == "r":
            n = self.learner.random_index(rules.count(label))
        else:
            try:
                n = int(which)
            except ValueError:
                raise UserError(f"set: {which!r} is not r or a preset number") from None
        preset = rules.preset(label, n)
        values = self.synths[synth].set(dict(zip(rules.presets.names, preset, strict=True)))
        self.sounding[synth] = {"model": model, "label": label, "preset": preset, "index": n,
                                "values": values}
        _put_text(self._texts[f"{synth}_model"], model)
        _put_text(self._texts[f"{synth}_label"], label)
        self._section(label)
        self.log.append({"time_s": round(self._now_s, 6), "set": synth, "model": model,
                         "label": label, "values": values})
        self._changed()
        return values

    def _section(self, name: str) -> None:
        self.section = name
        self.section_time_s = self._now_s
        _put_text(self._texts["section"], name)

    def _changed(self) -> None:
        """Main thread: the show's state moved; published now (learned_in MAIN), and what
        the scene shows."""
        self._version += 1
        self.publish_learned()
        self._publish_shown()

    def _resolve_sounding(self) -> bool:
        """Main thread: a restored synth's preset, once the rules it came from are known here
        (the performance gives the piece its names after building it). True if one was."""
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

    # -- what the scene shows ------------------------------------------------------------------
    def _newest_kept(self) -> str | None:
        kept = [n for n, v in self.names.items() if isinstance(v, dict) and "rules" in v]
        return kept[-1] if kept else None

    def _shown(self, name: str | None) -> tuple:
        """(the state kept as ``name``, the record's view of its rules), worked out once per
        rule set (None: nothing to show)."""
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
                quiet.fill(snapshot.back(), ())
                snapshot.publish()
                self._quiet, self._quiet_of = snapshot, (kept, state)
            playing = list(self.sounding.values())
            if not playing:
                self.shown.snapshot = self._quiet
                return
            name = playing[-1]["model"]
            shown = self._shown(name)[1]
            snapshot = self._showing
            if not shown.fits(snapshot, lines):
                snapshot = self._showing = Snapshot(**shown.layout(lines))
            shown.fill(snapshot.back(), [entry["preset"] for entry in playing
                                         if entry["model"] == name and entry.get("preset")])
            snapshot.publish()
            self.shown.snapshot = snapshot

    def panic(self) -> None:
        for name, synth in self.synths.items():
            if synth.sounding:
                synth.stop()
            self.sounding.pop(name, None)
        self.conducting = None
        self._version += 1  # the hook: published by the next main tick
        self.shown.snapshot = self._quiet  # nothing sounds: shown now (made beforehand)

    def cmd_stop(self, synth: str) -> str:
        was = self.synths[synth].sounding
        self.synths[synth].stop()
        self.sounding.pop(synth, None)
        self._changed()
        return f"{synth} fades out" if was else f"{synth} was silent"

    def status(self) -> str:
        sounding = [f"{name} ({v['label']} from {v['model']})" for name, v in
                    self.sounding.items() if self.synths.get(name) and
                    self.synths[name].sounding]
        conducting = (f"section {self.conducting[1]} at {self.tempo_bpm:g} bpm"
                      if self.conducting else "no section")
        return (f"ruler: sounding {', '.join(sounding) or 'nothing'}; {conducting}\n"
                + self._kept())  # the console's status says what the worker learns

    def cmd_rules(self) -> str:
        learning = self._learning  # the worker's job: how far it got is its own
        if learning is None:
            return self._kept()
        kept = self._kept() if self._kept_names() else "no rules kept yet"
        return f"{kept}\n{learning}; the rules kept play on until it ends"

    def _kept_names(self) -> list[str]:
        return [n for n, v in self.names.items()
                if isinstance(v, dict) and v.get("kind") == RuleSet.STATE_KIND]

    def _kept(self) -> str:
        kept = self._kept_names()
        if not kept:
            return "no rules yet: r = ruler DATA.csv distance:2 consistency:0.5"
        lines = []
        for name in kept:
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

    def cmd_section(self, label: str) -> str:
        if label == "off":
            was = self.conducting
            self.conducting = None
            self._changed()
            return (f"section off: the synths keep their presets (was {was[1]})" if was
                    else "section off: no section was conducting")
        kept = [n for n, v in self.names.items()
                if isinstance(v, dict) and v.get("kind") == RuleSet.STATE_KIND]
        model = next((n for n in reversed(kept) if label in self.model(n).labels), None)
        if model is None:
            raise UserError(f"section: no rules kept here know the label {label!r}")
        self.conducting = (model, label)
        _put_text(self._texts["conductor_model"], model)
        _put_text(self._texts["conductor_label"], label)
        self._section(label)
        self._next_beat_s = self._now_s
        self._changed()
        sounding = [n for n, s in self.synths.items() if s.sounding]
        return (f"section {label}: every beat ({self.tempo_bpm:g} bpm) "
                + (f"{', '.join(sounding)} take{'s' if len(sounding) == 1 else ''} a preset "
                   f"of {label} from {model}" if sounding
                   else f"each sounding synth takes a preset of {label} from {model} (none "
                        "sounds yet: set one)"))

    def cmd_tempo(self, bpm: float) -> str:
        was = self.tempo_bpm
        self.tempo_bpm = float(bpm)
        self._changed()
        return f"tempo {bpm:g} bpm (was {was:g})" + ("" if self.conducting else
                                                     "; no section conducts yet")

    # -- what others read -------------------------------------------------------------------
    def state_version(self) -> int:
        return self._version

    def signals(self) -> dict[str, float]:
        return {"sounding": float(sum(s.sounding for s in self.synths.values())),
                "tempo_bpm": self.tempo_bpm}

    def scene(self, engine, width: int, height: int, fps: float, source=None):
        from synthlearn.visuals.scenes import SnapshotView
        from synthlearn.visuals.scenes.ruler import RulerScene

        return SnapshotView(self.shown, RulerScene(width, height))

    # -- what is learned: the generator (the rules themselves are kept as names), and what the
    # show is doing: what each synth sounds (values, and the model, label and preset number it
    # came from), the conductor, the section, the tempo. It changes in the main thread (set,
    # the conductor), the worker (a fit moves the generator: one 64-bit word, copied in one
    # element copy no thread can split) and, on a panic, the hook: the piece publishes it
    # itself (learned_in MAIN), where it changes and at the next main tick after the others.
    learned_in = Where.MAIN

    def learned_layout(self) -> dict:
        layout = {"rng_state": (1, np.uint64), "tempo_bpm": 1, "conductor": 2,
                  **{key: (TEXT_BYTES, np.uint8) for key in self._texts}}
        for _, sounding_key, values_key, params in self._synth_keys:
            layout[sounding_key] = (2, np.int64)  # sounding, preset number
            layout[values_key] = len(params)
        return layout

    def capture_learned(self, record: dict[str, np.ndarray]) -> None:
        np.copyto(record["rng_state"], self.learner.rng_state)
        record["tempo_bpm"][0] = self.tempo_bpm
        conductor = record["conductor"]
        conductor[0] = self.conducting is not None
        wait_s = (self._beat_wait_s if self._beat_wait_s is not None
                  else max(0.0, self._next_beat_s - self._now_s))
        conductor[1] = wait_s if self.conducting else 0.0
        for key, text in self._texts.items():
            np.copyto(record[key], text)
        for name, sounding_key, values_key, params in self._synth_keys:
            entry = self.sounding.get(name)  # kept after the synths are let go (a switch)
            sounding, values = record[sounding_key], record[values_key]
            sounding[0] = entry is not None
            sounding[1] = entry["index"] if entry is not None else -1
            for i, param in enumerate(params):
                values[i] = entry["values"][param.name] if entry is not None else param.default

    def restore_learned(self, state: dict[str, np.ndarray]) -> None:
        self.learner.rng_state[:] = np.asarray(state["rng_state"], np.uint64).reshape(1)
        if "tempo_bpm" not in state:  # saved before the show's state was kept
            return
        tempo = float(np.asarray(state["tempo_bpm"]).reshape(-1)[0])
        if not 10.0 <= tempo <= 400.0:
            raise ValueError(f"tempo {tempo} out of range")
        self.tempo_bpm = tempo
        for key, text in self._texts.items():
            text[:] = np.asarray(state[key], np.uint8).reshape(TEXT_BYTES)
        self.section = _get_text(self._texts["section"]) or "start"
        on, wait_s = (float(x) for x in np.asarray(state["conductor"]).reshape(2))
        self.conducting = ((_get_text(self._texts["conductor_model"]),
                            _get_text(self._texts["conductor_label"])) if on else None)
        self._beat_wait_s = wait_s if on else None
        self.sounding = {}
        for name, sounding_key, values_key, params in self._synth_keys:
            sounding, index = (int(x) for x in np.asarray(state[sounding_key]))
            if not sounding:
                continue
            saved = np.asarray(state[values_key], np.float64).reshape(-1)
            if saved.size != len(params):
                raise ValueError(f"{name}_values: {saved.size} values, {len(params)} expected")
            # its preset (for the scene) is found once its rules are known: _resolve_sounding
            self.sounding[name] = {
                "values": {p.name: float(v) for p, v in zip(params, saved, strict=True)},
                "model": _get_text(self._texts[f"{name}_model"]),
                "label": _get_text(self._texts[f"{name}_label"]), "index": index,
                "preset": None}
        self._version += 1
        self._publish_shown()


def _put_text(field: np.ndarray, text: str) -> None:
    """``text`` into a fixed-size uint8 field (UTF-8, zero-padded, cut to fit)."""
    data = text.encode("utf-8")[:field.size]
    field[:] = 0
    field[:len(data)] = np.frombuffer(data, np.uint8)


def _get_text(field: np.ndarray) -> str:
    return bytes(np.asarray(field, np.uint8)).rstrip(b"\0").decode("utf-8", "ignore")
