"""Pure Block Kit builders: data in, blocks out, no I/O; Slack's limits enforced in `blocks`."""
