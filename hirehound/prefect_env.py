"""Settings of the Prefect API servers Hirehound starts (`hirehound server start`, the CLI's
local API), as the environment of their processes: no Prefect import here.

Prefect's task-run recorder writes each task-run state event in a transaction of its own by
default; in batches, the server's CPU per task run falls about 4x (a flow of 300 empty
tasks: 21-23 ms of the API's CPU per task run one by one, 5.4-6.3 ms in batches,
`benchmarks/recorder_cost.py`).
The cost: the UI shows a task run's latest state up to the flush interval late.
"""

from __future__ import annotations

TASK_RUN_RECORDER_IN_BATCHES: dict[str, str] = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "200",
    # Whole seconds: Prefect's recorder truncates it to an int (0 would spin).
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "2",
}
