"""Guess a text's language from its most common short words."""

from __future__ import annotations

import re
from collections import Counter

# Words frequent in one language and rare in the others of this list.
STOP_WORDS = {
    "en": [
        "the",
        "and",
        "of",
        "to",
        "in",
        "is",
        "that",
        "for",
        "it",
        "with",
        "as",
        "was",
        "on",
        "are",
        "be",
        "by",
        "this",
        "which",
    ],
    "es": [
        "el",
        "la",
        "los",
        "las",
        "de",
        "que",
        "y",
        "en",
        "un",
        "una",
        "es",
        "por",
        "con",
        "para",
        "del",
        "se",
        "su",
        "al",
    ],
    "fr": [
        "le",
        "la",
        "les",
        "des",
        "et",
        "est",
        "un",
        "une",
        "que",
        "dans",
        "pour",
        "qui",
        "sur",
        "pas",
        "du",
        "au",
        "avec",
    ],
    "de": [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "mit",
        "den",
        "von",
        "zu",
        "ein",
        "eine",
        "sich",
        "auf",
        "für",
        "dem",
    ],
    "pt": [
        "o",
        "os",
        "as",
        "de",
        "que",
        "e",
        "do",
        "da",
        "em",
        "um",
        "uma",
        "para",
        "com",
        "não",
        "dos",
        "das",
        "se",
    ],
    "it": [
        "il",
        "la",
        "di",
        "che",
        "e",
        "per",
        "un",
        "una",
        "non",
        "sono",
        "della",
        "del",
        "con",
        "gli",
        "le",
        "nel",
    ],
}
_WORD_RE = re.compile(r"[^\W\d_]+")
_SAMPLE_WORDS = 3000


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "" when the evidence is thin."""
    words = Counter()
    for n, match in enumerate(_WORD_RE.finditer(text)):
        if n >= _SAMPLE_WORDS:
            break
        words[match.group().lower()] += 1
    total = sum(words.values())
    if total < 5:
        return ""
    scores = sorted(
        ((sum(words[w] for w in stop), code) for code, stop in STOP_WORDS.items()),
        reverse=True,
    )
    (best, code), (second, _) = scores[0], scores[1]
    # Function words make up a third or more of running text; demand a clear lead.
    if best < 0.12 * total or best < 1.5 * second:
        return ""
    return code
