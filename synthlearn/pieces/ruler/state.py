"""What ruler keeps with what it learned: the generator (the rules themselves are kept as
names) and what the show is doing (what each synth sounds: its values, and the model, label
and preset number it came from; the conductor; the section; the tempo), so a piece switched
away from and back, or resumed, goes on where it was. Field names are a saved session's: they
do not change.

It changes in the main thread (set, the conductor), the worker (a fit moves the generator: one
64-bit word, copied in one element copy no thread can split) and, on a panic, the hook: the
piece publishes it itself (``learned_in`` MAIN), where it changes and at the next main tick
after the others. Names and labels are encoded once, where they change (capture copies, never
makes).
"""

from __future__ import annotations

import numpy as np

TEXT_BYTES = 256  # a name or label kept with the show's state (UTF-8, longer ones cut)


def layout(piece) -> dict:
    """The fields kept: the generator, the tempo, the conductor, the texts, each synth's."""
    layout = {"rng_state": (1, np.uint64), "tempo_bpm": 1, "conductor": 2,
              **{key: (TEXT_BYTES, np.uint8) for key in piece._texts}}
    for _, sounding_key, values_key, params in piece._synth_keys:
        layout[sounding_key] = (2, np.int64)  # sounding, preset number
        layout[values_key] = len(params)
    # each synth's exploring (beats apart, 0: not; the wait to its next preset) and each
    # controller's target (the synth's number + 1, 0: none; the parameter's number)
    layout["exploring"] = ((len(piece._synth_keys), 2), np.float64)
    layout["cc_map"] = ((128, 2), np.int64)
    return layout


def capture(piece, record: dict[str, np.ndarray]) -> None:
    """Copy what is kept into ``record`` (element copies only: any thread that owns it)."""
    np.copyto(record["rng_state"], piece.learner.rng_state)
    record["tempo_bpm"][0] = piece.tempo_bpm
    conductor = record["conductor"]
    conductor[0] = piece.conducting is not None
    wait_s = (piece._beat_wait_s if piece._beat_wait_s is not None
              else max(0.0, piece._next_beat_s - piece._now_s))
    conductor[1] = wait_s if piece.conducting else 0.0
    for key, text in piece._texts.items():
        np.copyto(record[key], text)
    for name, sounding_key, values_key, params in piece._synth_keys:
        entry = piece.sounding.get(name)  # kept after the synths are let go (a switch)
        sounding, values = record[sounding_key], record[values_key]
        sounding[0] = entry is not None
        sounding[1] = entry["index"] if entry is not None else -1
        for i, param in enumerate(params):
            values[i] = entry["values"][param.name] if entry is not None else param.default
    exploring, cc_map = record["exploring"], record["cc_map"]
    exploring[:] = 0.0
    cc_map[:] = 0
    for k, (name, _, _, params) in enumerate(piece._synth_keys):
        plan = piece.exploring.get(name)
        if plan is not None:
            exploring[k] = (plan[0], max(0.0, plan[1] - piece._now_s))
        for cc, (synth, param) in piece.cc_map.items():
            if synth == name:
                cc_map[cc] = (k + 1, [p.name for p in params].index(param))


def restore(piece, state: dict[str, np.ndarray]) -> None:
    """Take back what :func:`capture` kept (main thread, before ``build``); ValueError for a
    value out of range."""
    piece.learner.rng_state[:] = np.asarray(state["rng_state"], np.uint64).reshape(1)
    if "tempo_bpm" not in state:  # saved before the show's state was kept
        return
    tempo = float(np.asarray(state["tempo_bpm"]).reshape(-1)[0])
    if not 10.0 <= tempo <= 400.0:
        raise ValueError(f"tempo {tempo} out of range")
    piece.tempo_bpm = tempo
    for key, text in piece._texts.items():
        if key in state:  # a synth loaded since (--synths) has no text saved: left empty
            text[:] = np.asarray(state[key], np.uint8).reshape(TEXT_BYTES)
    piece.section = get_text(piece._texts["section"]) or "start"
    on, wait_s = (float(x) for x in np.asarray(state["conductor"]).reshape(2))
    piece.conducting = ((get_text(piece._texts["conductor_model"]),
                        get_text(piece._texts["conductor_label"])) if on else None)
    piece._beat_wait_s = wait_s if on else None
    piece.sounding = {}
    for name, sounding_key, values_key, params in piece._synth_keys:
        if sounding_key not in state:  # not loaded when this was saved: silent
            continue
        sounding, index = (int(x) for x in np.asarray(state[sounding_key]))
        if not sounding:
            continue
        saved = np.asarray(state[values_key], np.float64).reshape(-1)
        if saved.size != len(params):
            raise ValueError(f"{name}_values: {saved.size} values, {len(params)} expected")
        # its preset (for the scene) is found once its rules are known: _resolve_sounding
        model = get_text(piece._texts[f"{name}_model"])
        piece.sounding[name] = {
            "values": {p.name: float(v) for p, v in zip(params, saved, strict=True)},
            "model": model, "label": get_text(piece._texts[f"{name}_label"]), "index": index,
            "preset": None if model else ()}  # by hand: from no rules
    piece.exploring, piece.cc_map, piece._explore_waits = {}, {}, {}
    if "exploring" in state:  # kept since exploring and controllers were
        exploring = np.asarray(state["exploring"], np.float64).reshape(-1, 2)
        cc_map = np.asarray(state["cc_map"], np.int64).reshape(128, 2)
        for k, (name, _, _, params) in enumerate(piece._synth_keys):
            if k < len(exploring) and exploring[k, 0] > 0:
                # its wait goes on from the first tick (as the conductor's)
                piece.exploring[name] = [float(exploring[k, 0]), 0.0]
                piece._explore_waits[name] = float(exploring[k, 1])
            for cc in np.flatnonzero(cc_map[:, 0] == k + 1):
                piece.cc_map[int(cc)] = (name, params[int(cc_map[cc, 1])].name)
    piece._version += 1
    piece._publish_shown()


def put_text(field: np.ndarray, text: str) -> None:
    """``text`` into a fixed-size uint8 field (UTF-8, zero-padded, cut to fit)."""
    data = text.encode("utf-8")[:field.size]
    field[:] = 0
    field[:len(data)] = np.frombuffer(data, np.uint8)


def get_text(field: np.ndarray) -> str:
    return bytes(np.asarray(field, np.uint8)).rstrip(b"\0").decode("utf-8", "ignore")
