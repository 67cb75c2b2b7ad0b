"""mtdialog: one multitask, multimodal model for Chinese customer-service dialogue."""

__version__ = "0.1.0"
