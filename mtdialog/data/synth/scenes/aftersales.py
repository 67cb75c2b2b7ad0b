"""After-sales scenes: malfunctions, screen faults, damage, missing parts, installation, repairs,
returns and exchanges. Each scene's photo carries the fact the agent's answer turns on."""

from __future__ import annotations

from mtdialog.data.synth import acts
from mtdialog.data.synth.hidden import DAMAGES, INSTALL_ISSUES, PLACES, SCREEN_FAULTS, UNCLEAR
from mtdialog.data.synth.scenes.common import (
    REMARK,
    Ctx,
    ack,
    ask_contact,
    ask_order,
    evaluate,
    kb_aside,
    promise,
    recap,
    urge,
    vague,
    wait,
    warranty,
)
from mtdialog.data.synth.script import VAGUE, Rw
from mtdialog.data.synth.world import ACCESSORIES

Pairs = tuple[tuple[str, str], ...]  # (customer text template, rewrite template)

_P_UNCLEAR = 0.15  # a deictic photo that comes out blurred
_RESHOOT = ("(图片|照片)(有点|太)(模糊|糊)[了]，(看不清|看不太清楚)[呢]，(麻烦|辛苦)您(重新|再)拍一张(清楚的|清晰一点的)[哦]",
            "(这张|您发的)(图片|照片)(看不清|太模糊了|拍糊了)，(方便|麻烦)(重新|再)(拍|发)一张吗？",
            "[(亲，)](照片|图片)不太清楚，{me}看不出来，麻烦(对准了|靠近一点)再拍一张[哈]")
_RESENT = "(这样呢|这张呢|重新拍了|这个清楚了吧|再发一张|你再看看)"
_SHOW = "(你看|就是这样|拍了|你看下|给你拍了|喏|这个)"


def _photo_turn(ctx: Ctx, category: str, value: str, rw: Rw, details: dict | None, text: bool) -> None:
    """An answer to the agent's photo request: the photo with a short text (Proof), or alone
    (Acceptance of the request). A blurred photo always comes with a text."""
    s = ctx.s
    if text or value == UNCLEAR:
        s.q(ctx.say(_SHOW), acts.ACCEPT_SUGGESTION, rw=rw, react=True,
            images=(ctx.img(category, value, acts.PROOF, details=details),))
    else:
        s.q("", None, rw=rw, images=(ctx.img(category, value, acts.ACCEPT_SUGGESTION, head=s.focus, details=details),))


