"""Pre-sales scenes: which product is in the screenshot, which colour is in the photo, which of two
products to buy, and questions the knowledge base answers (specs, sizes)."""

from __future__ import annotations

from mtdialog.data.synth import acts
from mtdialog.data.synth.scenes.common import Ctx, ack, vague, wait
from mtdialog.data.synth.world import COLOURS


def presale_product(ctx: Ctx) -> None:
    """A product-page screenshot (the chat has no product id): the agent recognises the kind."""
    s, item = ctx.s, ctx.item
    text, rw = ctx.pick(("这个还有货吗", f"{item}还有货吗"), ("这款有现货吗", f"这款{item}有现货吗"),
                        ("这个怎么样", f"这款{item}怎么样"), ("这款好用吗", f"这款{item}好不好用"),
                        ("你们家有这个吗", f"你们店有没有这款{item}"))
    s.q(text, acts.YES_NO, rw=rw, images=(ctx.img("screenshot_product", item, acts.ELABORATION),))
    if ctx.chance(0.3):
        wait(ctx)
    if ctx.chance(0.6):
        s.answer(ctx.pick(f"{ctx.dear()}您看的这款{item}目前有现货的哦", f"{ctx.dear()}这款{item}有货的，现在下单当天发货"),
                 acts.AFFIRM)
        if ctx.chance(0.6):
            s.q(ctx.pick("什么时候能到", "今天下单几天到"), acts.SWIH, rw=f"这款{item}今天下单什么时候能到")
            s.answer("一般下单后1-3天送达，偏远地区会稍晚一些", acts.AFFIRM)
        vague(ctx, 0.35)
        outcome = (f"客服告知这款{item}有现货", f"客服确认{item}有货并说明送达时间")
    else:
        s.answer(f"{ctx.dear()}这款{item}是我们店的热销款，评价很好的", acts.AFFIRM)
        s.a("现在下单还可以领券，很划算的哦", acts.RECOMMEND)
        vague(ctx, 0.35)
        outcome = (f"客服介绍这款{item}并推荐下单", f"客服推荐了这款{item}")
    if ctx.chance(0.35):
        s.q(ctx.pick("能便宜点吗", "有优惠吗", "能少点吗"), acts.YES_NO, rw=f"这款{item}能不能便宜一点")
        s.answer("亲，已经是活动价了哦", acts.DENY)
        s.a("不过您可以在页面领取满减券，下单会自动抵扣", acts.CONCESSION)
    if ctx.chance(0.5):
        s.q(ctx.pick("好的 那我下单了", "行，我去拍了", "好的我考虑下"), acts.FEEDBACK, rw=None, query=False)
    ctx.note((f"用户发来{item}的商品截图咨询", f"用户咨询截图中的{item}"), outcome)


