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
from mtdialog.data.synth.scenes.common import (
    REMARK,
    Ctx,
    ack,
    ask_order,
    evaluate,
    promise,
    urge,
    vague,
    wait,
)
from mtdialog.data.synth.script import VAGUE

_LOGISTICS_REPLY = {
    "已下单": ("(订单|包裹|您的订单)(还没有出库|暂时还没出库)，仓库正在(备货|打包|拣货)",
              "(预计|一般|正常情况下)1-2天内(出库|就会出库)[，出库后会更新物流信息]"),
    "已出库": ("(包裹|商品)已经出库了，(正在等待|等待|在等)快递揽收", "(今天|当天)会交给快递发出[，请您耐心等待]"),
    "运输中": ("(包裹|您的快递)(正在|还在)运输途中|物流显示(正在|还在)运输中", "(预计|大概|正常)2-3天(送达|能送到|就到了)"),
    "派送中": ("包裹已经在派送了|快递员正在给您派送|快递(已经|正在)派送中", "(今天|当天)(就会|就能)送到，(请保持电话畅通|注意接听快递电话)"),
    "已签收": ("(包裹|快递)(显示|物流显示)已经签收了|物流显示(已签收|快递已经签收)", "(请您确认一下|麻烦您看一下)是否(家人|门卫|快递柜|驿站)代收[了]"),
    "配送异常": ("包裹配送出现了异常|物流显示配送异常|快递(显示|出现)配送异常", "(这边|{me})马上联系快递站点(核实|处理|确认情况)"),
}
_LOGISTICS_ETA = {"已下单": "预计1-2天内出库", "已出库": "当天交快递发出", "运输中": "预计2-3天送达",
                  "派送中": "当天即可送达"}