def _report(ctx: Ctx, category: str, value: str, deictic: Pairs, complaint: Pairs, request: str, photo_rw: str,
            details: dict | None = None, **slots: str) -> None:
    """The customer shows the problem: a deictic question with the photo, the question first and the
    photo as the next message, the question with no photo (the agent asks for one), a complaint and
    the photo on request, or the photo first and then a question. A photo may come out blurred
    (:data:`UNCLEAR`); the agent asks for another. Texts never name ``value``; rewrites name it
    only once a readable photo is in the context (a complaint's rewrite must not; a deictic
    question without its photo, or with a blurred one, cannot be rewritten).

    Rewrite templates may use ``slots`` (the value's wording); ``details``: what else the photo
    must show (the damage's place)."""
    s, r = ctx.s, ctx.rng.random()
    rewrite = ctx.say(photo_rw, **slots)
    text, rw = ctx.pick(*deictic)
    deictic_rw = ctx.say(rw, **slots)
    if r < 0.36:
        blurred = ctx.chance(_P_UNCLEAR)
        photos = 2 if ctx.chance(0.25) and not blurred else 1
        shown = UNCLEAR if blurred else value
        s.q(ctx.say(text), acts.SWIH, rw=VAGUE if blurred else deictic_rw, opens=True,
            images=tuple(ctx.img(category, shown, acts.ELABORATION, details=None if blurred else details)
                         for _ in range(photos)))
        urge(ctx, 0.3)
        if blurred:
            s.a(ctx.say(ctx.pick(*_RESHOOT)), acts.REQUEST, head=s.last_query)
            s.q(ctx.say(_RESENT), acts.ACCEPT_SUGGESTION, rw=deictic_rw, react=True,
                images=(ctx.img(category, value, acts.PROOF, details=details),))
    elif r < 0.52:  # the question, then the photo as its own message
        s.q(ctx.say(text), acts.SWIH, rw=VAGUE, opens=True)
        s.q("", None, rw=deictic_rw, query=False, images=(ctx.img(category, value, acts.ELABORATION, details=details),))
    elif r < 0.6:  # the photo was forgotten
        s.q(ctx.say(text), acts.SWIH, rw=VAGUE, opens=True)
        s.a(ctx.say("(您说的是什么情况呢|您说的是哪里的问题呢|是什么问题呢)？(方便|麻烦)(拍个照片|发张图片|拍一下)(看看|给{me}看下)吗？"),
            acts.REQUEST, head=s.last_query)
        _photo_turn(ctx, category, value, deictic_rw, details, ctx.chance(0.4))
    elif r < 0.87:
        text, rw = ctx.pick(*complaint)
        first = s.q(ctx.say(text), acts.ELABORATION, rw=ctx.say(rw, **slots), opens=True)
        if ctx.chance(0.3):
            s.join(ctx.say("(急用|怎么办啊|刚买没多久|咋整|烦死了)"))
        if ctx.chance(0.3):
            more = ctx.pick("而且才用了几天", "而且不是第一次了", "之前好好的", "而且才买了一个月")
            s.q(more, acts.COMPLETION, rw=f"{ctx.subj}{more.removeprefix('而且')}", head=first.first, query=False)
        else:
            urge(ctx, 0.3)
        s.a(ctx.say(request), acts.REQUEST, head=s.last_query)
        if ctx.chance(_P_UNCLEAR):
            _photo_turn(ctx, category, UNCLEAR, VAGUE, None, True)
            s.a(ctx.say(ctx.pick(*_RESHOOT)), acts.REQUEST)
            s.q(ctx.say(_RESENT), acts.ACCEPT_SUGGESTION, rw=rewrite, react=True,
                images=(ctx.img(category, value, acts.PROOF, details=details),))
        else:
            _photo_turn(ctx, category, value, rewrite, details, ctx.chance(0.5))
    else:
        photo = s.q("", None, rw=rewrite, images=(ctx.img(category, value, acts.BACKGROUND, details=details),))
        s.q(ctx.say(text), acts.SWIH, rw=deictic_rw, head=photo.last)


_TRY = "(好的 我试试|行，我去看看|好的谢谢|好 我试一下|ok我弄一下|好的，我回去试试|行 我看看)"
_FAILED = "(试过了，还是不行|弄了还是一样|没用啊 还是显示|还是不行啊|试了好几次了都没用|还是老样子)"


