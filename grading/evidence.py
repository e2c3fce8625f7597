"""Scoring a free-text answer from evidence: which sentence states each fact, or contradicts it.

Similarity alone is fooled by answers that use the right words: "a tuple can be changed" is as
close to "a tuple cannot be changed" as a paraphrase is. So a criterion earns credit only from a
*claim* in the answer (a clause with function words, not a keyword list, not a question, not the
question copied back) that is the closest clause to one of the criterion's facts, and that
- does not flip the fact's polarity (negations, "mutable"/"immutable", "same"/"new"),
- does not state other values or code than the fact (`[1, 2, 3]` where the fact says
  `[1, 2, 3, 4]`), and
- is not closer to one of the criterion's known wrong claims than to its facts.
Each criterion keeps its evidence (sentence, fact, verdict, why) so the teacher sees it.

Facts come from the rubric item (teacher-written or approved) or, when it has none, are drafted
from the criterion and the reference answer's closest clauses (marked as drafted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from django.utils.translation import gettext_noop

from core.languages import cjk_share
from grading.roles import PRONOUN, code_entities, exchange, names, resolve, subject
from inference.embeddings import embed_multilingual, embed_texts
from knowledge.sentences import STOPWORDS, split_sentences, terms

# Cosine (all-MiniLM-L6-v2) to credit: a clause below LOW says something else, above HIGH it
# says the fact. Paraphrases of a fact sit at 0.6-0.9, other claims on the topic at 0.3-0.5.
SIMILARITY_LOW = 0.40
SIMILARITY_HIGH = 0.72
# A clause must be at least this close to a fact for its negation or values to contradict it.
CONTRADICTION_MIN = 0.50
# A clause matching a known wrong claim at least this closely states the misconception.
WRONG_CLAIM_MIN = 0.62
# A clause counts for the fact it is closest to; within this margin of the closest it may count
# for another one too (two criteria can ask for nearly the same thing).
NEAREST_MARGIN = 0.04
# A clause stating the fact's values counts from this similarity on (a paraphrase in another
# language, or a bare "[1, 2, 3, 4] twice", is far from the fact's wording).
VALUE_MATCH_MIN = 0.25
# How far above its similarity to the question a clause must be to say something new.
NOVELTY_MARGIN = 0.05
# A clause about one subject of the rubric ("is") that, with its subject exchanged for a fact's
# ("=="), states that fact (SWAP_MIN) better by SWAP_MARGIN than it states any fact about its
# own subject, says the fact with the roles reversed.
SWAP_MIN = 0.70
SWAP_MARGIN = 0.10
# multilingual-e5-small's cosines sit higher and closer together than MiniLM's (unrelated
# sentences ~0.8, paraphrases ~0.9): mapped linearly (slope, intercept) onto MiniLM's scale so one
# set of thresholds serves both. Within one language: the top decile of the two models' cosines
# between 160 sentences of the English demo lessons, matched quantile to quantile. Across two
# languages e5's cosines sit lower still (a sentence and its translation: 0.91; unrelated
# sentences: 0.81), mapped onto MiniLM's paraphrase (0.9) and unrelated (0.18) levels; measured
# on 12 hand-translated Python sentences (French, German, Spanish), not the grading bench's.
E5_SCALE = (5.95, -4.89)
E5_CROSS_SCALE = (7.13, -5.60)

_CLAUSE = re.compile(
    r"\s*[;:]\s+|\s*,\s*(?=(?:but|while|whereas|so|because|and|since|although|though|which)\b)"
    r"|\s+(?=(?:but|whereas|while|although)\b)|\s+[-\u2013\u2014]\s+",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Data literals, not slices (a[:]), indexes (a[0]) or a call's arguments (range(2, 10, 3)).
_COMPOUND = re.compile(
    r"(?<![\w)\]])\[[^\[\]\n:]*\]|(?<![\w)\]])\([^()\n]*,[^()\n]*\)|\{[^{}\n]*\}"
    r"|(?<!\w)'[^'\n]{1,40}'(?!\w)|(?<!\w)\"[^\"\n]{1,40}\"(?!\w)"
)
_SCALAR = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])|\b(?:True|False|None)\b")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_BACKTICK = re.compile(r"`([^`\n]+)`")
_VERB_START = frozenset(
    """is are was were do does did can could will would has have must should may might be
    cannot can't isn't aren't doesn't don't won't never not""".split()  # noqa: SIM905
)
_AUXILIARIES = frozenset("is are was were do does did can could will would has have".split())  # noqa: SIM905
_CRITERION_VERB = re.compile(
    r"^\s*(?:the\s+answer\s+)?(?:correctly\s+)?(?:says|states|explains|mentions|notes|shows|"
    r"names|predicts|gives|identifies|describes|recognises|recognizes|knows)\s+(?:that\s+)?",
    re.IGNORECASE,
)

NEGATORS = frozenset(
    """ne pas n nicht kein keine keinen nie niemals no nunca jamás non mai não nem jamais
    aucun aucune""".split()  # noqa: SIM905
)
NEGATORS = frozenset(
    """not no never cannot cant can't nothing none neither nor nobody without isn't aren't
    doesn't don't didn't won't wouldn't shouldn't couldn't wasn't weren't hasn't haven't""".split()  # noqa: SIM905
)
# Pairs a paraphrase never swaps but a misconception does. Prefix antonyms (im-, un-, in-, non-,
# ir-, il-, dis-) are found without a list.
ANTONYMS = (
    ("same", "different"),
    ("same", "new"),
    ("same", "separate"),
    ("same", "another"),
    ("shared", "independent"),
    ("alias", "copy"),
    ("true", "false"),
    ("before", "after"),
    ("more", "less"),
    ("more", "fewer"),
    ("faster", "slower"),
    ("larger", "smaller"),
    ("bigger", "smaller"),
    ("increase", "decrease"),
    ("increases", "decreases"),
    ("first", "last"),
    ("inside", "outside"),
    ("local", "global"),
    ("ascending", "descending"),
    ("once", "twice"),
    ("once", "many"),
    ("once", "multiple"),
    ("once", "repeatedly"),
    ("lazily", "immediately"),
    ("lazy", "eager"),
    ("one", "all"),
    ("allowed", "forbidden"),
    ("keeps", "loses"),
    ("add", "remove"),
    ("adds", "removes"),
    ("toward", "away"),
    ("towards", "away"),
    ("closer", "farther"),
    ("closer", "further"),
    ("near", "far"),
    ("always", "never"),
    ("higher", "lower"),
    ("hotter", "colder"),
    ("warmer", "colder"),
    ("longer", "shorter"),
    ("earlier", "later"),
    ("above", "below"),
    ("include", "exclude"),
    ("includes", "excludes"),
    ("public", "private"),
    ("static", "dynamic"),
    ("rises", "falls"),
)
_PREFIXES = ("im", "un", "in", "non", "ir", "il", "dis")
# Function words of a few other languages: a sentence in French is still a sentence (a claim),
# and their share says the answer is not in the reference's language.
FOREIGN_FUNCTION_WORDS = frozenset(
    """le la les un une des est sont et ou mais dans pour avec sur pas ne que qui du au aux
    ce cette il elle ils elles on peut être fait
    der die das ein eine ist sind und oder aber nicht mit für auf zu den dem des kann wird
    el los las una es son y pero con para por del lo se puede está no
    il lo gli una è sono e ma con per non può
    um uma os as é são e mas com para não pode""".split()  # noqa: SIM905 (a word list reads better as text)
)
ENGLISH_FUNCTION_WORDS = (
    STOPWORDS
    | NEGATORS
    | frozenset(
        """is are was were be been being has have had does do did will would shall should can
        could may might must its it's that's there's isn't aren't so because both either all
        any every""".split()  # noqa: SIM905
    )
)


