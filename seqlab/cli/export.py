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
    """Export a saved tagger (a .keras file or a run directory) to OUT.

    OUT gets a TensorFlow SavedModel whose `serve` endpoint maps word (and
    character) ids to tag ids, Viterbi inside, and seqlab-export.json with
    the vocabularies and tag names: docs/deploying.md loads it with
    TensorFlow alone.
    """
    from seqlab.exporting import METADATA, export as export_model

    metadata = export_model(model, out, format=format_, force=force)
    inputs = ", ".join(metadata["inputs"])
    print(f"Wrote {out}: a SavedModel (endpoint serve: {inputs} ids -> tag ids of "
          f"{len(metadata['tag_names'])} tags) and {out}/{METADATA}.")
