"""What users see in Slack and how it gets there, with no listener in it: ids of commands,
actions, views and blocks; typed values of buttons and modals; text and escaping; pure Block
Kit views; delivery of posts (at most once, never into a channel shared outside) and what the
bot knows of channels. `digests` may import this package, and only this one, from `commands`."""
