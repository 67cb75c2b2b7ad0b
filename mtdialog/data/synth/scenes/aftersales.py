"""After-sales scenes: malfunctions, screen faults, damage, missing parts, installation, repairs,
returns and exchanges. Each scene's photo carries the fact the agent's answer turns on."""

from __future__ import annotations

from mtdialog.data.synth import acts
from mtdialog.data.synth.hidden import DAMAGES, INSTALL_ISSUES, PLACES, SCREEN_FAULTS
from mtdialog.data.synth.scenes.common import (
    Ctx,
    ack,
    ask_contact,
    ask_order,
    evaluate,
    promise,
    recap,
    vague,
    wait,
    warranty,
)
from mtdialog.data.synth.world import ACCESSORIES


def _report(ctx: Ctx, category: str, value: str, deictic: tuple[tuple[str, str], ...],
            complaint: tuple[tuple[str, str], ...], request: str, photo_rw: str, details: dict | None = None) -> None:
    """The customer shows the problem: a deictic question with the photo, a complaint and then the
    photo on request, or the photo first and then a question. Texts never name ``value``; rewrites
    name it only once the photo is in the context (a complaint's rewrite must not).

    ``details``: what else the photo must show (the damage's place)."""
    s, r = ctx.s, ctx.rng.random()
    if r < 0.5:
        text, rw = ctx.pick(*deictic)
        s.q(text, acts.SWIH, rw=rw, images=(ctx.img(category, value, acts.ELABORATION, details=details),))
    elif r < 0.8:
        text, rw = ctx.pick(*complaint)
        first = s.q(text, acts.ELABORATION, rw=rw)
        if ctx.chance(0.3):
            s.join(ctx.pick("急用", "怎么办啊", "刚买没多久"))
        if ctx.chance(0.3):
            more = ctx.pick("而且才用了几天", "而且不是第一次了", "之前好好的")
            s.q(more, acts.COMPLETION, rw=f"{ctx.item}{more.removeprefix('而且')}", head=first.first, query=False)
        s.a(request, acts.REQUEST)
        if ctx.chance(0.5):
            s.q("", None, rw=photo_rw, images=(ctx.img(category, value, acts.ACCEPT_SUGGESTION, details=details),))
        else:
            s.q(ctx.pick("你看", "就是这样", "拍了", "你看下"), acts.ACCEPT_SUGGESTION, rw=photo_rw,
                images=(ctx.img(category, value, acts.PROOF, details=details),))
    else:
        photo = s.q("", None, rw=photo_rw, images=(ctx.img(category, value, acts.BACKGROUND, details=details),))
        text, rw = ctx.pick(*deictic)
        s.q(text, acts.SWIH, rw=rw, head=photo.last)


