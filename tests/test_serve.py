"""seqlab serve over real HTTP on 127.0.0.1 (issue 26, item 2): answers,
batching of concurrent requests, one-line errors with 400/413, and a
shutdown that answers the requests in flight."""

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

uvicorn = pytest.importorskip("uvicorn")

from seqlab.serving import Limits, create_app  # noqa: E402

LIMITS = dict(max_request_bytes=4096, max_sentences=8, max_tokens=30)


@pytest.fixture(scope="module")
def tagger(small_tagger_run):
    return small_tagger_run[0].model


class Running:
    """A uvicorn server in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "no server"
            time.sleep(0.02)

    def call(self, path, body=None, raw=None):
        """``(status, parsed JSON)`` of a GET (no body) or POST."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=60)


@pytest.fixture(scope="module")
def server(tagger):
    running = Running(create_app(tagger, Limits(max_wait_ms=100, **LIMITS), model_path="m"))
    yield running
    running.stop()


@pytest.mark.backend
def test_tag_answers_as_annotate_does(server, tagger):
    inputs = ["Maria Garcia flew to Tokyo.", ["Peter", "Blackburn", "visited", "Oslo"], ""]
    status, answer = server.call("/tag", {"inputs": inputs})
    assert status == 200
    assert answer == {"results": [a.to_dict() for a in tagger.annotate(inputs)]}
    status, answer = server.call("/tag", {"inputs": inputs[:2], "scheme": "iobes"})
    assert answer["results"][1]["tags"] == tagger.tag([inputs[1]], scheme="iobes")[0]
    assert server.call("/tag", {"inputs": []}) == (200, {"results": []})
    assert server.call("/health") == (200, {"status": "ok"})
    status, meta = server.call("/metadata")
    assert status == 200 and meta["tag_names"] == tagger.tag_names
    assert meta["limits"]["max_sentences"] == 8 and meta["output_scheme"] == "iob2"
    assert server.call("/score", {"inputs": ["a"]}) == (
        404, {"error": "this server holds a tagger: POST /tag"})


def test_concurrent_requests_are_tagged_together(server, tagger):
    texts = [f"Anna Chen {i} flew to Oslo ." for i in range(8)]
    before = server.call("/metadata")[1]["served"]
    answers = [None] * len(texts)

    def ask(i):
        answers[i] = server.call("/tag", {"inputs": [texts[i]]})

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [a.to_dict() for a in tagger.annotate(texts)]
    assert [a for a in answers] == [(200, {"results": [e]}) for e in expected]
    after = server.call("/metadata")[1]["served"]
    assert after["requests"] - before["requests"] == 8
    assert after["batches"] - before["batches"] < 8  # some requests shared a batch


@pytest.mark.parametrize("body, status, message", [
    (b"{not json", 400, "the body is not JSON"),
    (b'{"texts": ["a"]}', 400, 'the body needs "inputs", a list of texts or token lists'),
    (b'{"inputs": ["a"], "confidence": true}', 400, "unknown field 'confidence'; the request takes inputs and scheme"),
    (b'{"inputs": ["a", 5]}', 400, "inputs[1] must be a text or a list of non-empty strings"),
    (b'{"inputs": [["a", ""]]}', 400, "inputs[0] must be a text or a list of non-empty"),
    (b'{"inputs": ["a"], "scheme": "bilou"}', 400, "scheme: "),
    (json.dumps({"inputs": ["a"] * 9}).encode(), 413, "9 inputs; at most 8 per request"),
    (json.dumps({"inputs": ["a, " * 16]}).encode(), 413, "inputs[0] has more than 30 tokens"),
    (json.dumps({"inputs": ["a" * 5000]}).encode(), 413, "at most 4,096 are taken"),
])
def test_bad_requests_get_one_line(server, body, status, message):
    got, answer = server.call("/tag", raw=body)
    assert got == status and message in answer["error"]
    assert "\n" not in answer["error"]


def test_shutdown_answers_the_requests_in_flight(tagger):
    running = Running(create_app(tagger, Limits(max_wait_ms=1500, **LIMITS)))
    answer = []
    asking = threading.Thread(target=lambda: answer.append(
        running.call("/tag", {"inputs": ["Anna Chen flew to Oslo ."]})))
    asking.start()
    deadline = time.monotonic() + 30
    while not running.server.server_state.tasks:  # the request is being handled
        assert time.monotonic() < deadline
        time.sleep(0.01)
    running.stop()  # while the request waits in the batch window
    asking.join(timeout=60)
    assert answer and answer[0][0] == 200
    assert answer[0][1]["results"][0]["tokens"] == ["Anna", "Chen", "flew", "to", "Oslo", "."]
    assert not running.thread.is_alive()


