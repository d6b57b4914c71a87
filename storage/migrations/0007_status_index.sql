-- /tinhhinh counts every deadline of a plan by task, period and state: a covering index keeps
-- that a scan of the index alone.
CREATE INDEX deadlines_status ON deadlines(task_id, period, state, due_date, cancelled_at);
