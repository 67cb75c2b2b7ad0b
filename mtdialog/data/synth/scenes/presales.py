"""Pre-sales scenes: which product is in the screenshot, which colour is in the photo, which of two
products to buy, and questions the knowledge base answers (specs, sizes).

The customer's message that carries a product screenshot or a comparison photo never names the
product (the picture is what shows the kind), and a colour photo's message never names a colour."""

from __future__ import annotations

from mtdialog.data.synth import acts
from mtdialog.data.synth.scenes.common import REMARK, Ctx, ack, kb_aside, urge, vague, wait
from mtdialog.data.synth.script import VAGUE
from mtdialog.data.synth.world import COLOURS

_STOCK = (("这个还有货吗？", "{name}(还有货吗|有没有货)"), ("这款有现货吗？", "这款{name}有现货吗"),
          ("这个怎么样[？]", "这款{name}(怎么样|好不好)"), ("这款好用吗？", "这款{name}好不好用"),
          ("你们家有这个吗？", "你们店有没有这款{name}"), ("这个(还有吗|有货没)[？]", "{name}还有货吗"),
          ("这款(质量|做工)怎么样[？]", "这款{name}质量怎么样"), ("(看中|想买)这个，(有货吗|能发货吗)[？]", "{name}有没有货"))


def presale_product(ctx: Ctx) -> None:
    """A product-page screenshot (mostly in chats with no product id): the agent recognises the kind,
    and quotes the KB's price when the chat has a product."""
    s, item = ctx.s, ctx.item
    text, rw = ctx.pick(*_STOCK)
    shot = ctx.img("screenshot_product", item, acts.ELABORATION)
    if ctx.chance(0.15):  # "this one" with nothing shown yet: cannot be rewritten
        s.q(ctx.say(text), acts.YES_NO, rw=VAGUE, opens=True)
        s.a(ctx.say("(请问|亲，)您(说的|问的|看中的)是哪款(商品|宝贝)呢？(可以|麻烦)(发个截图|截个图|发一下链接或截图)[哦]"),
            acts.REQUEST, head=s.last_query)
        s.q("", None, rw=ctx.say(rw), images=(ctx.img("screenshot_product", item, acts.ACCEPT_SUGGESTION, head=s.focus),))
    else:
        s.q(ctx.say(text), acts.YES_NO, rw=ctx.say(rw), images=(shot,), opens=True)
        urge(ctx, 0.3)
    if ctx.chance(0.3):
        wait(ctx)
    if ctx.chance(0.6):
        s.answer(ctx.say("[(您看的|您发的|截图里的)]这款{item}[(目前|现在)](有现货的|有货的|库存充足)[，现在下单当天发货]"), acts.AFFIRM)
        if ctx.chance(0.6):
            ctx.ask_back(ctx.say("[(我在|寄到|发)(北京|上海|广州|成都|武汉|西安|杭州|沈阳)]" + "(什么时候能到|今天下单几天到|多久能到|几天能到)[？]"), acts.SWIH, rw=f"这款{ctx.subj}今天下单什么时候能到",
                )
            s.answer(ctx.say("(一般|正常)下单后1-3天送达，偏远地区会(稍晚一些|慢一点)"), acts.AFFIRM)
        vague(ctx, 0.13, fact=ctx.say("这款{item}有货，下单后1-3天送达"))
        outcome = (f"客服告知这款{item}有现货", f"客服确认{item}有货并说明送达时间")
    else:
        s.answer(ctx.say("这款{item}是(我们店|我们家)的(热销款|爆款)，(评价很好的|好评率很高)"), acts.AFFIRM)
        s.a(ctx.say("(现在|目前|这几天)(下单|购买|拍下)(还可以|能|还能)(领券|用券|享受满减|参加活动)，(很划算的|更优惠|比平时便宜不少)[哦]"
                    "|(喜欢的话|需要的话)可以(早点|尽快)下单，(活动价|优惠)(快|马上)结束了"), acts.RECOMMEND)
        vague(ctx, 0.13, fact=ctx.say("这款{item}卖得很好，现在下单有优惠"))
        outcome = (f"客服介绍这款{item}并推荐下单", f"客服推荐了这款{item}")
    kb_aside(ctx, 0.4, ("颜色", "价格", "材质", "能效等级", "保修"))
    if ctx.product is not None and ctx.chance(0.5):
        ctx.ask_back(ctx.say("(多少钱|现在什么价|价格多少)[？]"), acts.SWIH, rw=f"{ctx.subj}的价格是多少")
        s.answer(ctx.say("(这款{name}|这款)(现在|目前)(是|售价){price}元", price=str(ctx.product.price)), acts.AFFIRM)
    if ctx.chance(0.35):
        ctx.ask_back(ctx.say("[(这款|{item}|这个)](能便宜点吗|有优惠吗|能少点吗|还能再便宜吗|有券吗|能便宜{cut}吗)[？]", cut=ctx.pick("10块", "20块", "50", "点")), acts.YES_NO, rw=f"这款{ctx.subj}能不能便宜一点")
        s.answer(ctx.say("(已经是活动价了|这个已经是最低价了)[哦]"), acts.DENY)
        s.a(ctx.say("不过(您可以|可以)在(页面|商品页|店铺首页)领取(满减券|优惠券)，下单(会自动抵扣|时自动使用)|"
                    "(不过|但是)(现在|这款)(有|参加)(满减|以旧换新|赠品)活动，(也很划算|可以省一些)"), acts.CONCESSION)
    if ctx.chance(0.5):
        s.q(ctx.say("(好的 那我下单了|行，我去拍了|好的我考虑下|那我再看看|行 下单了)" + REMARK), acts.FEEDBACK, rw=None, query=False,
            react=True)
    ctx.note((f"用户发来{item}的商品截图咨询", f"用户咨询截图中的{item}"), outcome)


