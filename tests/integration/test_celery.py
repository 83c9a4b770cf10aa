"""Celery (Debian's python3-celery) with the server as its broker and result backend:
tasks sent over lists (BRPOP, MULTI/EXEC, the unacked hash and sorted set), results
stored and delivered over pub/sub, a group, a retried task and a failing one. The worker
runs in this process (celery.contrib.testing), with its own server of the test's own."""
import gc
import itertools

import pytest

celery = pytest.importorskip("celery")
from celery.contrib.testing.worker import start_worker  # noqa: E402

from conftest import start_server  # noqa: E402


@pytest.fixture
def app(tmp_path):
    srv = start_server(tmp_path)
    url = f"redis://127.0.0.1:{srv.port}"
    application = celery.Celery("tierkv_test", broker=f"{url}/0", backend=f"{url}/1")
    try:
        yield application, srv
    finally:
        application.close()
        srv.stop()


def test_tasks_results_group_retry_and_failure(app):
    application, srv = app
    attempts = itertools.count()

    @application.task
    def add(x, y):
        return x + y

    @application.task(bind=True, max_retries=3)
    def flaky(self):
        attempt = next(attempts)
        if attempt < 2:
            raise self.retry(countdown=0.05)
        return f"succeeded after {attempt} retries"

    @application.task
    def broken():
        raise ValueError("task failed on purpose")

    with start_worker(application, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        single = add.delay(2, 3)
        assert single.get(timeout=20) == 5
        group = celery.group(add.s(i, i) for i in range(10))()
        assert group.get(timeout=20) == [2 * i for i in range(10)]
        retried = flaky.delay()
        assert retried.get(timeout=20) == "succeeded after 2 retries"
        failing = broken.delay()
        with pytest.raises(ValueError, match="task failed on purpose"):
            failing.get(timeout=20)
        assert failing.state == "FAILURE"
        # Results unsubscribe when collected: while the server still runs, not after.
        del single, group, retried, failing
        gc.collect()

    # The results live in db 1 as Celery's keys, the queue in db 0 is drained.
    results = srv.client(db=1)
    assert len(results.keys("celery-task-meta-*")) == 13  # a retried task keeps its id
    assert srv.client(db=0).llen("celery") == 0
