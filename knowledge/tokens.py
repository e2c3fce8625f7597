"""Words of Chinese (and mixed Chinese/English) text, for BM25 and term overlap.

Chinese has no spaces, so a tokenizer that splits on non-word characters sees a whole run of
characters as one "word" ("大语言模型的预训练" is one token) and BM25 can only match a query that
repeats the run exactly. Here jieba's dictionary (rjieba: jieba-rs, ~10x the Python jieba) cuts
the text in search mode: a long word is emitted with the shorter words inside it
("大语言模型" → 语言, 模型, 大语言模型), so a question that says 语言模型 still matches.

The dictionary does not know every term of a course, and then jieba may cut the same characters
differently in the passage and in the question ("从队头取出" → 从队/头, "取出队头" → 队头), so
every pair of neighbouring Chinese characters is added as a token too (the CJK bigrams of
Lucene's CJKAnalyzer): whatever the cut, a question and a passage that share a term share its
bigrams.

Latin-script parts stay as they were written: jieba keeps identifiers and numbers whole
(`collections.deque`, `snake_case_name`, `GPT-4`, `3.14`) and search mode adds their parts
(`deque`, `snake`, …), so a question naming either finds the passage. Everything is lower-cased,
punctuation dropped, and function words (的, 是, 什么, "the", …) left out.
"""

from __future__ import annotations

import re

# Function words and question words: they occur everywhere and say nothing about the topic.
# Kept short on purpose: a content word wrongly listed here can never be found.
ZH_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 也 都 就 而 但 把 被 对 从 向 给 让 这 那 这个 那个 这些 那些
    这种 那种 个 之 其 吗 呢 吧 啊 呀 么 嘛 什么 怎么 怎样 怎么样 如何 为什么 为何 哪些 哪个 哪
    哪里 谁 多少 几 是否 能否 可以 能 会 要 需要 应该 有 有没有 没有 一个 一种 一些 我 你 他 她
    它 我们 你们 他们 它们 自己 请 请问 并 等 还 又 很 更 所 所以 因为 如果 那么 就是 还是 以及
    其中 中 里 时 着 过 得 地 于 以 为 由 即 该 此 各 每 某 讲 说 一下 告诉 解释""".split()  # noqa: SIM905 (a word list reads better as text)
)
# bm25s's English list, so English words inside Chinese text are treated as in English courses.
EN_STOPWORDS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their
    then there these they this to was will with""".split()  # noqa: SIM905
)
_WORDLIKE = re.compile(r"\w", re.UNICODE)
# Particles that only ever glue words together: a bigram with one in it is noise ("头的").
_PARTICLES = frozenset("的了吗呢吧啊么呀嘛")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def words(text: str) -> list[str]:
    """The searchable words of `text`, in order (repeats kept: BM25 counts them)."""
    import rjieba

    found = []
    for token in rjieba.cut_for_search(text):
        token = token.strip().lower()
        if not token or not _WORDLIKE.search(token):
            continue  # punctuation, spaces
        if token in ZH_STOPWORDS or token in EN_STOPWORDS:
            continue
        if len(token) == 1 and token.isascii() and not token.isdigit():
            continue  # a lone Latin letter ("x" of x.append) is noise; the whole name is kept
        found.append(token)
    for run in _CJK_RUN.findall(text):
        pairs = (run[i : i + 2] for i in range(len(run) - 1))
        found.extend(
            pair for pair in pairs if pair not in ZH_STOPWORDS and not _PARTICLES & set(pair)
        )
    return found


def content_words(text: str) -> set[str]:
    """`words` as a set: what term overlap between a question and a sentence compares."""
    return set(words(text))