def logistics(ctx: Ctx) -> None:
    """A tracking screenshot: the agent reads the parcel's state from it and says what happens next."""
    s = ctx.s
    state = ctx.pick(*LOGISTICS_STATES)
    img = ctx.img("screenshot_logistics_order", state, acts.PROOF)
    text, rw, plain = ctx.pick(
        ("(物流到哪了|快递到哪了)[？]", "{name}的物流显示{state}，什么时候到", "{name}的物流到哪了"),
        ("这个什么时候能到[？]", "{name}(物流|的物流|快递)显示{state}，什么时候(能送到|能到|送达)", "{name}什么时候能送到"),
        ("物流一直是这样", "{name}的物流一直显示{state}是怎么回事", "{name}的物流一直不更新是怎么回事"),
        ("(帮我看看|帮忙查下)这个快递", "{name}(物流|的快递)显示{state}，(帮忙查一下|帮我查一下)", "帮忙查一下{name}的快递"),
        ("(我的东西|{it})怎么还没到[？]", "{name}物流{state}，为什么还没收到", "{name}为什么还没收到"),
        ("{day}(下的单|买的)，(到哪了|怎么还没到)", "{name}物流显示{state}，什么时候到", "{name}的物流到哪了"))
    if ctx.chance(0.75):
        s.q(ctx.say(text), acts.SWIH, rw=ctx.say(rw, state=state), images=(img,), opens=True)
        urge(ctx, 0.3)
    else:
        s.q(ctx.say(text), acts.SWIH, rw=ctx.say(plain), opens=True)
        s.a(ctx.say("(麻烦|辛苦)您(截图一下|截个图发一下)物流(信息|详情)[哦]|(方便|麻烦)截图看一下物流吗？"), acts.REQUEST,
            head=s.last_query)
        s.q("", None, rw=ctx.say("{name}物流显示{state}", state=state),
            images=(ctx.img("screenshot_logistics_order", state, acts.ACCEPT_SUGGESTION, head=s.focus),))
    if ctx.chance(0.25):
        ask_order(ctx)
    elif ctx.chance(0.5):
        wait(ctx)
    seen, nxt = _LOGISTICS_REPLY[state]
    s.answer(ctx.say("(从截图看|{me}看到|查询到|看物流)" + f"({seen})"), acts.AFFIRM)
    s.a(ctx.say(nxt), acts.ELABORATION)
    vague(ctx, 0.13, fact=ctx.say(f"({seen})，{nxt}"))
    if state == "已签收":
        s.q(ctx.say("(我没收到啊|家里没人签收啊|没收到啊 谁签的|我根本没收到)"), acts.CORRECTION,
            rw=f"{ctx.subj}物流显示已签收但是我没有收到", react=True)
        s.answer(ctx.say("(这个需要跟快递站点核实一下|{me}需要联系快递核实)，(稍后给您答复|请您稍等)"), acts.HOLD)
        promise(ctx, ctx.say("(这边帮您联系快递核实|{me}已经联系快递站点了)，24小时内给您回复"))
        outcome = ("客服联系快递核实签收情况", "客服承诺24小时内回复核实结果")
    elif state == "配送异常":
        if ctx.chance(0.5):
            ctx.ask_back(ctx.say("(那耽误的时间怎么算|能补偿吗|耽误事了怎么办)"), acts.YES_NO, rw=f"{ctx.subj}配送异常能不能补偿")
            if ctx.chance(0.5):
                s.answer(ctx.say("(给您带来不便非常抱歉|非常抱歉)，(这边|{me})为您申请10元补偿"), acts.AFFIRM)
            else:
                s.answer(ctx.say("补偿需要等站点核实结果后再处理，请您(稍等|耐心等待)"), acts.HOLD)
        promise(ctx, ctx.say("(这边已经催促站点处理|{me}已经联系站点了)，有结果第一时间通知您"))
        outcome = ("客服催促站点处理异常", "客服联系站点处理并跟进")
    else:
        if ctx.chance(0.4):
            ctx.ask_back(ctx.say("(能快点吗|能催一下吗|着急用|帮我催催)[(，| )(我{day}就下单了|等着用呢|都好几天了|{it}急用)]"), acts.REQUEST, rw=f"{ctx.subj}的物流能不能催一下")
            promise(ctx, ctx.say("(好的|可以的)，(这边|{me})帮您催促一下快递"))
        else:
            evaluate(ctx, 0.2)
            ack(ctx)
        outcome = (f"客服告知包裹{state}，{_LOGISTICS_ETA[state]}", "客服告知物流进度")
    ctx.note((f"用户咨询{ctx.item}物流，截图显示{state}", f"用户查询物流，包裹{state}"), outcome)


_ORDER_REPLY = {
    "待付款": ("(订单|这个订单)还没有(付款|支付)", "(需要|要)在30分钟内完成支付，(超时|过时)订单会自动取消"),
    "待发货": ("(订单|这个订单)已经付款[(了)]，(正在等待|在等待|等)发货", "(一般|正常|通常)48小时内(发货|会发出)"),
    "已发货": ("(订单|您的订单|商品)已经发货了", "(可以|您可以)在订单详情里(查看|看到)物流[信息]"),
    "已完成": ("(订单|这个订单)已经(完成|是完成状态)了", "(如有|如果有)问题可以在订单里申请售后"),
    "已取消": ("(这个订单|订单)已经取消了", "款项会原路退回，1-7个工作日(到账|退到您的账户)"),
}
_ORDER_SUM = {"待付款": "需在30分钟内付款否则自动取消", "待发货": "订单48小时内发货", "已发货": "订单已发货可查看物流",
              "已完成": "订单已完成可申请售后", "已取消": "订单已取消，款项原路退回"}


