"""Who a clause says something about: its subject, so that a fact said of the wrong thing counts
against the answer ("== checks identity, is checks equality" states both facts with the roles
reversed; the words, and so the embedding, are nearly those of the right answer).

The subject is the first thing a clause names: a code token of the question (an operator or an
identifier in backticks or in the code, "==", "is", "b"), or the first content word ("list",
"generator"). A pronoun at the start ("it keeps all its values") refers back to the last subject
the answer named. Cheap rules, no parser: where they cannot tell, they say nothing ("") and the
clause is judged on its similarity alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.sentences import split_sentences

_TOKEN = re.compile(r"==|!=|<=|>=|\+=|->|[^\W\d_][\w]*(?:'[^\W\d_]+)?|\d+|[()`]", re.UNICODE)
_CODE_TOKEN = re.compile(r"==|!=|<=|>=|\+=|[A-Za-z_]\w*")
_BACKTICKED = re.compile(r"`([^`\n]+)`")
# Words that open a clause before its subject ("while is asks ...", "the operator == ...").
_OPENERS = frozenset(
    """but while whereas so because and since although though which then also however the
    operator keyword built builtin in python python's on other hand contrast by comparison
    whilst thus therefore hence""".split()  # noqa: SIM905 (a word list reads better as text)
)
PRONOUNS = frozenset("it they its this these them their".split())  # noqa: SIM905
# Words a subject cannot be: they open a clause without naming what it is about.
_NOT_SUBJECTS = frozenset(
    """a an the is are was were be been being do does did can could will would should may might
    must has have had not no never both either all any every each only just there here when
    if what why how you we i one to of for with as at from that than""".split()  # noqa: SIM905
)
_MARKS = frozenset("()`")
PRONOUN = "\u2190"  # "refers back": resolved against the answer's previous subject


def code_entities(question: str) -> frozenset[str]:
    """Operators and identifiers the question names in backticks or shows in its code."""
    found: set[str] = set()
    for span in split_sentences(question):
        if span.code:
            body = span.text.strip("`").split("\n", 1)[-1]
            found.update(_CODE_TOKEN.findall(body))
        else:
            for quoted in _BACKTICKED.findall(span.text):
                found.update(_CODE_TOKEN.findall(quoted))
    return frozenset(found)


def _stem(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def _names_code(tokens: list[str], index: int, entities: frozenset[str]) -> bool:
    """Token `index` is one of the question's code tokens used as a name, not as an English
    word: "is" in "is checks identity" or "(is)", not in "it is true"; "a" in "a and b", not in
    "a list"."""
    token = tokens[index]
    if token not in entities:
        return False
    if not token.isalpha() or token.lower() not in _NOT_SUBJECTS:
        return True  # "==", "b", "append": never an English function word
    quoted = 0 < index < len(tokens) - 1 and (
        (tokens[index - 1], tokens[index + 1]) in (("(", ")"), ("`", "`"))
    )
    if quoted:
        return True
    after = tokens[index + 1].lower() if index + 1 < len(tokens) else ""
    # A verb in the third person follows a name ("is checks", "a points to"); a noun follows an
    # article ("a list"), a complement follows the verb "is" ("is true").
    return after in ("and", "or", "=", "==") or (
        after.endswith("s") and not after.endswith("ss") and len(after) > 3
    )


def subject(text: str, entities: frozenset[str]) -> str:
    """The clause's subject: a code token of the question as written, else the first content
    word stemmed and lower-cased; PRONOUN when it opens with one; "" when none is found."""
    tokens = _TOKEN.findall(text)
    index = 0
    while index < len(tokens) and (tokens[index] in _MARKS or tokens[index].lower() in _OPENERS):
        index += 1
    if index < len(tokens) and tokens[index].lower() in PRONOUNS:
        return PRONOUN
    for position in range(index, min(len(tokens), index + 8)):
        token = tokens[position]
        if token in _MARKS:
            continue
        if _names_code(tokens, position, entities):
            return token
        lowered = token.lower()
        if lowered in _NOT_SUBJECTS or lowered in _OPENERS or lowered in PRONOUNS:
            continue
        if lowered.isdigit():
            continue
        # "Equality (==) compares ...": the name in brackets says what the word stands for.
        if (
            position + 3 < len(tokens)
            and tokens[position + 1] == "("
            and tokens[position + 3] == ")"
            and tokens[position + 2] in entities
        ):
            return tokens[position + 2]
        return _stem(lowered)
    return ""


def resolve(subjects: Iterable[str], known: set[str]) -> list[str]:
    """Each pronoun subject replaced by the last subject in `known` named before it ("" when
    none was)."""
    resolved = []
    last = ""
    for found in subjects:
        if found == PRONOUN:
            resolved.append(last)
            continue
        if found in known:
            last = found
        resolved.append(found)
    return resolved


def names(text: str) -> set[str]:
    """What a clause mentions, in the form subject() gives it: "==", "tuple" (from "tuples")."""
    return {
        token if not token.isalpha() else _stem(token.lower())
        for token in _TOKEN.findall(text)
        if token not in _MARKS
    }


def exchange(text: str, old: str, new: str) -> str:
    """`text` with its first mention of the subject `old` (a code token as written, or a stem as
    subject() gives it) replaced by `new`: the clause said of the other subject."""
    if old.isalpha():
        pattern = rf"(?<![\w`])({re.escape(old)}(?:e?s)?)(?![\w])"
        flags = re.IGNORECASE
    else:
        pattern = rf"(?<![=!<>+\-])({re.escape(old)})(?![=])"
        flags = re.NOFLAG
    return re.sub(pattern, new.replace("\\", r"\\"), text, count=1, flags=flags)
