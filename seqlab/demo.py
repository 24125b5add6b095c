"""A small synthetic NER corpus, so the demo needs no downloaded data.

Sentences come from news-like templates filled with person, location,
organisation and miscellaneous names (PER, LOC, ORG, MISC, as in
CoNLL-2003), tagged in IOB2. A third of the name parts of each type appear
only in dev and test, so a tagger must use context, not memory, to find
them; some slots take more than one type and some names are ambiguous
(Florence and Jordan are people and places, Oslo Airlines is an
organisation), so, as in real text, context does not always decide.
"""

import os

import numpy as np

from seqlab.data.readers import Sentence
from seqlab.data.schemes import encode
from seqlab.io import atomic_write

FIRST = ("Anna John Maria Peter Li Ahmed Sofia Carlos Yuki Olga Pierre Fatima "
         "Hans Elena Kofi Ingrid Marco Aisha Tomas Mei Diego Nadia Viktor Lena "
         "Ravi Chloe Omar Greta Sven Amara Florence Jordan Victoria Sydney Georgia "
         "Adelaide").split()
LAST = ("Smith Mueller Rossi Tanaka Okafor Dubois Ivanova Garcia Chen Novak "
        "Jensen Haddad Silva Kowalski Brown Schmidt Moreau Santos Kim Larsen "
        "Petrov Costa Weber Nakamura Ali Fischer Bauer Lopez Meyer Hughes").split()
LOC = ("Paris Berlin Tokyo Lagos Lima Oslo Cairo Madrid Vienna Seoul Nairobi "
       "Quito Dublin Prague Hanoi Lisbon Ankara Manila Bogota Helsinki Accra "
       "Warsaw Havana Riga Dakar Perth Zurich Osaka Kyiv Tunis Florence Jordan "
       "Victoria Sydney Georgia Adelaide").split()
ORG_HEADS = ("Acme Northwind Globex Initech Umbrella Stark Wayne Vertex Zenith "
             "Orion Apex Nimbus Helix Quantum Summit Falcon Aurora Pioneer Atlas "
             "Crescent Meridian Sterling Beacon Cobalt Horizon Titan Delta "
             "Everest Polaris Sapphire").split()
ORG_TAILS = ("Corp Bank Group Motors Airlines Holdings Energy Telecom").split()
MISC = ("German French Japanese Nigerian Peruvian Norwegian Egyptian Spanish "
        "Austrian Korean Kenyan Irish Czech Polish Brazilian Danish Swiss "
        "Italian Chilean Greek").split()

# Each template: tokens, with {PER} {LOC} {ORG} {MISC} slots.
# Each template: tokens, with {PER} {LOC} {ORG} {MISC} slots; {A|B} picks a
# type at random, so context alone does not always tell the type.
TEMPLATES = [
    "{PER|ORG} , a spokesman for {ORG} , said on Monday that profits would rise .",
    "{ORG} shares rose 3 percent in {LOC} on Tuesday .",
    "{PER} met {PER} in {LOC} to discuss the deal .",
    "The {MISC} team beat {LOC|ORG} 2-1 in the final .",
    "{PER|ORG} will visit {LOC} next week .",
    "Police in {LOC} said {PER} was arrested late on Friday .",
    "{ORG} agreed to buy {ORG|LOC} assets for 2 billion dollars .",
    "The {MISC} government said it would talk to {ORG|PER} .",
    "{PER} scored twice as {LOC|ORG} won the match .",
    "Analysts at {ORG} expect the {MISC} economy to grow .",
    "In {LOC} , {PER} told reporters the talks had failed .",
    "{MISC} officials met {PER} , the chief executive of {ORG} .",
    "Prices fell sharply in {LOC} and {LOC|ORG} this week .",
    "{PER|ORG} said the {MISC} market remained weak .",
    "A court in {LOC} fined {ORG|PER} on Wednesday .",
]


def _split(words, rng):
    """(seen in training, held out for dev and test): a third held out."""
    order = rng.permutation(len(words))
    held = len(words) // 3
    return [words[i] for i in order[held:]], [words[i] for i in order[:held]]


def _split_names(rng):
    """Per type: the names used in training, and those of dev and test.

    Name *parts* are held out (a surname, a company's head word), and
    people and companies often appear by one word ("Okafor", "Globex"), so
    an unseen name in an ambiguous slot is as hard as in real text.
    """
    first, last, heads, loc, misc = (_split(list(w), rng) for w in (FIRST, LAST, ORG_HEADS, LOC, MISC))
    pools = []
    for part in (0, 1):
        eval_part = part == 1
        pick = lambda pair: pair[0] + pair[1] if eval_part else pair[0]
        pools.append({
            "PER": [[f, l] for f in pick(first) for l in pick(last)] + [[l] for l in pick(last)] * 8,
            "ORG": [[h, t] for h in pick(heads) + pick(loc)[:5] for t in ORG_TAILS]
                   + [[h] for h in pick(heads)] * 8,
            "LOC": [[c] for c in pick(loc)],
            "MISC": [[m] for m in pick(misc)],
        })
    return pools


def _sentence(template, pool, rng):
    tokens, entity_spans = [], []
    for word in template.split():
        if word.startswith("{") and word.endswith("}"):
            choices = word[1:-1].split("|")
            kind = choices[rng.integers(len(choices))]
            name = pool[kind][rng.integers(len(pool[kind]))]
            entity_spans.append((kind, len(tokens), len(tokens) + len(name)))
            tokens += name
        else:
            tokens.append(word)
    return Sentence(tokens, encode(entity_spans, len(tokens), "iob2"))


def generate_ner_corpus(train=1500, dev=300, test=300, seed=0):
    """Three lists of IOB2-tagged `Sentence` objects: train, dev, test."""
    rng = np.random.default_rng(seed)
    train_pool, eval_pool = _split_names(rng)
    make = lambda n, pool: [_sentence(TEMPLATES[rng.integers(len(TEMPLATES))], pool, rng)
                            for _ in range(n)]
    return make(train, train_pool), make(dev, eval_pool), make(test, eval_pool)


def write_ner_corpus(directory, seed=0, **sizes):
    """Write the corpus as CoNLL files (``token TAG``) in ``directory``.

    Returns:
        ``{"train": path, "dev": path, "test": path}``.
    """
    paths = {}
    for name, sentences in zip(("train", "dev", "test"),
                               generate_ner_corpus(seed=seed, **sizes)):
        lines = []
        for sentence in sentences:
            lines += [f"{t} {g}" for t, g in zip(sentence.tokens, sentence.tags)] + [""]
        paths[name] = os.path.join(directory, f"{name}.txt")
        atomic_write(paths[name], "\n".join(lines) + "\n")
    return paths


DEMO_CONFIG = """\
# The configuration `seqlab demo` trains with; `seqlab train` takes the same.
output = "{output}"

[data]
train = "{train}"
dev = "{dev}"
test = "{test}"
format = "two_column"
scheme = "iob2"

[vocabulary]
digits = true

[model]
scheme = "iobes"
cell = "lstm"
units = 32
depth = 2
embedding_dim = 32
encoders = ["word_embedding"]  # the defaults add a character CNN and a CRF:
head = "softmax"               # stronger on real data, slower for a demo
dropout = 0.3
word_dropout = 0.1

[training]
epochs = {epochs}
batch_size = 32
learning_rate = 0.01
clipper = {{ name = "global_norm", threshold = 5.0 }}
patience = 3
seed = {seed}
"""
