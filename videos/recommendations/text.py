"""Words of questions and video texts, for BM25 and for local topic extraction.

Lower-cased word tokens, English stop words (including the words teachers wrap questions
in: "explain", "which of the following"), and a light suffix stemmer so that "derivatives",
"derivative" and "differentiating"/"differentiate" meet. Deliberately small: the semantic
ranker handles paraphrase; this only has to make exact-ish matches robust."""

import functools
import re
from collections import Counter

APOSTROPHES = "'\u2019"
WORD_PATTERN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)

_STOP_WORDS_TEXT = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could did do does doing don down during
    each either else ever every few for from further get gets got had has have having he her
    here hers herself him himself his how however i if in into is isn it its itself just least
    less let like made make makes many may me might more most much must my myself neither no
    nor not now of off often on once one only or other others our ours ourselves out over own
    per rather same shall she should since so some such than that the their theirs them
    themselves then there these they this those though through thus to too toward towards
    under until up upon us use used uses using very via was wasn we were what whatever when
    where whereas whether which while who whom whose why will with within without would yet
    you your yours yourself yourselves
    answer answers best briefly calculate choose complete compute consider correct correctly
    define describe determine discuss does done explain express false find following give
    given identify important indicate justify mark note options pick question questions
    select show shown showing solve statement statements student students suppose true way
    ways write ignoring ignore neglecting neglect assuming assume tell tells need needs
    video videos lesson lessons tutorial tutorials lecture lectures part episode intro
    introduction learn learning watch subscribe channel today chapter chapters minute minutes
    ll ve re s t d m
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# Longest first; each rule is (suffix, replacement, minimum stem length left).
SUFFIX_RULES = (
    ("ational", "ate", 3),
    ("ization", "ize", 3),
    ("isation", "ize", 3),
    ("iveness", "ive", 3),
    ("fulness", "ful", 3),
    ("ousness", "ous", 3),
    ("ations", "ate", 3),
    ("ation", "ate", 3),
    ("ities", "ity", 3),
    ("ments", "ment", 3),
    ("ingly", "", 4),
    ("iness", "y", 3),
    ("ness", "", 4),
    ("ical", "ic", 3),
    ("ings", "", 4),
    ("ies", "y", 3),
    ("ing", "", 4),
    ("ied", "y", 3),
    ("ed", "", 4),
    ("es", "", 4),
    ("ly", "", 4),
    ("s", "", 3),
)
NO_STEM = frozenset({"always", "analysis", "basis", "bias", "calculus", "gas", "mass", "physics"})


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light English stemmer: plural, -ing, -ed, -ation and a few more suffixes; a final
    "e" is dropped so that "derivate"/"derivation" and "integrate"/"integration" meet.
    Memoised: a refresh stems the same few thousand words over and over."""
    if len(word) <= 3 or word in NO_STEM or word.isdigit():
        return word
    for suffix, replacement, minimum in SUFFIX_RULES:
        if word.endswith(suffix) and len(word) - len(suffix) >= minimum:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-cased word tokens, apostrophes folded ("Newton's" → "newtons")."""
    return [
        token.replace(APOSTROPHES[0], "").replace(APOSTROPHES[1], "")
        for token in WORD_PATTERN.findall(text.lower())
    ]


def terms(text: str) -> list[str]:
    """Stemmed content words, in order, repeats kept (for term frequencies)."""
    return [stem(word) for word in words(text) if word not in STOP_WORDS and len(word) > 1]


def surface_forms(text: str) -> dict[str, str]:
    """The first word seen for each stem, to show matched terms as people wrote them."""
    forms: dict[str, str] = {}
    for word in words(text):
        if word not in STOP_WORDS and len(word) > 1:
            forms.setdefault(stem(word), word)
    return forms


def top_terms(text: str, count: int) -> list[str]:
    """The `count` most frequent content words (surface forms), first seen first on ties."""
    forms = surface_forms(text)
    frequencies = Counter(terms(text))
    ranked = sorted(frequencies, key=lambda term: -frequencies[term])
    return [forms[term] for term in ranked[:count] if term in forms]
