"""Order and service scenes: logistics, order state, after-sales progress, price protection, text
messages, reviews, app errors and invoices. The screenshots carry the state the agent reads out."""

from __future__ import annotations

from mtdialog.data.synth import acts
from mtdialog.data.synth.hidden import (
    APP_ERRORS,
    LOGISTICS_STATES,
    ORDER_STATES,
    PRICE_DROPS,
    RATINGS,
    SERVICE_STATES,
    SMS_KINDS,
)
from mtdialog.data.synth.scenes.common import Ctx, ack, ask_order, evaluate, promise, vague, wait

_LOGISTICS_REPLY = {
    "已下单": ("订单还没有出库，仓库正在备货", "预计1-2天内出库"),
    "已出库": ("包裹已经出库了，正在等待快递揽收", "今天会交给快递发出"),
    "运输中": ("包裹正在运输途中", "预计2-3天送达"),
    "派送中": ("包裹已经在派送了", "今天就会送到，请保持电话畅通"),
    "已签收": ("包裹显示已经签收了", "请您确认一下是否家人或快递柜代收"),
    "配送异常": ("包裹配送出现了异常", "这边马上联系快递站点核实"),
}


def logistics(ctx: Ctx) -> None:
    """A tracking screenshot: the agent reads the parcel's state from it and says what happens next."""
    s, item = ctx.s, ctx.item
    state = ctx.pick(*LOGISTICS_STATES)
    img = ctx.img("screenshot_logistics_order", state, acts.PROOF)
    text, rw = ctx.pick(("物流到哪了", f"我买的{item}物流{state}，什么时候到"),
                        ("这个什么时候能到", f"{item}物流显示{state}，什么时候能送到"),
                        ("物流一直是这样", f"{item}的物流一直显示{state}是怎么回事"),
                        ("帮我看看这个快递", f"{item}物流显示{state}，帮忙查一下"),
                        ("我的东西怎么还没到", f"{item}物流{state}，为什么还没收到"))
    if ctx.chance(0.8):
        s.q(text, acts.SWIH, rw=rw, images=(img,))
    else:
        s.q(text, acts.SWIH, rw=rw.replace(f"物流{state}，", "").replace(f"物流显示{state}，", ""))
        s.a("麻烦您截图一下物流信息哦", acts.REQUEST)
        s.q("", None, rw=f"{item}物流显示{state}", images=(ctx.img("screenshot_logistics_order", state,
                                                                    acts.ACCEPT_SUGGESTION),))
    if ctx.chance(0.5):
        wait(ctx)
    seen, nxt = _LOGISTICS_REPLY[state]
    s.answer(f"{ctx.dear()}从截图看{seen}", acts.AFFIRM)
    s.a(nxt, acts.ELABORATION)
    vague(ctx, 0.35)
    if state == "已签收":
        s.q(ctx.pick("我没收到啊", "家里没人签收啊"), acts.CORRECTION, rw=f"{item}物流显示已签收但是我没有收到")
        s.answer("这个需要跟快递站点核实一下，稍后给您答复", acts.HOLD)
        promise(ctx, "这边帮您联系快递核实，24小时内给您回复")
        outcome = ("客服联系快递核实签收情况", "客服承诺24小时内回复核实结果")
    elif state == "配送异常":
        if ctx.chance(0.5):
            s.q(ctx.pick("那耽误的时间怎么算", "能补偿吗"), acts.YES_NO, rw=f"{item}配送异常能不能补偿")
            if ctx.chance(0.5):
                s.answer("给您带来不便非常抱歉，这边为您申请10元补偿", acts.AFFIRM)
            else:
                s.answer("补偿需要等站点核实结果后再处理，请您稍等", acts.HOLD)
        promise(ctx, "这边已经催促站点处理，有结果第一时间通知您")
        outcome = ("客服催促站点处理异常", "客服联系站点处理并跟进")
    else:
        if ctx.chance(0.4):
            s.q(ctx.pick("能快点吗", "能催一下吗", "着急用"), acts.REQUEST, rw=f"{item}物流能不能催一下")
            promise(ctx, "好的，这边帮您催促一下快递")
        else:
            evaluate(ctx, 0.2)
            ack(ctx)
        outcome = (f"客服告知包裹{state}，{_LOGISTICS_ETA[state]}", "客服告知物流进度")
    ctx.note((f"用户咨询{item}物流，截图显示{state}", f"用户查询物流，包裹{state}"), outcome)


_LOGISTICS_ETA = {"已下单": "预计1-2天内出库", "已出库": "当天交快递发出", "运输中": "预计2-3天送达",
                  "派送中": "当天即可送达"}