def order_status(ctx: Ctx) -> None:
    """An order screenshot: the agent reads the order state and explains it."""
    s = ctx.s
    state = ctx.pick(*ORDER_STATES)
    text, rw = ctx.pick(("这个订单是什么情况[？]", "{name}订单显示{state}是什么情况"),
                        ("你(看下|帮我看下)我这个订单", "{name}订单{state}，帮忙看一下"),
                        ("这个订单现在(咋样了|怎么样了)[？]", "{name}订单{state}是什么意思"),
                        ("订单这样正常吗[？]", "{name}订单显示{state}正常吗"),
                        ("{day}下的单，(你看下|帮我看看)", "{name}订单显示{state}，帮忙看一下"))
    s.q(ctx.say(text), acts.SWIH, rw=ctx.say(rw, state=state), opens=True,
        images=(ctx.img("screenshot_product_order", state, acts.ELABORATION),))
    urge(ctx, 0.3)
    if ctx.chance(0.35):
        wait(ctx)
    seen, more = _ORDER_REPLY[state]
    s.answer(ctx.say(f"[(从截图看|{{me}}看到|您这个)]{seen}[哦]"), acts.AFFIRM)
    s.a(ctx.say(more), acts.ELABORATION)
    if state in ("待付款", "待发货") and ctx.chance(0.5):
        change = ctx.pick("取消", "改地址")
        ctx.ask_back(ctx.say("[(那)](还能|可以){change}吗？", change=change), acts.YES_NO, rw=f"{state}的{ctx.subj}订单还能不能{change}",
            )
        s.answer(ctx.say("(可以的|能的)，在订单详情[(页)](就能|里就可以)操作"), acts.AFFIRM)
    else:
        vague(ctx, 0.16, fact=ctx.say(f"{seen}，{more}"))
    ack(ctx)
    ctx.note((f"用户咨询{ctx.item}订单，截图显示{state}", f"用户询问{state}订单的情况"),
             (f"客服说明{_ORDER_SUM[state]}", f"客服解释了{state}订单的处理方式"))


_SERVICE_REPLY = {
    "待审核": "[(您的)]售后申请正在审核中，(一般|通常)24小时内审核完成",
    "待寄回": "(申请|售后申请)已经审核通过，需要您把商品寄回",
    "检测中": "商品已经收到，正在检测中，检测完成后会尽快处理",
    "退款中": "已经在退款了，1-7个工作日原路退回",
    "已完成": "(售后单|您的售后)已经处理完成了",
    "审核未通过": "售后申请没有审核通过",
}


def service_progress(ctx: Ctx) -> None:
    """An after-sales order screenshot: the agent reads its progress from the timeline."""
    s = ctx.s
    state = ctx.pick(*SERVICE_STATES)
    text, rw = ctx.pick(("售后到哪一步了[？]", "{name}售后进度显示{state}，到哪一步了"),
                        ("我这个售后(怎么样了|啥情况)[？]", "{name}售后单{state}，现在怎么样了"),
                        ("退款什么时候到[？]", "{name}售后单显示{state}，退款什么时候到账"),
                        ("{day}申请的售后，(怎么样了|到哪了)", "{name}售后单{state}，现在怎么样了"))
    s.q(ctx.say(text), acts.SWIH, rw=ctx.say(rw, state=state), opens=True,
        images=(ctx.img("screenshot_after_sales_order", state, acts.ELABORATION),))
    urge(ctx, 0.3)
    if ctx.chance(0.3):
        ask_order(ctx)
    else:
        wait(ctx)
    s.answer(ctx.say("[(从截图看|{me}查到|看了下)]" + _SERVICE_REPLY[state] + "[哦]"), acts.AFFIRM)
    if state == "审核未通过":
        s.a(ctx.say("(原因是|因为)商品已经超过售后期限了"), acts.CAUSE)
        ctx.ask_back(ctx.say("(凭什么不通过|那怎么办|那我怎么办啊|不能通融一下吗)[(，| )(我{day}才买的|{it}是质量问题啊|就差几天)]"), acts.SWIH, rw=f"{ctx.subj}售后审核未通过怎么办")
        s.answer(ctx.say("具体情况需要跟售后同事核实一下"), acts.HOLD)
        s.a(ctx.say("(这边|{me})先帮您申请人工复核，您看可以吗？"), acts.SOLUTION)
        ack(ctx)
        outcome = ("客服说明原因并申请人工复核", "客服解释原因后申请复核")
    elif state == "待寄回":
        s.a(ctx.say("您可以在售后单里预约快递上门取件[<url>]"), acts.SUGGEST)
        ack(ctx)
        outcome = ("客服告知需寄回商品并提供取件方式", "客服指导寄回商品")
    else:
        if ctx.chance(0.5):
            ctx.ask_back(ctx.say("(能快点吗|加急一下|能不能快点处理)[(，| )(都{day}申请的了|等好久了|急着用钱)]"), acts.REQUEST, rw=f"{ctx.subj}售后能不能加急处理")
            promise(ctx, ctx.say("(已经为您备注加急处理了|{me}已经帮您催了，会加急处理)"))
        else:
            vague(ctx, 0.16, fact=ctx.say(_SERVICE_REPLY[state]))
            evaluate(ctx, 0.15)
            ack(ctx)
        outcome = (f"客服告知售后{state}", "客服告知售后进度并安抚")
    ctx.note((f"用户咨询{ctx.item}售后进度，截图显示{state}", f"用户查询售后单，状态为{state}"), outcome)


