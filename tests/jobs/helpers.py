"""Processors for tests: they do nothing but report progress, run hooks and fail on cue."""

from jobs.processors import ProcessorError


class StepProcessor:
    """`steps` steps, progress reported after each (the cancel points). `hooks[i]` runs
    inside step i; `fail_with` is raised inside step `fail_at`."""

    def __init__(self, steps=3, hooks=None, fail_with=None, fail_at=0):
        self.steps = steps
        self.hooks = hooks or {}
        self.fail_with = fail_with
        self.fail_at = fail_at
        self.ran: list[tuple[int, int]] = []

    def process(self, job, progress):
        for step in range(self.steps):
            self.ran.append((job.job_id, step))
            if step in self.hooks:
                self.hooks[step]()
            if self.fail_with is not None and step == self.fail_at:
                raise self.fail_with
            progress((step + 1) * 100 // self.steps)
        return {"steps": self.steps}


def failing(message="The model refused the prompt."):
    return StepProcessor(steps=1, fail_with=ProcessorError(message))
