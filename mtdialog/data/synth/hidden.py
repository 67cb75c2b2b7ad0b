"""Hidden image attributes: what each image category shows that the customer's text does not say.

Every rendered image carries one primary attribute with a small value set (4-16 values), drawn as a
large, distinct visual pattern. The generator stores it in ``Session.meta["images"][image_id]``
(``{"category", "attribute", "value", "details"}``) and lets the agent's answer, the rewrite and the
summary depend on it; models never see ``meta``. Four photo categories also have the value
:data:`UNCLEAR`: a photo drawn out of focus, whose query cannot be rewritten until a clear one comes.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtdialog.data.synth.world import ACCESSORIES, COLOURS, ERROR_CODES, KINDS_BY_SHOP

#: The value of a photo too blurred to show anything (drawn out of focus); the agent asks for another.
UNCLEAR = "看不清"
DAMAGES = {"xjd": ("划痕", "凹陷", "裂痕", "掉漆"), "fx": ("破洞", "开线", "污渍", "起球")}
PLACES = ("左上角", "右上角", "左下角", "右下角")
INSTALL_ISSUES = ("漏水", "墙面破损", "管线外露", "安装正常")
SCREEN_FAULTS = ("黑屏", "花屏", "竖线", "无信号", "偏色")
ORDER_STATES = ("待付款", "待发货", "已发货", "已完成", "已取消")
LOGISTICS_STEPS = ("已下单", "已出库", "运输中", "派送中", "已签收")
LOGISTICS_STATES = LOGISTICS_STEPS + ("配送异常",)
SERVICE_STEPS = ("待审核", "待寄回", "检测中", "退款中", "已完成")
SERVICE_STATES = SERVICE_STEPS + ("审核未通过",)
SMS_KINDS = ("取件通知", "退款到账", "安装预约", "物流延误")
RATINGS = ("1星", "2星", "3星", "4星", "5星")
APP_ERRORS = ("网络异常", "支付失败", "登录失败", "优惠券不可用", "设备离线")
PRICE_DROPS = ("20元", "50元", "100元", "200元", "300元")


@dataclass(frozen=True)
class HiddenAttribute:
    """The attribute an image category carries, and its values per shop."""

    name: str
    label: str  # how the docs and summaries call it
    values: dict[str, tuple[str, ...]]

    def all_values(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for shop_values in self.values.values():
            seen.update(dict.fromkeys(shop_values))
        return tuple(seen)


def _both(values: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {"xjd": values, "fx": values}


def _unclear(values: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """``values`` plus :data:`UNCLEAR` in every shop: photo categories whose photos can be blurred."""
    return {shop: (*v, UNCLEAR) for shop, v in values.items()}


_KIND_VALUES = {shop: tuple(k.name for k in kinds) for shop, kinds in KINDS_BY_SHOP.items()}

#: category -> the attribute it carries (every one of the 15 JDDC 2.1 categories).
ATTRIBUTES: dict[str, HiddenAttribute] = {
    "screenshot_product": HiddenAttribute("kind", "商品品类", _KIND_VALUES),
    "screenshot_product_order": HiddenAttribute("order_state", "订单状态", _both(ORDER_STATES)),
    "screenshot_logistics_order": HiddenAttribute("logistics_state", "物流状态", _both(LOGISTICS_STATES)),
    "screenshot_after_sales_order": HiddenAttribute("service_state", "售后进度", _both(SERVICE_STATES)),
    "screenshot_text_message": HiddenAttribute("sms", "短信类型", _both(SMS_KINDS)),
    "screenshot_user_comment": HiddenAttribute("rating", "评价星级", _both(RATINGS)),
    "screenshot_system_software": HiddenAttribute("app_error", "APP报错", _both(APP_ERRORS)),
    "screenshot_other_scene": HiddenAttribute("price_drop", "降价金额", _both(PRICE_DROPS)),
    "photo_purchase_consultation": HiddenAttribute("colour", "颜色", _both(tuple(COLOURS))),
    "photo_damaged_appearance": HiddenAttribute("damage", "损坏类型", _unclear(DAMAGES)),
    "photo_malfunction": HiddenAttribute("error_code", "故障代码", _unclear({"xjd": ERROR_CODES})),
    "photo_missing_items": HiddenAttribute("missing", "缺少的配件", _unclear(ACCESSORIES)),
    "photo_recommendation_comparison": HiddenAttribute("kind", "对比的商品品类", _KIND_VALUES),
    "photo_installation": HiddenAttribute("install_issue", "安装问题", {"xjd": INSTALL_ISSUES}),
    "photo_user_screen": HiddenAttribute("screen_fault", "屏幕故障", _unclear({"xjd": SCREEN_FAULTS})),
}
