"""Search, the pure part: text folded for matching (case and accents), the query
language members type, and where a query's words fall in a text.

- `fold` lowers the case and strips accents ("Guzmán" matches "guzman", "Peña"
  "pena"); `tokens` cuts folded text into words (runs of letters and digits),
  each with the code-point range it came from in the original text.
- `parse` reads a query: words (all must match), "exact phrases", -excluded
  words or phrases, OR between two of them, and prefix* words; a malformed one
  raises QueryError with a message for the member.
- `hits` finds each occurrence of a query's wanted words and phrases in a text,
  as code-point ranges of the original text (for keyword-in-context lines).
- `exact` reads a query of characters to find as they are (punctuation
  too, in any case), for the search's exact mode.
- `fts5` and `tsquery` write a query for SQLite's FTS5 and PostgreSQL's
  `tsquery`, over texts indexed as their folded words (`indexed`).

No Django here: tested and benchmarked alone.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

# A query of more than this many words is refused (each is a join or a scan).
MAX_WORDS = 32
# A prefix (a word ending in *) is read as every word of the index it starts:
# it needs this many letters, and a query this many prefixes at most (on the
# bench's corpus, "a*" took 1.3 s, the 26 letters' prefixes joined by OR 8 s;
# "sta*" 0.2 s).
MIN_PREFIX = 3
MAX_PREFIXES = 10
MAX_QUERY_CHARS = 500


class QueryError(ValueError):
    """A query that cannot be read; the message says why, for the member."""


@functools.cache
def _marks() -> re.Pattern:
    """The combining marks (accents) of the Basic Multilingual Plane, as one
    character class: a regular expression takes them out of a megabyte in 10 ms
    (str.translate: 60 ms; one character at a time: ten times that). Made when
    first needed (30 ms), not as a worker starts."""
    return re.compile(
        "["
        + "".join(
            re.escape(chr(point))
            for point in range(0x300, 0x10000)
            if unicodedata.combining(chr(point))
        )
        + "]+"
    )


def fold(text: str) -> str:
    """Lower case, without accents: what matching compares."""
    if text.isascii():
        return text.lower()
    return _marks().sub("", unicodedata.normalize("NFKD", text)).casefold()


class Token(NamedTuple):
    # A tuple, not a dataclass: a long text has a hundred thousand of them, and
    # a tuple is made three times faster.
    word: str  # folded
    start: int  # code points into the original text
    end: int


_WORD = re.compile(r"[^\W_]+")
# A word with a letter or digit that is not ASCII: from a word's start (else
# each letter of a long ASCII word would begin a search to its end: "é" and
# 32,000 letters took 10 s).
_NON_ASCII_WORD = re.compile(r"(?<![^\W_])[^\W_]*[^\W_\x00-\x7f][^\W_]*")
# PostgreSQL refuses a lexeme of 2 KB; no word is this long.
MAX_WORD_CHARS = 200


def tokens(text: str) -> list[Token]:
    """The words of `text`, folded, with where each stands in `text`. A word is
    a run of letters and digits of the original text; folding a character may
    make it longer ("ß" is "ss") or split it ("ﬁ" is "fi"), never move it."""
    found = []
    append = found.append
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isascii():  # most words: lower case is all folding does
            append(Token(word.lower()[:MAX_WORD_CHARS], match.start(), match.end()))
            continue
        # Folding may leave something that is not a word character (a
        # ligature's parts are letters; a mark alone is dropped).
        for part in _WORD.findall(fold(word)):
            append(Token(part[:MAX_WORD_CHARS], match.start(), match.end()))
    return found


def indexed(text: str) -> str:
    """What the full-text index holds for `text`: the words `tokens` finds,
    one space between each, each folded as `tokens` folds it (the word
    alone). Each character of the text that is not ASCII is replaced by its
    folding, which the same character always has, then bytes.translate
    lowers the case and cuts the words (a 1 MB text: 22 ms; folding it whole
    and a regular expression's words: 48). A text of many such characters
    (Chinese: a passage holds a hundred), or mostly of them, is folded
    whole, as replacing each in turn would read it once for each. A text in
    which a character that is no word folds to letters or to nothing ("™"
    folds to "TM", so "A™B" would be one word, "atmb"; a combining mark left
    alone is dropped, joining the words on its sides) is folded word by
    word."""
    folded = text
    if not text.isascii():
        # Mostly not ASCII (its UTF-8 a quarter longer, or more): only the
        # characters that are no word are looked at one by one.
        mostly = len(text.encode("utf-8", "surrogatepass")) * 4 > len(text) * 5
        characters = set((_NOT_A_WORD if mostly else _NOT_ASCII).findall(text))
        words = None
        if not all(map(_stays_apart, characters)):
            words = _WORD.findall(_NON_ASCII_WORD.sub(_folded_word, text).lower())
        elif mostly or len(characters) > REPLACED_AT_MOST:
            words = _WORD.findall(fold(text))
        if words is not None:
            return " ".join(word[:MAX_WORD_CHARS] for word in words)
        for character in characters:
            folded = folded.replace(character, _becomes(character))
    cut = folded.encode().translate(_CUT).split()
    if cut and max(map(len, cut)) > MAX_WORD_CHARS:  # bytes: at least as long
        return " ".join(word.decode()[:MAX_WORD_CHARS] for word in cut)
    return b" ".join(cut).decode()


# A character that is not ASCII; one that is neither ASCII nor a word's.
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_NOT_A_WORD = re.compile(r"[^\w\x00-\x7f]")
# The most characters that are not ASCII indexed() replaces one at a time.
REPLACED_AT_MOST = 24
# Bytes of UTF-8 cut into words: an ASCII letter lowered, a digit kept, any
# other ASCII character a space; the bytes of a character that is not ASCII
# kept (indexed() has made those that are no word spaces).
_CUT = bytes(
    ((ord(chr(byte).lower()) if chr(byte).isalnum() else 0x20) if byte < 0x80 else byte)
    for byte in range(256)
)


@functools.lru_cache(maxsize=4096)
def _stays_apart(character: str) -> bool:
    """Whether a character that is not ASCII is a word's, or is none and
    keeps the words on its sides apart once folded (else a text holding it
    is folded word by word)."""
    return bool(_WORD.fullmatch(character)) or _folds_apart(character)


@functools.lru_cache(maxsize=4096)
def _becomes(character: str) -> str:
    """A character that is not ASCII, folded, with a space for what is no
    word (a letter that is not ASCII, once folded, folds to itself: tested
    over every character, so the order of indexed()'s replacements does not
    matter)."""
    return "".join(
        part if part.isascii() or _WORD.fullmatch(part) else " "
        for part in fold(character)
    )


@functools.lru_cache(maxsize=4096)
def _folds_apart(character: str) -> bool:
    """Whether a character that is no word still is none, and still keeps
    the words on its sides apart, once folded."""
    folded = fold(character)
    return bool(folded) and not _WORD.search(folded)


def _folded_word(match: re.Match) -> str:
    # Folding a word may leave more than one (a ligature's parts are letters;
    # a mark alone is dropped): a space between each.
    return " ".join(_WORD.findall(fold(match.group())))


@dataclass(frozen=True)
class Term:
    """A word or a phrase (words in a row); `prefix`: its last word may be the
    start of a longer one."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    """All of `wanted` (each a choice between terms: any of them), none of
    `excluded`."""

    wanted: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    @property
    def terms(self) -> list[Term]:
        return [term for choice in self.wanted for term in choice]


_PIECE = re.compile(r'\s*(-?)(?:"([^"]*)"|(\S+))')


def parse(text: str) -> Query:
    """Read a query; raise QueryError when it cannot be read."""
    text = text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"A query has at most {MAX_QUERY_CHARS} characters.")
    if text.count('"') % 2:
        raise QueryError('A quotation mark is not closed: close the "phrase".')
    pieces: list[tuple[bool, Term | None, bool]] = []  # (excluded, term, is OR)
    position = 0
    while position < len(text):
        match = _PIECE.match(text, position)
        if match is None or match.end() == position:
            break
        position = match.end()
        minus, phrase, word = match.groups()
        if phrase is None and word == "OR" and not minus:
            pieces.append((False, None, True))
            continue
        raw = phrase if phrase is not None else word
        prefix = phrase is None and raw.endswith("*")
        words = tuple(token.word for token in tokens(raw.rstrip("*")))
        if not words:
            if raw.strip("*") == "" and raw:
                raise QueryError("A * ends a word: write the start of one before it.")
            continue  # punctuation alone finds nothing and asks for nothing
        if prefix and len(words[-1]) < MIN_PREFIX:
            raise QueryError(
                f"A word ending in * needs at least {MIN_PREFIX} letters before "
                f"the *: “{raw}” would find too many words."
            )
        pieces.append((bool(minus), Term(words, prefix), False))
    wanted: list[list[Term]] = []
    excluded: list[Term] = []
    joining = False
    for index, (minus, term, is_or) in enumerate(pieces):
        if is_or:
            before = pieces[index - 1] if index else None
            after = pieces[index + 1] if index + 1 < len(pieces) else None
            if any(side is None or side[0] or side[2] for side in (before, after)):
                raise QueryError("OR stands between two words or phrases to find.")
            joining = True
            continue
        if minus:
            excluded.append(term)
        elif joining:
            wanted[-1].append(term)
        else:
            wanted.append([term])
        joining = False
    if not wanted:
        if excluded:
            raise QueryError("Say what to find, not only what to leave out.")
        raise QueryError("Type a word to find.")
    query = Query(tuple(tuple(choice) for choice in wanted), tuple(excluded))
    if sum(len(term.words) for term in (*query.terms, *excluded)) > MAX_WORDS:
        raise QueryError(f"A query has at most {MAX_WORDS} words.")
    if sum(term.prefix for term in (*query.terms, *excluded)) > MAX_PREFIXES:
        raise QueryError(f"A query has at most {MAX_PREFIXES} words ending in *.")
    return query


def _starts(folded: list[str], term: Term) -> list[int]:
    """Where in the words (`folded`) the term begins."""
    first, rest = term.words[0], term.words[1:]
    if term.prefix and not rest:
        at = [i for i, word in enumerate(folded) if word.startswith(first)]
    else:
        at = [i for i, word in enumerate(folded) if word == first]
    if not rest:
        return at
    last = len(rest)
    found = []
    for i in at:
        following = folded[i + 1 : i + 1 + last]
        if len(following) < last or following[:-1] != list(rest[:-1]):
            continue
        end = following[-1]
        if end == rest[-1] or (term.prefix and end.startswith(rest[-1])):
            found.append(i)
    return found


def hits(
    text: str, query: Query, words: list[Token] | None = None
) -> list[tuple[int, int]]:
    """Where the query's wanted terms occur in `text`, as code-point ranges,
    in order (none if it lacks one of them or has an excluded one)."""
    if words is None:
        finders = _ascii_finders(query)
        shadow = _as_ascii(text) if finders is not None else None
        if shadow is not None:
            return _ascii_hits(shadow, *finders)
    words = tokens(text) if words is None else words
    folded = [token.word for token in words]
    if any(_starts(folded, term) for term in query.excluded):
        return []
    found: set[tuple[int, int]] = set()
    for choice in query.wanted:
        of_choice = {
            (words[at].start, words[at + len(term.words) - 1].end)
            for term in choice
            for at in _starts(folded, term)
        }
        if not of_choice:
            return []
        found |= of_choice
    return sorted(found)


def _as_ascii(text: str) -> str | None:
    """The text with each word that is not ASCII folded, if each folds to as
    many ASCII letters and digits ("Guzmán" to "guzman", not "Straße" nor
    "Øresund"): the same words at the same offsets, which _ascii_finders'
    patterns find. Else None."""
    if text.isascii():
        return text
    pieces, at = [], 0
    for match in _NON_ASCII_WORD.finditer(text):
        word = match.group()
        folded = fold(word)
        if len(folded) != len(word) or not (folded.isascii() and folded.isalnum()):
            return None
        pieces += [text[at : match.start()], folded]
        at = match.end()
    pieces.append(text[at:])
    return "".join(pieces)


# The patterns of a query: of each term of each choice, of each excluded term.
Finders = tuple[list[list[re.Pattern]], list[re.Pattern]]


@functools.lru_cache(maxsize=256)
def _ascii_finders(query: Query) -> Finders | None:
    """For an ASCII text (or one _as_ascii makes so), where folding is lower
    case alone and keeps every offset: a pattern for each term that finds
    where the term's words stand in a row, without cutting the whole text
    into words. Its letters are compared as ASCII (re.ASCII): no ASCII word
    folds to a word that is not, where a Unicode case-insensitive pattern
    would find some ("ı" finds "I"). None for a query with a word as long as
    a word is cut to (MAX_WORD_CHARS)."""
    every = [*query.terms, *query.excluded]
    if any(len(word) >= MAX_WORD_CHARS for term in every for word in term.words):
        return None

    def finder(term: Term) -> re.Pattern:
        # From a word's start (nothing of a word before it), the words with
        # anything but a word between them, up to the word's end (or, for a
        # prefix, on to it); in a lookahead, so that a phrase's hits may
        # overlap ("la la" in "la la la": two).
        words = r"[\W_]+".join(re.escape(word) for word in term.words)
        end = r"[^\W_]*" if term.prefix else r"(?![^\W_])"
        return re.compile(rf"(?<![^\W_])(?=({words}{end}))", re.ASCII | re.IGNORECASE)

    return (
        [[finder(term) for term in choice] for choice in query.wanted],
        [finder(term) for term in query.excluded],
    )


def _ascii_hits(
    text: str, wanted: list[list[re.Pattern]], excluded: list[re.Pattern]
) -> list[tuple[int, int]]:
    if any(finder.search(text) for finder in excluded):
        return []
    found: set[tuple[int, int]] = set()
    for choice in wanted:
        of_choice = {
            match.span(1) for finder in choice for match in finder.finditer(text)
        }
        if not of_choice:
            return []
        found |= of_choice
    return sorted(found)


def _quoted_fts5(term: Term) -> str:
    # Our words are letters and digits only: nothing to escape in the quotes.
    phrase = '"' + " ".join(term.words) + '"'
    return phrase + "*" if term.prefix else phrase


def fts5(query: Query) -> str:
    """The query for SQLite's FTS5 MATCH, over `indexed` text."""
    wanted = " AND ".join(
        "(" + " OR ".join(_quoted_fts5(term) for term in choice) + ")"
        for choice in query.wanted
    )
    excluded = "".join(f" NOT {_quoted_fts5(term)}" for term in query.excluded)
    return wanted + excluded


def _quoted_ts(term: Term) -> str:
    lexemes = [f"'{word}'" for word in term.words]
    if term.prefix:
        lexemes[-1] += ":*"
    joined = " <-> ".join(lexemes)
    return f"({joined})" if len(lexemes) > 1 else joined


def tsquery(query: Query) -> str:
    """The query as a PostgreSQL tsquery literal (cast, never parsed by a text
    search configuration), over `indexed` text."""
    wanted = " & ".join(
        "(" + " | ".join(_quoted_ts(term) for term in choice) + ")"
        for choice in query.wanted
    )
    excluded = "".join(f" & !{_quoted_ts(term)}" for term in query.excluded)
    return wanted + excluded


@dataclass(frozen=True)
class Exact:
    """Characters to find as they are (punctuation too), in any case."""

    text: str

    def hits(self, text: str) -> list[tuple[int, int]]:
        pattern = re.compile(re.escape(self.text), re.IGNORECASE)
        return [(found.start(), found.end()) for found in pattern.finditer(text)]


def exact(text: str) -> Exact:
    """An exact-characters query; raise QueryError when there is nothing to find."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"A query has at most {MAX_QUERY_CHARS} characters.")
    if not text.strip():
        raise QueryError("Type the characters to find.")
    return Exact(text)