def malfunction(ctx: Ctx) -> None:
    """An error code on the appliance's display (photo): the agent reads it and explains it (KB)."""
    s, item = ctx.s, ctx.item
    code = ctx.pick(*ctx.kind.errors)
    err = ctx.kind.errors[code]
    _report(ctx, "photo_malfunction", code,
            deictic=(("这个怎么回事", f"{item}显示{code}故障代码是怎么回事"),
                     ("显示这个是什么意思", f"{item}显示{code}是什么意思"),
                     ("你看看这个，咋回事", f"{item}显示{code}是怎么回事"),
                     ("一直显示这个 怎么办", f"{item}一直显示{code}故障代码怎么办"),
                     (f"{item}显示这个还能用吗", f"{item}显示{code}故障代码还能用吗")),
            complaint=((f"{item}用不了了", f"{item}用不了了怎么办"), (f"我家{item}坏了", f"{item}坏了怎么办"),
                       (f"{item}一开机就报错", f"{item}一开机就报错怎么办"),
                       (f"{item}用着用着就停了", f"{item}运行中突然停机怎么办")),
            request=ctx.pick("麻烦您拍一下显示屏上的故障代码哦", "亲，请问屏幕上显示的是什么呢？方便拍个照片吗",
                             "麻烦拍一下显示面板的照片，这边帮您看一下"),
            photo_rw=f"{item}显示屏上显示{code}故障代码")
    if ctx.chance(0.3):
        wait(ctx)
    s.answer(ctx.pick(f"{ctx.dear()}您这台{item}显示{code}是{err.meaning}哦",
                      f"{ctx.dear()}{code}代码表示{err.meaning}",
                      f"{ctx.dear()}从图片看是{code}，{err.meaning}的意思"), acts.AFFIRM)
    if err.fix is not None:
        sug = s.a(ctx.pick(f"建议您{err.fix}试试", f"您可以{err.fix}，再看看是否恢复"), acts.SUGGEST)
        if ctx.chance(0.35):
            vague(ctx)
        if ctx.chance(0.7):
            s.q(ctx.pick("好的 我试试", "行，我去看看", "好的谢谢"), acts.ACCEPT_SUGGESTION, rw=None, query=False,
                head=sug.first)
            if ctx.chance(0.5):
                s.q(ctx.pick("好了，能用了", "可以了", "弄好了 谢谢"), acts.EVALUATION, rw=f"{item}已经恢复正常了")
                s.a(ctx.pick("好的呢，能正常使用就好", "不客气的亲，能用就好~"), acts.FEEDBACK)
            outcome = (f"客服解释是{err.meaning}，用户按建议处理", f"客服告知{code}为{err.meaning}并给出处理方法")
        else:
            again = (ctx.img("photo_malfunction", code, acts.PROOF),) if ctx.chance(0.5) else ()
            s.q(ctx.pick("试过了，还是不行", "弄了还是一样", "没用啊 还是显示"), acts.REJECT_SUGGESTION,
                rw=f"按方法处理后{item}还是显示{code}", head=sug.first, images=again)
            s.a(ctx.pick("那可能需要师傅上门检测一下，这边给您安排", "这种情况建议报修，师傅上门检测处理"), acts.SOLUTION)
            ask_contact(ctx)
            promise(ctx, ctx.pick("已经为您提交维修，师傅会在24小时内联系您", "已帮您登记报修，稍后会有师傅电话联系您上门"))
            outcome = (f"客服解释是{err.meaning}，处理无效后安排上门维修", f"客服告知{code}为{err.meaning}并登记报修")
    else:
        recap(ctx, f"{item}显示{code}", 0.3)
        s.a(ctx.pick("这个需要专业师傅上门检测维修哦", "这种情况需要安排师傅上门处理"), acts.SOLUTION)
        q = s.q(ctx.pick("要收费吗", "维修收钱吗", "保修期内免费吧？"), acts.YES_NO, rw=f"{item}上门维修要收费吗")
        s.a(ctx.pick(f"保修期内是免费的哦，这款{item}保修是{warranty(ctx)}", f"不收费的亲，您的{item}享受{warranty(ctx)}保修"),
            acts.DENY, head=q.first)
        if ctx.chance(0.4):
            s.a("如果是人为损坏的话，会收取一定的维修费用", acts.CONDITION)
        ask_contact(ctx)
        promise(ctx, ctx.pick("已经为您提交维修，师傅会在24小时内联系您", "已帮您登记报修，稍后会有师傅电话联系您"))
        outcome = (f"客服告知是{err.meaning}，已安排上门维修", f"客服解释为{err.meaning}并登记免费维修")
    ctx.note((f"用户反映{item}显示{code}故障代码", f"用户的{item}报{code}故障", f"用户咨询{item}显示{code}的原因"),
             outcome)


_SCREEN_CAUSE = {"黑屏": "背光或电源板故障", "花屏": "主板或屏线故障", "竖线": "屏幕排线接触不良",
                 "无信号": "信号源没有选对", "偏色": "色彩设置异常或屏幕老化"}