def colour(ctx: Ctx) -> None:
    """A photo of a colour: is it available (KB colours), or is it the colour difference of a delivery?"""
    s, item = ctx.s, ctx.item
    options = ctx.need_product().colours
    shade = ctx.pick(*options) if ctx.chance(0.5) else ctx.pick(*COLOURS)
    opts = "、".join(options)
    if ctx.chance(0.55):  # pre-sales: do you have this colour?
        text, rw = ctx.pick(("有这个颜色的吗？", "这款{name}有{shade}的吗"), ("(就是这个颜色|就要这个色)", "想要{shade}的{name}"),
                            ("这个颜色还有吗？", "这款{name}的{shade}还有货吗"), ("想要这种颜色的", "这款{name}有没有{shade}"),
                            ("(这个色|这种颜色)有没有[？]", "这款{name}有没有{shade}"))
        s.q(ctx.say(text), acts.YES_NO, rw=ctx.say(rw, shade=shade), opens=True,
            images=(ctx.img("photo_purchase_consultation", shade, acts.ELABORATION),))
        if shade in options:
            s.answer(ctx.say("(您发的是|图片上是|这个是){shade}，这款(有{shade}可选的|{shade}有货的)[哦]", shade=shade), acts.AFFIRM)
            kb_aside(ctx, 0.4, ("价格", "材质", "季节", "版型", "能效等级"))
            vague(ctx, 0.13, fact=ctx.say("这款有{shade}", shade=shade))
            outcome = (f"客服告知有{shade}可选", f"客服确认{shade}有货")
        else:
            s.answer(ctx.say("(您发的是|图片上是|这个是){shade}，这款[(暂时)]没有{shade}[哦]", shade=shade), acts.DENY)
            s.a(ctx.say("(目前|现在)有{opts}可选，(推荐您看看|{me}推荐){first}", opts=opts, first=options[0]), acts.RECOMMEND)
            if ctx.chance(0.5):
                s.q(ctx.say("(那算了|好吧 我再看看|那我再想想)" + REMARK), acts.REJECT_SUGGESTION, rw=None, query=False, react=True)
            outcome = (f"客服告知没有{shade}，推荐{options[0]}", f"客服说明只有{opts}")
        ctx.note((f"用户发来{shade}照片咨询{item}有没有这个颜色", f"用户想买{shade}的{item}"), outcome)
        return
    text, rw = ctx.pick(("收到的颜色和图片不一样", "收到的{name}是{shade}，和图片颜色不一样"),
                        ("这颜色不对吧", "收到的{name}是{shade}，颜色不对"),
                        ("色差也太大了", "收到的{name}是{shade}，色差太大"),
                        ("(你们|这)发的什么颜色啊", "收到的{name}是{shade}，颜色不对"))
    s.q(ctx.say(text), acts.ELABORATION, rw=ctx.say(rw, shade=shade), opens=True,
        images=(ctx.img("photo_purchase_consultation", shade, acts.PROOF),))
    if ctx.chance(0.35):
        s.q(ctx.say("(你们页面上是这样的|页面图片是这个|详情页是这个颜色)"), acts.COMPLETION, rw=f"商品页面上的{ctx.subj}图片颜色不一样",
            query=False, images=(ctx.img("screenshot_product", item, acts.PROOF),))
    if shade in options:
        s.answer(ctx.say("(从照片看|{me}看到)您收到的是{shade}的", shade=shade), acts.AFFIRM)
        s.a(ctx.say("(可能是|应该是)(拍照光线|光线)和(显示器|屏幕)的原因，会有(轻微|一点)色差"), acts.CAUSE)
        if ctx.chance(0.3):
            vague(ctx, fact=ctx.say("您收到的就是{shade}，是光线造成的色差", shade=shade))
        c = s.a(ctx.say("如果不喜欢可以申请7天无理由退换[哦]，您看需要吗？"), acts.YES_NO)
        s.q(ctx.say("(算了 先穿着吧|那就先这样吧|行吧|不用了)" + REMARK), acts.DENY, rw=None, query=False, head=c.first)
        outcome = (f"客服解释收到的{shade}属正常色差", "客服解释是光线造成的色差")
    else:
        ordered = options[0]
        s.answer(ctx.say("(从照片看|{me}看到)您收到的是{shade}，(您下单的是|订单里是){ordered}", shade=shade, ordered=ordered),
                 acts.AFFIRM)
        s.a(ctx.say("(应该是|可能是)仓库发错货了，(非常抱歉|实在抱歉)"), acts.CAUSE)
        s.a(ctx.say("(这边|{me})(给您|帮您)(换成|换)({ordered}的|{ordered})，(快递上门取件|快递会上门取件|不用您出运费)", ordered=ordered), acts.SOLUTION)
        ack(ctx)
        outcome = (f"客服确认发错货，为其换成{ordered}", "客服道歉并安排换货")
    ctx.note((f"用户反映收到的{item}是{shade}有色差", f"用户收到{shade}的{item}认为色差"), outcome)


