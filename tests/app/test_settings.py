import os
import time

from affectvlm.app import page_path
from affectvlm.app.settings import FINAL_RUN, AppSettings, find_demo_model
from affectvlm.commands.serve import app_command, app_env


def test_settings_come_from_the_environment_with_safe_defaults(tmp_path):
    settings = AppSettings.from_env(
        {"AFFECTVLM_CHECKPOINT": str(tmp_path), "AFFECTVLM_MAX_UPLOAD_MB": "5"}
    )
    assert settings.checkpoint == tmp_path and settings.limits.max_file_mb == 5
    default = AppSettings.from_env({"AFFECTVLM_MAX_UPLOAD_MB": "lots"})
    assert default.checkpoint is None and default.limits.max_file_mb == 200
    assert default.device == "auto"


def test_demo_model_is_found_newest_first_under_the_demo_folders(tmp_path):
    assert find_demo_model((str(tmp_path / "none"),)) is None
    old = tmp_path / "demo_out" / "fold_0" / "model"
    new = tmp_path / "demo_out" / "fold_1" / "model"
    for i, folder in enumerate((old, new)):
        folder.mkdir(parents=True)
        (folder / "affectvlm.json").write_text("{}")
        stamp = time.time() - 100 + i * 50
        os.utime(folder / "affectvlm.json", (stamp, stamp))
    assert find_demo_model((str(tmp_path / "demo_out"),)) == new


def test_demo_final_model_is_preferred_to_newer_fold_models(tmp_path):
    demo = tmp_path / "demo_out"
    final, fold = demo / FINAL_RUN / "model", demo / "run" / "fold_00" / "model"
    for i, folder in enumerate((final, fold)):
        folder.mkdir(parents=True)
        (folder / "affectvlm.json").write_text("{}")
        stamp = time.time() - 100 + i * 50  # the fold model is the newer one
        os.utime(folder / "affectvlm.json", (stamp, stamp))
    assert find_demo_model((str(demo),)) == fold  # the final fit has not finished yet
    (demo / FINAL_RUN / "fold_result.json").write_text("{}")
    other = tmp_path / "other"
    (other / "fold_00" / "model").mkdir(parents=True)
    (other / "fold_00" / "model" / "affectvlm.json").write_text("{}")
    assert find_demo_model((str(demo),)) == final
    assert find_demo_model((str(other), str(demo))) == final


def test_app_command_runs_streamlit_on_the_page_with_settings_in_the_environment(tmp_path):
    cmd = app_command(port=8600, address="127.0.0.1", max_upload_mb=50, headless=True)
    assert cmd[1:5] == ["-m", "streamlit", "run", str(page_path())]
    assert "--server.headless" in cmd and cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == "50"
    env = app_env(tmp_path, 50, "cpu")
    assert env["AFFECTVLM_CHECKPOINT"] == str(tmp_path.resolve())
    assert env["AFFECTVLM_MAX_UPLOAD_MB"] == "50" and env["AFFECTVLM_DEVICE"] == "cpu"