def colour(ctx: Ctx) -> None:
    """A photo of a colour: is it available (KB colours), or is it the colour difference of a delivery?"""
    s, item = ctx.s, ctx.item
    options = ctx.need_product().colours
    shade = ctx.pick(*options) if ctx.chance(0.5) else ctx.pick(*COLOURS)
    opts = "、".join(options)
    if ctx.chance(0.55):  # pre-sales: do you have this colour?
        text, rw = ctx.pick(("有这个颜色的吗", f"这款{item}有{shade}的吗"), ("就是这个颜色", f"想要{shade}的{item}"),
                            ("这个颜色还有吗", f"这款{item}的{shade}还有货吗"), ("想要这种颜色的", f"这款{item}有没有{shade}"))
        s.q(text, acts.YES_NO, rw=rw, images=(ctx.img("photo_purchase_consultation", shade, acts.ELABORATION),))
        if shade in options:
            s.answer(f"{ctx.dear()}您发的是{shade}，这款有{shade}可选的哦", acts.AFFIRM)
            vague(ctx, 0.35)
            outcome = (f"客服告知有{shade}可选", f"客服确认{shade}有货")
        else:
            s.answer(f"{ctx.dear()}您发的是{shade}，这款暂时没有{shade}哦", acts.DENY)
            s.a(f"目前有{opts}可选，推荐您看看{options[0]}", acts.RECOMMEND)
            if ctx.chance(0.5):
                s.q(ctx.pick("那算了", "好吧 我再看看"), acts.REJECT_SUGGESTION, rw=None, query=False)
            outcome = (f"客服告知没有{shade}，推荐{options[0]}", f"客服说明只有{opts}")
        ctx.note((f"用户发来{shade}照片咨询{item}有没有这个颜色", f"用户想买{shade}的{item}"), outcome)
        return
    text, rw = ctx.pick(("收到的颜色和图片不一样", f"收到的{item}是{shade}，和图片颜色不一样"),
                        ("这颜色不对吧", f"收到的{item}是{shade}，颜色不对"),
                        ("色差也太大了", f"收到的{item}是{shade}，色差太大"))
    s.q(text, acts.ELABORATION, rw=rw, images=(ctx.img("photo_purchase_consultation", shade, acts.PROOF),))
    if ctx.chance(0.35):
        s.q(ctx.pick("你们页面上是这样的", "页面图片是这个"), acts.COMPLETION, rw=f"商品页面上的{item}图片颜色不一样",
            query=False, images=(ctx.img("screenshot_product", item, acts.PROOF),))
    if shade in options:
        s.answer(f"{ctx.dear()}从照片看您收到的是{shade}的", acts.AFFIRM)
        s.a("可能是拍照光线和显示器的原因，会有轻微色差", acts.CAUSE)
        if ctx.chance(0.5):
            vague(ctx)
        c = s.a("如果不喜欢可以申请7天无理由退换哦，您看需要吗？", acts.YES_NO)
        s.q(ctx.pick("算了 先穿着吧", "那就先这样吧", "行吧"), acts.DENY, rw=None, query=False, head=c.first)
        outcome = (f"客服解释收到的{shade}属正常色差", "客服解释是光线造成的色差")
    else:
        ordered = options[0]
        s.answer(f"{ctx.dear()}从照片看您收到的是{shade}，您下单的是{ordered}", acts.AFFIRM)
        s.a("应该是仓库发错货了，非常抱歉", acts.CAUSE)
        s.a(f"这边给您换成{ordered}的，快递上门取件", acts.SOLUTION)
        ack(ctx)
        outcome = (f"客服确认发错货，为其换成{ordered}", "客服道歉并安排换货")
    ctx.note((f"用户反映收到的{item}是{shade}有色差", f"用户收到{shade}的{item}认为色差"), outcome)


_NEEDS = ("家里人多", "经常用", "预算有限", "追求性价比", "送父母")


def comparison(ctx: Ctx) -> None:
    """A photo of two products side by side: which should I buy? The agent recommends one."""
    s, item = ctx.s, ctx.item
    text, rw = ctx.pick(("这两个哪个好", f"这两款{item}哪个好"), ("这俩选哪个", f"两款{item}选哪个"),
                        ("帮我对比一下这两款", f"帮忙对比两款{item}"), ("纠结买哪个", f"两款{item}买哪个好"))
    s.q(text, acts.CHOICE, rw=rw, images=(ctx.img("photo_recommendation_comparison", item, acts.ELABORATION),))
    if ctx.chance(0.5):
        s.q(f"主要是{ctx.pick(*_NEEDS)}", acts.PURPOSE, rw=f"选{item}主要考虑自身需求", query=False)
    side = ctx.pick("左边", "右边")
    s.answer(f"{ctx.dear()}这两款{item}都是我们家的热销款", acts.AFFIRM)
    s.a(f"综合来看更推荐您选{side}这款{item}", acts.RECOMMEND)
    vague(ctx, 0.35)
    if ctx.chance(0.6):
        s.q(ctx.pick("为什么", "有什么区别吗", "为啥"), acts.SWIH, rw=f"为什么推荐{side}这款{item}")
        s.answer(ctx.pick(f"{side}这款用料更好，售后也更有保障", f"{side}这款是新款，性价比更高"), acts.CAUSE)
    if ctx.chance(0.5):
        s.q(ctx.pick("好的 听你的", "那就它了"), acts.ACCEPT_SUGGESTION, rw=None, query=False)
    ctx.note((f"用户发来两款{item}对比询问选哪个", f"用户纠结两款{item}"), (f"客服推荐{side}这款{item}", f"客服推荐了{side}的{item}"))


_XJD_SPEC_Q = {"保修": ("保修多久", "保修期是多久"), "功率": ("多少瓦的", "功率是多少"), "能效等级": ("能效几级", "能效等级是几级"),
               "产地": ("哪里产的", "产地是哪里"), "价格": ("现在多少钱", "价格是多少"), "颜色": ("有几个颜色", "有哪些颜色")}
_FX_SPEC_Q = {"材质": ("什么面料的", "面料是什么"), "版型": ("是修身的吗", "版型是什么"), "洗涤方式": ("怎么洗", "洗涤方式是什么"),
              "季节": ("适合什么季节", "适合什么季节穿"), "价格": ("现在多少钱", "价格是多少"), "颜色": ("有几个颜色", "有哪些颜色")}


