"""Run by test_char_lstm.py under mpiexec -n 2: Ctrl-C reaches rank 1 alone, after step 4.

Both ranks must still stop after the same step, or rank 0 would wait forever in the
next step's collectives; the arguments are char_lstm's.
"""

import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import char_lstm  # noqa: E402  (found through the path above)

from minigrad import distributed as dist  # noqa: E402

train_step = char_lstm.Trainer.train_step


def pressing_ctrl_c_on_rank_1_at_step_4(trainer):
    loss = train_step(trainer)
    if trainer.step == 4 and dist.get_rank() == 1:
        signal.raise_signal(signal.SIGINT)
    return loss


char_lstm.Trainer.train_step = pressing_ctrl_c_on_rank_1_at_step_4
sys.exit(char_lstm.main())
