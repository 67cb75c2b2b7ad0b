"""The generator's world: the two shops, their product kinds, colours and a seeded product catalogue.

Each product has a JDDC-style md5 product id and a knowledge-base entry of (entity, attribute, value)
triples (brand, model, price, colours, size or capacity, warranty, ...). Agent answers quote these
facts, so a model that reads the KB can answer what a text-only model has to guess.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from mtdialog.data.native import KBEntry

SHOPS = ("xjd", "fx")
SHOP_NAMES = {"xjd": "家电", "fx": "服饰"}

#: The eight product colours: name -> RGB. Images render the colour; the text never says it first.
COLOURS: dict[str, tuple[int, int, int]] = {
    "黑色": (35, 35, 38),
    "白色": (246, 246, 242),
    "灰色": (140, 142, 148),
    "红色": (205, 35, 45),
    "蓝色": (35, 85, 195),
    "绿色": (40, 150, 75),
    "粉色": (245, 155, 190),
    "黄色": (245, 200, 40),
}


@dataclass(frozen=True)
class ErrorCode:
    """What a display code means for one appliance kind; ``fix`` is a user action, or None (repair)."""

    meaning: str
    fix: str | None


@dataclass(frozen=True)
class Kind:
    """A product kind of a shop (洗衣机, 外套, ...) and the facts its products vary over."""

    name: str
    shop: str
    key: str  # silhouette id used by the renderers
    unit: str  # measure word: 台, 件, 双, ...
    spec: tuple[str, tuple[str, ...]]  # the main size attribute and its values
    price: tuple[int, int]
    brands: tuple[str, ...]
    model_prefix: str
    errors: dict[str, ErrorCode] = field(default_factory=dict)  # display codes (appliances with a panel)


_XJD_BRANDS = ("海川", "美居", "格澜", "小鹿", "西岭", "海讯", "创联", "方圆", "松禾", "容达")
_FX_BRANDS = ("素野", "北岸", "拾光", "简木", "云朵", "青檬", "初见", "南风", "森屿", "木槿")


def _codes(*rows: tuple[str, str, str | None]) -> dict[str, ErrorCode]:
    return {code: ErrorCode(meaning, fix) for code, meaning, fix in rows}


#: Error codes shown on appliance displays (the same eight glyph pairs for every kind, different meanings).
ERROR_CODES = ("E1", "E2", "E3", "E4", "F1", "F2", "F3", "H1")

KINDS: tuple[Kind, ...] = (
    Kind("洗衣机", "xjd", "washer", "台", ("容量", ("8公斤", "9公斤", "10公斤", "12公斤")), (1299, 4999),
         _XJD_BRANDS, "XQG", _codes(
             ("E1", "进水超时", "检查一下水龙头是否打开、进水管有没有弯折"),
             ("E2", "排水异常", "检查一下排水管是否堵塞或者放得过高"),
             ("E3", "门没有关好", "把机门重新关紧后再启动"),
             ("E4", "衣物放置不平衡", "把衣物抖散摆放均匀后再启动"),
             ("F1", "水位传感器故障", None),
             ("F2", "电机驱动故障", None),
             ("F3", "加热管故障", None),
             ("H1", "电压异常", "检查一下家里的电压是否稳定"))),
    Kind("冰箱", "xjd", "fridge", "台", ("容积", ("218升", "326升", "455升", "510升")), (1599, 8999),
         _XJD_BRANDS, "BCD", _codes(
             ("E1", "冷藏室传感器故障", None),
             ("E2", "冷冻室传感器故障", None),
             ("E3", "门没有关严", "把冰箱门重新关严，检查门封条是否卡住"),
             ("E4", "化霜系统异常", None),
             ("F1", "压缩机启动异常", None),
             ("F2", "风机故障", None),
             ("F3", "主板通讯异常", "断电十分钟后重新通电"),
             ("H1", "环境温度过高", "把冰箱放在通风阴凉的地方"))),
    Kind("空调", "xjd", "aircon", "台", ("匹数", ("1匹", "1.5匹", "2匹", "3匹")), (1999, 7999),
         _XJD_BRANDS, "KFR", _codes(
             ("E1", "室内外机通讯故障", None),
             ("E2", "防冻结保护", "清洗一下过滤网，保持进风顺畅"),
             ("E3", "系统压力保护", None),
             ("E4", "排气温度过高", None),
             ("F1", "室内温度传感器故障", None),
             ("F2", "室内盘管传感器故障", None),
             ("F3", "室外环境传感器故障", None),
             ("H1", "制热除霜中", "稍等几分钟，除霜结束后会自动恢复"))),
    Kind("电视", "xjd", "tv", "台", ("尺寸", ("43英寸", "55英寸", "65英寸", "75英寸")), (1499, 9999),
         _XJD_BRANDS, "LED"),
    Kind("热水器", "xjd", "heater", "台", ("容量", ("50升", "60升", "80升", "100升")), (899, 3999),
         _XJD_BRANDS, "ES", _codes(
             ("E1", "加热管干烧保护", "先把热水器注满水再通电"),
             ("E2", "漏电保护", None),
             ("E3", "温度传感器故障", None),
             ("E4", "超温保护", "断电几分钟后重新开机"),
             ("F1", "主板故障", None),
             ("F2", "限温器故障", None),
             ("F3", "显示板通讯故障", "断电十分钟后重新通电"),
             ("H1", "进水压力过低", "检查一下进水阀门是否完全打开"))),
    Kind("油烟机", "xjd", "hood", "台", ("排风量", ("17立方", "19立方", "21立方", "23立方")), (1299, 5999),
         _XJD_BRANDS, "CXW"),
    Kind("微波炉", "xjd", "microwave", "台", ("容量", ("20升", "23升", "25升", "30升")), (399, 1999),
         _XJD_BRANDS, "MW", _codes(
             ("E1", "温度传感器故障", None),
             ("E2", "炉门没有关好", "把炉门重新关紧"),
             ("E3", "空载加热保护", "放入食物后再启动"),
             ("E4", "过热保护", "让机器冷却半小时后再使用"),
             ("F1", "磁控管故障", None),
             ("F2", "转盘电机故障", None),
             ("F3", "按键板故障", None),
             ("H1", "湿度传感器故障", None))),
    Kind("扫地机器人", "xjd", "robot", "台", ("吸力", ("2500Pa", "3000Pa", "4000Pa", "5000Pa")), (999, 4999),
         _XJD_BRANDS, "RV", _codes(
             ("E1", "左轮卡住", "检查左侧轮子有没有缠绕头发杂物"),
             ("E2", "右轮卡住", "检查右侧轮子有没有缠绕头发杂物"),
             ("E3", "主刷缠绕", "取下主刷清理缠绕的毛发"),
             ("E4", "悬崖传感器脏污", "用干布擦一下底部的传感器"),
             ("F1", "尘盒没有装好", "把尘盒重新装到位"),
             ("F2", "电量过低", "把机器放回充电座充满电"),
             ("F3", "激光雷达被遮挡", "检查顶部雷达有没有被东西挡住"),
             ("H1", "机器被困", "把机器搬到空旷的地方重新启动"))),
    Kind("外套", "fx", "coat", "件", ("尺码", ("S", "M", "L", "XL")), (199, 1299), _FX_BRANDS, "WT"),
    Kind("连衣裙", "fx", "dress", "件", ("尺码", ("S", "M", "L", "XL")), (129, 699), _FX_BRANDS, "LY"),
    Kind("运动鞋", "fx", "sneaker", "双", ("尺码", ("37", "38", "39", "40", "41", "42", "43")), (199, 899),
         _FX_BRANDS, "YD"),
    Kind("牛仔裤", "fx", "jeans", "条", ("尺码", ("27", "28", "29", "30", "31", "32")), (99, 499),
         _FX_BRANDS, "NZ"),
    Kind("T恤", "fx", "tshirt", "件", ("尺码", ("S", "M", "L", "XL")), (59, 259), _FX_BRANDS, "TX"),
    Kind("卫衣", "fx", "hoodie", "件", ("尺码", ("S", "M", "L", "XL")), (129, 459), _FX_BRANDS, "WY"),
    Kind("半身裙", "fx", "skirt", "条", ("尺码", ("S", "M", "L")), (99, 399), _FX_BRANDS, "BQ"),
    Kind("双肩包", "fx", "backpack", "个", ("容量", ("15升", "20升", "25升", "30升")), (99, 599),
         _FX_BRANDS, "SB"),
)
KINDS_BY_SHOP: dict[str, tuple[Kind, ...]] = {s: tuple(k for k in KINDS if k.shop == s) for s in SHOPS}
KIND_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}

#: Accessories packed with a product; a photo of the opened box shows which slot is empty.
ACCESSORIES = {
    "xjd": ("遥控器", "说明书", "进水管", "排水管", "螺丝包", "电源线"),
    "fx": ("腰带", "吊牌", "备用纽扣", "鞋带", "防尘袋", "赠品袜子"),
}

_WARRANTY = {"xjd": ("整机1年", "整机3年", "整机3年，核心部件10年", "整机6年"), "fx": ("质量问题30天内包换",)}
_ENERGY = ("一级能效", "二级能效", "三级能效")
_MATERIALS = ("棉95% 氨纶5%", "纯棉", "聚酯纤维", "棉70% 涤纶30%", "羊毛混纺", "牛仔棉", "网布+橡胶底", "尼龙")
_FITS = ("标准码", "偏大一码", "偏小一码")
_WASH = ("手洗，不可漂白", "可机洗，反面洗涤", "建议干洗", "冷水手洗，不可暴晒")


@dataclass(frozen=True)
class Product:
    """One catalogue item with the facts its KB entry lists."""

    product_id: str
    kind: Kind
    brand: str
    model: str
    price: int
    colours: tuple[str, ...]
    spec: str
    facts: tuple[tuple[str, str], ...]  # (attribute, value) pairs beyond the core fields

    @property
    def shop(self) -> str:
        return self.kind.shop

    @property
    def name(self) -> str:
        return f"{self.brand}{self.model}{self.kind.name}"

    def fact(self, attribute: str) -> str:
        return dict(self.facts)[attribute]

    def kb_entry(self) -> KBEntry:
        triples = [(self.name, "品牌", self.brand), (self.name, "型号", self.model),
                   (self.name, "品类", self.kind.name), (self.name, "价格", f"{self.price}元"),
                   (self.name, "颜色", "/".join(self.colours)), (self.name, self.kind.spec[0], self.spec)]
        triples += [(self.name, a, v) for a, v in self.facts]
        return KBEntry(self.product_id, self.kind.name, triples)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _facts(kind: Kind, rng: random.Random) -> list[tuple[str, str]]:
    if kind.shop == "xjd":
        facts = [("保修", rng.choice(_WARRANTY["xjd"])), ("功率", f"{rng.randrange(30, 250) * 10}W"),
                 ("能效等级", rng.choice(_ENERGY)), ("安装", rng.choice(("免费安装", "免费安装，辅材另收费"))),
                 ("产地", rng.choice(("青岛", "佛山", "合肥", "珠海", "宁波", "苏州")))]
        facts += [(f"故障代码{code}", e.meaning) for code, e in kind.errors.items()]
        return facts
    fit = rng.choice(_FITS)
    facts = [("材质", rng.choice(_MATERIALS)), ("版型", rng.choice(("修身", "宽松", "常规"))),
             ("尺码建议", fit), ("洗涤方式", rng.choice(_WASH)), ("退换", "支持7天无理由退换"),
             ("季节", rng.choice(("春秋", "夏季", "冬季", "四季")))]
    return facts


def build_catalogue(seed: int, per_kind: int = 30) -> list[Product]:
    """The seeded catalogue: ``per_kind`` products of every kind (16 kinds -> 480 products)."""
    rng = random.Random(f"mtdialog-synth/{seed}/catalogue")
    products = []
    for kind in KINDS:
        for n in range(per_kind):
            lo, hi = kind.price
            price = rng.randrange(lo, hi) // 10 * 10 + 9
            colours = tuple(sorted(rng.sample(list(COLOURS), rng.randint(2, 4)), key=list(COLOURS).index))
            sizes = kind.spec[1]
            spec = rng.choice(sizes) if kind.spec[0] != "尺码" else f"{sizes[0]}-{sizes[-1]}"
            model = f"{kind.model_prefix}{rng.randrange(10, 99)}{rng.choice('ABCDEFGHKLMNPS')}{rng.randrange(1, 9)}"
            products.append(Product(_md5(f"{seed}/{kind.key}/{n}"), kind, rng.choice(kind.brands), model,
                                    price, colours, spec, tuple(_facts(kind, rng))))
    return products


def products_by_shop(catalogue: list[Product]) -> dict[str, list[Product]]:
    return {shop: [p for p in catalogue if p.shop == shop] for shop in SHOPS}
