#!/usr/bin/env python3
"""Writes the Unigram golden files of modules/text with SentencePiece (Debian's python3-sentencepiece 0.1.97).

Trains three Unigram models on modules/text/src/test/resources/corpus.txt (see tools/make_text_corpus.py)
with identity normalisation (400 pieces with <unk>, 600 with byte fallback, 150 with <unk>), and writes for each:
  unigram_<name>.tsv             piece<TAB>score, one per line in id order (scores as exact float32 reprs)
  unigram_<name>.tokenizer.json  the same vocabulary in Hugging Face's tokenizer.json Unigram layout
  unigram_<name>_golden.json     [{"text": ..., "ids": [...]}, ...] for 300+ strings

    /usr/bin/python3 tools/golden_unigram.py   # the interpreter that has python3-sentencepiece
"""
import json
import pathlib
import random
import tempfile

import sentencepiece as spm

ROOT = pathlib.Path(__file__).resolve().parent.parent
RES = ROOT / "modules/text/src/test/resources"
CORPUS = RES / "corpus.txt"

MODELS = {"unk": dict(vocab_size=400, byte_fallback=False), "bytes": dict(vocab_size=600, byte_fallback=True),
          "unk150": dict(vocab_size=150, byte_fallback=False)}


def train(name, vocab_size, byte_fallback):
    with tempfile.TemporaryDirectory() as tmp:
        prefix = f"{tmp}/m"
        spm.SentencePieceTrainer.train(
            input=str(CORPUS), model_prefix=prefix, vocab_size=vocab_size, model_type="unigram",
            normalization_rule_name="identity", character_coverage=1.0, byte_fallback=byte_fallback,
            num_threads=1, minloglevel=2)
        data = pathlib.Path(prefix + ".model").read_bytes()
    return spm.SentencePieceProcessor(model_proto=data)


def strings(corpus_lines):
    fixed = ["", " ", "  ", "a", "a photo of a dark sneaker", "A PHOTO OF A DARK SNEAKER", "a  photo   of a sneaker ",
             "  leading and trailing  ", "sneakers", "unseenword", "xyzzy", "tab\there", "new\nline", "\r\n",
             "café", "naïve", "crème brûlée", "e\u0301", "😀", "👨\u200d👩\u200d👧", "a😀b", "你好世界", "東京",
             "مرحبا", "Привет", "12345", "3.14159", "1,000,000", "it's", "don't", "they're", "O'Neil",
             "ankle boot", "ankle-boot", "t-shirt", "T-Shirt", "(parenthesised)", "\"quoted\"", "semi;colon",
             "▁", "▁▁a", "a▁b", "<unk>", "<s>", "</s>", "<0x41>", "\u00a0x", "x\u3000y", "\u0000", "\u0007bell",
             "Ωmega", "ß", "ﬁ", "½", "Z" * 50, "the " * 40, "photo" * 30]
    rng = random.Random(20261202)
    words = " ".join(corpus_lines).split()
    extra = list("abcdefghijklmnopqrstuvwxyz") + ["é", "ü", "😀", "中", "\t", "-", ".", ",", "'", "7"]
    out = list(fixed)
    out += rng.sample(corpus_lines, 80)
    while len(out) < 330:
        n = rng.randint(1, 8)
        parts = []
        for _ in range(n):
            r = rng.random()
            if r < 0.6:
                parts.append(rng.choice(words))
            elif r < 0.8:
                w = rng.choice(words)
                i = rng.randint(0, len(w))
                parts.append(w[:i] + rng.choice(extra) + w[i:])
            else:
                parts.append("".join(rng.choice(extra) for _ in range(rng.randint(1, 5))))
        sep = rng.choice([" ", " ", " ", "  ", ""])
        out.append(sep.join(parts))
    return out


def main():
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    texts = strings(lines)
    for name, options in MODELS.items():
        sp = train(name, **options)
        n = sp.get_piece_size()
        with open(RES / f"unigram_{name}.tsv", "w", encoding="utf-8") as f:
            for i in range(n):
                f.write(f"{sp.id_to_piece(i)}\t{sp.get_score(i)!r}\n")
        special = [i for i in range(n) if sp.is_control(i) or sp.is_unknown(i)]
        tokenizer = {
            "version": "1.0",
            "added_tokens": [{"id": i, "content": sp.id_to_piece(i), "special": True} for i in special],
            "model": {"type": "Unigram", "unk_id": sp.unk_id(), "byte_fallback": options["byte_fallback"],
                      "vocab": [[sp.id_to_piece(i), sp.get_score(i)] for i in range(n)]},
        }
        (RES / f"unigram_{name}.tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False, indent=1) + "\n",
                                                            encoding="utf-8")
        cases = [{"text": t, "ids": sp.encode(t), "decoded": sp.decode(sp.encode(t))} for t in texts]
        with open(RES / f"unigram_{name}_golden.json", "w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n]\n")
        unk = sum(1 for c in cases for i in c["ids"] if i == sp.unk_id())
        print(f"{name}: {n} pieces, {len(cases)} strings, {unk} <unk> ids")


if __name__ == "__main__":
    main()