_ORDER_REPLY = {
    "待付款": ("订单还没有付款哦", "需要在30分钟内完成支付，超时订单会自动取消"),
    "待发货": ("订单已经付款，正在等待发货", "一般48小时内发货"),
    "已发货": ("订单已经发货了", "可以在订单详情里查看物流"),
    "已完成": ("订单已经完成了", "如有问题可以在订单里申请售后"),
    "已取消": ("这个订单已经取消了", "款项会原路退回，1-7个工作日到账"),
}


def order_status(ctx: Ctx) -> None:
    """An order screenshot: the agent reads the order state and explains it."""
    s, item = ctx.s, ctx.item
    state = ctx.pick(*ORDER_STATES)
    text, rw = ctx.pick(("这个订单是什么情况", f"{item}订单显示{state}是什么情况"),
                        ("你看下我这个订单", f"{item}订单{state}，帮忙看一下"),
                        ("这个订单现在咋样了", f"{item}订单{state}是什么意思"),
                        ("订单这样正常吗", f"{item}订单显示{state}正常吗"))
    s.q(text, acts.SWIH, rw=rw, images=(ctx.img("screenshot_product_order", state, acts.ELABORATION),))
    seen, more = _ORDER_REPLY[state]
    s.answer(f"{ctx.dear()}{seen}", acts.AFFIRM)
    s.a(more, acts.ELABORATION)
    if state in ("待付款", "待发货") and ctx.chance(0.5):
        change = ctx.pick("取消", "改地址")
        s.q(f"那还能{change}吗", acts.YES_NO, rw=f"{state}的{item}订单还能不能{change}")
        s.answer("可以的，在订单详情页就能操作", acts.AFFIRM)
    else:
        vague(ctx, 0.45)
    ack(ctx)
    ctx.note((f"用户咨询{item}订单，截图显示{state}", f"用户询问{state}订单的情况"),
             (f"客服说明{_ORDER_SUM[state]}", f"客服解释了{state}订单的处理方式"))


_ORDER_SUM = {"待付款": "需在30分钟内付款否则自动取消", "待发货": "订单48小时内发货", "已发货": "订单已发货可查看物流",
              "已完成": "订单已完成可申请售后", "已取消": "订单已取消，款项原路退回"}

_SERVICE_REPLY = {
    "待审核": "您的售后申请正在审核中，一般24小时内审核完成",
    "待寄回": "申请已经审核通过，需要您把商品寄回",
    "检测中": "商品已经收到，正在检测中，检测完成后会尽快处理",
    "退款中": "已经在退款了，1-7个工作日原路退回",
    "已完成": "售后单已经处理完成了",
    "审核未通过": "售后申请没有审核通过",
}


def service_progress(ctx: Ctx) -> None:
    """An after-sales order screenshot: the agent reads its progress from the timeline."""
    s, item = ctx.s, ctx.item
    state = ctx.pick(*SERVICE_STATES)
    text, rw = ctx.pick(("售后到哪一步了", f"{item}售后进度显示{state}，到哪一步了"),
                        ("我这个售后怎么样了", f"{item}售后单{state}，现在怎么样了"),
                        ("退款什么时候到", f"{item}售后单显示{state}，退款什么时候到账"))
    s.q(text, acts.SWIH, rw=rw, images=(ctx.img("screenshot_after_sales_order", state, acts.ELABORATION),))
    wait(ctx)
    s.answer(f"{ctx.dear()}{_SERVICE_REPLY[state]}", acts.AFFIRM)
    if state == "审核未通过":
        s.a("原因是商品已经超过售后期限了", acts.CAUSE)
        s.q(ctx.pick("凭什么不通过", "那怎么办"), acts.SWIH, rw=f"{item}售后审核未通过怎么办")
        s.answer("具体情况需要跟售后同事核实一下", acts.HOLD)
        s.a("这边先帮您申请人工复核，您看可以吗", acts.SOLUTION)
        ack(ctx)
        outcome = ("客服说明原因并申请人工复核", "客服解释原因后申请复核")
    elif state == "待寄回":
        s.a("您可以在售后单里预约快递上门取件<url>", acts.SUGGEST)
        ack(ctx)
        outcome = ("客服告知需寄回商品并提供取件方式", "客服指导寄回商品")
    else:
        if ctx.chance(0.5):
            s.q(ctx.pick("能快点吗", "加急一下"), acts.REQUEST, rw=f"{item}售后能不能加急处理")
            promise(ctx, "已经为您备注加急处理了")
        else:
            vague(ctx, 0.4)
            evaluate(ctx, 0.15)
            ack(ctx)
        outcome = (f"客服告知售后{state}", "客服告知售后进度并安抚")
    ctx.note((f"用户咨询{item}售后进度，截图显示{state}", f"用户查询售后单，状态为{state}"), outcome)