def malfunction(ctx: Ctx) -> None:
    """An error code on the appliance's display (photo): the agent reads it and explains it (KB)."""
    s = ctx.s
    code = ctx.pick(*ctx.kind.errors)
    err = ctx.kind.errors[code]
    _report(ctx, "photo_malfunction", code,
            deictic=(("(这个|这)(怎么回事|咋回事|什么情况)[？]", "{name}显示{code}(故障代码|代码|)是(怎么回事|什么原因|什么问题)"),
                     ("(显示|屏幕上显示|一直显示|突然显示)这个是什么意思？", "{name}(显示|屏幕显示|显示屏上显示){code}是什么意思"),
                     ("你(看看|看下|帮我看看)这个[，](咋回事|怎么回事|什么情况)", "{name}显示{code}是怎么回事"),
                     ("(一直|老是|总是)显示这个[，](怎么办|咋办|怎么弄)", "{name}一直显示{code}(故障代码|)(怎么办|该怎么处理)"),
                     ("{it}显示这个还能用吗？", "{name}显示{code}故障代码还能用吗"),
                     ("{it}(报|出现)这个(代码|错误)[，是什么问题]", "{name}出现{code}故障代码是什么问题"),
                     ("{day}(刚买|刚装|刚收到)的{it}就(显示|出)这个", "{name}刚买就显示{code}故障代码")),
            complaint=(("{it}(用不了了|不能用了|没法用了)", "{name}用不了了怎么办"), ("(我家|家里的){item}坏了", "{name}坏了怎么办"),
                       ("{it}(一开机就报错|开机就报警|一启动就滴滴响)", "{name}一开机就报错怎么办"),
                       ("{it}用着用着(就停了|突然停了|不动了)", "{name}运行中突然停机怎么办"),
                       ("{day}买的{it}(出问题了|有毛病)", "{name}出现故障怎么办")),
            request="(麻烦|辛苦)您(拍一下|拍个照片看看)(显示屏|面板|屏幕)上的(故障代码|显示)[哦]|"
                    "(请问|亲，)(屏幕|面板)上显示的是什么呢？方便拍个照片吗|麻烦拍一下显示面板的照片，{me}帮您看一下",
            photo_rw="{name}(显示屏上|)显示{code}故障代码", code=code)
    if ctx.chance(0.3):
        wait(ctx)
    s.answer(ctx.say("(您这台{item}|您的{item}|从(图片|照片)(看|上看)|{me}看到)显示[(的是)]{code}，[(是|表示|代表)]{meaning}[的意思|的提示]|"
                     "{code}[(代码|故障码)](表示|是|代表)[(的是)]{meaning}|(这个|图片上的){code}[(是|代表)]{meaning}[(导致的|的提示)]",
                     code=code, meaning=err.meaning), acts.AFFIRM)
    kb_aside(ctx, 0.3, ("保修",))
    fact = ctx.say("{item}显示{code}就是{meaning}", code=code, meaning=err.meaning)
    if err.fix is not None:
        sug = s.a(ctx.say("[(建议您|您可以|麻烦您)]{fix}[(试试|试一下)][，再看看是否恢复|，一般就能恢复]", fix=err.fix), acts.SUGGEST)
        vague(ctx, 0.2, fact=fact)
        if ctx.chance(0.7):
            s.q(ctx.say(_TRY), acts.ACCEPT_SUGGESTION, rw=None, query=False, head=sug.first)
            if ctx.chance(0.5):
                s.q(ctx.say("(好了，能用了|可以了|弄好了|好了好了|恢复了|ok了|正常了)" + REMARK), acts.EVALUATION,
                    rw=f"{ctx.subj}已经恢复正常了")
                s.a(ctx.say("(好的呢|不客气的)，(能正常使用就好|能用就好|问题解决了就好)[~]"), acts.FEEDBACK)
            outcome = (f"客服解释是{err.meaning}，用户按建议处理", f"客服告知{code}为{err.meaning}并给出处理方法")
        else:
            again = (ctx.img("photo_malfunction", code, acts.PROOF),) if ctx.chance(0.5) else ()
            s.q(ctx.say(_FAILED), acts.REJECT_SUGGESTION, rw=f"按方法处理后{ctx.subj}还是显示{code}", head=sug.first,
                images=again)
            s.a(ctx.say("(那可能需要师傅上门检测一下|这种情况建议报修|那这边给您安排售后)，(这边给您安排|师傅上门检测处理|{me}帮您登记)"),
                acts.SOLUTION)
            ask_contact(ctx)
            promise(ctx, ctx.say("(已经为您提交维修|已帮您登记报修|维修单已经提交了)，(师傅会在24小时内联系您|稍后会有师傅电话联系您上门)"))
            outcome = (f"客服解释是{err.meaning}，处理无效后安排上门维修", f"客服告知{code}为{err.meaning}并登记报修")
    else:
        recap(ctx, f"{ctx.item}显示{code}", 0.3)
        s.a(ctx.say("(这个|这种情况|您这个情况|这个故障)(需要|得|要)[(安排|请)][专业的|售后]师傅上门(检测维修|处理|检修|看一下)[哦]|"
                    "(这个|这种)(故障|问题)(自己|)处理不了，(需要|要)(报修|售后上门)[哦]"), acts.SOLUTION)
        q = ctx.ask_back(ctx.say("[(那|{it}|这个)](要收费吗|维修收钱吗|保修期内免费吧？|上门要钱吗|修要花钱吗|维修要多少钱)[？]"), acts.YES_NO, rw=f"{ctx.subj}上门维修要收费吗",
                )
        s.a(ctx.say("(保修期内是免费的|不收费的亲|在保修期内不收费)，(这款{item}|您的{item}|{name})(保修是|享受|的保修政策是){warranty}",
                    warranty=warranty(ctx)), acts.DENY, head=q.first)
        if ctx.chance(0.4):
            s.a(ctx.say("(如果是|若是)人为损坏的话，(会|需要)收取一定的(维修|材料)费用"), acts.CONDITION)
        ask_contact(ctx)
        promise(ctx, ctx.say("(已经为您提交维修|已帮您登记报修|维修工单已经提交)，(师傅会在24小时内联系您|稍后会有师傅电话联系您)"))
        outcome = (f"客服告知是{err.meaning}，已安排上门维修", f"客服解释为{err.meaning}并登记免费维修")
    ctx.note((f"用户反映{ctx.item}显示{code}故障代码", f"用户的{ctx.item}报{code}故障", f"用户咨询{ctx.item}显示{code}的原因"),
             outcome)


