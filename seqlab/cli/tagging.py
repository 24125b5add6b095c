"""Tagger commands: ``init``, ``train``, ``evaluate``, ``tag``, ``report``, ``demo``.

Each body imports what it needs when it runs: the modules that build
models import Keras and a backend, which ``--help`` should not wait for.
"""

import json
import os
import sys
import time
import warnings

import click

from seqlab.cli.options import (SEED, Integer, check_output_file, run_config, this_command,
                                train_options, verbosity)
from seqlab.errors import SeqlabError, SeqlabWarning

#: Sentences tagged per piece when ``seqlab tag`` streams: memory stays
#: constant in the input's size, and output starts after the first piece.
TAG_CHUNK = 1024


@click.command("init")
@click.argument("data")
@click.option("--dev", help="the dev file (when DATA is a file)")
@click.option("--test", help="the test file (optional)")
@click.option("--output", "-o", default="seqlab.toml", show_default=True,
              help="the config to write; its paths are relative to it")
@click.option("--format", "format_", metavar="FORMAT",
              help="the files' format (conll, two_column, jsonl, spans_jsonl, a plugin's); "
                   "default: guessed")
@click.option("--scheme", help="the files' tag scheme (iob1, iob2, iobes); default: guessed")
@click.option("--repair", is_flag=True,
              help="read tags that break the scheme (a stray I-X) as conlleval does")
@click.option("--force", is_flag=True, help="overwrite --output")
def init(data, dev, test, output, format_, scheme, repair, force):
    """Look at a tagged dataset and write a commented starter config.

    DATA: the training file, or a folder holding train*, dev*/valid* and
    test* files.
    """
    from seqlab import registry, starter
    from seqlab.data.schemes import check_scheme

    for flag, path in (("DATA", data), ("--dev", dev), ("--test", test)):
        if path and not os.path.exists(path):
            raise SeqlabError(f"{path}: no such file or folder ({flag}).")
    if format_:
        registry.get("readers", registry.parse_spec(format_, "readers")[0])  # a typo
    if scheme:
        scheme = check_scheme(scheme)
    if os.path.isdir(data):
        if dev or test:
            raise SeqlabError(f"{data} is a folder: seqlab init finds its train, dev "
                              f"and test files by name; give files instead to name them.")
        found = starter.find_splits(data)
    else:
        if not dev:
            raise SeqlabError("seqlab init TRAIN needs --dev DEV (the file that selects the "
                              "model), or give the folder that holds both.")
        found = {"train": data, "dev": dev, "test": test}
    if os.path.exists(output) and not force:
        raise SeqlabError(f"{output} exists; choose another --output or add --force "
                          f"to overwrite it.")
    guess = starter.inspect(found["train"], format=format_, scheme=scheme, repair=repair)
    print(f"{found['train']}: {guess.describe()}.")
    if guess.advice:
        print(guess.advice)
    counts = starter.write_config(output, guess, found["dev"], found["test"])
    for split, count in counts.items():
        print(f"{found[split]}: {count:,} sentences read with the same settings.")
    print(f"Wrote {output}. Check the guess above, then: {this_command()} train {output}")


@click.command("train")
@train_options("docs/tagging.md")
def train(config, overrides, quiet, restart, allow_changed_data, **flags):
    """Train a tagger as a TOML config describes."""
    from seqlab import presentation
    from seqlab.tagging import train_tagger

    run = train_tagger(run_config(config, overrides, "tagger", **flags), resume=not restart,
                       verbose=verbosity(quiet), allow_changed_data=allow_changed_data)
    if not run.chief:  # one process of a multi-process run speaks for it
        return
    split, scores = ("test", run.test) if run.test else ("dev", run.dev)
    print(presentation.scores_report(scores, f"{split} (best epoch {run.best_epoch})"))
    print(f"model: {run.output}/best.keras; report: {run.output}/report.json")


@click.command("evaluate")
@click.argument("model")
@click.argument("data")
@click.option("--format", "format_", default="conll", metavar="FORMAT",
              help="a registered format (default conll; see "
                   "`seqlab plugins --kind readers`)")
