"""Tokenizers of the model: a character tokenizer built from a corpus, or any pretrained one.

Chinese dialogue models commonly work on characters; the character tokenizer keeps every character
(including noise such as ``#E-s57``, ``***`` or ``<url>``, spelled out character by character) and
adds the dialogue special tokens. A pretrained tokenizer (``AutoTokenizer`` by name or path) just gets
the special tokens it lacks. Either is saved with the checkpoint (``save_pretrained``).

Special tokens: ``[PAD] [UNK] [CLS] [SEP] [BOS] [EOS]`` (roles), ``[IMG]`` (one image slot),
``[Q]``/``[A]`` (speaker of the turn that follows), ``[KB]`` (knowledge base), and the decoder
prompt of each generation task (``[RESP] [REWRITE] [SUMM]`` for the built-in ones). Text is always
tokenized with ``split_special_tokens=True``, so a customer typing ``[IMG]`` gets characters, never a
special token.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from mtdialog.data.native import KBEntry
from mtdialog.data.schema import Session

#: Tokenizer role -> token, for tokenizers that have no token in that role.
ROLE_TOKENS = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
               "bos_token": "[BOS]", "eos_token": "[EOS]"}
#: Tokens of the dialogue layout (added to every tokenizer, before the task prompts).
LAYOUT_TOKENS = ("[IMG]", "[Q]", "[A]", "[KB]")


def dialogue_tokens(prompts: Sequence[str] | None = None) -> tuple[str, ...]:
    """The layout tokens, then the decoder prompts (default: those of every registered generation task)."""
    if prompts is None:
        from mtdialog.tasks import GenerationTask, get_tasks

        prompts = [task.prompt for task in get_tasks() if isinstance(task, GenerationTask)]
    return LAYOUT_TOKENS + tuple(dict.fromkeys(prompts))


def build_char_tokenizer(texts: Iterable[str], *, prompts: Sequence[str] | None = None, min_frequency: int = 1,
                         max_vocab: int | None = None) -> PreTrainedTokenizerFast:
    """A character-level tokenizer over ``texts``: characters seen at least ``min_frequency`` times
    (the ``max_vocab`` most frequent, special tokens included), others map to ``[UNK]``."""
    extra = list(dialogue_tokens(prompts))
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tokenizer.decoder = decoders.Fuse()
    trainer = trainers.WordLevelTrainer(vocab_size=max_vocab or 10**7, min_frequency=min_frequency,
                                        special_tokens=list(ROLE_TOKENS.values()) + extra, show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, clean_up_tokenization_spaces=False,
                                   model_max_length=10**6, **ROLE_TOKENS)
    fast.add_special_tokens({"extra_special_tokens": extra})
    return fast


def add_dialogue_tokens(tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str] | None = None) -> int:
    """Give ``tokenizer`` the role tokens it lacks and the dialogue tokens; returns how many were added
    (resize the text encoder's embeddings to ``len(tokenizer)`` afterwards)."""
    missing_roles = {role: token for role, token in ROLE_TOKENS.items() if getattr(tokenizer, role) is None}
    return tokenizer.add_special_tokens({**missing_roles, "extra_special_tokens": list(dialogue_tokens(prompts))},
                                        replace_extra_special_tokens=False)


def load_tokenizer(name_or_path: str, prompts: Sequence[str] | None = None) -> PreTrainedTokenizerBase:
    """A pretrained tokenizer (hub name or local path) with the dialogue special tokens added."""
    tokenizer = AutoTokenizer.from_pretrained(name_or_path, trust_remote_code=False)
    add_dialogue_tokens(tokenizer, prompts)
    return tokenizer


def load_checkpoint_tokenizer(path: str | Path, model) -> PreTrainedTokenizerBase:
    """The tokenizer saved with a checkpoint (never running code it names), checked against the model:
    every dialogue token must have the id the model was trained with, and every id an embedding row."""
    from mtdialog.errors import ConfigError

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"cannot load the tokenizer: {str(e).splitlines()[0][:300]}", path=str(path)) from None
    config = model.config
    wrong = [t for t, i in (config.special_token_ids or {}).items() if tokenizer.convert_tokens_to_ids(t) != i]
    # padding and end tokens by role: a pretrained vocabulary names them its own way (<pad>, </s>)
    wrong += [f"the {role} token" for role in ("pad", "eos") if getattr(config, f"{role}_token_id") is not None
              and getattr(tokenizer, f"{role}_token_id") != getattr(config, f"{role}_token_id")]
    rows = model.get_input_embeddings().num_embeddings
    if wrong or len(tokenizer) > rows:
        why = f"its ids of {', '.join(wrong)} differ from the model's" if wrong else \
            f"it has {len(tokenizer)} tokens, the model's embedding table {rows} rows"
        raise ConfigError(f"the tokenizer does not belong to the model: {why}", path=str(path))
    return tokenizer


def special_token_ids(tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str] | None = None) -> dict[str, int]:
    """Id of each dialogue token, as the model config stores them."""
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in dialogue_tokens(prompts)}
    unknown = [t for t, i in ids.items() if i is None or i == tokenizer.unk_token_id]
    if unknown:
        raise ValueError(f"tokenizer lacks the dialogue tokens {unknown} (use add_dialogue_tokens)")
    return ids


def corpus_texts(sessions: Iterable[Session], kb: dict[str, KBEntry] | None = None) -> Iterator[str]:
    """Every text a model reads or writes: turns, rewrites, summaries, and the KB (see ``kb_text``)."""
    for session in sessions:
        yield from (turn.text for turn in session.turns if turn.text)
        a = session.annotations
        if a is not None:
            yield from (r.text for r in a.rewrites or () if r.text)
            if a.summary:
                yield a.summary
    for entry in (kb or {}).values():
        yield kb_text(entry)


def kb_text(entry: KBEntry) -> str:
    """The knowledge-base entry as the encoder reads it: ``category；attribute:value；...``."""
    return "；".join([entry.category] + [f"{attribute}:{value}" for _, attribute, value in entry.triples])


__all__ = [
    "LAYOUT_TOKENS",
    "ROLE_TOKENS",
    "add_dialogue_tokens",
    "build_char_tokenizer",
    "corpus_texts",
    "dialogue_tokens",
    "kb_text",
    "load_tokenizer",
    "special_token_ids",
]