_SCREEN_CAUSE = {"黑屏": "背光或电源板故障", "花屏": "主板或屏线故障", "竖线": "屏幕排线接触不良",
                 "无信号": "信号源没有选对", "偏色": "色彩设置异常或屏幕老化"}


def screen_fault(ctx: Ctx) -> None:
    """A photo of the television's screen; the agent names the fault and what to do."""
    s, item = ctx.s, ctx.item
    fault = ctx.pick(*SCREEN_FAULTS)
    _report(ctx, "photo_user_screen", fault,
            deictic=(("(电视|屏幕)(变成这样了|成这样了)", "{name}出现{fault}怎么办"), ("(这是|这)什么情况[？]", "{name}{fault}是什么情况"),
                     ("你看这屏幕(咋回事|怎么回事)", "{name}屏幕{fault}是怎么回事"),
                     ("{it}(打开|开机)就这样", "{name}开机就{fault}怎么办")),
            complaint=(("(电视|屏幕)[(显示)]不正常", "{name}屏幕显示不正常怎么办"), ("电视看不了了", "{name}看不了了怎么办"),
                       ("{day}买的电视(出问题了|屏幕有问题)", "{name}屏幕有问题怎么办")),
            request="(麻烦|辛苦)(拍一下|拍张)屏幕的照片[哦]|方便拍一下电视屏幕吗？", photo_rw="{name}屏幕{fault}", fault=fault)
    s.answer(ctx.say("(从照片看|{me}看到|看图片)[(电视|屏幕)]是{fault}的(情况|现象)|您这边电视出现了{fault}", fault=fault),
             acts.AFFIRM)
    s.a(ctx.say("(一般|通常|大概率)是{cause}(导致的|造成的|引起的)", cause=_SCREEN_CAUSE[fault]), acts.CAUSE)
    if fault == "无信号":
        sug = s.a(ctx.say("(建议您|您可以)按遥控器上的(信号源|输入)键，切换到[(正确的)]HDMI(接口|通道)试试"), acts.SUGGEST)
        s.q(ctx.say("(好了|可以了|出来了|有画面了)" + REMARK), acts.ACCEPT_SUGGESTION, rw=None, query=False, head=sug.first)
        outcome = ("客服判断是信号源未选对，指导切换后恢复", "客服指导切换信号源解决了无信号")
    else:
        recap(ctx, f"电视{fault}", 0.3)
        s.a(ctx.say("(这种情况|这个|屏幕这种问题)需要安排[售后]师傅上门(检测|检修|看一下)[哦]|(建议|只能)报修，(让|请)师傅上门(检测|处理)"), acts.SOLUTION)
        kb_aside(ctx, 0.4, ("保修",))
        ask_contact(ctx)
        promise(ctx, ctx.say("(已为您提交报修|报修已经登记好了)，师傅会在24小时内联系您"))
        outcome = (f"客服判断为{_SCREEN_CAUSE[fault]}并安排上门检修", "客服已登记报修安排师傅上门")
    ctx.note((f"用户反映{item}屏幕{fault}", f"用户的{item}出现{fault}"), outcome)


