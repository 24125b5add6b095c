"""The ``seqlab`` command.

Each command imports what it needs when it runs: the modules that build
models import Keras and a backend, which ``--help`` and argument errors
should not wait for.
"""

import argparse
import contextlib
import json
import logging
import math
import os
import sys
import time
import traceback
import warnings

from seqlab.errors import SeqlabError, SeqlabWarning
from seqlab.io import atomic_write


#: Seeds are what NumPy's generators take.
MAX_SEED = 2 ** 32 - 1
#: Sentences tagged per piece when ``seqlab tag`` streams: memory stays
#: constant in the input's size, and output starts after the first piece.
TAG_CHUNK = 1024


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake said in one ``seqlab: error:`` line."""

    def error(self, message):
        self.exit(2, f"seqlab: error: {self.prog}: {message} (see `{self.prog} --help`)\n")


def _integer(low=None, high=None):
    """An argparse type: an integer within bounds, refused naming them."""
    allowed = ("an integer" + (f" >= {low}" if low is not None else "")
               + (f" and <= {high}" if high is not None else ""))

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {allowed}. Received: {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {allowed}. Received: {value}")
        return value
    return parse


def _positive_number(text):
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0. Received: {text!r}")
    return value


def _cmd_plugins(args):
    from seqlab import registry

    rows = [
        {"kind": c.kind, "name": c.name, "plugin": c.plugin,
         "distribution": c.distribution}
        for c in registry.components(args.kind)
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    headers = ("KIND", "NAME", "PLUGIN", "DISTRIBUTION")
    table = [headers] + [(r["kind"], r["name"], r["plugin"],
                          r["distribution"] or "(built-in)")
                         for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _verbosity(quiet):
    """Keras verbosity: progress bars on a terminal, a line per epoch in logs."""
    return 0 if quiet else (1 if sys.stdout.isatty() else 2)


def _print_scores(scores, label):
    print(scores["report"])
    untyped, typed = scores["untyped_overlap"], scores["typed_overlap"]
    print(f"{label}: entity F1 {100 * scores['f1']:.2f} (strict "
          f"{100 * scores['strict']['f1']:.2f}), token accuracy "
          f"{100 * scores['token_accuracy']:.2f}; overlap F1, binary "
          f"{100 * typed['binary']['f1']:.2f} typed / {100 * untyped['binary']['f1']:.2f} "
          f"untyped, proportional {100 * typed['proportional']['f1']:.2f} typed / "
          f"{100 * untyped['proportional']['f1']:.2f} untyped")


def _overrides(args):
    """``--set`` overrides plus those of ``--output``, ``--epochs``, ``--seed``
    and the ``[distribution]`` flags."""
    overrides = list(args.set)
    addresses = None if args.addresses is None else [
        a for a in args.addresses.split(",") if a]
    for key, value in (("output", args.output), ("training.epochs", args.epochs),
                       ("training.seed", args.seed), ("distribution.devices", args.devices),
                       ("distribution.addresses", addresses),
                       ("distribution.process_id", args.process_id)):
        if value is not None:
            overrides.append(f"{key}={json.dumps(value)}")
    return overrides


def _add_train_command(commands, help, guide, run):
    parser = commands.add_parser("train", help=help)
    parser.set_defaults(run=run)
    parser.add_argument("config", help=f"the TOML config (see {guide})")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, e.g. --set model.cell=gru (repeatable)")
    parser.add_argument("--output", help="run directory (overrides `output`)")
    parser.add_argument("--epochs", type=_integer(1), help="overrides training.epochs")
    parser.add_argument("--seed", type=_integer(0, MAX_SEED), help="overrides training.seed")
    parser.add_argument("--restart", action="store_true",
                        help="start afresh instead of resuming an unfinished run")
    parser.add_argument("--allow-changed-data", action="store_true",
                        help="resume although a data file changed since the last epoch "
                             "(refused otherwise)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    group = parser.add_argument_group(
        "several devices or machines (docs/scaling.md)")
    group.add_argument("--devices", type=_integer(0), metavar="N",
                       help="devices per process, 0 for all (distribution.devices)")
    group.add_argument("--addresses", metavar="HOST:PORT,...",
                       help="one address per process, the chief's first "
                            "(distribution.addresses)")
    group.add_argument("--process-id", type=_integer(0), metavar="I",
                       help="this process's index in --addresses (distribution.process_id)")


def _cmd_train(args):
    from seqlab.config import load_config
    from seqlab.tagging import train_tagger

    run = train_tagger(load_config(args.config, _overrides(args)), resume=not args.restart,
                       verbose=_verbosity(args.quiet),
                       allow_changed_data=args.allow_changed_data)
    if not _is_chief():
        return 0
    split, scores = ("test", run.test) if run.test else ("dev", run.dev)
    _print_scores(scores, f"{split} (best epoch {run.best_epoch})")
    print(f"model: {run.output}/best.keras; report: {run.output}/report.json")
    return 0


def _is_chief():
    """Whether this process speaks for the run (the others of a
    multi-process run print nothing)."""
    from seqlab.distribution import current

    return current().is_chief


def _cmd_evaluate(args):
    from seqlab.models import Tagger
    from seqlab.saving import load_model
    from seqlab.tagging import evaluate_tagger, read_tagged

    if args.predictions:
        _check_output_file(args.predictions, "--predictions")
    model = load_model(args.model, expect=Tagger)
    data = {"format": args.format, "token_column": args.token_column,
            "tag_column": args.tag_column, "scheme": args.scheme, "repair": args.repair}
    scores = evaluate_tagger(model, read_tagged(args.data, data), data["scheme"],
                             args.predictions)
    if args.json:
        print(json.dumps({k: v for k, v in scores.items() if k != "report"}, indent=1))
    else:
        _print_scores(scores, args.data)
    return 0


def _check_output_file(path, option):
    """Refuse, before any work, an output file that cannot be written where
    it is named (seqlab creates no folders for it)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise SeqlabError(f"{option} {path}: a folder; give the path of a file to write.")
    if not os.path.isdir(folder):
        raise SeqlabError(f"{option} {path}: the folder {folder} does not exist; create it "
                          f"first, or write somewhere else.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SeqlabError(f"{option} {path}: the folder {folder} cannot be written.")


def _cmd_tag(args):
    import inspect
    import itertools

    from seqlab import registry
    from seqlab.data.formats import data_writer, iter_sentences
    from seqlab.data.schemes import check_scheme, convert
    from seqlab.models import Tagger
    from seqlab.saving import load_model

    scheme = check_scheme(args.scheme)
    writer = data_writer(args.output_format)
    name, options = registry.parse_spec(args.input_format, "readers")
    if args.input != "-" and os.path.isdir(args.input):
        raise SeqlabError(f"{args.input}: a folder; seqlab tag reads one file (or - for "
                          f"standard input).")
    model = load_model(args.model, expect=Tagger)
    # A format with a sentence per line can keep blank lines as empty
    # sentences: then output sentence i answers input line i.
    if "keep_blank_lines" in inspect.signature(registry.get("readers", name).factory).parameters:
        options = {"keep_blank_lines": True, **options}
    sentences = iter_sentences(args.input, {"name": name, **options})
    # Streamed: a piece of sentences in, its lines out, so memory does not
    # grow with the input. A writer of one document gets everything at once.
    size = TAG_CHUNK if writer.streams else None
    while piece := list(itertools.islice(sentences, size)):
        tagged = [convert(t, model.scheme, scheme) for t in model.tag([s.tokens for s in piece])]
        writer.write(sys.stdout, piece, tagged, scheme)
        sys.stdout.flush()
    return 0


def _cmd_report(args):
    from seqlab.reporting import summary

    print(summary(args.run_dir, plot=not args.no_plot))
    return 0


def _cmd_init(args):
    from seqlab import starter

    if os.path.isdir(args.data):
        if args.dev or args.test:
            raise SeqlabError(f"{args.data} is a folder: seqlab init finds its train, dev "
                              f"and test files by name; give files instead to name them.")
        found = starter.find_splits(args.data)
    else:
        if not args.dev:
            raise SeqlabError("seqlab init TRAIN needs --dev DEV (the file that selects the "
                              "model), or give the folder that holds both.")
        found = {"train": args.data, "dev": args.dev, "test": args.test}
    if os.path.exists(args.output) and not args.force:
        raise SeqlabError(f"{args.output} exists; choose another --output or add --force "
                          f"to overwrite it.")
    guess = starter.inspect(found["train"])
    print(f"{found['train']}: {guess.describe()}.")
    counts = starter.write_config(args.output, guess, found["dev"], found["test"])
    for split, count in counts.items():
        print(f"{found[split]}: {count:,} sentences read with the same settings.")
    print(f"Wrote {args.output}. Check the guess above, then: "
          f"{_this_command()} train {args.output}")
    return 0


def _cmd_demo(args):
    from seqlab.config import load_config
    from seqlab.demo import DEMO_CONFIG, write_ner_corpus
    from seqlab.tagging import train_tagger

    start = time.time()
    output = os.path.abspath(args.output)
    paths = write_ner_corpus(os.path.join(output, "data"), seed=args.seed)
    config_path = os.path.join(output, "demo.toml")
    atomic_write(config_path, DEMO_CONFIG.format(
        output=os.path.join(output, "model"), epochs=args.epochs, seed=args.seed,
        **paths))
    print(f"Generated a synthetic NER corpus in {output}/data "
          f"(PER, LOC, ORG, MISC; IOB2); training with {config_path}.", flush=True)
    run = train_tagger(load_config(config_path), resume=False,
                       verbose=_verbosity(args.quiet))
    print("\nseqeval report on the test split (entities whose names were "
          "never seen in training included):")
    _print_scores(run.test, f"test (best epoch {run.best_epoch})")
    print(f"{time.time() - start:.0f} s. Model: {run.output}/best.keras. Try: "
          f"echo 'Anna Chen flew to Oslo .' | {_this_command()} tag {run.output}/best.keras")
    return 0


def _this_command():
    """How to run this very ``seqlab`` from the current directory: ``seqlab``
    when that is it on the PATH, else its path (``.venv/bin/seqlab`` after
    ``./dev demo``), else ``python -m seqlab``."""
    import shutil

    invoked = sys.argv[0] if sys.argv and os.path.isfile(sys.argv[0]) else None
    on_path = shutil.which("seqlab")
    if invoked is None:
        return f"{sys.executable} -m seqlab"
    if on_path and os.path.samefile(on_path, invoked):
        return "seqlab"
    relative = os.path.relpath(invoked)
    return relative if relative.startswith(".") or os.sep in relative else f"./{relative}"


def _load_lm(path):
    from seqlab.models import LanguageModel
    from seqlab.saving import load_model

    return load_model(path, expect=LanguageModel)


def _print_perplexity(scores, label):
    unknown = (f", {100 * scores['unk_share']:.1f}% of words <unk>"
               if "unk_share" in scores else "")
    print(f"{label}: perplexity {scores['perplexity']:.2f} "
          f"({scores['bits']:.3f} bits per word, {scores['tokens']} tokens{unknown})")


def _cmd_lm_train(args):
    from seqlab.config import load_config
    from seqlab.lm import train_language_model

    run = train_language_model(load_config(args.config, _overrides(args), task="lm"),
                               resume=not args.restart, verbose=_verbosity(args.quiet),
                               allow_changed_data=args.allow_changed_data)
    if not _is_chief():
        return 0
    _print_perplexity(run.dev, f"dev (best epoch {run.best_epoch})")
    if run.test:
        _print_perplexity(run.test, "test")
    print(f"model: {run.output}/best.keras; report: {run.output}/report.json")
    return 0


def _cmd_lm_perplexity(args):
    from seqlab.lm import text_perplexity

    scores = text_perplexity(_load_lm(args.model), args.text, args.batch_size,
                             args.num_steps)
    if args.json:
        print(json.dumps(scores))
    else:
        _print_perplexity(scores, args.text)
    return 0


def _cmd_lm_score(args):
    from seqlab.data import read_text
    from seqlab.lm import sentence_log_probs

    sentences = [s.tokens for s in read_text(args.input)]
    for result in sentence_log_probs(_load_lm(args.model), sentences):
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{result['log10_prob']:.4f}\t{result['perplexity']:.2f}\t"
                  f"{result['unk_share']:.2f}\t{result['sentence']}")
    return 0