def screen_fault(ctx: Ctx) -> None:
    """A photo of the television's screen; the agent names the fault and what to do."""
    s, item = ctx.s, ctx.item
    fault = ctx.pick(*SCREEN_FAULTS)
    _report(ctx, "photo_user_screen", fault,
            deictic=(("电视变成这样了", f"{item}出现{fault}怎么办"), ("这是什么情况", f"{item}{fault}是什么情况"),
                     ("你看这屏幕咋回事", f"{item}屏幕{fault}是怎么回事")),
            complaint=(("电视屏幕不正常", f"{item}屏幕显示不正常怎么办"), ("电视看不了了", f"{item}看不了了怎么办")),
            request="麻烦拍一下屏幕的照片哦", photo_rw=f"{item}屏幕{fault}")
    s.answer(ctx.pick(f"{ctx.dear()}从照片看电视是{fault}的情况", f"{ctx.dear()}您这边电视出现了{fault}"), acts.AFFIRM)
    s.a(f"一般是{_SCREEN_CAUSE[fault]}导致的", acts.CAUSE)
    if fault == "无信号":
        sug = s.a("建议您按遥控器上的信号源键，切换到正确的HDMI接口试试", acts.SUGGEST)
        s.q(ctx.pick("好了 谢谢", "可以了"), acts.ACCEPT_SUGGESTION, rw=None, query=False, head=sug.first)
        outcome = ("客服判断是信号源未选对，指导切换后恢复", "客服指导切换信号源解决了无信号")
    else:
        recap(ctx, f"电视{fault}", 0.3)
        s.a("这种情况需要安排师傅上门检测", acts.SOLUTION)
        ask_contact(ctx)
        promise(ctx, "已为您提交报修，师傅会在24小时内联系您")
        outcome = (f"客服判断为{_SCREEN_CAUSE[fault]}并安排上门检修", "客服已登记报修安排师傅上门")
    ctx.note((f"用户反映{item}屏幕{fault}", f"用户的{item}出现{fault}"), outcome)


def damage(ctx: Ctx) -> None:
    """The item arrived damaged (photo shows what and where): the agent offers an exchange or refund."""
    s, item = ctx.s, ctx.item
    kind = ctx.pick(*DAMAGES[ctx.shop])
    place = ctx.pick(*PLACES)
    _report(ctx, "photo_damaged_appearance", kind,
            deictic=(("刚收到就这样", f"刚收到的{item}{place}有{kind}"),
                     ("你们看看这个", f"收到的{item}{place}有{kind}怎么处理"),
                     ("这个怎么处理", f"收到的{item}{place}有{kind}怎么处理")),
            complaint=(("收到的东西有问题", f"收到的{item}有质量问题"), (f"{item}有质量问题", f"{item}外观有质量问题"),
                       ("刚拆开就发现有毛病", f"刚拆开的{item}外观有问题")),
            request=ctx.pick("麻烦您拍一下有问题的地方哦", "亲，方便拍张照片看一下吗", "麻烦提供一下问题部位的照片哦"),
            photo_rw=f"{item}{place}有{kind}", details={"place": place})
    if ctx.chance(0.35):
        s.q(ctx.pick("还有这张", "再发你一张", "换个角度拍的"), acts.ELABORATION, rw=f"{item}{place}有{kind}", query=False,
            images=(ctx.img("photo_damaged_appearance", kind, acts.PROOF, details={"place": place}),))
    if ctx.chance(0.4):
        s.q(ctx.pick("我是昨天刚收到的", "快递刚送到", "拆开就这样"), acts.BACKGROUND, rw=f"{item}是刚收到的", query=False)
    s.answer(ctx.pick(f"{ctx.dear()}非常抱歉，看到您的{item}{place}有{kind}",
                      f"{ctx.dear()}给您添麻烦了，图片上{place}确实有{kind}"), acts.AFFIRM)
    recap(ctx, f"{item}{place}{kind}", 0.3)
    vague(ctx, 0.3)
    c = s.a(ctx.pick("您看是需要换货还是退货呢？", "这边可以给您换新或者退货，您选哪种呢？"), acts.CHOICE)
    r = ctx.rng.random()
    if r < 0.45:
        s.q(ctx.pick("换个新的吧", "换货", "给我换一个"), acts.AFFIRM, rw=f"{item}有{kind}要求换货", head=c.first)
        ask_order(ctx)
        promise(ctx, "已经为您提交换货申请，快递会上门取件并送新的过来")
        outcome = ("客服为其办理换货", "客服道歉并提交换货申请")
    elif r < 0.75:
        s.q(ctx.pick("退了吧", "我要退货", "直接退款"), acts.AFFIRM, rw=f"{item}有{kind}要求退货退款", head=c.first)
        ask_order(ctx)
        promise(ctx, "已为您提交退货申请，商品寄回后会尽快退款")
        outcome = ("客服为其办理退货退款", "客服道歉并提交退货申请")
    else:
        s.q(ctx.pick("能不能补偿点", "不想退换，给点补偿吧", "能赔偿吗"), acts.REJECT_SUGGESTION,
            rw=f"{item}有{kind}不退换能否补偿", head=c.first)
        s.a(ctx.pick("可以的，这边给您申请30元的补偿，您看可以吗", "这边可以为您申请20元的补偿，您看可以吗"), acts.SOLUTION)
        if ctx.chance(0.8):
            s.q(ctx.pick("行吧", "可以", "好的"), acts.ACCEPT_SUGGESTION, rw=None, query=False)
            promise(ctx, "补偿会在1-3个工作日内退回到您的原支付账户")
        else:
            s.q(ctx.pick("太少了", "能不能多点"), acts.REJECT_SUGGESTION, rw="补偿金额能不能多一点")
            s.a("非常抱歉，这个已经是最高的补偿标准了，也可以为您办理退换货", acts.CONCESSION)
            ack(ctx)
        outcome = ("客服为其申请补偿", "客服道歉并给予补偿")
    ctx.note((f"用户反映收到的{item}{place}有{kind}", f"用户收到{item}发现{place}{kind}"), outcome)


