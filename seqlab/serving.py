"""``seqlab serve``: a tagger or a language model behind HTTP, on
Starlette and uvicorn.

Endpoints (JSON in, JSON out):

- ``POST /tag`` (a tagger): ``{"inputs": [text or token list, ...],
  "scheme": optional}`` -> ``{"results": [{"text", "tokens", "tags",
  "spans": [{"start", "end", "label", "text", "confidence"}]}, ...]}``
  (`seqlab.Tagger.annotate`: the ``spans_jsonl`` shape with tokens and
  tags).
- ``POST /score`` (a language model): ``{"inputs": [sentence or token list,
  ...]}`` -> ``{"results": [{"sentence", "log_prob", "log10_prob",
  "tokens", "perplexity", "unk_share"}, ...]}``
  (`seqlab.lm.sentence_log_probs`, as ``seqlab lm score --json``).
- ``GET /health`` -> ``{"status": "ok"}``.
- ``GET /metadata`` -> what the model is, the limits and the batching
  knobs, and counts of requests and batches served.

Requests arriving together are tagged together: a single worker takes
sentences from a bounded queue until it holds ``max_batch`` of them or
``max_wait_ms`` have passed since the first, runs one `annotate` call in a
thread, and answers each request with its own results. A body over
``max_request_bytes``, more than ``max_sentences`` inputs or a sentence of
more than ``max_tokens`` tokens is refused with 413; malformed JSON or
fields with 400; a full queue with 503; each with ``{"error": one line}``.
On SIGINT/SIGTERM uvicorn stops accepting connections and the requests in
flight are answered before the worker stops.

Example:
    >>> app = seqlab.serving.create_app(seqlab.load_model("runs/ner/best.keras"))
    >>> # uvicorn.run(app, host="127.0.0.1", port=8080)
"""

import asyncio
import contextlib
import dataclasses
import json
import warnings

