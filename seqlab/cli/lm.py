"""Language-model commands: ``seqlab lm train``, ``perplexity``, ``score``, ``generate``."""

import json

import click

from seqlab.cli.options import SEED, Integer, PositiveNumber, run_config, train_options, verbosity


@click.group("lm")
def lm():
    """Language models: train, perplexity, score, generate."""


@lm.command("train")
@train_options("docs/language-modelling.md")
def train(config, overrides, quiet, restart, allow_changed_data, **flags):
    """Train a language model as a TOML config describes."""
    from seqlab import presentation
    from seqlab.lm import train_language_model

    run = train_language_model(run_config(config, overrides, "lm", **flags),
                               resume=not restart, verbose=verbosity(quiet),
                               allow_changed_data=allow_changed_data)
    if not run.chief:  # one process of a multi-process run speaks for it
        return
    print(presentation.perplexity_line(run.dev, f"dev (best epoch {run.best_epoch})"))
    if run.test:
        print(presentation.perplexity_line(run.test, "test"))
    print(f"model: {run.output}/best.keras; report: {run.output}/report.json")


def _load(path):
    from seqlab.models import LanguageModel
    from seqlab.saving import load_model

    return load_model(path, expect=LanguageModel)


@lm.command("perplexity")
@click.argument("model")
@click.argument("text")
@click.option("--batch-size", type=Integer(1), default=20,
              help="parallel streams the text is cut into (default 20)")
@click.option("--num-steps", type=Integer(1), default=35,
              help="window length; the state is carried across windows")
@click.option("--json", "as_json", is_flag=True, help="print the scores as JSON")
def perplexity(model, text, batch_size, num_steps, as_json):
    """Perplexity of a saved model (a .keras file) on TEXT: one sentence per
    line, tokenised like the training text."""
    from seqlab import presentation
    from seqlab.lm import text_perplexity

    scores = text_perplexity(_load(model), text, batch_size, num_steps)
    print(json.dumps(scores) if as_json else presentation.perplexity_line(scores, text))


@lm.command("score")
@click.argument("model")
@click.argument("input", default="-")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines instead of `log10 p <TAB> perplexity <TAB> "
                   "share of <unk> words <TAB> sentence`")
def score(model, input, as_json):
    """Log-probability of each sentence (one per line; INPUT defaults to stdin)."""
    from seqlab import presentation
    from seqlab.data import read_text
    from seqlab.data.readers import read_lines
    from seqlab.lm import sentence_log_probs

    model = _load(model)
    if model.unit == "char":  # every character of the line
        sentences = [text for _, text in read_lines(input) if text.strip()]
    else:
        sentences = [s.tokens for s in read_text(input)]
    for result in sentence_log_probs(model, sentences):
        print(json.dumps(result) if as_json else presentation.sentence_score_line(result))


@lm.command("generate")
@click.argument("model")
@click.option("--words", type=Integer(1), default=50,
              help="how many words (characters, for a character model) to sample")
@click.option("--temperature", type=PositiveNumber(), default=1.0,
              help="below 1: safer text; above 1: more varied (default 1)")
@click.option("--prompt", help="words to continue")
@click.option("--seed", type=SEED, help="for reproducible samples")
def generate(model, words, temperature, prompt, seed):
    """Sample text from a saved model (a .keras file)."""
    from seqlab.lm import generate as sample

    model = _load(model)
    sampled = sample(model, words, temperature, prompt, seed)
    given = [prompt] if prompt else []
    # A backward model samples what precedes the prompt.
    pieces = sampled + given if model.direction == "backward" else given + sampled
    if model.unit == "char":
        print("".join("\n" if c == "<eos>" else c for c in pieces).strip("\n"))
        return
    text = " ".join(pieces)
    print(text.replace(" <eos> ", "\n").replace(" <eos>", "").replace("<eos> ", ""))