def missing(ctx: Ctx) -> None:
    """Something is missing from the box: the photo shows which compartment is empty."""
    s, item = ctx.s, ctx.item
    part = ctx.pick(*ACCESSORIES[ctx.shop])
    _report(ctx, "photo_missing_items", part,
            deictic=(("少了个东西", f"收到的{item}少了{part}"), ("你看是不是少发了", f"{item}是不是少发了{part}"),
                     ("这里怎么是空的", f"{item}包装里的{part}是空的")),
            complaint=(("收到的东西不全", f"收到的{item}配件不全"), ("少发配件了", f"{item}少发了配件")),
            request="麻烦拍一下包装内的照片哦", photo_rw=f"{item}包装里缺少{part}")
    s.answer(ctx.pick(f"{ctx.dear()}看到了，是少了{part}，非常抱歉", f"{ctx.dear()}确实是缺少{part}，给您添麻烦了"),
             acts.AFFIRM)
    vague(ctx, 0.35)
    if ctx.chance(0.5):
        ask_order(ctx)
    promise(ctx, ctx.pick(f"这边给您补发{part}，1-3天内发出", f"已经为您登记补发{part}，发出后会有短信通知"))
    ctx.note((f"用户反映{item}缺少{part}", f"用户收到的{item}少了{part}"),
             (f"客服确认后为其补发{part}", f"客服道歉并安排补发{part}"))


_INSTALL_REPLY = {
    "漏水": ("从图片看机器下方有漏水", "排水管没有接好"),
    "墙面破损": ("看到安装时墙面被打坏了", "打孔时造成了墙面破损"),
    "管线外露": ("看到安装后管线露在外面没有整理", "师傅没有做好管线整理"),
    "安装正常": ("从图片看安装是正常的哦", "机器固定牢固，管线也整理好了"),
}


def installation(ctx: Ctx) -> None:
    """A photo of the installed appliance: the agent sees a leak, a broken wall, loose pipes or nothing."""
    s, item = ctx.s, ctx.item
    issue = ctx.pick(*INSTALL_ISSUES)
    text, rw = ctx.pick(("师傅装完是这样的", f"{item}安装后{issue}" if issue != "安装正常" else f"{item}这样安装正常吗"),
                        ("这样装的对吗", f"{item}安装后{issue}是否正常" if issue != "安装正常" else f"{item}这样安装正常吗"),
                        ("你看看装得怎么样", f"{item}安装后{issue}怎么处理" if issue != "安装正常"
                         else f"{item}安装得是否合格"))
    s.q(text, acts.YES_NO, rw=rw, images=(ctx.img("photo_installation", issue, acts.ELABORATION),))
    seen, why = _INSTALL_REPLY[issue]
    s.answer(f"{ctx.dear()}{seen}", acts.DENY if issue != "安装正常" else acts.AFFIRM)
    if issue == "安装正常":
        s.a(why + "，您可以放心使用", acts.ELABORATION)
        if ctx.chance(0.5):
            s.q(ctx.pick("那就好", "好的放心了"), acts.EVALUATION, rw=None, query=False)
        ctx.note((f"用户发来{item}安装照片询问是否正常", f"用户咨询{item}安装是否合格"),
                 ("客服确认安装正常", "客服确认安装合格可放心使用"))
        return
    s.a(f"应该是{why}", acts.CAUSE)
    vague(ctx, 0.35)
    s.a(ctx.pick("这边给您安排师傅重新上门处理", "非常抱歉，这边联系安装师傅上门返工"), acts.SOLUTION)
    if ctx.chance(0.4):
        s.q(ctx.pick("要收费吗", "返工收钱吗"), acts.YES_NO, rw=f"{item}安装{issue}返工要收费吗")
        s.answer("不收费的亲，安装问题由我们负责", acts.DENY)
    ask_contact(ctx)
    promise(ctx, "已经为您登记，安装师傅会在24小时内联系您")
    ctx.note((f"用户反映{item}安装后{issue}", f"用户发来照片显示{item}{issue}"),
             ("客服安排师傅免费上门返工", "客服道歉并登记师傅重新上门处理"))