@click.option("--token-column", type=int, help="column formats: the token column (default 0)")
@click.option("--tag-column", type=int,
              help="column formats: the tag column (default: the last)")
@click.option("--scheme",
              help="scheme of the file: iob1 (CoNLL-2003), iob2, iobes; default: the "
                   "scheme of the model's training data")
@click.option("--repair", is_flag=True,
              help="read tags that break the scheme (a stray I-X) as conlleval does, with a "
                   "warning, instead of stopping")
@click.option("--predictions", metavar="FILE",
              help="write token/gold/predicted lines (conlleval's input)")
@click.option("--json", "as_json", is_flag=True, help="print the scores as JSON")
def evaluate(model, data, format_, token_column, tag_column, scheme, repair, predictions,
             as_json):
    """Score a saved tagger (a .keras file) on a tagged file."""
    from seqlab import presentation
    from seqlab.config import TaggerData
    from seqlab.data.schemes import check_scheme
    from seqlab.models import Tagger
    from seqlab.saving import load_model
    from seqlab.tagging import evaluate_tagger, read_tagged

    if predictions:
        check_output_file(predictions, "--predictions")
    tagger = load_model(model, expect=Tagger)
    section = TaggerData.model_construct(format=format_, token_column=token_column,
                                         tag_column=tag_column,
                                         scheme=check_scheme(scheme or tagger.output_scheme),
                                         repair=repair, tokenizer=tagger.tokenizer_spec)
    scores = evaluate_tagger(tagger, read_tagged(data, section), section.scheme, predictions)
    if as_json:
        print(json.dumps({k: v for k, v in scores.items() if k != "report"}, indent=1))
    else:
        print(presentation.scores_report(scores, data))


@click.command("tag")
@click.argument("model")
@click.argument("input", default="-")
@click.option("--input-format",
              help="text: one sentence per line, split by the model's tokenizer; jsonl: "
                   "{\"tokens\": [...]} per line; conll: tokens in column 0; "
                   "spans_jsonl: {\"text\": ...} per line; or any format of "
                   "`seqlab plugins --kind readers`. Default: jsonl or spans_jsonl for "
                   "a file of JSON objects with \"tokens\" or \"text\", else text")
@click.option("--output-format", default="conll",
              help="conll (default: token and tag per line), two_column, jsonl, "
                   "spans_jsonl ({\"text\", \"spans\"} with character offsets), "
                   "html (one page, entities highlighted by type)")
@click.option("--scheme",
              help="scheme of the output tags: iob1, iob2, iobes; default: the scheme of "
                   "the model's training data")
@click.option("--tokenizer", metavar="NAME",
              help="how text and spans_jsonl input is split into tokens: treebank, "
                   "whitespace (text tokenised already), or a plugin's; default: the "
                   "model's (the config's data.tokenizer)")
@click.option("--confidence", is_flag=True,
              help="write each entity's probability (spans_jsonl output)")
