"""How the speakers of a session sound: an agent style and a customer style drawn once per session.

Real customer-service logs vary most in register, not in content: agents open with 亲 / 亲亲 / 您好
or nothing, end with 哦 / 哈 / 呢 / ~, call themselves 小妹 / 这边 / 我们; customers are terse,
polite, impatient or chatty, drop or double punctuation, write 咋 for 怎么 and 啥 for 什么, add
particles (呢 / 啊 / 哈 / 吧 / 哦) and stickers. A :class:`Voice` restyles the core text a scene
writes, so one move has many surface forms while its facts stay those of the scene.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from mtdialog.data.synth import noise

_PARTICLES = tuple("吗呢吧啊哈哦呀啦嘛么了")
_PARTICLE_END = (*_PARTICLES, "～", "~")
_QUESTION_MARKS = ("？", "?")
_FILLERS = ("嗯 ", "哦 ", "额 ", "嗯嗯，", "哦哦 ", "emm ", "啊 ", "呃，")


@dataclass(frozen=True)
class AgentStyle:
    """An agent's register: openers, sentence-final particles, self-reference, sticker rate."""

    name: str
    openers: tuple[str, ...]
    p_open: float
    tails: tuple[str, ...]
    p_tail: float
    me: tuple[str, ...]  # how the agent refers to itself / the shop: 这边, 小妹, 我们
    p_emoji: float


@dataclass(frozen=True)
class CustomerStyle:
    """A customer's register: openers of a new matter, particles, punctuation habits, typos, stickers."""

    name: str
    openers: tuple[str, ...]
    p_open: float
    q_tails: tuple[str, ...]  # particles before a question mark
    s_tails: tuple[str, ...]  # particles ending a statement
    p_tail: float
    q_marks: tuple[str, ...]  # what a question ends with
    s_marks: tuple[str, ...]  # what a statement ends with
    p_space: float  # a comma typed as a space
    p_typo: float
    p_emoji: float


AGENT_STYLES = (
    AgentStyle("warm", ("亲，", "亲亲，", "亲~", "亲爱的，", "亲，", "亲亲~"), 0.55, ("哦", "哈", "呢", "哦~", "呀", "~", "哦"),
               0.55, ("小妹", "这边", "我这边", "小妹这边"), 0.22),
    AgentStyle("plain", ("亲，", "您好，", "亲，", ""), 0.35, ("哦", "呢", "哈"), 0.35,
               ("这边", "我这边", "我们这边"), 0.1),
    AgentStyle("formal", ("您好，", "您好，", "尊敬的客户，", "非常感谢您的耐心等待，"), 0.3, ("。", ""), 0.5,
               ("我们", "这边", "我方"), 0.03),
)

CUSTOMER_STYLES = (
    CustomerStyle("terse", ("", "那个", "问下", "客服"), 0.3, ("", "啊"), ("", "了"), 0.2, ("", "", "？", "?", "??"), ("", "", "。", "."),
                  0.5, 0.4, 0.03),
    CustomerStyle("polite", ("你好，", "您好，", "请问", "你好，请问", "麻烦问一下，", "客服你好，"), 0.6, ("呢", "呀"),
                  ("呢", "哦"), 0.3, ("？", "？", "呢？"), ("。", "", "~"), 0.1, 0.1, 0.05),
    CustomerStyle("impatient", ("客服", "在吗 ", "喂 ", "人呢 ", ""), 0.45, ("啊", "啊啊"), ("啊", "啊啊", "了啊"), 0.4,
                  ("？？", "？？？", "??", "？"), ("！", "！！", "", "。。。"), 0.3, 0.15, 0.05),
    CustomerStyle("chatty", ("亲，", "那个", "哈喽，", "hello ", "你好呀，", "亲 "), 0.5, ("呢", "哈", "呀", "啊"),
                  ("哈", "哦", "啦", "呀", "吧"), 0.5, ("？", "?", "呢？", "~"), ("~", "", "哈哈", "。", "..."), 0.3, 0.2,
                  0.18),
)