from seqlab.errors import ConfigError, SeqlabError, SeqlabWarning


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one request may ask and how requests are batched."""

    max_request_bytes: int = 1 << 20
    max_sentences: int = 1024
    max_tokens: int = 512
    max_batch: int = 128
    max_wait_ms: float = 5.0
    max_queue: int = 4096

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, (int, float)) or value < 0 or (
                    value == 0 and field.name != "max_wait_ms"):
                raise ConfigError(f"{field.name} must be a positive number. Received: "
                                  f"{field.name}={value!r}")


class _Refused(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class _Batcher:
    """One worker that tags queued sentences in batches (see the module)."""

    def __init__(self, work, limits):
        self.work, self.limits = work, limits
        self.queue = asyncio.Queue(maxsize=limits.max_queue)
        self.requests = self.batches = self.sentences = 0
        self.worker = None

    def start(self):
        self.worker = asyncio.get_running_loop().create_task(self._work())

    async def stop(self):
        await self.queue.join()  # what is queued is answered
        self.worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.worker

    async def answer(self, inputs, scheme):
        future = asyncio.get_running_loop().create_future()
        try:
            self.queue.put_nowait((inputs, scheme, future))
        except asyncio.QueueFull:
            raise _Refused(503, "the server is busy (its queue is full); try again") from None
        self.requests += 1
        return await future

    async def _work(self):
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self.queue.get()]
            size = len(jobs[0][0])
            deadline = loop.time() + self.limits.max_wait_ms / 1000
            while size < self.limits.max_batch:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                # Not wait_for: on Python 3.11 it can drop an item taken from
                # the queue just as the timeout fires. A get task cancelled
                # before it ran again has taken nothing.
                getter = loop.create_task(self.queue.get())
                done, _ = await asyncio.wait({getter}, timeout=timeout)
                if not done:
                    getter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await getter
                    break
                job = getter.result()
                jobs.append(job)
                size += len(job[0])
            try:
                await self._run(loop, jobs)
            finally:
                for _ in jobs:
                    self.queue.task_done()

    async def _run(self, loop, jobs):
        # One call per output scheme asked for (usually one).
        by_scheme = {}
        for job in jobs:
            by_scheme.setdefault(job[1], []).append(job)
        for scheme, group in by_scheme.items():
            inputs = [item for job in group for item in job[0]]
            try:
                results = await loop.run_in_executor(None, lambda: self.work(inputs, scheme))
            except Exception as error:  # answered, not fatal to the worker
                for job in group:
                    if not job[2].done():
                        job[2].set_exception(error)
                continue
            self.batches += 1
            self.sentences += len(inputs)
            start = 0
            for job in group:
                piece = results[start:start + len(job[0])]
                start += len(job[0])
                if not job[2].done():
                    job[2].set_result(piece)


def create_app(model, limits=None, model_path=None):
    """The Starlette application serving ``model``: a `seqlab.Tagger`
    (``POST /tag``) or a `seqlab.LanguageModel` (``POST /score``)."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from seqlab import __version__
    from seqlab.data.schemes import check_scheme
    from seqlab.data.tokenizers import token_spans
    from seqlab.models import LanguageModel, Tagger

    limits = limits or Limits()
    columns = model.column_readers if isinstance(model, Tagger) else []
    if columns:  # requests carry texts and token lists, not a file's other columns
        raise ConfigError(
            f"This tagger's {columns[0]!r} reads other columns of each token's line (a "
            f"part-of-speech column, say), which requests do not carry; seqlab serve takes "
            f"taggers of words and characters. Tag CoNLL files with seqlab tag instead.")
    if isinstance(model, Tagger):
        kind, path, other = "tagger", "/tag", "/score"

        def work(inputs, scheme):
            annotations = model.annotate(inputs, batch_size=limits.max_batch, scheme=scheme)
            return [a.to_dict() for a in annotations]

        def tokens_in(text):
            return len(token_spans(model.tokenizer, text))

        described = {"tag_names": model.tag_names, "scheme": model.scheme,
                     "output_scheme": model.output_scheme, "tokenizer": model.tokenizer_spec}
    elif isinstance(model, LanguageModel):
        from seqlab.lm.scoring import model_vocabulary, sentence_log_probs

        kind, path, other = "language_model", "/score", "/tag"

        def work(inputs, scheme):
            with warnings.catch_warnings():  # unk shares are in each result
                warnings.simplefilter("ignore", SeqlabWarning)
                return sentence_log_probs(model, inputs)

        def tokens_in(text):
            return len(text.split())

        described = {"vocabulary_size": len(model_vocabulary(model))}
    else:
        raise ConfigError(f"seqlab serve serves taggers and language models; this is a "
                          f"{type(model).__name__}.")
    batcher = _Batcher(work, limits)

    def error(status, message):
        return JSONResponse({"error": message}, status_code=status)

    async def answer(request):
        try:
            inputs, scheme = _parse(await _body(request, limits), limits,
                                    check_scheme if kind == "tagger" else None, tokens_in)
            results = await batcher.answer(inputs, scheme) if inputs else []
        except _Refused as refused:
            return error(refused.status, str(refused))
        except SeqlabError as failed:  # the model refused an input
            return error(400, str(failed).splitlines()[0])
        except Exception as failed:  # a bug, said in one line; the server goes on
            return error(500, f"internal error: {type(failed).__name__}: "
                              f"{(str(failed).splitlines() or [''])[0]}")
        return JSONResponse({"results": results})

    async def elsewhere(request):
        return error(404, f"this server holds a {kind.replace('_', ' ')}: POST {path}")

    async def health(request):
        return JSONResponse({"status": "ok"})

    async def metadata(request):
        return JSONResponse({
            "kind": kind, "endpoint": path, "model": model_path,
            "seqlab_version": __version__, **described,
            "limits": dataclasses.asdict(limits),
            "served": {"requests": batcher.requests, "batches": batcher.batches,
                       "sentences": batcher.sentences}})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # The first calls trace the compiled step: done before the first
        # request instead of in it. Two shapes, because TensorFlow traces
        # the second with unknown sizes, the trace every later shape uses.
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: (work([["warm", "up"]], None),
                           work([["warm", "up", "once"], ["more"]], None)))
        batcher.start()
        yield
        await batcher.stop()

    app = Starlette(routes=[Route(path, answer, methods=["POST"]),
                            Route(other, elsewhere, methods=["POST"]),
                            Route("/health", health, methods=["GET"]),
                            Route("/metadata", metadata, methods=["GET"])],
                    lifespan=lifespan)
    app.state.batcher, app.state.endpoint = batcher, path
    return app


def check_address(host, port):
    """Refuse an address this process cannot listen on (a port in use, a
    host that is not this machine's) in one line, before a model loads."""
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((host, port))
    except OSError as error:
        raise SeqlabError(f"cannot listen on {host}:{port}: {error.strerror or error}; "
                          f"choose another --port (or --host).") from None