@dataclass(frozen=True)
class Fact:
    text: str
    phrasings: tuple[str, ...]  # the fact and other ways the reference says it
    drafted: bool  # derived from the reference, not written or approved by a teacher


@dataclass(frozen=True)
class CriterionSpec:
    criterion: str
    points: float
    facts: tuple[Fact, ...]
    wrong: tuple[str, ...]
    wrong_drafted: tuple[str, ...] = ()  # the model's proposals: shown, not used until approved


@dataclass(frozen=True)
class Evidence:
    fact: str
    verdict: str  # "stated", "partly", "contradicted", "missing"
    sentence: str  # the answer's sentence (empty when missing)
    why: str  # a short reason a teacher can check
    credit: float

    def as_dict(self) -> dict[str, object]:
        return {
            "fact": self.fact,
            "verdict": self.verdict,
            "sentence": self.sentence,
            "why": self.why,
            "credit": round(self.credit, 3),
        }


@dataclass(frozen=True)
class CriterionResult:
    criterion: str
    points: float
    raw: float  # 0..1: the share of the criterion the evidence shows
    evidence: list[Evidence]
    contradicted: bool

    @property
    def score(self) -> float:
        return round(self.points * self.raw * 2) / 2

    @property
    def quote(self) -> str:
        """The answer's sentence that decided the criterion (for the student's table)."""
        for item in sorted(self.evidence, key=lambda e: -e.credit):
            if item.sentence:
                return item.sentence
        return ""


