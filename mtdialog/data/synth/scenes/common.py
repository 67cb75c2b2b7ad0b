"""What every scene shares: the scene context, the agent's and customer's stock phrases, and the
moves that recur in every chat (greeting, asking for the order, waiting, promising, closing)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from mtdialog.data.synth import acts, noise
from mtdialog.data.synth.script import VAGUE, Img, Move, Script
from mtdialog.data.synth.world import Kind, Product


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
    scenes: list[str] = field(default_factory=list)

    def pick(self, *options):
        return self.rng.choice(options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    @property
    def item(self) -> str:
        """The product kind as the customer calls it (洗衣机, 外套, ...)."""
        return self.kind.name

    def need_product(self) -> Product:
        """The chat's product; scenes that quote the KB only run in chats that have one."""
        if self.product is None:
            raise ValueError("this scene needs a product")
        return self.product

    def note(self, problems: tuple[str, ...], outcomes: tuple[str, ...]) -> None:
        self.parts.append(SummaryPart(problems, outcomes))

    # ----------------------------------------------------------------------------- agent voice
    def dear(self) -> str:
        """How the agent opens a sentence: 亲, 亲亲, 您好 ..."""
        return self.rng.choice(("亲，", "亲，", "亲，", "亲亲，", "您好，", "亲爱的，", ""))

    def img(self, category: str, value: str, act: str, head: int | None = None, details: dict | None = None) -> Img:
        return Img(category, value, act, head, details or {})


# ------------------------------------------------------------------------------------ stock moves
def opening(ctx: Ctx, *, after_sales: bool) -> None:
    """Customer hello / order card / transfer from the bot, then the agent's greeting."""
    s = ctx.s
    r = ctx.rng.random()
    if r < 0.14:
        s.q(noise.TRANSFER, None, rw=None, query=False, decorate=False)
    elif after_sales and r < 0.36:
        s.q(noise.order_card(ctx.rng), None, rw=None, query=False, decorate=False)
    elif r < 0.62:
        s.q(ctx.pick("在吗", "在吗？", "你好", "您好", "有人吗", "客服在吗", "hello"), acts.CONTACT, rw=None,
            query=False)
    greet = ctx.pick(
        "您好，欢迎光临京东{shop}旗舰店，很高兴为您服务，请问有什么可以帮您？",
        "亲，在的呢，请问有什么可以帮您的吗？",
        "您好，我是客服***，很高兴为您服务~",
        "您好，京东客服***为您服务，请问有什么可以帮到您？",
        "亲爱的，在的哦，请问您遇到了什么问题呢？",
        "您好，欢迎咨询，请问有什么可以帮您",
    ).format(shop={"xjd": "家电", "fx": "服饰"}[ctx.shop])
    s.a(greet, acts.SOCIAL)
    if ctx.chance(0.12):
        s.join(noise.emoji(ctx.rng))


def closing(ctx: Ctx) -> None:
    """Anything else? No, thanks. Goodbye (sometimes the customer just leaves)."""
    s = ctx.s
    r = ctx.rng.random()
    if r < 0.12:  # the customer went quiet
        s.a(ctx.pick("亲，您还在吗？", "亲亲，还在线吗？", "您好，请问还在吗？"), acts.CONTACT)
        s.a(ctx.pick("由于长时间未收到您的回复，本次会话即将结束，有问题可以随时联系我们哦",
                     "亲，这边暂时没有收到您的回复，稍后有问题可以随时咨询哦"), acts.SOCIAL)
        return
    ask = s.a(ctx.pick("请问还有其他可以帮您的吗？", "亲，还有其他可以帮您的吗？", "请问还有其他问题吗？",
                       "亲亲，请问还有别的问题需要处理吗？"), acts.YES_NO)
    if r < 0.8:
        s.q(ctx.pick("没有了，谢谢", "没了", "没有了", "暂时没有了", "没有了 谢谢", "好的 没了", "没有啦，谢谢"), acts.DENY,
            rw=None, query=False, head=ask.first)
    else:
        s.q(ctx.pick("好的，谢谢", "嗯嗯 谢谢", "谢谢", "OK"), acts.SOCIAL, rw=None, query=False)
    s.a(ctx.pick("感谢您对京东的支持，祝您生活愉快，再见~", "不客气的，祝您生活愉快~",
                 "好的亲，感谢您的耐心，祝您生活愉快", "不客气哦，有问题随时联系我们"), acts.SOCIAL)
    if ctx.chance(0.35):
        s.join(noise.emoji(ctx.rng))
    if ctx.chance(0.22):
        s.a(ctx.pick("麻烦您对小妹的服务做出评价哦，点击右上角即可", "亲，如果满意的话麻烦给个好评哦<url>"),
            acts.REQUEST)
    if ctx.chance(0.25):
        if ctx.chance(0.5):
            s.q(ctx.pick("拜拜", "再见", "88"), acts.SOCIAL, rw=None, query=False)
        else:
            s.q(ctx.pick("好的", "嗯嗯", "好"), acts.FEEDBACK, rw=None, query=False)


def transition(ctx: Ctx) -> None:
    """The customer turns to another matter, parallel to the previous one."""
    ctx.s.q(ctx.pick("还有个问题", "另外还想问一下", "对了", "还有一个事", "还有"), acts.COORDINATE, rw=None,
            query=False, head=ctx.s.last_query)


def wait(ctx: Ctx) -> Move:
    """The agent puts the chat on hold to look something up."""
    return ctx.s.a(ctx.pick("请稍等，我帮您查询一下", "亲，请您稍等，这边帮您核实一下", "稍等哦，正在为您查询",
                            "好的，请稍等", "亲亲，麻烦稍等一下哦"), acts.SUSPEND)


