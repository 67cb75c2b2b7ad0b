"""The dialogue encoder: the shared text encoder reading dialogue tokens with visual tokens inserted.

Each image of the dialogue is one (or ``g*g``) ``[IMG]`` placeholder token(s) in ``input_ids``; their
embeddings are replaced by the projected image features before the text encoder runs (through
``inputs_embeds``), so images are contextualised with the utterances around them. A text-only model
has no visual encoder and keeps the learned ``[IMG]`` embedding.

Long sessions arrive as several window rows; ``memory_index`` then gathers each example's tokens
from the windows into one memory row (see ``mtdialog.models.processing``).
"""

from __future__ import annotations

import inspect

import torch
from torch import nn
from transformers import MODEL_MAPPING, AutoModel, PreTrainedConfig

from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.outputs import DialogueEncoderOutput
from mtdialog.models.vision import VisualEncoder


def encoder_kwargs(config: PreTrainedConfig) -> dict:
    """``AutoModel`` keyword arguments for an encoder: no pooler (the heads pool spans themselves)."""
    model_class = MODEL_MAPPING[type(config)]
    return {"add_pooling_layer": False} if "add_pooling_layer" in inspect.signature(model_class).parameters else {}


def build_text_encoder(config: PreTrainedConfig) -> nn.Module:
    """A randomly initialised text encoder from its config (checkpoints then load their weights)."""
    return AutoModel.from_config(config, **encoder_kwargs(config))


class DialogueEncoder(nn.Module):
    """Text encoder (+ visual encoder) -> encoder memory ``(B, M, H)`` with its mask."""

    main_input_name = "input_ids"

    def __init__(self, config: MTDialogConfig, text_encoder: nn.Module | None = None,
                 vision_backbone: nn.Module | None = None):
        super().__init__()
        self.text = text_encoder if text_encoder is not None else build_text_encoder(config.text_encoder)
        self.vision = None if config.text_only else VisualEncoder(config, vision_backbone)
        self.image_token_id = config.token_id("[IMG]")
        self.speaker_token_ids = [config.token_id("[Q]"), config.token_id("[A]")]
        # How many turns from the end of its row each token is (0 = the last turn, clipped at
        # ``max_turn_recency``; tokens before the first turn count every turn): absolute positions
        # alone make "the turn being answered" hard to find, since it sits anywhere in the row.
        self.turn_recency = (nn.Embedding(config.max_turn_recency + 1, config.hidden_size)
                             if config.max_turn_recency else None)

    def recency(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Turns after each token's own turn ``(R, L)``: speaker tokens to its right, clipped."""
        speakers = torch.isin(input_ids, torch.tensor(self.speaker_token_ids, device=input_ids.device)).long()
        after = speakers.flip(-1).cumsum(-1).flip(-1) - speakers
        return after.clamp(max=self.turn_recency.num_embeddings - 1)

    def embed(self, input_ids: torch.Tensor, pixel_values: torch.Tensor | None = None,
              image_features: torch.Tensor | None = None) -> torch.Tensor:
        """Token embeddings ``(R, L, H)`` with the visual tokens at the ``[IMG]`` slots, in reading order.

        ``pixel_values (N, 3, h, w)`` or cached ``image_features (N, T, F)``: the batch's images in the
        order of their ``[IMG]`` slots (row by row), ``T`` slots each. Ignored by a text-only model.
        The visual path runs on every batch, also on no images (``N = 0``, or neither input), so that the
        visual parameters are in every step's graph (see ``SessionEncoder.image_inputs``).
        """
        embeds = self.text.get_input_embeddings()(input_ids)
        if self.turn_recency is not None:
            embeds = embeds + self.turn_recency(self.recency(input_ids))
        if self.vision is None:
            return embeds
        slots = input_ids == self.image_token_id
        n_slots = int(slots.sum())
        if pixel_values is None and image_features is None:
            if n_slots:
                raise ValueError(f"the batch has {n_slots} [IMG] slots but no pixel_values or image_features "
                                 "(a multimodal model needs its images; use text_only=True to ignore them)")
            image_features = self.vision.no_features()
        visual = self.vision(pixel_values, image_features).reshape(-1, embeds.shape[-1])
        if visual.shape[0] != n_slots:
            raise ValueError(f"{visual.shape[0]} visual tokens for {n_slots} [IMG] slots")
        return embeds.masked_scatter(slots[..., None], visual.to(embeds.dtype))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                pixel_values: torch.Tensor | None = None, image_features: torch.Tensor | None = None,
                memory_index: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None,
                return_dict: bool = True, output_attentions: bool | None = None,
                output_hidden_states: bool | None = None) -> DialogueEncoderOutput:
        """``input_ids``/``attention_mask (R, L)``; ``memory_index (B, M)`` indexes the flattened ``R * L``
        token states to gather each example's memory (``memory_mask (B, M)``); without it ``B = R``."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        states = self.text(inputs_embeds=self.embed(input_ids, pixel_values, image_features),
                           attention_mask=attention_mask, return_dict=True).last_hidden_state
        if memory_index is None:
            return DialogueEncoderOutput(last_hidden_state=states, attention_mask=attention_mask, token_ids=input_ids)
        return DialogueEncoderOutput(last_hidden_state=states.flatten(0, 1)[memory_index], attention_mask=memory_mask,
                                     token_ids=input_ids.flatten()[memory_index])


__all__ = ["DialogueEncoder", "build_text_encoder", "encoder_kwargs"]