def damage(ctx: Ctx) -> None:
    """The item arrived damaged (photo shows what and where): the agent offers an exchange or refund."""
    s, item = ctx.s, ctx.item
    kind = ctx.pick(*DAMAGES[ctx.shop])
    place = ctx.pick(*PLACES)
    _report(ctx, "photo_damaged_appearance", kind,
            deictic=(("(刚收到就这样|收到就是这样的|一拆开就这样)", "刚收到的{name}{place}有{kind}"),
                     ("你们(看看|看下)这个", "收到的{name}{place}有{kind}(怎么处理|该怎么办)"),
                     ("这个怎么处理[？]", "收到的{name}{place}有{kind}怎么处理"),
                     ("{day}收到的{it}(是这样的|成这样了)", "收到的{name}{place}有{kind}")),
            complaint=(("收到的东西有问题", "收到的{name}有质量问题"), ("{it}有质量问题", "{name}外观有质量问题"),
                       ("(刚拆开就发现有毛病|拆开发现有瑕疵)", "刚拆开的{name}外观有问题"),
                       ("你们发的{it}是坏的", "收到的{name}是坏的")),
            request="(麻烦|辛苦)您拍一下(有问题的地方|问题部位)[哦]|[(亲，)]方便拍张照片看一下吗？|麻烦提供一下问题部位的照片[哦]",
            photo_rw="(收到的|){name}{place}有{kind}", details={"place": place}, kind=kind, place=place)
    if ctx.chance(0.3):
        s.q(ctx.say("(还有这张|再发你一张|换个角度拍的|这边也有)"), acts.ELABORATION, rw=f"{ctx.subj}{place}有{kind}", query=False,
            images=(ctx.img("photo_damaged_appearance", kind, acts.PROOF, details={"place": place}),))
    if ctx.chance(0.35):
        s.q(ctx.say("(我是{day}刚收到的|快递{day}刚送到|拆开就这样|包装都是好的|{day}签收的)[，(一拆开就发现了|都没用过|还没用)]"), acts.BACKGROUND, rw=f"{ctx.subj}是刚收到的",
            query=False, head=s.last_query)
    if ctx.chance(0.25):
        wait(ctx)
    s.answer(ctx.say("(非常抱歉|真的很抱歉|给您添麻烦了)，(看到您的{item}{place}有{kind}|图片上{place}确实有{kind}|"
                     "{me}看到{item}{place}[(确实)]有{kind})", place=place, kind=kind), acts.AFFIRM)
    recap(ctx, f"{item}{place}{kind}", 0.3)
    kb_aside(ctx, 0.3, ("保修", "退换"))
    vague(ctx, 0.13, fact=ctx.say("您收到的{item}{place}有{kind}，可以给您处理", place=place, kind=kind))
    c = s.a(ctx.say("(您看|请问您|那您|)[(是)](需要|想要|想|打算)(换货还是退货|换新还是退货|退货还是换货)呢？|"
                    "(这边|{me})可以(给您|为您)(换新|换货)或者(退货|退款)，您(选哪种|看哪种方便|想怎么处理)呢？|"
                    "(这种情况|您这个情况)可以(退|退货)也可以换，您看(怎么处理|选哪个)？"), acts.CHOICE)
    r = ctx.rng.random()
    if r < 0.45:
        s.q(ctx.say("(换个新的吧|换货|给我换一个|换吧|还是换新的吧)[(，| )(尽快发|麻烦快点|新的别再有问题了|我还要用呢)]"), acts.AFFIRM, rw=f"{ctx.subj}有{kind}要求换货", head=c.first)
        ask_order(ctx)
        promise(ctx, ctx.say("(已经为您提交换货申请|换货申请已经提交)，(快递会上门取件并送新的过来|新的会尽快给您发出)"))
        outcome = ("客服为其办理换货", "客服道歉并提交换货申请")
    elif r < 0.75:
        s.q(ctx.say("(退了吧|我要退货|直接退款|退货|不要了 退了)[(，| )(钱尽快退给我|不想要了|太失望了)]"), acts.AFFIRM, rw=f"{ctx.subj}有{kind}要求退货退款", head=c.first)
        ask_order(ctx)
        promise(ctx, ctx.say("(已为您提交退货申请|退货申请提交好了)，(商品寄回后会尽快退款|快递取件后会尽快给您退款)"))
        outcome = ("客服为其办理退货退款", "客服道歉并提交退货申请")
    else:
        s.q(ctx.say("(能不能补偿点|不想退换，给点补偿吧|能赔偿吗|给点补偿就行)"), acts.REJECT_SUGGESTION,
            rw=f"{ctx.subj}有{kind}不退换能否补偿", head=c.first)
        amount = ctx.pick("20", "30")
        s.a(ctx.say("(可以的|好的)，(这边|{me})给您申请{amount}元的补偿，您看可以吗？", amount=amount), acts.SOLUTION)
        if ctx.chance(0.8):
            s.q(ctx.say("(行吧|可以|好的|那行)" + REMARK), acts.ACCEPT_SUGGESTION, rw=None, query=False, react=True)
            promise(ctx, ctx.say("(补偿|{amount}元)会在1-3个工作日内(退回|返还)到您的(原支付账户|账户)", amount=amount))
        else:
            s.q(ctx.say("(太少了|能不能多点|就这么点啊|{amount}块也太少了)[吧]", amount=amount), acts.REJECT_SUGGESTION, rw="补偿金额能不能多一点", react=True)
            s.a(ctx.say("非常抱歉，这个已经是最高的补偿标准了，(也可以为您办理退换货|您也可以选择退换货)"), acts.CONCESSION)
            ack(ctx)
        outcome = ("客服为其申请补偿", "客服道歉并给予补偿")
    ctx.note((f"用户反映收到的{item}{place}有{kind}", f"用户收到{item}发现{place}{kind}"), outcome)


