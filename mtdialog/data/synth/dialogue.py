"""One session from its index: shop, product, scenes, turns, images and (optionally) annotations.

Every session draws from its own RNG seeded by ``(seed, index)``, so a session is the same whatever
worker renders it and whichever other sessions are generated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from mtdialog.data.schema import Annotations, Session
from mtdialog.data.synth.photos import Scene
from mtdialog.data.synth.render import encode_png, render
from mtdialog.data.synth.scenes import SCENES, SCENES_BY_NAME, Ctx, SceneSpec, closing, opening, transition
from mtdialog.data.synth.script import Script
from mtdialog.data.synth.summary import compose
from mtdialog.data.synth.voice import Voice
from mtdialog.data.synth.world import COLOURS, Product

SHOP_WEIGHTS = {"xjd": 0.55, "fx": 0.45}
P_IMAGE_MAIN = 0.85  # unannotated sessions whose main scene shows an image (annotated: always)
P_MORE_SCENES = 0.25  # chance of one more scene after each scene (a long tail of session lengths)
MAX_SCENES = 6
P_TRANSITION = 0.55  # "还有个问题" before a further scene


@dataclass
class Generated:
    """Session ``index`` and its encoded images (id, PNG bytes), in order of appearance."""

    index: int
    session: Session
    images: list[tuple[str, bytes]]


def _choose(rng: random.Random, specs: list[SceneSpec]) -> SceneSpec:
    return rng.choices(specs, weights=[s.weight for s in specs])[0]


def build_session(index: int, seed: int, products: dict[str, list[Product]], annotated: bool) -> Generated:
    """Session ``index`` of the corpus with ``seed`` (annotated or not)."""
    key = f"mtdialog-synth/{seed}/session/{index}"
    rng = random.Random(key)
    shop = rng.choices(list(SHOP_WEIGHTS), weights=list(SHOP_WEIGHTS.values()))[0]
    product = rng.choice(products[shop])
    kind = product.kind
    usable = [s for s in SCENES if s.applies(kind)]
    with_image = annotated or rng.random() < P_IMAGE_MAIN
    main = _choose(rng, [s for s in usable if s.image == with_image])
    if main.name == "presale_product":
        has_product = rng.random() < 0.25
    else:
        has_product = main.needs_product or rng.random() < 0.85
    script = Script(rng, key, Voice.draw(rng))
    ctx = Ctx(rng, script, shop, kind, product if has_product else None, rng.choice(product.colours))
    names = [main.name]
    while len(names) < MAX_SCENES and rng.random() < P_MORE_SCENES:
        rest = [s for s in usable if s.name not in names and (has_product or not s.needs_product)]
        names.append(_choose(rng, rest).name)
    opening(ctx, after_sales=main.after_sales)
    for i, name in enumerate(names):
        if i and rng.random() < P_TRANSITION:
            transition(ctx)
        SCENES_BY_NAME[name].run(ctx)
        script.lead = None  # a lead-in no question of the scene took is dropped
    closing(ctx)

    s = ctx.s
    images, image_meta = [], {}
    for k, job in enumerate(s.jobs):
        scene = Scene(shop, kind.key, COLOURS[ctx.colour], random.Random(f"{key}/image/{k}"), dict(job.details))
        picture, details = render(job.category, job.value, scene)
        images.append((job.image_id, encode_png(picture)))
        image_meta[job.image_id] = {"category": job.category, "attribute": job.attribute, "value": job.value,
                                    "details": {**details, **job.details}}
    meta = {"scenes": names, "kind": kind.name, "colour": ctx.colour, "images": image_meta}
    session = Session(f"s{seed}-{index:07d}", shop, product.product_id if has_product else None, s.turns, None, meta)
    if annotated:
        session.annotations = Annotations(
            rewrites=list(s.rewrites), discourse=list(s.relations), summary=compose(ctx.parts, rng),
            image_categories={job.image_id: job.category for job in s.jobs})
    return Generated(index, session, images)