#: (written form, typed variants): slips and colloquial spellings of real chats.
TYPOS = (
    ("怎么办", ("咋办", "怎么搞", "咋整")), ("怎么", ("咋", "肿么", "怎")), ("什么", ("啥", "神马", "啥子")),
    ("为什么", ("为啥", "为什么呀")), ("吗", ("嘛", "么")), ("的", ("滴", "得")), ("在", ("再",)),
    ("已经", ("以经", "已")), ("这个", ("这", "这个个")), ("没有", ("没", "木有", "没得")), ("一下", ("下", "一哈")),
    ("你们", ("你门", "你们家")), ("好的", ("好滴", "好哒", "ok", "好")), ("谢谢", ("谢啦", "3q", "谢了", "多谢")),
    ("知道", ("造", "晓得")), ("现在", ("线在", "现")), ("是不是", ("是否", "是不")), ("东西", ("东东", "宝贝")),
    ("可以", ("可", "能")), ("还是", ("还是说", "还")),
)


def _typo(text: str, rng: random.Random) -> str:
    for _ in range(5):
        written, typed = TYPOS[int(rng.random() * len(TYPOS))]
        if written in text:
            return text.replace(written, rng.choice(typed), 1)
    return text


def _cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _split_end(text: str) -> tuple[str, str]:
    """``text`` without its final punctuation, and that punctuation."""
    i = len(text)
    while i > 0 and text[i - 1] in "？?。！!~～.":
        i -= 1
    return text[:i], text[i:]


@dataclass(frozen=True)
class Voice:
    """The session's agent and customer styles, applied to what the scenes write."""

    agent_style: AgentStyle
    customer_style: CustomerStyle

    @classmethod
    def draw(cls, rng: random.Random) -> Voice:
        return cls(rng.choice(AGENT_STYLES), rng.choice(CUSTOMER_STYLES))

    def me(self, rng: random.Random) -> str:
        return rng.choice(self.agent_style.me)

    def agent(self, text: str, rng: random.Random) -> str:
        """The agent's ``text`` with an opener, a final particle and sometimes a sticker."""
        st = self.agent_style
        body, end = _split_end(text)
        if rng.random() < st.p_tail and _cjk(body[-1:]) and body[-1] not in _PARTICLE_END and end not in _QUESTION_MARKS:
            tail = rng.choice(st.tails)
            if body.endswith("的") and tail.startswith("的"):
                tail = tail[1:]
            text = body + tail + ("" if tail in ("。", "~") else end)
        if rng.random() < st.p_open and not text.startswith(("亲", "您好", "好的", "嗯", "不客气", "收到", "尊敬", "非常")):
            text = rng.choice(st.openers) + text
        if rng.random() < st.p_emoji and not text.endswith(_QUESTION_MARKS):
            text += noise.emoji(rng)
        return text

    def customer(self, text: str, rng: random.Random, *, opens: bool = False) -> str:
        """The customer's ``text`` typed their way; ``opens``: the message starts a new matter."""
        st = self.customer_style
        if rng.random() < st.p_typo:
            text = _typo(text, rng)
        if st.name != "polite" and "您" in text and rng.random() < 0.7:
            text = text.replace("您", "你")
        body, end = _split_end(text)
        if not body:
            return text
        question = end[:1] in _QUESTION_MARKS
        if len(body) <= 2 and rng.random() < 0.15:  # 好的好的, 对对
            body += body
        if rng.random() < st.p_tail and body[-1] not in _PARTICLE_END:
            body += rng.choice(st.q_tails if question else st.s_tails)
        marks = st.q_marks if question else st.s_marks
        end = rng.choice(marks) if rng.random() < 0.8 else end
        if "谢" in body and "谢" in end:  # no 谢谢啦，谢谢
            end = ""
        if end[:1] in _PARTICLES and body[-1] in _PARTICLE_END:  # no 吗呢？
            end = end[1:] or ("？" if question else "")
        if "，" in body and rng.random() < st.p_space:
            body = body.replace("，", rng.choice((" ", " ", ",")), 1)
        text = body + end
        if opens and rng.random() < st.p_open:
            opener = rng.choice(st.openers)
            if question or "问" not in opener:  # 请问 only opens a question
                text = opener + text
        elif not opens and rng.random() < 0.2:
            text = rng.choice(_FILLERS) + text
        if rng.random() < (st.p_emoji if len(body) > 4 else st.p_emoji + 0.15):  # stickers end short replies
            text += noise.emoji(rng)
        return text