@pytest.mark.backend
def test_a_language_model_is_served_on_score(small_lm_run):
    import seqlab
    from seqlab.lm import sentence_log_probs

    model = small_lm_run.model
    running = Running(create_app(model, Limits(**LIMITS)))
    try:
        inputs = ["the cat is big", ["a", "dog", "saw", "zebras"]]
        status, answer = running.call("/score", {"inputs": inputs})
        assert status == 200
        with pytest.warns(seqlab.SeqlabWarning, match="1 of 2 sentences"):  # said in unk_share
            expected = sentence_log_probs(model, inputs)
        assert [r["sentence"] for r in answer["results"]] == [r["sentence"] for r in expected]
        assert [r["log_prob"] for r in answer["results"]] == pytest.approx(
            [r["log_prob"] for r in expected], abs=1e-5)
        assert answer["results"][1]["unk_share"] == 0.25
        assert running.call("/tag", {"inputs": ["a"]}) == (
            404, {"error": "this server holds a language model: POST /score"})
        status, answer = running.call("/score", {"inputs": ["a"], "scheme": "iob2"})
        assert status == 400 and answer["error"].startswith("unknown field 'scheme'")
        assert running.call("/metadata")[1]["kind"] == "language_model"
    finally:
        running.stop()


def test_a_busy_port_is_one_line_before_the_model_loads(small_tagger_run, capsys):
    from seqlab.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", small_tagger_run[0].output, "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == (f"seqlab: error: cannot listen on 127.0.0.1:{port}: Address already in "
                   f"use; choose another --port (or --host).\n")


def test_seqlab_tag_through_a_running_server(server, small_tagger_run, tmp_path, capsys):
    """`seqlab tag http://...` writes what `seqlab tag MODEL` writes, without
    importing a backend or NLTK (the server splits the text; checked in a
    fresh Python)."""
    import subprocess
    import sys

    from seqlab.cli import main

    (tmp_path / "in.txt").write_text("Anna Chen flew to Oslo.\n\nPeter Blackburn visited Tokyo\n")
    url = f"http://127.0.0.1:{server.port}"
    model = small_tagger_run[0].output
    for flags in ([], ["--output-format", "spans_jsonl", "--confidence"]):
        assert main(["tag", model, str(tmp_path / "in.txt"), *flags]) == 0
        local = capsys.readouterr().out
        assert main(["tag", url, str(tmp_path / "in.txt"), *flags]) == 0
        remote = capsys.readouterr().out
        if not flags:
            assert remote == local
            continue
        # Confidences agree to float rounding (the server runs the model in a thread).
        local, remote = ([json.loads(line) for line in out.splitlines()] for out in (local, remote))
        assert [[{**span, "confidence": pytest.approx(span["confidence"], abs=1e-4)}
                 for span in line["spans"]] for line in local] == [line["spans"] for line in remote]
        assert [line["text"] for line in local] == [line["text"] for line in remote]
    code = ("import sys; from seqlab.cli import main; status = main(['tag', %r, %r]); "
            "print(status, 'keras' in sys.modules, 'tensorflow' in sys.modules, "
            "'nltk' in sys.modules, file=sys.stderr)" % (url, str(tmp_path / "in.txt")))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stderr.strip().splitlines()[-1] == "0 False False False", done.stderr
    assert done.stdout.startswith("Anna ")
    assert main(["tag", "http://127.0.0.1:9", str(tmp_path / "in.txt")]) == 2
    assert "no seqlab server answers at http://127.0.0.1:9" in capsys.readouterr().err


def test_a_failure_inside_the_model_is_a_500_line_and_the_server_goes_on(server, tagger,
                                                                       monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(tagger, "annotate", broken)
    assert server.call("/tag", {"inputs": ["a b"]}) == (
        500, {"error": "internal error: RuntimeError: boom"})
    monkeypatch.undo()
    assert server.call("/tag", {"inputs": ["a b"]})[0] == 200