def _cmd_lm_generate(args):
    from seqlab.lm import generate

    words = generate(_load_lm(args.model), args.words, args.temperature,
                     args.prompt, args.seed)
    text = " ".join(([args.prompt] if args.prompt else []) + words)
    print(text.replace(" <eos> ", "\n").replace(" <eos>", "").replace("<eos> ", ""))
    return 0


def _add_lm_commands(commands):
    lm = commands.add_parser(
        "lm", help="language models: train, perplexity, score, generate")
    sub = lm.add_subparsers(dest="lm_command", required=True)
    _add_train_command(sub, "train a language model as a TOML config describes",
                       "docs/language-modelling.md", _cmd_lm_train)

    ppl = sub.add_parser("perplexity", help="perplexity of a saved model on a text file")
    ppl.add_argument("model", help="a .keras language model")
    ppl.add_argument("text", help="one sentence per line, tokenised like the training text")
    ppl.add_argument("--batch-size", type=_integer(1), default=20,
                     help="parallel streams the text is cut into (default 20)")
    ppl.add_argument("--num-steps", type=_integer(1), default=35,
                     help="window length; the state is carried across windows")
    ppl.add_argument("--json", action="store_true", help="print the scores as JSON")
    ppl.set_defaults(run=_cmd_lm_perplexity)

    score = sub.add_parser(
        "score", help="log-probability of each sentence (one per line)")
    score.add_argument("model", help="a .keras language model")
    score.add_argument("input", nargs="?", default="-", help="input file (default: stdin)")
    score.add_argument("--json", action="store_true",
                       help="JSON lines instead of `log10 p <TAB> perplexity <TAB> "
                            "share of <unk> words <TAB> sentence`")
    score.set_defaults(run=_cmd_lm_score)

    gen = sub.add_parser("generate", help="sample text from a saved model")
    gen.add_argument("model", help="a .keras language model")
    gen.add_argument("--words", type=_integer(1), default=50, help="how many words to sample")
    gen.add_argument("--temperature", type=_positive_number, default=1.0,
                     help="below 1: safer text; above 1: more varied (default 1)")
    gen.add_argument("--prompt", help="words to continue")
    gen.add_argument("--seed", type=_integer(0, MAX_SEED), help="for reproducible samples")
    gen.set_defaults(run=_cmd_lm_generate)


