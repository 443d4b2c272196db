"""The studio's API through Starlette's test client: confinement, the token and same-origin rules,
broken templates answered with errors, saving with backups, form edits written into the YAML (the voice
and captions among them), and previews whose draft video speaks."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from starlette.testclient import TestClient

from generator.core.images import AssetResolver
from generator.orchestration.cli import main
from generator.orchestration.stores.speech import clip_source, voices
from generator.orchestration.studio.app import PAGE_HEADER, TOKEN_COOKIE
from generator.orchestration.studio.server import StudioSettings, build_app
from generator.planning.catalog import load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.types import ShotPlan, TextPlacement
from generator.planning.templates import discover_templates, load_template
from render.encode import EncodeSettings, ffmpeg_executable
from render.video import check_sound, master_audio
from tests.conftest import REPO, sample_subset
from tests.media import count_frames, probe

PAGE = {PAGE_HEADER: "1"}
TEMPLATE = "beauty-launch"


@pytest.fixture
def settings(tmp_path: Path) -> StudioSettings:
    root = tmp_path / "templates"
    shutil.copytree(REPO / "templates", root)
    catalog = sample_subset(tmp_path, ["BEA-001", "BEA-002"])
    return StudioSettings(root, catalog, tmp_path / "work", encode=EncodeSettings(preset="ultrafast"))


@pytest.fixture
def client(settings: StudioSettings) -> TestClient:
    return TestClient(build_app(settings), base_url="http://127.0.0.1:8765")


def text_of(client: TestClient) -> str:
    answer = client.get(f"/api/templates/{TEMPLATE}")
    assert answer.status_code == 200
    return str(answer.json()["text"])


def edited(client: TestClient, text: str, path: list[str | int], value: Any) -> str:
    """``text`` with the form's edit setting ``path`` to ``value``."""
    answer = client.post("/api/form/edit", json={"text": text, "edit": {"op": "set", "path": path, "value": value}},
                         headers=PAGE)  # fmt: skip
    assert answer.status_code == 200, answer.text
    return str(answer.json()["text"])


def planned(settings: StudioSettings, text: str, aspect: str) -> ShotPlan:
    """``text`` as the template's file, planned for BEA-001 in ``aspect``."""
    assert settings.catalog is not None
    template = load_template(settings.templates_root / "beauty" / "beauty-launch.yaml", text)
    product = next(p for p in load_catalog(settings.catalog).products if p.sku == "BEA-001")
    return compile_plan(template, product, aspect, settings.templates_root, voices())


def test_the_list_shows_each_template_with_its_vertical_aspects_and_version(client: TestClient) -> None:
    listed = {entry["id"]: entry for entry in client.get("/api/templates").json()["templates"]}
    written = yaml.safe_load((REPO / "templates" / "beauty" / f"{TEMPLATE}.yaml").read_text(encoding="utf-8"))
    assert listed[TEMPLATE]["vertical"] == "beauty" and listed[TEMPLATE]["version"] == written["version"]
    assert listed[TEMPLATE]["aspects"] == ["9:16", "4:5", "1:1", "16:9"] and listed[TEMPLATE]["error"] is None


