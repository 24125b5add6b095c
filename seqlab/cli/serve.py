"""``seqlab serve``: a saved tagger behind HTTP (`seqlab.serving`)."""

import click

from seqlab.cli.options import Integer


@click.command("serve")
@click.argument("model")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="the address to listen on (0.0.0.0: every interface)")
@click.option("--port", type=Integer(1, 65535), default=8080, show_default=True)
@click.option("--max-batch", type=Integer(1), default=128, show_default=True,
              help="sentences tagged together at most")
@click.option("--max-wait-ms", type=click.FloatRange(0), default=5.0, show_default=True,
              help="how long the first queued sentence waits for others")
@click.option("--max-request-bytes", type=Integer(1), default=1 << 20, show_default=True,
              help="larger bodies get 413")
@click.option("--max-sentences", type=Integer(1), default=1024, show_default=True,
              help="inputs per request at most (more: 413)")
@click.option("--max-tokens", type=Integer(1), default=512, show_default=True,
              help="tokens per sentence at most (more: 413)")
@click.option("--max-queue", type=Integer(1), default=4096, show_default=True,
              help="requests waiting at most (more: 503)")
def serve(model, host, port, max_batch, max_wait_ms, max_request_bytes, max_sentences,
          max_tokens, max_queue):
    """Serve a saved tagger or language model (a .keras file or a run
    directory) over HTTP: POST /tag (a tagger) or /score (a language
    model), GET /health, GET /metadata (docs/deploying.md).

    Needs `pip install 'seqlab[serve]'` (Starlette and uvicorn).
    """
    from seqlab.errors import SeqlabError

    try:
        import uvicorn
    except ImportError:
        raise SeqlabError("seqlab serve needs Starlette and uvicorn: pip install "
                          "'seqlab[serve]'.") from None
    from seqlab.saving import load_model
    from seqlab.serving import Limits, check_address, create_app

    limits = Limits(max_request_bytes=max_request_bytes, max_sentences=max_sentences,
                    max_tokens=max_tokens, max_batch=max_batch, max_wait_ms=max_wait_ms,
                    max_queue=max_queue)
    check_address(host, port)  # before the model loads: a busy port is said at once
    app = create_app(load_model(model, compile=False), limits, model_path=model)
    endpoint = app.state.endpoint
    print(f"Serving {model} on http://{host}:{port} (POST {endpoint}, GET /health, "
          f"GET /metadata); Ctrl-C stops after answering the requests in flight.",
          flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning",
                timeout_graceful_shutdown=30)
