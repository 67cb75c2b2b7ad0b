"""``mtdialog serve``: a checkpoint behind HTTP (FastAPI + uvicorn), with a chat page to try it.

See :mod:`mtdialog.serve.app` for the endpoints, :mod:`mtdialog.serve.requests` for what a request
may hold, and :mod:`mtdialog.serve.service` for how the model answers.
"""
