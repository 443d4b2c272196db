"""The error tree: str() prints every item of context, location first, and errors survive pickling."""

from __future__ import annotations

import pickle

import pytest

from generator.core.errors import (
    AdgenError,
    AssetError,
    CatalogError,
    ConfigError,
    EncodeError,
    PlanError,
    RenderError,
    StoreError,
    TemplateError,
)


def test_the_location_comes_first_in_a_fixed_order_and_other_context_follows_the_message() -> None:
    # Given out of order on purpose: the location's order is fixed, the rest keeps the order given.
    error = CatalogError(
        "price must be positive",
        rule="a number above 0",
        column="price",
        row=7,
        path="images/a.png",
        line=8,
        file="catalog.csv",
        sku="SKU-1",
    )
    assert str(error) == (
        "catalog.csv:8, row 7, sku SKU-1, column price: price must be positive (rule: a number above 0, path: images/a.png)"
    )
    assert error.location() == "catalog.csv:8, row 7, sku SKU-1, column price"
    assert error.details() == "rule: a number above 0, path: images/a.png"


def test_every_location_key_is_printed_in_order() -> None:
    keys = ("row", "sku", "column", "field", "shot", "frame", "key")
    error = AdgenError("m", **{key: f"<{key}>" for key in reversed(keys)}, file="f")
    assert str(error) == "f, " + ", ".join(f"{key} <{key}>" for key in keys) + ": m"


def test_context_that_locates_nothing_is_printed_after_the_message() -> None:
    error = AssetError("image file not found", path="catalog:bomb.png")
    assert str(error) == "image file not found (path: catalog:bomb.png)"
    fetched = AssetError("HTTP 404", url="https://example.com/a.png", rule="https only")
    assert str(fetched) == "HTTP 404 (url: https://example.com/a.png, rule: https only)"


def test_a_line_without_a_file_and_missing_context_read_naturally() -> None:
    assert str(ConfigError("steps must be an integer", line=3)) == "line 3: steps must be an integer"
    assert str(TemplateError("bad", file=None, line=None, field="shots[0]")) == "field shots[0]: bad"
    assert str(PlanError("no context")) == "no context"
    assert PlanError("x", shot=None).context == {}


def test_sequences_print_as_a_command_line_and_several_lines_on_lines_of_their_own() -> None:
    error = RenderError("ffprobe failed", argv=["ffprobe", "-i", "my ad.mp4"], shot="hook")
    assert str(error) == "shot hook: ffprobe failed (argv: ffprobe -i 'my ad.mp4')"
    multi = StoreError("upload refused", key="a/b.mp4", response="line one\nline two", bucket="ads")
    assert str(multi) == "key a/b.mp4: upload refused (bucket: ads)\nresponse:\nline one\nline two"


def test_an_encode_error_prints_its_context_the_command_and_the_tail_of_stderr() -> None:
    stderr = "\n".join(f"line {i}" for i in range(40))
    error = EncodeError(
        "ffmpeg exited with 1", argv=["ffmpeg", "-y", "out.mp4"], stderr=stderr, shot="hero", preset="x"
    )
    text = str(error)
    assert text.startswith("shot hero: ffmpeg exited with 1 (preset: x)\ncommand: ffmpeg -y out.mp4\nffmpeg said:\n")
    assert text.endswith("line 39") and "line 25\n" in text and "line 24\n" not in text  # the last 15 lines
    assert error.args == (text,)


@pytest.mark.parametrize(
    "error",
    [
        CatalogError("bad price", file="c.csv", line=3, row=2, column="price", rule="> 0"),
        AssetError("unreadable image", path="catalog:a.png"),
        StoreError("cannot write", key="k"),
        AdgenError("plain"),
        EncodeError("ffmpeg exited with 1", argv=["ffmpeg", "-i", "x"], stderr="boom\nbad input", shot="s"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_errors_keep_their_type_message_and_context_through_pickling(error: AdgenError) -> None:
    # What a worker process does to an error it sends back.
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (copy.message, copy.context, str(copy), copy.args) == (error.message, error.context, str(error), error.args)
    assert copy.exit_code == error.exit_code
