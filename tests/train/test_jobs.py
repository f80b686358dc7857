import os

from affectvlm.train.jobs import TrainJob, default_processes, job_epochs, progress_line


def test_one_process_per_core_at_most_one_per_job():
    assert default_processes("cpu", 1) == 1
    assert 1 <= default_processes("cpu", 64) <= (os.cpu_count() or 1)


def test_progress_counts_finished_epochs_and_queued_jobs(tmp_path):
    started, queued = TrainJob("fold 0", tmp_path / "a", 0), TrainJob("app model", tmp_path / "b")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "history.jsonl").write_text('{"epoch": 1}\n{"epoch": 2}\n')
    assert job_epochs(started) == 2 and job_epochs(queued) == 0
    pending = {object(): started, object(): queued}
    assert progress_line(pending, 80) == "fold 0 epoch 2/80; 1 queued"