@dataclass(frozen=True)
class EvidenceGrade:
    criteria: list[CriterionResult]
    fraction: float  # uncalibrated: the rubric's points earned / all points
    similarity: float  # the whole answer against the reference (shown, not scored)
    confidence: float
    foreign: bool  # not in the reference's language: read by the multilingual model, less surely
    claims: int  # clauses that state something
    flags: list[str] = field(default_factory=list)

    def features(self) -> list[float]:
        """What calibration learns from: the evidence share per criterion."""
        return [c.raw for c in self.criteria]


@dataclass(frozen=True)
class _Unit:
    text: str
    sentence: str
    claim: bool
    code: bool
    words: tuple[str, ...]
    atomic: bool  # not split further: read for contradictions


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(text)]


def _function_share(words: Sequence[str]) -> float:
    if not words:
        return 0.0
    known = ENGLISH_FUNCTION_WORDS | FOREIGN_FUNCTION_WORDS
    return sum(w in known for w in words) / len(words)


def _is_claim(text: str, words: Sequence[str]) -> bool:
    """A clause that states something: not a question, and not a list of keywords (a claim
    has function words: "is", "the", "can", "not"...). A bare value ("[1, 2, 3, 4] twice")
    states one."""
    stripped = text.strip().strip("*_").strip()
    if not stripped or stripped.endswith("?"):
        return False
    prose = _COMPOUND.sub(" ", stripped)
    pieces = [p for p in prose.split(",") if p.strip()]
    if len(pieces) >= 3 and sum(len(_words(p)) for p in pieces) / len(pieces) <= 2.5:
        return False  # "alias, same object, copy, append": a list of terms
    if _CJK.search(stripped):
        return len(stripped) >= 4
    prose_words = _words(prose)
    if _COMPOUND.search(stripped) and len(prose_words) <= 4:
        return True
    if len(words) < 2:
        return False
    return any(w in ENGLISH_FUNCTION_WORDS or w in FOREIGN_FUNCTION_WORDS for w in words) and (
        _function_share(words) >= 0.25
    )


def _looks_like_code(text: str) -> bool:
    """A line of code among prose ("b = a" alone, "print(a)"), not a sentence about code."""
    if re.match(r"\s*(?:>>>|def |import |from \w+ import |for .+:$|print\()", text):
        return True
    return bool(re.match(r"\s*[\w.\[\]]+\s*=[^=]", text)) and len(_words(text)) <= 5


def _unit(text: str, sentence: str, *, atomic: bool, code: bool = False) -> _Unit:
    words = _words(text)
    claim = code or _is_claim(text, words)
    return _Unit(text.strip(), sentence[:300], claim, code, tuple(words), atomic)


def _elliptical(words: Sequence[str]) -> bool:
    """ "..., but tuples are not": the predicate is left out, so its polarity cannot be read."""
    # Not "no"/"none": "compare it with None" ends on the Python constant, not an ellipsis.
    return bool(words) and (
        words[-1] in _AUXILIARIES
        or (words[-1] in NEGATORS and words[-1] not in ("no", "none", "nothing", "nobody"))
    )


def _and_parts(clause: str) -> list[str]:
    """ "x and y" as two claims where both sides have at least three words; "add and remove
    items" stays one."""
    merged: list[str] = []
    for piece in (p.strip() for p in _AND.split(clause)):
        if merged and (len(_words(piece)) < 3 or len(_words(merged[-1])) < 3):
            merged[-1] = f"{merged[-1]} and {piece}"
        elif piece:
            merged.append(piece)
    if len(merged) < 2:
        return [clause]
    # "Tuples are immutable and cannot be changed": the second part keeps the subject.
    lead: list[str] = []
    for word in merged[0].split():
        lead.append(word)
        if _words(word) and _words(word)[0] not in ENGLISH_FUNCTION_WORDS:
            break
    for index in range(1, len(merged)):
        first = _words(merged[index])[:1]
        if len(lead) <= 4 and first and first[0] in _VERB_START:
            merged[index] = f"{' '.join(lead)} {merged[index]}"
    return merged


