#!/usr/bin/env python3
"""Writes modules/text/src/test/resources/corpus.txt: the training corpus of the tokenizer tests.

It holds simple image captions built from Fashion-MNIST's classes (the project's own data) and
short prose written for this project, released to the public domain (CC0). Deterministic:

    python3 tools/make_text_corpus.py
"""
import pathlib
import random

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
ADJECTIVES = ["dark", "light", "striped", "plain", "faded", "bright", "woollen", "leather", "cotton", "small",
              "large", "old", "new", "folded", "crumpled", "spotted", "checked", "black", "white", "grey"]
TEMPLATES = ["a photo of a {a} {c}", "a picture of the {a} {c}", "a {a} {c} on a white background",
             "a low-resolution photo of a {a} {c}", "an image of a {c}, {a} and centred",
             "a close-up of a {a} {c}", "a drawing of a {c} that looks {a}", "the {c} is {a}",
             "a cropped photo of one {a} {c}", "a black and white photo of a {a} {c}"]

PROSE = """\
The lighthouse keeper climbed the stairs every evening before the sun went down.
He counted the steps, one hundred and twelve of them, and he never lost count.
At the top he trimmed the wick, cleaned the glass and wound the clockwork that turned the lens.
Ships passed in the dark and he could not see them, but he knew they were there.
In the morning he wrote in the log: the weather, the wind, the number of hours the light had burned.
Nobody read the log, and he did not mind; the writing was part of the work.
A river starts as a spring on a hillside, no wider than a hand.
It gathers water from fields and forests, from roofs and roads, until it is wide enough for boats.
Towns grow where the river can be crossed, and bridges are built where the towns grow.
The river does not care about the towns; it goes where the ground is lowest.
In winter the water is grey and fast; in summer it is slow and green.
Children throw stones from the bridge and count the rings on the water.
The baker opens the shop at six, when the street is still empty.
Bread is made of flour, water, salt and yeast, and of time, which is the hardest to find.
She kneads the dough, lets it rest, shapes it, and lets it rest again.
The first customers are always the same: a nurse after the night shift, a driver, an old man with a dog.
They talk about the weather, because the weather is something everyone shares.
By nine the shelves are half empty and the shop smells of coffee.
A library is a quiet place full of loud ideas.
Each book waits on its shelf for years, sometimes for a single reader.
The catalogue used to be written on cards; now it lives in a computer, but the books have not changed.
Some readers come for facts, some for stories, and some only to sit somewhere warm.
The librarian knows where everything is, and she knows what people are looking for before they ask.
On rainy days the reading room is full and the windows fill with steam.
Numbers are everywhere: 3 apples, 12 eggs, 1,000 metres, 3.14 and 2.718, the year 1969.
Prices change: a coffee cost 1.50 last year and costs 1.80 now.
The train leaves at 07:45 from platform 2 and arrives at 10:15, if it is on time.
It's not that we can't go; it's that we don't want to, and we'll say so if they're asking.
I'd rather walk, you'd rather drive, and they've already left.
Machines learn from examples, and examples are only as good as the people who collect them.
A model that has seen a thousand sneakers may still not recognise the thousand-and-first.
Noise is added step by step until nothing of the image is left, and then removed step by step.
The network learns to guess the noise, and the guess, repeated, becomes a picture.
Tokenizers cut text into pieces; the pieces become numbers, and the numbers become vectors.
Common words stay whole, rare words are split, and unknown characters fall back to bytes.
A good tokenizer gives the same pieces every time, on every machine.
The garden was planted in spring: tomatoes, beans, lettuce and a row of sunflowers.
By August the sunflowers were taller than the fence, and the birds had found the seeds.
Every morning there was something new to pick and something new to fix.
The rain came at night, and in the morning the paths were full of snails.
Mountains look close on clear days and far away when the air is thick.
The path to the top is long, and the last hour is the slowest.
From the summit you can see three valleys, two lakes and, on a good day, the sea.
Walkers leave stones on the cairn, one each, so the cairn grows a little every year.
The market sells fish on Tuesdays, vegetables on Thursdays and everything on Saturdays.
Stallholders shout their prices, and the prices go down as the afternoon goes on.
By evening the square is swept, and the pigeons have it to themselves.
"""


def main():
    rng = random.Random(20261202)
    captions = set()
    while len(captions) < 320:
        t = rng.choice(TEMPLATES)
        captions.add(t.format(a=rng.choice(ADJECTIVES), c=rng.choice(CLASSES)))
    lines = sorted(captions)
    rng.shuffle(lines)
    prose = PROSE.strip().split("\n")
    out = pathlib.Path(__file__).resolve().parent.parent / "modules/text/src/test/resources/corpus.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    # Prose twice, so its words are frequent enough to become pieces.
    out.write_text("\n".join(prose + lines + prose) + "\n", encoding="utf-8")
    print(f"{len(prose) * 2 + len(lines)} lines written to {out}")


if __name__ == "__main__":
    main()
