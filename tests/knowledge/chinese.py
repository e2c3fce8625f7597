"""A small Chinese course (three lessons on language models, one with Python identifiers) for the
Chinese retrieval, tutor and prompt tests. Written for these tests, not taken from the demo."""

from __future__ import annotations

from courses import services
from courses.models import Course
from knowledge.ingest import lesson_ingest

ATTENTION = """## 自注意力机制

每个词元都会生成查询、键和值三个向量。
查询与所有的键做点积，再除以键维度的平方根，
经过 softmax 变成权重，最后用这些权重对值加权求和。

## 多头注意力

多个注意力头并行工作，每个头在自己的子空间里计算注意力。所有头的输出会被拼接起来，再做一次线性变换，得到最终的表示。
"""
TRAINING = """## 预训练

模型在海量无标注文本上学习预测下一个词元，这一步叫做预训练。预训练需要大量的算力和数据，往往要训练几周。

## 微调

预训练之后，用少量带标注的任务数据继续训练模型，使它适应具体任务，这叫做微调。
LoRA 只训练两个低秩矩阵，是一种参数高效的微调方法。
"""
DECODING = """## 温度与采样

生成文本时，温度越高，输出越随机、越有创意；温度为 0 时模型总是选择概率最高的词元，也就是贪心解码。

## 用队列保存请求

在 Python 中可以用 `collections.deque` 实现先进先出的队列：
调用 `append()` 在队尾加入元素，
调用 `popleft()` 从队头取出元素，两者都很快。
"""
LESSONS = (
    ("注意力", "attention-zh", ATTENTION),
    ("训练", "training-zh", TRAINING),
    ("解码", "decoding-zh", DECODING),
)
# (question, the section that answers it): a student's words, not the lessons'.
QUESTIONS = (
    ("多头注意力最后是怎么把各个头的结果合在一起的？", "多头注意力"),
    ("LoRA 属于什么样的微调？", "微调"),
    ("把温度调成 0 会发生什么？", "温度与采样"),
    ("deque 怎么从队头取出元素？", "用队列保存请求"),
    ("注意力的权重是怎么算出来的？", "自注意力机制"),
    ("预训练为什么要花那么多算力？", "预训练"),
)
OFF_TOPIC = ("红烧肉怎么做才好吃？", "明天北京会下雨吗？", "2018 年世界杯冠军是哪个国家？")


def chinese_course(teacher, *, language: str = "zh-hans", slug: str = "llm-basics") -> Course:
    """A published course of `teacher`'s in `language` with the three lessons indexed."""
    course = services.course_create(
        author=teacher,
        title="大模型入门",
        slug=slug,
        summary="注意力、训练与解码。",
        language=language,
    )
    module = services.module_create(course=course, title="基础")
    for title, lesson_slug, body in LESSONS:
        lesson = services.lesson_create(module=module, title=title, slug=lesson_slug, body=body)
        lesson_ingest(lesson_id=lesson.pk)  # inline: the test transaction never commits
    return services.course_set_published(course=course, published=True)