async def _body(request, limits):
    """The request's body, refused past ``max_request_bytes`` (413) without
    reading more than that."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_request_bytes:
        raise _Refused(413, f"the body has {int(declared):,} bytes; at most "
                            f"{limits.max_request_bytes:,} are taken")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limits.max_request_bytes:
            raise _Refused(413, f"the body has more than {limits.max_request_bytes:,} bytes; "
                                f"at most {limits.max_request_bytes:,} are taken")
    return bytes(body)


def _parse(body, limits, check_scheme, tokens_in):
    """``(inputs, scheme)`` of a request's body, or `_Refused`; ``tokens_in``
    counts a text's tokens as the model splits it; ``check_scheme`` is None
    where no scheme is taken (a language model)."""
    example = '{"inputs": ["Maria Garcia flew to Tokyo.", ["Peter", "Blackburn"]]}'
    try:
        payload = json.loads(body)
    except ValueError as bad:
        raise _Refused(400, f"the body is not JSON ({bad}); send e.g. {example}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), list):
        raise _Refused(400, f'the body needs "inputs", a list of texts or token lists; '
                            f"send e.g. {example}")
    fields = {"inputs", "scheme"} if check_scheme else {"inputs"}
    unknown = sorted(set(payload) - fields)
    if unknown:
        raise _Refused(400, f"unknown field{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(map(repr, unknown))}; the request takes "
                            f"{' and '.join(sorted(fields))}")
    inputs = payload["inputs"]
    if len(inputs) > limits.max_sentences:
        raise _Refused(413, f"{len(inputs):,} inputs; at most {limits.max_sentences:,} per "
                            f"request")
    for i, item in enumerate(inputs):
        if isinstance(item, str):
            size = tokens_in(item)
        elif isinstance(item, list) and all(isinstance(t, str) and t for t in item):
            size = len(item)
        else:
            raise _Refused(400, f"inputs[{i}] must be a text or a list of non-empty "
                                f"strings; send e.g. {example}")
        if size > limits.max_tokens:
            raise _Refused(413, f"inputs[{i}] has more than {limits.max_tokens:,} tokens")
    scheme = payload.get("scheme")
    if scheme is not None:
        try:
            scheme = check_scheme(scheme)
        except SeqlabError as bad:
            raise _Refused(400, f"scheme: {str(bad).splitlines()[0]}") from None
    return inputs, scheme


class RemoteTagger:
    """A tagger behind ``seqlab serve``, used as `seqlab tag` uses a loaded
    one (``seqlab tag http://127.0.0.1:8080 raw.txt``): no backend is
    imported, so a sentence is tagged in milliseconds instead of the
    seconds TensorFlow takes to start. Texts are split by the server
    (with its model's tokenizer), token lists are sent as they are."""

    def __init__(self, url, timeout=60):
        self.url, self.timeout = url.rstrip("/"), timeout
        meta = self._call("/metadata")
        if meta.get("kind") != "tagger":
            raise SeqlabError(f"{url} serves a {meta.get('kind', 'model')}, not a tagger "
                              f"(seqlab tag needs POST /tag).")
        self.metadata = meta
        self.output_scheme = meta["output_scheme"]
        self.tokenizer_spec = meta["tokenizer"]
        self.max_sentences = meta["limits"]["max_sentences"]

    def _call(self, path, body=None):
        import urllib.error
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                reason = json.loads(error.read())["error"]
            except (ValueError, KeyError, TypeError):
                reason = error.reason
            raise SeqlabError(f"{self.url}{path}: HTTP {error.code}: {reason}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SeqlabError(f"no seqlab server answers at {self.url} ({reason}); start "
                              f"one with `seqlab serve MODEL`.") from None

    def annotate(self, inputs, scheme=None):
        """One result per input (a text, split by the server, or a token
        list): ``tokens``, ``offsets``, ``tags`` and ``entities`` (with
        ``token_start``, ``token_end``, ``confidence``)."""
        import types

        results = []
        for start in range(0, len(inputs), self.max_sentences):
            piece = [item if isinstance(item, str) else list(item)
                     for item in inputs[start:start + self.max_sentences]]
            body = {"inputs": piece, **({"scheme": scheme} if scheme else {})}
            for answer in self._call("/tag", body)["results"]:
                starts = {a: i for i, (a, _) in enumerate(answer["offsets"])}
                ends = {b: i + 1 for i, (_, b) in enumerate(answer["offsets"])}
                entities = [types.SimpleNamespace(
                    token_start=starts[span["start"]], token_end=ends[span["end"]],
                    confidence=span["confidence"]) for span in answer["spans"]]
                results.append(types.SimpleNamespace(
                    tokens=answer["tokens"], offsets=[tuple(o) for o in answer["offsets"]],
                    tags=answer["tags"], entities=entities))
        return results

    def tag(self, inputs, scheme=None):
        return [result.tags for result in self.annotate(inputs, scheme)]
