"""ruler's commands: each spec (what a performer types, where it runs) beside its handler.

``ruler`` learns in the worker (live) or at its time (a render); ``set``, ``stop``, ``section``
and ``tempo`` change the show in the main thread; ``presets`` writes a new file in the
worker. :class:`Commands` is the piece's half that holds the handlers (and ``describe``, the
words of a retrain's line).
"""

from __future__ import annotations

import threading

from synthlearn.audio import synths
from synthlearn.commands.language import Param, Spec, Touch, Where
from synthlearn.commands.names import Said
from synthlearn.errors import UserError
from synthlearn.learners.presets import presets_csv
from synthlearn.learners.ruler import (
    DEFAULT_MEMORY_MB,
    LIVE_MAX_MEMORY_MB,
    LIVE_MAX_TIME_S,
    LIVE_TIME_S,
    BudgetReached,
    RuLer,
    RuleSet,
    live_threads,
)
from synthlearn.pieces.ruler import state, tables

CONTROLS = tuple(f"cc{n}" for n in range(128))
AUDITION_MAX = 4096  # presets an audition lists (a beat each: more than an hour at 60 bpm)

SPECS = (
    Spec("ruler", (Param("data", "path", example="{dir}/example.csv", names=True),
                   Param("distance", "int", 0, 64, optional=True, default=2),
                   Param("consistency", "float", 0.0, 1.0, optional=True, default=0.5),
                   Param("memory_mb", "int", 16, LIVE_MAX_MEMORY_MB, optional=True,
                         default=DEFAULT_MEMORY_MB),
                   Param("time_s", "float", 1.0, LIVE_MAX_TIME_S, optional=True,
                         default=LIVE_TIME_S),
                   Param("fuzzy", "onoff", optional=True, default=False)),
         "learn rules from a labeled preset table (a shipped dataset: blip, rain, fm; a "
         "live table; rules kept; or a CSV path): r = ruler blip distance:2 consistency:0.5 "
         "(fuzzy:on: random presets drawn between training values)",
         takes_target=True, where=Where.WORKER, touches=Touch.READS),
    Spec("set", (Param("synth", "choice", choices_of=synths.names),
                 Param("model", "word", example="rules"),
                 Param("which", "word", example="r"),
                 Param("label", "word", example="tone")),
         "a preset of a label into a synth: set blip rules r tone (r: random, or a number "
         "from 0)", where=Where.MAIN),
    Spec("stop", (Param("synth", "choice", choices_of=synths.names),),
         "fade a synth out", where=Where.MAIN),
    Spec("rules", (), "the rule sets kept, with their rule and preset counts",
         where=Where.NOW),
    Spec("explore", (Param("synth", "choice", choices_of=lambda: (*synths.names(), "off"),
                           example="blip"),
                     Param("every", "float", 0.25, 64.0, optional=True, default=1.0)),
         "a synth plays new random presets over its ranges, one every EVERY beats (default 1) "
         "at the tempo: explore blip every:2; explore off", where=Where.MAIN),
    Spec("audition", (Param("model", "word", example="rules"),
                      Param("label", "word", example="tone"),
                      Param("synth", "word", optional=True, default="", example="blip"),
                      Param("which", "choice", choices=("new", "all"), optional=True,
                            default="new")),
         "hear a label's presets one a beat on a synth, the new ones first (or all in "
         "order): audition rules tone blip", where=Where.MAIN),
    Spec("map", (Param("control", "choice", choices=CONTROLS, shown="ccN", example="cc21"),
                 Param("target", "word", example="blip.freq")),
         "a MIDI controller drives a synth's parameter across its range: map cc21 blip.freq "
         "(map cc21 off lets it go)", where=Where.MAIN),
    Spec("learn", (Param("target", "word", example="blip.freq"),),
         "MIDI learn: the next controller moved drives this parameter: learn blip.freq",
         where=Where.MAIN),
    Spec("check", (Param("model", "word", example="rules"),),
         "how well a rule set generalises, per label: each training preset left out in turn "
         "(right, wrong, unknown), and how far its new presets stray from the training data",
         where=Where.WORKER),
    Spec("synths", (), "the synths (the shipped ones, and yours: perform --synths DIR) with "
         "their parameters' ranges", where=Where.NOW),
    Spec("keep", (Param("synth", "choice", choices_of=synths.names, example="blip"),
                  Param("label", "word", example="tone"),
                  Param("table", "word", optional=True, default="live", example="live")),
         "keep the preset sounding on a synth, labelled, in a live table (default live), to "
         "train on: keep blip tone; r = ruler live", where=Where.MAIN),
    Spec("drop", (Param("table", "word", example="live"),
                  Param("n", "int", 0, tables.MAX_ROWS - 1, example=0)),
         "drop row N of a live table (table lists them)", where=Where.MAIN),
    Spec("table", (Param("table", "word", optional=True, default="live", example="live"),),
         "a live table: its presets by label, the newest rows", where=Where.NOW),
    Spec("save", (Param("table", "word", example="live"),
                  Param("path", "path", example="live.csv", writes=True)),
         "export a live table to a new CSV in the exports folder: save live live.csv",
         where=Where.WORKER, touches=Touch.WRITES),
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



def param_specs() -> tuple[Spec, ...]:
    """``SYNTH.PARAM VALUE`` for every parameter of every synth registered now: a performer's
    synths are loaded before a show's language is made."""
    return tuple(
        Spec(f"{name}.{p.name}", (Param("value", "float", p.low, p.high),),
             f"{name}'s {p.name}, gliding there (a silent {name} starts sounding, its other "
             "parameters at their defaults)", handler_name="cmd_param", bound=(name, p.name),
             where=Where.MAIN)
        for name in synths.names() for p in synths.synth_params(name))

class Commands:
    """The handlers of :data:`SPECS` (mixed into :class:`~synthlearn.pieces.ruler.piece.Ruler`)."""

    def describe(self, cmd) -> str | None:
        if cmd.name == "ruler":  # what it learns, every parameter said (a retrain's line)
            data, distance, consistency, memory_mb, time_s, fuzzy = cmd.args
            extra = "".join(f" {key}:{value:g}" for key, value, default in
                            (("memory_mb", memory_mb, DEFAULT_MEMORY_MB),
                             ("time_s", time_s, LIVE_TIME_S)) if value != default)
            extra += " fuzzy:on" if fuzzy else ""
            return f"ruler {data} distance:{distance} consistency:{consistency:g}{extra}"
        return None

    def cmd_ruler(self, data: str, distance: int = 2, consistency: float = 0.5,
                  memory_mb: int = DEFAULT_MEMORY_MB, time_s: float = LIVE_TIME_S,
                  fuzzy: bool = False) -> Said:
        """The rules' state (what ``r = ruler ...`` keeps), said with its counts: ``ruler
        blip: 11 rules (tone 40 presets, rhythm 12), learned in 0.02 s``."""
        presets = self.table(data)
        learner = RuLer(distance=distance, consistency=consistency, memory_mb=memory_mb,
                        time_s=time_s, threads=live_threads())
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
        found.fuzzy = bool(fuzzy)
        self.log.append({"time_s": round(self._now_s, 6), "retrain": data,
                         "distance": distance, "consistency": consistency,
                         "rules": len(found.rules), "seconds": round(found.seconds, 6)})
        self._version += 1
        kept = found.to_state()
        self._last_fit = (kept, found)  # counted here: ``rules`` and ``set`` reuse the counts
        counts = ", ".join(f"{label} {found.count(label)}" + (" presets" if i == 0 else "")
                           for i, label in enumerate(found.labels))
        return Said(kept, f"ruler {data}: {len(found.rules)} rules ({counts}), learned in "
                           f"{found.seconds:.2f} s")

    def cmd_set(self, synth: str, model: str, which: str, label: str) -> str:
        values = self._set(synth, model, which, label)
        return f"{synth}: " + ", ".join(f"{k} {v:g}" for k, v in values.items())

    def _set(self, synth: str, model: str, which: str, label: str) -> dict:
        rules = self.model(model)
        if which == "r" and rules.fuzzy:  # between the training values (FuzzyRuLer)
            n, preset = -1, rules.fuzzy_preset(label, self.learner.rng_state)
        elif which == "r":
            n = self.learner.random_index(rules.count(label))
            preset = rules.preset(label, n)
        else:
            try:
                n = int(which)
            except ValueError:
                raise UserError(f"set: {which!r} is not r or a preset number") from None
            preset = rules.preset(label, n)
        values = self.synths[synth].set(dict(zip(rules.presets.names, preset, strict=True)))
        # every parameter's value, those the preset does not name at theirs (a table may
        # name fewer parameters than the synth has)
        self.sounding[synth] = {"model": model, "label": label, "preset": preset, "index": n,
                                "values": dict(self.synths[synth].values)}
        state.put_text(self._texts[f"{synth}_model"], model)
        state.put_text(self._texts[f"{synth}_label"], label)
        self._section(label)
        self.log.append({"time_s": round(self._now_s, 6), "set": synth, "model": model,
                         "label": label, "values": values})
        self._changed()
        return values

    def cmd_synths(self) -> str:
        from synthlearn.audio.synth_files import describe

        return "\n".join(f"{name}: {describe(name)}" for name in synths.names())

    def cmd_param(self, synth: str, param: str, value: float) -> str:
        applied = self._set_by_hand(synth, {param: value})
        return f"{synth}.{param} {applied[param]:g}"

    def _target(self, target: str, command: str) -> tuple[str, str]:
        synth, _, param = target.partition(".")
        if synth not in synths.names() or param not in {
                p.name for p in synths.synth_params(synth)}:
            raise UserError(f"{command}: {target!r} is no SYNTH.PARAM; e.g. "
                            + ", ".join(s.name for s in param_specs()[:3]))
        return synth, param

    def cmd_map(self, control: str, target: str) -> str:
        cc = int(control[2:])
        if target == "off":
            was = self.cc_map.pop(cc, None)
            return f"{control} off" + (f" (it drove {'.'.join(was)})" if was else "")
        self.cc_map[cc] = self._target(target, "map")
        self._cc_applied[cc] = self._cc_count[cc]  # from its next move on
        return f"{control} drives {target} across its range"

    def cmd_learn(self, target: str) -> str:
        self.learning_cc = self._target(target, "learn")
        self._cc_applied[:] = self._cc_count  # a controller moved from now on
        return f"move a controller: it will drive {target}"

    def cmd_explore(self, synth: str, every: float = 1.0) -> str:
        if synth == "off":
            was = ", ".join(self.exploring) or "nothing"
            self.exploring = {}
            return f"explore off (was exploring {was})"
        self.exploring[synth] = [float(every), self._now_s]  # its first preset at once
        return (f"{synth} explores its ranges: a new random preset every {every:g} beat"
                f"{'s' if every != 1 else ''} at {self.tempo_bpm:g} bpm; keep {synth} LABEL "
                "keeps the one you like")

    def cmd_audition(self, model: str, label: str, synth: str = "", which: str = "new") -> str:
        rules = self.model(model)
        if label not in rules.labels:
            raise UserError(f"audition: {model} has no label {label!r}; it has "
                            + ", ".join(rules.labels))
        if not synth:  # the synth the rules' table is made for: the first whose columns fit
            fits = [n for n in synths.names()
                    if set(rules.presets.names) <= {p.name for p in synths.synth_params(n)}]
            if not fits:
                raise UserError(f"audition: no synth has {model}'s parameters; name one")
            synth = fits[0]
        training = set(rules.presets.rows_of(label))
        total = rules.count(label)
        numbers = list(range(min(total, AUDITION_MAX)))
        if which == "new":  # the presets the table never had first, then the rest
            numbers.sort(key=lambda n: rules.preset(label, n) in training)
        self.auditioning = [synth, model, label, numbers, 0, self._now_s]
        return (f"audition {model} {label} on {synth}: {len(numbers)} presets, one a beat at "
                f"{self.tempo_bpm:g} bpm" + (", the new ones first" if which == "new" else ""))

    # -- live tables: presets labelled on stage -----------------------------------------------
    def cmd_keep(self, synth: str, label: str, table: str = "live") -> str:
        if not self.synths[synth].sounding:
            raise UserError(f"keep: {synth} is silent; set it (set {synth} RULES r LABEL, "
                            f"{synth}.PARAM VALUE) first")
        if not table.isidentifier():
            raise UserError(f"keep: {table!r} is not a name for a table (letters, digits, _)")
        kept = self.names[table] if table in self.names else None
        if kept is not None and not tables.is_table(kept):
            raise UserError(f"keep: {table} names something else (rules?); choose another "
                            "table name")
        values = dict(self.synths[synth].values)
        if kept is None:
            kept = tables.new(synth, values)
        kept = tables.with_row(kept, table, synth, values, label)
        self.names.assign(table, kept)  # autosaved with the session
        self._changed()
        return f"kept in {table} as row {len(kept['rows']) - 1}: " + ", ".join(
            f"{k} {v:g}" for k, v in values.items()) + f" -> {label}"

    def _table(self, name: str, command: str) -> dict:
        kept = self.names[name] if name in self.names else None
        if not tables.is_table(kept):
            raise UserError(f"{command}: no live table named {name!r}; keep presets in one: "
                            f"keep SYNTH LABEL {name}")
        return kept

    def cmd_drop(self, table: str, n: int) -> str:
        kept = tables.without_row(self._table(table, "drop"), table, int(n))
        self.names.assign(table, kept)
        self._changed()
        return f"dropped row {n} of {table}: {len(kept['rows'])} left"

    def cmd_table(self, table: str = "live") -> str:
        return tables.describe(table, self._table(table, "table"))

    def cmd_save(self, table: str, path: str) -> str:
        kept = self._table(table, "save")
        target, note = self.files.write_new(path, tables.to_csv(kept))
        self.log.append({"time_s": round(self._now_s, 6), "exported": str(target),
                         "table": table, "presets": len(kept["rows"])})
        said = f"{table} written to {target}"
        return f"{said} ({note})" if note else said

    def cmd_check(self, model: str) -> str:
        from synthlearn.learners.validation import check

        rules = self.model(model)
        cancel = getattr(threading.current_thread(), "cancel", None)  # on the worker
        try:
            reports = check(rules.presets, rules, seed=self.seed, cancel=cancel,
                            time_s=LIVE_TIME_S, threads=live_threads())
        except BudgetReached as exc:
            raise UserError("check: " + exc.message()) from None
        self.log.append({"time_s": round(self._now_s, 6), "checked": model,
                         "right": sum(r.right for r in reports),
                         "left_out": sum(r.right + r.wrong + r.unknown for r in reports)})
        return f"{model} (distance {rules.distance}, consistency {rules.consistency:g}):\n" + \
            "\n".join(r.line() for r in reports)

    def cmd_stop(self, synth: str) -> str:
        was = self.synths[synth].sounding
        self.synths[synth].stop()
        self.sounding.pop(synth, None)
        self._changed()
        return f"{synth} fades out" if was else f"{synth} was silent"

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
        state.put_text(self._texts["conductor_model"], model)
        state.put_text(self._texts["conductor_label"], label)
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