def price_protect(ctx: Ctx) -> None:
    """A screenshot of a price drop: the agent applies for price protection of that amount."""
    s, item = ctx.s, ctx.item
    drop = ctx.pick(*PRICE_DROPS)
    text, rw = ctx.pick(("刚买就降价了", f"刚买的{item}降价了{drop}，能价保吗"),
                        ("你看现在便宜了", f"{item}现在降价{drop}了，能退差价吗"),
                        ("这个能价保吗", f"{item}降价{drop}能不能价保"),
                        ("差价能退吗", f"{item}降了{drop}，差价能退吗"))
    s.q(text, acts.YES_NO, rw=rw, images=(ctx.img("screenshot_other_scene", drop, acts.PROOF),))
    ask_order(ctx)
    s.answer(f"{ctx.dear()}看到降价了{drop}，您的订单在价保期内，可以申请价保", acts.AFFIRM)
    s.a("在订单详情页点击价格保护即可申请", acts.SOLUTION)
    vague(ctx, 0.4)
    if ctx.chance(0.5):
        s.q(ctx.pick("不会弄，你帮我申请吧", "你帮我弄一下"), acts.REQUEST, rw=f"请帮我申请{item}的价保")
        promise(ctx, f"好的，已经帮您提交了，差价{drop}会退回到原支付账户")
    else:
        ack(ctx)
    ctx.note((f"用户反映{item}降价{drop}要求价保", f"用户发现{item}降了{drop}"),
             (f"客服确认后为其申请{drop}价保", f"客服指导申请价保退差价{drop}"))


_SMS_REPLY = {
    "取件通知": ("这是快递的取件通知短信", "您凭取件码到快递柜取件就可以了"),
    "退款到账": ("这是退款到账的通知短信", "款项已经退回到您的原支付账户了"),
    "安装预约": ("这是师傅的安装预约短信", "师傅会按预约时间上门安装"),
    "物流延误": ("这是物流延误的提醒短信", "因为天气原因配送会晚1-2天"),
}


_SMS_SUM = {"取件通知": "凭取件码到快递柜取件", "退款到账": "款项已退回原支付账户", "安装预约": "师傅会按预约时间上门安装",
            "物流延误": "因天气原因配送会晚1-2天"}


def sms(ctx: Ctx) -> None:
    """A screenshot of a text message: the agent tells what kind of message it is."""
    s, item = ctx.s, ctx.item
    kind = ctx.pick(*SMS_KINDS)
    text, rw = ctx.pick(("收到这个短信是什么意思", f"收到的{kind}短信是什么意思"),
                        ("这个短信是你们发的吗", f"{kind}短信是不是你们发的"),
                        ("这条短信啥意思", f"{item}的{kind}短信是什么意思"))
    s.q(text, acts.SWIH, rw=rw, images=(ctx.img("screenshot_text_message", kind, acts.ELABORATION),))
    what, more = _SMS_REPLY[kind]
    s.answer(f"{ctx.dear()}{what}", acts.AFFIRM)
    s.a(more, acts.ELABORATION)
    vague(ctx, 0.45)
    ack(ctx)
    ctx.note((f"用户咨询收到的{kind}短信", f"用户发来{kind}短信截图询问"),
             (f"客服解释{what}", f"客服说明{_SMS_SUM[kind]}"))


def comment(ctx: Ctx) -> None:
    """A screenshot of the customer's review: thanks for stars, apologies for few."""
    s, item = ctx.s, ctx.item
    stars = ctx.pick(*RATINGS)
    text, rw = ctx.pick(("评价写好了", f"{item}已经给了{stars}评价"), ("我评价了，你看", f"我给{item}评了{stars}"),
                        ("评价截图发你了", f"{item}评价是{stars}"))
    s.q(text, acts.ELABORATION, rw=rw, images=(ctx.img("screenshot_user_comment", stars, acts.PROOF),))
    if int(stars[0]) >= 4:
        s.answer(f"{ctx.dear()}看到您给了{stars}好评，非常感谢您的支持", acts.AFFIRM)
        s.a("好评返现的5元红包会在48小时内发放", acts.PROMISE)
        ack(ctx)
        outcome = ("客服致谢并承诺发放返现", "客服感谢好评并发放返现")
    else:
        s.answer(f"{ctx.dear()}看到您只给了{stars}，非常抱歉给您带来不好的体验", acts.AFFIRM)
        s.a("请问是商品哪里让您不满意呢？", acts.SWIH)
        s.q(ctx.pick("质量一般", "用着不太好", "跟描述不一样"), acts.ELABORATION, rw=f"{item}质量不满意")
        s.a("这边给您申请售后处理，处理满意后麻烦帮忙修改一下评价", acts.SOLUTION)
        ack(ctx)
        outcome = ("客服致歉并提供售后处理", "客服道歉并协助处理")
    ctx.note((f"用户发来{item}的{stars}评价截图", f"用户给{item}评了{stars}"), outcome)


