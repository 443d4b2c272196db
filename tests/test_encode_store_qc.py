"""Command lines as data, the ffmpeg runner's errors, atomic storage and the MP4 checks."""

from __future__ import annotations

import concurrent.futures
import os
import stat
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.core.errors import EncodeError, RenderError, StoreError
from generator.core.files import atomic_write, write_atomically
from generator.orchestration.stores.store import LocalStore, safe_name
from generator.planning.plan.types import ShotPlan
from render.encode import EncodeSettings, encode_argv, encode_video, ffmpeg_executable
from render.qc import check_video, read_layout
from tests.conftest import REPO

MUSIC = REPO / "templates" / "assets" / "music" / "bed.wav"


def _frames(count: int, size: tuple[int, int]) -> list[Image.Image]:
    return [Image.new("RGB", size, (10 * i % 255, 80, 160)) for i in range(count)]


def test_argv_asks_for_h264_high_yuv420p_faststart_and_the_master_as_48_khz_aac(tmp_path: Path) -> None:
    argv = encode_argv(tmp_path / "v.mp4", size=(1080, 1920), fps=30, frames=90, audio=tmp_path / "master.wav")
    line = " ".join(argv)
    for expected in ("-c:v libx264", "-profile:v high", "-pix_fmt yuv420p", "-movflags +faststart", "-c:a aac",
                     "-frames:v 90", "-s 1080x1920", f"-i {tmp_path / 'master.wav'}", "-r 30", "-crf 20",
                     "-preset medium", "-ar 48000", "-ac 2"):  # fmt: skip
        assert expected in line
    graph = argv[argv.index("-filter_complex") + 1]
    assert argv[argv.index("-pix_fmt") + 1] == "yuv420p" and argv.index("-pix_fmt") < argv.index("-i")  # read as 4:2:0
    assert "scale" not in graph  # frames arrive in the video's colour: nothing left to convert,
    assert "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv" in graph  # and said so
    assert all(f"-{tag} bt709" in line for tag in ("colorspace", "color_primaries", "color_trc"))
    assert "atrim=duration=3.000000" in graph  # the master is mixed to the video's length; cut exactly there
    assert str(tmp_path / "v.mp4") in argv


def test_argv_for_rgb_frames_converts_them_with_the_bt709_matrix(tmp_path: Path) -> None:
    argv = encode_argv(tmp_path / "v.mp4", size=(64, 64), fps=30, frames=3, audio=None, source_format="rgb24")
    assert argv[argv.index("-pix_fmt") + 1] == "rgb24" and argv.index("-pix_fmt") < argv.index("-i")
    assert "scale=out_color_matrix=bt709:out_range=tv" in argv[argv.index("-filter_complex") + 1]


def test_argv_without_audio_has_no_audio_stream(tmp_path: Path) -> None:
    argv = encode_argv(tmp_path / "v.mp4", size=(64, 64), fps=30, frames=3, audio=None)
    assert "-c:a" not in argv and "-stream_loop" not in argv
    assert not any(part.startswith("[1") or "atrim" in part for part in argv)


