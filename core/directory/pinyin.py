"""Directory names as Chinese users type them: in full pinyin (`hengxin` → 恒信…) and by initials (`hxfm` → 恒信阀门).

Every enterprise and institution keeps, next to its name, the name's pinyin without tones or spaces
(`name_pinyin`, "tielingshihengxinfamenyouxiangongsi") and its initials (`name_initials`, "tlshxfmyxgs"). The services
fill them when a name is saved (`search_names_fill`: create, update, import; never `save()`), and the search matches
a query of Latin letters against them (`core.directory.selectors`).

Readings are pypinyin's default ones, which take a character's reading from the words it is in (重庆 chongqing,
银行 yinhang). Other readings of a character (heteronyms) are left out: pypinyin's lists hold mostly archaic ones
(市 fu, 信 shen), which would only add false matches and multiply the initials kept per name.

Latin letters and digits in a name are kept as they are, lower case (TCL电子 → "tcldianzi", "tcldz"); anything else
(brackets, punctuation) is left out.
"""

import re

from pypinyin import lazy_pinyin

from core.common.text import text_nfkc

_KEPT = re.compile(r"[a-z0-9]+")
_TYPED_SEPARATORS = re.compile(r"[\s'’·]+")
_LETTERS = re.compile(r"[a-z]+")
# Queries of Latin letters at least this long are also looked for in the names' pinyin and initials.
PINYIN_MIN_LENGTH = 2
# From this length on, a query is also looked for inside the full pinyin (two letters are in almost every name's).
FULL_PINYIN_MIN_LENGTH = 3


_OTHER = "\x01"  # marks what pypinyin returns for characters that are not Chinese


def _syllables(name: str) -> list[tuple[str, bool]]:
    """The name's syllables in lower case (ü as v, as pinyin keyboards type it), each with whether it is the
    reading of a Chinese character; runs of Latin letters and digits come as one syllable each."""
    syllables = []
    for part in lazy_pinyin(name.lower(), errors=lambda chars: [_OTHER + chars]):
        chinese = not part.startswith(_OTHER)
        syllables.extend((run, chinese) for run in _KEPT.findall(part))
    return syllables


def search_names(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of `name`, as kept in `name_pinyin` and `name_initials`."""
    syllables = _syllables(text_nfkc(name))
    full = "".join(syllable for syllable, _chinese in syllables)
    initials = "".join(syllable[0] if chinese else syllable for syllable, chinese in syllables)
    return full, initials


def search_names_fill(entry) -> None:
    """Normalise `entry`'s name (NFKC, trimmed) and set its pinyin and initials from it."""
    entry.name = text_nfkc(entry.name or "").strip()
    entry.name_pinyin, entry.name_initials = search_names(entry.name)


def pinyin_query(q: str) -> str:
    """`q` as a pinyin or initials query (lower case, without the spaces and apostrophes people type between
    syllables), or "" if it is not one: Latin letters only, at least `PINYIN_MIN_LENGTH` of them."""
    letters = _TYPED_SEPARATORS.sub("", text_nfkc(q)).lower()
    return letters if len(letters) >= PINYIN_MIN_LENGTH and _LETTERS.fullmatch(letters) else ""
