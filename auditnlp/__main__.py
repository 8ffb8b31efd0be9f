"""``python -m auditnlp``: the command line."""

from auditnlp.cli import main

main()