def tag(model, input, input_format, output_format, scheme, tokenizer, confidence):
    """Tag text with a saved tagger (a .keras file), or with the tagger a
    running `seqlab serve` holds (MODEL: its http:// address, e.g.
    http://127.0.0.1:8080); INPUT defaults to stdin."""
    import itertools

    from seqlab import registry
    from seqlab.data.formats import data_writer, guess_input_format, iter_sentences
    from seqlab.data.schemes import check_scheme

    if scheme is not None:
        scheme = check_scheme(scheme)
    writer = data_writer(output_format)
    if confidence and not writer.writes_confidences:
        raise click.UsageError(f"--confidence: the {output_format} format has no place for "
                               f"confidences; use --output-format spans_jsonl.")
    if tokenizer is not None:
        registry.get("tokenizers", tokenizer)  # a typo: before loading
    if input_format is None:
        input_format, why = guess_input_format(input)
        if why:
            warnings.warn(f"reading {input} as {input_format} ({why}); --input-format "
                          f"chooses.", SeqlabWarning, stacklevel=2)
    name, options = registry.parse_spec(input_format, "readers")
    if input != "-" and os.path.isdir(input):
        raise SeqlabError(f"{input}: a folder; seqlab tag reads one file (or - for "
                          f"standard input).")
    reader = registry.create("readers", {"name": name, **options})  # a typo: before loading
    remote = model.startswith(("http://", "https://"))
    if remote:  # a running `seqlab serve`
        from seqlab.serving import RemoteTagger

        tagger = RemoteTagger(model)
    else:
        from seqlab.models import Tagger
        from seqlab.saving import load_model

        tagger = load_model(model, expect=Tagger)
    scheme = scheme or tagger.output_scheme
    # A format with a sentence per line keeps blank lines as empty
    # sentences: then output sentence i answers input line i.
    if reader.line_per_sentence:
        options = {"keep_blank_lines": True, **options}
    # Text lines for a server are split there, by its model's tokenizer
    # (here they are only read; NLTK's import alone takes about a second).
    server_splits = remote and name == "text" and tokenizer is None
    if reader.reads_raw_text:
        options = {"tokenizer": "whitespace" if server_splits
                   else tokenizer or tagger.tokenizer_spec, **options}
    sentences = iter_sentences(input, {"name": name, **options})
    # Streamed: a piece of sentences in, its lines out, so memory does not
    # grow with the input. A writer of one document gets everything at once.
    size = TAG_CHUNK if writer.streams else None
    while piece := list(itertools.islice(sentences, size)):
        # In process, the sentences themselves: a CoNLL file's other columns too.
        items = [s.tokens for s in piece] if remote else piece
        if server_splits or confidence:
            annotations = tagger.annotate([s.text for s in piece] if server_splits else items,
                                          scheme=scheme)
            for sentence, annotation in zip(piece, annotations):
                if server_splits:
                    sentence.tokens, sentence.offsets = annotation.tokens, annotation.offsets
                if confidence:
                    sentence.confidences = {(e.token_start, e.token_end): e.confidence
                                            for e in annotation.entities}
            tagged = [a.tags for a in annotations]
        else:
            tagged = tagger.tag(items, scheme=scheme)
        writer.write(sys.stdout, piece, tagged, scheme)
        sys.stdout.flush()


@click.command("report")
@click.argument("run_dir", metavar="RUN_DIR")
@click.option("--no-plot", is_flag=True, help="do not write curves.png")
def report(run_dir, no_plot):
    """A run's learning curve, scores per type, and curves.png (finished or running)."""
    from seqlab.reporting import summary

    print(summary(run_dir, plot=not no_plot))


@click.command("demo")
@click.option("--output", default="runs/demo", show_default=True,
              help="where data and model go")
@click.option("--epochs", type=Integer(1), default=10, show_default=True)
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--quiet", is_flag=True, help="no progress bars")
def demo(output, epochs, seed, quiet):
    """Generate a small NER dataset, train a tagger, print a seqeval report."""
    from seqlab import presentation
    from seqlab.config import load_config
    from seqlab.demo import DEMO_CONFIG, write_ner_corpus
    from seqlab.io import atomic_write
    from seqlab.tagging import train_tagger

    start = time.time()
    output = os.path.abspath(output)
    paths = write_ner_corpus(os.path.join(output, "data"), seed=seed)
    config_path = os.path.join(output, "demo.toml")
    atomic_write(config_path, DEMO_CONFIG.format(
        output=os.path.join(output, "model"), epochs=epochs, seed=seed, **paths))
    print(f"Generated a synthetic NER corpus in {output}/data "
          f"(PER, LOC, ORG, MISC; IOB2); training with {config_path}.", flush=True)
    run = train_tagger(load_config(config_path), resume=False, verbose=verbosity(quiet))
    print("\nseqeval report on the test split (entities whose names were "
          "never seen in training included):")
    print(presentation.scores_report(run.test, f"test (best epoch {run.best_epoch})"))
    print(f"{time.time() - start:.0f} s. Model: {run.output}/best.keras. Try: "
          f"echo 'Anna Chen will visit Oslo next week .' | {this_command()} tag {run.output}/best.keras")