_NEEDS = ("家里人多", "经常用", "预算有限", "追求性价比", "送父母", "自己用", "送人")


def comparison(ctx: Ctx) -> None:
    """A photo of two products side by side: which should I buy? The agent recommends one."""
    s, item = ctx.s, ctx.item
    text, rw = ctx.pick(("这两个哪个好[？]", "这两款{item}哪个好"), ("这俩选哪个[？]", "两款{item}选哪个"),
                        ("帮我对比一下这两款", "帮忙对比两款{item}"), ("纠结买哪个", "两款{item}买哪个好"),
                        ("(这两个|这俩)有什么区别[？]", "两款{item}有什么区别"))
    s.q(ctx.say(text), acts.CHOICE, rw=ctx.say(rw), opens=True,
        images=(ctx.img("photo_recommendation_comparison", item, acts.ELABORATION),))
    if ctx.chance(0.5):
        s.q(ctx.say("(主要是|)" + ctx.pick(*_NEEDS)), acts.PURPOSE, rw=f"选{item}主要考虑自身需求", query=False)
    side = ctx.pick("左边", "右边")
    if ctx.chance(0.3):
        wait(ctx)
    s.answer(ctx.say("这两款{item}都是(我们家|我们店)的(热销款|爆款)"), acts.AFFIRM)
    s.a(ctx.say("(综合来看|{me}个人)更推荐您选{side}这款{item}", side=side), acts.RECOMMEND)
    vague(ctx, 0.13, fact=ctx.say("{me}推荐{side}这款{item}", side=side))
    if ctx.chance(0.6):
        ctx.ask_back(ctx.say("(为什么|有什么区别吗|为啥|哪里好)[？][(，| )(我看{other}的(便宜|好看)|价格差不多啊)]", other="右边" if side == "左边" else "左边"), acts.SWIH, rw=f"为什么推荐{side}这款{item}")
        s.answer(ctx.say("{side}这款(用料更好，售后也更有保障|是新款，性价比更高)", side=side), acts.CAUSE)
    if ctx.chance(0.5):
        s.q(ctx.say("(好的 听你的|那就它了|行 就买{side}的)", side=side), acts.ACCEPT_SUGGESTION, rw=None, query=False,
            react=True)
    ctx.note((f"用户发来两款{item}对比询问选哪个", f"用户纠结两款{item}"), (f"客服推荐{side}这款{item}", f"客服推荐了{side}的{item}"))