def price_protect(ctx: Ctx) -> None:
    """A screenshot of a price drop: the agent applies for price protection of that amount."""
    s = ctx.s
    drop = ctx.pick(*PRICE_DROPS)
    text, rw = ctx.pick(("(刚买就降价了|{day}买的，现在就降价了)", "刚买的{name}降价了{drop}，能价保吗"),
                        ("你看现在(便宜了|降价了)", "{name}现在降价{drop}了，能退差价吗"),
                        ("这个能价保吗[？]", "{name}降价{drop}能不能价保"),
                        ("差价能退吗[？]", "{name}降了{drop}，差价能退吗"),
                        ("(我买贵了|买完就降价)，(能不能|可以)退差价吗？", "{name}降价{drop}能不能退差价"))
    s.q(ctx.say(text), acts.YES_NO, rw=ctx.say(rw, drop=drop), opens=True,
        images=(ctx.img("screenshot_other_scene", drop, acts.PROOF),))
    ask_order(ctx)
    s.answer(ctx.say("(看到|{me}看到|确实)(降价了|降了){drop}，(您的订单在价保期内|订单还在价保期内)，可以申请价保", drop=drop), acts.AFFIRM)
    s.a(ctx.say("(您|)(在|打开)(订单详情页|订单详情|我的订单)(里|)(点击|找到)(价格保护|价保)(按钮|)(即可|就可以|就能)申请[，差价会退回原支付账户]"), acts.SOLUTION)
    vague(ctx, 0.16, fact=ctx.say("降价{drop}可以申请价保，在订单详情里申请就行", drop=drop))
    if ctx.chance(0.5):
        ctx.ask_back(ctx.say("(不会弄，你帮我申请吧|你帮我弄一下|太麻烦了 你帮我申请)"), acts.REQUEST, rw=f"请帮我申请{ctx.subj}的价保",
            )
        promise(ctx, ctx.say("(好的|可以的)，(已经帮您提交了|{me}帮您提交好了)，差价{drop}会退回到原支付账户", drop=drop))
    else:
        ack(ctx)
    ctx.note((f"用户反映{ctx.item}降价{drop}要求价保", f"用户发现{ctx.item}降了{drop}"),
             (f"客服确认后为其申请{drop}价保", f"客服指导申请价保退差价{drop}"))