def missing(ctx: Ctx) -> None:
    """Something is missing from the box: the photo shows which compartment is empty."""
    s, item = ctx.s, ctx.item
    part = ctx.pick(*ACCESSORIES[ctx.shop])
    _report(ctx, "photo_missing_items", part,
            deictic=(("(少了个东西|少东西了|东西少了)", "收到的{name}少了{part}"), ("你看是不是少发了[？]", "{name}是不是少发了{part}"),
                     ("这里(怎么|咋)是空的[？]", "{name}包装里的{part}是空的"),
                     ("{day}收到的(包裹|{it})里面少了", "收到的{name}少了{part}")),
            complaint=(("收到的东西不全", "收到的{name}配件不全"), ("(少发配件了|配件少了)", "{name}少发了配件"),
                       ("{it}配件(不齐|缺了)", "{name}配件不全")),
            request="(麻烦|辛苦)(拍一下|拍张)包装(内|里面)的照片[哦]", photo_rw="{name}包装里缺少{part}", part=part)
    if ctx.chance(0.3):
        wait(ctx)
    s.answer(ctx.say("(看到了|{me}看到了|确实)，[(是|确实是)](少了|缺少){part}[，(非常抱歉|给您添麻烦了)]", part=part), acts.AFFIRM)
    kb_aside(ctx, 0.25, ("保修", "退换"))
    vague(ctx, 0.13, fact=ctx.say("包装里少了{part}，{me}给您补发", part=part))
    if ctx.chance(0.5):
        ask_order(ctx)
    promise(ctx, ctx.say("(这边给您补发{part}|已经为您登记补发{part})，(1-3天内发出|发出后会有短信通知)", part=part))
    ctx.note((f"用户反映{item}缺少{part}", f"用户收到的{item}少了{part}"),
             (f"客服确认后为其补发{part}", f"客服道歉并安排补发{part}"))