def answer_units(answer: str) -> list[_Unit]:
    """Sentences, their clauses, and the parts of a clause joined by "and" (one sentence often
    states two facts). Only the finest units are read for contradictions: a whole sentence
    "lists are mutable, tuples are not" must not contradict "a list is mutable"."""
    units: list[_Unit] = []
    for span in split_sentences(answer):
        if span.code:
            body = span.text.strip("`").split("\n", 1)[-1]
            units.append(_unit(body, span.text, atomic=True, code=True))
            continue
        for line in span.text.splitlines() or [span.text]:
            line = line.strip(" -*\u2022\t")
            if not line:
                continue
            if _looks_like_code(line):
                units.append(_unit(line, line, atomic=True, code=True))
                continue
            clauses = [c.strip() for c in _CLAUSE.split(line) if c and c.strip()]
            parts = [_and_parts(clause) for clause in clauses]
            finest = sum(len(p) for p in parts)
            units.append(_unit(line, line, atomic=finest == 1))
            for clause, pieces in zip(clauses, parts, strict=True):
                if len(clauses) > 1:
                    units.append(_unit(clause, line, atomic=len(pieces) == 1))
                if len(pieces) > 1:
                    units.extend(_unit(piece, line, atomic=True) for piece in pieces)
    return units


def text_language(text: str) -> str:
    """ "zh" (mostly Chinese), "en", "other" (a language of FOREIGN_FUNCTION_WORDS), or "" when
    the text is too short to tell ("[1, 2, 3, 4] twice" is in every language)."""
    if len(_CJK.findall(text)) >= 4 and cjk_share(text) >= 0.3:
        return "zh"
    words = _words(_COMPOUND.sub(" ", text))
    english = sum(w in ENGLISH_FUNCTION_WORDS for w in words)
    foreign = sum(w in FOREIGN_FUNCTION_WORDS and w not in ENGLISH_FUNCTION_WORDS for w in words)
    if len(words) < 5 or english == foreign:
        return ""
    return "other" if foreign > english else "en"


def is_foreign(answer: str, reference: str = "") -> bool:
    """The answer is in another language than the reference answer (English when there is
    none): its words cannot be checked against the facts', only its meaning and values."""
    answer_language = text_language(answer)
    reference_language = (text_language(reference) or "en") if reference else "en"
    return bool(answer_language) and answer_language != reference_language


def _values(text: str) -> set[str]:
    """Literals a fact or claim states: lists, tuples, dicts, strings, numbers, constants. A
    number inside a list is part of the list, not a value of its own (else [1, 2, 3] would
    share "1" with [1, 2, 3, 4] and agree with it)."""
    found = set()
    for source in [text, *_BACKTICK.findall(text)]:
        compounds = _COMPOUND.findall(source)
        rest = _COMPOUND.sub(" ", source)
        found.update(compounds)
        found.update(v.rstrip(".") for v in _SCALAR.findall(rest))
    cleaned = {re.sub(r"\s+", "", v).replace('"', "'") for v in found}
    return {v for v in cleaned if v and v not in ("()", "[]", "{}")}


def _kind(value: str) -> str:
    if value.startswith("["):
        return "list"
    if value.startswith("("):
        return "tuple"
    if value.startswith("{"):
        return "dict"
    if value[:1] in "'\"":
        return "str"
    if value in ("True", "False", "None"):
        return "const"
    return "number"


def values_conflict(fact_values: set[str], unit_values: set[str]) -> str:
    """ "" when the clause agrees or says nothing comparable; else the value it states that
    the fact does not ("prints [1, 2, 3] and then [1, 2, 3, 4]" against "[1, 2, 3, 4] twice")."""
    if not fact_values or not unit_values:
        return ""
    fact_kinds = {_kind(v) for v in fact_values}
    agrees = bool(fact_values & unit_values)
    # An extra list or string beside the right one is a second, wrong prediction; an extra
    # number beside the right one is usually a step on the way ("2, 5 and 8, so 3").
    clashing = sorted(
        v
        for v in unit_values - fact_values
        if _kind(v) in fact_kinds and not (agrees and _kind(v) in ("number", "const"))
    )
    return clashing[0] if clashing else ""


_NOT_NEGATIVE = frozenset(
    """integer index indexes instance instances include includes inside input insert inserts
    information interpreter import imports immediately implement implements important under
    until unit unique unicode display discuss distinct""".split()  # noqa: SIM905
)


def _stem(word: str) -> str:
    """A crude stem for matching a word with its negation: copies/copy, changed/change."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("e", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)] + keep
    return word


def _negated(words: Sequence[str]) -> tuple[set[str], set[str]]:
    """(stems of words under a negation, stems of the other content words): in "b does not
    make a copy", "make" is negated."""
    negated: set[str] = set()
    plain: set[str] = set()
    pending = 0  # words after a negator that may still be its target
    for word in words:
        if word in NEGATORS or word.endswith("n't"):
            pending = 3
            continue
        if word in ENGLISH_FUNCTION_WORDS or word in ("be", "been", "being"):
            continue
        if pending:
            negated.add(_stem(word))
            pending = 0
        else:
            plain.add(_stem(word))
    return negated, plain