_SMS_REPLY = {
    "取件通知": ("(这是|这条是)快递的取件通知[短信]", "您(凭|拿着)取件码到(快递柜|驿站)取件就可以了"),
    "退款到账": ("(这是|这条是)退款到账的通知[短信]", "款项已经(退回到|退到)您的原支付账户了"),
    "安装预约": ("(这是|这条是)师傅的安装预约短信", "师傅会按预约[(的)]时间上门安装[，请您留意电话]"),
    "物流延误": ("(这是|这条是)物流延误的提醒[短信]", "因为天气原因配送会(晚|延迟)1-2天[，请您耐心等待]"),
}
_SMS_SUM = {"取件通知": "凭取件码到快递柜取件", "退款到账": "款项已退回原支付账户", "安装预约": "师傅会按预约时间上门安装",
            "物流延误": "因天气原因配送会晚1-2天"}


def sms(ctx: Ctx) -> None:
    """A screenshot of a text message: the agent tells what kind of message it is."""
    s = ctx.s
    kind = ctx.pick(*SMS_KINDS)
    text, rw = ctx.pick(("收到这个短信是什么意思[？]", "收到的{kind}短信是什么意思"),
                        ("这个短信是你们发的吗？", "{kind}短信是不是你们发的"),
                        ("这条短信(啥意思|什么意思)", "{name}的{kind}短信是什么意思"),
                        ("{day}收到(这个|这条)短信，(是真的吗|什么情况)", "收到的{kind}短信是什么情况"))
    s.q(ctx.say(text), acts.SWIH, rw=ctx.say(rw, kind=kind), opens=True,
        images=(ctx.img("screenshot_text_message", kind, acts.ELABORATION),))
    if ctx.chance(0.25):
        wait(ctx)
    what, more = _SMS_REPLY[kind]
    s.answer(ctx.say("[(从截图看|{me}看了一下|是的)，]" + what), acts.AFFIRM)
    s.a(ctx.say(more), acts.ELABORATION)
    vague(ctx, 0.16, fact=ctx.say(f"{what}，{more}"))
    ack(ctx)
    ctx.note((f"用户咨询收到的{kind}短信", f"用户发来{kind}短信截图询问"),
             (f"客服解释{ctx.say(what)}", f"客服说明{_SMS_SUM[kind]}"))


def comment(ctx: Ctx) -> None:
    """A screenshot of the customer's review: thanks for stars, apologies for few."""
    s = ctx.s
    stars = ctx.pick(*RATINGS)
    text, rw = ctx.pick(("评价写好了", "{name}已经给了{stars}评价"), ("我评价了，你看", "我给{name}评了{stars}"),
                        ("评价截图发你了", "{name}评价是{stars}"), ("(已经评价了|评好了)[，返现呢]", "{name}评价了{stars}"))
    s.q(ctx.say(text), acts.ELABORATION, rw=ctx.say(rw, stars=stars), opens=True,
        images=(ctx.img("screenshot_user_comment", stars, acts.PROOF),))
    if int(stars[0]) >= 4:
        s.answer(ctx.say("(看到您给了{stars}好评|收到您的{stars}好评了)，(非常感谢您的支持|感谢您的认可)", stars=stars), acts.AFFIRM)
        s.a(ctx.say("(好评返现的|返现的|)5元(红包|返现)会在48小时内(发放|发到您的账户|到账)[，请注意查收]"), acts.PROMISE)
        ack(ctx)
        outcome = ("客服致谢并承诺发放返现", "客服感谢好评并发放返现")
    else:
        s.answer(ctx.say("(看到您只给了{stars}|看到您的{stars}评价了)，(非常抱歉给您带来不好的体验|很抱歉让您不满意了)", stars=stars),
                 acts.AFFIRM)
        s.a(ctx.say("(请问是商品哪里让您不满意呢|方便说一下是哪里不满意吗)？"), acts.SWIH)
        s.q(ctx.say("(质量一般|用着不太好|跟描述不一样|做工太差了)[(，| )(用了{day}就坏了|不值这个价|线头很多)]"), acts.ELABORATION, rw=f"{ctx.subj}质量不满意", react=True)
        s.a(ctx.say("(这边|{me})(给您|帮您|为您)申请售后(处理|)，(处理|问题解决)(满意|好了)后(麻烦帮忙|辛苦您|您看能不能)(修改|追评|改)一下评价[呢]"), acts.SOLUTION)
        ack(ctx)
        outcome = ("客服致歉并提供售后处理", "客服道歉并协助处理")
    ctx.note((f"用户发来{ctx.item}的{stars}评价截图", f"用户给{ctx.item}评了{stars}"), outcome)