_APP_REPLY = {
    "网络异常": ("APP提示网络异常", "建议您切换一下网络或者重启APP"),
    "支付失败": ("提示支付失败", "建议您换一张银行卡或者用微信支付试试"),
    "登录失败": ("提示登录失败", "建议您用验证码登录或者重置一下密码"),
    "优惠券不可用": ("提示优惠券不可用", "这张券有使用门槛，订单金额不满足条件"),
    "设备离线": ("APP显示设备离线", "建议您把设备重新连接家里的WiFi"),
}


def app_error(ctx: Ctx) -> None:
    """A screenshot of the app's error dialog: the agent names the error and the fix."""
    s, item = ctx.s, ctx.item
    err = ctx.pick(*APP_ERRORS)
    text, rw = ctx.pick(("弹出这个是怎么回事", f"APP提示{err}是怎么回事"), ("一直这样弄不了", f"APP一直提示{err}怎么办"),
                        ("下单的时候出这个", f"下单{item}时APP提示{err}"), ("这是啥问题", f"APP提示{err}是什么问题"))
    s.q(text, acts.SWIH, rw=rw, images=(ctx.img("screenshot_system_software", err, acts.ELABORATION),))
    seen, fix = _APP_REPLY[err]
    s.answer(f"{ctx.dear()}从截图看是{seen}", acts.AFFIRM)
    vague(ctx, 0.35)
    sug = s.a(fix, acts.SUGGEST if err != "优惠券不可用" else acts.CAUSE)
    if ctx.chance(0.3):
        s.q(ctx.pick("还是不行", "试了没用"), acts.REJECT_SUGGESTION, rw=f"按方法处理后APP还是提示{err}", head=sug.first)
        promise(ctx, "这边把问题反馈给技术同事，处理好后短信通知您")
        outcome = ("客服反馈技术处理", "客服记录问题并承诺跟进")
    elif err == "优惠券不可用":
        ack(ctx)
        outcome = ("客服解释这张券有使用门槛", "客服说明订单金额不满足用券条件")
    else:
        s.q(ctx.pick("好的 我试试", "行"), acts.ACCEPT_SUGGESTION, rw=None, query=False, head=sug.first)
        outcome = (f"客服建议{fix.removeprefix('建议您')}", "客服给出处理方法")
    ctx.note((f"用户反映APP{err}", f"用户发来APP提示{err}的截图"), outcome)


def invoice(ctx: Ctx) -> None:
    """Text only: how to get an invoice, personal or company."""
    s, item = ctx.s, ctx.item
    s.q(ctx.pick("发票怎么开", f"{item}能开发票吗", "我要开发票", "发票在哪里下载"), acts.SWIH, rw=f"{item}订单的发票怎么开")
    s.answer(f"{ctx.dear()}可以开具电子发票的哦", acts.AFFIRM)
    vague(ctx, 0.3)
    c = s.a("请问您需要开个人还是公司抬头呢？", acts.CHOICE)
    if ctx.chance(0.5):
        s.q("公司的", acts.AFFIRM, rw=f"{item}订单要开公司抬头的发票", head=c.first)
        s.a("麻烦提供一下公司名称和税号哦", acts.REQUEST)
        s.q("***，税号***", acts.ACCEPT_SUGGESTION, rw=None, query=False, decorate=False)
        promise(ctx, "好的，发票开好后会发送到您的邮箱")
        outcome = ("客服登记信息开具公司抬头电子发票", "客服为其开具公司发票")
    else:
        s.q("个人", acts.AFFIRM, rw=f"{item}订单要开个人抬头的发票", head=c.first)
        s.a("您在订单详情页点击发票即可下载电子发票<url>", acts.SOLUTION)
        outcome = ("客服告知在订单详情页下载电子发票", "客服指导下载个人电子发票")
    ctx.note((f"用户咨询{item}订单如何开发票", "用户需要开发票"), outcome)


SCENES = {
    "logistics": logistics, "order_status": order_status, "service_progress": service_progress,
    "price_protect": price_protect, "sms": sms, "comment": comment, "app_error": app_error, "invoice": invoice,
}