def _moving(count: int, size: tuple[int, int]) -> bytes:
    """``count`` planar 4:2:0 frames of noise drifting a pixel a frame: work for x264's motion search."""
    width, height = size
    noise = np.random.default_rng(3).integers(16, 236, (height, width + count), dtype=np.uint8)
    frames = []
    for n in range(count):
        luma = np.ascontiguousarray(noise[:, n : n + width])
        frames.append(luma.tobytes() + bytes([128]) * (width * height // 2))
    return b"".join(frames)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs")
def test_the_same_frames_encode_to_the_same_bytes_on_one_cpu_and_on_all(tmp_path: Path) -> None:
    size, count = (320, 240), 48
    frames = _moving(count, size)
    videos = []
    for name, cpus in (("one", {min(os.sched_getaffinity(0))}), ("all", os.sched_getaffinity(0))):
        out = tmp_path / f"{name}.mp4"
        argv = encode_argv(out, size=size, fps=30, frames=count, audio=None, executable=ffmpeg_executable())
        subprocess.run(argv, input=frames, check=True, preexec_fn=lambda cpus=cpus: os.sched_setaffinity(0, cpus))
        videos.append(out.read_bytes())
    assert videos[0] == videos[1]


def test_x264_runs_one_thread_whatever_the_machine() -> None:
    # Frame threads make x264's rate control follow which frame finishes first: identical frames gave
    # other bytes in 1 of 20 encodes on a loaded machine at 3 threads. One thread cannot.
    argv = encode_argv(Path("v.mp4"), size=(64, 48), fps=30, frames=12, audio=None, executable="ffmpeg")
    assert argv[argv.index("-threads:v") + 1] == "1"
    assert EncodeSettings().identity()["threads"] == 1  # a key of its own: outputs made on 3 threads differ


def test_encoded_file_is_checked_against_its_plan(tmp_path: Path) -> None:
    out = tmp_path / "v.mp4"
    argv = encode_argv(out, size=(64, 48), fps=30, frames=12, audio=MUSIC, executable=ffmpeg_executable())
    encode_video(_frames(12, (64, 48)), argv, size=(64, 48))
    layout = read_layout(out)
    assert layout.top_level.index("moov") < layout.top_level.index("mdat")
    assert {(t.handler, t.samples) for t in layout.tracks if t.handler == "vide"} == {("vide", 12)}

    def plan(frames: int, size: tuple[int, int]) -> ShotPlan:
        return ShotPlan.model_construct(frames=frames, size=size, audio=object(), fps=30)

    check_video(out, plan(12, (64, 48)))
    with pytest.raises(RenderError, match="qc: video has 12 frames, the plan 13"):
        check_video(out, plan(13, (64, 48)))
    with pytest.raises(RenderError, match="qc: video is 64x48"):
        check_video(out, plan(12, (48, 64)))
    moved = tmp_path / "late-moov.mp4"
    subprocess.run([ffmpeg_executable(), "-v", "error", "-i", str(out), "-c", "copy", str(moved)], check=True)
    with pytest.raises(RenderError, match="moov after mdat"):
        check_video(moved, plan(12, (64, 48)))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(out.read_bytes()[:40])
    with pytest.raises(RenderError, match="qc: unreadable MP4"):
        check_video(broken, plan(12, (64, 48)))


def test_ffmpeg_failure_carries_the_command_and_stderr_tail(tmp_path: Path) -> None:
    argv = encode_argv(tmp_path / "v.mp4", size=(64, 64), fps=30, frames=3, audio=None,
                       settings=EncodeSettings(preset="no-such-preset"), executable=ffmpeg_executable())  # fmt: skip
    with pytest.raises(EncodeError) as caught:
        encode_video(_frames(3, (64, 64)), argv, size=(64, 64))
    error = caught.value
    assert error.argv == argv
    assert "no-such-preset" in error.stderr_tail
    assert "command:" in str(error) and "ffmpeg said:" in str(error)


def test_adgen_ffmpeg_overrides_the_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "fake-ffmpeg"
    fake.write_text("#!/bin/sh\necho 'fake encoder refuses' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("ADGEN_FFMPEG", str(fake))
    assert ffmpeg_executable() == str(fake)
    argv = encode_argv(tmp_path / "v.mp4", size=(64, 64), fps=30, frames=3, audio=None, executable=ffmpeg_executable())
    with pytest.raises(EncodeError, match="status 3") as caught:
        encode_video(_frames(3, (64, 64)), argv, size=(64, 64))
    assert "fake encoder refuses" in caught.value.stderr_tail


def test_frames_of_the_wrong_size_stop_the_encode(tmp_path: Path) -> None:
    argv = encode_argv(tmp_path / "v.mp4", size=(64, 64), fps=30, frames=2, audio=None, executable=ffmpeg_executable())
    with pytest.raises(EncodeError, match="expected RGB"):
        encode_video(_frames(2, (32, 32)), argv, size=(64, 64))


def test_store_writes_atomically_and_keeps_the_old_file_when_a_write_fails(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    uri = store.put_bytes("t/sku/a.mp4", b"good video", "video/mp4")
    assert Path(uri).read_bytes() == b"good video"
    source = tmp_path / "src"
    source.mkdir()  # opening a directory as the source fails after the temporary file exists
    with pytest.raises(StoreError, match=r"cannot write|Is a directory"):
        store.put_file("t/sku/a.mp4", source, "video/mp4")
    assert store.get_bytes("t/sku/a.mp4") == b"good video"
    assert sorted(store.list()) == ["t/sku/a.mp4"]
    assert [p.name for p in (tmp_path / "store").rglob("*") if p.is_file()] == ["a.mp4"]  # no temporary file left


def test_atomic_write_interrupted_midway_keeps_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "out" / "manifest.jsonl"
    write_atomically(target, b"old")
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as stream:
        stream.write(b"half of the new")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and [p.name for p in target.parent.iterdir()] == ["manifest.jsonl"]


def test_store_create_writes_only_where_nothing_is_and_one_of_many_racing_wins(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    assert store.create("leases/a.json", b"first")
    assert not store.create("leases/a.json", b"second")
    assert store.get_bytes("leases/a.json") == b"first"
    start = threading.Barrier(8)

    def claim(holder: int) -> bool:
        start.wait()
        return store.create("leases/b.json", f"holder {holder}".encode())

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        won = list(pool.map(claim, range(8)))
    assert won.count(True) == 1
    assert store.get_bytes("leases/b.json") == f"holder {won.index(True)}".encode()
    assert sorted(store.list()) == ["leases/a.json", "leases/b.json"]
    assert len([p for p in (tmp_path / "store").rglob("*") if p.is_file()]) == 2  # no temporary file left


def test_store_delete_removes_the_file_and_the_folders_it_leaves_empty(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    for key in ("t/a/v.mp4", "t/a/v.jpg", "t/b/v.mp4"):
        store.put_bytes(key, b"x", "video/mp4")
    store.delete("t/a/v.mp4")
    assert sorted(store.list()) == ["t/a/v.jpg", "t/b/v.mp4"]
    store.delete("t/a/v.jpg")
    assert not (tmp_path / "store" / "t" / "a").exists() and (tmp_path / "store" / "t" / "b").is_dir()
    store.delete("t/b/v.mp4")
    store.delete("t/b/v.mp4")  # deleting what is not there is no error
    assert list((tmp_path / "store").iterdir()) == [] and not store.exists("t/b/v.mp4")
    with pytest.raises(StoreError, match="escapes"):
        store.delete("../outside")


@pytest.mark.parametrize("key", ["../escape.mp4", "/abs.mp4", "a/../../x"])
def test_store_refuses_keys_outside_its_root(tmp_path: Path, key: str) -> None:
    with pytest.raises(StoreError, match="escapes"):
        LocalStore(tmp_path).put_bytes(key, b"x", "text/plain")


@pytest.mark.parametrize(("sku", "expected"), [("SKU-1", "SKU-1"), ("a/b c", "a_b_c"), ("..", "_"), ("ÉTÉ#1", "T_1")])
def test_safe_name_keeps_keys_inside_one_folder(sku: str, expected: str) -> None:
    assert safe_name(sku) == expected
