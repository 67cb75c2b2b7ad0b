"""The images carry what the text does not: a pixel classifier recovers each image's hidden
attribute, a classifier on the customer's text of the same turn is near the majority-class rate.

Run with ``pytest -s`` to see the table of accuracies.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest
from PIL import Image
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from mtdialog.data.native import Corpus
from mtdialog.data.synth import generate_corpus

# (category, attribute) pairs whose pixels must give the value at >= 90% on held-out sessions
CHECKED = {
    ("screenshot_product", "kind"), ("photo_purchase_consultation", "colour"),
    ("photo_malfunction", "error_code"), ("screenshot_logistics_order", "logistics_state"),
    ("screenshot_product_order", "order_state"), ("screenshot_after_sales_order", "service_state"),
    ("photo_missing_items", "missing"), ("photo_damaged_appearance", "place"),
}
MIN_HELD_OUT = 15


def _pixels(path) -> np.ndarray:
    """The image as 32 x 32 RGB, area-averaged, flattened to 3072 values in [0, 1]."""
    with Image.open(path) as im:
        small = im.convert("RGB").resize((32, 32), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32).ravel() / 255


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """(category, attribute) -> [(is_train, pixels, customer text of the turn, value)]."""
    root = generate_corpus(tmp_path_factory.mktemp("info") / "c", sessions=1800, annotated=0, seed=11,
                           workers=2, progress=False)
    corpus = Corpus(root)
    out = defaultdict(list)
    for split in corpus.splits:
        for s in corpus.sessions(split):
            for turn in s.turns:
                for image_id in turn.images:
                    meta = s.meta["images"][image_id]
                    x = _pixels(corpus.image_path(image_id))
                    row = (split == "train", x, turn.text)
                    out[meta["category"], meta["attribute"]].append((*row, meta["value"]))
                    if "place" in meta["details"]:
                        out[meta["category"], "place"].append((*row, meta["details"]["place"]))
    return out


def _accuracies(rows):
    """Held-out accuracy of the pixel and the text classifier, the best constant's rate, and sizes."""
    train = [r for r in rows if r[0]]
    test = [r for r in rows if not r[0]]
    y_train, y_test = [r[3] for r in train], [r[3] for r in test]
    pixels = ExtraTreesClassifier(n_estimators=150, random_state=0, n_jobs=2)
    pixels.fit(np.stack([r[1] for r in train]), y_train)
    image_acc = pixels.score(np.stack([r[1] for r in test]), y_test)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
    words = LogisticRegression(max_iter=1000).fit(vectorizer.fit_transform([r[2] for r in train]), y_train)
    text_acc = words.score(vectorizer.transform([r[2] for r in test]), y_test)
    majority = Counter(y_test).most_common(1)[0][1] / len(y_test)
    return image_acc, text_acc, majority, len(train), len(test)


@pytest.mark.slow
def test_images_carry_information_the_text_lacks(examples):
    results = {key: _accuracies(rows) for key, rows in sorted(examples.items())
               if sum(not r[0] for r in rows) >= MIN_HELD_OUT}
    print(f"\n{'category / attribute':50s} {'train':>5s} {'test':>5s} {'image':>6s} {'text':>6s} {'major':>6s}")
    for (category, attribute), (image_acc, text_acc, majority, n_train, n_test) in results.items():
        print(f"{category + ' / ' + attribute:50s} {n_train:5d} {n_test:5d} {image_acc:6.2f} {text_acc:6.2f} "
              f"{majority:6.2f}")
    assert CHECKED <= set(results)
    for key, (image_acc, text_acc, majority, _, n_test) in results.items():
        # the customer's words do no better than the best constant, up to sampling noise (3 sigma)
        assert text_acc <= majority + 3 * math.sqrt(majority * (1 - majority) / n_test) + 0.05, key
        assert image_acc >= text_acc + 0.4, key  # the pixels do much better
        if key in CHECKED:
            assert image_acc >= 0.9, key
    n = sum(r[4] for r in results.values())
    pooled_text = sum(r[1] * r[4] for r in results.values()) / n
    pooled_majority = sum(r[2] * r[4] for r in results.values()) / n
    pooled_image = sum(r[0] * r[4] for r in results.values()) / n
    print(f"{'pooled':50s} {'':5s} {n:5d} {pooled_image:6.2f} {pooled_text:6.2f} {pooled_majority:6.2f}")
    assert pooled_text <= pooled_majority + 0.05
    assert pooled_image >= 0.9
