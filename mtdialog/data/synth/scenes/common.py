"""What every scene shares: the scene context, phrase helpers with the session's slots, and the moves
that recur in every chat (greeting, asking for the order, waiting, promising, closing).

Phrases are :mod:`~mtdialog.data.synth.phrase` templates: ``(a|b)`` alternatives, ``[x]`` optional
parts and ``{slot}`` values (``{item}`` the product kind, ``{name}`` the KB's product name, ``{it}``
the product as a customer mentions it, ``{me}`` the agent's self-reference, ``{day}`` a date as
customers say it, ``{no}`` a masked order number, ...). The variety is in
the wording; the facts a message states come from the scene (the image's value, the KB, what the
customer said).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from mtdialog.data.synth import acts, noise
from mtdialog.data.synth.phrase import expand
from mtdialog.data.synth.script import VAGUE, Img, Move, Script
from mtdialog.data.synth.world import SHOP_NAMES, Kind, Product


@dataclass
class SummaryPart:
    """One scene's contribution to the summary: ways to say the problem and ways to say the outcome."""

    problems: tuple[str, ...]
    outcomes: tuple[str, ...]


@dataclass
class Ctx:
    """The state scenes share: RNG, script, shop, the product talked about, and summary parts."""

    rng: random.Random
    s: Script
    shop: str
    kind: Kind
    product: Product | None  # the session's product (its KB entry), None if the chat has no product id
    colour: str  # colour of the customer's item, as images show it
    parts: list[SummaryPart] = field(default_factory=list)
    _slots: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._slots = {"item": self.kind.name, "unit": self.kind.unit, "shopname": SHOP_NAMES[self.shop],
                       "name": self.subj}
        if self.product is not None:
            self._slots.update(brand=self.product.brand, model=self.product.model)

    def pick(self, *options):
        return self.rng.choice(options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    @property
    def item(self) -> str:
        """The product kind as the customer calls it (洗衣机, 外套, ...)."""
        return self.kind.name

    @property
    def subj(self) -> str:
        """The product as rewrites and KB-quoting answers name it: the KB's name, else the kind."""
        return self.product.name if self.product is not None else self.kind.name

    def need_product(self) -> Product:
        """The chat's product; scenes that quote the KB only run in chats that have one."""
        if self.product is None:
            raise ValueError("this scene needs a product")
        return self.product

    def note(self, problems: tuple[str, ...], outcomes: tuple[str, ...]) -> None:
        self.parts.append(SummaryPart(problems, outcomes))

    # ----------------------------------------------------------------------------- phrases
    def say(self, template: str, **slots: str) -> str:
        """One surface form of ``template`` with the session's slots and ``slots`` filled."""
        if "{me}" in template and "me" not in slots:
            slots["me"] = self.s.voice.me(self.rng)
        if "{it}" in template and "it" not in slots:
            slots["it"] = self.mention()
        if "{day}" in template and "day" not in slots:
            slots["day"] = self.day()
        if "{no}" in template and "no" not in slots:
            slots["no"] = noise.order_number(self.rng)
        return expand(self.rng, template, {**self._slots, **slots})

    def mention(self) -> str:
        """The product as a customer mentions it: the kind, 买的/我家 + kind, the brand or the model."""
        forms = ["{item}", "{item}", "这个{item}", "买的{item}", "这{unit}{item}"]
        if self.shop == "xjd":
            forms.append("我家{item}")
        if self.product is not None:
            forms += ["{brand}{item}", "{brand}的{item}", "{model}", "{brand}{model}", "{model}这款"]
        return self.rng.choice(forms).format_map(self._slots)

    def day(self) -> str:
        """When something happened, as customers say it."""
        r = self.rng.random()
        if r < 0.5:
            return self.pick("昨天", "前天", "大前天", "上周", "上周末", "这周一", "周二", "前几天", "上个月", "今天上午",
                             "昨天晚上", "三天前", "一周前")
        if r < 0.8:
            return f"{self.rng.randint(1, 28)}号"
        return f"{self.rng.randint(1, 12)}月{self.rng.randint(1, 28)}号"

    def ask_back(self, text: str, act: str, *, rw: str, head: int | None = None) -> Move:
        """A customer's follow-up question or request on the agent's latest primary move, sometimes
        typed after a separate 好的 / 哦哦; both attach to that move."""
        if head is None and self.chance(0.35):
            self.s.q(self.say("(好的|哦哦|嗯嗯|好|这样啊|哦|行)"), acts.FEEDBACK, rw=None, query=False, react=True)
        return self.s.q(text, act, rw=rw, head=head, react=True)

    def card(self) -> str:
        """An order card; its amount is the product's KB price when the chat has a product."""
        return noise.order_card(self.rng, self.product.price if self.product is not None else None)

    def img(self, category: str, value: str, act: str, head: int | None = None, details: dict | None = None) -> Img:
        return Img(category, value, act, head, details or {})


# ------------------------------------------------------------------------------------ stock moves
#: What customers tack on to a short reply: thanks; or thanks, urgency and remarks (REMARK).
THANKS = "[(，| |)(谢谢|谢了|辛苦了|麻烦了|谢谢你|感谢|多谢|谢谢啦|辛苦辛苦|麻烦你了|谢谢亲|感谢感谢)]"
REMARK = ("[(，| |)(谢谢|谢了|辛苦了|麻烦了|谢谢你|感谢|多谢|谢谢啦|辛苦辛苦|麻烦你了|那我等着|知道了|我明白了|那就好|"
          "尽快哈|等你消息|拜托了|太好了|就这样吧|那行|我等电话|我记下了)]")
_HELLO = "(在吗|在不在|在么|有人吗|客服在吗|你好|您好|hello|哈喽|亲在吗|客服|人工|转人工|你好在吗|客服你好)[？]"
_GREET = ("(您好|亲，您好|亲|嗨亲|您好呀|亲爱的)，(欢迎光临京东{shopname}旗舰店|我是京东客服***|京东{shopname}客服***为您服务|"
          "很高兴为您服务|在的呢|{me}在的|客服***很高兴为您服务)[，(请问有什么可以帮您的？|请问您遇到了什么问题呢？|"
          "请问有什么可以帮到您？|有什么问题可以跟{me}说哦|请问您需要咨询什么呢？|您请说)]")
_GREET_LATE = ("(您好|亲，您好|亲|您好呀|亲爱的)，(我是客服***|京东{shopname}客服***为您服务|很高兴为您服务|在的呢|"
               "欢迎光临京东{shopname}旗舰店)[，(这边帮您看一下|{me}来帮您处理|马上为您查看|请您稍等)]")


def opening(ctx: Ctx, *, after_sales: bool) -> None:
    """Customer hello / order card / transfer from the bot and the agent's greeting, or the customer
    opens with the matter itself and the agent greets just before its first reply."""
    s = ctx.s
    r = ctx.rng.random()
    if r < 0.25:  # straight to the point: the greeting waits for the agent's first reply
        s.greeting = ctx.say(_GREET_LATE)
        return
    if r < 0.45:  # hello, and the matter right after it, before the agent could answer
        hello = s.q(ctx.say(_HELLO), acts.CONTACT, rw=None, query=False)
        s.greeting, s.greeting_head = ctx.say(_GREET_LATE), hello.first
        return
    if r < 0.55:
        s.q(noise.TRANSFER, None, rw=None, query=False, decorate=False)
    elif after_sales and r < 0.67:
        s.q(ctx.card(), None, rw=None, query=False, decorate=False)
    else:
        s.q(ctx.say(_HELLO), acts.CONTACT, rw=None, query=False)
    s.a(ctx.say(_GREET), acts.SOCIAL)
    if ctx.chance(0.12):
        s.join(noise.emoji(ctx.rng))


def closing(ctx: Ctx) -> None:
    """Anything else? No, thanks. Goodbye (sometimes the customer just leaves)."""
    s = ctx.s
    r = ctx.rng.random()
    if r < 0.12:  # the customer went quiet
        s.a(ctx.say("(亲|亲亲|您好|尊敬的客户)，[请问][您]还在[线]吗？|(亲|您好)，(刚才的|)(问题|情况)(还有|)(什么|)不清楚的吗？"
                    "|[亲，]看到您(一直|)没有回复(，|)(请问还在吗|是还有疑问吗)？"), acts.CONTACT)
        s.a(ctx.say("(由于长时间未收到您的回复，本次会话即将结束|这边暂时没有收到您的回复，稍后会结束会话|{me}先不打扰您了)，"
                    "(有问题可以随时联系我们|后续有问题随时咨询|有需要随时找{me})[哦]"), acts.SOCIAL)
        return
    if ctx.chance(0.07):
        chit_chat(ctx)
    ask = s.a(ctx.say("[请问|亲，|那|亲亲，|好的，]还有(其他|别的|什么)(问题|可以帮您的|需要帮忙的|需要咨询的|需要{me}处理的|不清楚的地方)吗？|"
                      "[请问|亲，|那]您看还有什么(需要|要){me}(帮您|为您)(处理|解答|查)的吗？|"
                      "[请问|亲，|好的，](除了|)(这个问题|{item}的问题)[(以外|之外)]，还有(别的|其他)(疑问|问题|需要)吗？|"
                      "[请问|亲，|那|亲亲，](其他|别的)还有(什么|)(问题|疑问|需要{me}帮忙的)吗？|"
                      "[那]{matter}就[(先)](处理|帮您处理|给您记录)到这里，(还有别的问题吗|其他还有需要吗|您看还有别的问题吗)？",
                      matter=ctx.pick("这个问题", "这边", "您这个问题", "这个情况")),
              acts.YES_NO)
    if r < 0.8:
        s.q(ctx.say("(没有了|没了|没啦|暂时没有了|没有啦|就这些|没其他的了|没事了|没有|暂时没了|没有别的了|先这样吧)" + THANKS),
            acts.DENY, rw=None, query=False, head=ask.first)
    else:
        s.q(ctx.say("(好的|嗯嗯|行|ok|好|好嘞)[，](谢谢|谢了|辛苦了|谢谢啦|感谢|谢谢你啊|辛苦你了)[(，| )(拜拜|再见|你们服务挺好|下次再来)]"),
            acts.SOCIAL, rw=None, query=False)
    s.a(ctx.say("(感谢您对京东的支持|不客气的|不客气哦|好的亲|应该的|不客气|感谢您的咨询|这是{me}应该做的|能帮到您就好|感谢您的耐心)"
                "[，(祝您生活愉快|祝您购物愉快|有问题随时联系我们|期待再次为您服务|{me}随时在线|祝您周末愉快|祝您一切顺利|"
                "后续有问题随时找{me}|{item}使用中有问题随时联系)][~|哦|，再见|，拜拜]"), acts.SOCIAL)
    if ctx.chance(0.22):
        s.a(ctx.say("(麻烦|辛苦|劳烦)(您|亲)(对|给)(小妹|本次服务|{me}的服务)(做出评价|给个好评|评个价|点个满意)[哦][，(点击右上角即可|"
                    "稍后会弹出评价窗口)|<url>]"), acts.REQUEST)
    if ctx.chance(0.25):
        if ctx.chance(0.5):
            s.q(ctx.say("(拜拜|再见|88|好的 拜拜|嗯嗯 再见)" + THANKS), acts.SOCIAL, rw=None, query=False)
        else:
            s.q(ctx.say("(好的|嗯嗯|好|行|ok)" + THANKS), acts.FEEDBACK, rw=None, query=False, react=True)


def chit_chat(ctx: Ctx) -> None:
    """Small talk with no request in it (not rewritable); the agent answers in kind."""
    s = ctx.s
    s.q(ctx.say("(哈哈|嘿嘿|哈哈哈|)[，](你们客服(态度|服务)(真好|不错|挺好的)|客服小姐姐(真好|辛苦了|人真好)|下次还来你们家买|"
                "你们客服真有耐心|你是机器人吗|你们几点下班啊|今天好忙吧|你们周末也上班吗)"), acts.SOCIAL, rw=VAGUE,
        query=False)
    s.a(ctx.say("(哈哈|嘿嘿|)[，](谢谢您的(夸奖|认可|理解)|能帮到您{me}也很开心|这是{me}应该做的|{me}是人工客服哦|{me}一直在线的)[哦|~]"),
        acts.SOCIAL)


def transition(ctx: Ctx) -> None:
    """The customer turns to another matter: a separate message, or a lead-in to its first question."""
    lead = ctx.say("(还有个问题|另外还想问一下|对了|还有一个事|还有|哦对了|再问个事|顺便问一下|另外)")
    if ctx.chance(0.5):
        ctx.s.q(lead, acts.COORDINATE, rw=None, query=False, head=ctx.s.last_query)
    else:
        ctx.s.lead = lead + ctx.pick("，", " ", "，", "")


def wait(ctx: Ctx) -> Move:
    """The agent puts the chat on hold to look something up (Suspend of the customer's query); the
    customer sometimes nudges while waiting."""
    s = ctx.s
    move = s.a(ctx.say("(好的|收到|嗯嗯|了解|)[，](请稍等|稍等|请您稍等|麻烦您稍等|您稍等|请稍候|麻烦稍等)[一下|片刻|一分钟|哈]"
                       "[，({me}(帮您|给您|为您)(查询|查|核实|看|确认|查看)一下|正在为您查询|马上为您处理|{me}看一下|"
                       "{me}去(问一下|核实一下)(仓库|售后|物流|技术)[同事])][，(马上回复您|请不要走开|很快就好)]"), acts.SUSPEND,
               head=s.last_query)
    if ctx.chance(0.06):
        nudge = s.q(ctx.say("(在吗|人呢|还在吗|好了没|查到了吗|怎么样了|还要多久)[？？|？|。。。][(，| )(我等半天了|快点啊|好慢啊|急着呢|等好久了)]"), acts.CONTACT, rw=VAGUE,
                    query=False, head=move.first)
        s.a(ctx.say("(在的|在呢|抱歉)[亲][，](久等了|让您久等了|马上就好|正在帮您查|这就好)"), acts.SOCIAL, head=nudge.first)
    return move


def ack(ctx: Ctx, head: int | None = None) -> Move:
    """The customer's short acknowledgement of the agent's latest answer or promise (no query)."""
    return ctx.s.q(ctx.say("(好的|嗯嗯|好|嗯|哦哦|好的呢|行|知道了|OK|好吧|明白了|懂了|收到|了解了|哦|可以|原来是这样|这样啊)" + REMARK),
                   acts.FEEDBACK, rw=None, query=False, head=head, react=True)


def urge(ctx: Ctx, p: float) -> None:
    """With chance ``p``: a second customer message right after the question (在线等, 急用, ...):
    joined to the question's text with ``|||`` (same EDU) or, mostly, a turn of its own attached to
    the question; the answer still attaches to the question."""
    if not ctx.chance(p):
        return
    text = ctx.say("(急用|在线等|着急|麻烦快点|快帮我看看|挺急的|快点啊|急|等着用呢|麻烦尽快|谢谢|麻烦了)"
                   "[(，| )(今天就要用|{day}就买了|都好几天了|家里等着用|拜托了|谢谢)]")
    last = ctx.s.turns[-1]
    if last.speaker == "Q" and last.text and ctx.chance(0.3):
        ctx.s.join(text)
    else:
        ctx.s.q(text, acts.ELABORATION, rw=None, query=False, head=ctx.s.last_query)


def ask_order(ctx: Ctx) -> None:
    """The agent asks for the order; the customer sends the order card or types the number."""
    s = ctx.s
    req = s.a(ctx.say("(麻烦|辛苦|请)[您](提供|发)一下(订单号|订单编号|您的订单号|下单的订单)[哦][，{me}(帮您|给您)(查询|查一下|核实一下)]"),
              acts.REQUEST)
    r = ctx.rng.random()
    if r < 0.2:
        s.q(ctx.say("(等一下|稍等|等下)[哈](我|)(找找|找下订单|翻一下)"), acts.SUSPEND, rw=None, query=False,
            head=req.first)
        s.q(ctx.card(), acts.ACCEPT_SUGGESTION, rw=None, head=req.first, query=False, decorate=False)
    elif r < 0.65:
        s.q(ctx.card(), acts.ACCEPT_SUGGESTION, rw=None, query=False, decorate=False)
    else:
        s.q(ctx.say("[(订单号|单号)(是|：|:| )]{no}"), acts.ACCEPT_SUGGESTION, rw=None, query=False, decorate=False)
    wait(ctx)
    if ctx.chance(0.3):
        s.q(ctx.say("(好的|嗯|好|嗯嗯)" + REMARK), acts.FEEDBACK, rw=None, query=False)


def ask_contact(ctx: Ctx) -> None:
    """The agent needs an address and phone; the customer gives them (masked), the agent confirms."""
    s = ctx.s
    s.a(ctx.say("(麻烦|辛苦|请)您(提供|留)一下(联系人、电话和详细地址|您的联系电话和地址|收货地址和联系方式|手机号和上门地址)[哦]"
                "[，(方便师傅联系您|方便安排师傅上门|{me}帮您登记)]"), acts.REQUEST)
    if ctx.chance(0.3):
        ctx.ask_back(ctx.say("(为啥要这个|还要地址吗|要电话干嘛|地址之前不是填过了吗|订单里不是有吗)[？]"), acts.YES_NO, rw="为什么需要提供联系电话和地址",
            )
        s.answer(ctx.say("(是的亲，|亲，)(这样方便师傅上门前和您联系|这个是为了安排师傅上门|师傅需要提前电话联系您确认时间)[哦]"),
                 acts.PURPOSE)
    info = s.q(ctx.say("(***|姓***|联系人***|收件人***)(，| |；)(电话|手机|手机号|联系电话|)(***|1***)(，| |；)(地址|住址|地址是|)"
                       "(***|***市***区***|***小区***|***路***号|***省***市***)[(，| )(白天|工作日|周末|晚上)[都](在家|可以|方便)]"),
               acts.CONTACT, rw=None, query=False, decorate=False)
    s.a(ctx.say("(好的|收到|好的收到|嗯嗯)，[跟您|{me}](核对|确认|再核对)一下[信息]，(联系电话***，地址***|地址是***|电话***，地址***|联系人***，"
                "电话***|收货地址***，手机号***)，(对吗|没错吧|是吗|信息没问题吧|对吧)？|"
                "(您的|)(地址|联系方式)是***(对吗|没错吧)？[(师傅会按这个(地址|电话)联系您)]"), acts.CONFIRM,
        head=info.first)
    s.q(ctx.say("(对的|是的|对|没错|嗯对|是|对的没错|嗯 是的)" + THANKS), acts.AFFIRM, rw=None, query=False, react=True)


_PUSH_BACK = "(要这么久吗|能不能快点啊|太慢了吧[，今天能处理吗]|这么久啊|能不能今天就弄|不能快点吗)"


def promise(ctx: Ctx, text: str) -> None:
    """The agent promises a follow-up (sometimes with an aside after it); the customer accepts the
    promise, or pushes back and the agent concedes."""
    s = ctx.s
    p = s.a(text, acts.PROMISE)
    if ctx.chance(0.55):
        s.a(ctx.say("(请您保持电话畅通|有问题随时联系{me}|处理进度可以在(订单详情|我的售后)里查看|您留意一下短信通知|"
                    "到时候会有短信提醒您)[哦]"), acts.ELABORATION)
    r = ctx.rng.random()
    if r < 0.55:
        s.q(ctx.say("(好的|好的，尽快哈|行，那我等着|好的谢谢|嗯嗯 麻烦了|好，辛苦了|行吧|那好吧|好的 等你们消息|好|嗯嗯|ok)" + REMARK),
            acts.ACCEPT_PROMISE,
            rw=None, query=False, head=p.first)
    elif r < 0.68:
        s.q(ctx.say(_PUSH_BACK), acts.REJECT_PROMISE, rw="处理时间能不能快一点", head=p.first)
        s.answer(ctx.say("(非常理解您的心情|理解您着急的心情|给您带来不便非常抱歉|让您久等了|实在抱歉)，(这边已经给您加急处理了|"
                         "已经帮您备注加急了|{me}已经帮您催促了|{me}给您标记了加急|已经反馈(给|)(相关|)同事优先处理了)"
                         "[，(会尽快(处理|给您答复)的|有进展第一时间通知您|请您放心)]"), acts.CONCESSION)
        ack(ctx)


_VAGUE = ("(？|？？|？？？|啊？|嗯？|哈？|啥|啥？|额|。。。|什么|什么？|啊这|没懂|没看懂|看不懂|啥意思|什么意思？|你说啥|蒙了|不明白|"
          "嗯？？|然后呢|所以呢|啊？？|咋说|不太懂)")


def vague(ctx: Ctx, p: float = 1.0, fact: str | None = None) -> None:
    """With chance ``p``: a contentless follow-up (``？？``, ``啥意思``) that nobody could rewrite; the
    agent restates (``fact``: the point it restates, in the agent's words)."""
    if not ctx.chance(p):
        return
    ctx.s.q(ctx.say(_VAGUE), acts.FEEDBACK, rw=VAGUE, react=True)
    lead = ctx.say("(亲，|亲亲，|您好，|不好意思，|)(就是说|意思是|简单来说|{me}再跟您说一下，|是这样的，|就是刚才说的，)")
    ctx.s.a(lead + (fact if fact is not None else ctx.say("(就是上面说的情况|跟刚才说的一样)[哦]")), acts.RESTATEMENT)


def evaluate(ctx: Ctx, p: float) -> None:
    """With chance ``p``: the customer judges the last answer (not a query)."""
    if ctx.chance(p):
        ctx.s.q(ctx.say("(这么慢啊|那还挺快的|服务还行|行吧 也只能这样了|这也太麻烦了|挺好|还行吧|好麻烦啊|那还好)" + REMARK),
                acts.EVALUATION, rw=None, query=False, react=True)


def recap(ctx: Ctx, problem: str, p: float) -> None:
    """With chance ``p``: the agent sums up the problem before acting on it."""
    if ctx.chance(p):
        ctx.s.a(ctx.say("(好的|了解了|明白了|收到)，[(您反馈的)]{problem}(这边已经记录了|的情况已经给您备注了|的问题{me}记下了)",
                        problem=problem), acts.SUMMARY, head=ctx.s.last_query)


def warranty(ctx: Ctx) -> str:
    """The product's warranty from the KB (a shop default without a product)."""
    if ctx.product is not None and ctx.shop == "xjd":
        return ctx.product.fact("保修")
    return "整机1年" if ctx.shop == "xjd" else "质量问题30天内包换"


def kb_aside(ctx: Ctx, p: float, attributes: tuple[str, ...]) -> None:
    """With chance ``p``: the agent adds one KB fact of the chat's product (an Elaboration)."""
    if ctx.product is None or not ctx.chance(p):
        return
    p = ctx.product
    facts = {"价格": f"{p.price}元", "颜色": "、".join(p.colours), ctx.kind.spec[0]: p.spec, **dict(p.facts)}
    usable = [a for a in attributes if a in facts]
    if not usable:
        return
    attr = ctx.pick(*usable)
    ctx.s.a(ctx.say("(另外|顺便说一下|补充一下|温馨提示|{me}再跟您说下)，(您这款|这款|)(|{name}|{model})的{attr}(是|为){value}[哦]", attr=attr,
                    value=facts[attr]), acts.ELABORATION)