_APP_REPLY = {
    "网络异常": ("APP提示网络异常", "(建议您|您可以)切换一下网络或者重启APP"),
    "支付失败": ("提示支付失败", "(建议您|您可以)换一张银行卡或者用微信支付试试"),
    "登录失败": ("提示登录失败", "(建议您|您可以)用验证码登录或者重置一下密码"),
    "优惠券不可用": ("提示优惠券不可用", "这张券有使用门槛，订单金额不满足条件"),
    "设备离线": ("APP显示设备离线", "(建议您|您可以)把设备重新连接家里的WiFi"),
}
_APP_SUM = {"网络异常": "切换网络或重启APP", "支付失败": "换卡或用微信支付", "登录失败": "用验证码登录或重置密码",
            "设备离线": "把设备重新连接WiFi"}


def app_error(ctx: Ctx) -> None:
    """A screenshot of the app's error dialog: the agent names the error and the fix."""
    s = ctx.s
    err = ctx.pick(*APP_ERRORS)
    text, rw = ctx.pick(("弹出这个是怎么回事[？]", "APP提示{err}是怎么回事"), ("一直这样(弄不了|搞不了)", "APP一直提示{err}怎么办"),
                        ("下单的时候出这个", "下单{name}时APP提示{err}"), ("这是啥问题[？]", "APP提示{err}是什么问题"),
                        ("(手机上|APP)一直(弹这个|提示这个)", "APP一直提示{err}怎么办"))
    s.q(ctx.say(text), acts.SWIH, rw=ctx.say(rw, err=err), opens=True,
        images=(ctx.img("screenshot_system_software", err, acts.ELABORATION),))
    urge(ctx, 0.3)
    if ctx.chance(0.3):
        wait(ctx)
    seen, fix = _APP_REPLY[err]
    s.answer(ctx.say("(从截图看|{me}看到|您这边)是" + seen), acts.AFFIRM)
    vague(ctx, 0.13, fact=ctx.say(seen))
    sug = s.a(ctx.say(fix), acts.SUGGEST if err != "优惠券不可用" else acts.CAUSE)
    if ctx.chance(0.3):
        s.q(ctx.say("(还是不行|试了没用|还是一样)[(，| )(重启了好几次|试了好几遍|换了网络也不行)]"), acts.REJECT_SUGGESTION, rw=f"按方法处理后APP还是提示{err}", head=sug.first)
        promise(ctx, ctx.say("(这边|{me})把问题反馈给技术同事，处理好后(短信通知您|第一时间联系您)"))
        outcome = ("客服反馈技术处理", "客服记录问题并承诺跟进")
    elif err == "优惠券不可用":
        ack(ctx)
        outcome = ("客服解释这张券有使用门槛", "客服说明订单金额不满足用券条件")
    else:
        s.q(ctx.say("(好的 我试试|行|好 我试下|ok)" + REMARK), acts.ACCEPT_SUGGESTION, rw=None, query=False, head=sug.first)
        outcome = (f"客服建议{_APP_SUM[err]}", "客服给出处理方法")
    ctx.note((f"用户反映APP{err}", f"用户发来APP提示{err}的截图"), outcome)


