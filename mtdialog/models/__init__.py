"""The multitask, multimodal model: configuration, encoders, heads, decoder and the model itself.

Importing this package registers ``mtdialog`` with ``AutoConfig`` / ``AutoModel``, so a checkpoint
directory also loads with ``AutoModel.from_pretrained``.
"""

from transformers import AutoConfig, AutoModel

from mtdialog.models.build import build_model_and_tokenizer
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.modeling import GENERATION_TASKS, MTDialogModel
from mtdialog.models.outputs import DialogueEncoderOutput, MTDialogOutput

AutoConfig.register("mtdialog", MTDialogConfig, exist_ok=True)
AutoModel.register(MTDialogConfig, MTDialogModel, exist_ok=True)

__all__ = ["GENERATION_TASKS", "DialogueEncoderOutput", "MTDialogConfig", "MTDialogModel", "MTDialogOutput",
           "build_model_and_tokenizer"]
