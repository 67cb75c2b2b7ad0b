"""The multitask, multimodal model and its processor: configuration, encoders, heads, decoder, the
model itself, and the input processing beside it (tokenizer, session layout, images, collation).

Importing this package registers ``mtdialog`` with ``AutoConfig`` / ``AutoModel``, so a checkpoint
directory also loads with ``AutoModel.from_pretrained``.
"""

from transformers import AutoConfig, AutoModel

from mtdialog.models.build import build_model_and_tokenizer
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.modeling import MTDialogModel
from mtdialog.models.outputs import DialogueEncoderOutput, MTDialogOutput
from mtdialog.models.processing import MTDialogProcessor, TaskDataset

AutoConfig.register("mtdialog", MTDialogConfig, exist_ok=True)
AutoModel.register(MTDialogConfig, MTDialogModel, exist_ok=True)

__all__ = ["DialogueEncoderOutput", "MTDialogConfig", "MTDialogModel", "MTDialogOutput", "MTDialogProcessor",
           "TaskDataset", "build_model_and_tokenizer"]