_INSTALL_REPLY = {
    "漏水": ("(从图片看|{me}看到)机器下方有漏水", "排水管没有接好"),
    "墙面破损": ("(看到|从照片看)安装时墙面被打坏了", "打孔时造成了墙面破损"),
    "管线外露": ("(看到|从图片看)安装后管线露在外面没有整理", "师傅没有做好管线整理"),
    "安装正常": ("从(图片|照片)看安装是正常的[哦]", "机器固定牢固，管线也整理好了"),
}


def installation(ctx: Ctx) -> None:
    """A photo of the installed appliance: the agent sees a leak, a broken wall, loose pipes or nothing."""
    s, item = ctx.s, ctx.item
    issue = ctx.pick(*INSTALL_ISSUES)
    ok = issue == "安装正常"
    text, rw = ctx.pick(("师傅(装完|安装完)是这样的", "{name}安装后{issue}" if not ok else "{name}这样安装正常吗"),
                        ("这样装的对吗[？]", "{name}安装后{issue}是否正常" if not ok else "{name}这样安装正常吗"),
                        ("你(看看|看下)(装得怎么样|这样装行不行)", "{name}安装后{issue}怎么处理" if not ok else "{name}安装得是否合格"),
                        ("{day}装的{it}，你看下", "{name}安装后{issue}怎么处理" if not ok else "{name}安装得是否合格"))
    s.q(ctx.say(text), acts.YES_NO, rw=ctx.say(rw, issue=issue), opens=True,
        images=(ctx.img("photo_installation", issue, acts.ELABORATION),))
    urge(ctx, 0.3)
    seen, why = _INSTALL_REPLY[issue]
    s.answer(ctx.say(seen), acts.DENY if not ok else acts.AFFIRM)
    if ok:
        s.a(ctx.say(why + "，(您可以放心使用|请放心使用)"), acts.ELABORATION)
        if ctx.chance(0.5):
            s.q(ctx.say("(那就好|好的放心了|那就行)" + REMARK), acts.EVALUATION, rw=None, query=False, react=True)
        ctx.note((f"用户发来{item}安装照片询问是否正常", f"用户咨询{item}安装是否合格"),
                 ("客服确认安装正常", "客服确认安装合格可放心使用"))
        return
    s.a(ctx.say("(应该是|可能是|初步判断是){why}", why=why), acts.CAUSE)
    vague(ctx, 0.13, fact=ctx.say("安装有问题，{me}安排师傅重新上门"))
    s.a(ctx.say("[非常抱歉，|给您添麻烦了，](这边|{me})(给您|马上|尽快)(安排|联系)(安装|)师傅(重新上门处理|上门返工|上门整改|再来一趟)"), acts.SOLUTION)
    if ctx.chance(0.4):
        ctx.ask_back(ctx.say("[(那|重新装)](要收费吗|返工收钱吗|这个要钱吗)[？]"), acts.YES_NO, rw=f"{ctx.subj}安装{issue}返工要收费吗")
        s.answer(ctx.say("不收费的[亲]，安装问题由(我们|{me})负责[的]"), acts.DENY)
    ask_contact(ctx)
    promise(ctx, ctx.say("(已经为您登记|已登记好)，安装师傅会在24小时内联系您"))
    ctx.note((f"用户反映{item}安装后{issue}", f"用户发来照片显示{item}{issue}"),
             ("客服安排师傅免费上门返工", "客服道歉并登记师傅重新上门处理"))


