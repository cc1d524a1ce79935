"""`python -m bot` behaves exactly like the `accountbot` console script."""

from bot.cli import main

main()