def repair_booking(ctx: Ctx) -> None:
    """Text only: book an installation or a repair visit (contact details masked)."""
    s, item = ctx.s, ctx.item
    what = ctx.pick("安装", "维修", "清洗")
    text, rw = ctx.pick((f"{item}到了，怎么预约{what}", f"{item}怎么预约{what}"),
                        (f"想约个师傅{what}{item}", f"怎么预约师傅上门{what}{item}"),
                        (f"{what}怎么约", f"{item}怎么预约{what}"))
    s.q(text, acts.SWIH, rw=rw)
    if what == "安装" and ctx.product is not None:
        s.answer(f"{ctx.dear()}这款{item}是{ctx.product.fact('安装')}的，这边帮您预约", acts.AFFIRM)
    else:
        s.answer(f"{ctx.dear()}这边可以直接帮您预约{what}哦", acts.AFFIRM)
    if ctx.chance(0.4):
        s.q(ctx.pick("明天上午可以吗", "周末能来吗"), acts.YES_NO, rw=f"{item}{what}能约在明天上午或周末吗")
        s.answer("可以的，具体时间师傅会提前电话和您确认", acts.AFFIRM)
    vague(ctx, 0.3)
    ask_contact(ctx)
    promise(ctx, f"已为您预约{what}，师傅会提前联系您")
    ctx.note((f"用户咨询{item}如何预约{what}", f"用户要预约{item}{what}"),
             (f"客服登记信息并帮其预约{what}", f"客服已为其预约上门{what}"))


def return_policy(ctx: Ctx) -> None:
    """Text only: can I return it? Conditions and concessions."""
    s, item = ctx.s, ctx.item
    days = ctx.pick(3, 5, 10, 15)
    q = s.q(ctx.pick(f"{item}不想要了能退吗", f"买的{item}可以退吗", "这个能无理由退货吗"), acts.YES_NO,
            rw=f"{item}能不能无理由退货")
    s.q(f"买了{days}天了", acts.BACKGROUND, rw=f"{item}已经买了{days}天", head=q.first, query=False)
    if days <= 7:
        s.answer(f"{ctx.dear()}可以的，签收7天内支持无理由退货", acts.AFFIRM)
        s.a("如果商品不影响二次销售，包装配件齐全就可以办理", acts.CONDITION)
        outcome = ("客服告知7天内可无理由退货", "客服说明无理由退货条件")
    else:
        s.answer(f"{ctx.dear()}已经超过7天无理由退货期了哦", acts.DENY)
        s.a("虽然过了7天，不过如果有质量问题可以申请售后检测", acts.CONCESSION)
        outcome = ("客服告知已超7天，可走质量问题售后", "客服说明已过无理由退货期")
    vague(ctx, 0.4)
    evaluate(ctx, 0.15)
    if ctx.chance(0.5):
        ack(ctx)
    ctx.note((f"用户咨询买了{days}天的{item}能否退货", f"用户想退{days}天前买的{item}"), outcome)


SCENES = {
    "malfunction": malfunction, "screen_fault": screen_fault, "damage": damage, "missing": missing,
    "installation": installation, "repair_booking": repair_booking, "return_policy": return_policy,
}