def polarity_flip(fact_words: Sequence[str], unit_words: Sequence[str]) -> str:
    """Why the clause says the opposite of the fact ("" when it does not): a word one side
    negates and the other asserts ("does not copy" / "copies"), a negative-prefix antonym
    ("immutable" / "mutable"), or an antonym of a short list ("same" / "new"). An odd number
    of these flips the meaning; "not mutable" against "immutable" is two, so none."""
    fact_negated, fact_plain = _negated(fact_words)
    unit_negated, unit_plain = _negated(unit_words)
    reasons = []
    flips = 0
    if (fact_negated & unit_plain) or (unit_negated & fact_plain):
        flips += 1
        reasons.append("negation")
    fact_set, unit_set = set(fact_words), set(unit_words)
    only_fact, only_unit = fact_set - unit_set, unit_set - fact_set
    for word in only_unit - _NOT_NEGATIVE:
        if _stem(word) in unit_negated:
            continue  # "not mutable": the negation already says "immutable"
        for prefix in _PREFIXES:
            stem = word[len(prefix) :] if word.startswith(prefix) else ""
            if len(stem) < 4 and prefix + word not in only_fact:
                continue
            counterpart = prefix + word if prefix + word in only_fact else stem
            if counterpart in only_fact and _stem(counterpart) not in fact_negated:
                flips += 1
                reasons.append(f"\u201c{word}\u201d")
                break
    for a, b in ANTONYMS:
        if (a in only_fact and b in only_unit) or (b in only_fact and a in only_unit):
            flips += 1
            reasons.append(f"\u201c{b if b in only_unit else a}\u201d")
    return ", ".join(reasons) if flips % 2 else ""


def _criterion_claim(criterion: str) -> str:
    return _CRITERION_VERB.sub("", criterion).strip().rstrip(".") or criterion


def reference_clauses(reference: str) -> list[str]:
    clauses = []
    for span in split_sentences(reference):
        if span.code:
            continue
        for part in _CLAUSE.split(span.text):
            if part and len(_words(part)) >= 2:
                clauses.append(part.strip().rstrip("."))
    return clauses


def _embed(texts: list[str], *, multilingual: bool) -> np.ndarray:
    return embed_multilingual(texts) if multilingual else embed_texts(texts)


@lru_cache(maxsize=512)
def _embedded(texts: tuple[str, ...], multilingual: bool = False) -> np.ndarray:
    """Facts, wrong claims and question sentences repeat for every answer of an assignment."""
    return _embed(list(texts), multilingual=multilingual)


def _scaled(similarity: np.ndarray, *, multilingual: bool, across: bool = False) -> np.ndarray:
    """Cosines on MiniLM's scale, whichever model gave them (see E5_SCALE); `across` when the
    two sides are in different languages."""
    if not multilingual:
        return similarity
    slope, intercept = E5_CROSS_SCALE if across else E5_SCALE
    return np.clip(similarity * slope + intercept, -1.0, 1.0)


