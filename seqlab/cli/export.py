"""``seqlab export``: a trained tagger as an artifact that runs without
seqlab (`seqlab.exporting`)."""

import click


@click.command("export")
@click.argument("model")
@click.argument("out")
@click.option("--format", "format_", type=click.Choice(["savedmodel"]), default="savedmodel",
              show_default=True, help="the artifact's format")
@click.option("--force", is_flag=True, help="replace a previous export at OUT")
def export(model, out, format_, force):
    """Export a saved tagger or language model (a .keras file or a run
    directory) to OUT.

    OUT gets a TensorFlow SavedModel and seqlab-export.json with the
    vocabularies (and tag names): a tagger's `serve` endpoint maps word (and
    character) ids to tag ids, Viterbi inside; a language model's `score`
    endpoint maps word ids and the words that follow to log-probabilities.
    docs/deploying.md loads either with TensorFlow alone.
    """
    from seqlab.exporting import METADATA, export as export_model

    metadata = export_model(model, out, format=format_, force=force)
    inputs = ", ".join(metadata["inputs"])
    outputs = (f"tag ids of {len(metadata['tag_names'])} tags" if metadata["kind"] == "tagger"
               else "log-probabilities of the targets")
    print(f"Wrote {out}: a SavedModel (endpoint {metadata['endpoint']}: {inputs} ids -> "
          f"{outputs}) and {out}/{METADATA}.")
