"""How far a config travels: seqlab's modules a tagger run passes through
from ``train_tagger(config)`` to its first training step.

Traces every Python call (``sys.setprofile``) while a tiny tagger trains,
from the call of ``train_tagger`` until the clipping optimizer's first
``apply`` (the training step), and counts, over seqlab's own modules
(``seqlab/`` and ``plugins/seqlab_builtins/``), twice: for the calls that
receive the config or one of its sections as an argument (the config
followed as data: ``config_as_data``), and for all calls (``all_calls``):

- modules entered: distinct modules with a function called;
- entries: calls whose nearest seqlab caller is in another module (control
  entering a module), and the most entries into one module;
- climbs: entries from a module of a lower layer into one of a higher
  layer (the layers of docs/architecture.md: foundations, data, Keras
  core, runs and tools, command line), i.e. a call back up the house.

Run it against any checkout (``--root``), old or new, with the same
seqlab-free interpreter: the numbers of two versions are then comparable.

    .venv/bin/python benchmarks/config_walk.py            # this checkout
    git worktree add ../old REV && .venv/bin/python benchmarks/config_walk.py --root ../old
"""

import argparse
import collections
import json
import os
import sys
import tempfile

#: Layer of each module, by its path under the source roots; the first
#: matching prefix wins. Modules that import no Keras (rundir, reporting,
#: embeddings, starter) are foundations, as tests/test_architecture.py has it.
LAYERS = {
    "seqlab/cli": 5, "seqlab/__main__": 5,
    "seqlab/runs": 4, "seqlab/tagging": 4, "seqlab/lm": 4, "seqlab/evaluation": 4,
    "seqlab/diagnostics": 4, "seqlab/plots": 4, "seqlab/ngram": 4, "seqlab/demo": 4,
    "seqlab/layers": 3, "seqlab/models": 3, "seqlab/training": 3, "seqlab/clipping": 3,
    "seqlab/saving": 3, "seqlab/callbacks": 3, "seqlab/schedules": 3,
    "seqlab/distribution": 3, "seqlab_builtins": 3,
    "seqlab/data": 2,
}


def layer(module):
    """A module's layer: its longest listed prefix (a whole path part), else 1."""
    parts = module.split("/")
    for end in range(len(parts), 0, -1):
        level = LAYERS.get("/".join(parts[:end]))
        if level is not None:
            return level
    return 1


def walk(root):
    """Trace a tiny run of the checkout at ``root``; returns the counts."""
    root = os.path.abspath(root)
    sources = [os.path.join(root, "seqlab"), os.path.join(root, "plugins", "seqlab_builtins")]
    sys.path[:0] = [root, os.path.join(root, "plugins")]
    import seqlab
    from seqlab.demo import write_ner_corpus

    assert seqlab.__file__.startswith(root), f"imported {seqlab.__file__}, not {root}"
    folder = tempfile.mkdtemp()
    corpus = write_ner_corpus(os.path.join(folder, "data"), seed=0, train=40, dev=10, test=10)
    config = seqlab.load_config(data={
        "output": os.path.join(folder, "run"), "data": {**corpus, "format": "two_column"},
        "model": {"units": 4, "embedding_dim": 4},
        "training": {"epochs": 1, "batch_size": 8}})

    def module_of(code):
        path = code.co_filename
        for source in sources:
            if path.startswith(source + os.sep):
                name = os.path.relpath(path, os.path.dirname(source))
                return name[:-3] if name.endswith(".py") else name
        return None

    entries, modules, climbs = collections.Counter(), set(), []
    seen_step = []
    # The config as data: the object and its sections (dicts in seqlab 0.1,
    # typed sections now), and the calls that receive one as an argument.
    sections = config.values() if isinstance(config, dict) else (v for _, v in config)
    carried = {id(config)} | {id(s) for s in sections if not isinstance(s, (str, int, float))}
    with_config = {"modules": set(), "entries": collections.Counter(), "climbs": [],
                   "last": None}

    def profile(frame, event, arg):
        if event != "call" or seen_step:
            return
        callee = module_of(frame.f_code)
        if callee is None:
            return
        if frame.f_code.co_name == "apply" and callee.endswith(("clipping", "training")):
            seen_step.append(True)
            sys.setprofile(None)
            return
        modules.add(callee)
        caller_frame = frame.f_back
        caller = None
        while caller_frame is not None and caller is None:
            caller = module_of(caller_frame.f_code)
            caller_frame = caller_frame.f_back
        if caller is not None and caller != callee:
            entries[callee] += 1
            if layer(caller) < layer(callee):
                climbs.append(f"{caller} -> {callee}")
        code = frame.f_code
        arguments = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        if any(id(frame.f_locals.get(name)) in carried for name in arguments):
            # Followed as data: from one module that received the config
            # (or a section) to the next.
            last = with_config["last"]
            with_config["modules"].add(callee)
            if last is not None and last != callee:
                with_config["entries"][callee] += 1
                if layer(last) < layer(callee):
                    with_config["climbs"].append(f"{last} -> {callee}")
            with_config["last"] = callee

    from seqlab.tagging import train_tagger

    sys.setprofile(profile)
    try:
        train_tagger(config, verbose=0)
    finally:
        sys.setprofile(None)
    return {"root": root, "reached_the_step": bool(seen_step),
            "config_as_data": {
                "modules_entered": len(with_config["modules"]),
                "entries": sum(with_config["entries"].values()),
                "climbs": len(with_config["climbs"]),
                "entries_by_module": with_config["entries"].most_common(),
                "climbs_by_pair": collections.Counter(with_config["climbs"]).most_common()},
            "all_calls": {
                "modules_entered": len(modules), "entries": sum(entries.values()),
                "climbs": len(climbs),
                "climbs_by_pair": collections.Counter(climbs).most_common(),
                "most_entered": entries.most_common(5)}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                        help="the checkout to trace (default: this one)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SEQLAB_LOAD_PLUGINS", "")  # built-ins only: the same in every tree
    print(json.dumps(walk(args.root), indent=1))


if __name__ == "__main__":
    main()