def criteria_specs(
    *, reference: str, rubric: Sequence[dict[str, object]], question: str = ""
) -> list[CriterionSpec]:
    """Each criterion's facts and wrong claims: the rubric's own, else drafted from the
    criterion and the reference answer's clause closest to it (one about the same subject: "it
    is true when the objects are equal", after "== compares values", is not about `is`)."""
    clauses = reference_clauses(reference)
    drafted_for = [i for i, item in enumerate(rubric) if not item.get("facts")]
    best_clause: dict[int, list[str]] = {}
    if drafted_for and clauses:
        claims = [_criterion_claim(str(item["criterion"])) for item in rubric]
        multilingual = text_language(reference) == "zh"  # MiniLM reads Chinese as noise
        vectors = _embedded(tuple(claims + clauses), multilingual)
        sims = _scaled(
            vectors[: len(claims)] @ vectors[len(claims) :].T,
            multilingual=multilingual,
        )
        # Each reference clause belongs to the criterion it is closest to: "== compares values"
        # is not a phrasing of the criterion about `is`, however close.
        entities = code_entities(question)
        wanted = [subject(claim, entities) for claim in claims]
        known = set(wanted) - {"", PRONOUN}
        about = resolve([subject(clause, entities) for clause in clauses], known)
        for index, target in enumerate(wanted):
            if target in known:
                # A clause about another criterion's subject is no phrasing of this one.
                sims[index, [j for j, a in enumerate(about) if a in known and a != target]] = -1.0
        owner = sims.argmax(axis=0)
        for index in drafted_for:
            row = sims[index]
            mine = [j for j in np.argsort(-row) if owner[j] == index and row[j] >= 0.4][:2]
            best_clause[index] = [clauses[j] for j in (mine or [int(np.argmax(row))])]
    specs = []
    for index, item in enumerate(rubric):
        criterion = str(item["criterion"])
        written = [str(f) for f in item.get("facts", []) or []]  # type: ignore[attr-defined]
        if written:
            facts = tuple(Fact(text, (text,), False) for text in written)
        else:
            claim = _criterion_claim(criterion)
            phrasings = tuple(dict.fromkeys([claim, *best_clause.get(index, [])]))
            # Shown as the reference's own words (its closest clause) when there is one.
            facts = (Fact(phrasings[1] if len(phrasings) > 1 else claim, phrasings, True),)
        wrong = tuple(str(w) for w in item.get("wrong", []) or [])  # type: ignore[attr-defined]
        drafts = tuple(str(w) for w in item.get("wrong_drafted", []) or [])  # type: ignore[attr-defined]
        points = float(item["points"])  # type: ignore[arg-type]
        specs.append(CriterionSpec(criterion, points, facts, wrong, drafts))
    return specs


def _credit(similarity: float) -> float:
    return float(np.clip((similarity - SIMILARITY_LOW) / (SIMILARITY_HIGH - SIMILARITY_LOW), 0, 1))


