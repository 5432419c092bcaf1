"""check_markdown skips a scan when counting shows it cannot pass the budget
(content/limits.py `_may_exceed`). That is sound only if each opener costs at
most the text's length: checked here on random texts, and on the hostile ones
the scans exist for, which must still be caught."""

from __future__ import annotations

import random

from generator.content.limits import SCAN_BUDGET, Limits, _angle_work, _bracket_work, check_markdown


def random_texts(count: int) -> list[str]:
    rng = random.Random(5)
    pieces = ["[", "]", "(", ")", "](", "\\[", "\\]", "<", ">", "a", "word ", "\n", "[x](y)", "<b>"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 300))) for _ in range(3000)]


def test_each_opener_costs_at_most_the_texts_length():
    for text in random_texts(3000):
        assert _bracket_work(text) <= (text.count("[") + text.count("](")) * len(text), text
        assert _angle_work(text) <= text.count("<") * len(text), text


def test_hostile_paragraphs_are_still_caught():
    unclosed = "[" * 3000 + "x" * 3000
    angles = "<" * 3000 + "x" * 3000
    assert _bracket_work(unclosed) > SCAN_BUDGET and _angle_work(angles) > SCAN_BUDGET
    assert any("never closed" in p.message for p in check_markdown(unclosed, Limits()))
    assert any("never closed by `>`" in p.message for p in check_markdown(angles, Limits()))
    assert check_markdown("A [link](/to) and <b>bold</b> text.\n" * 50, Limits()) == []
