"""The scene catalogue: which scenes exist, how often they are picked, where they apply.

A session is an opening, one main scene, a long tail of further scenes, and a closing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mtdialog.data.synth.scenes import aftersales, orders, presales
from mtdialog.data.synth.scenes.common import Ctx, closing, opening, transition
from mtdialog.data.synth.world import Kind

_INSTALLABLE = ("washer", "aircon", "heater", "hood", "tv")


@dataclass(frozen=True)
class SceneSpec:
    """A scene: its function, weight, whether it shows an image, and where it applies."""

    name: str
    run: Callable[[Ctx], None]
    weight: float
    image: bool
    after_sales: bool
    needs_product: bool = False
    applies: Callable[[Kind], bool] = lambda kind: True


def _xjd(kind: Kind) -> bool:
    return kind.shop == "xjd"


def _sized(kind: Kind) -> bool:
    return kind.shop == "fx" and kind.spec[0] == "尺码"


SCENES: tuple[SceneSpec, ...] = (
    SceneSpec("malfunction", aftersales.malfunction, 6.0, True, True, applies=lambda k: bool(k.errors)),
    SceneSpec("screen_fault", aftersales.screen_fault, 6.0, True, True, applies=lambda k: k.key == "tv"),
    SceneSpec("damage", aftersales.damage, 2.5, True, True),
    SceneSpec("missing", aftersales.missing, 1.0, True, True),
    SceneSpec("installation", aftersales.installation, 1.5, True, True, applies=lambda k: k.key in _INSTALLABLE),
    SceneSpec("repair_booking", aftersales.repair_booking, 1.0, False, True, applies=_xjd),
    SceneSpec("return_policy", aftersales.return_policy, 1.0, False, True),
    SceneSpec("logistics", orders.logistics, 3.0, True, True),
    SceneSpec("order_status", orders.order_status, 1.2, True, True),
    SceneSpec("service_progress", orders.service_progress, 1.2, True, True),
    SceneSpec("price_protect", orders.price_protect, 1.0, True, True),
    SceneSpec("sms", orders.sms, 0.8, True, True),
    SceneSpec("comment", orders.comment, 0.8, True, True),
    SceneSpec("app_error", orders.app_error, 0.8, True, False),
    SceneSpec("invoice", orders.invoice, 1.0, False, True),
    SceneSpec("follow_up", orders.follow_up, 0.8, False, True),
    SceneSpec("presale_product", presales.presale_product, 3.5, True, False),
    SceneSpec("colour", presales.colour, 2.0, True, False, needs_product=True, applies=lambda k: k.key != "tv"),
    SceneSpec("comparison", presales.comparison, 1.0, True, False),
    SceneSpec("spec_question", presales.spec_question, 2.0, False, False, needs_product=True),
    SceneSpec("size_advice", presales.size_advice, 2.0, False, False, needs_product=True, applies=_sized),
)
SCENES_BY_NAME = {spec.name: spec for spec in SCENES}

__all__ = ["SCENES", "SCENES_BY_NAME", "Ctx", "SceneSpec", "closing", "opening", "transition"]