def evidence_grade(
    *,
    question: str,
    answer: str,
    reference: str,
    rubric: Sequence[dict[str, object]],
    specs: list[CriterionSpec] | None = None,
) -> EvidenceGrade:
    specs = (
        specs
        if specs is not None
        else criteria_specs(reference=reference, rubric=rubric, question=question)
    )
    units = answer_units(answer)
    claims = [u for u in units if u.claim]
    foreign = is_foreign(answer, reference)
    # An answer in another language than the reference, or a Chinese course's, is read by the
    # multilingual model, both sides (facts, question, answer) with it: MiniLM reads English only.
    multilingual = foreign or text_language(reference) == "zh"
    flags = []
    if foreign:
        flags.append("foreign")
    if not claims:
        flags.append("no_claim")

    phrasings = [
        (ci, fi, p)
        for ci, spec in enumerate(specs)
        for fi, fact in enumerate(spec.facts)
        for p in fact.phrasings
    ]
    wrongs = [(ci, w) for ci, s in enumerate(specs) for w in s.wrong]
    # The question's sentences and their clauses: an answer that copies part of it back.
    question_sentences = [s.text for s in split_sentences(question) if not s.code] or [question]
    question_sentences += [
        c.strip()
        for sentence in question_sentences
        for c in _CLAUSE.split(sentence)
        if c and c.strip() != sentence.strip() and len(_words(c)) >= 3
    ]
    fixed = _embedded(
        (*[p for _, _, p in phrasings], *[w for _, w in wrongs], *question_sentences, reference),
        multilingual,
    )
    fact_vecs = fixed[: len(phrasings)]
    wrong_vecs = fixed[len(phrasings) : len(phrasings) + len(wrongs)]
    question_vecs = fixed[len(phrasings) + len(wrongs) : -1]
    reference_vec = fixed[-1]

    unit_vecs = _embed(
        [answer.strip() or "-", *[u.text for u in claims]], multilingual=multilingual
    )
    similarity = float(
        _scaled(unit_vecs[0] @ reference_vec, multilingual=multilingual, across=foreign)
    )
    claim_vecs = unit_vecs[1:]
    # Similarity of every claim to every phrasing of every fact; a fact's similarity is its
    # closest phrasing's.
    by_phrasing = (
        _scaled(claim_vecs @ fact_vecs.T, multilingual=multilingual, across=foreign)
        if len(claims)
        else np.zeros((0, len(phrasings)))
    )
    fact_keys = sorted({(ci, fi) for ci, fi, _ in phrasings})
    fact_sim = np.zeros((len(claims), len(fact_keys)))
    for k, key in enumerate(fact_keys):
        columns = [j for j, (ci, fi, _) in enumerate(phrasings) if (ci, fi) == key]
        if len(claims):
            fact_sim[:, k] = by_phrasing[:, columns].max(axis=1)
    nearest = fact_sim.max(axis=1) if len(fact_keys) and len(claims) else np.zeros(len(claims))
    to_question = (
        _scaled(claim_vecs @ question_vecs.T, multilingual=multilingual, across=foreign).max(axis=1)
        if len(claims)
        else np.zeros(len(claims))
    )
    to_wrong = (
        _scaled(claim_vecs @ wrong_vecs.T, multilingual=multilingual, across=foreign)
        if len(wrongs) and len(claims)
        else None
    )
    question_terms = terms(question)
    # Subjects the rubric's facts are about ("list", "tuple", "=="): a clause about one of them
    # is no evidence about a fact on another ("tuples cannot change" says nothing of lists), and
    # when it is closer to that fact than to its own subject's, it says the fact with the roles
    # reversed ("is checks whether the values are equal").
    entities = code_entities(question)
    subjects = {
        key: {subject(p, entities) for ci, fi, p in phrasings if (ci, fi) == key} - {"", PRONOUN}
        for key in fact_keys
    }
    rubric_subjects = set().union(*subjects.values()) if subjects else set()
    claim_names = [names(unit.text) for unit in claims]
    claim_subjects = resolve([subject(unit.text, entities) for unit in claims], rubric_subjects)

    # Roles swapped: a clause about one subject of the rubric that, with that subject exchanged
    # for a fact's ("is checks whether the values are equal" -> "== checks whether ..."), states
    # the fact far better than it states anything true of its own subject.
    candidates: list[tuple[int, int, str]] = []
    for u, unit in enumerate(claims):
        about = claim_subjects[u]
        if about not in rubric_subjects or not unit.atomic or _elliptical(unit.words):
            continue
        for k, key in enumerate(fact_keys):
            if about in subjects[key] or fact_sim[u, k] < CONTRADICTION_MIN:
                continue
            for other in sorted(subjects[key]):
                rewritten = exchange(unit.text, about, other)
                if rewritten != unit.text:
                    candidates.append((u, k, rewritten))
    swapped: dict[tuple[int, int], float] = {}
    if candidates:
        vectors = _embed([text for _, _, text in candidates], multilingual=multilingual)
        exchanged_sim = _scaled(vectors @ fact_vecs.T, multilingual=multilingual, across=foreign)
        for row, (u, k, _text) in enumerate(candidates):
            columns = [j for j, (ci, fi, _p) in enumerate(phrasings) if (ci, fi) == fact_keys[k]]
            top = float(exchanged_sim[row, columns].max())
            swapped[(u, k)] = max(swapped.get((u, k), 0.0), top)

    def _flipped(unit: _Unit, columns: list[int], u: int) -> str:
        """Why the clause says the opposite of the fact ("" when it does not), against each
        phrasing of the fact it is close to: "a new list" flips "the same list" even if "does
        not copy" is the closer one. In another language the words cannot be compared (and
        its negations do not map onto English ones: "ne ... que" means "only"), so only values
        and code can contradict there."""
        if unit.code or foreign:
            return ""
        for j in columns:
            if by_phrasing[u, j] >= CONTRADICTION_MIN:
                flip = polarity_flip(_words(phrasings[j][2]), unit.words)
                if flip:
                    return flip
        return ""

    results = []
    for ci, spec in enumerate(specs):
        evidence: list[Evidence] = []
        contradicted = False
        for fi, fact in enumerate(spec.facts):
            k = fact_keys.index((ci, fi))
            columns = [j for j, (a, b, _p) in enumerate(phrasings) if (a, b) == (ci, fi)]
            fact_values = set().union(*(_values(p) for p in fact.phrasings))
            fact_terms = {t for p in fact.phrasings for t in terms(p)}
            novel = fact_terms - question_terms
            best: tuple[float, int] | None = None
            by_value: int | None = None  # a clause with the fact's values, in any language
            against: Evidence | None = None
            for u, unit in enumerate(claims):
                sim = float(fact_sim[u, k])
                about = claim_subjects[u]
                if (
                    about in rubric_subjects
                    and subjects[(ci, fi)]
                    and about not in subjects[(ci, fi)]
                    and not {n for n in subjects[(ci, fi)] if n not in STOPWORDS} & claim_names[u]
                ):
                    # About another subject of the rubric: no evidence for this fact, or, if it
                    # is this fact said of that subject, evidence against it.
                    own = [j for j, key in enumerate(fact_keys) if about in subjects[key]]
                    closest = max(float(fact_sim[u, j]) for j in own)
                    exchanged = swapped.get((u, k), 0.0)
                    if (
                        against is None
                        and exchanged >= SWAP_MIN
                        and exchanged >= closest + SWAP_MARGIN
                        and not _flipped(unit, columns, u)
                    ):
                        why = (
                            f"says it of \u201c{about}\u201d; the fact is about "
                            f"\u201c{' / '.join(sorted(subjects[(ci, fi)]))}\u201d (roles swapped)"
                        )
                        against = Evidence(fact.text, "contradicted", unit.sentence, why, 0.0)
                    continue
                unit_terms = terms(unit.text)
                says_new = bool(unit_terms & novel) or sim > float(to_question[u]) + NOVELTY_MARGIN
                if not says_new:
                    continue
                if (
                    sim >= CONTRADICTION_MIN
                    and sim >= float(nearest[u]) - 2 * NEAREST_MARGIN  # about this fact
                    and against is None
                    and unit.atomic
                    and not _elliptical(unit.words)
                ):
                    # Polarity against each phrasing of the fact the clause is close to: "a new
                    # list" flips "the same list" even if "does not copy" is the closer one.
                    flip = _flipped(unit, columns, u)
                    clash = values_conflict(fact_values, _values(unit.text))
                    if (flip and (foreign or unit_terms & fact_terms)) or clash:
                        why = (
                            f"says {clash} where the fact has {', '.join(sorted(fact_values))}"
                            if clash
                            else f"opposite of the fact ({flip})"
                        )
                        against = Evidence(fact.text, "contradicted", unit.sentence, why, 0.0)
                        continue
                states_values = bool(fact_values & _values(unit.text)) and sim >= VALUE_MATCH_MIN
                if foreign and states_values:
                    by_value = u  # the values are the one thing read alike in every language
                if sim < float(nearest[u]) - NEAREST_MARGIN or _elliptical(unit.words):
                    continue  # about another fact, or "... but a list cannot": incomplete
                if states_values:
                    by_value = u
                if best is None or sim > best[0]:
                    best = (sim, u)
            if against is not None:
                evidence.append(against)
                contradicted = True
                continue
            if (best is None or _credit(best[0]) == 0) and by_value is not None:
                best = (float(fact_sim[by_value, k]), by_value)
            if best is None or (_credit(best[0]) == 0 and by_value is None):
                evidence.append(
                    Evidence(fact.text, "missing", "", gettext_noop("no sentence states it"), 0.0)
                )
                continue
            sim, u = best
            if by_value is not None and not fact_values & _values(claims[u].text):
                sim, u = float(fact_sim[by_value, k]), by_value  # the clause with the values
            credit = _credit(sim)
            unit = claims[u]
            why = f"similarity {sim:.2f}"
            if fact_values:
                if fact_values & _values(unit.text):
                    credit = max(credit, 0.9)
                    why += ", same values"
                else:
                    credit *= 0.7
                    why += ", without the fact's values"
            verdict = "stated" if credit >= 0.6 else "partly"
            evidence.append(Evidence(fact.text, verdict, unit.sentence, why, credit))
        # A known wrong claim stated anywhere in the answer costs the criterion.
        if to_wrong is not None:
            for wj, (wci, wrong) in enumerate(wrongs):
                if wci != ci:
                    continue
                for u, unit in enumerate(claims):
                    sim = float(to_wrong[u, wj])
                    if (
                        sim >= WRONG_CLAIM_MIN
                        and sim >= float(nearest[u])
                        and not polarity_flip(_words(wrong), unit.words)
                    ):
                        # Stored in English; the page translates the fixed reasons.
                        why = gettext_noop("states a known wrong claim")
                        evidence.append(Evidence(wrong, "contradicted", unit.sentence, why, 0.0))
                        contradicted = True
                        break
        credits = [e.credit for e in evidence if e.fact in {f.text for f in spec.facts}]
        raw = 0.0 if contradicted else (float(np.mean(credits)) if credits else 0.0)
        results.append(CriterionResult(spec.criterion, spec.points, raw, evidence, contradicted))

    total = sum(r.points for r in results) or 1.0
    fraction = sum(r.points * r.raw for r in results) / total
    # Sure where the evidence is clear (stated or contradicted or absent), unsure in between.
    decisiveness = [abs(r.raw - 0.5) * 2 for r in results] or [0.0]
    confidence = float(np.mean(decisiveness)) * (0.5 if foreign else 1.0)
    return EvidenceGrade(
        criteria=results,
        fraction=fraction,
        similarity=round(similarity, 3),
        confidence=round(confidence, 3),
        foreign=foreign,
        claims=len(claims),
        flags=flags,
    )
