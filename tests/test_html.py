"""seqlab tag --output-format html, checked in a real headless browser
(Debian's chromium: apt-get install chromium) by its DOM and a screenshot."""

import html.parser
import io
import shutil
import subprocess

import numpy as np
import pytest

from seqlab.data import Sentence, data_writer

BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(n)), None)
needs_browser = pytest.mark.skipif(
    BROWSER is None, reason="no headless Chromium here (Debian: apt-get install chromium; "
                            ".ci/run installs it)")

SENTENCES = [Sentence("Anna Chen flew to Oslo .".split(), None, 1), Sentence([], None, 2),
             Sentence("<b>Zenith</b> & co".split(), None, 3)]
TAGS = [["B-PER", "I-PER", "O", "O", "B-LOC", "O"], [], ["B-ORG", "I-ORG", "I-ORG"]]


def page(tmp_path):
    stream = io.StringIO()
    data_writer("html").write(stream, SENTENCES, TAGS, "iob2")
    path = tmp_path / "tagged.html"
    path.write_text(stream.getvalue(), encoding="utf-8")
    return path


class Marks(html.parser.HTMLParser):
    """(type, text) of every entity mark in the body's sentences."""

    def __init__(self):
        super().__init__()
        self.marks, self.sentences, self._mark, self._in_type = [], 0, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "p" and attrs.get("class") == "sentence":
            self.sentences += 1
        if tag == "mark" and self.sentences:
            self._mark = [attrs["data-type"], ""]
        self._in_type = tag == "span" and attrs.get("class") == "type"

    def handle_endtag(self, tag):
        if tag == "mark" and self._mark:
            self.marks.append(tuple(self._mark))
            self._mark = None
        if tag == "span":
            self._in_type = False

    def handle_data(self, data):
        if self._mark and not self._in_type:
            self._mark[1] += data


def test_the_page_marks_each_entity_and_escapes_the_text(tmp_path):
    text = page(tmp_path).read_text()
    parser = Marks()
    parser.feed(text)
    assert parser.sentences == 3  # the empty input line keeps its paragraph
    assert parser.marks == [("PER", "Anna Chen"), ("LOC", "Oslo"),
                            ("ORG", "<b>Zenith</b> & co")]
    assert "<b>Zenith" not in text and "<script" not in text and "http" not in text


@needs_browser
def test_a_browser_renders_the_marks_in_their_colours(tmp_path):
    path = page(tmp_path)
    run = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(run + ["--dump-dom", path.as_uri()], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    parser = Marks()
    parser.feed(dom)  # what the browser built, not what was written
    assert parser.marks == [("PER", "Anna Chen"), ("LOC", "Oslo"),
                            ("ORG", "<b>Zenith</b> & co")]
    shot = tmp_path / "shot.png"
    subprocess.run(run + ["--window-size=800,300", f"--screenshot={shot}", path.as_uri()],
                   capture_output=True, timeout=60, check=True)
    from matplotlib.image import imread

    pixels = (imread(shot)[..., :3] * 255).round().astype(int)
    colours = {tuple(c) for c in pixels.reshape(-1, 3)}
    palette = type(data_writer("html")).PALETTE
    # types in sorted order take the palette's colours: LOC, ORG, PER
    for hex_colour in palette[:3]:
        rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, f"no {hex_colour} highlight on the screenshot"
    assert tuple(int(palette[3][i:i + 2], 16) for i in (1, 3, 5)) not in colours
    assert np.mean(pixels) > 200  # a light page, not an error screen


def test_html_only_writes(tmp_path):
    import seqlab
    from seqlab.data import read_sentences

    with pytest.raises(seqlab.ConfigError, match="The 'html' format only writes"):
        read_sentences(page(tmp_path), "html")