@pytest.mark.parametrize(
    "path",
    [
        "/files/" + "..%2F" * 16 + "etc%2Fpasswd",
        "/files/../templates/beauty/beauty-launch.yaml",
        "/files/%2Fetc%2Fpasswd",
        "/api/templates/" + "..%2F" * 16 + "etc%2Fpasswd",
        "/api/templates/beauty%2F..%2F..%2Fpyproject",
    ],
)
def test_paths_outside_the_roots_are_refused(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code in (404, 422)
    assert "root:" not in answer.text and "[project]" not in answer.text


def test_saving_under_another_id_writes_nothing_outside_the_templates(
    client: TestClient, settings: StudioSettings
) -> None:
    before = sorted(p for p in settings.templates_root.parent.rglob("*") if p.is_file())
    answer = client.put("/api/templates/..%2Fescape", json={"text": "id: escape\n", "force": True}, headers=PAGE)
    assert answer.status_code in (404, 422)
    assert sorted(p for p in settings.templates_root.parent.rglob("*") if p.is_file()) == before


def test_without_loopback_the_token_is_needed_on_every_request(settings: StudioSettings) -> None:
    with pytest.raises(Exception, match="non-loopback address needs --token"):
        build_app(StudioSettings(settings.templates_root, None, settings.work, host="0.0.0.0"))
    app = build_app(StudioSettings(settings.templates_root, None, settings.work, host="0.0.0.0", token="s3cret"))
    client = TestClient(app, base_url="http://192.0.2.10:8765")
    assert client.get("/api/templates").status_code == 401
    assert client.get("/static/app.js").status_code == 401
    assert client.get("/api/templates", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/templates", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    page = client.get("/?token=s3cret")  # the printed address: sets the cookie the page's requests carry
    assert page.status_code == 200 and page.cookies.get(TOKEN_COOKIE) == "s3cret"
    assert client.get("/api/templates").status_code == 200

    result = CliRunner().invoke(main, ["studio", "--host", "0.0.0.0", "--templates", str(settings.templates_root)])
    assert result.exit_code == 2 and "needs --token" in result.output


def test_changes_come_only_from_the_page_and_only_to_its_host(client: TestClient) -> None:
    text = text_of(client)
    assert client.post(f"/api/templates/{TEMPLATE}/lint", json={"text": text}).status_code == 403
    foreign = {**PAGE, "Origin": "http://evil.example"}
    assert client.post(f"/api/templates/{TEMPLATE}/lint", json={"text": text}, headers=foreign).status_code == 403
    assert client.post(f"/api/templates/{TEMPLATE}/lint", json={"text": text}, headers=PAGE).status_code == 200
    assert client.get("/api/templates", headers={"Host": "rebound.example"}).status_code == 400


def test_a_broken_template_gives_errors_at_their_lines_and_the_server_goes_on(client: TestClient) -> None:
    text = text_of(client)
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines) if line.strip().startswith("duration:")) + 1
    lines[number - 1] = lines[number - 1].replace("2.5", "fast")
    bad_schema = "\n".join(lines) + "\n"
    problems = client.post(f"/api/templates/{TEMPLATE}/lint", json={"text": bad_schema}, headers=PAGE).json()[
        "problems"
    ]
    assert [(p["severity"], p["line"]) for p in problems] == [("error", number)] and "duration" in problems[0][
        "message"
    ]

    bad_yaml = text + "shots: [\n"
    problems = client.post(f"/api/templates/{TEMPLATE}/lint", json={"text": bad_yaml}, headers=PAGE).json()["problems"]
    assert problems[0]["severity"] == "error" and problems[0]["line"] == len(text.splitlines()) + 2
    preview = client.post(
        f"/api/templates/{TEMPLATE}/preview", json={"text": bad_schema, "sku": "BEA-001"}, headers=PAGE
    )
    assert preview.status_code == 422 and f"beauty-launch.yaml:{number}" in preview.json()["error"]
    assert client.post("/api/form", json={"text": "a: [\n"}, headers=PAGE).status_code == 422
    assert client.get("/api/templates").status_code == 200


def test_a_broken_file_on_disk_is_listed_with_its_error(client: TestClient, settings: StudioSettings) -> None:
    (settings.templates_root / "beauty" / "draft.yaml").write_text("id: draft\nversion: [\n", encoding="utf-8")
    listed = {entry["id"]: entry for entry in client.get("/api/templates").json()["templates"]}
    assert "draft.yaml:3" in listed["draft"]["error"] and listed[TEMPLATE]["error"] is None


def test_saving_shows_the_diff_refuses_errors_unless_forced_and_keeps_a_backup(
    client: TestClient, settings: StudioSettings
) -> None:
    path = settings.templates_root / "beauty" / "beauty-launch.yaml"
    original = path.read_text(encoding="utf-8")
    edited = original.replace("name: Beauty launch", "name: Beauty launch, spring")
    diff = client.post(f"/api/templates/{TEMPLATE}/diff", json={"text": edited}, headers=PAGE).json()["diff"]
    assert "-name: Beauty launch\n+name: Beauty launch, spring\n" in diff

    broken = edited.replace("duration: 2.5", "duration: fast")
    refused = client.put(f"/api/templates/{TEMPLATE}", json={"text": broken}, headers=PAGE)
    assert refused.status_code == 409 and refused.json()["saved"] is False
    assert path.read_text(encoding="utf-8") == original

    saved = client.put(f"/api/templates/{TEMPLATE}", json={"text": edited}, headers=PAGE).json()
    assert saved["saved"] is True and path.read_text(encoding="utf-8") == edited
    (backup,) = (settings.templates_root / ".backups" / "beauty").iterdir()
    assert backup.name == saved["backup"] and backup.read_text(encoding="utf-8") == original
    forced = client.put(f"/api/templates/{TEMPLATE}", json={"text": broken, "force": True}, headers=PAGE).json()
    assert forced["saved"] is True and path.read_text(encoding="utf-8") == broken
    assert len(list((settings.templates_root / ".backups" / "beauty").iterdir())) == 2
    listed = {entry["id"] for entry in client.get("/api/templates").json()["templates"]}
    assert listed == set(discover_templates(REPO / "templates")[0])  # the shipped ones: no backups