_XJD_SPEC_Q = {"保修": ("保修(多久|几年)", "保修期是多久"), "功率": ("(多少瓦|功率多大)", "功率是多少"),
               "能效等级": ("能效(几级|怎么样)", "能效等级是几级"), "产地": ("(哪里产的|产地是哪)", "产地是哪里"),
               "价格": ("(现在多少钱|什么价)", "价格是多少"), "颜色": ("(有几个颜色|有什么颜色)", "有哪些颜色"),
               "安装": ("(包安装吗|安装收费吗)", "安装是否收费")}
_FX_SPEC_Q = {"材质": ("(什么面料的|什么材质)", "面料是什么"), "版型": ("(是修身的吗|版型怎么样)", "版型是什么"),
              "洗涤方式": ("(怎么洗|能机洗吗)", "洗涤方式是什么"), "季节": ("(适合什么季节|什么季节穿)", "适合什么季节穿"),
              "价格": ("(现在多少钱|什么价)", "价格是多少"), "颜色": ("(有几个颜色|有什么颜色)", "有哪些颜色"),
              "退换": ("(能退换吗|可以退吗)", "能不能退换")}


def spec_question(ctx: Ctx) -> None:
    """KB questions about the chat's product, the second one elliptic ("那保修呢")."""
    s, item = ctx.s, ctx.item
    product = ctx.need_product()
    table = dict(_XJD_SPEC_Q if ctx.shop == "xjd" else _FX_SPEC_Q)
    main = ctx.kind.spec[0]
    table[main] = (f"{main}(多大|是多少)", f"{main}是多少")
    first, second = ctx.rng.sample(sorted(table), 2)
    facts = {"价格": f"{product.price}元", "颜色": "、".join(product.colours), main: product.spec}

    def value(attr: str) -> str:
        return facts.get(attr) or product.fact(attr)

    asked, canon = table[first]
    s.q(ctx.say("(这款|{it}|请问|这个|我想问下{it})" + asked + "[？]"), acts.SWIH, rw=f"{product.name}的{canon}", opens=True)
    if ctx.chance(0.2):  # two questions in one message
        s.join(ctx.say("(还有|另外)" + table[second][0] + "[？]"))
    if ctx.chance(0.3):
        wait(ctx)
    s.answer(ctx.say("(这款{item}|您看的这款|{name}|这个型号)的{attr}(是|为){value}", attr=first, value=value(first)), acts.AFFIRM)
    kb_aside(ctx, 0.35, ("保修", "能效等级", "产地", "材质", "版型", "洗涤方式"))
    vague(ctx, 0.13, fact=ctx.say("{attr}是{value}", attr=first, value=value(first)))
    if ctx.chance(0.65):
        ctx.ask_back(ctx.say("(那|)" + second + "(呢|怎么样)？|(好的，|哦哦 |)那" + second + "呢？"), acts.SWIH,
            rw=f"{product.name}的{table[second][1]}")
        s.answer(ctx.say("{attr}(是|为){value}[哦]", attr=second, value=value(second)), acts.AFFIRM)
        if ctx.chance(0.3):
            s.q(ctx.say("(还行|可以|挺好|不错)" + REMARK), acts.EVALUATION, rw=None, query=False, react=True)
    elif ctx.chance(0.3):
        s.q(ctx.say("(我是问|我问的是)" + first), acts.RESTATEMENT, rw=f"{product.name}的{canon}", react=True)
        s.answer(ctx.say("(是的亲|嗯嗯)，{attr}是{value}", attr=first, value=value(first)), acts.AFFIRM)
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
    hw = {"h": str(height), "w": str(weight)}
    s.q(ctx.say("(我|本人|)({h} {w}斤|{h}，{w}斤|身高{h}，体重{w}斤|{h}cm {w}斤)(穿什么码|选多大的|穿哪个码合适|拿什么码)[？]|"
                "{h}的个子(穿哪个码合适|选什么码)[？]", **hw), acts.SWIH, rw=f"身高{height}厘米穿{product.name}选什么尺码",
        opens=True)
    if ctx.chance(0.4):
        s.join(ctx.say("(平时穿{usual}的|怕买小了|偏瘦|有点胖|腿比较粗)", usual=sizes[base]))
    s.answer(ctx.say("(这款|{name}|这款{item})(是|尺码是){fit}，(建议您|推荐您|您可以)(选|拿|穿){size}码[哦]", fit=fit,
                     size=sizes[pick]), acts.AFFIRM)
    kb_aside(ctx, 0.4, ("版型", "材质", "洗涤方式"))
    vague(ctx, 0.13, fact=ctx.say("您选{size}码就可以", size=sizes[pick]))
    if ctx.chance(0.4):
        smaller = pick > 0
        other = sizes[pick - 1] if smaller else sizes[pick + 1]
        ctx.ask_back(ctx.say("{other}的会不会{adj}[？]|(那|){other}[(码)](行不行|可以吗)？", other=other, adj="小" if smaller else "大"),
            acts.YES_NO, rw=f"身高{height}厘米穿{other}码的{product.name}合不合适")
        s.answer(ctx.say("{other}码可能(不太合适|会{adj})，还是建议{size}码", other=other, size=sizes[pick],
                         adj="小" if smaller else "大"), acts.DENY)
    if ctx.chance(0.3):
        q = ctx.ask_back(ctx.say("(买了不合适能换吗|不合适可以换吗|尺码不对能换吗)[(，| )(怕买错|第一次买你家的)]"), acts.YES_NO, rw=f"{product.name}尺码不合适能不能换",
                )
        s.a(ctx.say("(可以的|支持的)，{policy}", policy=product.fact("退换")), acts.AFFIRM, head=q.first)
        s.a(ctx.say("只要吊牌完好、不影响二次销售就可以换"), acts.CONDITION)
    ctx.note((f"用户身高{height}咨询{item}尺码", f"用户咨询{height}身高穿{item}的尺码"),
             (f"客服根据{fit}推荐{sizes[pick]}码", f"客服建议选{sizes[pick]}码"))
