"""``seqlab export``: a trained tagger as an artifact that runs without
seqlab (`seqlab.exporting`)."""

import click


@click.command("export")
@click.argument("model")
@click.argument("out")
@click.option("--format", "format_", type=click.Choice(["savedmodel", "onnx"]),
              default="savedmodel", show_default=True,
              help="the artifact's format (onnx: under KERAS_BACKEND=tensorflow, with the "
                   "onnx extra)")
@click.option("--quantize", type=click.Choice(["dynamic-int8"]), default=None,
              help="ONNX only: int8 weights (ONNX Runtime's dynamic quantisation): a "
                   "quarter the file; tags may differ (docs/deploying.md)")
@click.option("--force", is_flag=True, help="replace a previous export at OUT")
def export(model, out, format_, quantize, force):
    """Export a saved tagger or language model (a .keras file or a run
    directory) to OUT.

    OUT gets a TensorFlow SavedModel (or model.onnx) and seqlab-export.json
    with the vocabularies (and tag names): a tagger maps word (and
    character) ids to tag ids, Viterbi inside; a language model maps word
    ids and the words that follow to log-probabilities. docs/deploying.md
    loads either with TensorFlow or ONNX Runtime alone.
    """
    from seqlab.exporting import METADATA, export as export_model

    metadata = export_model(model, out, format=format_, force=force, quantize=quantize)
    inputs = ", ".join(metadata["inputs"])
    outputs = (f"tag ids of {len(metadata['tag_names'])} tags" if metadata["kind"] == "tagger"
               else "log-probabilities of the targets")
    if format_ == "onnx":
        artifact = (f"an ONNX model, {out}/{metadata['file']}"
                    + (f", with {quantize} weights" if quantize else "")
                    + f" ({inputs} ids -> {next(iter(metadata['outputs']))}: {outputs})")
    else:
        artifact = f"a SavedModel (endpoint {metadata['endpoint']}: {inputs} ids -> {outputs})"
    print(f"Wrote {out}: {artifact} and {out}/{METADATA}.")