def test_form_edits_change_only_their_field_and_keep_comments(client: TestClient) -> None:
    text = text_of(client)
    data: Any = client.post("/api/form", json={"text": text}, headers=PAGE).json()["data"]
    assert [shot["id"] for shot in data["shots"]] == ["hook", "hero", "benefit", "sale", "cta"]
    edit = {"op": "set", "path": ["shots", 0, "text", 0, "text"], "value": "Hello from {{ product.brand }}"}
    answer = client.post("/api/form/edit", json={"text": text, "edit": edit}, headers=PAGE).json()
    changed = [(a, b) for a, b in zip(text.splitlines(), answer["text"].splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and '"Hello from {{ product.brand }}"' in changed[0][1]
    assert answer["text"].splitlines()[0] == text.splitlines()[0]  # the leading comment is kept
    moved = client.post(
        "/api/form/edit",
        json={"text": text, "edit": {"op": "move", "path": ["shots"], "from": 4, "to": 0}},
        headers=PAGE,
    ).json()
    assert [shot["id"] for shot in moved["data"]["shots"]] == ["cta", "hook", "hero", "benefit", "sale"]
    bad = client.post("/api/form/edit", json={"text": text, "edit": {"op": "set", "path": ["nope", 3]}}, headers=PAGE)
    assert bad.status_code == 422


def test_a_line_set_in_the_form_lands_in_the_yaml_and_is_spoken_in_the_next_preview(client: TestClient) -> None:
    text = text_of(client).replace('    line: "Shop the look today."\n', "")  # the cta shot says nothing
    form = client.post("/api/form", json={"text": text}, headers=PAGE).json()
    offered = {".".join(map(str, field["path"])): field["default"] for field in form["offered"]}
    assert "shots.4.line" in offered and "shots.0.line" not in offered  # offered where the YAML leaves it out
    assert "shots.0.max_duration" not in offered and offered["loudness"] == -14
    assert offered["voice.overflow"] == "shrink" and offered["captions.position"] == "bottom"
    assert offered["routing"] == "auto" and offered["prefer"] is None  # routing, offered to every template

    changed = edited(client, text, ["shots", 0, "line"], "Say hi to {{ product.title }}!")
    changed = edited(client, changed, ["shots", 4, "line"], "Grab yours today.")
    diff = [line for line in difflib.unified_diff(text.splitlines(), changed.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]  # fmt: skip
    hook_line = next(line for line in text.splitlines() if line.startswith("    line: "))
    assert diff == [
        f"-{hook_line}",
        '+    line: "Say hi to {{ product.title }}!"',  # quoted as the author quoted it
        "+    line: Grab yours today.",
    ]
    assert (
        "  - id: cta\n    duration: 2.2\n    max_duration: 2.8\n    line: Grab yours today.\n" in changed
    )  # schema order

    body = {"text": changed, "sku": "BEA-001"}
    board = client.post(f"/api/templates/{TEMPLATE}/preview", json=body, headers=PAGE).json()
    lines = {line["shot"]: line for line in board["lines"]}
    assert lines["hook"]["line"] == "Say hi to Velvet Matte Lipstick – Ruby!" and lines["hook"]["start"] > 0
    assert lines["cta"]["line"] == "Grab yours today." and 0.5 < lines["cta"]["spoken"] < 3.0


def test_the_caption_style_set_in_the_form_lands_in_the_yaml_and_in_the_plan(
    client: TestClient, settings: StudioSettings
) -> None:
    text = text_of(client)
    changed = edited(client, edited(client, text, ["captions", "style"], "pop"), ["captions", "position"], "top")
    assert "captions: {style: karaoke, words: 3}\n" in text
    assert changed == text.replace(
        "captions: {style: karaoke, words: 3}", "captions: {style: pop, position: top, words: 3}"
    )
    louder = edited(client, changed, ["loudness"], -16)
    assert louder == changed.replace("\nshots:\n", "\nloudness: -16\nshots:\n")

    def bands(plan: ShotPlan) -> dict[str, tuple[str, float]]:
        """Each shot's caption style and the top of its caption band."""
        return {shot.id: (layer.caption.style, layer.box[1]) for shot in plan.shots for layer in shot.layers
                if isinstance(layer, TextPlacement) and layer.caption is not None}  # fmt: skip

    before, plan = bands(planned(settings, text, "9:16")), planned(settings, louder, "9:16")
    after = bands(plan)
    assert after.keys() == before.keys() and {style for style, _ in after.values()} == {"pop"}
    moved = {shot for shot in after if after[shot][1] != before[shot][1]}
    assert moved and all(after[shot][1] < before[shot][1] for shot in moved)  # up, where the product leaves room
    assert plan.loudness == -16


def test_a_generated_motion_set_in_the_form_lands_in_the_yaml_and_in_the_plan(
    client: TestClient, settings: StudioSettings
) -> None:
    text = text_of(client)
    form = client.post("/api/form", json={"text": text}, headers=PAGE).json()
    offered = {".".join(map(str, field["path"])): field["default"] for field in form["offered"]}
    assert offered["shots.1.background.motion.strength"] == 0.5 and offered["shots.1.background.motion.to"] is None
    changed = edited(client, text, ["shots", 1, "background", "motion", "prompt"], "petals drift down")
    assert "motion" not in text and changed.count("motion: {prompt: petals drift down}") == 1
    plan = planned(settings, changed, "9:16")
    moving = [shot.id for shot in plan.shots if shot.background.motion is not None]
    assert moving == [plan.shots[1].id] and plan.shots[1].background.motion.prompt == "petals drift down"


def test_rows_are_searched_by_sku_or_title(client: TestClient) -> None:
    everything = client.get("/api/rows").json()["rows"]
    assert [row["sku"] for row in everything] == ["BEA-001", "BEA-002"]
    title = everything[1]["title"]
    assert [row["sku"] for row in client.get("/api/rows", params={"q": title.upper()}).json()["rows"]] == ["BEA-002"]
    assert client.get("/api/rows", params={"q": "nothing like it"}).json()["rows"] == []


def test_a_preview_is_a_storyboard_then_a_draft_video_of_the_same_plan(
    client: TestClient, settings: StudioSettings
) -> None:
    text = text_of(client).replace(
        '- {text: "New from {{ product.brand }}"', '- {overflow: shrink, text: "' + "Lumière " * 30 + '"'
    )
    body = {"text": text, "sku": "BEA-001", "aspect": "1:1"}
    board = client.post(f"/api/templates/{TEMPLATE}/preview", json=body, headers=PAGE).json()
    assert board["size"] == [1080, 1080] and board["frames"] == round(board["duration"] * board["fps"])
    assert (
        board["shortened"] and board["shortened"][0]["shot"] == "hook" and board["shortened"][0]["text"].endswith("…")
    )
    image = client.get(board["storyboard"])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    x, y, w, h = board["safe_area"]
    assert 0 <= x < x + w <= 1 and 0 <= y < y + h <= 1

    video = client.post(f"/api/templates/{TEMPLATE}/preview/video", json=body, headers=PAGE).json()["video"]
    stored = settings.work / video.removeprefix("/files/")
    assert client.get(video).status_code == 200 and count_frames(stored) == board["frames"]
    assert stored.name.startswith(board["plan_hash"][:20])
    mtime = stored.stat().st_mtime_ns
    assert client.post(f"/api/templates/{TEMPLATE}/preview/video", json=body, headers=PAGE).json()["video"] == video
    assert stored.stat().st_mtime_ns == mtime  # the same plan is not drafted twice

    # The draft speaks: each voice line is found in its audio, at the mix's level, over the ducked music.
    plan = planned(settings, text, "1:1")
    assert settings.catalog is not None and probe(stored).audio_codec == "aac"
    assets = AssetResolver({"catalog": settings.catalog.parent, "templates": settings.templates_root})
    master = master_audio(plan, assets, clip_source(None), ffmpeg_executable())
    assert master is not None and len(master.voice_spans) == len(plan.lines()) > 0
    check_sound(stored, plan, master, ffmpeg_executable())


def test_lint_shows_the_chosen_platforms_findings_reels_by_default(client: TestClient) -> None:
    shipped = text_of(client)
    text = shipped.replace("enter: pop, enter_duration: 0.4}", "enter: pop, enter_duration: 0.4, delay: 1.5}", 1)
    assert text != shipped  # the hook's product now comes to rest after a second

    def messages(body: dict[str, str]) -> list[str]:
        answer = client.post(f"/api/templates/{TEMPLATE}/lint", json={"text": text, **body}, headers=PAGE)
        assert answer.status_code == 200
        return [p["message"] for p in answer.json()["problems"] if p["severity"] == "warning"]

    reels = [m for m in messages({}) if "Reels opening.product" in m]
    assert len(reels) == 1 and "in 9:16" in reels[0] and "docs/platforms.md#reels" in reels[0]
    tiktok = messages({"platform": "tiktok"})
    assert any("TikTok opening.product" in m for m in tiktok) and not any("Reels " in m for m in tiktok)
    assert not any("docs/platforms.md" in m for m in messages({"platform": ""}))
    unknown = client.post(f"/api/templates/{TEMPLATE}/lint", json={"text": text, "platform": "reelz"}, headers=PAGE)
    assert unknown.status_code == 422 and "unknown platform" in unknown.json()["error"]