def spec_question(ctx: Ctx) -> None:
    """KB questions about the chat's product, the second one elliptic ("那保修呢")."""
    s, item = ctx.s, ctx.item
    product = ctx.need_product()
    table = dict(_XJD_SPEC_Q if ctx.shop == "xjd" else _FX_SPEC_Q)
    main = ctx.kind.spec[0]
    table[main] = (f"{main}多大", f"{main}是多少")
    first, second = ctx.rng.sample(sorted(table), 2)
    facts = {"价格": f"{product.price}元", "颜色": "、".join(product.colours), main: product.spec}

    def value(attr: str) -> str:
        return facts.get(attr) or product.fact(attr)

    asked, canon = table[first]
    s.q(ctx.pick(f"这款{asked}", f"{item}{asked}", f"请问{asked}"), acts.SWIH, rw=f"{product.name}的{canon}")
    s.answer(f"{ctx.dear()}这款{item}的{first}是{value(first)}哦", acts.AFFIRM)
    vague(ctx, 0.35)
    if ctx.chance(0.65):
        s.q(f"那{second}呢", acts.SWIH, rw=f"{product.name}的{table[second][1]}")
        s.answer(f"{second}是{value(second)}", acts.AFFIRM)
        if ctx.chance(0.3):
            s.q(ctx.pick("还行", "可以", "挺好"), acts.EVALUATION, rw=None, query=False)
    elif ctx.chance(0.3):
        s.q(f"我是问{first}", acts.RESTATEMENT, rw=f"{product.name}的{canon}")
        s.answer(f"是的亲，{first}是{value(first)}", acts.AFFIRM)
    ctx.note((f"用户咨询{item}的{first}", f"用户询问{product.name}的{first}"),
             (f"客服告知{first}是{value(first)}", f"客服回复{first}为{value(first)}"))


def size_advice(ctx: Ctx) -> None:
    """Which size fits me? The agent uses the KB's fit advice (标准码 / 偏大一码 / 偏小一码)."""
    s, item = ctx.s, ctx.item
    product = ctx.need_product()
    sizes = ctx.kind.spec[1]
    fit = product.fact("尺码建议")
    height = ctx.rng.randrange(150, 186)
    base = min(len(sizes) - 1, max(0, (height - 150) * len(sizes) // 36))
    pick = min(len(sizes) - 1, max(0, base + {"标准码": 0, "偏大一码": -1, "偏小一码": 1}[fit]))
    weight = 80 + (height - 150) * 2 + ctx.rng.randrange(-10, 20)
    s.q(ctx.pick(f"我{height} {weight}斤穿什么码", f"身高{height}，体重{weight}斤，选多大的",
                 f"{height}的个子穿哪个码合适"), acts.SWIH, rw=f"身高{height}厘米穿{product.name}选什么尺码")
    if ctx.chance(0.4):
        s.join(ctx.pick(f"平时穿{sizes[base]}的", "怕买小了", "偏瘦"))
    s.answer(f"{ctx.dear()}这款是{fit}，建议您选{sizes[pick]}码哦", acts.AFFIRM)
    vague(ctx, 0.35)
    if ctx.chance(0.4):
        smaller = pick > 0
        other = sizes[pick - 1] if smaller else sizes[pick + 1]
        s.q(f"{other}的会不会{'小' if smaller else '大'}", acts.YES_NO, rw=f"身高{height}厘米穿{other}码的{product.name}合不合适")
        s.answer(f"{other}码可能不太合适，还是建议{sizes[pick]}码", acts.DENY)
    if ctx.chance(0.3):
        q = s.q(ctx.pick("买了不合适能换吗", "不合适可以换吗"), acts.YES_NO, rw=f"{product.name}尺码不合适能不能换")
        s.a("可以的亲，支持7天无理由退换", acts.AFFIRM, head=q.first)
        s.a("只要吊牌完好、不影响二次销售就可以换", acts.CONDITION)
    ctx.note((f"用户身高{height}咨询{item}尺码", f"用户咨询{height}身高穿{item}的尺码"),
             (f"客服根据{fit}推荐{sizes[pick]}码", f"客服建议选{sizes[pick]}码"))


SCENES = {
    "presale_product": presale_product, "colour": colour, "comparison": comparison, "spec_question": spec_question,
    "size_advice": size_advice,
}
