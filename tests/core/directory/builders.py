"""Builders of directory test data: a USCC as people really type or paste it."""


def full_width(code: str) -> str:
    """`code` in full-width characters, as Chinese documents and input methods give it (“９１２１…”)."""
    return "".join(chr(ord(char) + 0xFEE0) for char in code)


def spaced(code: str) -> str:
    """`code` in lower case, grouped by spaces and a hyphen as people copy it from a licence (“9121 1202-…”)."""
    code = code.lower()
    return f" {code[:4]} {code[4:8]}-{code[8:12]}\u3000{code[12:]} "