def ack(ctx: Ctx, head: int | None = None) -> Move:
    """The customer's short acknowledgement (not a query, not rewritable)."""
    return ctx.s.q(ctx.pick("好的", "嗯嗯", "好", "嗯", "哦哦", "好的呢", "行", "知道了", "OK", "好吧"), acts.FEEDBACK,
                   rw=None, query=False, head=head)


def ask_order(ctx: Ctx) -> None:
    """The agent asks for the order; the customer sends the order card or says where it is."""
    s = ctx.s
    req = s.a(ctx.pick("麻烦您提供一下订单号哦", "亲，请问是哪个订单呢？麻烦发一下订单号", "麻烦发一下您的订单编号，这边帮您查询",
                       "亲亲，您在哪个订单下购买的呢，麻烦提供下订单号"), acts.REQUEST)
    if ctx.chance(0.25):
        s.q(ctx.pick("等一下 我找找", "稍等，我找下订单", "等下哈"), acts.SUSPEND, rw=None, query=False)
        s.q(noise.order_card(ctx.rng), acts.ACCEPT_SUGGESTION, rw=None, head=req.first,
            query=False, decorate=False)
    elif ctx.chance(0.75):
        s.q(noise.order_card(ctx.rng), acts.ACCEPT_SUGGESTION, rw=None, query=False,
            decorate=False)
    else:
        s.q(f"订单号{noise.MASK}", acts.ACCEPT_SUGGESTION, rw=None, query=False)
    wait(ctx)
    if ctx.chance(0.3):
        s.q(ctx.pick("好的", "嗯"), acts.FEEDBACK, rw=None, query=False)


def ask_contact(ctx: Ctx) -> None:
    """The agent needs an address and phone; the customer gives them (masked), the agent confirms."""
    s = ctx.s
    s.a(ctx.pick("麻烦您提供一下联系人、电话和详细地址哦", "亲，麻烦留一下您的联系电话和地址，方便师傅联系您",
                 "请您提供一下收货地址和联系方式"), acts.REQUEST)
    if ctx.chance(0.3):
        s.q(ctx.pick("为啥要这个", "还要地址吗"), acts.YES_NO, rw="为什么需要提供联系电话和地址")
        s.answer(ctx.pick("是的亲，这样方便师傅上门前和您联系", "亲，这个是为了安排师傅上门哦"), acts.PURPOSE)
    info = s.q(ctx.pick("***，电话***，地址***", "***，***，地址是***", "电话***|||地址***", "手机号***，***小区***"),
               acts.CONTACT, rw=None, query=False, decorate=False)
    s.a(ctx.pick("好的，跟您核对一下，联系电话***，地址***，对吗？", "收到，跟您确认一下地址是***，没错吧？"), acts.CONFIRM,
        head=info.first)
    s.q(ctx.pick("对的", "是的", "对", "没错"), acts.AFFIRM, rw=None, query=False)


def promise(ctx: Ctx, text: str) -> None:
    """The agent promises a follow-up; the customer accepts, or pushes back and the agent concedes."""
    s = ctx.s
    p = s.a(text, acts.PROMISE)
    r = ctx.rng.random()
    if r < 0.55:
        s.q(ctx.pick("好的", "好的，尽快哈", "行，那我等着", "好的谢谢", "嗯嗯 麻烦了"), acts.ACCEPT_PROMISE, rw=None,
            query=False, head=p.first)
    elif r < 0.68:
        s.q(ctx.pick("要这么久吗", "能不能快点啊", "太慢了吧，今天能处理吗"), acts.REJECT_PROMISE,
            rw="处理时间能不能快一点", head=p.first)
        s.answer(ctx.pick("非常理解您的心情，这边已经给您加急处理了哦", "亲，已经帮您备注加急了，会尽快处理的"), acts.CONCESSION)
        ack(ctx)


def vague(ctx: Ctx, p: float = 1.0) -> None:
    """With chance ``p``: a contentless follow-up (``？？``, ``啊？``) that nobody could rewrite;
    the agent restates."""
    if not ctx.chance(p):
        return
    ctx.s.q(ctx.pick("？？", "啊？", "嗯？", "。。。", "额", "哈？", "？", "啥", "？？？", "嗯？？"), acts.FEEDBACK,
            rw=VAGUE)
    ctx.s.a(ctx.pick("亲，就是刚才跟您说的哦", "亲亲，我再跟您说一下哈", "亲，是这样的，我重新给您解释一下",
                     "您好，就是上面说的情况哦"), acts.RESTATEMENT)


def evaluate(ctx: Ctx, p: float) -> None:
    """With chance ``p``: the customer judges the last answer (not a query)."""
    if ctx.chance(p):
        ctx.s.q(ctx.pick("这么慢啊", "那还挺快的", "服务还行", "行吧 也只能这样了", "这也太麻烦了", "挺好"), acts.EVALUATION,
                rw=None, query=False)


def recap(ctx: Ctx, problem: str, p: float) -> None:
    """With chance ``p``: the agent sums up the problem before acting on it."""
    if ctx.chance(p):
        ctx.s.a(ctx.pick(f"好的，您反馈的{problem}这边已经记录了", f"了解了，{problem}的情况已经给您备注"), acts.SUMMARY,
                head=ctx.s.last_query)


def warranty(ctx: Ctx) -> str:
    """The product's warranty from the KB (a shop default without a product)."""
    if ctx.product is not None and ctx.shop == "xjd":
        return ctx.product.fact("保修")
    return "整机1年" if ctx.shop == "xjd" else "质量问题30天内包换"
