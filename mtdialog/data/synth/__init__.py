"""The embedded corpus: a deterministic generator of JDDC-2.1-style multimodal customer-service chats.

``generate_corpus(out_dir, sessions=3000, annotated=600, seed=0)`` writes a native corpus (see
``mtdialog.data.native``) of two shops (``xjd`` home appliances, ``fx`` fashion), a product KB,
rendered images of all 15 JDDC 2.1 categories whose content the text does not give away, the real
logs' noise, and every annotation on the annotated subset. ``docs/embedded-corpus.md`` describes it.

Modules: ``world`` (shops, kinds, catalogue, KB), ``hidden`` (what each image category shows),
``draw`` / ``silhouettes`` / ``photos`` / ``screens`` / ``render`` (images), ``noise`` (emoji codes,
masking, ``|||``), ``phrase`` (paraphrase templates), ``voice`` (each session's agent and customer
register), ``acts`` (dialogue acts = discourse relations), ``script`` (turn builder, discourse heads),
``scenes`` (what customers and agents say), ``summary``, ``dialogue`` (one session), ``corpus``
(the parallel writer).
"""

from mtdialog.data.synth.corpus import check_generated, generate_corpus

__all__ = ["check_generated", "generate_corpus"]