def invoice(ctx: Ctx) -> None:
    """Text only: how to get an invoice, personal or company."""
    s = ctx.s
    s.q(ctx.say("(发票怎么开|{it}能开发票吗|我要开发票|发票在哪里下载|{day}买的{it}，发票呢)[？]"), acts.SWIH,
        rw=f"{ctx.subj}订单的发票怎么开", opens=True)
    s.answer(ctx.say("(可以开具|可以开)电子发票的[哦]"), acts.AFFIRM)
    vague(ctx, 0.13, fact="可以开电子发票")
    c = s.a(ctx.say("请问您需要开(个人|个人抬头)还是(公司|单位)抬头呢？"), acts.CHOICE)
    if ctx.chance(0.5):
        s.q(ctx.say("(公司的|开公司|单位的)[(，| )(要专票|普票就行|报销用)]"), acts.AFFIRM, rw=f"{ctx.subj}订单要开公司抬头的发票", head=c.first)
        s.a(ctx.say("(麻烦|辛苦)(提供|发)一下公司名称和税号[哦]"), acts.REQUEST)
        s.q("***，税号***", acts.ACCEPT_SUGGESTION, rw=None, query=False, decorate=False)
        promise(ctx, ctx.say("(好的|收到)，发票开好后会发送到您的邮箱"))
        outcome = ("客服登记信息开具公司抬头电子发票", "客服为其开具公司发票")
    else:
        s.q(ctx.say("(个人|个人的|个人就行)[(，| )(谢谢|报销用|普票就行)]"), acts.AFFIRM, rw=f"{ctx.subj}订单要开个人抬头的发票", head=c.first)
        s.a(ctx.say("(您|)(在|打开)(订单详情页|订单详情|我的订单)(里|)(点击|找到)发票(即可|就可以|就能)(下载|查看)电子发票[<url>]"), acts.SOLUTION)
        outcome = ("客服告知在订单详情页下载电子发票", "客服指导下载个人电子发票")
    ctx.note((f"用户咨询{ctx.item}订单如何开发票", "用户需要开发票"), outcome)


def follow_up(ctx: Ctx) -> None:
    """Text only, at the start of a chat: 之前那个事怎么样了 with no earlier context (not rewritable);
    the agent asks which matter, the customer says, and the agent checks its progress."""
    s = ctx.s
    s.q(ctx.say("(之前|上次|昨天)(说的|问的|反馈的)(那个|那个事|那个问题)(怎么样了|处理了吗|有结果了吗|呢)[？]|"
                "还是(那个|之前那个)问题|(那个|那个事)(弄好了吗|怎么样了)[？]"), acts.SWIH, rw=VAGUE, opens=True)
    s.a(ctx.say("[(亲，|您好，)](请问|麻烦问一下)您(说的|指的)是(哪个问题|哪个订单|什么问题)呢？[方便具体说一下吗？]"), acts.SWIH,
        head=s.last_query)
    matter, rw, answer, outcome = ctx.pick(
        ("(就是|)(退款|退款的事)[，还没到账]", "{name}的退款怎么还没到账", "(退款|款项)已经(原路退回了|在处理中)，1-7个工作日到账",
         "客服告知退款1-7个工作日到账"),
        ("(就是|)(换货|换货那个)[，怎么还没发]", "{name}的换货什么时候发出", "换货的新品(已经安排发出了|会在48小时内发出)",
         "客服告知换货新品48小时内发出"),
        ("(就是|)(维修|报修)的事[，师傅还没来]", "{name}报修后师傅什么时候上门", "(维修|报修)已经派单了，师傅会在24小时内联系您",
         "客服告知师傅24小时内联系上门"),
        ("(就是|)补发的(配件|东西)", "{name}补发的配件什么时候到", "补发的配件已经发出了，1-3天送到", "客服告知补发配件1-3天送到"))
    s.q(ctx.say(matter), acts.ELABORATION, rw=ctx.say(rw), react=True)
    ask_order(ctx)
    s.answer(ctx.say(f"(查到了|{{me}}查询到了|{{me}}看了一下)，{answer}"), acts.AFFIRM)
    evaluate(ctx, 0.2)
    ack(ctx)
    ctx.note((f"用户询问之前{ctx.item}问题的处理进度", f"用户追问{ctx.item}售后的进度"), (outcome, outcome))