def repair_booking(ctx: Ctx) -> None:
    """Text only: book an installation, a repair or a cleaning visit (contact details masked)."""
    s, item = ctx.s, ctx.item
    what = ctx.pick("安装", "维修", "清洗")
    text, rw = ctx.pick(("{it}(到了|已经收到了)，(怎么预约|怎么约){what}", "{name}怎么预约{what}"),
                        ("想约个师傅{what}{item}", "怎么预约师傅上门{what}{name}"),
                        ("{what}怎么约[？]", "{name}怎么预约{what}"),
                        ("{day}买的{it}，(什么时候|啥时候)能来{what}[？]", "{name}什么时候能上门{what}"),
                        ("(能不能|可以)(上门|派人){what}吗？", "{name}能不能预约上门{what}"))
    s.q(ctx.say(text, what=what), acts.SWIH, rw=ctx.say(rw, what=what), opens=True)
    urge(ctx, 0.3)
    if what == "安装" and ctx.product is not None:
        s.answer(ctx.say("(这款{item}|您这款{name}|这个型号)是{fact}的，(这边|{me})(帮您预约|给您安排)", fact=ctx.product.fact("安装")),
                 acts.AFFIRM)
    else:
        s.answer(ctx.say("(这边|{me})可以直接(帮您|给您)预约{what}[哦]", what=what), acts.AFFIRM)
    if ctx.chance(0.4):
        slot = ctx.pick("明天上午", "周末", "后天下午", "这周六")
        ctx.ask_back(ctx.say("{slot}(可以吗|能来吗|行吗)？", slot=slot), acts.YES_NO, rw=f"{ctx.subj}{what}能约在{slot}吗")
        s.answer(ctx.say("(可以的|没问题)，(具体时间师傅会提前电话和您确认|师傅上门前会先给您打电话)"), acts.AFFIRM)
    kb_aside(ctx, 0.4, ("保修", "安装", "功率"))
    vague(ctx, 0.13, fact=ctx.say("{me}帮您预约{what}，需要您留个联系方式", what=what))
    ask_contact(ctx)
    promise(ctx, ctx.say("(已为您预约{what}|{what}已经预约好了)，师傅会提前联系您", what=what))
    ctx.note((f"用户咨询{item}如何预约{what}", f"用户要预约{item}{what}"),
             (f"客服登记信息并帮其预约{what}", f"客服已为其预约上门{what}"))


def return_policy(ctx: Ctx) -> None:
    """Text only: can I return it? Conditions and concessions."""
    s, item = ctx.s, ctx.item
    days = ctx.pick(3, 5, 10, 15, 2, 20)
    q = s.q(ctx.say("({it}不想要了能退吗|买的{it}可以退吗|这个能无理由退货吗|{it}能退货吗)？"), acts.YES_NO,
            rw=f"{ctx.subj}能不能无理由退货", opens=True)
    s.q(ctx.say("(买了{days}天了|{days}天前买的|收到{days}天了|{days}天前收到的)[，(还没怎么用|一次都没用过|吊牌都在)]", days=str(days)), acts.BACKGROUND,
        rw=f"{ctx.subj}已经买了{days}天", head=q.first, query=False)
    if days <= 7:
        s.answer(ctx.say("(可以的|支持的)，签收7天内(支持|可以)无理由退货[哦]"), acts.AFFIRM)
        s.a(ctx.say("(如果|只要)商品不影响二次销售，(包装配件齐全|配件齐全)就可以(办理|退)"), acts.CONDITION)
        outcome = ("客服告知7天内可无理由退货", "客服说明无理由退货条件")
        fact = "签收7天内可以无理由退货"
    else:
        s.answer(ctx.say("(已经超过7天无理由退货期了|超过7天就不支持无理由退货了)[哦]"), acts.DENY)
        s.a(ctx.say("(虽然过了7天，不过|不过)如果有质量问题(可以|还是可以)申请售后检测"), acts.CONCESSION)
        outcome = ("客服告知已超7天，可走质量问题售后", "客服说明已过无理由退货期")
        fact = "超过7天不能无理由退货，质量问题可以申请售后"
    vague(ctx, 0.16, fact=fact)
    evaluate(ctx, 0.15)
    if ctx.chance(0.5):
        ack(ctx)
    ctx.note((f"用户咨询买了{days}天的{item}能否退货", f"用户想退{days}天前买的{item}"), outcome)