def _cmd_diagnose_gradients(args):
    from seqlab.diagnostics import diagnose_gradients

    cells = [c.strip() for group in args.cells for c in group.split(",") if c.strip()]
    cells = {c: (json.loads(c) if c.startswith("{") else c) for c in cells} or None
    json_path = os.path.join(args.output, "gradients.json")
    plot_path = os.path.join(args.output, "gradients.png")
    results = diagnose_gradients(cells, args.steps, args.units, args.batch,
                                 args.input_dim, args.seed, json_path, plot_path)
    steps = args.steps
    marks = sorted({1, max(1, steps // 2), steps - 1})
    header = "cell".ljust(12) + "".join(f"t={t}".rjust(12) for t in marks)
    print(f"||dE_T/dh_t|| at T={steps} (mean over {args.batch} sequences, {args.units} units):")
    print(header)
    for label, result in results.items():
        norms = result["gradient_norm"]
        print(label.ljust(12) + "".join(f"{norms[t - 1]:12.3e}" for t in marks))
    print(f"numbers: {json_path}; plot: {plot_path}")
    return 0


def build_parser():
    from seqlab import __version__
    from seqlab.registry import KINDS

    parser = _Parser(
        prog="seqlab", description="Recurrent sequence models: taggers and "
        "language models with pluggable cells, clippers, initializers and heads.")
    parser.add_argument("--version", action="version",
                        version=f"seqlab {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show Python tracebacks instead of one-line errors")
    parser.add_argument("--verbose", action="store_true",
                        help="let the backend (TensorFlow, JAX) log what it logs")
    commands = parser.add_subparsers(dest="command", required=True)
    plugins = commands.add_parser(
        "plugins", help="list every registered component and its plugin")
    plugins.add_argument("--kind", choices=sorted(KINDS),
                         help="only components of this kind")
    plugins.add_argument("--json", action="store_true",
                         help="print JSON instead of a table")
    plugins.set_defaults(run=_cmd_plugins)

    init = commands.add_parser(
        "init", help="look at a tagged dataset and write a commented starter config")
    init.add_argument("data", help="the training file, or a folder holding train*, "
                                   "dev*/valid* and test* files")
    init.add_argument("--dev", help="the dev file (when DATA is a file)")
    init.add_argument("--test", help="the test file (optional)")
    init.add_argument("--output", "-o", default="seqlab.toml", help="the config to write "
                      "(default seqlab.toml); its paths are relative to it")
    init.add_argument("--force", action="store_true", help="overwrite --output")
    init.set_defaults(run=_cmd_init)

    _add_train_command(commands, "train a tagger as a TOML config describes",
                       "docs/tagging.md", _cmd_train)

    evaluate = commands.add_parser("evaluate", help="score a saved tagger on a tagged file")
    evaluate.add_argument("model", help="a .keras file")
    evaluate.add_argument("data", help="a tagged file")
    evaluate.add_argument("--format", default="conll",
                          help="a registered format (default conll; see "
                               "`seqlab plugins --kind readers`)")
    evaluate.add_argument("--token-column", type=int,
                          help="column formats: the token column (default 0)")
    evaluate.add_argument("--tag-column", type=int,
                          help="column formats: the tag column (default: the last)")
    evaluate.add_argument("--scheme", default="iob2",
                          help="scheme of the file: iob1 (CoNLL-2003), iob2 (default), iobes")
    evaluate.add_argument("--repair", action="store_true",
                          help="read tags that break the scheme (a stray I-X) as conlleval "
                               "does, with a warning, instead of stopping")
    evaluate.add_argument("--predictions", metavar="FILE",
                          help="write token/gold/predicted lines (conlleval's input)")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    evaluate.set_defaults(run=_cmd_evaluate)

    tag = commands.add_parser("tag", help="tag text with a saved tagger")
    tag.add_argument("model", help="a .keras file")
    tag.add_argument("input", nargs="?", default="-", help="input file (default: stdin)")
    tag.add_argument("--input-format", default="text",
                     help="text (default): one tokenised sentence per line; jsonl: "
                          "{\"tokens\": [...]} per line; conll: tokens in column 0; "
                          "spans_jsonl: {\"text\": ...} per line; or any format of "
                          "`seqlab plugins --kind readers`")
    tag.add_argument("--output-format", default="conll",
                     help="conll (default: token and tag per line), two_column, jsonl, "
                          "spans_jsonl ({\"text\", \"spans\"} with character offsets), "
                          "html (one page, entities highlighted by type)")
    tag.add_argument("--scheme", default="iob2",
                     help="scheme of the output tags: iob1, iob2 (default), iobes")
    tag.set_defaults(run=_cmd_tag)

    report = commands.add_parser(
        "report", help="a run's learning curve, scores per type, and curves.png "
                       "(finished or running)")
    report.add_argument("run_dir", help="the run's output directory")
    report.add_argument("--no-plot", action="store_true", help="do not write curves.png")
    report.set_defaults(run=_cmd_report)

    demo = commands.add_parser(
        "demo", help="generate a small NER dataset, train a tagger, print a seqeval report")
    demo.add_argument("--output", default="runs/demo", help="where data and model go")
    demo.add_argument("--epochs", type=_integer(1), default=10)
    demo.add_argument("--seed", type=_integer(0, MAX_SEED), default=0)
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(run=_cmd_demo)
    _add_lm_commands(commands)

    diagnose = commands.add_parser("diagnose", help="training-dynamics diagnostics")
    checks = diagnose.add_subparsers(dest="diagnostic", required=True)
    gradients = checks.add_parser(
        "gradients", help="per-timestep gradient norms ||dE_T/dh_t|| of cells (JSON and PNG)")
    gradients.add_argument(
        "--cells", action="append", default=[], metavar="NAMES",
        help="comma-separated cells: sigmoid, tanh, relu, irnn, lstm (the default "
             "set), any registered cell name, or a JSON spec (repeatable)")
    gradients.add_argument("--steps", type=_integer(2, 100_000), default=100,
                           help="sequence length T")
    gradients.add_argument("--units", type=_integer(1, 16_384), default=100)
    gradients.add_argument("--batch", type=_integer(1, 65_536), default=32,
                           help="random sequences averaged over")
    gradients.add_argument("--input-dim", type=_integer(1, 16_384), default=10)
    gradients.add_argument("--seed", type=_integer(0, MAX_SEED), default=0)
    gradients.add_argument("--output", default="diagnostics",
                           help="folder for gradients.json and gradients.png")
    gradients.set_defaults(run=_cmd_diagnose_gradients)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status.

    A mistake in the input (a config, a data file, a model file, a busy
    or unwritable directory) is one ``seqlab: error:`` line and status 2.
    Anything else is a bug: its traceback is printed with a request to
    report it (status 1). ``--debug`` shows every traceback.
    """
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            with _backend_logs_hidden(not args.verbose):
                for name in ("tensorflow", "absl", "jax"):
                    if not args.verbose:
                        logging.getLogger(name).setLevel(logging.ERROR)
                return args.run(args)
    except SeqlabError as error:
        if args.debug:
            raise
        print(f"seqlab: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except OSError as error:  # the disk, permissions: never seqlab's bug
        if isinstance(error, BrokenPipeError):
            return _closed_pipe()
        if args.debug:
            raise
        where = f"{error.filename}: " if error.filename else ""
        print(f"seqlab: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seqlab: interrupted. Checkpoints of finished epochs are kept; "
              "run the same command again to resume.", file=sys.stderr)
        return 130
    except Exception:
        if args.debug:
            raise
        traceback.print_exc()
        print("seqlab: internal error: the traceback above is a bug in seqlab or in a "
              "plugin, not a mistake in your input. Please report it with the command "
              "you ran and `seqlab --version`.", file=sys.stderr)
        return 1


#: What a command-line tool exits with when its reader goes away (SIGPIPE).
CLOSED_PIPE_STATUS = 128 + 13


def _closed_pipe():
    """Output went to a pipe whose reader left (``seqlab tag ... | head``):
    stop quietly, as command-line tools do. What Python would still flush
    at exit goes nowhere instead of raising again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # a captured stream (tests)
        pass
    return CLOSED_PIPE_STATUS


@contextlib.contextmanager
def _backend_logs_hidden(hidden):
    """Hide what the backend's C++ code writes to file descriptor 2 (CUDA
    probes, oneDNN notes, absl's preamble) while Python's own ``sys.stderr``
    (seqlab's errors and warnings, tracebacks) still reaches the terminal."""
    try:
        real = hidden and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # a captured stream (tests)
        real = False
    if not real:
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    original = sys.stderr
    sys.stderr = open(saved, "w", buffering=1, encoding=original.encoding,
                      errors=original.errors, closefd=False)
    os.dup2(null, 2)
    os.close(null)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        sys.stderr = original


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, SeqlabWarning):
        print(f"seqlab: warning: {message}", file=sys.stderr, flush=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def _one_line(error):
    return " ".join(str(error).split())
