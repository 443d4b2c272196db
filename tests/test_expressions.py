"""Expressions that fail on a row's values: a clean template error at the field's line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.core.errors import TemplateError
from generator.planning.lint import sample_product
from generator.planning.plan.compile import compile_plan
from generator.planning.templates import load_template
from tests.conftest import VOICES

TEMPLATE = """\
id: sums
version: 1
vertical: test
canvas: {{fps: 30, aspects: ["1:1"]}}
shots:
  - id: hero
    duration: 1.0
    when: "{when}"
    background: {{prompt: "studio"}}
    text:
      - {{text: "{text}", style: body, box: bottom}}
"""


@pytest.mark.parametrize(
    ("when", "text", "line", "field", "words"),
    [
        ("product.price > 1", "x", 8, "shots[0].when", "'>' not supported between instances of 'Money' and 'int'"),
        ("true", "{{ product.price + 1 }}", 11, "shots[0].text[0].text", "unsupported operand type"),
        ("true", "{{ product.title | int(0) // 0 }}", 11, "shots[0].text[0].text", "by zero"),
    ],
    ids=["a comparison", "a sum", "a division"],
)
def test_an_expression_that_fails_on_a_rows_values_is_an_error_at_its_line(
    tmp_path: Path, when: str, text: str, line: int, field: str, words: str
) -> None:
    path = tmp_path / "sums.yaml"
    path.write_text(TEMPLATE.format(when=when, text=text), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        compile_plan(load_template(path), sample_product(), "1:1", tmp_path, VOICES)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}, ") and f"field {field}: expression failed: " in message
    assert words in message


@pytest.mark.parametrize(
    ("locale", "text", "length", "spoken"),
    [
        ("en_US", "Velvet Matte Lipstick – Ruby", 30, True),  # a dash is no letter; accents are Latin letters
        ("fr_FR", "Crème brûlée à l'érable", 30, True),
        ("en_US", "Velvet Matte Lipstick – Ruby", 20, False),  # too long for a breath
        ("en_US", "抹茶ラテ", 30, False),  # an English voice would spell it out
        ("ja_JP", "抹茶ラテ", 30, True),
    ],
)
def test_speakable_keeps_a_line_the_voice_can_say_in_a_breath(
    locale: str, text: str, length: int, spoken: bool
) -> None:
    from generator.planning.templates import make_environment

    env = make_environment(locale)
    said = env.from_string("{{ text | speakable(length) }}").render(text=text, length=length)
    assert said == (text if spoken else "")
